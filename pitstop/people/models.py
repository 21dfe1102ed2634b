"""People linked across notifications, and each partnership's repeat-incident rule."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from pitstop.notifications.models import Grade, LinkStatus, PersonRole

# A partnership without its own rule (DOMAIN.md, "History"): three or more in twelve months.
DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW_MONTHS = 12
THRESHOLD_RANGE = (2, 20)  # repeat_incident_rule_threshold_range
WINDOW_RANGE = (1, 36)  # repeat_incident_rule_window_range

# Whose history makes a notification a potential escalation.
ESCALATING_ROLES = frozenset({PersonRole.VICTIM, PersonRole.ALLEGED_PERPETRATOR})


class RepeatRule(msgspec.Struct, frozen=True, kw_only=True):
    """When a notification is a potential escalation: `threshold` incidents in `window_months`."""

    partnership_id: int
    threshold: int = DEFAULT_THRESHOLD
    window_months: int = DEFAULT_WINDOW_MONTHS
    version: int = 0  # 0: no row yet (the defaults); the first save makes version 1
    updated_by: int | None = None
    updated_at: datetime | None = None


class RuleChange(msgspec.Struct, frozen=True, kw_only=True):
    """The settings form as typed: checked by the service."""

    threshold: str
    window_months: str
    version: int


class KeptLink(msgspec.Struct, frozen=True, kw_only=True):
    """How an occurrence was linked before the police replaced a notification's people."""

    notification_id: int
    position: int
    match_key: str | None
    name_key: str | None  # folded family and given names, without the date of birth
    person_id: int
    link_status: LinkStatus
    confirmed_by: int | None
    confirmed_at: datetime | None


class IncidentPerson(msgspec.Struct, frozen=True, kw_only=True):
    """Someone in an incident, as that notification names them."""

    person_id: int | None
    position: int
    role: PersonRole
    family_name: str
    given_names: str | None
    date_of_birth: date | None


class Incident(msgspec.Struct, frozen=True, kw_only=True):
    """One notification a person is linked to, with their role(s) in it and everyone in it."""

    notification_id: int
    police_reference: str
    occurred_at: datetime  # the incident's time, or when it was received if the police gave none
    officer_grade: Grade
    roles: list[PersonRole]
    link_status: LinkStatus
    confirmed_by: int | None
    confirmed_at: datetime | None
    # Whether this incident's address for them is one they had in another incident; None when there
    # is nothing to compare (missing or withheld here, or no other address that is not withheld).
    address_agrees: bool | None
    people: list[IncidentPerson]  # children first, then in the police's order


class PersonRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A person and their incidents, newest first."""

    id: int
    family_name: str
    given_names: str | None
    date_of_birth: date | None
    auto_match: bool
    split_from: int | None
    merged_into: int | None
    merged_at: datetime | None
    version: int
    created_by: int | None
    created_at: datetime
    incidents: list[Incident] = msgspec.field(default_factory=list)
    merged: list[int] = msgspec.field(default_factory=list)  # people merged into this one


class PossibleMatch(msgspec.Struct, frozen=True, kw_only=True):
    """Another person who may be the same one, and why; never linked without a coordinator."""

    id: int
    family_name: str
    given_names: str | None
    date_of_birth: date | None
    version: int
    incidents: int
    reason: str  # "first_name", "date_of_birth", "address"

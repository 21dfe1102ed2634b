"""What a notification holds (DOMAIN.md, "Notifications"), as received and as stored."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta


class Grade(StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


class Source(StrEnum):
    KEYED = "keyed"
    API = "api"
    CSV = "csv"


class Status(StrEnum):
    RECEIVED = "received"  # waiting for screening
    SCREENED = "screened"
    RESCREEN = "rescreen"  # changed by the police after it was screened


class PersonRole(StrEnum):
    VICTIM = "victim"
    SECONDARY_VICTIM = "secondary_victim"
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    CHILD = "child"
    OTHER_ADULT = "other_adult"


class LinkStatus(StrEnum):
    """How a person named in a notification is linked to a person of the partnership (pitstop.people)."""

    AUTOMATIC = "automatic"  # the same normalised family name, first given name and date of birth
    CONFIRMED = "confirmed"  # a coordinator confirmed it, split it off or merged it


ShortText = Annotated[str, Meta(min_length=1, max_length=200)]
LongText = Annotated[str, Meta(min_length=1, max_length=10_000)]
Reference = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/\-_. ]*$")]
Count = Annotated[int, Meta(ge=0, le=1000)]


class PersonIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    role: PersonRole
    family_name: ShortText
    given_names: ShortText | None = None
    date_of_birth: date | None = None
    sex: ShortText | None = None
    ethnicity: ShortText | None = None
    relationship: ShortText | None = None
    address: ShortText | None = None
    address_withheld: bool = False
    # Children
    school: ShortText | None = None
    gp_or_health_visitor: ShortText | None = None
    ordinarily_resident: bool | None = None
    present: bool | None = None
    witnessed: bool | None = None
    injured: bool | None = None


class RiskIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    tool: Annotated[str, Meta(min_length=1, max_length=30)]
    grade: Grade
    answers: dict[str, bool] = msgspec.field(default_factory=dict)
    yes_count: Count | None = None


class SafeContactIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    safe: bool
    number: ShortText | None = None
    times: ShortText | None = None


class NotificationIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A notification as the police send it (API) or a coordinator keys it in."""

    police_reference: Reference
    circumstances: LongText
    risk: RiskIn
    people: Annotated[list[PersonIn], Meta(min_length=1, max_length=50)]
    crime_reference: Reference | None = None
    received_at: datetime | None = None  # when the police sent it; defaults to now
    incident_at: datetime | None = None
    address: ShortText | None = None
    # The incident address is withheld (a refuge): it stays empty and is never shown or matched.
    address_withheld: bool = False
    postcode: Annotated[str, Meta(max_length=10)] | None = None
    council_area: ShortText | None = None
    injuries: bool | None = None
    weapons: bool | None = None
    strangulation: bool | None = None
    alcohol_or_drugs: bool | None = None
    arrest_made: bool | None = None
    no_arrest_reason: ShortText | None = None
    body_worn_video: Annotated[list[ShortText], Meta(max_length=50)] = msgspec.field(default_factory=list)
    previous_incidents_12m: Count | None = None
    victim_pregnant: bool | None = None
    safe_contact: SafeContactIn | None = None
    # The officer's words on safe contact, kept as written: they never make contact "safe".
    safe_contact_notes: ShortText | None = None
    # What the police recorded; the coordinator's consent decision is made at screening.
    consent_to_share: bool | None = None
    victim_aware: bool | None = None
    open_case: bool = False
    allocated_worker: ShortText | None = None


class Person(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    position: int
    role: PersonRole
    family_name: str
    given_names: str | None
    date_of_birth: date | None
    sex: str | None
    ethnicity: str | None
    relationship: str | None
    address: str | None
    address_withheld: bool
    school: str | None
    gp_or_health_visitor: str | None
    ordinarily_resident: bool | None
    present: bool | None
    witnessed: bool | None
    injured: bool | None
    # Repeat linkage (pitstop.people): the partnership's person this is, and how they were linked.
    person_id: int | None = None
    link_status: LinkStatus | None = None
    confirmed_by: int | None = None
    confirmed_at: datetime | None = None
    matchable: bool = False  # has the family name, given name and date of birth automatic matching needs
    # Incidents linked to the same person in the partnership's window ending at this one, this one included.
    recent_incidents: int | None = None
    # Whether this address is one they had in another incident; None when there is nothing to compare
    # (no address here, a withheld one, or no other address that is not withheld).
    address_agrees: bool | None = None


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int
    police_reference: str
    crime_reference: str | None
    source: Source
    received_at: datetime
    incident_at: datetime | None
    address: str | None
    address_withheld: bool
    postcode: str | None
    council_area: str | None
    circumstances: str
    injuries: bool | None
    weapons: bool | None
    strangulation: bool | None
    alcohol_or_drugs: bool | None
    arrest_made: bool | None
    no_arrest_reason: str | None
    body_worn_video: list[str]
    risk_tool: str
    risk_answers: dict[str, bool]
    risk_yes_count: int | None
    officer_grade: Grade
    previous_incidents_12m: int | None
    victim_pregnant: bool | None
    safe_to_contact: bool | None
    safe_contact_number: str | None
    safe_contact_times: str | None
    safe_contact_notes: str | None
    consent_to_share: bool | None
    victim_aware: bool | None
    open_case: bool
    allocated_worker: str | None
    status: Status
    screening_due_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    people: list[Person] = msgspec.field(default_factory=list)
    # A victim or alleged perpetrator with `repeat_threshold` incidents or more in the window, or the
    # police's own count of previous incidents reaching it.
    potential_escalation: bool = False
    # The partnership's rule (pitstop.people.models has the defaults); always read with the notification.
    repeat_threshold: int = 3
    repeat_window_months: int = 12


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """A line of the intake queue: no names, no addresses."""

    id: int
    police_reference: str
    received_at: datetime
    officer_grade: Grade
    status: Status
    screening_due_at: datetime | None
    open_case: bool
    children: int
    version: int
    overdue: bool  # not yet screened and past its screening deadline
    potential_escalation: bool = False  # repeat incidents reach the partnership's threshold


class Outcome(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """What a sender needs back: which notification, which version, where it stands."""

    id: int
    police_reference: str
    version: int
    status: Status
    officer_grade: Grade
    received_at: datetime
    screening_due_at: datetime | None


class Received(msgspec.Struct, frozen=True, kw_only=True):
    """What intake did with a notification: created it, found it unchanged, or updated it."""

    outcome: Outcome
    notification: Receipt


class Consent(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT = "not_sought"


class ConsentReason(StrEnum):
    """Why information is shared without relying on consent (DOMAIN.md, "Consent")."""

    UNSAFE_TO_ASK = "unsafe_to_ask"
    WOULD_PREJUDICE_CHILD_SAFETY = "would_prejudice_child_safety"
    CANNOT_BE_GIVEN = "cannot_be_given"
    CANNOT_REASONABLY_BE_OBTAINED = "cannot_reasonably_be_obtained"


class Route(StrEnum):
    AGENDA = "agenda"
    ALLOCATED_WORKER = "allocated_worker"  # open case: for information
    NO_FURTHER_ACTION = "no_further_action"


Rationale = Annotated[str, Meta(max_length=5_000)]


class ScreeningIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # The notification version the coordinator screened: a police update since then is a conflict.
    version: int
    grade: Grade
    consent: Consent
    route: Route
    grade_rationale: Rationale | None = None
    consent_reason: ConsentReason | None = None
    consent_rationale: Rationale | None = None
    authorised_by: int | None = None  # the manager who authorised sharing without consent
    victim_aware: bool | None = None
    route_rationale: Rationale | None = None
    delay_reason: Rationale | None = None
    # Immediate protection needed, or action already taken out of hours: first on the agenda.
    immediate_protection: bool = False


class Screening(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    notification_id: int
    notification_version: int
    grade: Grade
    grade_rationale: str | None
    consent: Consent
    consent_reason: ConsentReason | None
    consent_rationale: str | None
    authorised_by: int | None
    victim_aware: bool | None
    route: Route
    route_rationale: str | None
    delay_reason: str | None
    screened_by: int | None
    screened_at: datetime
    immediate_protection: bool = False

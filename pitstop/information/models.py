"""Agency information as agencies record it and as each user may see it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from pitstop.agenda.models import AgendaItem
from pitstop.meetings.models import Meeting


class Knowledge(StrEnum):
    KNOWN = "known"
    NOT_KNOWN = "not_known"
    NO_TRACE = "no_trace"  # checked, and nothing on the agency's systems


class Visibility(StrEnum):
    SHARED = "shared"  # every agency attending the meeting
    RESTRICTED = "restricted"  # the agencies named, and coordinators and managers
    NOT_FOR_MINUTES = "not_for_minutes"  # the recording agency, and coordinators and managers


class Information(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    agenda_item_id: int
    meeting_id: int
    agency_id: int
    agency_name: str
    knowledge: Knowledge
    summary: str | None
    source_system: str | None
    checked_at: datetime
    visibility: Visibility
    restricted_to: list[int]
    third_party: bool
    recorded_by: int
    recorded_by_name: str
    recorded_at: datetime
    version: int
    # Recorded for an earlier meeting the item was carried from (read-only here), or None.
    carried_from_date: date | None = None


class Version(msgspec.Struct, frozen=True, kw_only=True):
    """One saved version of a record, for its history."""

    version: int
    knowledge: Knowledge
    summary: str | None
    source_system: str | None
    checked_at: datetime
    visibility: Visibility
    restricted_to: list[int]
    third_party: bool
    recorded_by_name: str
    recorded_at: datetime


Summary = Annotated[str, Meta(max_length=5_000)]
Source = Annotated[str, Meta(max_length=200)]


class InformationIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An agency's record for an item. `version`: None to record it first, else the version it replaces."""

    knowledge: Knowledge
    summary: Summary | None = None
    source_system: Source | None = None
    checked_at: Annotated[datetime, Meta(tz=True)] | None = None  # None: now
    visibility: Visibility = Visibility.SHARED
    restricted_to: Annotated[list[int], Meta(max_length=50)] = msgspec.field(default_factory=list)
    third_party: bool = False
    version: int | None = None


class NotKnownIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """ "Not known" for many items at once; items the agency has already recorded are left as they are."""

    items: Annotated[list[int], Meta(min_length=1, max_length=500)]
    source_system: Source | None = None


class Agency(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str


class ItemInformation(msgspec.Struct, frozen=True, kw_only=True):
    """An item with the agency information this user may see."""

    meeting: Meeting
    item: AgendaItem
    records: list[Information]  # this item's, then those carried from earlier meetings
    own: Information | None  # the user's agency's record for this item
    can_record: bool  # the user may record their agency's information now
    agencies: list[Agency]  # the agencies invited (those a record may be restricted to)
    checked: list[int]  # agencies with a record for this item (a count is not need-to-know)


class PreparedItem(msgspec.Struct, frozen=True, kw_only=True):
    item: AgendaItem
    own: Information | None


class Preparation(msgspec.Struct, frozen=True, kw_only=True):
    """An agency's preparation for a meeting: the published agenda and what it has checked."""

    meeting: Meeting
    agency_id: int
    items: list[PreparedItem]
    can_record: bool

"""Meeting series, meetings, invitees and attendance (DOMAIN.md, "The meeting")."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"
    AGENDA_PUBLISHED = "agenda_published"
    IN_PROGRESS = "in_progress"
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    MeetingState.SCHEDULED: "Scheduled",
    MeetingState.AGENDA_PUBLISHED: "Agenda published",
    MeetingState.IN_PROGRESS: "In progress",
    MeetingState.HELD: "Held",
    MeetingState.CANCELLED: "Cancelled",
}
# Meetings that still take notifications from the screening queue.
OPEN_STATES = (MeetingState.SCHEDULED, MeetingState.AGENDA_PUBLISHED)
# Invited agencies see the agenda from publication on.
PUBLISHED_STATES = (MeetingState.AGENDA_PUBLISHED, MeetingState.IN_PROGRESS, MeetingState.HELD)


class AttendanceStatus(StrEnum):
    NOT_RECORDED = "not_recorded"
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"

    @property
    def label(self) -> str:
        return {"not_recorded": "Not recorded", "present": "Present", "apologies": "Apologies", "absent": "Absent"}[
            self.value
        ]


Name = Annotated[str, Meta(min_length=1, max_length=200)]
Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Reason = Annotated[str, Meta(min_length=1, max_length=2_000)]


class Invitee(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    agency_id: int
    agency_name: str
    name: str
    email: str


class Series(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int
    name: str
    weekdays: list[int]
    starts_at: time
    length_minutes: int
    cut_off: time
    publish_at: time
    place: str | None
    call_link: str | None
    weeks_ahead: int
    chair_id: int | None
    minute_taker_id: int | None
    active: bool
    ended_at: datetime | None = None
    ended_reason: str | None = None
    version: int
    invitees: list[Invitee] = msgspec.field(default_factory=list)


class SeriesIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A series as a coordinator sets it up. Times are Europe/London wall-clock times."""

    name: Name
    weekdays: Annotated[list[Annotated[int, Meta(ge=1, le=7)]], Meta(min_length=1, max_length=7)] = msgspec.field(
        default_factory=lambda: [1, 2, 3, 4, 5]
    )
    starts_at: time = time(9, 30)
    length_minutes: Annotated[int, Meta(ge=15, le=480)] = 60
    cut_off: time = time(8)
    publish_at: time = time(8, 30)
    place: Name | None = None
    call_link: Annotated[str, Meta(max_length=500, pattern=r"^https://\S+$")] | None = None
    weeks_ahead: Annotated[int, Meta(ge=1, le=26)] = 6
    chair_id: int | None = None
    minute_taker_id: int | None = None
    version: int | None = None  # required to change an existing series


class InviteeIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    agency_id: int
    name: Name
    email: Email


class Meeting(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int
    series_id: int
    series_name: str
    occurrence: date | None
    starts_at: datetime
    length_minutes: int
    ends_at: datetime
    cut_off_at: datetime
    publish_at: datetime
    place: str | None
    call_link: str | None
    state: MeetingState
    chair_id: int | None
    chair_name: str | None
    minute_taker_id: int | None
    minute_taker_name: str | None
    moved_reason: str | None
    cancelled_reason: str | None
    published_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    ordered_by_hand: bool
    version: int
    current_item_id: int | None = None  # the item being discussed (pitstop.live)

    @property
    def extra(self) -> bool:
        return self.occurrence is None


class Attendance(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    status: AttendanceStatus
    present_names: str | None
    information_sent: bool


class Observer(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    organisation: str | None
    statement_signed: bool


class MeetingChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Move a meeting (a new day or time, with a reason), or change its chair and minute-taker."""

    version: int
    starts_at: datetime | None = None
    moved_reason: Reason | None = None
    chair_id: int | None = None
    minute_taker_id: int | None = None


class ExtraMeetingIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    series_id: int
    starts_at: datetime
    length_minutes: Annotated[int, Meta(ge=15, le=480)] | None = None
    chair_id: int | None = None
    minute_taker_id: int | None = None


class AttendanceIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    agency_id: int
    status: AttendanceStatus
    present_names: Annotated[str, Meta(max_length=500)] | None = None
    information_sent: bool = False


class ObserverIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Name
    organisation: Name | None = None
    statement_signed: bool = False

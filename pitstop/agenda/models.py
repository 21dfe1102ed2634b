"""The agenda as coordinators and agencies see it (DOMAIN.md, "The agenda")."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from pitstop.agenda.ordering import Reason
from pitstop.meetings.models import Attendance, Meeting, Observer


class ItemList(StrEnum):
    DISCUSSION = "discussion"
    INFORMATION = "information"  # open cases routed to the allocated worker: untimed


class ItemState(StrEnum):
    OPEN = "open"
    REMOVED = "removed"
    DEFERRED = "deferred"
    MOVED = "moved"  # its meeting was cancelled: the item went to the next meeting
    DISCUSSED = "discussed"


class AgendaPerson(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    family_name: str
    given_names: str | None
    date_of_birth: date | None
    # A withheld address is never stored: `address` is then None and `address_withheld` true.
    address: str | None
    address_withheld: bool
    school: str | None
    present: bool | None
    witnessed: bool | None


class AgendaNotification(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    police_reference: str
    received_at: datetime
    incident_at: datetime | None
    address: str | None
    address_withheld: bool
    postcode: str | None
    circumstances: str
    officer_grade: str
    grade: str  # as screened
    screened_at: datetime
    route: str
    open_case: bool
    allocated_worker: str | None
    potential_escalation: bool
    people: list[AgendaPerson]  # children first


class AgendaItem(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    section: ItemList  # for discussion, or for information
    position: int
    state: ItemState
    # Why it is off the agenda (removed or deferred): coordinators and managers only.
    reason: str | None
    reasons: list[Reason]  # why it sits where it does, in DOMAIN.md's order
    score: int
    grade: str
    minutes: int  # its time box (0 on the "for information" list)
    starts_after: int  # minutes from the start of the meeting
    overrun: bool  # ends after the meeting's length
    carried_from_meeting: int | None
    carried_from_date: date | None
    added_by_hand: bool
    notifications: list[AgendaNotification]


class Agenda(msgspec.Struct, frozen=True, kw_only=True):
    meeting: Meeting
    items: list[AgendaItem]  # for discussion, in order
    information: list[AgendaItem]  # for information, untimed
    off_agenda: list[AgendaItem]  # removed, deferred or moved (coordinators and managers only)
    total_minutes: int
    overrun_minutes: int  # how far the timed items run past the meeting's length (0: they fit)


class MeetingPage(msgspec.Struct, frozen=True, kw_only=True):
    """A meeting with its agenda and attendance, as the user may see it."""

    agenda: Agenda
    attendance: list[Attendance]
    observers: list[Observer]


Reason_ = Annotated[str, Meta(min_length=1, max_length=2_000)]


class ItemChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Remove an item or defer it to the next meeting: always with a reason."""

    version: int
    reason: Reason_


class AddIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int
    police_reference: Annotated[str, Meta(min_length=1, max_length=40)]


class OrderIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The items for discussion in their new order (all of them, by id)."""

    version: int
    items: Annotated[list[int], Meta(max_length=1000)]


class RulesIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int
    weights: dict[Reason, Annotated[int, Meta(ge=0, le=100_000)]]
    time_boxes: dict[Annotated[str, Meta(pattern="^(high|medium|standard)$")], Annotated[int, Meta(ge=0, le=60)]]

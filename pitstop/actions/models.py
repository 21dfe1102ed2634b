"""Actions as agreed at a meeting and chased until they are closed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_POSSIBLE = "not_possible"  # circumstances changed
    NOT_DONE = "not_done"  # the agency did not do it: reported apart


STATUS_LABELS = {
    ActionStatus.OPEN: "Open",
    ActionStatus.DONE: "Done",
    ActionStatus.NOT_POSSIBLE: "Not possible: circumstances changed",
    ActionStatus.NOT_DONE: "Not done by the agency",
}


class Action(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    agenda_item_id: int
    meeting_id: int
    meeting_starts_at: datetime
    police_reference: str  # the item's first notification: how people name the case
    description: str
    owner_agency_id: int
    owner_agency_name: str
    owner_name: str | None
    due_at: datetime
    status: ActionStatus
    completion_note: str | None
    completed_at: datetime | None
    completed_by_name: str | None
    created_by_name: str
    created_at: datetime
    version: int
    overdue: bool  # open and past its due time


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One change in an action's history."""

    version: int
    kind: str  # created, reassigned, completed, reopened
    status: ActionStatus
    owner_agency_name: str
    owner_name: str | None
    due_at: datetime
    note: str | None
    changed_by_name: str
    changed_at: datetime


Description = Annotated[str, Meta(min_length=1, max_length=2_000)]
Person = Annotated[str, Meta(max_length=200)]
Note = Annotated[str, Meta(max_length=5_000)]
Moment = Annotated[datetime, Meta(tz=True)]  # with its offset: a time without one is ambiguous


class ActionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    description: Description
    owner_agency_id: int
    owner_name: Person | None = None
    due_at: Moment


class CompletionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Close an action (done, not possible, not done) or open it again, with a note."""

    status: ActionStatus
    note: Note | None = None
    version: int


class ReassignIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    owner_agency_id: int
    owner_name: Person | None = None
    due_at: Moment
    note: Note | None = None
    version: int

"""The live meeting's JSON API: where the meeting is, and the chair's moves through the agenda.

The stream itself (`/meetings/{id}/live`) serves any signed-in client, a browser or another system."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, put
from litestar.params import JSONBody

from pitstop.accounts import policy
from pitstop.live import discussion
from pitstop.meetings.models import AttendanceStatus, MeetingState
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
CHAIR = requires(policy.Permission.MANAGE_MEETINGS)


class NowOut(msgspec.Struct, frozen=True, kw_only=True):
    meeting_id: int
    state: MeetingState
    current: discussion.Place | None
    previous: discussion.Place | None
    following: discussion.Place | None
    present: list[int]  # agency ids recorded as present
    invited: int
    recorded: int  # agencies that recorded information on the current item
    recorded_agencies: list[str] | None  # which (coordinators and managers only)


class MoveIn(msgspec.Struct, frozen=True, kw_only=True):
    item_id: int
    # The item the client last knew as current (null before the first): a 409 if the meeting has moved since.
    from_item_id: int | None


def _out(found: discussion.Now) -> NowOut:
    return NowOut(
        meeting_id=found.meeting.id,
        state=found.meeting.state,
        current=found.current,
        previous=found.previous,
        following=found.following,
        present=[a.agency_id for a in found.attendance if a.status is AttendanceStatus.PRESENT],
        invited=found.invited,
        recorded=found.recorded,
        recorded_agencies=found.recorded_names,
    )


@get(
    "/api/v1/meetings/{meeting_id:int}/now",
    guards=[VIEW],
    tags=["meetings"],
    summary="Where the meeting is: the item being discussed, the ones either side, who is present",
)
async def where(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> NowOut:
    return _out(await discussion.now(conn, current_identity(request), meeting_id))


@put(
    "/api/v1/meetings/{meeting_id:int}/now",
    guards=[CHAIR],
    tags=["meetings"],
    summary="The chair moves the meeting to an item",
    description=(
        "The meeting must be in progress and the item open on its agenda (422 otherwise). `from_item_id` is "
        "the item the client knew as current: 409 with `current` (the meeting) when it has moved on since."
    ),
)
async def go(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, data: JSONBody[MoveIn]) -> NowOut:
    identity = current_identity(request)
    await discussion.go_to(
        conn,
        actor=identity,
        meeting_id=meeting_id,
        item_id=data.item_id,
        from_item_id=data.from_item_id,
        origin=origin_of(request.scope),
    )
    return _out(await discussion.now(conn, identity, meeting_id))


ROUTES = [where, go]

"""The meetings JSON API: meetings in a date range, one meeting with its attendance, and its agenda.

Agency members (and their systems, with a `meetings:read` token) see only published meetings their
agency is invited to; coordinators and managers see every meeting of the partnership.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import QueryParameter

from pitstop.accounts import policy
from pitstop.agenda import service as agenda
from pitstop.agenda.models import Agenda
from pitstop.errors import Invalid
from pitstop.meetings import queries, service
from pitstop.meetings.models import Attendance, Meeting, Observer
from pitstop.meetings.schedule import LONDON
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
# The longest range one request may ask for.
MAX_DAYS = 366


class MeetingRecord(msgspec.Struct, frozen=True, kw_only=True):
    meeting: Meeting
    attendance: list[Attendance]
    observers: list[Observer]


def day_range(start: date | None, end: date | None, *, default_days: int = 14) -> tuple[datetime, datetime]:
    """London days [start, end] as UTC moments; today and the next `default_days` days by default."""
    first = start or datetime.now(LONDON).date()
    last = end or first + timedelta(days=default_days)
    errors = {}
    if abs(first.year - datetime.now(LONDON).year) > 10:
        errors["query.from"] = "Enter a date within ten years of today"
    elif last < first:
        errors["query.to"] = "The end date must be the same as or after the start date"
    elif (last - first).days > MAX_DAYS:
        errors["query.to"] = f"Ask for {MAX_DAYS} days or fewer"
    if errors:
        raise Invalid(errors)
    return datetime.combine(first, time(), LONDON), datetime.combine(last + timedelta(days=1), time(), LONDON)


@get(
    "/api/v1/meetings",
    guards=[VIEW],
    tags=["meetings"],
    summary="Meetings starting between two London dates (default: today and the next 14 days)",
)
async def listing(
    request: Request[Any, Any, Any],
    conn: Connection,
    start: Annotated[date | None, QueryParameter(name="from", description="First London date")] = None,
    end: Annotated[date | None, QueryParameter(name="to", description="Last London date (included)")] = None,
) -> list[Meeting]:
    first, last = day_range(start, end)
    return await service.upcoming(conn, current_identity(request), first, last, origin_of(request.scope))


@get("/api/v1/meetings/{meeting_id:int}", guards=[VIEW], tags=["meetings"], summary="A meeting and its attendance")
async def one(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> MeetingRecord:
    identity = current_identity(request)
    found = await service.meeting(conn, identity, meeting_id, origin_of(request.scope))
    return MeetingRecord(
        meeting=found,
        attendance=list(await queries.attendance(conn, meeting_id)),
        observers=await queries.observers(conn, meeting_id),
    )


@get(
    "/api/v1/meetings/{meeting_id:int}/agenda",
    guards=[VIEW],
    tags=["meetings"],
    summary="A meeting's agenda in order, each item with the reasons for its place and its time box",
    description=(
        "`items` are for discussion, in order; `information` are open cases routed to the allocated worker "
        "(untimed); `off_agenda` are items removed or deferred, with the reason (coordinators and managers only)."
    ),
)
async def agenda_of(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Agenda:
    return await agenda.agenda(conn, current_identity(request), meeting_id, origin_of(request.scope))


ROUTES = [listing, one, agenda_of]

"""The minutes JSON API: where a meeting's minutes stand, approving and correcting them, and the minutes
across meetings. The document itself is `GET /meetings/{id}/minutes.docx` (pitstop.minutes.pages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, QueryParameter

from pitstop.accounts import policy
from pitstop.errors import Invalid
from pitstop.meetings.schedule import LONDON
from pitstop.minutes import listing, service
from pitstop.minutes.queries import Version
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
APPROVE = requires(policy.Permission.APPROVE_MINUTES)
LIST = requires(policy.Permission.LIST_MINUTES)
DEFAULT_WEEKS = 8
MAX_DAYS = 732


class ApprovalIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int  # the open version, as the client saw it: 409 if it has changed


class CorrectionIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int  # the latest approved version, as the client saw it
    reason: str


@get("/api/v1/meetings/{meeting_id:int}/minutes", guards=[VIEW], tags=["minutes"], summary="Where the minutes stand")
async def standing(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> service.Standing:
    return await service.standing(conn, current_identity(request), meeting_id)


@post(
    "/api/v1/meetings/{meeting_id:int}/minutes/approval",
    guards=[APPROVE],
    tags=["minutes"],
    summary="Approve the open version of the minutes",
    description="Locks the version as it stands, closes the meeting's record and tells the agencies. 409 when "
    "`version` is not the open version (approved meanwhile, or a correction opened).",
    status_code=200,
)
async def approve(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, data: JSONBody[ApprovalIn]
) -> Version:
    return await service.approve(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        version=data.version,
        origin=origin_of(request.scope),
    )


@post(
    "/api/v1/meetings/{meeting_id:int}/minutes/corrections",
    guards=[APPROVE],
    tags=["minutes"],
    summary="Open a correction: the next version, with its reason",
)
async def correct(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, data: JSONBody[CorrectionIn]
) -> Version:
    return await service.correct(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        version=data.version,
        reason=data.reason,
        origin=origin_of(request.scope),
    )


@get("/api/v1/minutes", guards=[LIST], tags=["minutes"], summary="The minutes of held meetings, newest first")
async def across(
    request: Request[Any, Any, Any],
    conn: Connection,
    start: Annotated[date | None, QueryParameter(name="from", description="First London date")] = None,
    end: Annotated[date | None, QueryParameter(name="to", description="Last London date (included)")] = None,
    which: Annotated[str | None, QueryParameter(name="state", pattern="^(draft|approved)$")] = None,
    overdue: Annotated[bool, QueryParameter(name="overdue")] = False,
) -> list[listing.Row]:
    last = end or datetime.now(LONDON).date()
    first = start or last - timedelta(weeks=DEFAULT_WEEKS)
    if last < first:
        raise Invalid({"query.to": "The end date must be the same as or after the start date"})
    if (last - first).days > MAX_DAYS:
        raise Invalid({"query.from": "Choose two years or less"})
    return await listing.listing(
        conn,
        current_identity(request),
        origin_of(request.scope),
        first=first,
        last=last,
        state=which,
        overdue=overdue,
    )


ROUTES = [standing, approve, correct, across]

"""Minutes pages: approving and correcting them from the meeting's page, and the Word downloads.

`GET /meetings/{id}/minutes.docx` serves pages and API clients alike: coordinators and managers get the
full minutes (or `?agency=` an agency's copy), agency members and their systems their agency's copy of
an approved version; `?version=` for an earlier one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.errors import Conflict, Invalid
from pitstop.meetings.pages import number, render_meeting
from pitstop.meetings.schedule import LONDON
from pitstop.minutes import listing, service
from pitstop.minutes.controllers import DEFAULT_WEEKS, MAX_DAYS
from pitstop.notifications.pages import parse_iso_day
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId, request_context

VIEW = requires(policy.Permission.VIEW_MEETINGS)
APPROVE = requires(policy.Permission.APPROVE_MINUTES)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@get("/meetings/{meeting_id:int}/minutes.docx", guards=[VIEW], tags=["minutes"], summary="The minutes (Word)")
async def download(
    request: Request[Any, Any, Any],
    meeting_id: RecordId,
    version: Annotated[
        int | None, QueryParameter(name="version", ge=1, le=10_000, description="An earlier version")
    ] = None,
    agency: Annotated[int | None, QueryParameter(name="agency", ge=1, description="An agency's copy")] = None,
) -> Response[bytes]:
    """Read in one transaction, drawn in a worker process holding no database connection (a burst of
    downloads after an approval must not take the whole pool), and logged as a share in a second
    transaction committed before the file is sent."""
    db, context = request.app.state.db, request_context(request)
    actor, origin = current_identity(request), origin_of(request.scope)
    async with db.unit(context) as conn:
        prepared = await service.prepare_document(
            conn, actor=actor, meeting_id=meeting_id, version=version, agency_id=agency
        )
    content = await request.app.state.minutes_renderer.render(prepared.snapshot)
    async with db.unit(context) as conn:
        await service.disclose(conn, prepared, actor=actor, origin=origin)
    return Response(
        content=content,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{prepared.filename}"', "Cache-Control": "no-store"},
    )


@post("/meetings/{meeting_id:int}/minutes/approve", guards=[APPROVE], include_in_schema=False)
async def approve(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    try:
        await service.approve(
            conn,
            actor=current_identity(request),
            meeting_id=meeting_id,
            version=number(form.get("version")),
            origin=origin_of(request.scope),
        )
    except Conflict:
        return await render_meeting(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/{meeting_id}?done=minutes_approved#minutes", status_code=303)


@post("/meetings/{meeting_id:int}/minutes/correct", guards=[APPROVE], include_in_schema=False)
async def correct(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    reason = str(form.get("reason") or "")
    try:
        await service.correct(
            conn,
            actor=current_identity(request),
            meeting_id=meeting_id,
            version=number(form.get("version")),
            reason=reason,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await render_meeting(
            request, conn, meeting_id, errors=invalid.errors, values={"reason": reason}, status=HTTP_400_BAD_REQUEST
        )
    except Conflict:
        return await render_meeting(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/{meeting_id}?done=minutes_correction#minutes", status_code=303)


LIST = requires(policy.Permission.LIST_MINUTES)
STATES = [("", "Any"), ("draft", "Waiting for approval"), ("approved", "Approved")]


@get("/minutes", guards=[LIST], include_in_schema=False)
async def minutes_list(request: Request[Any, Any, Any], conn: Connection) -> Template:
    """The minutes of held meetings, newest first (the last eight weeks unless dates are chosen)."""
    params = request.query_params
    values = {k: str(params.get(k) or "").strip() for k in ("from", "to", "state", "overdue")}
    errors: dict[str, str] = {}
    today = datetime.now(LONDON).date()
    first = parse_iso_day(values["from"], "from", errors, "The start date") or today - timedelta(weeks=DEFAULT_WEEKS)
    last = parse_iso_day(values["to"], "to", errors, "The end date") or today
    if not errors and last < first:
        errors["to"] = "The end date must be the same as or after the start date"
    elif not errors and (last - first).days > MAX_DAYS:
        errors["to"] = "Choose two years or less"
    if values["state"] not in {value for value, _ in STATES}:
        errors["state"] = "Select a state from the list"
    rows = []
    if not errors:
        rows = await listing.listing(
            conn,
            current_identity(request),
            origin_of(request.scope),
            first=first,
            last=last,
            state=values["state"] or None,
            overdue=values["overdue"] == "yes",
        )
    values["from"], values["to"] = values["from"] or first.isoformat(), values["to"] or last.isoformat()
    return Template(
        template_name="minutes/list.html",
        context={"rows": rows, "values": values, "errors": errors, "state_options": STATES},
        status_code=HTTP_400_BAD_REQUEST if errors else 200,
    )


ROUTES = [download, approve, correct, minutes_list]

"""The live meeting's routes: the stream (`/meetings/{id}/live`, server-sent events for whoever may see the
meeting), the item being discussed now (`/meetings/{id}/now`), the chair's bar that item pages refresh,
and the chair's moves through the agenda."""

from __future__ import annotations

import contextlib
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.information.pages import item_page
from pitstop.live import discussion, events, stream
from pitstop.meetings.pages import number, render_meeting
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
CHAIR = requires(policy.Permission.MANAGE_MEETINGS)


def _last_event_id(request: Request[Any, Any, Any]) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@get("/meetings/{meeting_id:int}/live", guards=[VIEW], include_in_schema=False)
async def live(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> ServerSentEvent:
    """What changes in the meeting, as it is committed. A browser that reconnects sends Last-Event-ID and
    gets every event it missed; a new stream starts from now."""
    identity = current_identity(request)
    meeting = await agenda.visible_meeting(conn, identity, meeting_id)  # 404 for whoever may not see it
    after = _last_event_id(request)
    if after is None:
        after = await events.latest(conn, meeting.id)
    await audit.record(
        conn,
        AuditAction.LIVE_STREAM_OPENED,
        actor=identity,
        origin=origin_of(request.scope),
        record_type="meeting",
        record_id=meeting.id,
        detail={"after": after},
    )
    state = request.app.state
    return ServerSentEvent(
        stream.messages(state.db.pool, state.hub, identity, state.session_policy, meeting.id, after),
        headers={"X-Accel-Buffering": "no"},
    )


@get("/meetings/{meeting_id:int}/now", guards=[VIEW], include_in_schema=False)
async def now(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Redirect:
    """Join the meeting: the item being discussed, or the meeting's page when none is."""
    found = await discussion.now(conn, current_identity(request), meeting_id)
    if found.current is None:
        return Redirect(path=f"/meetings/{meeting_id}", status_code=303)
    return Redirect(path=f"/meetings/{meeting_id}/items/{found.current.item_id}", status_code=303)


@get("/meetings/{meeting_id:int}/now/bar", guards=[VIEW], include_in_schema=False)
async def bar(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template:
    """The meeting's bar on an item page (`?item=` the page's item), read again when the meeting moves on,
    its attendance changes or an agency records information. No case data: item numbers and agencies."""
    found = await discussion.now(conn, current_identity(request), meeting_id)
    page_item = number(request.query_params.get("item"))
    return Template(template_name="live/bar.html", context={"now": found, "page_item": page_item})


@post("/meetings/{meeting_id:int}/now", guards=[CHAIR], include_in_schema=False)
async def move(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    """The chair moves the meeting to an item (next, back, or the one on the page) and goes there."""
    form = await request.form()
    target, page = number(form.get("item")), number(form.get("page"))
    try:
        await discussion.go_to(
            conn,
            actor=current_identity(request),
            meeting_id=meeting_id,
            item_id=target,
            from_item_id=number(form.get("from")) if form.get("from") else None,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _refused(request, conn, meeting_id, page, invalid.errors["item_id"], HTTP_400_BAD_REQUEST)
    except Conflict:
        moved_on = "Someone else moved the meeting on while you were looking: the bar shows where it is now"
        return await _refused(request, conn, meeting_id, page, moved_on, HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/{meeting_id}/items/{target}", status_code=303)


async def _refused(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: int, page: int, message: str, status: int
) -> Template:
    """The page the chair moved from, saying why the meeting did not move (the meeting's page when the
    form named no item page)."""
    if page > 0:
        with contextlib.suppress(NotFound):
            return await item_page(request, conn, meeting_id, page, errors={"now": message}, status=status)
    return await render_meeting(request, conn, meeting_id, errors={"join": message}, status=status)


ROUTES = [live, now, bar, move]

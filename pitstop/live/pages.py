"""The live stream's route: `/meetings/{id}/live`, server-sent events for whoever may see the meeting."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import ServerSentEvent

from pitstop.accounts import policy
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.live import events, stream
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)


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


ROUTES = [live]

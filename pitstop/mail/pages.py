"""The outbox page: every message the partnership's Pitstop has queued, with its state and last error.

For administrators. With no SMTP server configured (as with `make run`), this is where mail waits.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from pitstop.accounts import policy
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.mail import outbox
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection

VIEW = requires(policy.Permission.VIEW_OUTBOX)
STATES = {"queued": "Waiting to be sent", "sent": "Sent", "failed": "Not sent (gave up)"}
STATE_TAGS = {"queued": "govuk-tag--yellow", "sent": "govuk-tag--green", "failed": "govuk-tag--red"}


@get("/admin/outbox", guards=[VIEW], include_in_schema=False)
async def outbox_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    chosen = str(request.query_params.get("state") or "")
    state = chosen if chosen in STATES else None
    messages = await outbox.listing(conn, identity.partnership_id, state=state)
    await audit.record(
        conn,
        AuditAction.OUTBOX_VIEWED,
        actor=identity,
        origin=origin_of(request.scope),
        record_type="mail_outbox",
        detail={"messages": len(messages), "state": state},
    )
    settings = request.app.state.settings
    return Template(
        template_name="admin/outbox.html",
        context={
            "messages": messages,
            "counts": await outbox.counts(conn, identity.partnership_id),
            "state": state,
            "states": STATES,
            "tags": STATE_TAGS,
            "sending": bool(settings.smtp_host),
        },
    )


ROUTES = [outbox_page]

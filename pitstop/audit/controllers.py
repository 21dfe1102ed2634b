"""The audit trail for managers: a filterable page and a JSON API. Both are audited themselves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get
from litestar.response import Template

from pitstop.accounts import policy, queries
from pitstop.audit import service
from pitstop.audit.models import AuditAction, AuditEvent, AuditFilter
from pitstop.db.rows import MAX_ID
from pitstop.errors import Invalid
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection

AUDIT = requires(policy.Permission.VIEW_AUDIT)
LONDON = ZoneInfo("Europe/London")
PAGE_SIZE = 50


def _filter(params: Any) -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """Read the query string into a filter; return it, the raw values and field errors."""
    raw = {k: str(params.get(k, "") or "").strip() for k in ("action", "user_id", "record", "from", "to", "before")}
    errors: dict[str, str] = {}
    action = raw["action"] or None
    if action and action not in AuditAction._value2member_map_:
        errors["action"] = "Select an action from the list"
        action = None
    record_type, _, record_id = raw["record"].partition(":")
    since = _day(raw["from"], "from", errors)
    until = _day(raw["to"], "to", errors)
    if since and until and until < since:
        errors["to"] = "The end date must be the same as or after the start date"
    return (
        AuditFilter(
            action=action,
            user_id=_number(raw["user_id"], "user_id", errors),
            record_type=record_type or None,
            record_id=record_id or None,
            # Dates are London days: from the start of the first to the end of the last.
            since=datetime.combine(since, time(), LONDON) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), LONDON) if until else None,
            before_id=_number(raw["before"], "before", errors),
            limit=PAGE_SIZE,
        ),
        raw,
        errors,
    )


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or day >= date.max:  # the end of a day must still be a date
        errors[field] = "Enter a real date, like 2026-11-26"
        return None
    return day


def _number(value: str, field: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        errors[field] = "Select from the list"
        return None
    return int(value)


@get("/audit", guards=[AUDIT], include_in_schema=False)
async def audit_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    where, raw, errors = _filter(request.query_params)
    events = [] if errors else await service.search(conn, identity, where, origin_of(request.scope))
    people = await queries.list_users(conn, identity.partnership_id)
    older = dict(raw, before=str(events[-1].id)) if len(events) == PAGE_SIZE else None
    return Template(
        template_name="audit/events.html",
        context={
            "events": events,
            "values": raw,
            "errors": errors,
            "action_options": [(a.value, a.label) for a in AuditAction],
            "user_options": [(u.id, u.name) for u in people],
            "older": {k: v for k, v in older.items() if v} if older else None,
        },
        status_code=400 if errors else 200,
    )


class AuditPage(msgspec.Struct, frozen=True):
    events: list[AuditEvent]
    next_before: int | None


@get(
    "/api/v1/audit-events",
    guards=[AUDIT],
    tags=["audit"],
    summary="The partnership's audit trail, newest first (scope audit:read)",
)
async def audit_api(request: Request[Any, Any, Any], conn: Connection) -> AuditPage:
    where, _, errors = _filter(request.query_params)
    if errors:
        raise Invalid({f"query.{k}": v for k, v in errors.items()})
    events = await service.search(conn, current_identity(request), where, origin_of(request.scope))
    return AuditPage(events=events, next_before=events[-1].id if len(events) == PAGE_SIZE else None)


ROUTES = [audit_page, audit_api]

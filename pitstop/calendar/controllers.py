"""The calendar page: closure days for the coming 12 months, the working pattern and the clocks.

Coordinators, managers and administrators may read it; coordinators and administrators may add
and remove the partnership's own closure days and change the working pattern. Thin handlers: the
service checks permission, visibility and versions, and audits.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.calendar import service
from pitstop.calendar.models import NewClosure, PatternChange, WorkingPattern
from pitstop.calendar.working_time import GRADES, WEEKDAY_NAMES, describe_days, describe_hours
from pitstop.db.rows import MAX_ID
from pitstop.errors import Conflict, Invalid
from pitstop.meetings import service as meetings
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_CALENDAR)
MANAGE = requires(policy.Permission.MANAGE_CALENDAR)

DAY_OPTIONS = [(str(number), name, None) for number, name in WEEKDAY_NAMES.items()]
_NOTICES = {
    "added": "The closure day has been added. A meeting scheduled that day is cancelled; its items go to the next.",
    "removed": "The closure day has been removed. Any meeting cancelled for it is back.",
    "pattern": "The working pattern has been saved.",
}


def _text(value: object) -> str:
    return str(value or "")


def _version(value: object) -> int:
    text = _text(value).strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else -1


def _pattern_values(pattern: WorkingPattern) -> dict[str, Any]:
    return {
        "working_days": [str(d) for d in pattern.working_days],
        "day_start": pattern.day_start.strftime("%H:%M"),
        "day_end": pattern.day_end.strftime("%H:%M"),
        "high_hours": str(pattern.high_hours),
        "medium_hours": str(pattern.medium_hours),
        "standard_hours": str(pattern.standard_hours),
        "version": pattern.version,
    }


async def _page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    closure_values: dict[str, str] | None = None,
    pattern_values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    conflict: bool = False,
) -> Template:
    identity = current_identity(request)
    view = await service.overview(conn, identity)
    pattern = view.pattern
    day_hours = service.calendar_of(pattern, ()).day_hours
    clocks = [(grade.capitalize(), describe_hours(getattr(pattern, f"{grade}_hours"), day_hours)) for grade in GRADES]
    return Template(
        template_name="calendar/calendar.html",
        context={
            "view": view,
            "working_days": describe_days(pattern.working_days),
            "clocks": clocks,
            "can_manage": policy.allows(identity, policy.Permission.MANAGE_CALENDAR),
            "closure_values": closure_values or {},
            "pattern_values": pattern_values or _pattern_values(pattern),
            "day_options": DAY_OPTIONS,
            "errors": errors or {},
            "conflict": conflict,
            "notice": _NOTICES.get(_text(request.query_params.get("done"))),
        },
        status_code=status,
    )


@get("/calendar", guards=[VIEW], include_in_schema=False)
async def calendar_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _page(request, conn)


@post("/calendar/closures", guards=[MANAGE], include_in_schema=False)
async def add_closure(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    values = {key: _text(form.get(key)) for key in ("date-day", "date-month", "date-year", "name")}
    new = NewClosure(day=values["date-day"], month=values["date-month"], year=values["date-year"], name=values["name"])
    try:
        await service.add_closure(conn, actor=current_identity(request), new=new, origin=origin_of(request.scope))
    except Invalid as invalid:
        return await _page(request, conn, closure_values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    # The meetings follow at once (the meeting clock would within a minute).
    await meetings.generate_all(conn, current_identity(request).partnership_id)
    return Redirect(path="/calendar?done=added", status_code=303)


@post("/calendar/closures/{closure_id:int}/delete", guards=[MANAGE], include_in_schema=False)
async def remove_closure(request: Request[Any, Any, Any], conn: Connection, closure_id: RecordId) -> Redirect:
    await service.remove_closure(
        conn, actor=current_identity(request), closure_id=closure_id, origin=origin_of(request.scope)
    )
    await meetings.generate_all(conn, current_identity(request).partnership_id)
    return Redirect(path="/calendar?done=removed", status_code=303)


@post("/calendar/pattern", guards=[MANAGE], include_in_schema=False)
async def update_pattern(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    values: dict[str, Any] = {
        "working_days": [_text(d) for d in form.getall("working_days", [])],
        **{
            key: _text(form.get(key))
            for key in ("day_start", "day_end", "high_hours", "medium_hours", "standard_hours")
        },
        "version": _version(form.get("version")),
    }
    try:
        await service.update_pattern(
            conn, actor=current_identity(request), change=PatternChange(**values), origin=origin_of(request.scope)
        )
    except Invalid as invalid:
        return await _page(request, conn, pattern_values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        # Someone saved first: show what is there now; nothing of ours was written.
        return await _page(request, conn, status=HTTP_409_CONFLICT, conflict=True)
    return Redirect(path="/calendar?done=pattern", status_code=303)


ROUTES = [calendar_page, add_closure, remove_closure, update_pattern]

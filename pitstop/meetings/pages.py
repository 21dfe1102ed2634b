"""Meeting pages: upcoming meetings, the meeting page (agenda with reasons, attendance, state), moving,
cancelling and adding a meeting, recording attendance, and the meeting series with its invitees.

Thin handlers: read the form, call the service (which checks permission, need to know and versions,
and audits), then redirect or show the page again with the GOV.UK error summary (400) or the conflict
banner (409). Every form works without JavaScript.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.accounts.models import Role
from pitstop.actions import service as actions
from pitstop.actions.models import STATUS_LABELS as ACTION_LABELS
from pitstop.agenda.ordering import REASON_LABELS
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.db.rows import MAX_ID
from pitstop.errors import Conflict, Invalid
from pitstop.information import service as information
from pitstop.invites import service as invites
from pitstop.meetings import queries, service
from pitstop.meetings.models import (
    STATE_LABELS,
    AttendanceIn,
    AttendanceStatus,
    ExtraMeetingIn,
    MeetingChange,
    MeetingState,
    ObserverIn,
    SeriesIn,
)
from pitstop.meetings.schedule import LONDON, local_day
from pitstop.minutes import service as minutes
from pitstop.notifications.pages import LABELS, age
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
MANAGE = requires(policy.Permission.MANAGE_MEETINGS)
SERIES = requires(policy.Permission.MANAGE_SERIES)

STATE_TAGS = {
    MeetingState.SCHEDULED: "govuk-tag--grey",
    MeetingState.AGENDA_PUBLISHED: "govuk-tag--blue",
    MeetingState.IN_PROGRESS: "govuk-tag--yellow",
    MeetingState.HELD: "govuk-tag--green",
    MeetingState.CANCELLED: "govuk-tag--red",
}
WEEKDAYS = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]
MEETING_LABELS = {**LABELS, "state": STATE_LABELS, "state_tag": STATE_TAGS, "reason": REASON_LABELS}
_NOTICES = {
    "published": "The agenda has been published. The invited agencies can see it now.",
    "start": "The meeting has started.",
    "end": "The meeting has been recorded as held.",
    "minutes_approved": "The minutes have been approved. Each invited agency's representatives are being told.",
    "minutes_correction": "A correction is open: record the changes, then approve the new version.",
    "cancelled": "The meeting has been cancelled. Its items have moved to the next meeting.",
    "changed": "The meeting has been changed.",
    "attendance": "Attendance has been saved.",
    "observer": "The observer has been added.",
    "added": "The meeting has been added.",
    "series": "The meeting series has been saved.",
    "invitee": "The invitees have been updated.",
    "ended": "The series has ended. Its meetings still to come are cancelled.",
}
_STEPS = {"publish": "published", "start": "start", "end": "end"}


def number(value: object) -> int:
    """A whole number from a form field; -1 (matches no version or id) for anything else."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else -1


def parse_day_time(day: str, clock: str, errors: dict[str, str], field: str) -> datetime | None:
    """A London date (YYYY-MM-DD) and time (HH:MM) as an aware datetime; an error under `field` otherwise."""
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        errors[field] = "Enter the date, like 2027-01-04"
        return None
    today = datetime.now(LONDON).date()
    if abs((parsed_day - today).days) > 366:
        errors[field] = "Enter a date within a year of today"
        return None
    parsed_time = service.parse_clock(clock.strip())
    if parsed_time is None:
        errors[f"{field}_time"] = "Enter the time, like 09:30"
        return None
    return datetime.combine(parsed_day, parsed_time, tzinfo=LONDON)


def _notice(request: Request[Any, Any, Any]) -> str | None:
    return _NOTICES.get(str(request.query_params.get("done", "")))


# ---- upcoming meetings --------------------------------------------------------------------------


@get("/meetings", guards=[VIEW], include_in_schema=False)
async def upcoming(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    today = datetime.now(LONDON).date()
    show_past = request.query_params.get("past") == "yes"
    first = today - timedelta(days=14) if show_past else today
    found = await service.upcoming(
        conn,
        identity,
        datetime.combine(first, time(), LONDON),
        datetime.combine(today + timedelta(days=29), time(), LONDON),
        origin_of(request.scope),
    )
    return Template(
        template_name="meetings/upcoming.html",
        context={
            "meetings": found,
            "show_past": show_past,
            "can_manage": policy.allows(identity, policy.Permission.MANAGE_MEETINGS),
            "can_series": policy.allows(identity, policy.Permission.MANAGE_SERIES),
            "labels": MEETING_LABELS,
            "notice": _notice(request),
        },
    )


# ---- the meeting page ---------------------------------------------------------------------------


async def render_meeting(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    shown = await service.page(conn, identity, meeting_id, origin_of(request.scope))
    meeting = shown.agenda.meeting
    day = local_day(meeting.starts_at)
    can_manage = policy.allows(identity, policy.Permission.MANAGE_MEETINGS)
    held = MeetingState.HELD
    return Template(
        template_name="meetings/meeting.html",
        context={
            "page": shown,
            "m": meeting,
            "agenda": shown.agenda,
            "day": day,
            "age": lambda born: age(born, day),
            "can_manage": can_manage,
            # Its time has passed but nobody recorded it as held (or cancelled it): its items wait on it.
            "overdue": meeting.state
            in (MeetingState.SCHEDULED, MeetingState.AGENDA_PUBLISHED, MeetingState.IN_PROGRESS)
            and meeting.ends_at < datetime.now(UTC),
            "can_record": can_manage and identity.user_id in (meeting.chair_id, meeting.minute_taker_id),
            "sees_everything": identity.has_role(Role.COORDINATOR, Role.MANAGER),
            "checked": await information.checked_counts(conn, meeting_id),
            "review": await actions.review(conn, identity, meeting, origin_of(request.scope)),
            "action_labels": ACTION_LABELS,
            "invited_count": len(shown.attendance),
            "prepares": policy.allows(identity, policy.Permission.RECORD_INFORMATION)
            and any(a.agency_id == identity.agency_id for a in shown.attendance),
            "values": values or {},
            "errors": errors or {},
            "conflict": conflict,
            "notice": _notice(request),
            "labels": MEETING_LABELS,
            "minutes": await minutes.standing(conn, identity, meeting_id) if meeting.state is held else None,
        },
        status_code=status,
    )


@get("/meetings/{meeting_id:int}", guards=[VIEW], include_in_schema=False)
async def meeting_page(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template:
    return await render_meeting(request, conn, meeting_id)


@post("/meetings/{meeting_id:int}/state", guards=[MANAGE], include_in_schema=False)
async def change_state(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    step = str(form.get("step") or "")
    if step not in _STEPS:
        return await render_meeting(request, conn, meeting_id, errors={"meeting": "Choose what to do"}, status=400)
    try:
        await service.advance(
            conn,
            actor=current_identity(request),
            meeting_id=meeting_id,
            version=number(form.get("version")),
            step=step,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await render_meeting(request, conn, meeting_id, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await render_meeting(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    if step == "start":  # the chair goes to the top of the agenda; the bar there moves the meeting on
        return Redirect(path=f"/meetings/{meeting_id}/now", status_code=303)
    return Redirect(path=f"/meetings/{meeting_id}?done={_STEPS[step]}", status_code=303)


@post("/meetings/{meeting_id:int}/cancel", guards=[MANAGE], include_in_schema=False)
async def cancel(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    reason = str(form.get("reason") or "")
    try:
        await service.cancel(
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
    return Redirect(path=f"/meetings/{meeting_id}?done=cancelled", status_code=303)


# ---- moving a meeting, its chair and minute-taker -------------------------------------------------


async def _change_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    found = await service.meeting(conn, identity, meeting_id, origin_of(request.scope))
    starts = found.starts_at.astimezone(LONDON)
    defaults = {
        "version": str(found.version),
        "day": starts.date().isoformat(),
        "day_time": starts.strftime("%H:%M"),
        "moved_reason": "",
        "chair_id": str(found.chair_id or ""),
        "minute_taker_id": str(found.minute_taker_id or ""),
    }
    if values and not conflict:
        defaults |= values
    return Template(
        template_name="meetings/change.html",
        context={
            "m": found,
            "values": defaults,
            "errors": errors or {},
            "conflict": conflict,
            "coordinators": await queries.coordinators(conn, found.partnership_id),
            "labels": MEETING_LABELS,
        },
        status_code=status,
    )


@get("/meetings/{meeting_id:int}/change", guards=[MANAGE], include_in_schema=False)
async def change_form(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template:
    return await _change_page(request, conn, meeting_id)


@post("/meetings/{meeting_id:int}/change", guards=[MANAGE], include_in_schema=False)
async def change(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values = {
        k: str(form.get(k) or "") for k in ("version", "day", "day_time", "moved_reason", "chair_id", "minute_taker_id")
    }
    errors: dict[str, str] = {}
    starts = parse_day_time(values["day"], values["day_time"], errors, "day")
    if errors:
        return await _change_page(request, conn, meeting_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    try:
        await service.change(
            conn,
            actor=current_identity(request),
            meeting_id=meeting_id,
            form=MeetingChange(
                version=number(values["version"]),
                starts_at=starts,
                moved_reason=values["moved_reason"].strip() or None,
                chair_id=number(values["chair_id"]) if values["chair_id"] else None,
                minute_taker_id=number(values["minute_taker_id"]) if values["minute_taker_id"] else None,
            ),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        errors = {("day" if k == "starts_at" else k): v for k, v in invalid.errors.items()}
        return await _change_page(request, conn, meeting_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await _change_page(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/{meeting_id}?done=changed", status_code=303)


# ---- an extra meeting ---------------------------------------------------------------------------


async def _extra_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    active = [s for s in await queries.series_list(conn, identity.partnership_id) if s.active]
    return Template(
        template_name="meetings/extra.html",
        context={
            "values": values or {"series_id": "", "day": "", "day_time": "", "chair_id": "", "minute_taker_id": ""},
            "errors": errors or {},
            "series": active,
            "series_options": [(s.id, s.name) for s in active],
            "coordinators": await queries.coordinators(conn, identity.partnership_id),
        },
        status_code=status,
    )


@get("/meetings/new", guards=[MANAGE], include_in_schema=False)
async def extra_form(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _extra_page(request, conn)


@post("/meetings/new", guards=[MANAGE], include_in_schema=False)
async def extra(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("series_id", "day", "day_time", "chair_id", "minute_taker_id")}
    errors: dict[str, str] = {}
    if number(values["series_id"]) < 1:
        errors["series_id"] = "Select the meeting series"
    starts = parse_day_time(values["day"], values["day_time"], errors, "day")
    if errors:
        return await _extra_page(request, conn, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    assert starts is not None
    try:
        added = await service.add_extra(
            conn,
            actor=current_identity(request),
            form=ExtraMeetingIn(
                series_id=number(values["series_id"]),
                starts_at=starts,
                chair_id=number(values["chair_id"]) if values["chair_id"] else None,
                minute_taker_id=number(values["minute_taker_id"]) if values["minute_taker_id"] else None,
            ),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        errors = {("day" if k == "starts_at" else k): v for k, v in invalid.errors.items()}
        return await _extra_page(request, conn, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    return Redirect(path=f"/meetings/{added.id}?done=added", status_code=303)


# ---- attendance ---------------------------------------------------------------------------------


async def _attendance_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    found = await service.meeting(conn, identity, meeting_id, origin_of(request.scope))
    rows = await queries.attendance(conn, meeting_id)
    defaults: dict[str, str] = {}
    for row in rows:
        defaults[f"status_{row.agency_id}"] = row.status.value
        defaults[f"present_names_{row.agency_id}"] = row.present_names or ""
        defaults[f"information_sent_{row.agency_id}"] = "yes" if row.information_sent else ""
        defaults[f"version_{row.agency_id}"] = str(row.version)
    if values and not conflict:
        defaults |= {k: v for k, v in values.items() if not k.startswith("version_")}
    return Template(
        template_name="meetings/attendance.html",
        context={
            "m": found,
            "rows": rows,
            "observers": await queries.observers(conn, meeting_id),
            "values": defaults,
            "errors": errors or {},
            "conflict": conflict,
            "statuses": [(s.value, s.label) for s in AttendanceStatus],
            "can_record": identity.user_id in (found.chair_id, found.minute_taker_id),
            "notice": _notice(request),
        },
        status_code=status,
    )


@get("/meetings/{meeting_id:int}/attendance", guards=[MANAGE], include_in_schema=False)
async def attendance_form(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template:
    return await _attendance_page(request, conn, meeting_id)


@post("/meetings/{meeting_id:int}/attendance", guards=[MANAGE], include_in_schema=False)
async def attendance(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    rows = []
    for agency_id in sorted({number(k.removeprefix("version_")) for k in values if k.startswith("version_")}):
        status = values.get(f"status_{agency_id}", "")
        rows.append(
            (
                AttendanceIn(
                    agency_id=agency_id,
                    status=AttendanceStatus(status)
                    if status in AttendanceStatus._value2member_map_
                    else AttendanceStatus.NOT_RECORDED,
                    present_names=values.get(f"present_names_{agency_id}", "")[:500],
                    information_sent=values.get(f"information_sent_{agency_id}") == "yes",
                ),
                number(values.get(f"version_{agency_id}")),
            )
        )
    try:
        await service.record_attendance(
            conn, actor=current_identity(request), meeting_id=meeting_id, rows=rows, origin=origin_of(request.scope)
        )
    except Invalid as invalid:
        return await _attendance_page(
            request, conn, meeting_id, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST
        )
    except Conflict:
        return await _attendance_page(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/{meeting_id}/attendance?done=attendance", status_code=303)


@post("/meetings/{meeting_id:int}/observers", guards=[MANAGE], include_in_schema=False)
async def add_observer(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("observer_name", "observer_organisation", "statement_signed")}
    errors = {}
    if not values["observer_name"].strip():
        errors["observer_name"] = "Enter the observer's name"
    if values["statement_signed"] not in ("yes", "no"):
        errors["statement_signed"] = "Select whether they have signed the confidentiality statement"
    if not errors:
        try:
            await service.add_observer(
                conn,
                actor=current_identity(request),
                meeting_id=meeting_id,
                form=ObserverIn(
                    name=values["observer_name"].strip()[:200],
                    organisation=values["observer_organisation"].strip()[:200] or None,
                    statement_signed=values["statement_signed"] == "yes",
                ),
                origin=origin_of(request.scope),
            )
            return Redirect(path=f"/meetings/{meeting_id}/attendance?done=observer", status_code=303)
        except Invalid as invalid:
            errors = invalid.errors
    return await _attendance_page(request, conn, meeting_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)


# ---- the meeting series -------------------------------------------------------------------------


@get("/meetings/series", guards=[SERIES], include_in_schema=False)
async def series_list(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="meetings/series_list.html",
        context={"series": await service.series_list(conn, identity), "weekdays": dict(WEEKDAYS)},
    )


_SERIES_FIELDS = (
    "version",
    "name",
    "starts_at",
    "length_minutes",
    "cut_off",
    "publish_at",
    "place",
    "call_link",
    "weeks_ahead",
    "chair_id",
    "minute_taker_id",
)


def _series_values(found: Any) -> dict[str, Any]:
    if found is None:
        form = SeriesIn(name="Daily pitstop")
        version = ""
    else:
        form = found
        version = str(found.version)
    return {
        "version": version,
        "name": "" if found is None else form.name,
        "weekdays": [str(d) for d in form.weekdays],
        "starts_at": form.starts_at.strftime("%H:%M"),
        "length_minutes": str(form.length_minutes),
        "cut_off": form.cut_off.strftime("%H:%M"),
        "publish_at": form.publish_at.strftime("%H:%M"),
        "place": form.place or "",
        "call_link": form.call_link or "",
        "weeks_ahead": str(form.weeks_ahead),
        "chair_id": str(form.chair_id or ""),
        "minute_taker_id": str(form.minute_taker_id or ""),
    }


async def _series_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    series_id: int | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    found = await service.view_series(conn, identity, series_id, origin_of(request.scope)) if series_id else None
    shown = _series_values(found)
    if values and not conflict:
        shown |= {k: v for k, v in values.items() if k != "version"}
    agencies = await conn.fetch(
        "SELECT id, name FROM agency WHERE partnership_id = $1 AND active ORDER BY name", identity.partnership_id
    )
    return Template(
        template_name="meetings/series.html",
        context={
            "series": found,
            "values": shown,
            "errors": errors or {},
            "conflict": conflict,
            "weekday_options": [(str(d), name, None) for d, name in WEEKDAYS],
            "coordinators": await queries.coordinators(conn, identity.partnership_id),
            "agencies": [(r["id"], r["name"]) for r in agencies],
            "notice": _notice(request),
        },
        status_code=status,
    )


def _read_series(form: Any) -> tuple[SeriesIn | None, dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in _SERIES_FIELDS}
    values["weekdays"] = [str(v) for v in form.getall("weekdays", [])]
    errors: dict[str, str] = {}
    if not values["name"].strip():
        errors["name"] = "Enter a name for the meeting"
    weekdays = [number(d) for d in values["weekdays"] if 1 <= number(d) <= 7]
    if not weekdays:
        errors["weekdays"] = "Select the days the meeting is held"
    clocks = {}
    for field, label in (("starts_at", "start time"), ("cut_off", "agenda cut-off"), ("publish_at", "publish time")):
        clocks[field] = service.parse_clock(values[field])
        if clocks[field] is None:
            errors[field] = f"Enter the {label}, like 09:30"
    length = number(values["length_minutes"])
    if not 15 <= length <= 480:
        errors["length_minutes"] = "Enter the length in minutes, from 15 to 480"
    weeks = number(values["weeks_ahead"])
    if not 1 <= weeks <= 26:
        errors["weeks_ahead"] = "Enter how many weeks ahead, from 1 to 26"
    link = values["call_link"].strip()
    if link and (not link.startswith("https://") or " " in link or len(link) > 500):
        errors["call_link"] = "Enter the call link starting with https://"
    if len(values["name"]) > 200 or len(values["place"]) > 200:
        errors.setdefault("place", "The name and place must be 200 characters or fewer")
    if errors:
        return None, values, errors
    return (
        SeriesIn(
            name=values["name"].strip(),
            weekdays=weekdays,
            starts_at=clocks["starts_at"],  # type: ignore[arg-type]
            length_minutes=length,
            cut_off=clocks["cut_off"],  # type: ignore[arg-type]
            publish_at=clocks["publish_at"],  # type: ignore[arg-type]
            place=values["place"].strip() or None,
            call_link=link or None,
            weeks_ahead=weeks,
            chair_id=number(values["chair_id"]) if values["chair_id"] else None,
            minute_taker_id=number(values["minute_taker_id"]) if values["minute_taker_id"] else None,
            version=number(values["version"]) if values["version"] else None,
        ),
        values,
        {},
    )


@get("/meetings/series/new", guards=[SERIES], include_in_schema=False)
async def series_new_form(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _series_page(request, conn, None)


@post("/meetings/series/new", guards=[SERIES], include_in_schema=False)
async def series_new(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form, values, errors = _read_series(await request.form())
    if form is not None:
        try:
            made = await service.create_series(
                conn, actor=current_identity(request), form=form, origin=origin_of(request.scope)
            )
            return Redirect(path=f"/meetings/series/{made.id}?done=series", status_code=303)
        except Invalid as invalid:
            errors = invalid.errors
    return await _series_page(request, conn, None, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)


@get("/meetings/series/{series_id:int}", guards=[SERIES], include_in_schema=False)
async def series_form(request: Request[Any, Any, Any], conn: Connection, series_id: RecordId) -> Template:
    return await _series_page(request, conn, series_id)


@post("/meetings/series/{series_id:int}", guards=[SERIES], include_in_schema=False)
async def series_update(request: Request[Any, Any, Any], conn: Connection, series_id: RecordId) -> Template | Redirect:
    form, values, errors = _read_series(await request.form())
    if form is not None:
        try:
            await service.update_series(
                conn, actor=current_identity(request), series_id=series_id, form=form, origin=origin_of(request.scope)
            )
            return Redirect(path=f"/meetings/series/{series_id}?done=series", status_code=303)
        except Invalid as invalid:
            errors = invalid.errors
        except Conflict:
            return await _series_page(request, conn, series_id, conflict=True, status=HTTP_409_CONFLICT)
    return await _series_page(request, conn, series_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)


@post("/meetings/series/{series_id:int}/invitees", guards=[SERIES], include_in_schema=False)
async def add_invitee(request: Request[Any, Any, Any], conn: Connection, series_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("agency_id", "invitee_name", "invitee_email")}
    try:
        await service.add_invitee(
            conn,
            actor=current_identity(request),
            series_id=series_id,
            version=number(form.get("version")),
            agency_id=number(values["agency_id"]),
            name=values["invitee_name"][:200],
            email=values["invitee_email"][:254],
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        errors = {{"name": "invitee_name", "email": "invitee_email"}.get(k, k): v for k, v in invalid.errors.items()}
        return await _series_page(request, conn, series_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await _series_page(request, conn, series_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/series/{series_id}?done=invitee#invitees", status_code=303)


@post("/meetings/series/{series_id:int}/invitees/{invitee_id:int}/remove", guards=[SERIES], include_in_schema=False)
async def remove_invitee(
    request: Request[Any, Any, Any], conn: Connection, series_id: RecordId, invitee_id: RecordId
) -> Template | Redirect:
    form = await request.form()
    try:
        await service.remove_invitee(
            conn,
            actor=current_identity(request),
            series_id=series_id,
            version=number(form.get("version")),
            invitee_id=invitee_id,
            origin=origin_of(request.scope),
        )
    except Conflict:
        return await _series_page(request, conn, series_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/series/{series_id}?done=invitee#invitees", status_code=303)


@post("/meetings/series/{series_id:int}/end", guards=[SERIES], include_in_schema=False)
async def end_series(request: Request[Any, Any, Any], conn: Connection, series_id: RecordId) -> Template | Redirect:
    form = await request.form()
    reason = str(form.get("end_reason") or "")
    try:
        await service.end_series(
            conn,
            actor=current_identity(request),
            series_id=series_id,
            version=number(form.get("version")),
            reason=reason,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        errors = {("end_reason" if k == "reason" else k): v for k, v in invalid.errors.items()}
        values = {"end_reason": reason[:500]}
        return await _series_page(request, conn, series_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await _series_page(request, conn, series_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/series/{series_id}?done=ended", status_code=303)


async def _calendar_file(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: int, whole: bool
) -> Response[bytes]:
    identity = current_identity(request)
    found = await service.meeting(conn, identity, meeting_id, origin_of(request.scope))  # 404s, and audits
    if whole:
        series = await queries.series(conn, found.series_id)
        assert series is not None
        payload = await invites.series_file(conn, series)
    else:
        payload = await invites.meeting_file(conn, found)
    await audit.record(
        conn,
        AuditAction.CALENDAR_DOWNLOADED,
        actor=identity,
        origin=origin_of(request.scope),
        record_type="meeting_series" if whole else "meeting",
        record_id=found.series_id if whole else found.id,
    )
    name = "pitstop-series.ics" if whole else f"pitstop-{local_day(found.starts_at).isoformat()}.ics"
    return Response(
        payload,
        media_type="text/calendar; charset=utf-8; method=PUBLISH",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/meetings/{meeting_id:int}/meeting.ics", guards=[VIEW], include_in_schema=False)
async def meeting_ics(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Response[bytes]:
    return await _calendar_file(request, conn, meeting_id, whole=False)


@get("/meetings/{meeting_id:int}/series.ics", guards=[VIEW], include_in_schema=False)
async def series_ics(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Response[bytes]:
    return await _calendar_file(request, conn, meeting_id, whole=True)


ROUTES = [
    meeting_ics,
    series_ics,
    upcoming,
    meeting_page,
    change_state,
    cancel,
    change_form,
    change,
    extra_form,
    extra,
    attendance_form,
    attendance,
    add_observer,
    series_list,
    series_new_form,
    series_new,
    series_form,
    series_update,
    add_invitee,
    remove_invitee,
    end_series,
]

"""Meeting series, the meetings they generate, single-meeting changes, states and attendance.

A series generates its meetings `weeks_ahead` weeks ahead on its weekdays, skipping closed days (bank
holidays and the partnership's closure days). A generated day is never generated twice, even when its
meeting was moved or cancelled. Changing a series re-times its future meetings that were not moved,
and cancels those that no longer fall on a meeting day, so their agenda items go to the next meeting.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.actions import reminders
from pitstop.agenda import service as agenda
from pitstop.agenda.models import ItemState, MeetingPage
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.calendar import service as calendar
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.invites import service as invites
from pitstop.live import events
from pitstop.meetings import queries
from pitstop.meetings.models import (
    OPEN_STATES,
    PUBLISHED_STATES,
    AttendanceIn,
    AttendanceStatus,
    ExtraMeetingIn,
    Meeting,
    MeetingChange,
    MeetingState,
    ObserverIn,
    Series,
    SeriesIn,
)
from pitstop.meetings.schedule import LONDON, Times, meeting_days, times
from pitstop.minutes import queries as minutes_queries

log = logging.getLogger(__name__)

# The same rule as series_invitee_email_format in 0008_meetings.sql.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# ---- series -------------------------------------------------------------------------------------


async def _series_errors(conn: asyncpg.Connection, partnership_id: int, form: SeriesIn) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = "Enter a name for the meeting"
    if form.cut_off > form.publish_at:
        errors["cut_off"] = "The agenda cut-off must be no later than the publish time"
    if form.publish_at > form.starts_at:
        errors["publish_at"] = "The agenda must be published no later than the meeting starts"
    if not (form.place or "").strip() and not form.call_link:
        errors["place"] = "Enter a place or a call link"
    if (datetime.combine(date(2000, 1, 1), form.starts_at) + timedelta(minutes=form.length_minutes)).date() != date(
        2000, 1, 1
    ):
        errors["length_minutes"] = "The meeting must end on the day it starts"
    return errors | await _check_people(conn, partnership_id, form.chair_id, form.minute_taker_id)


async def series_list(conn: asyncpg.Connection, actor: Identity) -> list[Series]:
    policy.require(actor, policy.Permission.MANAGE_SERIES)
    return await queries.series_list(conn, actor.partnership_id)


async def series(conn: asyncpg.Connection, actor: Identity, series_id: int, *, lock: bool = False) -> Series:
    policy.require(actor, policy.Permission.MANAGE_SERIES)
    found = await queries.series(conn, series_id, lock=lock)
    policy.visible(actor, "meeting_series", found, found.partnership_id if found else None)
    assert found is not None
    return found


async def view_series(conn: asyncpg.Connection, actor: Identity, series_id: int, origin: audit.Origin) -> Series:
    """The series as its page shows it (with its invitees' names and addresses): audited."""
    found = await series(conn, actor, series_id)
    await audit.record(
        conn,
        AuditAction.MEETING_SERIES_VIEWED,
        actor=actor,
        origin=origin,
        record_type="meeting_series",
        record_id=series_id,
    )
    return found


async def _series_to_change(conn: asyncpg.Connection, actor: Identity, series_id: int, version: int | None) -> Series:
    """The series, locked, at the version the form was drawn from (409 otherwise)."""
    await agenda.lock_agendas(conn, actor.partnership_id)  # first: its meetings may change
    current = await series(conn, actor, series_id, lock=True)
    if version != current.version:
        raise Conflict("the meeting series changed since it was opened", current=current)
    if not current.active:
        raise Invalid({"name": "This series has ended. Set up a new series to meet again"})
    return current


async def create_series(
    conn: asyncpg.Connection, *, actor: Identity, form: SeriesIn, origin: audit.Origin, today: date | None = None
) -> Series:
    policy.require(actor, policy.Permission.MANAGE_SERIES)
    await agenda.lock_agendas(conn, actor.partnership_id)
    if errors := await _series_errors(conn, actor.partnership_id, form):
        raise Invalid(errors)
    series_id = await queries.insert_series(conn, actor.partnership_id, form)
    await audit.record(
        conn,
        AuditAction.MEETING_SERIES_CREATED,
        actor=actor,
        origin=origin,
        record_type="meeting_series",
        record_id=series_id,
    )
    created = await queries.series(conn, series_id)
    assert created is not None
    await generate(conn, created, today=today)
    return created


async def update_series(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    series_id: int,
    form: SeriesIn,
    origin: audit.Origin,
    today: date | None = None,
) -> Series:
    current = await _series_to_change(conn, actor, series_id, form.version)
    if errors := await _series_errors(conn, actor.partnership_id, form):
        raise Invalid(errors)
    await queries.update_series(conn, series_id, form, current.version)
    await audit.record(
        conn,
        AuditAction.MEETING_SERIES_UPDATED,
        actor=actor,
        origin=origin,
        record_type="meeting_series",
        record_id=series_id,
    )
    updated = await queries.series(conn, series_id)
    assert updated is not None
    # A change of days starts a new UID first, so the days it drops are not cancelled one by one; the
    # invites are sent once the meetings follow the change.
    change = await invites.series_changing(conn, current, updated)
    await generate(conn, updated, today=today)
    await invites.series_changed(conn, current, updated, change)
    return updated


async def add_invitee(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    series_id: int,
    version: int,
    agency_id: int,
    name: str,
    email: str,
    origin: audit.Origin,
) -> None:
    current = await _series_to_change(conn, actor, series_id, version)
    errors: dict[str, str] = {}
    agency = await queries.agency_of(conn, agency_id)
    if agency is None or agency["partnership_id"] != actor.partnership_id or not agency["active"]:
        errors["agency_id"] = "Select the agency"
    if not name.strip():
        errors["name"] = "Enter the representative's name"
    address = email.strip().lower()
    if not EMAIL.fullmatch(address) or len(address) > 254:
        errors["email"] = "Enter a work email address in the correct format, like name@example.org"
    if errors:
        raise Invalid(errors)
    if await queries.add_invitee(conn, actor.partnership_id, series_id, agency_id, name, address) is None:
        raise Invalid({"email": "This address is already invited"})
    await invites.invitee_added(conn, current, name.strip(), address)
    await queries.bump_series(conn, series_id, version)
    await queries.invite_agencies_to_series_meetings(conn, series_id)
    await audit.record(
        conn,
        AuditAction.SERIES_INVITEE_ADDED,
        actor=actor,
        origin=origin,
        record_type="meeting_series",
        record_id=series_id,
        detail={"agency_id": agency_id},
    )


async def remove_invitee(
    conn: asyncpg.Connection, *, actor: Identity, series_id: int, version: int, invitee_id: int, origin: audit.Origin
) -> None:
    current = await _series_to_change(conn, actor, series_id, version)
    leaving = await queries.invitee(conn, series_id, invitee_id)
    if leaving is None or not await queries.remove_invitee(conn, series_id, invitee_id):
        raise NotFound("series_invitee")
    await invites.invitee_removed(conn, current, leaving.name, leaving.email)
    await queries.bump_series(conn, series_id, version)
    await audit.record(
        conn,
        AuditAction.SERIES_INVITEE_REMOVED,
        actor=actor,
        origin=origin,
        record_type="meeting_series",
        record_id=series_id,
        detail={"invitee_id": invitee_id},
    )


async def end_series(
    conn: asyncpg.Connection, *, actor: Identity, series_id: int, version: int, reason: str, origin: audit.Origin
) -> None:
    """End a series: no more meetings are generated, those still to come are cancelled (their items
    return to the screening queue), and calendars get one cancellation of the whole series."""
    current = await _series_to_change(conn, actor, series_id, version)
    if not reason.strip():
        raise Invalid({"reason": "Enter why the series is ending"})
    if len(reason.strip()) > 500:
        raise Invalid({"reason": "The reason must be 500 characters or fewer"})
    if not await queries.end_series(conn, series_id, version, reason.strip()):
        raise Conflict("the meeting series changed since it was opened", current=current)
    cancelled: list[Meeting] = []
    # Latest first: each one's items find no later meeting of the series open, so they go back to the queue.
    for listed in await queries.meetings_to_come(conn, series_id, datetime.now(UTC)):
        meeting = await queries.meeting(conn, listed.id, lock=True)
        assert meeting is not None
        await _cancel(conn, meeting, f"The series has ended: {reason.strip()}", actor.user_id, notify=False)
        done = await queries.meeting(conn, listed.id)
        assert done is not None
        cancelled.append(done)
        await audit.record(
            conn, AuditAction.MEETING_CANCELLED, actor=actor, origin=origin, record_type="meeting", record_id=done.id
        )
    await invites.series_ended(conn, current, [m for m in cancelled if m.extra])
    await audit.record(
        conn,
        AuditAction.MEETING_SERIES_ENDED,
        actor=actor,
        origin=origin,
        record_type="meeting_series",
        record_id=series_id,
        detail={"meetings_cancelled": len(cancelled)},
    )


# ---- generating ---------------------------------------------------------------------------------


async def closed_days(conn: asyncpg.Connection, partnership_id: int, first: date, last: date) -> set[date]:
    """Bank holidays (from the calendar, and from the `holidays` package for years not yet loaded) and
    the partnership's closure days."""
    loaded = await calendar.load_calendar(conn, partnership_id)
    years = range(first.year, last.year + 1)
    return set(loaded.closed) | {day for day, _ in calendar.bank_holidays(years)}


def series_times(series: Series, day: date) -> Times:
    return times(day, series.starts_at, series.cut_off, series.publish_at)


AUTOMATIC_CANCEL = "No longer a meeting day of the series"


async def generate(
    conn: asyncpg.Connection, series: Series, *, today: date | None = None, include_past: bool = False
) -> int:
    """Bring the series' meetings up to date `weeks_ahead` weeks from today; how many were added.

    Only meetings still to start are generated (a series set up at 10:00 does not get a 09:30 meeting
    that never happened, unless `include_past`, for demo data). Future meetings that nobody moved and
    whose agenda is not published follow the series' times; those whose day is no longer a meeting day
    are cancelled (their items go to the next meeting), and come back if the day is a meeting day again."""
    if not series.active:
        return 0
    await agenda.lock_agendas(conn, series.partnership_id)  # taken already by every caller: re-entrant
    now = datetime.now(UTC)
    first = today or now.astimezone(LONDON).date()
    last = first + timedelta(weeks=series.weeks_ahead)
    closed = await closed_days(conn, series.partnership_id, first, last)
    # Meeting days decide what is cancelled; only those still to start are added.
    wanted = set(meeting_days(series.weekdays, first, last, closed))
    days = sorted(day for day in wanted if include_past or series_times(series, day).starts_at > now)
    for listed in await queries.future_generated(conn, series.id, now):
        meeting = await queries.meeting(conn, listed.id, lock=True)
        assert meeting is not None
        assert meeting.occurrence is not None
        if meeting.state is not MeetingState.SCHEDULED or meeting.moved_reason is not None:
            continue  # published or moved meanwhile: a person's decision stands
        if meeting.occurrence not in wanted and first <= meeting.occurrence <= last:
            await _cancel(conn, meeting, AUTOMATIC_CANCEL, None)
            await audit.record(
                conn,
                AuditAction.MEETING_CANCELLED,
                actor=None,
                origin=audit.Origin(),
                record_type="meeting",
                record_id=meeting.id,
                partnership_id=series.partnership_id,
                detail={"automatic": True},
            )
            continue
        expected = series_times(series, meeting.occurrence)
        if expected.starts_at <= now:
            continue  # never re-timed to a moment already past
        if (meeting.starts_at, meeting.cut_off_at, meeting.publish_at, meeting.length_minutes) != (
            expected.starts_at,
            expected.cut_off_at,
            expected.publish_at,
            series.length_minutes,
        ):
            await queries.set_times(conn, meeting.id, expected, series.length_minutes, None)
            await audit.record(
                conn,
                AuditAction.MEETING_MOVED,
                actor=None,
                origin=audit.Origin(),
                record_type="meeting",
                record_id=meeting.id,
                partnership_id=series.partnership_id,
                detail={"automatic": True},
            )
    for revived in await queries.revive(conn, series.id, days, AUTOMATIC_CANCEL):
        await audit.record(
            conn,
            AuditAction.MEETING_ADDED,
            actor=None,
            origin=audit.Origin(),
            record_type="meeting",
            record_id=revived,
            partnership_id=series.partnership_id,
            detail={"automatic": True},
        )
    return await queries.insert_meetings(conn, series, [(day, series_times(series, day)) for day in days])


async def generate_all(conn: asyncpg.Connection, partnership_id: int | None = None) -> int:
    added = 0
    for found in await queries.active_series(conn, partnership_id):
        await agenda.lock_agendas(conn, found.partnership_id)
        full = await queries.series(conn, found.id, lock=True)
        assert full is not None
        added += await generate(conn, full)
    return added


# ---- reading ------------------------------------------------------------------------------------


async def upcoming(
    conn: asyncpg.Connection, actor: Identity, start: datetime, end: datetime, origin: audit.Origin
) -> list[Meeting]:
    """The meetings this user may see in [start, end): agency members only published ones they are invited to."""
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    if agenda.sees_everything(actor):
        found = await queries.meetings(conn, actor.partnership_id, start, end)
    else:
        found = await queries.meetings(
            conn, actor.partnership_id, start, end, agency_id=actor.agency_id, states=PUBLISHED_STATES
        )
    await audit.record(
        conn,
        AuditAction.MEETINGS_LISTED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        detail={"meetings": len(found)},
    )
    return found


async def meeting(conn: asyncpg.Connection, actor: Identity, meeting_id: int, origin: audit.Origin) -> Meeting:
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    found = await agenda.visible_meeting(conn, actor, meeting_id)
    await audit.record(
        conn, AuditAction.MEETING_VIEWED, actor=actor, origin=origin, record_type="meeting", record_id=meeting_id
    )
    return found


async def page(conn: asyncpg.Connection, actor: Identity, meeting_id: int, origin: audit.Origin) -> MeetingPage:
    """The meeting page: agenda with reasons, attendance and observers. One audit row."""
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    shown = await agenda.agenda(conn, actor, meeting_id, origin, audited=False)
    await audit.record(
        conn,
        AuditAction.MEETING_VIEWED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting_id,
        detail={"items": len(shown.items), "information": len(shown.information)},
    )
    return MeetingPage(
        agenda=shown,
        attendance=list(await queries.attendance(conn, meeting_id)),
        observers=await queries.observers(conn, meeting_id),
    )


# ---- changing one meeting -----------------------------------------------------------------------


async def _changeable(conn: asyncpg.Connection, actor: Identity, meeting_id: int, version: int) -> Meeting:
    policy.require(actor, policy.Permission.MANAGE_MEETINGS)
    await agenda.lock_agendas(conn, actor.partnership_id)
    found = await agenda.visible_meeting(conn, actor, meeting_id, lock=True)
    if version != found.version:
        raise Conflict("the meeting changed since it was opened", current=found)
    return found


async def _check_people(
    conn: asyncpg.Connection, partnership_id: int, chair_id: int | None, minute_taker_id: int | None
) -> dict[str, str]:
    allowed = {uid for uid, _ in await queries.coordinators(conn, partnership_id)}
    errors = {}
    if chair_id is not None and chair_id not in allowed:
        errors["chair_id"] = "Select a coordinator to chair"
    if minute_taker_id is not None and minute_taker_id not in allowed:
        errors["minute_taker_id"] = "Select a coordinator to take the minutes"
    return errors


async def change(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, form: MeetingChange, origin: audit.Origin
) -> Meeting:
    """Move a meeting (to a new start, with a reason) and/or name its chair and minute-taker."""
    found = await _changeable(conn, actor, meeting_id, form.version)
    errors = await _check_people(conn, found.partnership_id, form.chair_id, form.minute_taker_id)
    moving = form.starts_at is not None and form.starts_at != found.starts_at
    if moving:
        if found.state not in OPEN_STATES:
            errors["starts_at"] = "Only a meeting that has not started can be moved"
        elif form.starts_at is not None and form.starts_at <= datetime.now(UTC):
            errors["starts_at"] = "Enter a time in the future"
        if not (form.moved_reason or "").strip():
            errors["moved_reason"] = "Enter why the meeting is moved"
    if errors:
        raise Invalid(errors)
    if moving:
        assert form.starts_at is not None
        assert form.moved_reason is not None
        full = await queries.series(conn, found.series_id)
        assert full is not None
        await queries.set_times(
            conn, found.id, _extra_times(full, form.starts_at), found.length_minutes, form.moved_reason.strip()
        )
        await audit.record(
            conn, AuditAction.MEETING_MOVED, actor=actor, origin=origin, record_type="meeting", record_id=found.id
        )
        moved = await queries.meeting(conn, found.id)
        assert moved is not None
        await invites.occurrence_moved(conn, moved)
    if (form.chair_id, form.minute_taker_id) != (found.chair_id, found.minute_taker_id):
        await queries.set_people(conn, found.id, form.chair_id, form.minute_taker_id)
        await audit.record(
            conn,
            AuditAction.MEETING_PEOPLE_CHANGED,
            actor=actor,
            origin=origin,
            record_type="meeting",
            record_id=found.id,
        )
    changed = await queries.meeting(conn, found.id)
    assert changed is not None
    return changed


def _extra_times(series: Series, starts_at: datetime) -> Times:
    """A moved or extra meeting keeps the series' gaps: cut-off and publication as long before its start
    as the series' are before theirs (08:00 and 08:30 for 09:30: a 14:00 meeting has 12:30 and 13:00)."""
    base = datetime(2000, 1, 3)
    start = datetime.combine(base, series.starts_at)
    cut_off_gap = start - datetime.combine(base, series.cut_off)
    publish_gap = start - datetime.combine(base, series.publish_at)
    begins = starts_at.astimezone(UTC)
    return Times(starts_at=begins, cut_off_at=begins - cut_off_gap, publish_at=begins - publish_gap)


async def add_extra(
    conn: asyncpg.Connection, *, actor: Identity, form: ExtraMeetingIn, origin: audit.Origin
) -> Meeting:
    policy.require(actor, policy.Permission.MANAGE_MEETINGS)
    await agenda.lock_agendas(conn, actor.partnership_id)
    full = await queries.series(conn, form.series_id, lock=True)
    if full is None or full.partnership_id != actor.partnership_id:
        raise Invalid({"series_id": "Select the meeting series"})
    if not full.active:
        raise Invalid({"series_id": "This series has ended: select another"})
    errors = await _check_people(conn, actor.partnership_id, form.chair_id, form.minute_taker_id)
    if form.starts_at <= datetime.now(UTC):
        errors["starts_at"] = "Enter a time in the future"
    if errors:
        raise Invalid(errors)
    meeting_id = await queries.insert_extra(
        conn,
        full,
        _extra_times(full, form.starts_at),
        form.length_minutes or full.length_minutes,
        form.chair_id if form.chair_id is not None else full.chair_id,
        form.minute_taker_id if form.minute_taker_id is not None else full.minute_taker_id,
    )
    await audit.record(
        conn, AuditAction.MEETING_ADDED, actor=actor, origin=origin, record_type="meeting", record_id=meeting_id
    )
    added = await queries.meeting(conn, meeting_id)
    assert added is not None
    await invites.extra_added(conn, added)
    return added


async def _cancel(
    conn: asyncpg.Connection, found: Meeting, reason: str, user_id: int | None, *, notify: bool = True
) -> None:
    """Cancel a meeting; its open items go to the next open meeting (or back to the queue). `notify`
    False: the caller sends calendars one cancellation for many (a series ending)."""
    await queries.set_state(conn, found.id, MeetingState.CANCELLED, user_id, reason)
    if notify:
        cancelled = await queries.meeting(conn, found.id)
        assert cancelled is not None
        await invites.occurrence_cancelled(conn, cancelled)  # its version, and so SEQUENCE, is the latest
    following = await agenda.next_open(conn, found)
    ids = [row.id for row in await agenda.queries.items(conn, found.id, open_only=True)]
    await agenda.carry(conn, found, ids, following, ItemState.MOVED, None, user_id)


async def cancel(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, version: int, reason: str, origin: audit.Origin
) -> None:
    found = await _changeable(conn, actor, meeting_id, version)
    if found.state not in OPEN_STATES:
        raise Invalid({"reason": "Only a meeting that has not started can be cancelled"})
    if not reason.strip():
        raise Invalid({"reason": "Enter why the meeting is cancelled"})
    await _cancel(conn, found, reason.strip(), actor.user_id)
    await audit.record(
        conn, AuditAction.MEETING_CANCELLED, actor=actor, origin=origin, record_type="meeting", record_id=found.id
    )


_NEXT_STATE = {
    "publish": ((MeetingState.SCHEDULED,), MeetingState.AGENDA_PUBLISHED, AuditAction.AGENDA_PUBLISHED),
    "start": ((MeetingState.AGENDA_PUBLISHED,), MeetingState.IN_PROGRESS, AuditAction.MEETING_STARTED),
    "end": ((MeetingState.IN_PROGRESS,), MeetingState.HELD, AuditAction.MEETING_HELD),
}


async def advance(
    conn: asyncpg.Connection, *, actor: Identity | None, meeting_id: int, version: int, step: str, origin: audit.Origin
) -> Meeting:
    """Publish the agenda, start the meeting, or record it as held. `actor` None: Pitstop publishing on time."""
    if actor is not None:
        found = await _changeable(conn, actor, meeting_id, version)
    else:
        found = await queries.meeting(conn, meeting_id, lock=True)  # type: ignore[assignment]
        assert found is not None
    before, after, action = _NEXT_STATE[step]
    if found.state not in before:
        raise Invalid({"meeting": f"The meeting is {found.state.label.lower()}: it cannot be {after.label.lower()}"})
    if step == "publish":
        await agenda.place_waiting(conn, found)
        await queries.invite_agencies(conn, found)
    current = None
    if step == "start":  # the meeting takes its agenda from the top
        current = next(iter(await agenda.discussion_order(conn, found.id)), None)
    if step == "end":
        await agenda.close_discussed(conn, found, actor.user_id if actor else None)
    if step in ("start", "end"):
        await queries.set_current_item(conn, found.id, current)
    await queries.set_state(conn, found.id, after, actor.user_id if actor else None)
    await audit.record(
        conn,
        action,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=found.id,
        partnership_id=found.partnership_id,
    )
    await events.publish(conn, found.partnership_id, found.id, events.Kind.MEETING, item_id=current)
    changed = await queries.meeting(conn, found.id)
    assert changed is not None
    return changed


# ---- attendance ---------------------------------------------------------------------------------


async def _recordable(conn: asyncpg.Connection, actor: Identity, meeting_id: int) -> Meeting:
    policy.require(actor, policy.Permission.MANAGE_MEETINGS)
    found = await agenda.visible_meeting(conn, actor, meeting_id, lock=True)
    if actor.user_id not in (found.minute_taker_id, found.chair_id):
        raise Invalid({"attendance": "Only the meeting's minute-taker or chair records attendance"})
    if found.state not in (MeetingState.AGENDA_PUBLISHED, MeetingState.IN_PROGRESS, MeetingState.HELD):
        raise Invalid({"attendance": "Attendance is recorded once the agenda is published"})
    if await minutes_queries.locked(conn, found.id):  # the meeting's row is ours (FOR UPDATE): no approval under way
        raise Invalid({"attendance": minutes_queries.RECORD_CLOSED})
    return found


async def record_attendance(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    rows: list[tuple[AttendanceIn, int]],
    origin: audit.Origin,
) -> None:
    """Save each invited agency's attendance; `rows` pairs each with the version it was read at."""
    found = await _recordable(conn, actor, meeting_id)
    current = {a.agency_id: a for a in await queries.attendance(conn, found.id)}
    errors: dict[str, str] = {}
    for form, _ in rows:
        if form.agency_id not in current:
            errors[f"agency_{form.agency_id}"] = "This agency is not invited to the meeting"
        elif form.status is AttendanceStatus.PRESENT and not (form.present_names or "").strip():
            errors[f"present_names_{form.agency_id}"] = f"Enter who attended for {current[form.agency_id].agency_name}"
    if errors:
        raise Invalid(errors)
    async with conn.transaction():  # a savepoint: a stale row refuses them all, not just itself
        await _save_attendance(conn, actor, found, current, rows)
    await audit.record(
        conn, AuditAction.ATTENDANCE_RECORDED, actor=actor, origin=origin, record_type="meeting", record_id=found.id
    )


async def _save_attendance(
    conn: asyncpg.Connection,
    actor: Identity,
    found: Meeting,
    current: dict[int, queries.AttendanceRow],
    rows: list[tuple[AttendanceIn, int]],
) -> None:
    for form, version in rows:
        known = current[form.agency_id]
        unchanged = (known.status, known.present_names or "", known.information_sent) == (
            form.status,
            (form.present_names or "").strip(),
            form.information_sent,
        )
        if unchanged and version == known.version:
            continue
        if not await queries.save_attendance(
            conn,
            found.id,
            form.agency_id,
            version,
            form.status.value,
            (form.present_names or "").strip() or None,
            form.information_sent,
            actor.user_id,
        ):
            raise Conflict("attendance changed since it was opened", current=found)
    await events.publish(conn, found.partnership_id, found.id, events.Kind.MEETING)  # who is present


async def add_observer(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, form: ObserverIn, origin: audit.Origin
) -> None:
    found = await _recordable(conn, actor, meeting_id)
    if not form.name.strip():
        raise Invalid({"observer_name": "Enter the observer's name"})
    await queries.add_observer(conn, found, form.name, form.organisation, form.statement_signed, actor.user_id)
    await audit.record(
        conn, AuditAction.OBSERVER_ADDED, actor=actor, origin=origin, record_type="meeting", record_id=found.id
    )


# ---- on the clock -------------------------------------------------------------------------------


TICK_LOCK = 0x5049_5453_544F_5006  # "PITSTO" + 6: one meeting clock at a time across processes


async def tick(conn: asyncpg.Connection, now: datetime | None = None) -> dict[str, int]:
    """What Pitstop does by itself: generate meetings ahead, place what is waiting on the open agendas of
    the next week, publish agendas whose publish time has come, and queue the morning action reminders.

    Safe in every process: one runs at a time (a session advisory lock; the others skip). Each
    partnership's work commits on its own, so a fault in one never holds up the others."""
    now = now or datetime.now(UTC)
    done = {"generated": 0, "placed": 0, "published": 0, "reminded": 0, "failed": 0}
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", TICK_LOCK):
        return done
    try:
        for partnership_id in await queries.partnership_ids(conn):
            counted = dict.fromkeys(done, 0)
            try:
                async with conn.transaction():
                    await _tick_partnership(conn, partnership_id, now, counted)
            except Exception as exc:  # one partnership's fault must not stop the others' clock
                done["failed"] += 1
                log.warning(
                    "meeting clock failed for a partnership",
                    extra={"partnership_id": partnership_id, "error": type(exc).__name__},
                )
                continue
            for key, value in counted.items():  # only what was committed counts
                done[key] += value
    finally:
        try:
            await conn.execute("SELECT pg_advisory_unlock($1)", TICK_LOCK)
        except asyncpg.PostgresError:  # an aborted outer transaction: the lock ends with the session
            log.warning("meeting clock could not release its lock")
    return done


async def _tick_partnership(conn: asyncpg.Connection, partnership_id: int, now: datetime, done: dict[str, int]) -> None:
    await agenda.lock_agendas(conn, partnership_id)
    done["generated"] += await generate_all(conn, partnership_id)
    for meeting_id in await queries.coming_open(conn, partnership_id, now, days=8):
        found = await queries.meeting(conn, meeting_id, lock=True)
        assert found is not None
        done["placed"] += await agenda.place_waiting(conn, found)
        if found.state is MeetingState.SCHEDULED and found.publish_at <= now:
            await advance(
                conn, actor=None, meeting_id=found.id, version=found.version, step="publish", origin=audit.Origin()
            )
            done["published"] += 1
    done["reminded"] += await reminders.send_due(conn, partnership_id, now)


def parse_clock(text: str) -> time | None:
    """'09:30' or '9.30' -> time; None for anything else."""
    from pitstop.calendar.service import _time

    return _time(text)

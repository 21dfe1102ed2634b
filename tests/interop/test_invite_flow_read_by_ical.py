"""The whole life of a series as a calendar client lives it: every message Pitstop queues for one invitee
applied in order, as RFC 5546 says (a REQUEST with a higher SEQUENCE replaces the event and the overrides
that come with it; a CANCEL with RECURRENCE-ID removes one meeting, without it the whole UID), then
expanded by `ical` (PyPI), a parser that is not the icalendar package that wrote them. What the
calendar shows must match Pitstop's working-day calendar after each change: every meeting day at its
local time (GMT in January, BST in July), none on a bank holiday, a moved meeting at its new time, a
cancelled one gone, an extra meeting at its own time, and nothing once the series ends."""

# ruff: noqa: F811 - the connection fixture is imported from the outbox tests

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from pitstop.calendar.service import bank_holidays
from pitstop.invites import ics
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import ExtraMeetingIn, MeetingChange, SeriesIn
from pitstop.meetings.schedule import LONDON, meeting_days
from tests import factories
from tests.integration.test_mail_outbox import app_conn  # noqa: F401
from tests.integration.test_series_invites import site  # noqa: F401
from tests.meeting_helpers import identity, series

CLI = factories.CLI
PAT = "pat@north-police.example"
LAST = date(2027, 8, 31)


class Client:
    """One invitee's calendar: what it keeps of each UID after applying the messages it was sent."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.seen = 0

    async def receive(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch(
            "SELECT calendar FROM mail_outbox WHERE recipient = $1 AND calendar IS NOT NULL ORDER BY id OFFSET $2",
            PAT,
            self.seen,
        )
        self.seen += len(rows)
        for row in rows:
            self.apply(row["calendar"].encode())

    def apply(self, payload: bytes) -> None:
        calendar = Calendar.from_ical(payload)
        method = str(calendar["method"])
        for event in calendar.walk("VEVENT"):
            uid = str(event["uid"])
            rid = event.get("recurrence-id")
            if method == "CANCEL" and rid is None:
                self.events.pop(uid, None)  # the whole event
                continue
            kept = self.events.setdefault(uid, {"master": None, "overrides": {}})
            if method == "CANCEL":
                kept["overrides"][rid.to_ical()] = event  # STATUS:CANCELLED: that meeting is gone
            elif rid is None:
                master = kept["master"]
                assert master is None or int(event["sequence"]) >= int(master["sequence"]), "SEQUENCE went down"
                # A new master replaces what was held; the overrides that matter come with it.
                kept["master"], kept["overrides"] = event, {}
            else:
                kept["overrides"][rid.to_ical()] = event

    def shown(self, first: date) -> dict[date, tuple[time, timedelta]]:
        """Each day's meeting as `ical` expands the stored events: its London start and its length."""
        store = Calendar()
        store.add("prodid", "-//test client//EN")
        store.add("version", "2.0")
        store.add_component(ics.london_timezone())
        for kept in self.events.values():
            if kept["master"] is not None:
                store.add_component(kept["master"])
            for override in kept["overrides"].values():
                store.add_component(override)
        timeline = IcsCalendarStream.calendar_from_ics(store.to_ical().decode()).timeline_tz(LONDON)
        found: dict[date, tuple[time, timedelta]] = {}
        start = datetime.combine(first, time(0), tzinfo=LONDON)
        for event in timeline.overlapping(start, datetime.combine(LAST, time(23, 59), tzinfo=LONDON)):
            if event.status and str(event.status).upper().endswith("CANCELLED"):
                continue
            begins = event.dtstart.astimezone(LONDON)
            assert begins.date() not in found, f"two meetings on {begins.date()}"
            found[begins.date()] = (begins.time(), event.dtend - event.dtstart)
        return found


async def change_series(conn: asyncpg.Connection, actor: Any, series_id: int, **changes: Any) -> None:
    current = await meetings.series(conn, actor, series_id)
    fields = {f: getattr(current, f) for f in SeriesIn.__struct_fields__ if hasattr(current, f)}
    form = SeriesIn(**{**fields, **changes, "version": current.version})
    await meetings.update_series(conn, actor=actor, series_id=series_id, form=form, origin=CLI)


async def test_a_calendar_following_every_message_shows_the_working_day_calendar(
    site: None, owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    world = await factories.world(owner)
    coordinator = identity(world.users["north.coordinator"])
    today = datetime.now(LONDON).date()
    holidays = [day for day, _ in bank_holidays(range(today.year, LAST.year + 1))]

    def cut(starts: time) -> date:
        """A rule covers today only while today's meeting is still to come."""
        return today if datetime.now(LONDON).time() < starts else today + timedelta(days=1)

    def days_from(first: date) -> list[date]:
        return meeting_days([1, 2, 3, 4, 5], first, LAST, holidays)

    client = Client()
    made = await series(app_conn, world, today, weeks_ahead=4)
    await change_series(app_conn, coordinator, made.id, place="Civic Centre, room 2")
    generated = await app_conn.fetch(
        "SELECT id FROM meeting WHERE series_id = $1 AND occurrence > $2 ORDER BY occurrence LIMIT 2",
        made.id,
        today + timedelta(days=7),
    )
    moving = await meeting_queries.meeting(app_conn, generated[0]["id"])
    cancelling = await meeting_queries.meeting(app_conn, generated[1]["id"])
    assert moving is not None
    assert cancelling is not None
    assert moving.occurrence is not None
    assert cancelling.occurrence is not None
    await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=moving.id,
        form=MeetingChange(
            version=moving.version,
            starts_at=datetime.combine(moving.occurrence, time(14), tzinfo=LONDON),
            moved_reason="Court hearing",
        ),
        origin=CLI,
    )
    await meetings.cancel(
        app_conn, actor=coordinator, meeting_id=cancelling.id, version=cancelling.version, reason="Training", origin=CLI
    )
    await change_series(app_conn, coordinator, made.id, length_minutes=45)  # re-sent with the override
    saturday = today + timedelta(days=7 + (6 - (today + timedelta(days=7)).isoweekday()) % 7)
    extra = await meetings.add_extra(
        app_conn,
        actor=coordinator,
        form=ExtraMeetingIn(series_id=made.id, starts_at=datetime.combine(saturday, time(10), tzinfo=LONDON)),
        origin=CLI,
    )
    await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=extra.id,
        form=MeetingChange(
            version=extra.version,
            starts_at=datetime.combine(saturday, time(11), tzinfo=LONDON),
            moved_reason="Room",
        ),
        origin=CLI,
    )
    await client.receive(app_conn)

    def expected(at: time) -> dict[date, tuple[time, timedelta]]:
        want = {day: (at, timedelta(minutes=45)) for day in days_from(cut(at)) if day != cancelling.occurrence}
        want[moving.occurrence] = (time(14), timedelta(minutes=60))  # moved before the length changed
        want[saturday] = (time(11), timedelta(minutes=45))
        return want

    shown = client.shown(today)
    assert shown == expected(time(9, 30))
    january, july = date(2027, 1, 12), date(2027, 7, 13)
    for day, utc_hour in ((january, 9), (july, 8)):  # 09:30 GMT, then 09:30 BST
        assert datetime.combine(day, shown[day][0], tzinfo=LONDON).astimezone(UTC).hour == utc_hour
    for holiday in (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26), date(2027, 5, 3)):
        assert holiday not in shown

    # A new start time: the old UID ends, a new one starts; the moved and cancelled meetings stay so.
    await change_series(app_conn, coordinator, made.id, starts_at=time(10))
    await client.receive(app_conn)
    assert len(client.events) == 2  # the new series and the extra meeting
    assert client.shown(today) == expected(time(10))

    # The series ends: nothing left in the calendar.
    current = await meetings.series(app_conn, coordinator, made.id)
    await meetings.end_series(
        app_conn, actor=coordinator, series_id=made.id, version=current.version, reason="Merged", origin=CLI
    )
    await client.receive(app_conn)
    assert client.events == {}

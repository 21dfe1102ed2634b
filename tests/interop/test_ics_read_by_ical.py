"""Invites read back by a parser that is not the icalendar package that wrote them: `ical` (PyPI), which
expands recurrences itself. What a calendar shows must match the working-day calendar: the local time in
winter and in summer, no meeting on a bank holiday, a moved meeting at its new time, a cancelled one gone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ical.calendar_stream import IcsCalendarStream

from pitstop.calendar.service import bank_holidays
from pitstop.invites import ics
from pitstop.meetings.schedule import meeting_days

LONDON = ZoneInfo("Europe/London")
FIRST, LAST = date(2027, 1, 4), date(2027, 8, 31)
HOLIDAYS = [day for day, _ in bank_holidays([2027])]
INVITE = ics.SeriesInvite(
    uid="series-7@pitstop.example",
    sequence=2,
    summary="Northfield daily pitstop",
    first_day=FIRST,
    starts=time(9, 30),
    length_minutes=60,
    weekdays=[1, 2, 3, 4, 5],
    exdates=HOLIDAYS,
    place="MASH meeting room",
    call_link="https://meet.northfield.example/pitstop",
    url="https://pitstop.northfield.example/meetings",
    organizer=ics.Person(name="Northfield pitstop", email="pitstop@northfield.example"),
    attendees=[ics.Person(name="Pat Police", email="pat@police.example")],
    stamp=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
)
MOVED = ics.Occurrence(
    day=date(2027, 7, 7),
    starts_at=datetime(2027, 7, 7, 14, 0, tzinfo=LONDON),
    length_minutes=60,
    place="Civic Centre, room 2",
    url="https://pitstop.northfield.example/meetings/42",
)
CANCELLED = date(2027, 7, 8)


def events(*payloads: bytes) -> str:
    """What a calendar client keeps: the VTIMEZONE once, and every VEVENT it was sent for this UID."""
    texts = [p.decode() for p in payloads]
    head = texts[0].split("BEGIN:VEVENT", 1)[0].replace("METHOD:REQUEST\r\n", "")
    bodies = [re.findall(r"BEGIN:VEVENT.*?END:VEVENT\r\n", t, re.S) for t in texts]
    return head + "".join(b for body in bodies for b in body) + "END:VCALENDAR\r\n"


def shown(store: str) -> dict[date, datetime]:
    calendar = IcsCalendarStream.calendar_from_ics(store)
    timeline = calendar.timeline_tz(LONDON)
    found = {}
    for event in timeline.overlapping(datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC)):
        if event.status and str(event.status).upper().endswith("CANCELLED"):
            continue
        start = event.dtstart.astimezone(LONDON)
        found[start.date()] = start
    return found


def test_the_series_expands_to_the_working_days_at_the_local_time_all_year() -> None:
    got = shown(ics.series(INVITE).decode())
    assert sorted(got) == meeting_days([1, 2, 3, 4, 5], FIRST, LAST, HOLIDAYS)
    assert got[date(2027, 1, 4)].astimezone(UTC).hour == 9  # 09:30 GMT
    assert got[date(2027, 7, 6)].astimezone(UTC).hour == 8  # 09:30 BST
    assert all(moment.time() == time(9, 30) for moment in got.values())
    for holiday in (date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3), date(2027, 5, 31), date(2027, 8, 30)):
        assert holiday not in got


def test_a_moved_meeting_is_at_its_new_time_and_a_cancelled_one_is_gone() -> None:
    store = events(ics.series(INVITE), ics.moved(INVITE, MOVED), ics.occurrence_cancelled(INVITE, CANCELLED))
    got = shown(store)
    assert got[date(2027, 7, 7)] == datetime(2027, 7, 7, 14, 0, tzinfo=LONDON)
    assert CANCELLED not in got
    assert got[date(2027, 7, 9)].time() == time(9, 30)  # the rest as before
    assert len(got) == len(meeting_days([1, 2, 3, 4, 5], FIRST, LAST, HOLIDAYS)) - 1


def test_a_series_ended_with_until_stops_on_its_last_day() -> None:
    ended = ics.SeriesInvite(**{**_fields(INVITE), "until": date(2027, 2, 26)})
    got = shown(ics.series(ended).decode())
    assert max(got) == date(2027, 2, 26)


def _fields(invite: ics.SeriesInvite) -> dict[str, object]:
    return {name: getattr(invite, name) for name in invite.__struct_fields__}

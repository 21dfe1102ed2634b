"""The clocks' arithmetic: working hours across weekends, bank holidays, closure days and the
clock changes (GMT/BST), with the edge semantics working_time.py documents. No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest

from pitstop.calendar.service import bank_holidays
from pitstop.calendar.working_time import (
    ScreeningHours,
    WorkingCalendar,
    deadline,
    describe_days,
    describe_hours,
)

LONDON = ZoneInfo("Europe/London")
# England and Wales bank holidays, 2026 (gov.uk): Boxing Day is a Saturday, so Monday 28 December.
BANK_HOLIDAYS_2026 = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),  # Boxing Day (substitute day)
    }
)
TRAINING_DAY = date(2026, 7, 15)  # a Wednesday the partnership closes
CALENDAR = WorkingCalendar(closed=BANK_HOLIDAYS_2026 | {TRAINING_DAY})
HOUR = timedelta(hours=1)


class Grade(StrEnum):  # as pitstop.notifications.models.Grade
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"


def uk(*parts: int) -> datetime:
    """A London wall-clock time (GMT or BST, whichever was in force)."""
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# (what, received at, grade, due: London wall clock)
DEADLINES = [
    ("medium, Friday 16:00 -> Monday 16:00", uk(2026, 2, 6, 16), Grade.MEDIUM, uk(2026, 2, 9, 16)),
    ("high, Saturday night counts from Monday 09:00", uk(2026, 2, 7, 3, 12), Grade.HIGH, uk(2026, 2, 9, 13)),
    ("medium, Sunday afternoon", uk(2026, 2, 8, 14), Grade.MEDIUM, uk(2026, 2, 9, 17)),
    ("standard, Saturday -> Wednesday 17:00", uk(2026, 2, 7, 11), Grade.STANDARD, uk(2026, 2, 11, 17)),
    ("standard, Monday 10:00 -> Thursday 10:00", uk(2026, 2, 9, 10), Grade.STANDARD, uk(2026, 2, 12, 10)),
    (
        "high, Thursday before Good Friday -> Tuesday after Easter Monday",
        uk(2026, 4, 2, 15),
        Grade.HIGH,
        uk(2026, 4, 7, 11),
    ),
    ("medium, Maundy Thursday 12:00", uk(2026, 4, 2, 12), Grade.MEDIUM, uk(2026, 4, 7, 12)),
    ("received on Good Friday counts from Tuesday 09:00", uk(2026, 4, 3, 10), Grade.HIGH, uk(2026, 4, 7, 13)),
    ("medium, the day before a partnership closure day", uk(2026, 7, 14, 10), Grade.MEDIUM, uk(2026, 7, 16, 10)),
    ("received on the partnership's closure day", uk(2026, 7, 15, 12), Grade.HIGH, uk(2026, 7, 16, 13)),
    ("standard, across the closure day", uk(2026, 7, 13, 9), Grade.STANDARD, uk(2026, 7, 16, 17)),
    ("medium, Friday before the clocks go forward", uk(2026, 3, 27, 16), Grade.MEDIUM, uk(2026, 3, 30, 16)),
    ("high, Saturday of the clocks going forward", uk(2026, 3, 28, 23), Grade.HIGH, uk(2026, 3, 30, 13)),
    ("medium, Friday before the clocks go back", uk(2026, 10, 23, 16), Grade.MEDIUM, uk(2026, 10, 26, 16)),
    ("standard, Thursday before the clocks go back", uk(2026, 10, 22, 13), Grade.STANDARD, uk(2026, 10, 27, 13)),
    (
        "high, Christmas Eve 15:00 -> after the substitute Boxing Day",
        uk(2026, 12, 24, 15),
        Grade.HIGH,
        uk(2026, 12, 29, 11),
    ),
    ("high, a second before closing", uk(2026, 2, 5, 16, 59, 59), Grade.HIGH, uk(2026, 2, 6, 12, 59, 59)),
    ("medium, a second before closing on Friday", uk(2026, 2, 6, 16, 59, 59), Grade.MEDIUM, uk(2026, 2, 9, 16, 59, 59)),
    ("exactly at closing counts from the next opening", uk(2026, 2, 5, 17), Grade.HIGH, uk(2026, 2, 6, 13)),
    (
        "medium at opening is due at that day's closing, not next morning",
        uk(2026, 2, 9, 9),
        Grade.MEDIUM,
        uk(2026, 2, 9, 17),
    ),
    ("before opening counts from 09:00", uk(2026, 2, 9, 7, 30), Grade.HIGH, uk(2026, 2, 9, 13)),
    ("a minute after opening", uk(2026, 2, 9, 9, 1), Grade.HIGH, uk(2026, 2, 9, 13, 1)),
    ("late evening", uk(2026, 2, 9, 22), Grade.MEDIUM, uk(2026, 2, 10, 17)),
    ("New Year's Eve afternoon", uk(2025, 12, 31, 15), Grade.HIGH, uk(2026, 1, 2, 11)),
]


@pytest.mark.parametrize(("received", "grade", "due"), [case[1:] for case in DEADLINES], ids=[c[0] for c in DEADLINES])
def test_screening_deadlines(received: datetime, grade: Grade, due: datetime) -> None:
    got = deadline(received, grade, CALENDAR)
    assert got == due
    assert got.tzinfo is UTC


def test_the_clock_change_examples_in_utc() -> None:
    # Friday 27 March 2026 16:00 GMT; due Monday 30 March 16:00 BST, which is 15:00 UTC.
    assert deadline(utc(2026, 3, 27, 16), "medium", CALENDAR) == utc(2026, 3, 30, 15)
    # Friday 23 October 2026 16:00 BST (15:00 UTC); due Monday 26 October 16:00 GMT (16:00 UTC).
    assert deadline(utc(2026, 10, 23, 15), "medium", CALENDAR) == utc(2026, 10, 26, 16)
    # A working day is 09:00-17:00 on the wall clock in either season, 8 hours long.
    assert CALENDAR.opening(date(2026, 1, 5)) == utc(2026, 1, 5, 9)
    assert CALENDAR.opening(date(2026, 7, 6)) == utc(2026, 7, 6, 8)
    assert CALENDAR.closing(date(2026, 7, 6)) - CALENDAR.opening(date(2026, 7, 6)) == 8 * HOUR


def test_the_start_may_be_given_in_any_time_zone() -> None:
    start = uk(2026, 6, 5, 15, 30)
    for zone in (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7)), LONDON):
        assert CALENDAR.add_working_hours(start.astimezone(zone), 8) == uk(2026, 6, 8, 15, 30)


def test_hours_may_be_a_timedelta_or_a_fraction() -> None:
    start = uk(2026, 2, 9, 9)
    assert CALENDAR.add_working_hours(start, timedelta(minutes=90)) == uk(2026, 2, 9, 10, 30)
    assert CALENDAR.add_working_hours(start, 1.5) == uk(2026, 2, 9, 10, 30)
    assert CALENDAR.add_working_hours(start, 8.25) == uk(2026, 2, 10, 9, 15)


def test_zero_hours_is_the_start_inside_working_hours_else_the_next_opening() -> None:
    assert CALENDAR.add_working_hours(uk(2026, 2, 9, 11), 0) == uk(2026, 2, 9, 11)
    assert CALENDAR.add_working_hours(uk(2026, 2, 9, 17), 0) == uk(2026, 2, 10, 9)
    assert CALENDAR.next_opening(uk(2026, 4, 2, 18)) == uk(2026, 4, 7, 9)


def test_naive_times_and_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CALENDAR.add_working_hours(datetime(2026, 2, 9, 9), 1)
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_hours(uk(2026, 2, 9, 9), -1)
    with pytest.raises(ValueError, match="naive"):
        CALENDAR.working_hours_between(datetime(2026, 2, 9, 9), uk(2026, 2, 9, 10))


def test_working_days() -> None:
    assert CALENDAR.is_working_day(date(2026, 2, 9))  # Monday
    assert not CALENDAR.is_working_day(date(2026, 2, 7))  # Saturday
    assert not CALENDAR.is_working_day(date(2026, 2, 8))  # Sunday
    assert not CALENDAR.is_working_day(date(2026, 4, 3))  # Good Friday
    assert not CALENDAR.is_working_day(TRAINING_DAY)
    assert CALENDAR.is_working_day(date(2026, 12, 29))


# (from, to, working time between them)
BETWEEN = [
    (uk(2026, 2, 9, 10), uk(2026, 2, 9, 12, 30), timedelta(hours=2, minutes=30)),
    (uk(2026, 2, 6, 16), uk(2026, 2, 9, 10), 2 * HOUR),  # over a weekend
    (uk(2026, 2, 7, 12), uk(2026, 2, 8, 12), timedelta(0)),  # all weekend
    (uk(2026, 2, 9, 7), uk(2026, 2, 9, 20), 8 * HOUR),
    (uk(2026, 4, 2, 16), uk(2026, 4, 7, 10), 2 * HOUR),  # Easter
    (uk(2026, 3, 27, 16), uk(2026, 3, 30, 16), 8 * HOUR),  # the clocks go forward
    (uk(2026, 10, 23, 16), uk(2026, 10, 26, 16), 8 * HOUR),  # and back
    (uk(2026, 7, 14, 9), uk(2026, 7, 17, 9), 16 * HOUR),  # a closure day
    (uk(2026, 2, 9, 12), uk(2026, 2, 9, 12), timedelta(0)),
]


@pytest.mark.parametrize(("a", "b", "expected"), BETWEEN)
def test_working_hours_between(a: datetime, b: datetime, expected: timedelta) -> None:
    assert CALENDAR.working_hours_between(a, b) == expected
    assert CALENDAR.working_hours_between(b, a) == -expected  # how late, the other way round


def _starts() -> list[datetime]:
    """Every 47 minutes across three weeks around the clocks going forward and Easter 2026."""
    first = uk(2026, 3, 20, 0, 5)
    return [first + timedelta(minutes=47 * i) for i in range(int(21 * 24 * 60 / 47))]


def test_adding_a_then_b_is_adding_a_plus_b() -> None:
    failures = []
    for start in _starts():
        for a, b in ((4, 4), (0.5, 7.5), (8, 16), (3.25, 0.75), (24, 1), (0, 4)):
            once = CALENDAR.add_working_hours(start, a + b)
            twice = CALENDAR.add_working_hours(CALENDAR.add_working_hours(start, a), b)
            if once != twice:
                failures.append((start, a, b, once, twice))
    assert failures == []


def test_the_working_time_between_a_start_and_its_deadline_is_the_clock() -> None:
    failures = []
    for start in _starts():
        for hours in (0, 1, 4, 8, 24):
            due = CALENDAR.add_working_hours(start, hours)
            if CALENDAR.working_hours_between(start, due) != hours * HOUR:
                failures.append((start, hours, due))
    assert failures == []


def test_a_later_receipt_is_never_due_earlier_and_is_due_in_working_hours() -> None:
    failures = []
    previous = None
    for start in _starts():
        due = CALENDAR.add_working_hours(start, 8)
        local = due.astimezone(LONDON)
        inside = CALENDAR.is_working_day(local.date()) and time(9) < local.time() <= time(17)
        if (previous is not None and due < previous) or not inside:
            failures.append((start, due))
        previous = due
    assert failures == []


def test_a_partnership_working_every_day_has_eight_hour_days_on_the_clock_change_sundays() -> None:
    every_day = WorkingCalendar(working_days=frozenset(range(1, 8)))
    for sunday in (date(2026, 3, 29), date(2026, 10, 25)):
        assert every_day.add_working_hours(uk(sunday.year, sunday.month, sunday.day, 9), 8) == uk(
            sunday.year, sunday.month, sunday.day, 17
        )
    # A night window spanning the change is its real elapsed length: 00:00-04:00 is 3 hours that night.
    nights = WorkingCalendar(working_days=frozenset(range(1, 8)), day_start=time(0), day_end=time(4))
    assert nights.working_hours_between(uk(2026, 3, 29, 0), uk(2026, 3, 29, 4)) == 3 * HOUR
    assert nights.working_hours_between(uk(2026, 10, 25, 0), uk(2026, 10, 25, 4)) == 5 * HOUR


def test_other_patterns_and_clocks() -> None:
    short_week = WorkingCalendar(
        working_days=frozenset({1, 2, 3, 4}),
        day_start=time(8, 30),
        day_end=time(16, 30),
        screening=ScreeningHours(high=2, medium=7, standard=16),
    )
    assert short_week.deadline(uk(2026, 2, 5, 15), Grade.HIGH) == uk(2026, 2, 9, 9)  # 1.5 h Thursday, no Friday
    assert short_week.deadline(uk(2026, 2, 9, 8), "medium") == uk(2026, 2, 9, 15, 30)
    assert short_week.deadline(uk(2026, 2, 9, 8), "standard") == uk(2026, 2, 10, 16, 30)
    assert short_week.day_hours == 8


def test_an_unknown_grade_and_a_broken_pattern_are_refused() -> None:
    with pytest.raises(ValueError, match="grade"):
        CALENDAR.deadline(uk(2026, 2, 9, 9), "urgent")
    with pytest.raises(ValueError, match="end after"):
        WorkingCalendar(day_start=time(17), day_end=time(9))
    with pytest.raises(ValueError, match="weekdays"):
        WorkingCalendar(working_days=frozenset())
    with pytest.raises(ValueError, match="weekdays"):
        WorkingCalendar(working_days=frozenset({0, 1}))
    with pytest.raises(ValueError, match="more than zero"):
        ScreeningHours(high=0)


def test_descriptions() -> None:
    assert describe_hours(4, 8) == "4 working hours"
    assert describe_hours(1, 8) == "1 working hour"
    assert describe_hours(8, 8) == "1 working day (8 working hours)"
    assert describe_hours(24, 8) == "3 working days (24 working hours)"
    assert describe_hours(12, 8) == "12 working hours"
    assert describe_days({1, 2, 3, 4, 5}) == "Monday to Friday"
    assert describe_days({1, 2, 3, 4, 5, 6, 7}) == "Every day"
    assert describe_days({1, 3, 5}) == "Monday, Wednesday and Friday"
    assert describe_days({2, 4}) == "Tuesday and Thursday"
    assert describe_days({6}) == "Saturday"


def test_england_and_wales_bank_holidays_from_the_holidays_package() -> None:
    found = dict(bank_holidays([2026]))
    assert set(found) == BANK_HOLIDAYS_2026  # the weekend's Boxing Day itself is no bank holiday
    assert found[date(2026, 4, 3)] == "Good Friday"
    assert found[date(2026, 12, 28)] == "Boxing Day (substitute day)"
    in_2022 = dict(bank_holidays([2022]))  # on a Sunday: Boxing Day Monday, Christmas's substitute Tuesday
    assert date(2022, 12, 25) not in in_2022
    assert in_2022[date(2022, 12, 27)] == "Christmas Day (substitute day)"
    assert date(2022, 9, 19) in in_2022  # the State Funeral, a one-off bank holiday
    assert {d.year for d, _ in bank_holidays([2026, 2027])} == {2026, 2027}

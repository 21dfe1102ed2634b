"""When a series meets, with no database: its days (weekdays, closed dates) and each meeting's UTC
moments, which move by an hour at the GMT/BST clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from pitstop.meetings.schedule import LONDON, Times, at, local_day, meeting_days, times

WEEKDAYS = (1, 2, 3, 4, 5)  # ISO: Monday 1 ... Sunday 7
CHRISTMAS_2026 = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}  # Boxing Day substitute: 28th
HALF_NINE = time(9, 30)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---- meeting days -------------------------------------------------------------------------------


def test_a_weekday_series_meets_monday_to_friday_only() -> None:
    """Over a fortnight, a Monday-to-Friday series meets on the ten weekdays and never at the weekend."""
    days = meeting_days(WEEKDAYS, date(2027, 1, 2), date(2027, 1, 17), [])  # Saturday to Sunday
    assert days == [date(2027, 1, d) for d in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)]
    assert all(d.isoweekday() <= 5 for d in days)


def test_a_series_meets_only_on_its_own_weekdays() -> None:
    """A Tuesday-and-Thursday series meets on those days alone."""
    days = meeting_days([2, 4], date(2027, 1, 4), date(2027, 1, 17), [])
    assert days == [date(2027, 1, 5), date(2027, 1, 7), date(2027, 1, 12), date(2027, 1, 14)]


def test_closed_dates_are_skipped() -> None:
    """Bank holidays and closure days over Christmas take their meetings away."""
    days = meeting_days(WEEKDAYS, date(2026, 12, 19), date(2027, 1, 3), CHRISTMAS_2026)
    assert days == [
        date(2026, 12, 21),
        date(2026, 12, 22),
        date(2026, 12, 23),
        date(2026, 12, 24),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
    ]
    assert not CHRISTMAS_2026 & set(days)


def test_a_closed_date_on_a_non_meeting_day_changes_nothing() -> None:
    """Closing a Saturday (or a Wednesday for a Tuesday series) takes no meeting away."""
    assert meeting_days([2], date(2027, 1, 4), date(2027, 1, 10), [date(2027, 1, 6), date(2027, 1, 9)]) == [
        date(2027, 1, 5)
    ]


def test_both_ends_are_included() -> None:
    """A first and last day that are meeting days are both in the list."""
    days = meeting_days(WEEKDAYS, date(2027, 1, 4), date(2027, 1, 8), [])
    assert days[0] == date(2027, 1, 4)
    assert days[-1] == date(2027, 1, 8)
    assert len(days) == 5
    assert meeting_days(WEEKDAYS, date(2027, 1, 6), date(2027, 1, 6), []) == [date(2027, 1, 6)]


def test_a_closed_first_or_last_day_is_left_out() -> None:
    """The bounds are skipped like any other day when closed."""
    days = meeting_days(WEEKDAYS, date(2027, 1, 4), date(2027, 1, 8), [date(2027, 1, 4), date(2027, 1, 8)])
    assert days == [date(2027, 1, 5), date(2027, 1, 6), date(2027, 1, 7)]


def test_no_days_when_first_is_after_last() -> None:
    """A range running backwards has no meetings."""
    assert meeting_days(WEEKDAYS, date(2027, 1, 8), date(2027, 1, 4), []) == []
    assert meeting_days(WEEKDAYS, date(2027, 1, 5), date(2027, 1, 4), []) == []


def test_a_weekend_only_range_has_no_weekday_meetings() -> None:
    assert meeting_days(WEEKDAYS, date(2027, 1, 9), date(2027, 1, 10), []) == []
    assert meeting_days([6, 7], date(2027, 1, 9), date(2027, 1, 10), []) == [date(2027, 1, 9), date(2027, 1, 10)]


def test_meeting_days_runs_across_the_clock_change() -> None:
    """The days either side of a clock change are ordinary meeting days."""
    days = meeting_days(WEEKDAYS, date(2027, 3, 26), date(2027, 3, 29), [])
    assert days == [date(2027, 3, 26), date(2027, 3, 29)]


# ---- times --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 4), utc(2027, 1, 4, 9, 30)),  # GMT
        (date(2027, 6, 1), utc(2027, 6, 1, 8, 30)),  # BST
        (date(2027, 3, 26), utc(2027, 3, 26, 9, 30)),  # Friday before the clocks go forward
        (date(2027, 3, 28), utc(2027, 3, 28, 8, 30)),  # the Sunday they go forward (01:00 UTC)
        (date(2027, 3, 29), utc(2027, 3, 29, 8, 30)),  # the Monday after
        (date(2027, 10, 29), utc(2027, 10, 29, 8, 30)),  # Friday before the clocks go back
        (date(2027, 10, 31), utc(2027, 10, 31, 9, 30)),  # the Sunday they go back (01:00 UTC)
        (date(2027, 11, 1), utc(2027, 11, 1, 9, 30)),  # the Monday after
    ],
)
def test_half_past_nine_in_london_as_utc(day: date, expected: datetime) -> None:
    """A 09:30 meeting is at 09:30 on London's clocks: 09:30Z in winter, 08:30Z in summer."""
    got = at(day, HALF_NINE)
    assert got == expected
    assert got.utcoffset() == timedelta(0)
    assert got.astimezone(LONDON).time() == HALF_NINE
    assert got.astimezone(LONDON).date() == day


def test_the_utc_moment_moves_an_hour_over_the_clock_change_weekend() -> None:
    """From Friday to Monday across the spring change the meeting is 71 hours later, not 72; across the
    autumn change, 73."""
    assert at(date(2027, 3, 29), HALF_NINE) - at(date(2027, 3, 26), HALF_NINE) == timedelta(hours=71)
    assert at(date(2027, 11, 1), HALF_NINE) - at(date(2027, 10, 29), HALF_NINE) == timedelta(hours=73)


def test_times_converts_start_cut_off_and_publish_on_the_day() -> None:
    """All three times of a summer meeting are read on London's clocks that day."""
    got = times(date(2027, 6, 1), HALF_NINE, time(9, 0), time(8, 0))
    assert got == Times(
        starts_at=utc(2027, 6, 1, 8, 30),
        cut_off_at=utc(2027, 6, 1, 8, 0),
        publish_at=utc(2027, 6, 1, 7, 0),
    )


def test_times_in_winter_are_the_wall_clock_times() -> None:
    got = times(date(2027, 1, 4), HALF_NINE, time(9, 0), time(8, 0))
    assert got.starts_at == utc(2027, 1, 4, 9, 30)
    assert got.cut_off_at == utc(2027, 1, 4, 9, 0)
    assert got.publish_at == utc(2027, 1, 4, 8, 0)
    assert all(t.utcoffset() == timedelta(0) for t in (got.starts_at, got.cut_off_at, got.publish_at))


@pytest.mark.parametrize(
    ("day", "starts"),
    [
        (date(2027, 3, 26), utc(2027, 3, 26, 9, 30)),
        (date(2027, 3, 29), utc(2027, 3, 29, 8, 30)),
        (date(2027, 10, 29), utc(2027, 10, 29, 8, 30)),
        (date(2027, 11, 1), utc(2027, 11, 1, 9, 30)),
    ],
)
def test_times_either_side_of_the_clock_changes(day: date, starts: datetime) -> None:
    """The Friday before and the Monday after each change keep their meeting at 09:30 in London."""
    got = times(day, HALF_NINE, time(9, 0), time(8, 0))
    assert got.starts_at == starts
    assert got.cut_off_at == starts - timedelta(minutes=30)
    assert got.publish_at == starts - timedelta(minutes=90)


# ---- local day ----------------------------------------------------------------------------------


def test_just_after_midnight_in_bst_is_the_next_day_in_london() -> None:
    """23:30Z on 1 June 2027 is 00:30 on 2 June in London."""
    assert local_day(utc(2027, 6, 1, 23, 30)) == date(2027, 6, 2)
    assert local_day(utc(2027, 6, 1, 22, 59)) == date(2027, 6, 1)
    assert local_day(utc(2027, 6, 1, 23, 0)) == date(2027, 6, 2)


def test_in_winter_the_london_day_is_the_utc_day() -> None:
    assert local_day(utc(2027, 1, 4, 23, 30)) == date(2027, 1, 4)
    assert local_day(utc(2027, 1, 5, 0, 0)) == date(2027, 1, 5)


def test_local_day_reads_any_offset() -> None:
    """A moment given with another offset is placed on London's calendar all the same."""
    assert local_day(datetime(2027, 6, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == date(2027, 6, 1)
    assert local_day(datetime(2027, 6, 2, 1, 30, tzinfo=LONDON)) == date(2027, 6, 2)


def test_local_day_of_an_early_summer_meeting_is_its_own_day() -> None:
    """A meeting at 00:30 London time in summer (23:30Z the evening before) belongs to its own day."""
    moment = at(date(2027, 6, 2), time(0, 30))
    assert moment == utc(2027, 6, 1, 23, 30)
    assert local_day(moment) == date(2027, 6, 2)

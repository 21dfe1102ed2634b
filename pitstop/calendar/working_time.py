"""Working time, with no database and no web: the clocks' arithmetic.

A partnership works on some ISO weekdays (Monday = 1) between a local opening and closing time
(09:00-17:00 Europe/London by default), except on closed dates (bank holidays and its own closure
days). Working time is real elapsed time inside those local windows: a working day is 09:00-17:00
on the wall clock whether London is on GMT (+00) or BST (+01), and it is 8 hours long either way.

Edge semantics, all deliberate:
- A start outside working hours (evening, weekend, closed day) counts from the next opening.
- A deadline that lands exactly at closing is that day's closing time (17:00), not the next
  opening: the time runs out at the end of the day, and that is when it is due.
- Adding zero hours gives the start itself inside working hours, otherwise the next opening; so
  a start at exactly 17:00 with zero hours is the next opening.
- Adding `a` then `b` equals adding `a + b` whenever `b` is more than zero.
- Results are aware datetimes in UTC (times are UTC inside; Europe/London only at the edges).
- An opening or closing time that does not exist locally (inside a spring-forward gap) is read
  with the offset before the change, as zoneinfo does; 09:00 and 17:00 never are in London.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
WEEKDAY_NAMES = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}
# Grades are the notification's risk grades (pitstop.notifications.models.Grade): any str or
# StrEnum with these values.
GRADES = ("high", "medium", "standard")
# No clock is longer than this: the search for working time gives up rather than loop for ever.
_SEARCH_DAYS = 3660


@dataclass(frozen=True, slots=True)
class ScreeningHours:
    """Working hours from receipt to the screening deadline, per grade."""

    high: float = 4
    medium: float = 8
    standard: float = 24

    def __post_init__(self) -> None:
        if min(self.high, self.medium, self.standard) <= 0:
            raise ValueError("screening hours must be more than zero")

    def for_grade(self, grade: str) -> float:
        value = str(grade)
        if value not in GRADES:
            raise ValueError(f"unknown grade {value!r}")
        hours: float = getattr(self, value)
        return hours


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """When a partnership works: weekdays, local opening hours, time zone, and closed dates."""

    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    day_start: time = time(9)
    day_end: time = time(17)
    tz: ZoneInfo = LONDON
    closed: frozenset[date] = field(default_factory=frozenset)
    screening: ScreeningHours = field(default_factory=ScreeningHours)

    def __post_init__(self) -> None:
        if not self.working_days or not self.working_days <= set(WEEKDAYS):
            raise ValueError("working days must be ISO weekdays 1-7, at least one")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times, without a time zone")
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")

    # ---- days ---------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.closed

    def opening(self, day: date) -> datetime:
        """The day's opening, in UTC (whether or not the day is a working day)."""
        return datetime.combine(day, self.day_start, tzinfo=self.tz).astimezone(UTC)

    def closing(self, day: date) -> datetime:
        return datetime.combine(day, self.day_end, tzinfo=self.tz).astimezone(UTC)

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working windows (opening, closing), in UTC, from the local day of `start` on.

        The first may have closed before `start`: callers clip it.
        """
        day = _aware(start).astimezone(self.tz).date()
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                yield self.opening(day), self.closing(day)
            day += timedelta(days=1)
        raise ValueError("no working time within ten years")  # every day closed: a broken calendar

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself (in UTC) if it is inside working hours, else the next opening."""
        return self.add_working_hours(moment, 0)

    @property
    def day_hours(self) -> float:
        """The nominal length of a working day in hours (8 for 09:00-17:00)."""
        start = datetime.combine(date(2000, 1, 1), self.day_start)
        return (datetime.combine(date(2000, 1, 1), self.day_end) - start) / timedelta(hours=1)

    # ---- clocks -------------------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> datetime:
        """The moment (UTC) when `hours` of working time have passed since `start`."""
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError("working time cannot be negative")
        moment = _aware(start).astimezone(UTC)
        for opening, closing in self.windows(moment):
            begin = max(moment, opening)
            if begin >= closing:
                continue
            if remaining <= closing - begin:
                return begin + remaining
            remaining -= closing - begin
        raise AssertionError("unreachable")  # windows() raises first

    def working_hours_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b` (negative if `b` is earlier): how late something is."""
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        if b < a:
            return -self.working_hours_between(b, a)
        total = timedelta(0)
        for opening, closing in self.windows(a):
            if opening >= b:
                break
            overlap = min(closing, b) - max(opening, a)
            if overlap > timedelta(0):
                total += overlap
        return total

    def deadline(self, received_at: datetime, grade: str) -> datetime:
        return self.add_working_hours(received_at, self.screening.for_grade(grade))


def deadline(received_at: datetime, grade: str, calendar: WorkingCalendar) -> datetime:
    """The screening deadline (UTC) of a notification of `grade` received at `received_at`."""
    return calendar.deadline(received_at, grade)


def describe_hours(hours: float, day_hours: float) -> str:
    """'4 working hours', '1 working day (8 working hours)', '3 working days (24 working hours)'."""
    text = f"{_number(hours)} working hour{'' if hours == 1 else 's'}"
    days = hours / day_hours if day_hours else 0
    if days >= 1 and days == int(days):
        return f"{int(days)} working day{'' if days == 1 else 's'} ({text})"
    return text


def describe_days(days: frozenset[int] | set[int] | list[int]) -> str:
    """'Monday to Friday', 'Monday, Wednesday and Friday', 'Every day'."""
    ordered = sorted(set(days))
    if ordered == list(WEEKDAYS):
        return "Every day"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAY_NAMES[ordered[0]]} to {WEEKDAY_NAMES[ordered[-1]]}"
    names = [WEEKDAY_NAMES[d] for d in ordered]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no place on the clock: give it a time zone")
    return moment

"""When a series meets, with no database: its days and the UTC moments of each meeting.

A series meets on its weekdays, except on closed dates (England and Wales bank holidays and the
partnership's own closure days). Times are Europe/London wall-clock times: a 09:30 meeting is at
09:30 in London in GMT and in BST alike, so its UTC moment moves by an hour at the clock changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

LONDON = ZoneInfo("Europe/London")


class Times(msgspec.Struct, frozen=True, kw_only=True):
    starts_at: datetime
    cut_off_at: datetime
    publish_at: datetime


def meeting_days(weekdays: Iterable[int], first: date, last: date, closed: Iterable[date]) -> list[date]:
    """The days from `first` to `last` (both included) on the series' weekdays that are not closed."""
    days = set(weekdays)
    shut = set(closed)
    found = []
    day = first
    while day <= last:
        if day.isoweekday() in days and day not in shut:
            found.append(day)
        day += timedelta(days=1)
    return found


def at(day: date, clock: time, tz: ZoneInfo = LONDON) -> datetime:
    """`clock` on `day` in London, as UTC. A time inside the spring-forward gap reads with the offset
    before the change (zoneinfo's fold=0); no sensible meeting time falls there (01:00-02:00)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def times(day: date, starts: time, cut_off: time, publish: time) -> Times:
    """A meeting's start, agenda cut-off and publish time on `day`, in UTC."""
    return Times(starts_at=at(day, starts), cut_off_at=at(day, cut_off), publish_at=at(day, publish))


def local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()

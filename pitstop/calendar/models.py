"""Structs and enums for working patterns and closure days."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import msgspec

DEFAULT_TIMEZONE = "Europe/London"


class ClosureSource(StrEnum):
    """Where a closure day comes from; matches closure_day_source_known in 0003_calendar.sql."""

    BANK_HOLIDAY = "bank_holiday"  # England and Wales, shared by every partnership
    PARTNERSHIP = "partnership"  # the partnership's own

    @property
    def label(self) -> str:
        return "Bank holiday" if self is ClosureSource.BANK_HOLIDAY else "Partnership closure"


class WorkingPattern(msgspec.Struct, frozen=True, kw_only=True):
    """A partnership's working week and screening clocks (the defaults when it has no row)."""

    partnership_id: int
    working_days: list[int] = msgspec.field(default_factory=lambda: [1, 2, 3, 4, 5])
    day_start: time = time(9)
    day_end: time = time(17)
    timezone: str = DEFAULT_TIMEZONE
    high_hours: int = 4
    medium_hours: int = 8
    standard_hours: int = 24
    version: int = 0  # 0: no row yet (the defaults); the first save makes version 1
    updated_at: datetime | None = None


class ClosureDay(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int | None  # None for a bank holiday
    day: date
    name: str
    source: ClosureSource
    created_at: datetime
    removed_at: datetime | None = None


class CalendarOverview(msgspec.Struct, frozen=True, kw_only=True):
    """What the calendar page shows: the pattern and the closure days from `today` to `until`."""

    pattern: WorkingPattern
    closures: list[ClosureDay]
    today: date
    until: date
    # Years in that range with no bank holidays loaded: clocks there would count them as working days.
    missing_bank_holiday_years: list[int]


class NewClosure(msgspec.Struct, frozen=True, kw_only=True):
    """A closure day as typed into the form: the date in three parts, and its name."""

    day: str
    month: str
    year: str
    name: str


class PatternChange(msgspec.Struct, frozen=True, kw_only=True):
    """A working pattern as typed into the form; checked by the service."""

    working_days: list[str]
    day_start: str
    day_end: str
    high_hours: str
    medium_hours: str
    standard_hours: str
    version: int

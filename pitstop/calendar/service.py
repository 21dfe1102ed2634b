"""Rules for the working-day calendar: bank holidays, closure days, working patterns, clocks.

For other features:
- `load_calendar(conn, partnership_id)` -> the pure WorkingCalendar its clocks count in;
- `screening_due(conn, partnership_id, received_at, grade)` -> a screening deadline (UTC);
- `ensure_calendar(conn, partnership_id, years)` when a partnership is created (and in the demo):
  England and Wales bank holidays for those years and a default working pattern.
Bank holidays are written by the schema owner (operator commands, the demo); the app's role may
only read them (0003_calendar.sql).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import holidays

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.calendar import queries
from pitstop.calendar.models import (
    CalendarOverview,
    ClosureDay,
    ClosureSource,
    NewClosure,
    PatternChange,
    WorkingPattern,
)
from pitstop.calendar.working_time import WEEKDAYS, ScreeningHours, WorkingCalendar
from pitstop.errors import Conflict, Invalid, NotFound

# England and Wales share their bank holidays; the `holidays` package files them under England.
_COUNTRY, _SUBDIVISION = "GB", "ENG"
NAME_LIMIT = 120
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_OBSERVED = re.compile(r"\(observed\)", re.IGNORECASE)
_HOURS_LIMIT = 2000  # matches working_pattern_hours_bounded


def calendar_years(today: date | None = None) -> range:
    """The years worth loading bank holidays for: last year (for how late things were) to two ahead."""
    year = (today or date.today()).year
    return range(year - 1, year + 3)


# ---- bank holidays and loading --------------------------------------------------------------


def bank_holidays(years: Iterable[int]) -> list[tuple[date, str]]:
    """England and Wales bank holidays in `years` as (date, name), as gov.uk lists them.

    A holiday that falls at a weekend is not a bank holiday: its substitute day (a weekday) is.
    So Boxing Day 2026, a Saturday, is left out and Monday 28 December is in.
    """
    found = holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=sorted(set(years)))
    return sorted(
        (day, _OBSERVED.sub("(substitute day)", name)) for day, name in found.items() if day.isoweekday() <= 5
    )


async def sync_bank_holidays(conn: asyncpg.Connection, years: Iterable[int]) -> int:
    """Add the bank holidays of `years` that are not yet there; return how many. Idempotent.

    Writing them needs the schema owner (operator commands, the demo): the app's role may not.
    """
    wanted = sorted(set(years))
    if not wanted:
        return 0
    there = await queries.bank_holiday_dates(conn, wanted[0], wanted[-1])
    missing = [(day, name) for day, name in bank_holidays(wanted) if day not in there]
    if not missing:  # nothing to write (so this much works as the app's role too)
        return 0
    # Reference data everyone shares, not a partnership's record: the rows' created_at say when
    # they came, and no audit row is written (partnership set-up stays two audit rows).
    return await queries.insert_bank_holidays(conn, missing)


async def ensure_calendar(conn: asyncpg.Connection, partnership_id: int, years: Iterable[int]) -> None:
    """Bank holidays for `years` and the partnership's default working pattern, unless already there."""
    await sync_bank_holidays(conn, years)
    await queries.ensure_pattern(conn, partnership_id)


async def working_pattern(conn: asyncpg.Connection, partnership_id: int) -> WorkingPattern:
    """The partnership's pattern, or the defaults (version 0) when it has none yet."""
    return await queries.pattern(conn, partnership_id) or WorkingPattern(partnership_id=partnership_id)


def calendar_of(pattern: WorkingPattern, closed: Iterable[date]) -> WorkingCalendar:
    return WorkingCalendar(
        working_days=frozenset(pattern.working_days),
        day_start=pattern.day_start,
        day_end=pattern.day_end,
        tz=ZoneInfo(pattern.timezone),
        closed=frozenset(closed),
        screening=ScreeningHours(high=pattern.high_hours, medium=pattern.medium_hours, standard=pattern.standard_hours),
    )


async def load_calendar(conn: asyncpg.Connection, partnership_id: int) -> WorkingCalendar:
    """The partnership's calendar: its pattern, bank holidays and its own (live) closure days."""
    pattern, closed = await queries.pattern_and_closed_dates(conn, partnership_id)
    return calendar_of(pattern or WorkingPattern(partnership_id=partnership_id), closed)


async def screening_due(conn: asyncpg.Connection, partnership_id: int, received_at: datetime, grade: str) -> datetime:
    """The screening deadline (UTC) of a notification of `grade` ('high', 'medium', 'standard')."""
    return (await load_calendar(conn, partnership_id)).deadline(received_at, grade)


# ---- the calendar page ----------------------------------------------------------------------


def today_for(pattern: WorkingPattern) -> date:
    return datetime.now(ZoneInfo(pattern.timezone)).date()


def _a_year_on(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


async def overview(conn: asyncpg.Connection, actor: Identity, today: date | None = None) -> CalendarOverview:
    """The coming 12 months' closure days, the working pattern and the clocks, for the page."""
    policy.require(actor, policy.Permission.VIEW_CALENDAR)
    pattern = await working_pattern(conn, actor.partnership_id)
    today = today or today_for(pattern)
    until = _a_year_on(today) - timedelta(days=1)
    loaded = await queries.bank_holiday_years(conn, today.year, until.year)
    return CalendarOverview(
        pattern=pattern,
        closures=await queries.closures(conn, actor.partnership_id, today, until),
        today=today,
        until=until,
        missing_bank_holiday_years=[y for y in range(today.year, until.year + 1) if y not in loaded],
    )


# ---- closure days ---------------------------------------------------------------------------


def parse_date(day: str, month: str, year: str) -> date | str:
    """A date from the GOV.UK date input's three fields, or the message saying what is wrong."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        return "Enter the date of the closure day"
    missing = [name for name, value in parts.items() if not value]
    if missing:
        return f"The date must include a {' and '.join(missing)}"
    if not all(v.isascii() and v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        return "The date must be a real date"
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return "The date must be a real date"


async def add_closure(
    conn: asyncpg.Connection, *, actor: Identity, new: NewClosure, origin: audit.Origin, today: date | None = None
) -> ClosureDay:
    policy.require(actor, policy.Permission.MANAGE_CALENDAR)
    partnership_id = actor.partnership_id
    errors: dict[str, str] = {}
    parsed = parse_date(new.day, new.month, new.year)
    if isinstance(parsed, str):
        errors["date"] = parsed
    else:
        today = today or today_for(await working_pattern(conn, partnership_id))
        if parsed < today:
            errors["date"] = "The date must be today or in the future"
        elif (existing := await queries.closure_on(conn, partnership_id, parsed)) is not None:
            errors["date"] = (
                "This day is already a bank holiday"
                if existing.source is ClosureSource.BANK_HOLIDAY
                else "This day is already a closure day"
            )
    name = " ".join(new.name.split())
    if not name:
        errors["name"] = "Enter a name for the closure day"
    elif len(name) > NAME_LIMIT:
        errors["name"] = f"Name must be {NAME_LIMIT} characters or fewer"
    if errors:
        raise Invalid(errors)
    assert isinstance(parsed, date)
    try:
        async with conn.transaction():  # a savepoint: a clash must not spoil the request's transaction
            closure_id = await queries.insert_closure(conn, partnership_id, parsed, name, actor.user_id)
    except asyncpg.UniqueViolationError:  # added by someone else since we looked
        raise Invalid({"date": "This day is already a closure day"}) from None
    await audit.record(
        conn,
        AuditAction.CLOSURE_DAY_ADDED,
        actor=actor,
        origin=origin,
        record_type="closure_day",
        record_id=closure_id,
    )
    added = await queries.closure(conn, closure_id)
    assert added is not None
    return added


async def remove_closure(
    conn: asyncpg.Connection, *, actor: Identity, closure_id: int, origin: audit.Origin
) -> ClosureDay:
    """Remove one of the partnership's own closure days.

    Bank holidays are nobody's to remove: like another partnership's closure day, they answer
    NotFound (404). Removing one already removed changes nothing and is not an error (two
    coordinators clicking at once both see it gone).
    """
    policy.require(actor, policy.Permission.MANAGE_CALENDAR)
    found = await queries.closure(conn, closure_id)
    if found is not None and found.source is not ClosureSource.PARTNERSHIP:
        raise NotFound("closure_day")
    policy.visible(actor, "closure_day", found, found.partnership_id if found else None)
    assert found is not None
    if await queries.remove_closure(conn, closure_id, actor.user_id):
        await audit.record(
            conn,
            AuditAction.CLOSURE_DAY_REMOVED,
            actor=actor,
            origin=origin,
            record_type="closure_day",
            record_id=closure_id,
        )
    removed = await queries.closure(conn, closure_id)
    assert removed is not None
    return removed


# ---- working pattern ------------------------------------------------------------------------


def _time(text: str) -> time | None:
    match = _TIME.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _hours(text: str) -> int | None:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= _HOURS_LIMIT:
        return None
    return int(value)


_GRADE_LABELS = {"high_hours": "high", "medium_hours": "medium", "standard_hours": "standard"}


async def update_pattern(
    conn: asyncpg.Connection, *, actor: Identity, change: PatternChange, origin: audit.Origin
) -> WorkingPattern:
    policy.require(actor, policy.Permission.MANAGE_CALENDAR)
    current = await working_pattern(conn, actor.partnership_id)
    errors: dict[str, str] = {}
    days = sorted({int(d) for d in change.working_days if d in {str(w) for w in WEEKDAYS}})
    if not days:
        errors["working_days"] = "Select at least one working day"
    start, end = _time(change.day_start), _time(change.day_end)
    if start is None:
        errors["day_start"] = "Enter the start of the working day in the 24-hour clock, like 09:00"
    if end is None:
        errors["day_end"] = "Enter the end of the working day in the 24-hour clock, like 17:00"
    elif start is not None and end <= start:
        errors["day_end"] = "The working day must end after it starts"
    hours: dict[str, int] = {}
    for field, grade in _GRADE_LABELS.items():
        value = _hours(getattr(change, field))
        if value is None:
            errors[field] = f"Enter the working hours for {grade} risk as a whole number from 1 to {_HOURS_LIMIT}"
        else:
            hours[field] = value
    if errors:
        raise Invalid(errors)
    assert start is not None
    assert end is not None
    saved = await queries.save_pattern(
        conn,
        partnership_id=actor.partnership_id,
        version=change.version,
        working_days=days,
        day_start=start,
        day_end=end,
        updated_by=actor.user_id,
        **hours,
    )
    if not saved:
        raise Conflict("working pattern changed", current=current)
    await audit.record(
        conn,
        AuditAction.WORKING_PATTERN_UPDATED,
        actor=actor,
        origin=origin,
        record_type="working_pattern",
        record_id=actor.partnership_id,
        detail={
            "working_days": days,
            "day_start_minute": start.hour * 60 + start.minute,
            "day_end_minute": end.hour * 60 + end.minute,
            **hours,
        },
    )
    return await working_pattern(conn, actor.partnership_id)

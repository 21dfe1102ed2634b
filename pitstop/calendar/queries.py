"""SQL for working patterns and closure days. Rules live in the service."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

import asyncpg

from pitstop.calendar.models import ClosureDay, WorkingPattern
from pitstop.db.rows import to_struct, to_structs

_PATTERN = """partnership_id, working_days, day_start, day_end, timezone, high_hours, medium_hours,
              standard_hours, version, updated_at"""
_CLOSURE = "id, partnership_id, day, name, source, created_at, removed_at"


# ---- working patterns -----------------------------------------------------------------------


async def pattern(conn: asyncpg.Connection, partnership_id: int) -> WorkingPattern | None:
    row = await conn.fetchrow(
        f"SELECT {_PATTERN} FROM working_pattern WHERE partnership_id = $1",  # noqa: S608
        partnership_id,
    )
    return to_struct(row, WorkingPattern)


async def ensure_pattern(conn: asyncpg.Connection, partnership_id: int) -> bool:
    """Give the partnership the default pattern unless it has one; True if it was added."""
    done = await conn.fetchval(
        """INSERT INTO working_pattern (partnership_id) VALUES ($1)
           ON CONFLICT (partnership_id) DO NOTHING RETURNING partnership_id""",
        partnership_id,
    )
    return done is not None


async def save_pattern(
    conn: asyncpg.Connection,
    *,
    partnership_id: int,
    version: int,
    working_days: list[int],
    day_start: time,
    day_end: time,
    high_hours: int,
    medium_hours: int,
    standard_hours: int,
    updated_by: int,
) -> bool:
    """Save over `version` (0: there is no row yet). False when someone else saved first."""
    values = (partnership_id, working_days, day_start, day_end, high_hours, medium_hours, standard_hours, updated_by)
    if version == 0:
        done = await conn.fetchval(
            """INSERT INTO working_pattern (partnership_id, working_days, day_start, day_end, high_hours,
                                            medium_hours, standard_hours, updated_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (partnership_id) DO NOTHING RETURNING partnership_id""",
            *values,
        )
    else:
        done = await conn.fetchval(
            """UPDATE working_pattern
                  SET working_days = $2, day_start = $3, day_end = $4, high_hours = $5, medium_hours = $6,
                      standard_hours = $7, updated_by = $8, updated_at = now(), version = version + 1
                WHERE partnership_id = $1 AND version = $9 RETURNING partnership_id""",
            *values,
            version,
        )
    return done is not None


# ---- closure days ---------------------------------------------------------------------------


async def bank_holiday_dates(conn: asyncpg.Connection, first: int, last: int) -> set[date]:
    rows = await conn.fetch(
        """SELECT day FROM closure_day
            WHERE partnership_id IS NULL AND day >= make_date($1, 1, 1) AND day < make_date($2 + 1, 1, 1)""",
        first,
        last,
    )
    return {r["day"] for r in rows}


async def insert_bank_holidays(conn: asyncpg.Connection, holidays: Iterable[tuple[date, str]]) -> int:
    """Add the bank holidays not yet there; return how many were added."""
    items = sorted(holidays)
    days, names = [d for d, _ in items], [n for _, n in items]
    added = await conn.fetchval(
        """WITH added AS (
               INSERT INTO closure_day (partnership_id, day, name, source)
               SELECT NULL, day, name, 'bank_holiday' FROM unnest($1::date[], $2::text[]) AS h (day, name)
               ON CONFLICT (day) WHERE partnership_id IS NULL DO NOTHING
               RETURNING 1)
           SELECT count(*) FROM added""",
        days,
        names,
    )
    return int(added)


async def bank_holiday_years(conn: asyncpg.Connection, first: int, last: int) -> set[int]:
    """The years from `first` to `last` that have any bank holiday loaded."""
    rows = await conn.fetch(
        """SELECT DISTINCT extract(year FROM day)::int AS year FROM closure_day
            WHERE partnership_id IS NULL AND day >= make_date($1, 1, 1) AND day < make_date($2 + 1, 1, 1)""",
        first,
        last,
    )
    return {r["year"] for r in rows}


async def closures(
    conn: asyncpg.Connection, partnership_id: int, since: date | None = None, until: date | None = None
) -> list[ClosureDay]:
    """Bank holidays and the partnership's own live closure days, by date (within the range given)."""
    rows = await conn.fetch(
        f"""SELECT {_CLOSURE} FROM closure_day
             WHERE (partnership_id IS NULL OR (partnership_id = $1 AND removed_at IS NULL))
               AND ($2::date IS NULL OR day >= $2) AND ($3::date IS NULL OR day <= $3)
             ORDER BY day, source""",  # noqa: S608
        partnership_id,
        since,
        until,
    )
    return to_structs(rows, ClosureDay)


async def pattern_and_closed_dates(
    conn: asyncpg.Connection, partnership_id: int
) -> tuple[WorkingPattern | None, list[date]]:
    """What a clock needs, in one query (it runs for every notification received)."""
    row = await conn.fetchrow(
        f"""SELECT {_qualified_pattern()},
                   ARRAY(SELECT DISTINCT day FROM closure_day
                          WHERE partnership_id IS NULL OR (partnership_id = $1 AND removed_at IS NULL)) AS closed
              FROM (SELECT $1::bigint AS id) AS wanted
              LEFT JOIN working_pattern p ON p.partnership_id = wanted.id""",  # noqa: S608
        partnership_id,
    )
    fields = dict(row)
    closed = fields.pop("closed")
    found = to_struct(fields, WorkingPattern) if fields["partnership_id"] is not None else None
    return found, list(closed)


def _qualified_pattern() -> str:
    return ", ".join(f"p.{column.strip()}" for column in _PATTERN.split(","))


async def closed_dates(conn: asyncpg.Connection, partnership_id: int) -> list[date]:
    rows = await conn.fetch(
        """SELECT DISTINCT day FROM closure_day
            WHERE partnership_id IS NULL OR (partnership_id = $1 AND removed_at IS NULL)""",
        partnership_id,
    )
    return [r["day"] for r in rows]


async def closure(conn: asyncpg.Connection, closure_id: int) -> ClosureDay | None:
    row = await conn.fetchrow(f"SELECT {_CLOSURE} FROM closure_day WHERE id = $1", closure_id)  # noqa: S608
    return to_struct(row, ClosureDay)


async def closure_on(conn: asyncpg.Connection, partnership_id: int, day: date) -> ClosureDay | None:
    """The bank holiday or the partnership's own live closure day on `day`, if any."""
    row = await conn.fetchrow(
        f"""SELECT {_CLOSURE} FROM closure_day
             WHERE day = $2 AND (partnership_id IS NULL OR (partnership_id = $1 AND removed_at IS NULL))
             ORDER BY source LIMIT 1""",  # noqa: S608
        partnership_id,
        day,
    )
    return to_struct(row, ClosureDay)


async def insert_closure(
    conn: asyncpg.Connection, partnership_id: int, day: date, name: str, created_by: int | None
) -> int:
    return await conn.fetchval(
        """INSERT INTO closure_day (partnership_id, day, name, source, created_by)
           VALUES ($1, $2, $3, 'partnership', $4) RETURNING id""",
        partnership_id,
        day,
        name,
        created_by,
    )


async def remove_closure(conn: asyncpg.Connection, closure_id: int, removed_by: int | None) -> bool:
    """Mark a partnership's closure day removed; False if it already was (or is not one)."""
    done = await conn.fetchval(
        """UPDATE closure_day SET removed_at = now(), removed_by = $2
            WHERE id = $1 AND source = 'partnership' AND removed_at IS NULL RETURNING id""",
        closure_id,
        removed_by,
    )
    return done is not None

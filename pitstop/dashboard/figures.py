"""The dashboard's figures, each one aggregate query over a partnership's notifications in a date range.

Counts and durations only: no names, no references. A notification's week is the London week (Monday to
Sunday) it was received in; its grade is the screened grade, or the officer's until it is screened; its
screening is its first (a re-screening after a police update does not move the clock that was met or
missed). The date range and the grade filter narrow every figure alike.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import asyncpg
import msgspec

from pitstop.db.rows import to_structs
from pitstop.meetings.schedule import LONDON


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    partnership_id: int
    first: date  # London days, both included
    last: date
    grade: str | None = None  # 'high', 'medium', 'standard', or every grade

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), LONDON)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), LONDON)


class ScreeningWeek(msgspec.Struct, frozen=True, kw_only=True):
    week: date  # its Monday
    grade: str
    received: int
    on_time: int  # first screened by the deadline
    late: int  # first screened after it
    waiting: int  # not screened yet

    @property
    def on_time_share(self) -> float | None:
        screened = self.on_time + self.late
        return self.on_time / screened if screened else None


class Overdue(msgspec.Struct, frozen=True, kw_only=True):
    grade: str
    count: int
    oldest_hours: float | None  # since receipt, of the longest waiting


class Durations(msgspec.Struct, frozen=True, kw_only=True):
    """Hours from receipt, median and 90th percentile, and how many notifications each is over."""

    to_screening: tuple[float | None, float | None, int]
    to_discussion: tuple[float | None, float | None, int]
    to_decision: tuple[float | None, float | None, int]


# Each notification received in the scope, with its grade and its first screening. $1 partnership, $2 since,
# $3 until, $4 grade (NULL: every grade).
_IN_SCOPE = """
  WITH n AS (
    SELECT n.id, n.received_at, n.screening_due_at, coalesce(s.grade, n.officer_grade) AS grade,
           s.screened_at
      FROM notification n
      LEFT JOIN LATERAL (SELECT f.grade, f.screened_at FROM screening f
                          WHERE f.notification_id = n.id ORDER BY f.id LIMIT 1) s ON true
     WHERE n.partnership_id = $1 AND n.received_at >= $2::timestamptz AND n.received_at < $3::timestamptz
  )"""


def _args(scope: Scope) -> tuple[object, ...]:
    return scope.partnership_id, scope.since, scope.until, scope.grade


async def screening_by_week(conn: asyncpg.Connection, scope: Scope) -> list[ScreeningWeek]:
    """Screened within the deadline, per week and grade: the share and the counts behind it."""
    rows = await conn.fetch(
        _IN_SCOPE  # noqa: S608 - constant SQL, values are parameters
        + """
        SELECT date_trunc('week', n.received_at AT TIME ZONE 'Europe/London')::date AS week, n.grade,
               count(*) AS received,
               count(*) FILTER (WHERE n.screened_at <= n.screening_due_at) AS on_time,
               count(*) FILTER (WHERE n.screened_at > n.screening_due_at) AS late,
               count(*) FILTER (WHERE n.screened_at IS NULL) AS waiting
          FROM n WHERE $4::text IS NULL OR n.grade = $4
         GROUP BY 1, 2 ORDER BY 1, array_position(ARRAY['high', 'medium', 'standard'], n.grade)""",
        *_args(scope),
    )
    return to_structs(rows, ScreeningWeek)


async def overdue_now(conn: asyncpg.Connection, partnership_id: int, now: datetime, grade: str | None) -> list[Overdue]:
    """Notifications not screened and past their deadline now, by grade, with the age of the oldest: the
    clock that matters is today's, whatever range the page shows."""
    rows = await conn.fetch(
        """SELECT n.officer_grade AS grade, count(*) AS count,
                  extract(epoch FROM $2::timestamptz - min(n.received_at)) / 3600 AS oldest_hours
             FROM notification n
            WHERE n.partnership_id = $1 AND n.status = 'received' AND n.screening_due_at < $2::timestamptz
              AND ($3::text IS NULL OR n.officer_grade = $3)
            GROUP BY 1 ORDER BY array_position(ARRAY['high', 'medium', 'standard'], n.officer_grade)""",
        partnership_id,
        now,
        grade,
    )
    return to_structs(rows, Overdue)


async def durations(conn: asyncpg.Connection, scope: Scope) -> Durations:
    """From receipt to the first screening, to the meeting that discussed it (its start), and to the
    decision on its item (its first version): median and 90th percentile, in hours."""
    row = await conn.fetchrow(
        _IN_SCOPE  # noqa: S608 - constant SQL, values are parameters
        + """,
        m AS (
          SELECT n.id, n.received_at, n.screened_at,
                 (SELECT min(coalesce(mt.started_at, mt.starts_at))
                    FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id
                    JOIN meeting mt ON mt.id = i.meeting_id
                   WHERE e.notification_id = n.id AND NOT e.withdrawn AND i.state = 'discussed') AS discussed_at,
                 (SELECT min(v.recorded_at)
                    FROM agenda_entry e JOIN decision d ON d.agenda_item_id = e.agenda_item_id
                    JOIN decision_version v ON v.decision_id = d.id
                   WHERE e.notification_id = n.id AND NOT e.withdrawn) AS decided_at
            FROM n WHERE $4::text IS NULL OR n.grade = $4
        ),
        h AS (
          SELECT extract(epoch FROM screened_at - received_at) / 3600 AS screening,
                 extract(epoch FROM discussed_at - received_at) / 3600 AS discussion,
                 extract(epoch FROM decided_at - received_at) / 3600 AS decision
            FROM m
        )
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY screening) AS s50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY screening) AS s90, count(screening) AS sn,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY discussion) AS m50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY discussion) AS m90, count(discussion) AS mn,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY decision) AS d50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY decision) AS d90, count(decision) AS dn
          FROM h""",
        *_args(scope),
    )
    return Durations(
        to_screening=(row["s50"], row["s90"], row["sn"]),
        to_discussion=(row["m50"], row["m90"], row["mn"]),
        to_decision=(row["d50"], row["d90"], row["dn"]),
    )

"""The dashboard's figures: aggregate queries over a partnership's notifications in a date range (their
facts, one row each: pitstop.dashboard.facts), its meetings and its actions.

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
from pitstop.decisions.models import MARAC_OUTCOME
from pitstop.meetings.schedule import LONDON

GRADES = ("high", "medium", "standard")  # in the order every figure lists them
WORK_MEM = "64MB"  # for the figures' transaction (SET LOCAL): their sorts stay in memory


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


class DayFlow(msgspec.Struct, frozen=True, kw_only=True):
    """The notifications received on one London day at one grade, and where they are."""

    day: date
    grade: str
    received: int
    on_time: int  # first screened by the deadline
    late: int  # first screened after it
    waiting: int  # not screened yet
    potential_escalation: int
    for_information: int  # latest screening: to the allocated worker (open cases)
    no_further_action: int


# The facts (pitstop.dashboard.facts) of the notifications received in the scope. $1 partnership, $2 since,
# $3 until, $4 grade (NULL: every grade).
_SCOPE = """
 WHERE f.partnership_id = $1 AND f.received_at >= $2::timestamptz AND f.received_at < $3::timestamptz
   AND ($4::text IS NULL OR f.grade = $4)"""
_IN_SCOPE = "\n  FROM notification_fact f" + _SCOPE


def _args(scope: Scope) -> tuple[object, ...]:
    return scope.partnership_id, scope.since, scope.until, scope.grade


async def days(conn: asyncpg.Connection, scope: Scope) -> list[DayFlow]:
    """Per day and grade, everything the timeliness and volume figures count: one pass over the scope."""
    rows = await conn.fetch(
        """SELECT f.received_day AS day, f.grade, count(*) AS received,
                  count(*) FILTER (WHERE f.first_screened_at <= f.screening_due_at) AS on_time,
                  count(*) FILTER (WHERE f.first_screened_at > f.screening_due_at) AS late,
                  count(*) FILTER (WHERE f.first_screened_at IS NULL) AS waiting,
                  count(*) FILTER (WHERE f.potential_escalation) AS potential_escalation,
                  count(*) FILTER (WHERE f.latest_route = 'allocated_worker') AS for_information,
                  count(*) FILTER (WHERE f.latest_route = 'no_further_action') AS no_further_action"""
        + _IN_SCOPE
        + """
         GROUP BY 1, 2 ORDER BY 1, array_position(ARRAY['high', 'medium', 'standard'], f.grade)""",
        *_args(scope),
    )
    return to_structs(rows, DayFlow)


def screening_by_week(flow: list[DayFlow]) -> list[ScreeningWeek]:
    """Screened within the deadline, per week (Monday to Sunday) and grade: the share and the counts behind it."""
    weeks: dict[tuple[date, str], list[int]] = {}
    for d in flow:
        counts = weeks.setdefault((d.day - timedelta(days=d.day.weekday()), d.grade), [0, 0, 0, 0])
        for i, value in enumerate((d.received, d.on_time, d.late, d.waiting)):
            counts[i] += value
    return [
        ScreeningWeek(week=week, grade=grade, received=c[0], on_time=c[1], late=c[2], waiting=c[3])
        for (week, grade), c in sorted(weeks.items(), key=lambda kv: (kv[0][0], GRADES.index(kv[0][1])))
    ]


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
    decision on its item (its first version): median and 90th percentile, in hours. (date_part, not
    extract: extract's numeric made a year's percentiles twice as slow.)"""
    row = await conn.fetchrow(
        """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY screening) AS s50,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY screening) AS s90, count(screening) AS sn,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY discussion) AS m50,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY discussion) AS m90, count(discussion) AS mn,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY decision) AS d50,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY decision) AS d90, count(decision) AS dn
             FROM (SELECT date_part('epoch', f.first_screened_at - f.received_at) / 3600 AS screening,
                          date_part('epoch', f.discussed_at - f.received_at) / 3600 AS discussion,
                          date_part('epoch', f.decided_at - f.received_at) / 3600 AS decision"""  # noqa: S608 - constant SQL, values are parameters
        + _IN_SCOPE
        + ") h",
        *_args(scope),
    )
    return Durations(
        to_screening=(row["s50"], row["s90"], row["sn"]),
        to_discussion=(row["m50"], row["m90"], row["mn"]),
        to_decision=(row["d50"], row["d90"], row["dn"]),
    )


# ---- flow and volumes ---------------------------------------------------------------------------


class DayCount(msgspec.Struct, frozen=True, kw_only=True):
    day: date  # London
    grade: str
    count: int


class Volumes(msgspec.Struct, frozen=True, kw_only=True):
    notifications: int
    children: int  # children named in them (a child linked across incidents counts once)
    potential_escalation: int  # marked by the partnership's repeat-incident rule, as the queue marks them
    for_information: int  # open cases routed to the allocated worker (their latest screening)
    no_further_action: int
    per_day: list[DayCount]


class OutcomeCount(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str
    count: int


class Outcomes(msgspec.Struct, frozen=True, kw_only=True):
    decisions: int  # on items holding notifications in scope
    marac_referrals: int
    deferred: int
    outcomes: list[OutcomeCount]  # the partnership's list, in its order (none decided: 0)


async def volumes(conn: asyncpg.Connection, scope: Scope, flow: list[DayFlow]) -> Volumes:
    """How many came in (`flow`: the scope's `days`), per day and grade, and what they held."""
    children = await conn.fetchval(
        "SELECT count(DISTINCT c.child) FROM notification_fact f CROSS JOIN unnest(f.children) c (child)" + _SCOPE,  # noqa: S608 - constant SQL, values are parameters
        *_args(scope),
    )
    return Volumes(
        notifications=sum(d.received for d in flow),
        children=children,
        potential_escalation=sum(d.potential_escalation for d in flow),
        for_information=sum(d.for_information for d in flow),
        no_further_action=sum(d.no_further_action for d in flow),
        per_day=[DayCount(day=d.day, grade=d.grade, count=d.received) for d in flow],
    )


async def outcomes(conn: asyncpg.Connection, scope: Scope) -> Outcomes:
    """The decisions on the items that held notifications in scope: each outcome, MARAC referrals, deferrals."""
    rows = await conn.fetch(
        # The outcome codes unnested and counted once each, rather than each outcome type tested against
        # every decision's list.
        """WITH decided AS (
             SELECT d.id, d.outcomes, d.deferred
               FROM decision d
              WHERE d.id IN (SELECT unnest(f.decisions)"""  # noqa: S608 - constant SQL, values are parameters
        + _IN_SCOPE
        + """)
           ),
           counted AS (SELECT o.code, count(*) AS count FROM decided CROSS JOIN unnest(decided.outcomes) o (code)
                        GROUP BY o.code)
           SELECT t.code, t.label, coalesce(c.count, 0) AS count,
                  (SELECT count(*) FROM decided) AS decisions,
                  (SELECT count(*) FROM decided WHERE deferred) AS deferred
             FROM outcome_type t LEFT JOIN counted c ON c.code = t.code
            WHERE t.partnership_id = $1
            ORDER BY t.position, t.code""",
        *_args(scope),
    )
    counts = [OutcomeCount(code=r["code"], label=r["label"], count=r["count"]) for r in rows]
    return Outcomes(
        decisions=rows[0]["decisions"] if rows else 0,
        deferred=rows[0]["deferred"] if rows else 0,
        marac_referrals=next((c.count for c in counts if c.code == MARAC_OUTCOME), 0),
        outcomes=counts,
    )


# ---- agencies -----------------------------------------------------------------------------------


class AgencyAttendance(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    meetings: int  # held meetings it was invited to
    present: int
    apologies: int
    absent: int
    information_sent: int  # meetings it sent information to in advance


class AgencyActions(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    agreed: int
    open: int
    overdue: int  # open and past due now
    done_on_time: int
    done_late: int
    not_done: int  # not done by the agency
    not_possible: int  # not possible because circumstances changed


async def attendance(conn: asyncpg.Connection, scope: Scope, agency_id: int | None = None) -> list[AgencyAttendance]:
    """Per agency, over the meetings held in the range (no grade: a meeting has many)."""
    rows = await conn.fetch(
        """SELECT a.id AS agency_id, a.name AS agency_name, count(*) AS meetings,
                  count(*) FILTER (WHERE t.status = 'present') AS present,
                  count(*) FILTER (WHERE t.status = 'apologies') AS apologies,
                  count(*) FILTER (WHERE t.status = 'absent') AS absent,
                  count(*) FILTER (WHERE t.information_sent) AS information_sent
             FROM meeting m JOIN attendance t ON t.meeting_id = m.id JOIN agency a ON a.id = t.agency_id
            WHERE m.partnership_id = $1 AND m.state = 'held'
              AND m.starts_at >= $2::timestamptz AND m.starts_at < $3::timestamptz
              AND ($4::bigint IS NULL OR a.id = $4)
            GROUP BY a.id, a.name ORDER BY a.name""",
        scope.partnership_id,
        scope.since,
        scope.until,
        agency_id,
    )
    return to_structs(rows, AgencyAttendance)


async def actions(
    conn: asyncpg.Connection, scope: Scope, now: datetime, agency_id: int | None = None
) -> list[AgencyActions]:
    """Per owning agency, the actions agreed at meetings in the range, as they stand now."""
    rows = await conn.fetch(
        # Each meeting's actions from the index that covers them (action_meeting_idx, a nested loop forced by
        # LATERAL): a year is a few hundred meetings, and scanning every action ever agreed took longer.
        """WITH tally AS (
             SELECT x.owner_agency_id, count(*) AS agreed,
                    count(*) FILTER (WHERE x.status = 'open') AS open,
                    count(*) FILTER (WHERE x.status = 'open' AND x.due_at < $5::timestamptz) AS overdue,
                    count(*) FILTER (WHERE x.status = 'done' AND x.completed_at <= x.due_at) AS done_on_time,
                    count(*) FILTER (WHERE x.status = 'done' AND x.completed_at > x.due_at) AS done_late,
                    count(*) FILTER (WHERE x.status = 'not_done') AS not_done,
                    count(*) FILTER (WHERE x.status = 'not_possible') AS not_possible
               FROM meeting m
              CROSS JOIN LATERAL (SELECT a.owner_agency_id, a.status, a.due_at, a.completed_at
                                    FROM action a WHERE a.meeting_id = m.id) x
              WHERE m.partnership_id = $1 AND m.starts_at >= $2::timestamptz AND m.starts_at < $3::timestamptz
                AND ($4::bigint IS NULL OR x.owner_agency_id = $4)
              GROUP BY x.owner_agency_id
           )
           SELECT a.id AS agency_id, a.name AS agency_name, t.agreed, t.open, t.overdue, t.done_on_time, t.done_late,
                  t.not_done, t.not_possible
             FROM tally t JOIN agency a ON a.id = t.owner_agency_id AND a.partnership_id = $1
            ORDER BY a.name""",
        scope.partnership_id,
        scope.since,
        scope.until,
        agency_id,
        now,
    )
    return to_structs(rows, AgencyActions)

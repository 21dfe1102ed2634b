"""dashboard: the managers' dashboard over 1,000,000 notifications and 3,000,000 actions, against its raw queries.

The issue's target ("Managers' dashboard"): the dashboard over 1,000,000 notifications and 3,000,000 actions: server
time against the raw aggregate queries it runs, in the same run (target <= 1.5x), and under 1 s in total.

Set-up, as the schema owner: a partnership `dashboard` with a police agency, a coordinator and a manager (the
product's services, `bench/_accounts.py`), 7 more agencies (`create_agency`), the partnership's outcomes (the
product's defaults) and an inactive series; then three years of history by set-based SQL (generate_series,
INSERT ... SELECT), two connections at once, with foreign keys and triggers off (session_replication_role = replica,
as in `agenda`), then VACUUM ANALYZE:
- 1,000,000 notifications, one every 94.6 s over 1,095 days up to now (`agenda`'s statement: officer grades in turn,
  due 24 hours after receipt), each with a victim and an alleged perpetrator, a child in a third, linked to people
  (`agenda`'s repeat people: 30 % of victims and of perpetrators have four incidents 2.7 days apart);
- a first screening for all but 1 in 100 and those of the last 6 hours (left `received`, so `overdue_now` has
  rows): 1 in 10 late (30-40 hours), the rest within 1-20 hours; routes: 3 in 10 to the agenda, 2 in 10 to the
  allocated worker, the rest no further action; 1 in 25 screened a second time two days later;
- a held meeting every working day (about 780), at 10:00 London, with attendance of the 8 agencies (present, 1 in
  10 apologies, 1 in 10 absent) and approved minutes (1 in 5 late; the last week's still drafts);
- the agenda notifications (about 290,000) each an item (discussed) with its entry on the next working day's
  meeting; a decision on 17 in 20 (outcomes from the partnership's list, MARAC referrals with their criterion, 1 in
  50 deferred) with its first decision_version, a second version on 1 in 10;
- 10 or 11 actions on each item (about 3,040,000), owned by the agencies in turn, due 1-14 days after the meeting:
  70 % done (45 % on time), 10 % not done, 5 % not possible, 15 % open (most of them overdue).
Not written: notification versions, imports, audit rows (the dashboard reads none of them).

Measured on `pitstop serve` at INFO, the manager signed in through the form, on one keep-alive connection:
`GET /dashboard` (the default range, the last 12 weeks) and `GET /dashboard?from=...&to=...` (one year). For each
range: a warm-up view, then rounds that alternate one page view with one run of the raw queries. The page's time is
the server's own (`duration_ms` of its access-log line; the client's wall time beside it). The raw queries are what
`pitstop.dashboard.service.dashboard` runs for a manager, called directly with the same arguments on a connection
of the app's role with the app's codecs (`pitstop.db.pool.connect`): the `pitstop.dashboard.figures` functions and
`pitstop.minutes.listing.rows_in`, each statement timed, summed per view. Not in the baseline: the audit row, the
charts and the template: what the ratio prices. Then EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of each
range.

Checks (an error: exit status 2): every view 200 and a page with the dashboard's sections and the count of
notifications in the range that the raw queries found.

Targets: server p50 at most 1.5 x the raw queries' p50 (the result line's ratio is raw / server, target >= 0.67),
and under 1 s.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench._accounts import arrange
from bench._common import (
    BenchError,
    Comparison,
    Connection,
    Context,
    Server,
    load_in_chunks,
    server_times,
    vacuum_analyze,
)
from bench._meeting import AGENCY_TYPES, PASSWORD, User, sign_in
from bench.agenda import HISTORY, notifications_sql, people_sql, persons_sql

DESCRIPTION = "GET /dashboard over 1,000,000 notifications and 3,000,000 actions vs its raw aggregate queries"
SLUG = "dashboard"
COORDINATOR = "coordinator@dashboard.example"
MANAGER = "manager@dashboard.example"
AGENCIES = 8
NOTIFICATIONS = 1_000_000
DAYS = 1_095
STEP_SECONDS = DAYS * 86_400 / NOTIFICATIONS  # between notifications
CHUNK = 100_000  # notifications (or items) a loading statement covers
LOADERS = 2
RESERVED = 10_000_000  # ids set aside in each sequence
WARMUP = 1  # views (and raw runs) per range before the measured rounds
ROUNDS = {"12 weeks": 7, "one year": 5}
REQUEST_SECONDS = 120.0
TARGET_TIMES = 1.5
TARGET_SECONDS = 1.0
PLAN_LINES = 30
SEQUENCES = {"person": "person", "notification": "notification", "screening": "screening", "meeting": "meeting",
             "item": "agenda_item", "decision": "decision"}  # fmt: skip
LOADED = ("person", "notification", "notification_person", "screening", "meeting", "attendance", "minutes",
          "agenda_item", "agenda_entry", "decision", "decision_version", "action")  # fmt: skip

# ---- the rows, in SQL ---------------------------------------------------------------------------
# Notification n (0: the oldest) is received at $4 + n x STEP_SECONDS and has id base["notification"] + n; its
# first screening base["screening"] + n, a second one base["screening"] + NOTIFICATIONS + n, its item
# base["item"] + n and the item's decision base["decision"] + n. The meeting of London day d after $3 (the first
# day) has id base["meeting"] + d.

SOURCE = (
    "generate_series($2::bigint, $3::bigint - 1) n "
    f"CROSS JOIN LATERAL (SELECT $4::timestamptz + n * interval '{STEP_SECONDS:.3f} seconds' AS t) tt"
)
# Left unscreened: 1 in 100, and what came in during the last 6 hours ($5: now).
_SCREENED = "(n % 100 <> 0 AND t < $5::timestamptz - interval '6 hours')"
_DELAY = "CASE WHEN n % 10 = 7 THEN interval '30 hours' + (n % 11) * interval '1 hour' " \
         "ELSE (1 + n % 20) * interval '1 hour' END"  # fmt: skip
_ROUTE = "CASE WHEN n % 10 < 3 THEN 'agenda' WHEN n % 10 < 5 THEN 'allocated_worker' ELSE 'no_further_action' END"
_GRADE = "(ARRAY['standard', 'medium', 'high'])[1 + n / 3 % 3]"
# The London day it came in, and its meeting's: the next working day.
_DAY = "(t AT TIME ZONE 'Europe/London')::date"
_MEETING_DAY = f"({_DAY} + CASE extract(isodow FROM {_DAY}) WHEN 5 THEN 3 WHEN 6 THEN 2 ELSE 1 END)"
# On an agenda: screened to it, and its meeting was before today ($6: London today).
_ON_AGENDA = f"(n % 10 < 3 AND {_SCREENED} AND {_MEETING_DAY} < $6::date)"


def screenings_sql(b: dict[str, int], screener: int) -> str:
    """$1 partnership, [$2, $3) numbers, $4 epoch, $5 now."""
    return f"""
INSERT INTO screening (id, partnership_id, notification_id, notification_version, grade, consent, route,
                       route_rationale, screened_by, screened_at, immediate_protection)
OVERRIDING SYSTEM VALUE
SELECT {b["screening"]} + x.k * {NOTIFICATIONS} + n, $1, {b["notification"]} + n, 1, {_GRADE}, 'given', {_ROUTE},
       CASE WHEN n % 10 >= 5 THEN 'Known to services; no role for the meeting.' END, {screener},
       t + {_DELAY} + x.k * interval '2 days', n % 20 = 0
  FROM {SOURCE} CROSS JOIN LATERAL (VALUES (0), (1)) AS x (k)
 WHERE {_SCREENED} AND (x.k = 0 OR n % 25 = 1) AND $6::date IS NOT NULL"""


def unscreened_sql(b: dict[str, int]) -> str:
    return f"""
UPDATE notification SET status = 'received'
 WHERE id >= {b["notification"]} + $2 AND id < {b["notification"]} + $3
   AND NOT (((id - {b["notification"]}) % 100 <> 0) AND received_at < $5::timestamptz - interval '6 hours')
   AND partnership_id = $1 AND $4::timestamptz IS NOT NULL AND $6::date IS NOT NULL"""


def meetings_sql(b: dict[str, int], series_id: int, chair: int) -> str:
    """$1 partnership, $2 the first London day, $3 days, $4 London today."""
    return f"""
INSERT INTO meeting (id, partnership_id, series_id, occurrence, starts_at, length_minutes, cut_off_at, publish_at,
                     state, chair_id, minute_taker_id, published_at, started_at, ended_at, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT {b["meeting"]} + d, $1, {series_id}, NULL, s, 60, s - interval '90 minutes', s - interval '60 minutes',
       'held', {chair}, {chair}, s - interval '60 minutes', s, s + interval '1 hour', s - interval '1 day',
       s + interval '1 hour'
  FROM generate_series(0, $3::integer) d
 CROSS JOIN LATERAL (SELECT $2::date + d AS day) dd
 CROSS JOIN LATERAL (SELECT (day + time '10:00') AT TIME ZONE 'Europe/London' AS s) ss
 WHERE extract(isodow FROM day) < 6 AND day < $4::date"""


def attendance_sql(agencies: Sequence[int], chair: int) -> str:
    ids = "ARRAY[" + ", ".join(str(a) for a in agencies) + "]::bigint[]"
    return f"""
INSERT INTO attendance (partnership_id, meeting_id, agency_id, status, present_names, information_sent, recorded_by,
                        recorded_at)
SELECT m.partnership_id, m.id, ({ids})[a], s.status, CASE WHEN s.status = 'present' THEN 'Representative ' || a END,
       (m.id + a) % 3 <> 0, {chair}, m.started_at
  FROM meeting m CROSS JOIN generate_series(1, {len(agencies)}) a
 CROSS JOIN LATERAL (SELECT CASE (m.id + a) % 10 WHEN 0 THEN 'apologies' WHEN 1 THEN 'absent'
                            ELSE 'present' END AS status) s
 WHERE m.partnership_id = $1"""


def minutes_sql(chair: int) -> str:
    """Version 1 of every meeting's minutes: approved (1 in 5 after 5 days), the last week's drafts. $2: now."""
    return f"""
INSERT INTO minutes (partnership_id, meeting_id, version, state, snapshot, opened_by, opened_at, approved_by,
                     approved_at)
SELECT m.partnership_id, m.id, 1, CASE WHEN draft THEN 'draft' ELSE 'approved' END,
       CASE WHEN draft THEN NULL ELSE '{{}}'::jsonb END, {chair}, m.ended_at,
       CASE WHEN draft THEN NULL ELSE {chair} END,
       CASE WHEN draft THEN NULL ELSE m.ended_at + CASE WHEN m.id % 5 = 0 THEN interval '5 days'
                                                       ELSE interval '1 day' END END
  FROM meeting m CROSS JOIN LATERAL (SELECT m.starts_at > $2::timestamptz - interval '7 days' AS draft) x
 WHERE m.partnership_id = $1"""


def items_sql(b: dict[str, int], chair: int) -> str:
    """$1 partnership, [$2, $3) numbers, $4 epoch, $5 now, $6 London today, $7 the first London day."""
    return f"""
INSERT INTO agenda_item (id, partnership_id, meeting_id, list, position, state, closed_by, closed_at, created_at)
OVERRIDING SYSTEM VALUE
SELECT {b["item"]} + n, $1, {b["meeting"]} + ({_MEETING_DAY} - $7::date), 'discussion', 1 + n % 400, 'discussed',
       {chair}, t + interval '2 days', t + {_DELAY}
  FROM {SOURCE} WHERE {_ON_AGENDA}"""


def entries_sql(b: dict[str, int]) -> str:
    return f"""
INSERT INTO agenda_entry (partnership_id, agenda_item_id, notification_id, screening_id, open, withdrawn)
SELECT $1, {b["item"]} + n, {b["notification"]} + n, {b["screening"]} + n, false, false
  FROM {SOURCE} WHERE {_ON_AGENDA} AND $7::date IS NOT NULL"""


# (outcomes, MARAC criterion) in turn; a deferral has none.
_OUTCOMES = (
    ("{marac_referral,idva_referral}", "visible_high_risk"),
    ("{strategy_discussion,section_47}", None),
    ("{early_help,operation_encompass}", None),
    ("{health_notification,housing_action}", None),
    ("{marac_referral}", "potential_escalation"),
    ("{child_and_family_assessment}", None),
    ("{signposting,clares_law}", None),
)


def decisions_sql(b: dict[str, int], chair: int) -> str:
    """17 in 20 items: $1 partnership, [$2, $3) item numbers."""
    outcomes = "(ARRAY[" + ", ".join(f"'{o}'" for o, _ in _OUTCOMES) + "])"
    criteria = "(ARRAY[" + ", ".join("NULL" if c is None else f"'{c}'" for _, c in _OUTCOMES) + "]::text[])"
    pick = f"1 + (i.id - {b['item']}) / 10 % {len(_OUTCOMES)}"
    return f"""
INSERT INTO decision (id, partnership_id, agenda_item_id, meeting_id, outcomes, rationale, marac_criterion, deferred,
                      recorded_by, recorded_at, version)
OVERRIDING SYSTEM VALUE
SELECT {b["decision"]} + (i.id - {b["item"]}), i.partnership_id, i.id, i.meeting_id,
       CASE WHEN x.deferred THEN '{{}}'::text[] ELSE {outcomes}[{pick}]::text[] END,
       'Discussed with the agencies present; the risk and the family''s needs agreed.',
       CASE WHEN x.deferred THEN NULL ELSE {criteria}[{pick}] END, x.deferred, {chair},
       m.starts_at + interval '30 minutes', CASE WHEN (i.id - {b["item"]}) % 10 = 0 THEN 2 ELSE 1 END
  FROM agenda_item i JOIN meeting m ON m.id = i.meeting_id
 CROSS JOIN LATERAL (SELECT (i.id - {b["item"]}) / 10 % 50 = 1 AS deferred) x
 WHERE i.partnership_id = $1 AND i.id >= {b["item"]} + $2 AND i.id < {b["item"]} + $3
   AND (i.id - {b["item"]}) / 10 % 20 < 17"""


def versions_sql(b: dict[str, int], chair: int) -> str:
    return f"""
INSERT INTO decision_version (decision_id, version, partnership_id, snapshot, recorded_by, recorded_at)
SELECT d.id, v, d.partnership_id, jsonb_build_object('outcomes', d.outcomes, 'deferred', d.deferred), {chair},
       d.recorded_at + (v - 1) * interval '20 minutes'
  FROM decision d CROSS JOIN generate_series(1, d.version) v
 WHERE d.partnership_id = $1 AND d.id >= {b["decision"]} + $2 AND d.id < {b["decision"]} + $3"""


def actions_sql(b: dict[str, int], agencies: Sequence[int], chair: int) -> str:
    """10 actions on each item, 11 on every other: $1 partnership, [$2, $3) item numbers, $4 now."""
    ids = "ARRAY[" + ", ".join(str(a) for a in agencies) + "]::bigint[]"
    return f"""
INSERT INTO action (partnership_id, agenda_item_id, meeting_id, description, owner_agency_id, owner_name, due_at,
                    status, completion_note, completed_at, completed_by, created_by, created_at)
SELECT i.partnership_id, i.id, i.meeting_id, 'Action ' || k || ' agreed on the case',
       ({ids})[1 + (i.id + k) % {len(agencies)}],
       'Named worker', due, st.status,
       CASE WHEN st.status IN ('not_done', 'not_possible') THEN 'Circumstances changed; recorded by the agency.' END,
       CASE WHEN st.status <> 'open' THEN least(due + (h - 9) * interval '1 day', $4::timestamptz) END,
       CASE WHEN st.status <> 'open' THEN {chair} END, {chair}, m.starts_at
  FROM agenda_item i JOIN meeting m ON m.id = i.meeting_id
 CROSS JOIN generate_series(0, 10) k
 CROSS JOIN LATERAL (SELECT m.starts_at + (1 + (i.id + k) % 14) * interval '1 day' AS due,
                            ((i.id * 11 + k) % 20)::integer AS h) dh
 CROSS JOIN LATERAL (SELECT CASE WHEN h < 14 THEN 'done' WHEN h < 16 THEN 'not_done' WHEN h = 16 THEN 'not_possible'
                                 ELSE 'open' END AS status) st
 WHERE i.partnership_id = $1 AND i.id >= {b["item"]} + $2 AND i.id < {b["item"]} + $3 AND (k < 10 OR i.id % 2 = 0)"""


# ---- setting up ---------------------------------------------------------------------------------


@dataclass
class Setup:
    partnership_id: int
    agencies: list[int]
    counts: dict[str, int] = field(default_factory=dict)


async def _arrange(db: Any) -> tuple[int, int, list[int], int, dict[str, int]]:
    """The partnership, its agencies and users, its outcomes and an inactive series; ids reserved in each sequence.
    (partnership, chair, agencies, series, base ids)."""
    from pitstop.accounts import service
    from pitstop.audit.service import Origin
    from pitstop.db.pool import connect
    from pitstop.decisions import queries as decision_queries

    arranged = await arrange(
        db.owner_url, SLUG, [(COORDINATOR, "Casey Coordinator", "coordinator"), (MANAGER, "Morgan Manager", "manager")],
        PASSWORD,
    )  # fmt: skip
    p = arranged.partnership_id
    conn = await connect(db.owner_url)
    try:
        async with conn.transaction():
            for name, kind in AGENCY_TYPES[1:AGENCIES]:
                await service.create_agency(
                    conn, actor=None, partnership_id=p, name=f"Dashboard {name}", agency_type=kind, origin=Origin()
                )
            await decision_queries.outcomes(conn, p)  # the defaults
            chair = await conn.fetchval("SELECT id FROM app_user WHERE email = $1", COORDINATOR)
            agencies = [r["id"] for r in await conn.fetch("SELECT id FROM agency WHERE partnership_id = $1", p)]
            series = await conn.fetchval(
                """INSERT INTO meeting_series (partnership_id, name, place, active, chair_id, minute_taker_id)
                   VALUES ($1, 'Daily pitstop', 'MASH meeting room', false, $2, $2) RETURNING id""",
                p,
                chair,
            )
        base = {}
        for key, table in SEQUENCES.items():
            sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
            base[key] = await conn.fetchval("SELECT nextval($1)", sequence)
            await conn.execute("SELECT setval($1, $2)", sequence, base[key] + RESERVED)
    finally:
        await conn.close()
    return p, chair, sorted(agencies), series, base


async def _load(db: Any) -> Setup:
    from pitstop.meetings.schedule import LONDON

    started = time.perf_counter()
    p, chair, agencies, series, b = await _arrange(db)
    now = datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    first_day = today - timedelta(days=DAYS)
    epoch = datetime.combine(first_day, datetime.min.time(), LONDON).astimezone(UTC)
    # (label, SQL, chunked over notifications (n) or items (i) or once, its arguments after the chunk's range)
    steps: list[tuple[str, str, str, tuple[Any, ...]]] = [
        ("people", people_sql(b, HISTORY), "n", ()),
        ("notifications", notifications_sql(b, SOURCE), "n", (epoch,)),
        ("their people", persons_sql(b, HISTORY), "n-only", ()),
        ("unscreened", unscreened_sql(b), "n", (epoch, now, today)),
        ("screenings", screenings_sql(b, chair), "n", (epoch, now, today)),
        ("meetings", meetings_sql(b, series, chair), "once", (first_day, DAYS, today)),
        ("attendance", attendance_sql(agencies, chair), "once", ()),
        ("minutes", minutes_sql(chair), "once", (now,)),
        ("agenda items", items_sql(b, chair), "n", (epoch, now, today, first_day)),
        ("agenda entries", entries_sql(b), "n", (epoch, now, today, first_day)),
        ("decisions", decisions_sql(b, chair), "n", ()),
        ("decision versions", versions_sql(b, chair), "n", ()),
        ("actions", actions_sql(b, agencies, chair), "n", (now,)),
    ]
    conns = [await asyncpg.connect(db.owner_url) for _ in range(LOADERS)]
    timings = []
    try:
        for conn in conns:
            await conn.execute("SET synchronous_commit = off")
            await conn.execute("SET session_replication_role = replica")
        for label, sql, chunked, extra in steps:
            step_started = time.perf_counter()
            if chunked == "once":
                await conns[0].execute(sql, p, *extra)
            else:
                await load_in_chunks(
                    conns,
                    sql,
                    0,
                    NOTIFICATIONS,
                    CHUNK,
                    (lambda lo, hi: (lo, hi)) if chunked == "n-only" else (lambda lo, hi, e=extra: (p, lo, hi, *e)),
                )
            timings.append(f"{label} {time.perf_counter() - step_started:.0f}s")
        loaded = time.perf_counter() - started
        vacuum_started = time.perf_counter()

        await vacuum_analyze(conns, LOADED)
        vacuumed = time.perf_counter() - vacuum_started
        counts = {}
        for table in ("notification", "screening", "meeting", "attendance", "minutes",
                      "agenda_item", "decision", "decision_version", "action"):  # fmt: skip
            query = f"SELECT count(*) FROM {table} WHERE partnership_id = $1"
            counts[table] = await conns[0].fetchval(query, p)
        size = await conns[0].fetchval("SELECT pg_database_size(current_database())")
    finally:
        for conn in conns:
            await conn.close()
    print(f"set-up: loaded in {loaded:.0f}s ({', '.join(timings)}; foreign keys and triggers off), VACUUM ANALYZE "
          f"and CHECKPOINT {vacuumed:.0f}s, {time.perf_counter() - started:.0f}s in all; database "
          f"{size / 2**20:,.0f} MiB", flush=True)  # fmt: skip
    print("rows: " + ", ".join(f"{t} {c:,}" for t, c in counts.items()), flush=True)
    if counts["notification"] != NOTIFICATIONS or counts["action"] < 2_900_000:
        raise BenchError(f"set-up: {counts['notification']:,} notifications, {counts['action']:,} actions")
    await _count_facts(db, p)
    return Setup(p, agencies, counts)


async def _count_facts(db: Any, partnership_id: int) -> None:
    """The dashboard's facts of every notification, counted as after a change to the repeat-incident rule: the
    partnership's whole queue entry, worked by the product's background counter (as the app's role), then
    VACUUM ANALYZE of the facts. The load ran with triggers off, so nothing else is queued."""
    from pitstop.dashboard import facts

    owner = await asyncpg.connect(db.owner_url)
    pool = await asyncpg.create_pool(db.url(), min_size=1, max_size=1)
    try:
        await owner.execute("INSERT INTO notification_fact_stale (partnership_id) VALUES ($1)", partnership_id)
        started = time.perf_counter()
        rounds = await facts.count_all_queued(pool)
        counted = time.perf_counter() - started
        await owner.execute("VACUUM (ANALYZE) notification_fact")
        made = await owner.fetchval("SELECT count(*) FROM notification_fact WHERE partnership_id = $1", partnership_id)
        left = await facts.waiting(owner, partnership_id)
    finally:
        await pool.close()
        await owner.close()
    print(f"facts: {made:,} notifications counted by the background counter in {counted:.0f}s ({rounds} "
          f"transactions of {facts.BATCH:,}: what a new repeat-incident rule costs), {left} left",
          flush=True)  # fmt: skip
    if made != NOTIFICATIONS or left:
        raise BenchError(f"facts: {made:,} counted, {left} left")


# ---- the raw queries ----------------------------------------------------------------------------


class Timed:
    """An asyncpg connection whose statements are timed: (figure, SQL, arguments, seconds) for each."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.figure = ""
        self.log: list[tuple[str, str, tuple[Any, ...], float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def _timed(self, method: str, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = await getattr(self._conn, method)(sql, *args, **kwargs)
        self.log.append((self.figure, sql, args, time.perf_counter() - started))
        return result

    async def fetch(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return await self._timed("fetch", sql, *args, **kwargs)

    async def fetchrow(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return await self._timed("fetchrow", sql, *args, **kwargs)

    async def fetchval(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return await self._timed("fetchval", sql, *args, **kwargs)


async def _raw(timed: Timed, partnership_id: int, first: date, last: date) -> tuple[float, int]:
    """What the dashboard runs for a manager, in its order: the seconds, and the notifications in the range."""
    from pitstop.dashboard import facts, figures
    from pitstop.minutes import listing

    scope = figures.Scope(partnership_id=partnership_id, first=first, last=last, grade=None)
    now = datetime.now(UTC)
    conn: Any = timed
    started = time.perf_counter()
    async with timed.transaction():  # as the page's: its work_mem is the transaction's
        await conn.execute(f"SET LOCAL work_mem = '{figures.WORK_MEM}'")
        timed.figure = "facts.waiting"
        await facts.waiting(conn, partnership_id)
        timed.figure = "days"
        flow = await figures.days(conn, scope)
        figures.screening_by_week(flow)
        timed.figure = "overdue_now"
        await figures.overdue_now(conn, partnership_id, now, None)
        timed.figure = "durations"
        await figures.durations(conn, scope)
        timed.figure = "minutes.rows_in"
        await listing.rows_in(conn, partnership_id, first, last)
        timed.figure = "volumes"
        volumes = await figures.volumes(conn, scope, flow)
        timed.figure = "outcomes"
        await figures.outcomes(conn, scope)
        timed.figure = "attendance"
        await figures.attendance(conn, scope)
        timed.figure = "actions"
        await figures.actions(conn, scope, now, agency_id=None)
    return time.perf_counter() - started, volumes.notifications


# ---- HTTP ---------------------------------------------------------------------------------------


async def _view(user: User, port: int, path: str) -> tuple[str, float, bytes]:
    """One GET with the manager's session on a fresh connection: (request id, wall seconds, body); 200 or BenchError."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\nAccept: text/html\r\n"
    ).encode() + b"Cookie: " + user.session + b"\r\n\r\n"  # fmt: skip
    if user.conn is not None:  # idle while the raw queries ran, perhaps longer than uvicorn's keep-alive (5 s)
        user.conn.close()
    user.conn = await asyncio.wait_for(Connection.open(port), 5)  # untimed
    started = time.perf_counter()
    async with asyncio.timeout(REQUEST_SECONDS):
        status, headers, body, close = await user.conn.exchange_with_headers(request)
    seconds = time.perf_counter() - started
    if close:
        user.conn.close()
        user.conn = None
    if status != 200:
        raise BenchError(f"GET {path}: {status}: {body[:200]!r}")
    return dict(headers).get(b"x-request-id", b"").decode(), seconds, body


SECTIONS = (b"Notifications screened within their deadline", b"Notifications received, per day", b"Actions per agency")


def _check(body: bytes, notifications: int) -> str | None:
    missing = [s.decode() for s in SECTIONS if s not in body]
    if missing:
        return f"the page lacks {missing}"
    if f"{notifications:,}".encode() not in body and f">{notifications}<".encode() not in body:
        return f"the page does not show the {notifications:,} notifications in the range"
    return None


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Measured:
    label: str
    path: str
    first: date
    last: date
    server: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    notifications: int = 0
    statements: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    args: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    figures: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def _measure(server: Server, user: User, timed: Timed, setup: Setup, m: Measured, errors: list[str]) -> None:
    ids: list[str] = []
    for round_ in range(WARMUP + ROUNDS[m.label]):
        request_id, wall, body = await _view(user, server.port, m.path)
        timed.log.clear()
        raw, m.notifications = await _raw(timed, setup.partnership_id, m.first, m.last)
        if (problem := _check(body, m.notifications)) is not None:
            errors.append(f"{m.label}: {problem}")
        if round_ < WARMUP:
            continue
        ids.append(request_id)
        m.wall.append(wall)
        m.raw.append(raw)
        per_figure: dict[str, float] = defaultdict(float)
        for figure, sql, args, seconds in timed.log:
            m.statements[(figure, sql)].append(seconds)
            m.args[(figure, sql)] = args
            per_figure[figure] += seconds
        for figure, seconds in per_figure.items():
            m.figures[figure].append(seconds)
    times = await server_times(server, ids)
    m.server = [times[i] for i in ids]


async def _explain(conn: asyncpg.Connection, m: Measured) -> None:
    (figure, sql), spent = max(m.statements.items(), key=lambda kv: statistics.median(kv[1]))
    print(f"slowest statement ({m.label}): {figure}, p50 {_ms(statistics.median(spent))}; EXPLAIN (ANALYZE, BUFFERS), "
          f"top {PLAN_LINES} lines:")  # fmt: skip
    from pitstop.dashboard.figures import WORK_MEM

    async with conn.transaction():
        await conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *m.args[(figure, sql)])
    lines = [r[0] for r in plan]
    for line in lines[:PLAN_LINES]:
        print(f"    {line}")
    for line in lines[PLAN_LINES:]:
        if line.startswith(("Planning", "Execution")):
            print(f"    {line}")


async def run(ctx: Context) -> list[Comparison]:
    from pitstop.db.pool import connect
    from pitstop.meetings.schedule import LONDON

    db = await ctx.database()
    setup = await _load(db)
    today = datetime.now(LONDON).date()
    year_first = today - timedelta(days=364)
    ranges = [
        Measured("12 weeks", "/dashboard", today - timedelta(weeks=12), today),
        Measured("one year", f"/dashboard?from={year_first.isoformat()}&to={today.isoformat()}", year_first, today),
    ]
    errors: list[str] = []
    manager = User(0, MANAGER, setup.agencies[0], False)
    conn = await connect(db.url())
    timed = Timed(conn)
    try:
        async with ctx.pitstop(log_level="INFO", ready_path="/healthz") as server:
            await sign_in(manager, server.port)
            try:
                for m in ranges:
                    await _measure(server, manager, timed, setup, m, errors)
            finally:
                if manager.conn is not None:
                    manager.conn.close()
        for m in ranges:
            await _explain(conn, m)
    finally:
        await conn.close()

    comparisons = []
    for m in ranges:
        server_p50, wall_p50, raw_p50 = (statistics.median(x) for x in (m.server, m.wall, m.raw))
        print(f"GET {m.path} ({m.label}, {m.first} to {m.last}: {m.notifications:,} notifications), "
              f"{len(m.server)} views after {WARMUP} warm-up:")  # fmt: skip
        print(f"  server (duration_ms)  p50 {_ms(server_p50)}, max {_ms(max(m.server))}")
        print(f"  client wall time      p50 {_ms(wall_p50)}, max {_ms(max(m.wall))}")
        print(f"  raw queries, summed   p50 {_ms(raw_p50)}, max {_ms(max(m.raw))}")
        slowest = sorted(m.figures.items(), key=lambda kv: -statistics.median(kv[1]))
        print("  each figure, raw p50: " + ", ".join(f"{f} {_ms(statistics.median(s))}" for f, s in slowest))
        times = server_p50 / raw_p50
        print(f"dashboard[{m.label}]: server p50 {_ms(server_p50)} against the raw queries' {_ms(raw_p50)} in the same "
              f"run: {times:.2f}x (target <= {TARGET_TIMES:g}x) {'PASS' if times <= TARGET_TIMES else 'FAIL'}; "
              f"total {_ms(server_p50)} (target < {TARGET_SECONDS:g} s) "
              f"{'PASS' if server_p50 < TARGET_SECONDS else 'FAIL'}")  # fmt: skip
        comparisons.append(
            Comparison(
                name=f"dashboard[{m.label}]",
                subject="server p50",
                subject_value=server_p50 * 1000,
                baseline="raw queries p50",
                baseline_value=raw_p50 * 1000,
                unit="ms",
                ratio=raw_p50 / server_p50,
                target=1 / TARGET_TIMES,
                errors=len(errors),
                note=f"{times:.2f}x the raw queries (target <= {TARGET_TIMES:g}x); total {_ms(server_p50)}, target "
                f"< {TARGET_SECONDS:g} s: {'PASS' if server_p50 < TARGET_SECONDS else 'FAIL'}; "
                f"{m.notifications:,} notifications in the range",
            )
        )
    for message in errors[:10]:
        print(f"  error: {message}")
    return comparisons

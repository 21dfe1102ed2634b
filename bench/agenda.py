"""agenda: building a 60-item agenda as the history grows, and the meeting page against its query.

1. Build time with 1,000,000 earlier notifications against 10,000 (target: at most 1.5 times).
   One partnership's history, written in bulk by set-based SQL as the schema owner (never through
   intake): each earlier notification has a victim and an alleged perpetrator (a third also a child),
   all linked to people; 30 % of victims and 30 % of perpetrators are repeat people, with four
   incidents 8.7 days apart (so the potential-escalation counts have rows to count); each is screened
   and was placed on an earlier held meeting's agenda (60 a meeting, items discussed, entries
   closed). A notification every 5 minutes, so 1,000,000 reach about 9.5 years back. The history
   grows backwards in time: the 10,000 most recent first, then the 990,000 before them, so the people
   the new notifications name have the same recent history in both measurements. The first 10,000
   are written with every check on; the rest by the same statements with foreign keys and triggers
   off (session_replication_role = replica, as pg_restore --disable-triggers does), two connections
   at once, then VACUUM ANALYZE and a CHECKPOINT. Not written: notification versions, imports and
   audit rows (the agenda reads none of them).

   A build is what a coordinator's look at the next meeting does: `agenda.agenda(...)` as a
   coordinator, on a connection of the app's role with the app's codecs, in one transaction (lock
   the meeting, `place_waiting` takes the 60 queued screened notifications off the queue and puts
   them on the agenda in order, then the agenda is read back and the look audited), timed to the
   commit. Each build is on a fresh meeting (the next one of a series) with 60 fresh notifications
   screened just now: 20 name a repeat victim from the recent history, 20 a repeat perpetrator, 20
   new people only; one in seven is an open case (the information list); each has its own victim,
   so 60 items. 3 warm-up builds, then 11, with 10,000; the same after growing to 1,000,000.
   Ratio = median(10k) / median(1M), target >= 0.67 (1M at most 1.5 x 10k).

2. The meeting page against its query, with 1,000,000. `GET /meetings/{id}` from `pitstop serve` at
   INFO as production runs it, signed in as a coordinator (a session from the sign-in form), on one
   keep-alive connection. Its time is the server's own: `duration_ms` of the request's access-log
   line (the outermost middleware; the client's wall time is printed beside it). The baseline is
   `pitstop.agenda.queries.entries(conn, meeting_id)` alone, from this process on a connection with
   the app's codecs, for the same meeting: the query that fetches the agenda's rows. Each round
   queues 60 fresh notifications for a fresh meeting; the page's first view places them, then 5
   repeat views alternate with 5 runs of the raw query (and 5 of the JSON agenda). A warm-up round,
   then 7. One line, ratio = query / page, target >= 0.20 (the page at most 5 x the query):
   `agenda[page]`, the page of the built agenda (what a coordinator usually sees: the meeting clock
   places what is waiting every minute). The first view, which also places, orders and audits the
   60 (the build of part 1 inside the request), is printed beside it for information: it is a build
   plus a page, not the page the target is about.

The measured series is created through the service (`create_series`) 30 days ahead and then made
inactive, so the server's meeting clock neither generates nor places anything for it: only the
measured calls place. A used meeting is recorded as held (by SQL) before the next round. Memory: the
server's resident set when ready and its peak (VmHWM) after the page rounds.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench._accounts import arrange
from bench._common import (
    BenchError,
    Comparison,
    Connection,
    Context,
    get_request,
    load_in_chunks,
    server_times,
    vacuum_analyze,
)

DESCRIPTION = "a 60-item agenda built with 1,000,000 earlier notifications vs 10,000; GET /meetings/{id} vs its query"
SMALL = 10_000
LARGE = 1_000_000
ITEMS = 60
WARMUP_ROUNDS = 3  # builds at each size before the measured ones: after loading, the caches are cold
ROUNDS = 11  # builds measured at each size
PAGE_WARMUP_ROUNDS = 1  # the page's first round (templates compiled, statements prepared)
PAGE_ROUNDS = 7
PAGE_REPEATS = 5  # repeat views (and raw queries) after each first view
GROWTH_TARGET = 1.5  # build(1M) at most this many times build(10k)
PAGE_TARGET = 5.0  # the page at most this many times the raw query
SLUG = "agenda"
PASSWORD = "a bench coordinator passphrase"
COORDINATOR = "coordinator@agenda.example"
SPACING_MINUTES = 5  # between earlier notifications, backwards from a day ago
# Repeat people: in each block of 4 x SPAN notifications, slot s = n % SPAN with s % 10 < 3 has one
# victim for its four notifications (8.7 days apart), and with s % 10 in 2..4 one alleged perpetrator.
SPAN = 2_500
BLOCK = 4 * SPAN
PER_MEETING = 60  # earlier notifications on each held meeting's agenda
RESERVED = 10_000_000  # ids set aside in each sequence for the rows numbered here
NEW_BASE = 2_000_000  # numbers of the notifications queued for the measured meetings...
NEW_STRIDE = 420  # ...a round apart: a multiple of 3, 4, 5 and 7, so every round has the same mix
CHUNK = 100_000  # notifications a loading statement writes
LOADERS = 2  # connections loading at once
REQUEST_SECONDS = 60.0
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')

FAMILY = [
    "Marsh", "Dunmore", "Okafor", "Pryce", "Hughes", "Kowalski", "Begum", "Adeyemi", "Walsh", "Nguyen",
    "Patel", "Fraser", "Lindqvist", "Osei", "Brennan", "Haddad", "Moreno", "Sutherland", "Chowdhury", "Ellison",
    "O'Neill", "Carter-Jones", "Achterberg", "Baptiste", "Costa", "Dobrev", "Evans", "Farrelly", "Gallagher",
    "Hussain", "Iqbal", "Jablonski", "Kaur", "Lambert", "Mensah", "Novak", "Owusu", "Quigley", "Rahman", "Szabo",
]  # fmt: skip
GIVEN = [
    "Kelly", "Craig", "Tyler", "Amira", "Dylan", "Sophie", "Jordan", "Chloe", "Ryan", "Leah",
    "Marek", "Priya", "Aaron", "Zainab", "Connor", "Grace", "Liam", "Hannah", "Kwame", "Megan",
    "Nathan", "Olivia", "Piotr", "Ruth", "Samir", "Tasha", "Usman", "Vera", "Wesley", "Yasmin",
    "Abdul", "Bethany", "Callum", "Danielle", "Ethan", "Fatima", "Gareth", "Holly", "Isaac", "Jade",
]  # fmt: skip
STREETS = [
    "Quillon Close", "Orchard Vale", "Larchwood Road", "Mill Lane", "Eastgate", "Riverside Walk",
    "Station Road", "Coppice Way", "Hawthorn Drive", "Kestrel Court", "Tanner's Row", "Beacon Hill",
]  # fmt: skip


# ---- the rows, in SQL ---------------------------------------------------------------------------
# Every statement numbers its rows. Notification n (0: the most recent earlier one) has id
# base["notification"] + n, its screening base["screening"] + n, its item base["item"] + n, and it is
# on meeting base["meeting"] + n / 60. Person code c has id base["person"] + c: 4n is the victim,
# 4n + 1 the alleged perpetrator and 4n + 2 the child of notification n, except that a repeat
# person has the code of their group's first (most recent) notification. So every statement can
# name the rows another one wrote, and the history can be written in chunks, two at a time.


def _text_array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _name(code: str, child: str) -> dict[str, str]:
    """SQL: the family name, given name and date of birth of person `code`. Different codes have
    different names or dates of birth, so every person has a match key of their own."""
    nf, ng = len(FAMILY), len(GIVEN)
    mix = f"(({code}) / {nf * ng} * 7919)"  # 7919 is prime: the dates of birth do not repeat
    return {
        "family": f"({_text_array(FAMILY)})[1 + ({code}) % {nf}]",
        "given": f"({_text_array(GIVEN)})[1 + ({code}) / {nf} % {ng}]",
        "born": f"(CASE WHEN {child} THEN date '2008-01-01' + ({mix} % 5000)::integer "
        f"ELSE date '1950-01-01' + ({mix} % 20000)::integer END)",
    }


_REPEAT_VICTIM = f"(n % {SPAN}) % 10 < 3"
_REPEAT_PERPETRATOR = f"(n % {SPAN}) % 10 BETWEEN 2 AND 4"
_FIRST_OF_GROUP = f"n % {BLOCK} < {SPAN}"
_GROUP = f"(n / {BLOCK} * {BLOCK} + n % {SPAN})"
_VICTIM_CODE = f"(CASE WHEN {_REPEAT_VICTIM} THEN 4 * {_GROUP} ELSE 4 * n END)"
_PERPETRATOR_CODE = f"(CASE WHEN {_REPEAT_PERPETRATOR} THEN 4 * {_GROUP} + 1 ELSE 4 * n + 1 END)"
_HAS_CHILD = "n % 3 = 0"
_ADDRESS = f"(1 + n % 180) || ' ' || ({_text_array(STREETS)})[1 + n % {len(STREETS)}]"

# Where the rows come from: the history numbers n in [$2, $3), notification n received at
# $4 - n x 5 minutes; the queued notifications are listed ($2: numbers, $3: received at).
HISTORY = (
    "generate_series($2::bigint, $3::bigint - 1) n "
    f"CROSS JOIN LATERAL (SELECT $4::timestamptz - n * interval '{SPACING_MINUTES} minutes' AS t) tt"
)
QUEUED = "unnest($2::bigint[], $3::timestamptz[]) AS tt (n, t)"


def people_sql(base: dict[str, int], source: str) -> str:
    """The people: for the history, those first named in notifications [$2, $3); for the queued
    notifications, source lists their codes ($2) and whether each is a child ($3)."""
    if source == HISTORY:
        source = f"""generate_series($2::bigint, $3::bigint - 1) n
 CROSS JOIN LATERAL (VALUES ({_VICTIM_CODE}, false, NOT ({_REPEAT_VICTIM}) OR {_FIRST_OF_GROUP}),
                            ({_PERPETRATOR_CODE}, false, NOT ({_REPEAT_PERPETRATOR}) OR {_FIRST_OF_GROUP}),
                            (4 * n + 2, true, {_HAS_CHILD})) AS x (code, child, wanted)
 WHERE x.wanted"""
    else:
        source = "unnest($2::bigint[], $3::boolean[]) AS x (code, child)"
    name = _name("x.code", "x.child")
    return f"""
INSERT INTO person (id, partnership_id, match_key, family_name, given_names, date_of_birth, auto_match)
OVERRIDING SYSTEM VALUE
SELECT {base["person"]} + x.code, $1, person_match_key(y.family, y.given, y.born), y.family, y.given, y.born, true
  FROM (SELECT x.code, x.child FROM {source}) x
 CROSS JOIN LATERAL (SELECT {name["family"]} AS family, {name["given"]} AS given, {name["born"]} AS born) y"""


def notifications_sql(base: dict[str, int], source: str) -> str:
    return f"""
INSERT INTO notification (id, partnership_id, police_reference, source, received_at, incident_at, address, postcode,
                          circumstances, injuries, weapons, strangulation, arrest_made, no_arrest_reason, risk_tool,
                          risk_answers, risk_yes_count, officer_grade, victim_pregnant, safe_to_contact, open_case,
                          allocated_worker, status, screening_due_at, content_hash, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT {base["notification"]} + n, $1, 'NF/' || lpad(n::text, 7, '0') || '/25', 'csv', t, t - interval '2 hours',
       {_ADDRESS}, 'NF' || (1 + n % 9) || ' 4QX',
       'Caller reports an argument between partners at the address; shouting heard by neighbours and items '
           || 'thrown. Officers attended and spoke to both parties separately. Incident ' || n || '.',
       n % 2 = 0, n % 11 = 0, n % 13 = 0, n % 3 <> 0, CASE WHEN n % 3 = 0 THEN 'Victim did not support' END, 'dash',
       CASE n % 4 WHEN 0 THEN '{{"frightened": true, "threat_to_kill": true}}'::jsonb
                  WHEN 1 THEN '{{"separation": true, "stalking": true}}'::jsonb ELSE '{{}}'::jsonb END,
       n % 20, (ARRAY['standard', 'medium', 'high'])[1 + n % 3], n % 29 = 0, n % 5 <> 0, n % 7 = 0,
       CASE WHEN n % 7 = 0 THEN 'Family support worker' END, 'screened', t + interval '1 day', md5(n::text), t, t
  FROM {source}"""


def persons_sql(base: dict[str, int], source: str) -> str:
    """The people named in the notifications, linked: for the history, (position, role, code) of
    notifications [$1, $2); for the queued ones, source lists numbers ($1), positions ($2), roles ($3)
    and codes ($4)."""
    if source == HISTORY:
        source = f"""generate_series($1::bigint, $2::bigint - 1) n
 CROSS JOIN LATERAL (VALUES (1, 'victim', {_VICTIM_CODE}, true),
                            (2, 'alleged_perpetrator', {_PERPETRATOR_CODE}, true),
                            (3, 'child', 4 * n + 2, {_HAS_CHILD})) AS x (position, role, code, wanted)
 WHERE x.wanted"""
    else:
        source = "unnest($1::bigint[], $2::integer[], $3::text[], $4::bigint[]) AS x (n, position, role, code)"
    name = _name("code", "role = 'child'")
    return f"""
INSERT INTO notification_person (notification_id, position, role, family_name, given_names, date_of_birth, address,
                                 present, witnessed, school, person_id)
SELECT {base["notification"]} + n, position, role, {name["family"]}, {name["given"]}, {name["born"]},
       CASE WHEN role = 'child' OR n % 5 <> 0 THEN {_ADDRESS} END,
       CASE WHEN role = 'child' THEN true END, CASE WHEN role = 'child' THEN n % 2 = 0 END,
       CASE WHEN role = 'child' THEN 'Northfield Primary School' END, {base["person"]} + code
  FROM (SELECT n, x.position, x.role, x.code FROM {source}) x"""


def screenings_sql(base: dict[str, int], source: str, screener: int, after: str) -> str:
    """Screened `after` the notification was received: to the agenda, one in seven to the allocated worker."""
    return f"""
INSERT INTO screening (id, partnership_id, notification_id, notification_version, grade, consent, route,
                       screened_by, screened_at, immediate_protection)
OVERRIDING SYSTEM VALUE
SELECT {base["screening"]} + n, $1, {base["notification"]} + n, 1, (ARRAY['standard', 'medium', 'high'])[1 + n / 3 % 3],
       'given', CASE WHEN n % 7 = 0 THEN 'allocated_worker' ELSE 'agenda' END, {screener}, t + interval '{after}',
       n % 20 = 0
  FROM {source}"""


def meetings_sql(base: dict[str, int], series_id: int, chair: int) -> str:
    """The held meetings whose first (most recent) notification is in [$2, $3)."""
    return f"""
INSERT INTO meeting (id, partnership_id, series_id, occurrence, starts_at, length_minutes, cut_off_at, publish_at,
                     state, chair_id, minute_taker_id, published_at, started_at, ended_at, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT {base["meeting"]} + n / {PER_MEETING}, $1, {series_id}, NULL, s, 60, s - interval '90 minutes',
       s - interval '60 minutes', 'held', {chair}, {chair}, s - interval '60 minutes', s, s + interval '1 hour',
       s - interval '1 day', s + interval '1 hour'
  FROM {HISTORY} CROSS JOIN LATERAL (SELECT t + interval '6 hours' AS s) ss
 WHERE n % {PER_MEETING} = 0"""


def items_sql(base: dict[str, int], chair: int) -> str:
    return f"""
INSERT INTO agenda_item (id, partnership_id, meeting_id, list, position, victim_person_id, state, closed_by,
                         closed_at, created_at)
OVERRIDING SYSTEM VALUE
SELECT {base["item"]} + n, $1, {base["meeting"]} + n / {PER_MEETING},
       CASE WHEN n % 7 = 0 THEN 'information' ELSE 'discussion' END, 1 + n % {PER_MEETING},
       {base["person"]} + {_VICTIM_CODE}, 'discussed', {chair}, t + interval '7 hours', t + interval '3 hours'
  FROM {HISTORY}"""


def entries_sql(base: dict[str, int]) -> str:
    return f"""
INSERT INTO agenda_entry (partnership_id, agenda_item_id, notification_id, screening_id, open)
SELECT $1, {base["item"]} + n, {base["notification"]} + n, {base["screening"]} + n, false
  FROM {HISTORY}"""


SEQUENCES = {"person": "person", "notification": "notification", "screening": "screening", "meeting": "meeting",
             "item": "agenda_item"}  # fmt: skip
LOADED = ("person", "notification", "notification_person", "screening", "meeting", "agenda_item", "agenda_entry")


# ---- setting up ---------------------------------------------------------------------------------


@dataclass
class Setup:
    partnership_id: int
    coordinator: Any  # pitstop.accounts.identity.Identity
    base: dict[str, int]
    history_series: int
    meetings: list[int]  # the measured series' meetings, earliest first; each round takes the next
    epoch: datetime  # when earlier notification 0 was received
    rounds_done: int = 0
    loaded: int = 0  # earlier notifications written so far


async def _setup(db: Any) -> Setup:
    from pitstop.accounts.identity import AuthMethod, Identity
    from pitstop.accounts.models import Role
    from pitstop.audit.service import Origin
    from pitstop.db.pool import connect
    from pitstop.meetings import service as meetings
    from pitstop.meetings.models import SeriesIn

    arranged = await arrange(db.owner_url, SLUG, [(COORDINATOR, "Casey Coordinator", "coordinator")], PASSWORD)
    conn = await connect(db.url())
    try:
        user = await conn.fetchrow("SELECT id, agency_id, name FROM app_user WHERE email = $1", COORDINATOR)
        coordinator = Identity(
            user_id=user["id"],
            partnership_id=arranged.partnership_id,
            agency_id=user["agency_id"],
            name=user["name"],
            email=COORDINATOR,
            roles=frozenset({Role.COORDINATOR}),
            must_change_password=False,
            method=AuthMethod.SESSION,
            credential="bench",
        )
        form = SeriesIn(
            name="Daily pitstop",
            place="MASH meeting room",
            weeks_ahead=10,
            chair_id=user["id"],
            minute_taker_id=user["id"],
        )
        today = datetime.now(UTC).date() + timedelta(days=30)
        async with conn.transaction():
            series = await meetings.create_series(conn, actor=coordinator, form=form, origin=Origin(), today=today)
            # Inactive: the server's meeting clock generates nothing more for it (and places nothing).
            await conn.execute("UPDATE meeting_series SET active = false WHERE id = $1", series.id)
            history_series = await conn.fetchval(
                """INSERT INTO meeting_series (partnership_id, name, place, active, chair_id, minute_taker_id)
                   VALUES ($1, 'Daily pitstop (until last year)', 'MASH meeting room', false, $2, $2) RETURNING id""",
                arranged.partnership_id,
                user["id"],
            )
        found = [
            r["id"]
            for r in await conn.fetch("SELECT id FROM meeting WHERE series_id = $1 ORDER BY starts_at", series.id)
        ]
    finally:
        await conn.close()
    owner = await asyncpg.connect(db.owner_url)
    try:
        base = {}
        for key, table in SEQUENCES.items():
            sequence = await owner.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
            base[key] = await owner.fetchval("SELECT nextval($1)", sequence)
            await owner.execute("SELECT setval($1, $2)", sequence, base[key] + RESERVED)
    finally:
        await owner.close()
    epoch = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    return Setup(arranged.partnership_id, coordinator, base, history_series, found, epoch)


async def _grow(db: Any, setup: Setup, upto: int, *, checks: bool) -> float:
    """Write earlier notifications [setup.loaded, upto) with everything about them, then VACUUM
    ANALYZE and CHECKPOINT; the seconds it took. Without `checks`, foreign keys and triggers are not
    checked while writing (session_replication_role = replica, as pg_restore --disable-triggers does):
    the same statements wrote the first 10,000 with every check on."""
    first = setup.loaded
    b, pid, chair = setup.base, setup.partnership_id, setup.coordinator.user_id
    # (what, SQL, its parameters besides the range: the partnership, and the time of notification 0)
    steps = [
        ("people", people_sql(b, HISTORY), "partnership"),
        ("meetings", meetings_sql(b, setup.history_series, chair), "all"),
        ("notifications", notifications_sql(b, HISTORY), "all"),
        ("their people", persons_sql(b, HISTORY), "range"),
        ("screenings", screenings_sql(b, HISTORY, chair, "3 hours"), "all"),
        ("agenda items", items_sql(b, chair), "all"),
        ("agenda entries", entries_sql(b), "all"),
    ]
    started = time.perf_counter()
    conns = [await asyncpg.connect(db.owner_url) for _ in range(LOADERS)]
    try:
        for conn in conns:
            await conn.execute("SET synchronous_commit = off")
            if not checks:
                await conn.execute("SET session_replication_role = replica")
        timings = []
        for label, sql, takes in steps:
            step_started = time.perf_counter()
            shapes = {
                "range": lambda lo, hi: (lo, hi),
                "partnership": lambda lo, hi: (pid, lo, hi),
                "all": lambda lo, hi: (pid, lo, hi, setup.epoch),
            }
            await load_in_chunks(conns, sql, first, upto, CHUNK, shapes[takes])
            timings.append(f"{label} {time.perf_counter() - step_started:.1f}s")
        loaded = time.perf_counter() - started
        vacuum_started = time.perf_counter()

        await vacuum_analyze(conns, LOADED)
        vacuumed = time.perf_counter() - vacuum_started
        size = await conns[0].fetchval("SELECT pg_database_size(current_database())")
    finally:
        for conn in conns:
            await conn.close()
    setup.loaded = upto
    print(f"history: {upto:,} earlier notifications: {upto - first:,} written in {loaded:.1f}s "
          f"({', '.join(timings)}{'' if checks else '; foreign keys and triggers off'}), "
          f"VACUUM ANALYZE and CHECKPOINT {vacuumed:.1f}s; database {size / 2**20:,.0f} MiB", flush=True)  # fmt: skip
    return loaded + vacuumed


@dataclass(frozen=True)
class Queued:
    meeting_id: int
    references: list[str]
    escalations: int  # notifications naming a repeat person from the recent history


def _slots(low: int, high: int) -> list[int]:
    """Repeat groups of the most recent block whose slot s has low <= s % 10 <= high."""
    return [s for s in range(SPAN) if low <= s % 10 <= high]


REPEAT_VICTIMS = _slots(0, 2)
REPEAT_PERPETRATORS = _slots(2, 4)


async def _queue(owner: asyncpg.Connection, setup: Setup) -> Queued:
    """60 notifications screened just now, queued for the next meeting of the series."""
    round_ = setup.rounds_done
    if round_ >= len(setup.meetings) or (round_ + 1) * ITEMS // 3 > len(REPEAT_VICTIMS):
        raise BenchError("the benchmark ran out of meetings or repeat people: fewer rounds")
    setup.rounds_done += 1
    b = setup.base
    numbers = [NEW_BASE + round_ * NEW_STRIDE + j for j in range(ITEMS)]
    now = datetime.now(UTC)
    received = [now - timedelta(minutes=90 - j) for j in range(ITEMS)]
    new_people: list[tuple[int, bool]] = []
    rows: list[tuple[int, int, str, int]] = []  # number, position, role, code
    for j, n in enumerate(numbers):
        pick = round_ * ITEMS // 3 + j // 3
        victim = 4 * REPEAT_VICTIMS[pick] if j % 3 == 0 else 4 * n
        perpetrator = 4 * REPEAT_PERPETRATORS[pick] + 1 if j % 3 == 1 else 4 * n + 1
        named = [(1, "victim", victim), (2, "alleged_perpetrator", perpetrator)]
        if n % 3 == 0:
            named.append((3, "child", 4 * n + 2))
        for position, role, code in named:
            rows.append((n, position, role, code))
            if code // 4 == n:
                new_people.append((code, role == "child"))
    async with owner.transaction():
        await owner.execute(
            people_sql(b, QUEUED), setup.partnership_id, [c for c, _ in new_people], [k for _, k in new_people]
        )
        await owner.execute(notifications_sql(b, QUEUED), setup.partnership_id, numbers, received)
        await owner.execute(persons_sql(b, QUEUED), *(list(column) for column in zip(*rows, strict=True)))
        await owner.execute(
            screenings_sql(b, QUEUED, setup.coordinator.user_id, "30 minutes"), setup.partnership_id, numbers, received
        )
        await owner.execute(
            f"""INSERT INTO agenda_queue (notification_id, partnership_id, screening_id, screened_at)
                SELECT {b["notification"]} + n, $1, {b["screening"]} + n, t + interval '30 minutes' FROM {QUEUED}""",
            setup.partnership_id,
            numbers,
            received,
        )
    references = [f"NF/{n:07d}/25" for n in numbers]
    return Queued(setup.meetings[round_], references, escalations=2 * ITEMS // 3)


async def _hold(owner: asyncpg.Connection, meeting_id: int) -> None:
    """The meeting was held: its items discussed, their entries closed (the next round's meeting is next)."""
    async with owner.transaction():
        await owner.execute(
            """UPDATE meeting SET state = 'held', started_at = starts_at, ended_at = starts_at + interval '1 hour'
                WHERE id = $1""",
            meeting_id,
        )
        await owner.execute(
            """WITH done AS (UPDATE agenda_item SET state = 'discussed', closed_at = now()
                              WHERE meeting_id = $1 AND state = 'open' RETURNING id)
               UPDATE agenda_entry SET open = false WHERE agenda_item_id IN (SELECT id FROM done) AND open""",
            meeting_id,
        )


def _check(agenda: Any, queued: Queued) -> None:
    """The agenda holds the 60 queued notifications, one an item, and the repeat people were found."""
    items = [*agenda.items, *agenda.information]
    references = sorted(n.police_reference for item in items for n in item.notifications)
    if len(items) != ITEMS or references != sorted(queued.references):
        raise BenchError(f"the agenda has {len(items)} items, {len(references)} notifications: expected {ITEMS}")
    escalating = sum(n.potential_escalation for item in items for n in item.notifications)
    if escalating < queued.escalations:
        raise BenchError(f"{escalating} potential escalations on the agenda, expected at least {queued.escalations}")


# ---- 1. building the agenda ---------------------------------------------------------------------


async def _builds(db: Any, owner: asyncpg.Connection, setup: Setup) -> list[float]:
    """Warm-up, then ROUNDS builds, each on a fresh meeting with 60 fresh queued notifications."""
    from pitstop.agenda import service as agenda
    from pitstop.audit.service import Origin
    from pitstop.db.pool import connect

    conn = await connect(db.url())  # the app's role and codecs, as a pooled connection of the server
    times = []
    try:
        for round_ in range(WARMUP_ROUNDS + ROUNDS):
            queued = await _queue(owner, setup)
            started = time.perf_counter()
            async with conn.transaction():
                built = await agenda.agenda(conn, setup.coordinator, queued.meeting_id, Origin())
            seconds = time.perf_counter() - started
            _check(built, queued)
            await _hold(owner, queued.meeting_id)
            escalations = sum(
                n.potential_escalation for i in [*built.items, *built.information] for n in i.notifications
            )
            if round_ >= WARMUP_ROUNDS:
                times.append(seconds)
            label = f"round {round_ - WARMUP_ROUNDS + 1}" if round_ >= WARMUP_ROUNDS else "warm-up"
            print(f"  {label}: built {len(built.items)} + {len(built.information)} items "
                  f"({escalations} potential escalations) in {seconds * 1000:.1f} ms", flush=True)  # fmt: skip
    finally:
        await conn.close()
    return times


# ---- 2. the meeting page ------------------------------------------------------------------------


def _cookie(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == b"set-cookie" and value.startswith(name + b"="):
            return value.split(b";", 1)[0]
    return None


async def _sign_in(conn: Connection, port: int) -> bytes:
    """Sign in as the coordinator, as a browser does; the session cookie."""
    status, headers, body, _ = await conn.exchange_with_headers(get_request(port, "/sign-in"))
    csrf = _cookie(headers, b"__Host-pitstop_csrf")
    token = _CSRF.search(body)
    if status != 200 or csrf is None or token is None:
        raise BenchError(f"GET /sign-in: {status}")
    form = urllib.parse.urlencode(
        {"email": COORDINATOR, "password": PASSWORD, "next": "/", "csrf_token": token.group(1).decode()}
    ).encode()
    request = (
        (
            f"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n"
        ).encode()
        + b"Cookie: "
        + csrf
        + b"\r\n\r\n"
        + form
    )
    status, headers, _, _ = await conn.exchange_with_headers(request)
    session = _cookie(headers, b"__Host-pitstop_session")
    if status != 303 or session is None:
        raise BenchError(f"POST /sign-in: {status}")
    return session


async def _get(conn: Connection, port: int, path: str, session: bytes, accept: str) -> tuple[str, float, bytes]:
    """One GET with the session: (request id, client wall seconds, body); 200 or BenchError."""
    request = (
        (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\nAccept: {accept}\r\n").encode()
        + b"Cookie: "
        + session
        + b"\r\n\r\n"
    )
    started = time.perf_counter()
    async with asyncio.timeout(REQUEST_SECONDS):
        status, headers, body, _ = await conn.exchange_with_headers(request)
    seconds = time.perf_counter() - started
    if status != 200:
        raise BenchError(f"GET {path}: {status}: {body[:200]!r}")
    request_id = dict(headers).get(b"x-request-id", b"").decode()
    return request_id, seconds, body


def _status_mib(pid: int, name: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class PageTimes:
    first: list[str] = field(default_factory=list)  # request ids
    repeat: list[str] = field(default_factory=list)
    api: list[str] = field(default_factory=list)
    first_wall: list[float] = field(default_factory=list)
    repeat_wall: list[float] = field(default_factory=list)
    query: list[float] = field(default_factory=list)  # medians of each round's raw queries
    rss_mib: float = float("nan")
    peak_mib: float = float("nan")
    bytes: int = 0


async def _pages(ctx: Context, db: Any, owner: asyncpg.Connection, setup: Setup) -> tuple[PageTimes, dict[str, float]]:
    from pitstop.agenda import queries
    from pitstop.db.pool import connect

    result = PageTimes()
    conn = await connect(db.url())
    try:
        async with ctx.pitstop(log_level="INFO") as server:
            pid = server.process.pid
            result.rss_mib = _status_mib(pid, "VmRSS")
            client = await Connection.open(server.port)
            try:
                session = await _sign_in(client, server.port)
                for round_ in range(PAGE_WARMUP_ROUNDS + PAGE_ROUNDS):
                    measured = round_ >= PAGE_WARMUP_ROUNDS
                    queued = await _queue(owner, setup)
                    page = f"/meetings/{queued.meeting_id}"
                    first, first_wall, body = await _get(client, server.port, page, session, "text/html")
                    missing = [r for r in queued.references if r.encode() not in body]
                    if missing:
                        raise BenchError(f"the meeting page lacks {len(missing)} of the {ITEMS} notifications")
                    result.bytes = len(body)
                    queries_run, repeats, apis, walls = [], [], [], []
                    for _ in range(PAGE_REPEATS):
                        started = time.perf_counter()
                        rows = await queries.entries(conn, queued.meeting_id)
                        queries_run.append(time.perf_counter() - started)
                        if len(rows) != ITEMS:
                            raise BenchError(f"the raw query returned {len(rows)} rows, expected {ITEMS}")
                        repeat, wall, _ = await _get(client, server.port, page, session, "text/html")
                        repeats.append(repeat)
                        walls.append(wall)
                        api, _, _ = await _get(
                            client,
                            server.port,
                            f"/api/v1/meetings/{queued.meeting_id}/agenda",
                            session,
                            "application/json",
                        )
                        apis.append(api)
                    await _hold(owner, queued.meeting_id)
                    if measured:
                        result.first.append(first)
                        result.first_wall.append(first_wall)
                        result.repeat += repeats
                        result.repeat_wall += walls
                        result.api += apis
                        result.query.append(statistics.median(queries_run))
                    label = f"round {round_ - PAGE_WARMUP_ROUNDS + 1}" if measured else "warm-up"
                    print(f"  {label}: first view {first_wall * 1000:.1f} ms (client), raw query median "
                          f"{statistics.median(queries_run) * 1000:.2f} ms", flush=True)  # fmt: skip
            finally:
                client.close()
            result.peak_mib = _status_mib(pid, "VmHWM")
            durations = await server_times(server, [*result.first, *result.repeat, *result.api])
    finally:
        await conn.close()
    return result, durations


# ---- the run ------------------------------------------------------------------------------------


def _ms(seconds: float) -> float:
    return seconds * 1000


async def run(ctx: Context) -> list[Comparison]:
    db = await ctx.database()
    setup = await _setup(db)
    owner = await asyncpg.connect(db.owner_url)
    try:
        small_load = await _grow(db, setup, SMALL, checks=True)
        print(f"building the agenda with {SMALL:,} earlier notifications:", flush=True)
        small = await _builds(db, owner, setup)
        large_load = await _grow(db, setup, LARGE, checks=False)
        print(f"building the agenda with {LARGE:,} earlier notifications:", flush=True)
        large = await _builds(db, owner, setup)
        print(f"the meeting page with {LARGE:,} earlier notifications (pitstop serve, INFO):", flush=True)
        pages, durations = await _pages(ctx, db, owner, setup)
    finally:
        await owner.close()
    build_small, build_large = statistics.median(small), statistics.median(large)
    first = statistics.median(durations[r] for r in pages.first)
    repeat = statistics.median(durations[r] for r in pages.repeat)
    api = statistics.median(durations[r] for r in pages.api)
    query = statistics.median(pages.query)
    print(f"loading: {SMALL:,} in {small_load:.1f}s, then {LARGE - SMALL:,} more in {large_load:.1f}s "
          f"(each including VACUUM ANALYZE and CHECKPOINT)")  # fmt: skip
    print(f"builds, medians of {ROUNDS}: {_ms(build_small):.1f} ms with {SMALL:,} earlier notifications, "
          f"{_ms(build_large):.1f} ms with {LARGE:,}")  # fmt: skip
    print(f"page, server time (access log), medians of {PAGE_ROUNDS} first views and {PAGE_ROUNDS * PAGE_REPEATS} "
          f"repeat views: first view (places 60) {_ms(first):.1f} ms (client "
          f"{_ms(statistics.median(pages.first_wall)):.1f} ms), repeat view {_ms(repeat):.1f} ms (client "
          f"{_ms(statistics.median(pages.repeat_wall)):.1f} ms), JSON agenda {_ms(api):.1f} ms; raw query "
          f"{_ms(query):.2f} ms; the page is {pages.bytes / 1024:.0f} KiB")  # fmt: skip
    print(f"server memory: {pages.rss_mib:.1f} MiB resident when ready, peak {pages.peak_mib:.1f} MiB after the pages")
    return [
        Comparison(
            name="agenda[build]",
            subject=f"build with {LARGE:,}",
            subject_value=_ms(build_large),
            baseline=f"with {SMALL:,}",
            baseline_value=_ms(build_small),
            unit="ms",
            ratio=build_small / build_large,
            target=1 / GROWTH_TARGET,
            note=f"building with {LARGE:,} earlier notifications takes {build_large / build_small:.2f}x the time "
            f"with {SMALL:,} (target <= {GROWTH_TARGET:g}x); loading took {small_load + large_load:.0f}s",
        ),
        Comparison(
            name="agenda[page]",
            subject="GET /meetings/{id}",
            subject_value=_ms(repeat),
            baseline="raw agenda query",
            baseline_value=_ms(query),
            unit="ms",
            ratio=query / repeat,
            target=1 / PAGE_TARGET,
            note=f"the page of a built 60-item agenda takes {repeat / query:.1f}x the query "
            f"(target <= {PAGE_TARGET:g}x); the JSON agenda {api / query:.1f}x",
        ),
    ]

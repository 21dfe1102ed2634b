"""linkage: linking an import's people to the partnership's people, against writing those people.

A partnership with 30,000 people already in its notifications (10,000 notifications, already
linked) takes a batch of 1,000 new notifications with 3,000 people the way a bulk import does: the
notifications and their people written by set-based SQL, then `link_people` once for the batch.
A third of the batch are repeat victims (earlier records), a third new alleged perpetrators (one
in five twice in the batch), a third children (half without a date of birth: never matched).

The baseline is writing those 3,000 notification_person rows (one INSERT ... SELECT FROM unnest),
which an import does anyway; the ratio is that time over the time `link_people` takes (1.0: linking
costs as much as writing the people). Rounds alternate, each with fresh notifications, as the app's
role. Target >= 0.35: linking at most about three times the cost of writing the people.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta

from bench._common import BenchError, Comparison, Context

DESCRIPTION = "link_people for 1,000 notifications (3,000 people) against 30,000 existing vs writing those people"
EXISTING = 10_000  # notifications already there, 3 people each
BATCH = 1_000
ROUNDS = 5
TARGET = 0.35
START = datetime(2025, 1, 1, tzinfo=UTC)


def _people(n: int, batch: str) -> list[tuple[str, str, str | None, date | None]]:
    """(role, family, given, date of birth) of notification n; `batch` "" for the existing ones."""
    victim = ("victim", f"Marsh{n % 7_000}", "Kelly", date(1980, 1, 1) + timedelta(days=n % 7_000))
    perpetrator_n = n // 5 if batch else n  # in a batch, each new perpetrator appears five times... in fives
    perpetrator = (
        "alleged_perpetrator",
        f"Dunmore{batch}{perpetrator_n}",
        "Craig",
        date(1975, 1, 1) + timedelta(days=perpetrator_n % 9_000),
    )
    child = ("child", f"Marsh{n % 7_000}", f"Tyler{batch}{n}", None if n % 2 else date(2015, 1, 1))
    return [victim, perpetrator, child]


async def _notifications(conn: object, partnership_id: int, prefix: str, count: int) -> list[int]:
    rows = await conn.fetch(  # type: ignore[attr-defined]
        """INSERT INTO notification (partnership_id, police_reference, source, received_at, circumstances, risk_tool,
                                     officer_grade, content_hash)
           SELECT $1, $2 || '/' || n, 'csv', $3::timestamptz + n * interval '40 minutes', 'Imported.', 'dash',
                  'standard', 'x'
             FROM generate_series(1, $4::integer) n
           RETURNING id""",
        partnership_id,
        prefix,
        START,
        count,
    )
    return [row["id"] for row in rows]


async def _write_people(conn: object, ids: list[int], batch: str) -> float:
    columns: list[list] = [[], [], [], [], [], []]
    for n, notification_id in enumerate(ids):
        for position, (role, family, given, born) in enumerate(_people(n, batch), start=1):
            for column, value in zip(columns, (notification_id, position, role, family, given, born), strict=True):
                column.append(value)
    started = time.perf_counter()
    await conn.execute(  # type: ignore[attr-defined]
        """INSERT INTO notification_person (notification_id, position, role, family_name, given_names, date_of_birth)
           SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::date[])""",
        *columns,
    )
    return time.perf_counter() - started


async def run(ctx: Context) -> list[Comparison]:
    import asyncpg

    from bench._accounts import arrange
    from pitstop.people.linkage import link_people

    db = await ctx.database()
    partnership_id = (await arrange(db.owner_url, "linkage", [], "a bench passphrase")).partnership_id
    conn = await asyncpg.connect(db.url())
    write_times, link_times = [], []
    try:
        started = time.perf_counter()
        async with conn.transaction():
            existing = await _notifications(conn, partnership_id, "OLD", EXISTING)
            await _write_people(conn, existing, "")
            for first in range(0, EXISTING, BATCH):
                await link_people(conn, partnership_id, existing[first : first + BATCH])
        owner = await asyncpg.connect(db.owner_url)
        try:  # the app's role may not ANALYZE; autovacuum would, a minute or so later
            await owner.execute("ANALYZE notification; ANALYZE notification_person; ANALYZE person")
        finally:
            await owner.close()
        people = await conn.fetchval("SELECT count(*) FROM person WHERE partnership_id = $1", partnership_id)
        print(f"arranged {EXISTING} notifications, {EXISTING * 3} people rows, {people} people in "
              f"{time.perf_counter() - started:.1f}s")  # fmt: skip
        for round_ in range(ROUNDS + 1):  # the first round warms up
            async with conn.transaction():
                ids = await _notifications(conn, partnership_id, f"NEW{round_}", BATCH)
                wrote = await _write_people(conn, ids, f"r{round_}")
                started = time.perf_counter()
                await link_people(conn, partnership_id, ids)
                linked = time.perf_counter() - started
                unlinked = await conn.fetchval(
                    """SELECT count(*) FROM notification_person
                        WHERE notification_id = ANY($1::bigint[]) AND person_id IS NULL""",
                    ids,
                )
                if unlinked:
                    raise BenchError(f"{unlinked} people left unlinked")
            if round_:
                write_times.append(wrote)
                link_times.append(linked)
            print(f"round {round_ or 'warm-up'}: writing 3,000 people {wrote * 1000:.0f} ms, "
                  f"link_people {linked * 1000:.0f} ms")  # fmt: skip
    finally:
        await conn.close()
    write, link = statistics.median(write_times), statistics.median(link_times)
    print(f"medians of {ROUNDS} rounds: a 10,000-incident import would spend about {link * 10 * 1000:.0f} ms linking")
    return [
        Comparison(
            name="linkage",
            subject="link_people",
            subject_value=link * 1000,
            baseline="writing the people",
            baseline_value=write * 1000,
            unit="ms",
            ratio=write / link,
            target=TARGET,
        )
    ]

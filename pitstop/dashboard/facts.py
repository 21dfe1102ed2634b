"""Each notification's dashboard facts (notification_fact), counted again whenever something moves them.

The triggers of migration 0020 queue the notifications a change touches; `count_queued` works the queue:
for each, its grade, first screening, latest route, potential escalation, when it was discussed and
decided, its children and its decisions, by the same rules as the screening queue and the minutes. The
figures then read one row per notification. One counter at a time per partnership (an advisory lock;
the others skip), in the caller's transaction, so the facts and the queue move together: keep those
transactions short (the lock is held to their end), in READ COMMITTED (each statement after the lock sees
what committed before it).

The rules live in Python (pitstop.people: the default threshold and window, the escalating roles, an
incident's time): a release that changes one must queue every notification again (a migration inserting a
notification_fact_stale row per partnership, as 0020 does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import asyncpg

from pitstop.people import queries as people_queries

log = logging.getLogger(__name__)

BATCH = 5_000  # notifications counted by one statement, and by one of the background counter's transactions
IN_A_VIEW = 5_000  # queued notifications a dashboard view counts itself before it reads (more: the counter's)
EVERY_SECONDS = 15  # the background counter's rest between rounds: the page is never a minute behind

_COUNT = f"""
INSERT INTO notification_fact AS f (notification_id, partnership_id, received_at, received_day, grade,
                                    screening_due_at, first_screened_at, latest_route, potential_escalation,
                                    discussed_at, decided_at, children, decisions, counted_at)
SELECT n.id, n.partnership_id, n.received_at, (n.received_at AT TIME ZONE 'Europe/London')::date,
       coalesce(s.grade, n.officer_grade), n.screening_due_at, s.screened_at,
       l.route, {people_queries.escalation_sql("n", "rule.threshold", "rule.window_months")},
       (SELECT min(coalesce(mt.started_at, mt.starts_at))
          FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id JOIN meeting mt ON mt.id = i.meeting_id
         WHERE e.notification_id = n.id AND NOT e.withdrawn AND i.state = 'discussed'),
       (SELECT min(v.recorded_at)
          FROM agenda_entry e JOIN decision d ON d.agenda_item_id = e.agenda_item_id
          JOIN decision_version v ON v.decision_id = d.id
         WHERE e.notification_id = n.id AND NOT e.withdrawn),
       ARRAY(SELECT coalesce(p.person_id, -p.id) FROM notification_person p
              WHERE p.notification_id = n.id AND p.role = 'child'),
       ARRAY(SELECT DISTINCT d.id FROM agenda_entry e JOIN decision d ON d.agenda_item_id = e.agenda_item_id
              WHERE e.notification_id = n.id AND NOT e.withdrawn),
       now()
  FROM notification n CROSS JOIN {people_queries.rule_sql("$1")} AS rule
  LEFT JOIN LATERAL (SELECT fs.grade, fs.screened_at FROM screening fs
                      WHERE fs.notification_id = n.id ORDER BY fs.id LIMIT 1) s ON true
  LEFT JOIN LATERAL (SELECT l.route FROM screening l
                      WHERE l.notification_id = n.id ORDER BY l.id DESC LIMIT 1) l ON true
 WHERE n.partnership_id = $1 AND n.id = ANY ($2::bigint[])
ON CONFLICT (notification_id) DO UPDATE
   SET received_at = excluded.received_at, received_day = excluded.received_day, grade = excluded.grade,
       screening_due_at = excluded.screening_due_at, first_screened_at = excluded.first_screened_at,
       latest_route = excluded.latest_route,
       potential_escalation = excluded.potential_escalation, discussed_at = excluded.discussed_at,
       decided_at = excluded.decided_at, children = excluded.children, decisions = excluded.decisions,
       counted_at = excluded.counted_at"""  # noqa: S608 - constant SQL (the queue's own rule), values are parameters


async def _count(conn: asyncpg.Connection, partnership_id: int, notification_ids: Sequence[int]) -> None:
    for start in range(0, len(notification_ids), BATCH):
        await conn.execute(_COUNT, partnership_id, list(notification_ids[start : start + BATCH]))


_LOCK = "hashtext('pitstop.notification_fact'), $1::int"  # one counter per partnership


async def _locked(conn: asyncpg.Connection, partnership_id: int, wait: bool) -> bool:
    if wait:  # the counter's transactions are short (BATCH)
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('pitstop.notification_fact'), $1::int)", partnership_id
        )
        return True
    return await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock(hashtext('pitstop.notification_fact'), $1::int)", partnership_id
    )


async def count_queued(conn: asyncpg.Connection, partnership_id: int, limit: int, *, wait: bool = False) -> int | None:
    """Count up to `limit` queued notifications of the partnership again, in the caller's transaction.

    Returns how many queued entries are left (0: the facts are up to date as of this transaction), or None
    when another transaction is counting them now and `wait` is false."""
    if not await _locked(conn, partnership_id, wait):
        return None
    queued = await conn.fetch(
        """SELECT id, notification_id, person_id, since, after_id FROM notification_fact_stale
            WHERE partnership_id = $1 ORDER BY id LIMIT $2""",
        partnership_id,
        limit,
    )
    everything = next((q for q in queued if q["notification_id"] is None and q["person_id"] is None), None)
    if everything is not None:
        # Every notification of the partnership, in id order, `limit` at a time.
        ids = await conn.fetch(
            "SELECT id FROM notification WHERE partnership_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            partnership_id,
            everything["after_id"],
            limit,
        )
        await _count(conn, partnership_id, [r["id"] for r in ids])
        if len(ids) == limit:
            await conn.execute(
                "UPDATE notification_fact_stale SET after_id = $2 WHERE id = $1", everything["id"], ids[-1]["id"]
            )
        else:
            await conn.execute("DELETE FROM notification_fact_stale WHERE id = $1", everything["id"])
    else:
        named = {q["notification_id"] for q in queued if q["notification_id"] is not None}
        people = [q for q in queued if q["person_id"] is not None]
        if people:  # each person's incidents at or after the change
            later = await conn.fetch(
                f"""SELECT DISTINCT n.id
                      FROM unnest($2::bigint[], $3::timestamptz[]) AS c (person_id, since)
                      JOIN notification_person np ON np.person_id = c.person_id
                      JOIN notification n ON n.id = np.notification_id
                     WHERE n.partnership_id = $1 AND {people_queries.INCIDENT_TIME.format(n="n")} >= c.since""",  # noqa: S608
                partnership_id,
                [q["person_id"] for q in people],
                [q["since"] for q in people],
            )
            named.update(r["id"] for r in later)
        await _count(conn, partnership_id, sorted(named))
        await conn.execute(
            "DELETE FROM notification_fact_stale WHERE id = ANY ($1::bigint[])", [q["id"] for q in queued]
        )
    return await waiting(conn, partnership_id)


async def waiting(conn: asyncpg.Connection, partnership_id: int) -> int:
    """Queued entries not counted yet (an entry for a person's later incidents counts as one; an entry for
    every notification as the notifications left)."""
    return await conn.fetchval(
        """SELECT coalesce(sum(CASE WHEN q.notification_id IS NOT NULL OR q.person_id IS NOT NULL THEN 1
                                    ELSE (SELECT count(*) FROM notification n
                                           WHERE n.partnership_id = q.partnership_id AND n.id > q.after_id) END), 0)
             FROM notification_fact_stale q WHERE q.partnership_id = $1""",
        partnership_id,
    )


async def count_all_queued(pool: asyncpg.Pool, limit: int = BATCH) -> int:
    """Work every partnership's queue down, a transaction per `limit` notifications. Returns how many rounds."""
    rounds = 0
    async with pool.acquire() as conn:
        partnerships = [r["partnership_id"] for r in await conn.fetch(
            "SELECT DISTINCT partnership_id FROM notification_fact_stale"
        )]  # fmt: skip
        for partnership_id in partnerships:
            while True:
                async with conn.transaction(isolation="read_committed"):
                    left = await count_queued(conn, partnership_id, limit)
                rounds += 1
                if not left:  # done, or someone else is counting
                    break
    return rounds


async def bring_up_to_date(conn: asyncpg.Connection, partnership_id: int) -> int:
    """For a view: count what is queued, when it is a few changes (the usual case: the figures are then as
    of now); leave more to the background counter. Returns the queued entries left uncounted."""
    left = await waiting(conn, partnership_id)
    for _ in range(3):  # an entry for every notification is counted apart from the others
        if not 0 < left <= IN_A_VIEW:
            break
        left = await count_queued(conn, partnership_id, IN_A_VIEW, wait=True) or 0
    return left


async def run_counter(pool: asyncpg.Pool, every: float = EVERY_SECONDS) -> None:
    """The background counter, in every process (the advisory lock keeps it to one at a time)."""
    if every <= 0:
        return
    while True:
        try:
            await count_all_queued(pool)
        except Exception as exc:
            log.warning("dashboard facts counter failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(every)

"""SQL for agenda items, their notifications, the screening queue and the ordering rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from pitstop.agenda.ordering import DEFAULT_TIME_BOXES, DEFAULT_WEIGHTS, Rules, parse_weights
from pitstop.people import queries as people


class Waiting(msgspec.Struct, frozen=True, kw_only=True):
    """A notification taken from the screening queue (or added by hand), ready to place."""

    notification_id: int
    screening_id: int
    route: str
    victim_person_id: int | None


_VICTIM = """(SELECT p.person_id FROM notification_person p
               WHERE p.notification_id = {n} AND p.role = 'victim' AND p.person_id IS NOT NULL
               ORDER BY p.position LIMIT 1)"""


async def lock_agendas(conn: asyncpg.Connection, partnership_id: int) -> None:
    """One change to a partnership's agendas at a time, until the transaction ends.

    Screening, placing, adjusting, cancelling and generating each lock a meeting and notifications in
    an order of their own (and foreign keys take key-share locks on notifications by themselves):
    taken first, this lock rules out every cycle between them. A partnership makes a few such changes
    a minute, so waiting here costs nothing anyone notices."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('pitstop.agenda'), $1::int)", partnership_id)


async def enqueue(
    conn: asyncpg.Connection,
    partnership_id: int,
    notification_id: int,
    screening_id: int,
    screened_at: datetime,
    *,
    again: bool = False,
) -> None:
    """Put a notification screened for a meeting in the queue, unless it is on an open agenda already or
    was discussed at a held meeting (it comes back only when a coordinator adds it by hand). `again`:
    it was on an agenda that went away (a cancelled meeting with none after it): it returns whatever
    its history."""
    await conn.execute(
        """INSERT INTO agenda_queue (notification_id, partnership_id, screening_id, screened_at)
           SELECT $1, $2, $3, $4
            WHERE NOT EXISTS (SELECT 1 FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id
                               WHERE e.notification_id = $1
                                 AND (e.open OR (NOT $5 AND i.state = 'discussed' AND NOT e.withdrawn)))
           ON CONFLICT (notification_id) DO UPDATE SET screening_id = excluded.screening_id,
                                                       screened_at = excluded.screened_at""",
        notification_id,
        partnership_id,
        screening_id,
        screened_at,
        again,
    )


async def dequeue(conn: asyncpg.Connection, notification_id: int) -> None:
    await conn.execute("DELETE FROM agenda_queue WHERE notification_id = $1", notification_id)


async def has_waiting(
    conn: asyncpg.Connection, partnership_id: int, screened_from: datetime | None, screened_before: datetime
) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM agenda_queue WHERE partnership_id = $1 AND screened_at < $3
                                AND ($2::timestamptz IS NULL OR screened_at >= $2))""",
            partnership_id,
            screened_from,
            screened_before,
        )
    )


async def take_waiting(
    conn: asyncpg.Connection, partnership_id: int, screened_from: datetime | None, screened_before: datetime
) -> list[Waiting]:
    """Take the queued notifications screened in [screened_from, screened_before) out of the queue.

    The notifications are locked first, in id order, as screening locks one before queueing it: a
    re-screening waits for the placing (or the other way round), never crosses it."""
    candidates = await conn.fetch(
        """SELECT notification_id FROM agenda_queue
            WHERE partnership_id = $1 AND screened_at < $3 AND ($2::timestamptz IS NULL OR screened_at >= $2)""",
        partnership_id,
        screened_from,
        screened_before,
    )
    if not candidates:
        return []
    ids = sorted(r["notification_id"] for r in candidates)
    await conn.execute("SELECT 1 FROM notification WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", ids)
    rows = await conn.fetch(
        f"""WITH taken AS (
                DELETE FROM agenda_queue q
                 WHERE q.notification_id = ANY($4::bigint[]) AND q.partnership_id = $1 AND q.screened_at < $3
                   AND ($2::timestamptz IS NULL OR q.screened_at >= $2)
                RETURNING q.notification_id, q.screening_id, q.screened_at)
            SELECT t.notification_id, t.screening_id, s.route,
                   {_VICTIM.format(n="t.notification_id")} AS victim_person_id
              FROM taken t JOIN screening s ON s.id = t.screening_id
             ORDER BY t.screened_at, t.notification_id""",  # noqa: S608 - constant SQL
        partnership_id,
        screened_from,
        screened_before,
        ids,
    )
    return [Waiting(**dict(r)) for r in rows]


async def screened_waiting(conn: asyncpg.Connection, notification_id: int, screening_id: int) -> Waiting:
    """A notification with a given screening, ready to place."""
    row = await conn.fetchrow(
        f"""SELECT s.notification_id, s.id AS screening_id, s.route,
                   {_VICTIM.format(n="s.notification_id")} AS victim_person_id
              FROM screening s WHERE s.id = $1 AND s.notification_id = $2""",  # noqa: S608
        screening_id,
        notification_id,
    )
    return Waiting(**dict(row))


async def open_entries_of(conn: asyncpg.Connection, item_id: int) -> list[tuple[Waiting, datetime]]:
    """An open item's notifications, each with its screening and when that screening was made."""
    rows = await conn.fetch(
        f"""SELECT e.notification_id, e.screening_id, s.route, s.screened_at,
                   {_VICTIM.format(n="e.notification_id")} AS victim_person_id
              FROM agenda_entry e JOIN screening s ON s.id = e.screening_id
             WHERE e.agenda_item_id = $1 AND e.open
             ORDER BY e.id""",  # noqa: S608 - constant SQL
        item_id,
    )
    return [
        (
            Waiting(
                notification_id=r["notification_id"],
                screening_id=r["screening_id"],
                route=r["route"],
                victim_person_id=r["victim_person_id"],
            ),
            r["screened_at"],
        )
        for r in rows
    ]


async def lock_notification(conn: asyncpg.Connection, notification_id: int) -> None:
    """The lock screening takes: placing and adding take it too, before reading what agenda it is on."""
    await conn.execute("SELECT 1 FROM notification WHERE id = $1 FOR UPDATE", notification_id)


async def with_open_entry(conn: asyncpg.Connection, notification_ids: Sequence[int]) -> set[int]:
    """Which of these notifications are on an open agenda already."""
    rows = await conn.fetch(
        "SELECT notification_id FROM agenda_entry WHERE notification_id = ANY($1::bigint[]) AND open",
        list(notification_ids),
    )
    return {r["notification_id"] for r in rows}


class OpenEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    item_id: int
    meeting_id: int
    section: str


async def open_entry(conn: asyncpg.Connection, notification_id: int) -> OpenEntry | None:
    row = await conn.fetchrow(
        """SELECT e.id, e.agenda_item_id AS item_id, i.meeting_id, i.list AS section
             FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id
            WHERE e.notification_id = $1 AND e.open""",
        notification_id,
    )
    return None if row is None else OpenEntry(**dict(row))


async def close_entry(conn: asyncpg.Connection, entry_id: int) -> int:
    """Close one entry; how many open entries its item has left. Taken out of an item that goes on, it is
    withdrawn (no longer part of what the item discusses); the last one stays with its item, which the
    caller closes, so the item still shows what was taken off."""
    others = await conn.fetchval(
        """SELECT count(*) FROM agenda_entry o JOIN agenda_entry e ON e.agenda_item_id = o.agenda_item_id
            WHERE e.id = $1 AND o.id <> $1 AND o.open""",
        entry_id,
    )
    await conn.execute("UPDATE agenda_entry SET open = false, withdrawn = $2 WHERE id = $1", entry_id, others > 0)
    return others


async def set_entry_screening(conn: asyncpg.Connection, entry_id: int, screening_id: int) -> None:
    await conn.execute("UPDATE agenda_entry SET screening_id = $2 WHERE id = $1", entry_id, screening_id)


async def screened(conn: asyncpg.Connection, partnership_id: int, police_reference: str) -> Waiting | None:
    """A notification of the partnership by its police reference, with its screening in force (None when it
    does not exist or was never screened)."""
    row = await conn.fetchrow(
        f"""SELECT n.id AS notification_id, s.id AS screening_id, s.route,
                   {_VICTIM.format(n="n.id")} AS victim_person_id
              FROM notification n
              JOIN LATERAL (SELECT id, route FROM screening WHERE notification_id = n.id ORDER BY id DESC LIMIT 1) s
                ON true
             WHERE n.partnership_id = $1 AND upper(n.police_reference) = upper($2)""",  # noqa: S608
        partnership_id,
        police_reference.strip(),
    )
    return None if row is None else Waiting(**dict(row))


async def open_meeting_of(conn: asyncpg.Connection, notification_id: int) -> int | None:
    """The meeting whose open agenda holds this notification, if any."""
    return await conn.fetchval(
        """SELECT i.meeting_id FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id
            WHERE e.notification_id = $1 AND e.open""",
        notification_id,
    )


async def placement(conn: asyncpg.Connection, notification_id: int) -> tuple[str, int | None, datetime | None]:
    """Where a notification stands: ("agenda", meeting id, its start) when on an open agenda, ("queued",
    None, None) when waiting for the next one, ("none", None, None) otherwise."""
    row = await conn.fetchrow(
        """SELECT m.id, m.starts_at FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id
             JOIN meeting m ON m.id = i.meeting_id
            WHERE e.notification_id = $1 AND e.open""",
        notification_id,
    )
    if row is not None:
        return "agenda", row["id"], row["starts_at"]
    if await conn.fetchval("SELECT 1 FROM agenda_queue WHERE notification_id = $1", notification_id):
        return "queued", None, None
    return "none", None, None


async def open_items_by_victim(conn: asyncpg.Connection, meeting_id: int) -> dict[tuple[str, int], int]:
    rows = await conn.fetch(
        "SELECT id, list, victim_person_id FROM agenda_item "
        "WHERE meeting_id = $1 AND state = 'open' AND victim_person_id IS NOT NULL",
        meeting_id,
    )
    return {(r["list"], r["victim_person_id"]): r["id"] for r in rows}


class NewItem(msgspec.Struct, frozen=True, kw_only=True):
    section: str
    victim_person_id: int | None
    carried_from: int | None = None


async def insert_items(
    conn: asyncpg.Connection, partnership_id: int, meeting_id: int, items: Sequence[NewItem], *, added_by: int | None
) -> list[int]:
    """New items at the end of the agenda, in one statement; their ids in the order given. (The service
    then puts the lists in order.)"""
    if not items:
        return []
    rows = await conn.fetch(
        """WITH base AS (SELECT coalesce(max(position), 0) AS last FROM agenda_item WHERE meeting_id = $2)
           INSERT INTO agenda_item (partnership_id, meeting_id, list, position, victim_person_id, added_by,
                                    carried_from)
           SELECT $1, $2, n.list, base.last + n.ord, n.victim, $3, n.carried
             FROM unnest($4::text[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS n (list, victim, carried, ord)
            CROSS JOIN base
           RETURNING id, position""",
        partnership_id,
        meeting_id,
        added_by,
        [i.section for i in items],
        [i.victim_person_id for i in items],
        [i.carried_from for i in items],
    )
    # Positions run on from the last one in the order given: they say which id is which.
    by_position = sorted(rows, key=lambda r: r["position"])
    return [r["id"] for r in by_position]


async def insert_entries(
    conn: asyncpg.Connection, partnership_id: int, entries: Sequence[tuple[int, int, int]]
) -> None:
    """(item id, notification id, screening id) each."""
    await conn.execute(
        """INSERT INTO agenda_entry (partnership_id, agenda_item_id, notification_id, screening_id)
           SELECT $1, e.item, e.notification, e.screening
             FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS e (item, notification, screening)""",
        partnership_id,
        [e[0] for e in entries],
        [e[1] for e in entries],
        [e[2] for e in entries],
    )


async def close_items(
    conn: asyncpg.Connection, item_ids: Sequence[int], state: str, reason: str | None, user_id: int | None
) -> list[tuple[int, int]]:
    """Close items (removed, deferred, moved, discussed) and their entries; returns each entry's
    (notification id, screening id)."""
    await conn.execute(
        """UPDATE agenda_item SET state = $2, reason = $3, closed_by = $4, closed_at = now()
            WHERE id = ANY($1::bigint[]) AND state = 'open'""",
        list(item_ids),
        state,
        reason,
        user_id,
    )
    rows = await conn.fetch(
        "UPDATE agenda_entry SET open = false WHERE agenda_item_id = ANY($1::bigint[]) AND open "
        "RETURNING notification_id, screening_id",
        list(item_ids),
    )
    return [(r["notification_id"], r["screening_id"]) for r in rows]


class ItemRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    section: str  # the item's list: discussion or information
    position: int
    state: str
    victim_person_id: int | None


async def items(conn: asyncpg.Connection, meeting_id: int, *, open_only: bool = False) -> list[ItemRow]:
    rows = await conn.fetch(
        "SELECT id, list AS section, position, state, victim_person_id FROM agenda_item "
        "WHERE meeting_id = $1 AND ($2 = false OR state = 'open') ORDER BY list, position, id",
        meeting_id,
        open_only,
    )
    return [ItemRow(**dict(r)) for r in rows]


async def item(conn: asyncpg.Connection, item_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, partnership_id, meeting_id, list, position, state, victim_person_id FROM agenda_item WHERE id = $1",
        item_id,
    )


async def hold_reasons(conn: asyncpg.Connection, reasons: dict[int, list[str]]) -> None:
    """Keep each item's reasons as they stood when its meeting was held."""
    await conn.execute(
        """UPDATE agenda_item i SET reasons = string_to_array(r.reasons, ',')
             FROM unnest($1::bigint[], $2::text[]) AS r (id, reasons) WHERE i.id = r.id""",
        list(reasons),
        [",".join(v) for v in reasons.values()],
    )


async def set_positions(conn: asyncpg.Connection, item_ids: Sequence[int]) -> None:
    """Number the items 1, 2, 3... in the order given."""
    await conn.execute(
        """UPDATE agenda_item i SET position = o.position
             FROM unnest($1::bigint[]) WITH ORDINALITY AS o (id, position)
            WHERE i.id = o.id AND i.position IS DISTINCT FROM o.position""",
        list(item_ids),
    )


async def move_entries(conn: asyncpg.Connection, from_item: int, to_item: int) -> None:
    """Join one open item's notifications to another's (the same victim, in one agenda)."""
    await conn.execute("UPDATE agenda_entry SET agenda_item_id = $2 WHERE agenda_item_id = $1", from_item, to_item)


# The facts each entry brings to the order, the notification's details for the agenda, and its people
# (children first). One row per entry; the service groups them into items. The screening is the one the
# entry holds: re-screening an open entry updates it, and a held meeting keeps what it discussed.
_ENTRIES = f"""
SELECT i.id AS item_id, i.list, i.position, i.state, i.reason, i.added_by IS NOT NULL AS added_by_hand,
       i.reasons AS held_reasons, rt.agenda_keys,
       ci.meeting_id AS carried_from_meeting, cm.starts_at AS carried_from_starts_at,
       n.id, n.police_reference, n.received_at, n.incident_at, n.address, n.address_withheld, n.postcode,
       n.circumstances, n.officer_grade, n.open_case, n.allocated_worker, n.strangulation, n.weapons,
       n.victim_pregnant, n.risk_answers,
       s.grade, s.screened_at, s.route, s.immediate_protection,
       {people.escalation_sql("n", "rule.threshold", "rule.window_months")} AS potential_escalation,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'role', p.role, 'family_name', p.family_name, 'given_names', p.given_names,
                    'date_of_birth', p.date_of_birth, 'address', p.address, 'address_withheld', p.address_withheld,
                    'school', p.school, 'present', p.present, 'witnessed', p.witnessed)
                    ORDER BY p.role <> 'child', p.position)
                   FROM notification_person p WHERE p.notification_id = n.id), '[]'::jsonb) AS people
  FROM agenda_item i
  JOIN agenda_entry e ON e.agenda_item_id = i.id
  JOIN notification n ON n.id = e.notification_id
  JOIN screening s ON s.id = e.screening_id
  JOIN risk_tool rt ON rt.code = n.risk_tool
  LEFT JOIN agenda_item ci ON ci.id = i.carried_from
  LEFT JOIN meeting cm ON cm.id = ci.meeting_id
  CROSS JOIN LATERAL {people.rule_sql("i.partnership_id")} rule
 WHERE i.meeting_id = $1 AND ($2 OR i.state IN ('open', 'discussed')) AND NOT e.withdrawn
 ORDER BY i.list, i.position, i.id, n.received_at, n.id"""  # noqa: S608 - constant SQL


async def entries(conn: asyncpg.Connection, meeting_id: int, *, with_closed: bool = True) -> list[asyncpg.Record]:
    return await conn.fetch(_ENTRIES, meeting_id, with_closed)


# ---- rules --------------------------------------------------------------------------------------


async def rules(conn: asyncpg.Connection, partnership_id: int) -> tuple[Rules, int]:
    """The partnership's rules and their version (0: the defaults, never saved)."""
    row = await conn.fetchrow(
        "SELECT weights, time_boxes, version FROM agenda_rule WHERE partnership_id = $1", partnership_id
    )
    if row is None:
        return Rules(), 0
    boxes = {**DEFAULT_TIME_BOXES, **{k: v for k, v in row["time_boxes"].items() if isinstance(v, int)}}
    return Rules(weights=parse_weights(row["weights"]), time_boxes=boxes), row["version"]


async def save_rules(conn: asyncpg.Connection, partnership_id: int, rules: Rules, version: int, user_id: int) -> bool:
    weights = {k.value: v for k, v in {**DEFAULT_WEIGHTS, **rules.weights}.items()}
    if version == 0:
        status = await conn.execute(
            """INSERT INTO agenda_rule (partnership_id, weights, time_boxes, updated_by) VALUES ($1, $2, $3, $4)
               ON CONFLICT (partnership_id) DO NOTHING""",
            partnership_id,
            weights,
            rules.time_boxes,
            user_id,
        )
        return status == "INSERT 0 1"
    status = await conn.execute(
        """UPDATE agenda_rule SET weights = $3, time_boxes = $4, updated_by = $5, updated_at = now(),
                  version = version + 1
            WHERE partnership_id = $1 AND version = $2""",
        partnership_id,
        version,
        weights,
        rules.time_boxes,
        user_id,
    )
    return status == "UPDATE 1"

"""SQL for actions. Callers check who may see and change what (pitstop.actions.service)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pitstop.actions.models import Action, ActionIn, Event
from pitstop.db.rows import to_struct, to_structs

_ACTION = """x.id, x.agenda_item_id, x.meeting_id, m.starts_at AS meeting_starts_at,
    coalesce((SELECT n.police_reference FROM agenda_entry e JOIN notification n ON n.id = e.notification_id
               WHERE e.agenda_item_id = x.agenda_item_id ORDER BY e.id LIMIT 1), '') AS police_reference,
    x.description, x.owner_agency_id, a.name AS owner_agency_name, x.owner_name, x.due_at, x.status,
    x.completion_note, x.completed_at, done.name AS completed_by_name, made.name AS created_by_name, x.created_at,
    x.version, (x.status = 'open' AND x.due_at < now()) AS overdue
  FROM action x JOIN meeting m ON m.id = x.meeting_id JOIN agency a ON a.id = x.owner_agency_id
  JOIN app_user made ON made.id = x.created_by LEFT JOIN app_user done ON done.id = x.completed_by"""


async def action(conn: asyncpg.Connection, action_id: int, *, lock: bool = False) -> Action | None:
    if lock:
        await conn.execute("SELECT 1 FROM action WHERE id = $1 FOR UPDATE", action_id)
    return to_struct(await conn.fetchrow(f"SELECT {_ACTION} WHERE x.id = $1", action_id), Action)


async def partnership_of(conn: asyncpg.Connection, action_id: int) -> int | None:
    return await conn.fetchval("SELECT partnership_id FROM action WHERE id = $1", action_id)


async def for_items(conn: asyncpg.Connection, item_ids: Sequence[int], agency_id: int | None) -> list[Action]:
    """The actions agreed on these items (those one agency owns, with `agency_id`)."""
    rows = await conn.fetch(
        f"""SELECT {_ACTION}
             WHERE x.agenda_item_id = ANY($1::bigint[]) AND ($2::bigint IS NULL OR x.owner_agency_id = $2)
             ORDER BY x.due_at, x.id""",
        list(item_ids),
        agency_id,
    )
    return to_structs(rows, Action)


async def listing(
    conn: asyncpg.Connection,
    partnership_id: int,
    *,
    agency_id: int | None,
    statuses: Sequence[str] | None,
    overdue_only: bool,
    limit: int = 500,
) -> list[Action]:
    rows = await conn.fetch(
        f"""SELECT {_ACTION}
             WHERE x.partnership_id = $1 AND ($2::bigint IS NULL OR x.owner_agency_id = $2)
               AND ($3::text[] IS NULL OR x.status = ANY($3::text[]))
               AND (NOT $4 OR (x.status = 'open' AND x.due_at < now()))
             ORDER BY (x.status = 'open') DESC, x.due_at, x.id
             LIMIT $5""",
        partnership_id,
        agency_id,
        list(statuses) if statuses else None,
        overdue_only,
        limit,
    )
    return to_structs(rows, Action)


async def for_review(
    conn: asyncpg.Connection, partnership_id: int, meeting_id: int, starts_at: datetime, agency_id: int | None
) -> list[Action]:
    """Actions agreed before a meeting, due by its start and still open when it began (for a held meeting:
    then; for one to come: now). They come back on its agenda for review."""
    rows = await conn.fetch(
        f"""SELECT {_ACTION}
             WHERE x.partnership_id = $1 AND x.meeting_id <> $2 AND x.created_at < $3 AND x.due_at <= $3
               AND (x.completed_at IS NULL OR x.completed_at >= $3)
               AND ($4::bigint IS NULL OR x.owner_agency_id = $4)
             ORDER BY x.due_at, x.id""",
        partnership_id,
        meeting_id,
        starts_at,
        agency_id,
    )
    return to_structs(rows, Action)


async def insert(
    conn: asyncpg.Connection, partnership_id: int, meeting_id: int, item_id: int, form: ActionIn, user_id: int
) -> int:
    return await conn.fetchval(
        """INSERT INTO action (partnership_id, agenda_item_id, meeting_id, description, owner_agency_id, owner_name,
                               due_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
        partnership_id,
        item_id,
        meeting_id,
        form.description,
        form.owner_agency_id,
        form.owner_name,
        form.due_at,
        user_id,
    )


async def close(
    conn: asyncpg.Connection, action_id: int, version: int, status: str, note: str | None, user_id: int
) -> bool:
    """A new status: closed (with when and by whom) or open again."""
    result = await conn.execute(
        """UPDATE action SET status = $3, completion_note = $4, version = version + 1,
                  completed_at = CASE WHEN $3 = 'open' THEN NULL ELSE now() END,
                  completed_by = CASE WHEN $3 = 'open' THEN NULL ELSE $5::bigint END
            WHERE id = $1 AND version = $2""",
        action_id,
        version,
        status,
        note,
        user_id,
    )
    return result == "UPDATE 1"


async def reassign(
    conn: asyncpg.Connection,
    action_id: int,
    version: int,
    owner_agency_id: int,
    owner_name: str | None,
    due_at: datetime,
) -> bool:
    result = await conn.execute(
        """UPDATE action SET owner_agency_id = $3, owner_name = $4, due_at = $5, version = version + 1
            WHERE id = $1 AND version = $2""",
        action_id,
        version,
        owner_agency_id,
        owner_name,
        due_at,
    )
    return result == "UPDATE 1"


async def add_event(conn: asyncpg.Connection, action_id: int, kind: str, note: str | None, user_id: int) -> None:
    """The action as it now stands, into its history."""
    await conn.execute(
        """INSERT INTO action_event (partnership_id, action_id, version, kind, status, owner_agency_id, owner_name,
                                     due_at, note, changed_by)
           SELECT partnership_id, id, version, $2, status, owner_agency_id, owner_name, due_at, $3, $4
             FROM action WHERE id = $1""",
        action_id,
        kind,
        note,
        user_id,
    )


async def history(conn: asyncpg.Connection, action_ids: Sequence[int]) -> dict[int, list[Event]]:
    rows = await conn.fetch(
        """SELECT v.action_id, v.version, v.kind, v.status, a.name AS owner_agency_name, v.owner_name, v.due_at, v.note,
                  u.name AS changed_by_name, v.changed_at
             FROM action_event v JOIN agency a ON a.id = v.owner_agency_id JOIN app_user u ON u.id = v.changed_by
            WHERE v.action_id = ANY($1::bigint[]) ORDER BY v.action_id, v.version""",
        list(action_ids),
    )
    found: dict[int, list[Event]] = {}
    for row in rows:
        values = dict(row)
        found.setdefault(values.pop("action_id"), []).extend(to_structs([values], Event))  # type: ignore[list-item]
    return found


async def agencies(conn: asyncpg.Connection, partnership_id: int) -> list[tuple[int, str]]:
    rows = await conn.fetch(
        "SELECT id, name FROM agency WHERE partnership_id = $1 AND active ORDER BY name", partnership_id
    )
    return [(r["id"], r["name"]) for r in rows]

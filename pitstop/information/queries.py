"""SQL for agency information. Callers check need-to-know (pitstop.information.service)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from pitstop.db.rows import to_struct, to_structs
from pitstop.information.models import Agency, Information, InformationIn, Version

_INFORMATION = """i.id, i.agenda_item_id, i.meeting_id, i.agency_id, a.name AS agency_name, i.knowledge, i.summary,
    i.source_system, i.checked_at, i.visibility, i.restricted_to, i.third_party, i.recorded_by,
    u.name AS recorded_by_name, i.recorded_at, i.version
  FROM agency_information i JOIN agency a ON a.id = i.agency_id JOIN app_user u ON u.id = i.recorded_by"""


async def chain(conn: asyncpg.Connection, item_id: int) -> list[asyncpg.Record]:
    """The item, then the items its notifications were on at earlier meetings before being carried here
    (deferred, or their meeting cancelled), newest first, with each one's meeting start. Both ways in:
    the items it was carried from, and those whose notifications joined an item already on this agenda
    for the same victim."""
    return await conn.fetch(
        """WITH RECURSIVE up (id, depth) AS (
               SELECT $1::bigint, 0
               UNION
               SELECT earlier.id, up.depth + 1
                 FROM up CROSS JOIN LATERAL (
                      SELECT i.carried_from AS id FROM agenda_item i WHERE i.id = up.id AND i.carried_from IS NOT NULL
                      UNION
                      SELECT there.agenda_item_id
                        FROM agenda_entry here
                        JOIN agenda_entry there ON there.notification_id = here.notification_id
                                               AND there.agenda_item_id <> here.agenda_item_id
                        JOIN agenda_item j ON j.id = there.agenda_item_id
                        JOIN meeting jm ON jm.id = j.meeting_id
                       WHERE here.agenda_item_id = up.id AND j.state IN ('deferred', 'moved')
                         AND jm.starts_at < (SELECT m.starts_at FROM agenda_item k JOIN meeting m ON m.id = k.meeting_id
                                              WHERE k.id = up.id)
                 ) AS earlier
                WHERE up.depth < 20)
           SELECT up.id, m.starts_at
             FROM (SELECT id, min(depth) AS depth FROM up GROUP BY id) up
             JOIN agenda_item i ON i.id = up.id JOIN meeting m ON m.id = i.meeting_id
            ORDER BY up.depth, m.starts_at DESC""",
        item_id,
    )


async def for_items(conn: asyncpg.Connection, item_ids: Sequence[int]) -> list[Information]:
    rows = await conn.fetch(
        f"SELECT {_INFORMATION} WHERE i.agenda_item_id = ANY($1::bigint[]) ORDER BY a.name",
        list(item_ids),
    )
    return to_structs(rows, Information)


async def for_meeting(conn: asyncpg.Connection, meeting_id: int, agency_id: int | None = None) -> list[Information]:
    rows = await conn.fetch(
        f"""SELECT {_INFORMATION}
             WHERE i.meeting_id = $1 AND ($2::bigint IS NULL OR i.agency_id = $2) ORDER BY a.name""",
        meeting_id,
        agency_id,
    )
    return to_structs(rows, Information)


async def own(conn: asyncpg.Connection, item_id: int, agency_id: int, *, lock: bool = False) -> Information | None:
    if lock:
        await conn.execute(
            "SELECT 1 FROM agency_information WHERE agenda_item_id = $1 AND agency_id = $2 FOR UPDATE",
            item_id,
            agency_id,
        )
    row = await conn.fetchrow(
        f"SELECT {_INFORMATION} WHERE i.agenda_item_id = $1 AND i.agency_id = $2",
        item_id,
        agency_id,
    )
    return to_struct(row, Information)


def _fields(form: InformationIn, checked_at: datetime, user_id: int) -> tuple[object, ...]:
    """A record's fields in the order the insert and the update take them."""
    return (
        form.knowledge.value,
        form.summary,
        form.source_system,
        checked_at,
        form.visibility.value,
        sorted(set(form.restricted_to)),
        form.third_party,
        user_id,
    )


async def insert(
    conn: asyncpg.Connection,
    *,
    partnership_id: int,
    item_id: int,
    meeting_id: int,
    agency_id: int,
    form: InformationIn,
    checked_at: datetime,
    user_id: int,
) -> int | None:
    """The new record's id; None when the agency recorded one for this item meanwhile."""
    return await conn.fetchval(
        """INSERT INTO agency_information (partnership_id, agenda_item_id, meeting_id, agency_id, knowledge, summary,
                                           source_system, checked_at, visibility, restricted_to, third_party,
                                           recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (agenda_item_id, agency_id) DO NOTHING RETURNING id""",
        partnership_id,
        item_id,
        meeting_id,
        agency_id,
        *_fields(form, checked_at, user_id),
    )


async def update(
    conn: asyncpg.Connection, information_id: int, version: int, form: InformationIn, checked_at: datetime, user_id: int
) -> bool:
    status = await conn.execute(
        """UPDATE agency_information SET knowledge = $3, summary = $4, source_system = $5, checked_at = $6,
                  visibility = $7, restricted_to = $8, third_party = $9, recorded_by = $10, recorded_at = now(),
                  version = version + 1
            WHERE id = $1 AND version = $2""",
        information_id,
        version,
        *_fields(form, checked_at, user_id),
    )
    return status == "UPDATE 1"


async def keep_version(conn: asyncpg.Connection, information_ids: Sequence[int]) -> None:
    """Copy the records as they now stand into their history."""
    await conn.execute(
        """INSERT INTO agency_information_version (information_id, version, partnership_id, knowledge, summary,
                                                   source_system, checked_at, visibility, restricted_to, third_party,
                                                   recorded_by, recorded_at)
           SELECT id, version, partnership_id, knowledge, summary, source_system, checked_at, visibility,
                  restricted_to, third_party, recorded_by, recorded_at
             FROM agency_information WHERE id = ANY($1::bigint[])""",
        list(information_ids),
    )


async def history(conn: asyncpg.Connection, information_id: int) -> list[Version]:
    rows = await conn.fetch(
        """SELECT v.version, v.knowledge, v.summary, v.source_system, v.checked_at, v.visibility, v.restricted_to,
                  v.third_party, u.name AS recorded_by_name, v.recorded_at
             FROM agency_information_version v JOIN app_user u ON u.id = v.recorded_by
            WHERE v.information_id = $1 ORDER BY v.version DESC""",
        information_id,
    )
    return to_structs(rows, Version)


async def not_known(
    conn: asyncpg.Connection,
    *,
    partnership_id: int,
    meeting_id: int,
    agency_id: int,
    item_ids: Sequence[int],
    source_system: str | None,
    user_id: int,
) -> list[int]:
    """ "Not known" for each item the agency has not recorded yet; the new records' ids."""
    rows = await conn.fetch(
        """INSERT INTO agency_information (partnership_id, agenda_item_id, meeting_id, agency_id, knowledge,
                                           source_system, checked_at, recorded_by)
           SELECT $1, item.id, $2, $3, 'not_known', $5, now(), $6 FROM unnest($4::bigint[]) AS item (id)
           ON CONFLICT (agenda_item_id, agency_id) DO NOTHING RETURNING id""",
        partnership_id,
        meeting_id,
        agency_id,
        sorted(set(item_ids)),
        source_system,
        user_id,
    )
    return [r["id"] for r in rows]


async def invited_agencies(conn: asyncpg.Connection, meeting_id: int) -> list[Agency]:
    rows = await conn.fetch(
        """SELECT a.id, a.name FROM attendance t JOIN agency a ON a.id = t.agency_id
            WHERE t.meeting_id = $1 ORDER BY a.name""",
        meeting_id,
    )
    return to_structs(rows, Agency)


async def checked_counts(conn: asyncpg.Connection, meeting_id: int) -> dict[int, int]:
    rows = await conn.fetch(
        "SELECT agenda_item_id, count(*) AS n FROM agency_information WHERE meeting_id = $1 GROUP BY agenda_item_id",
        meeting_id,
    )
    return {r["agenda_item_id"]: r["n"] for r in rows}


async def agencies_recorded(conn: asyncpg.Connection, item_id: int) -> set[int]:
    """The agencies that have recorded information for this item (at this meeting): no content."""
    rows = await conn.fetch("SELECT agency_id FROM agency_information WHERE agenda_item_id = $1", item_id)
    return {r["agency_id"] for r in rows}

"""SQL for imports: the import record, the mapping, and set-based writes of many notifications at once.

One statement per table per batch (`unnest` over arrays), not one per row: a day's extract is
thousands of rows, and a round trip per row would make the coordinator wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from pitstop.db.rows import to_struct, to_structs
from pitstop.notifications.imports.models import ImportMode, ImportOutcome, ImportReport
from pitstop.notifications.models import NotificationIn, Source
from pitstop.notifications.queries import _NOTIFICATION_COLUMNS, _values

_JSON = msgspec.json.Encoder()

# ---- the import record ----------------------------------------------------------------------


async def insert_import(
    conn: asyncpg.Connection, partnership_id: int, user_id: int | None, file_name: str, mode: ImportMode
) -> int:
    """The record, written first: its id marks every version the import brings. Counts come at the end."""
    return await conn.fetchval(
        """INSERT INTO notification_import (partnership_id, imported_by, file_name, mode, outcome, rows_read,
                                            incidents_read, created, updated, unchanged, incidents_rejected)
           VALUES ($1, $2, $3, $4, 'rejected', 0, 0, 0, 0, 0, 0) RETURNING id""",
        partnership_id,
        user_id,
        file_name,
        mode.value,
    )


@dataclass(slots=True)
class Counts:
    rows_read: int = 0
    incidents_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    incidents_rejected: int = 0


async def finish_import(
    conn: asyncpg.Connection,
    import_id: int,
    outcome: ImportOutcome,
    counts: Counts,
    errors: list[dict[str, Any]],
    errors_total: int,
    columns_ignored: list[str],
) -> None:
    await conn.execute(
        """UPDATE notification_import
              SET outcome = $2, rows_read = $3, incidents_read = $4, created = $5, updated = $6, unchanged = $7,
                  incidents_rejected = $8, errors = $9::text::jsonb, errors_total = $10, columns_ignored = $11
            WHERE id = $1""",
        import_id,
        outcome.value,
        counts.rows_read,
        counts.incidents_read,
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.incidents_rejected,
        _JSON.encode(errors).decode(),
        errors_total,
        columns_ignored,
    )


_REPORT = """SELECT i.id, i.file_name, i.mode, i.outcome, i.imported_at, i.imported_by, u.name AS imported_by_name,
                    i.rows_read, i.incidents_read, i.created, i.updated, i.unchanged, i.incidents_rejected,
                    i.errors_total, i.errors, i.columns_ignored
               FROM notification_import i LEFT JOIN app_user u ON u.id = i.imported_by"""


async def report(conn: asyncpg.Connection, partnership_id: int, import_id: int) -> ImportReport | None:
    row = await conn.fetchrow(f"{_REPORT} WHERE i.partnership_id = $1 AND i.id = $2", partnership_id, import_id)
    return to_struct(row, ImportReport)


async def recent(conn: asyncpg.Connection, partnership_id: int, limit: int = 50) -> list[ImportReport]:
    """The latest imports, without their error lists (a page of them would be long)."""
    rows = await conn.fetch(
        f"""{_REPORT.replace("i.errors,", "'[]'::jsonb AS errors,")}
            WHERE i.partnership_id = $1 ORDER BY i.imported_at DESC, i.id DESC LIMIT $2""",
        partnership_id,
        limit,
    )
    return to_structs(rows, ImportReport)


# ---- the mapping ------------------------------------------------------------------------------


async def mapping(conn: asyncpg.Connection, partnership_id: int) -> tuple[dict[str, Any], int] | None:
    row = await conn.fetchrow("SELECT mapping, version FROM import_mapping WHERE partnership_id = $1", partnership_id)
    return None if row is None else (row["mapping"], row["version"])


async def save_mapping(
    conn: asyncpg.Connection, partnership_id: int, mapping: dict[str, Any], version: int, user_id: int | None
) -> int | None:
    """Write the mapping if it is still at `version` (0: none yet); the new version, or None if it lost."""
    if version == 0:
        return await conn.fetchval(
            """INSERT INTO import_mapping (partnership_id, mapping, updated_by) VALUES ($1, $2, $3)
               ON CONFLICT (partnership_id) DO NOTHING RETURNING version""",
            partnership_id,
            mapping,
            user_id,
        )
    return await conn.fetchval(
        """UPDATE import_mapping SET mapping = $2, version = version + 1, updated_by = $3, updated_at = now()
            WHERE partnership_id = $1 AND version = $4 RETURNING version""",
        partnership_id,
        mapping,
        user_id,
        version,
    )


# ---- reading many notifications at once ------------------------------------------------------


async def create_seen(conn: asyncpg.Connection) -> None:
    """A scratch table of the police references this import has read, so the file can be any length."""
    await conn.execute(
        """CREATE TEMPORARY TABLE IF NOT EXISTS import_seen (reference text PRIMARY KEY, line integer NOT NULL)
           ON COMMIT DROP"""
    )
    await conn.execute("TRUNCATE import_seen")


async def mark_seen(conn: asyncpg.Connection, references: list[str], lines: list[int]) -> dict[str, int]:
    """Record these references; those read before (their rows are not together) -> the line first seen."""
    new = await conn.fetch(
        """INSERT INTO import_seen (reference, line) SELECT * FROM unnest($1::text[], $2::int[])
           ON CONFLICT (reference) DO NOTHING RETURNING reference""",
        references,
        lines,
    )
    if len(new) == len(references):
        return {}
    again = sorted(set(references) - {row["reference"] for row in new})
    rows = await conn.fetch("SELECT reference, line FROM import_seen WHERE reference = ANY($1::text[])", again)
    return {row["reference"]: row["line"] for row in rows}


async def existing(conn: asyncpg.Connection, partnership_id: int, references: list[str]) -> dict[str, str]:
    """Police reference -> content hash, for those of `references` the partnership already has."""
    rows = await conn.fetch(
        """SELECT police_reference, content_hash FROM notification
            WHERE partnership_id = $1 AND police_reference = ANY($2::text[])""",
        partnership_id,
        references,
    )
    return {row["police_reference"]: row["content_hash"] for row in rows}


# ---- writing many new notifications at once --------------------------------------------------

# The SQL type of each of _NOTIFICATION_COLUMNS, in order. jsonb travels as text and is cast.
_TYPES = {
    "received_at": "timestamptz",
    "incident_at": "timestamptz",
    "injuries": "boolean",
    "weapons": "boolean",
    "strangulation": "boolean",
    "alcohol_or_drugs": "boolean",
    "arrest_made": "boolean",
    "body_worn_video": "text",
    "risk_answers": "text",
    "risk_yes_count": "integer",
    "previous_incidents_12m": "integer",
    "victim_pregnant": "boolean",
    "safe_to_contact": "boolean",
    "open_case": "boolean",
    "address_withheld": "boolean",
    "consent_to_share": "boolean",
    "victim_aware": "boolean",
}
_COLUMNS = _NOTIFICATION_COLUMNS.split(", ")
_JSON_COLUMNS = {"body_worn_video", "risk_answers"}


def _select_list() -> str:
    picked = []
    for column in _COLUMNS:
        if column == "body_worn_video":
            picked.append("ARRAY(SELECT jsonb_array_elements_text(u.body_worn_video::jsonb))")
        elif column == "risk_answers":
            picked.append("u.risk_answers::jsonb")
        else:
            picked.append(f"u.{column}")
    return ", ".join(picked)


_UNNEST = ", ".join(f"${i}::{_TYPES.get(c, 'text')}[]" for i, c in enumerate(_COLUMNS, start=2))
_LAST = len(_COLUMNS) + 1
_INSERT_NOTIFICATIONS = f"""
    INSERT INTO notification (partnership_id, {_NOTIFICATION_COLUMNS}, content_hash, screening_due_at)
    SELECT $1, {_select_list()}, u.content_hash, u.screening_due_at
      FROM unnest({_UNNEST}, ${_LAST + 1}::text[], ${_LAST + 2}::timestamptz[])
           AS u({_NOTIFICATION_COLUMNS}, content_hash, screening_due_at)
    ON CONFLICT (partnership_id, police_reference) DO NOTHING
    RETURNING id, police_reference"""  # noqa: S608 - column names are constants


@dataclass(frozen=True, slots=True)
class NewNotification:
    body: NotificationIn
    received_at: datetime
    content_hash: str
    screening_due_at: datetime


async def insert_notifications(
    conn: asyncpg.Connection, partnership_id: int, source: Source, new: Sequence[NewNotification]
) -> dict[str, int]:
    """Insert those not yet here (a concurrent sender may have won a reference): police reference -> new id."""
    columns: list[list[Any]] = [[] for _ in _COLUMNS]
    for item in new:
        for index, value in enumerate(_values(item.body, source, item.received_at)):
            columns[index].append(value)
    for index, column in enumerate(_COLUMNS):
        if column in _JSON_COLUMNS:
            columns[index] = [_JSON.encode(v).decode() for v in columns[index]]
    rows = await conn.fetch(
        _INSERT_NOTIFICATIONS,
        partnership_id,
        *columns,
        [item.content_hash for item in new],
        [item.screening_due_at for item in new],
    )
    return {row["police_reference"]: row["id"] for row in rows}


async def insert_first_versions(
    conn: asyncpg.Connection,
    notifications: Sequence[tuple[int, NotificationIn]],
    source: Source,
    received_by: int | None,
    import_id: int,
) -> None:
    await conn.execute(
        """INSERT INTO notification_version (notification_id, version, body, source, received_by, import_id)
           SELECT u.id, 1, u.body::jsonb, $3, $4, $5 FROM unnest($1::bigint[], $2::text[]) AS u(id, body)""",
        [notification_id for notification_id, _ in notifications],
        [_JSON.encode(body).decode() for _, body in notifications],
        source.value,
        received_by,
        import_id,
    )

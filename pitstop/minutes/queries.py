"""SQL for minutes versions and the disclosure log. Callers check need to know."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from pitstop.db.rows import to_structs
from pitstop.minutes.models import MinutesState


class Version(msgspec.Struct, frozen=True, kw_only=True):
    """One version of a meeting's minutes (the snapshot is read apart: it is large)."""

    id: int
    meeting_id: int
    version: int
    state: MinutesState
    correction_reason: str | None
    opened_by_name: str | None
    opened_at: datetime
    approved_by_name: str | None
    approved_at: datetime | None


RECORD_CLOSED = "The minutes of this meeting are approved, so its record is closed: a coordinator can open a correction"

_VERSION = """n.id, n.meeting_id, n.version, n.state, n.correction_reason, o.name AS opened_by_name, n.opened_at,
    a.name AS approved_by_name, n.approved_at
  FROM minutes n LEFT JOIN app_user o ON o.id = n.opened_by LEFT JOIN app_user a ON a.id = n.approved_by"""


async def versions(conn: asyncpg.Connection, meeting_id: int) -> list[Version]:
    """The meeting's versions, newest first."""
    rows = await conn.fetch(f"SELECT {_VERSION} WHERE n.meeting_id = $1 ORDER BY n.version DESC", meeting_id)
    return to_structs(rows, Version)


async def locked(conn: asyncpg.Connection, meeting_id: int) -> bool:
    """Whether the meeting's minutes are approved with no correction open: its record is then closed."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM minutes WHERE meeting_id = $1 AND state = 'approved')
              AND NOT EXISTS (SELECT 1 FROM minutes WHERE meeting_id = $1 AND state = 'draft')""",
        meeting_id,
    )


async def record_closed(conn: asyncpg.Connection, meeting_id: int) -> bool:
    """`locked`, for a writer: it first holds the meeting's row (KEY SHARE, which approval's FOR UPDATE
    waits for, and which waits for an approval under way), so a save never lands in a record that an
    approval committed meanwhile, and an approval never misses a save that got in first."""
    await conn.execute("SELECT 1 FROM meeting WHERE id = $1 FOR KEY SHARE", meeting_id)
    return await locked(conn, meeting_id)


async def snapshot(conn: asyncpg.Connection, meeting_id: int, version: int) -> Any:
    return await conn.fetchval(
        "SELECT snapshot FROM minutes WHERE meeting_id = $1 AND version = $2 AND state = 'approved'",
        meeting_id,
        version,
    )


async def approve_first(
    conn: asyncpg.Connection, partnership_id: int, meeting_id: int, snapshot: Any, user_id: int
) -> bool:
    """Version 1 approved straight from the draft the meeting's record is; False if someone did first."""
    made = await conn.fetchval(
        """INSERT INTO minutes (partnership_id, meeting_id, version, state, snapshot, opened_by, approved_by,
                                approved_at)
           VALUES ($1, $2, 1, 'approved', $3, $4, $4, now())
           ON CONFLICT (meeting_id, version) DO NOTHING RETURNING true""",
        partnership_id,
        meeting_id,
        snapshot,
        user_id,
    )
    return bool(made)


async def approve_draft(conn: asyncpg.Connection, meeting_id: int, version: int, snapshot: Any, user_id: int) -> bool:
    status = await conn.execute(
        """UPDATE minutes SET state = 'approved', snapshot = $3, approved_by = $4, approved_at = now()
            WHERE meeting_id = $1 AND version = $2 AND state = 'draft'""",
        meeting_id,
        version,
        snapshot,
        user_id,
    )
    return status == "UPDATE 1"


async def open_correction(
    conn: asyncpg.Connection, partnership_id: int, meeting_id: int, version: int, reason: str, user_id: int
) -> bool:
    made = await conn.fetchval(
        """INSERT INTO minutes (partnership_id, meeting_id, version, state, correction_reason, opened_by)
           VALUES ($1, $2, $3, 'draft', $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        partnership_id,
        meeting_id,
        version,
        reason,
        user_id,
    )
    return bool(made)


async def disclose(
    conn: asyncpg.Connection,
    *,
    partnership_id: int,
    meeting_id: int,
    version: int,
    state: MinutesState,
    copy_agency_id: int | None,
    user_id: int,
    token_id: int | None,
    user_agency_id: int,
    request_id: str | None,
) -> None:
    await conn.execute(
        """INSERT INTO minutes_disclosure (partnership_id, meeting_id, version, state, copy_agency_id, user_id,
                                           token_id, user_agency_id, request_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        partnership_id,
        meeting_id,
        version,
        state.value,
        copy_agency_id,
        user_id,
        token_id,
        user_agency_id,
        request_id,
    )

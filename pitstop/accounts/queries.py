"""SQL for partnerships. Each function takes a connection and returns Structs."""

from __future__ import annotations

import asyncpg

from pitstop.accounts.models import NewPartnership, Partnership
from pitstop.db.rows import to_struct, to_structs

_COLUMNS = "id, slug, name, council_area, police_force, created_at"


async def list_partnerships(conn: asyncpg.Connection) -> list[Partnership]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM partnership ORDER BY name")  # noqa: S608
    return to_structs(rows, Partnership)


async def ensure_partnership(conn: asyncpg.Connection, new: NewPartnership) -> tuple[Partnership, bool]:
    """Insert the partnership unless its slug exists; return it and whether it was created."""
    row = await conn.fetchrow(
        f"""INSERT INTO partnership (slug, name, council_area, police_force)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (slug) DO NOTHING
            RETURNING {_COLUMNS}""",  # noqa: S608
        new.slug,
        new.name,
        new.council_area,
        new.police_force,
    )
    if row is not None:
        return to_struct(row, Partnership), True  # type: ignore[return-value]
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM partnership WHERE slug = $1", new.slug)  # noqa: S608
    return to_struct(row, Partnership), False  # type: ignore[return-value]

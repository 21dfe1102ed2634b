"""SQL for the audit trail. Inserts and reads only: the table refuses updates and deletes."""

from __future__ import annotations

from typing import Any

import asyncpg

from pitstop.audit.models import AuditEvent, AuditFilter
from pitstop.db.rows import to_structs

_COLUMNS = "action, partnership_id, user_id, agency_id, record_type, record_id, request_id, client_addr, detail"


def insert_statement(first: int = 1) -> str:
    """INSERT of one audit row whose nine values are parameters from $first on (see service.values)."""
    p = [f"${first + i}" for i in range(9)]
    p[7] += "::inet"
    return f"INSERT INTO audit_event ({_COLUMNS}) VALUES ({', '.join(p)})"  # noqa: S608 - constant SQL


async def insert(
    conn: asyncpg.Connection,
    *,
    action: str,
    partnership_id: int | None,
    user_id: int | None,
    agency_id: int | None,
    record_type: str | None,
    record_id: str | None,
    request_id: str | None,
    client_addr: str | None,
    detail: dict[str, Any],
) -> None:
    await conn.execute(
        insert_statement(),
        action,
        partnership_id,
        user_id,
        agency_id,
        record_type,
        record_id,
        request_id,
        client_addr,
        detail,
    )


async def insert_many(
    conn: asyncpg.Connection,
    *,
    action: str,
    partnership_id: int | None,
    user_id: int | None,
    agency_id: int | None,
    record_type: str,
    record_ids: list[str],
    request_id: str | None,
    client_addr: str | None,
    detail: dict[str, Any],
) -> None:
    """One row per record, in one statement (a bulk import creates thousands)."""
    await conn.execute(
        """INSERT INTO audit_event (action, partnership_id, user_id, agency_id, record_type, record_id,
                                    request_id, client_addr, detail)
           SELECT $1, $2, $3, $4, $5, unnest($6::text[]), $7, $8::inet, $9""",
        action,
        partnership_id,
        user_id,
        agency_id,
        record_type,
        record_ids,
        request_id,
        client_addr,
        detail,
    )


async def search(conn: asyncpg.Connection, partnership_id: int, where: AuditFilter) -> list[AuditEvent]:
    rows = await conn.fetch(
        """SELECT e.id, e.occurred_at, e.partnership_id, e.user_id, u.name AS user_name, e.agency_id,
                  a.name AS agency_name, e.action, e.record_type, e.record_id, e.request_id,
                  host(e.client_addr) AS client_addr, e.detail
             FROM audit_event e
             LEFT JOIN app_user u ON u.id = e.user_id
             LEFT JOIN agency a ON a.id = e.agency_id
            WHERE e.partnership_id = $1
              AND ($2::text IS NULL OR e.action = $2)
              AND ($3::bigint IS NULL OR e.user_id = $3)
              AND ($4::text IS NULL OR e.record_type = $4)
              AND ($5::text IS NULL OR e.record_id = $5)
              AND ($6::timestamptz IS NULL OR e.occurred_at >= $6)
              AND ($7::timestamptz IS NULL OR e.occurred_at < $7)
              AND ($8::bigint IS NULL OR e.id < $8)
            ORDER BY e.id DESC
            LIMIT $9""",
        partnership_id,
        where.action,
        where.user_id,
        where.record_type,
        where.record_id,
        where.since,
        where.until,
        where.before_id,
        where.limit,
    )
    return to_structs(rows, AuditEvent)

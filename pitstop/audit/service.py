"""Writing audit rows (in the same transaction as what they record) and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.audit import queries
from pitstop.audit.models import AuditAction, AuditEvent, AuditFilter


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, for the audit row."""

    request_id: str | None = None
    client_addr: str | None = None


async def record(
    conn: asyncpg.Connection,
    action: AuditAction,
    *,
    actor: Identity | None,
    origin: Origin,
    record_type: str | None = None,
    record_id: int | str | None = None,
    partnership_id: int | None = None,
    detail: dict[str, Any] | None = None,
    user_id: int | None = None,
    agency_id: int | None = None,
) -> None:
    """Append one audit row. `detail` holds ids and counts only, never names or free text.

    Without an actor (a failed sign-in), user_id/agency_id/partnership_id may name the account tried.
    """
    await queries.insert(
        conn,
        action=action.value,
        partnership_id=actor.partnership_id if actor else partnership_id,
        user_id=actor.user_id if actor else user_id,
        agency_id=actor.agency_id if actor else agency_id,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        request_id=origin.request_id,
        client_addr=origin.client_addr,
        detail=detail or {},
    )


def values(
    action: AuditAction,
    *,
    actor: Identity | None,
    origin: Origin,
    partnership_id: int | None = None,
    record_type: str | None = None,
    record_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> list[Any]:
    """The nine values of one audit row, for a statement that writes it with its change in one round
    trip (queries.insert_statement). Same rules as `record`: ids and counts only in `detail`."""
    return [
        action.value,
        actor.partnership_id if actor else partnership_id,
        actor.user_id if actor else None,
        actor.agency_id if actor else None,
        record_type,
        None if record_id is None else str(record_id),
        origin.request_id,
        origin.client_addr,
        detail or {},
    ]


async def record_many(
    conn: asyncpg.Connection,
    action: AuditAction,
    *,
    actor: Identity | None,
    origin: Origin,
    partnership_id: int,
    record_type: str,
    record_ids: list[int],
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row for each of many records changed at once, e.g. each notification an import creates."""
    await queries.insert_many(
        conn,
        action=action.value,
        partnership_id=partnership_id,
        user_id=actor.user_id if actor else None,
        agency_id=actor.agency_id if actor else None,
        record_type=record_type,
        record_ids=[str(i) for i in record_ids],
        request_id=origin.request_id,
        client_addr=origin.client_addr,
        detail=detail or {},
    )


async def search(conn: asyncpg.Connection, viewer: Identity, where: AuditFilter, origin: Origin) -> list[AuditEvent]:
    """A manager's view of their partnership's trail. Looking at the trail is itself audited."""
    policy.require(viewer, policy.Permission.VIEW_AUDIT)
    events = await queries.search(conn, viewer.partnership_id, where)
    await record(
        conn,
        AuditAction.AUDIT_VIEWED,
        actor=viewer,
        origin=origin,
        detail={"results": len(events), **({"filter_user_id": where.user_id} if where.user_id else {})},
    )
    return events

"""The audit table is append-only in the database itself, not only in the application.

The app's role may add rows and read them, and has no privilege to change or remove them; even the
schema owner (who holds every privilege) is refused by the table's triggers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from pitstop.audit import queries
from pitstop.db.pool import connect
from tests.conftest import TestDatabase

CHANGES = {
    "UPDATE": "UPDATE audit_event SET action = 'tampered', detail = '{}'::jsonb, user_id = NULL",
    "DELETE": "DELETE FROM audit_event",
    "TRUNCATE": "TRUNCATE audit_event",
}


@pytest.fixture
async def app_conn(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(database.app_url)
    yield conn
    await conn.close()


async def add_row(conn: asyncpg.Connection) -> str:
    """Append one row as the app does; return the whole table as text, to compare later."""
    partnership_id = await conn.fetchval(
        "INSERT INTO partnership (slug, name, council_area, police_force) "
        "VALUES ('north', 'North', 'North', 'Police') RETURNING id"
    )
    await queries.insert(
        conn,
        action="user_updated",
        partnership_id=partnership_id,
        user_id=None,
        agency_id=None,
        record_type="user",
        record_id="42",
        request_id="req-0001",
        client_addr="192.0.2.10",
        detail={"roles": ["manager"], "sessions_ended": 1},
    )
    return await table_text(conn)


async def table_text(conn: asyncpg.Connection) -> str:
    return await conn.fetchval("SELECT coalesce(string_agg(e::text, E'\\n' ORDER BY id), '') FROM audit_event e")


async def test_the_app_role_can_add_and_read_audit_rows(app_conn: asyncpg.Connection) -> None:
    await add_row(app_conn)
    row = await app_conn.fetchrow("SELECT * FROM audit_event")
    assert row["action"] == "user_updated"
    assert row["record_id"] == "42"
    assert row["request_id"] == "req-0001"
    assert str(row["client_addr"]) == "192.0.2.10"
    assert row["detail"] == {"roles": ["manager"], "sessions_ended": 1}
    assert row["occurred_at"] is not None


@pytest.mark.parametrize("change", list(CHANGES))
async def test_the_app_role_has_no_privilege_to_change_or_remove_audit_rows(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, database: TestDatabase, change: str
) -> None:
    before = await add_row(app_conn)
    with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
        await app_conn.execute(CHANGES[change])
    if database.app_url != database.owner_url:  # a shared external role meets the trigger instead
        assert "permission denied for table audit_event" in str(refused.value)
    assert await table_text(owner) == before
    assert await owner.fetchval("SELECT count(*) FROM audit_event") == 1


async def test_the_app_role_cannot_switch_the_guard_off(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, database: TestDatabase
) -> None:
    if database.app_url == database.owner_url:
        pytest.skip("the external test database uses one role for owner and app")
    before = await add_row(app_conn)
    for statement in (
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete",
        "DROP TRIGGER audit_event_no_update_or_delete ON audit_event",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute(statement)
    # Granting itself what it lacks is only a warning ("no privileges were granted"), and changes nothing.
    await app_conn.execute("GRANT UPDATE, DELETE ON audit_event TO pitstop_app")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute(CHANGES["DELETE"])
    assert await table_text(owner) == before


@pytest.mark.parametrize("change", list(CHANGES))
async def test_even_the_owner_is_refused_by_the_trigger(owner: asyncpg.Connection, change: str) -> None:
    before = await add_row(owner)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match=f"audit_event is append-only: {change} refused"):
        await owner.execute(CHANGES[change])
    assert await table_text(owner) == before
    assert await owner.fetchval("SELECT count(*) FROM audit_event") == 1


async def test_a_refused_change_inside_a_transaction_takes_nothing_with_it(owner: asyncpg.Connection) -> None:
    """A refused change aborts the whole transaction: no partial tidy-up slips through."""
    before = await add_row(owner)

    async def tidy_up() -> None:
        async with owner.transaction():
            await owner.execute("INSERT INTO audit_event (action) VALUES ('sign_in')")
            await owner.execute("DELETE FROM audit_event WHERE action = 'user_updated'")

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await tidy_up()
    assert await table_text(owner) == before

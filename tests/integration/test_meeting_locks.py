"""Saves and the meeting's own changes at the same moment, against PostgreSQL with two connections: an
agency closing an action while the chair presses Next both go through (the event log's lock is
taken after the meeting's row, never before it, so there is no deadlock); a save that waits on an
approval under way is refused once the approval commits, so the record never holds what the approved
minutes miss; a decision that defers its item while an agency saves does not deadlock either."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from pitstop.db.pool import connect
from pitstop.errors import Invalid
from pitstop.live import discussion
from pitstop.meetings import service as meetings
from pitstop.minutes import queries as minutes_queries
from pitstop.minutes import service as minutes
from tests import factories
from tests.conftest import TestDatabase
from tests.integration.test_actions import agree, close
from tests.integration.test_agency_information import published_meeting, save
from tests.integration.test_decisions import decide, start
from tests.integration.test_mail_outbox import app_conn  # noqa: F401

CLI = factories.CLI


async def test_an_agency_closes_an_action_while_the_chair_moves_on_and_both_go_through(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    m = await published_meeting(owner, app_conn)
    first, second = m.items
    await start(app_conn, m)
    agreed = await agree(app_conn, m, "police")
    chair = await connect(database.app_url)
    try:
        moving = chair.transaction()
        await moving.start()
        await chair.execute("SELECT 1 FROM meeting WHERE id = $1 FOR UPDATE", m.id)  # the move's first step

        async def done() -> None:
            async with app_conn.transaction():
                await close(app_conn, m.police, agreed, "done", "Visited on Tuesday.")

        closing = asyncio.create_task(done())
        await asyncio.sleep(0.5)  # the close is waiting for the meeting's row
        await discussion.go_to(
            chair, actor=m.coordinator, meeting_id=m.id, item_id=second, from_item_id=first, origin=CLI
        )
        await moving.commit()
        await asyncio.wait_for(closing, timeout=10)  # no DeadlockDetectedError on either side
    finally:
        await chair.close()
    assert await owner.fetchval("SELECT current_item_id FROM meeting WHERE id = $1", m.id) == second
    assert await owner.fetchval("SELECT status FROM action WHERE id = $1", agreed.id) == "done"


async def test_a_save_waiting_on_an_approval_is_refused_when_it_commits(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    m = await published_meeting(owner, app_conn)
    await start(app_conn, m)
    version = await app_conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await meetings.advance(app_conn, actor=m.coordinator, meeting_id=m.id, version=version, step="end", origin=CLI)
    approver = await connect(database.app_url)
    try:
        approving = approver.transaction()
        await approving.start()
        await approver.execute("SELECT 1 FROM meeting WHERE id = $1 FOR UPDATE", m.id)  # approval's first step

        async def late() -> None:
            async with app_conn.transaction():
                await save(app_conn, m, m.police, m.items[0], summary="Saved as the minutes were approved.")

        saving = asyncio.create_task(late())
        await asyncio.sleep(0.5)
        await minutes.approve(approver, actor=m.coordinator, meeting_id=m.id, version=1, origin=CLI)
        await approving.commit()
        with pytest.raises(Invalid) as refused:
            await asyncio.wait_for(saving, timeout=10)
        assert refused.value.errors == {"knowledge": minutes_queries.RECORD_CLOSED}
    finally:
        await approver.close()
    assert await owner.fetchval("SELECT count(*) FROM agency_information WHERE meeting_id = $1", m.id) == 0


async def test_a_deferral_while_an_agency_saves_does_not_deadlock(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    m = await published_meeting(owner, app_conn)
    first, second = m.items
    await save(app_conn, m, m.police, second, summary="First view.")
    await start(app_conn, m)
    agency = await connect(database.app_url)
    try:
        saving = agency.transaction()
        await saving.start()
        await agency.execute("SELECT 1 FROM meeting WHERE id = $1 FOR KEY SHARE", m.id)  # a save's first step

        async def deferral() -> None:
            async with app_conn.transaction():
                await decide(app_conn, m, first, rationale="Waiting for the school.", defer=True)

        deciding = asyncio.create_task(deferral())
        await asyncio.sleep(0.5)  # the deferral is under way, waiting for the meeting's row
        await save(agency, m, m.police, second, summary="Second view.", version=1)
        await saving.commit()
        await asyncio.wait_for(deciding, timeout=10)  # no DeadlockDetectedError on either side
    finally:
        await agency.close()
    assert await owner.fetchval("SELECT state FROM agenda_item WHERE id = $1", first) == "deferred"
    assert await owner.fetchval("SELECT current_item_id FROM meeting WHERE id = $1", m.id) == second

"""Meeting events for the live screen (pitstop.live.events), against PostgreSQL as the app's role: a
change writes an event row and NOTIFYs its id on commit, never for a change rolled back; a process's
hub hands each meeting's event ids to that meeting's subscribers only, within two seconds; the payload
carries ids only; a stream that reconnects reads what it missed from the log."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

import asyncio

import asyncpg
import msgspec

from pitstop.db.pool import connect
from pitstop.information import service as information
from pitstop.information.models import InformationIn
from pitstop.live import events
from tests import factories
from tests.conftest import TestDatabase
from tests.integration.test_actions import agree
from tests.integration.test_agency_information import published_meeting
from tests.integration.test_decisions import decide, start
from tests.integration.test_mail_outbox import app_conn  # noqa: F401

CLI = factories.CLI


async def test_a_committed_change_reaches_the_meeting_s_subscribers_and_the_log(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    m = await published_meeting(owner, app_conn)
    other_meeting = await app_conn.fetchval("SELECT id FROM meeting WHERE id <> $1 ORDER BY id LIMIT 1", m.id)
    hub = events.Hub(database.app_url)
    await hub.start()
    heard: list[str] = []
    raw = await connect(database.app_url)
    await raw.add_listener(events.CHANNEL, lambda *args: heard.append(args[3]))
    try:
        start_id = await events.latest(app_conn, m.id)
        async with hub.subscribe(m.id) as mine, hub.subscribe(other_meeting) as theirs:
            form = msgspec.convert({"knowledge": "no_trace"}, InformationIn)
            # Rolled back: no row, nothing heard.
            undone = app_conn.transaction()
            await undone.start()
            await information.record(
                app_conn, actor=m.police, meeting_id=m.id, item_id=m.items[0], form=form, origin=CLI
            )
            await undone.rollback()
            # Committed: heard within two seconds, once, by this meeting's subscribers only.
            async with app_conn.transaction():
                saved = await information.record(
                    app_conn, actor=m.police, meeting_id=m.id, item_id=m.items[0], form=form, origin=CLI
                )
                await asyncio.sleep(0.3)
                assert mine.empty()  # not before the commit
            event_id = await asyncio.wait_for(mine.get(), timeout=2)
            await asyncio.sleep(0.2)
            assert mine.empty()
            assert theirs.empty()
        [logged] = await events.since(app_conn, m.id, start_id)
        assert (logged.id, logged.kind, logged.item_id, logged.record_id) == (
            event_id,
            events.Kind.INFORMATION,
            m.items[0],
            saved.id,
        )
        assert [msgspec.json.decode(p) for p in heard] == [{"id": event_id, "meeting_id": m.id}]  # ids only
    finally:
        await raw.close()
        await hub.stop()


async def test_decisions_actions_and_the_meeting_s_state_are_logged_for_a_stream_that_reconnects(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    before = await events.latest(app_conn, m.id)
    await start(app_conn, m)
    await decide(app_conn, m, m.items[0])
    await agree(app_conn, m, "health")
    missed = await events.since(app_conn, m.id, before)
    assert [e.kind for e in missed] == [events.Kind.MEETING, events.Kind.DECISION, events.Kind.ACTION]
    assert await events.since(app_conn, m.id, missed[-1].id) == []


async def test_two_saves_at_once_commit_their_events_in_the_order_of_their_ids(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    """Ids are drawn at insert but seen at commit: were the second save's event to commit first, a stream
    that read it would ask only for later ids and never see the first. A meeting's events wait their turn."""
    m = await published_meeting(owner, app_conn)
    partnership = await app_conn.fetchval("SELECT partnership_id FROM meeting WHERE id = $1", m.id)
    other = await connect(database.app_url)
    try:
        reader_after = await events.latest(app_conn, m.id)
        first = app_conn.transaction()
        await first.start()
        first_id = await events.publish(app_conn, partnership, m.id, events.Kind.ITEM)

        async def second() -> int:
            async with other.transaction():
                return await events.publish(other, partnership, m.id, events.Kind.ITEM)

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # the second save waits for the first to commit
        assert await events.since(owner, m.id, reader_after) == []
        await first.commit()
        second_id = await asyncio.wait_for(waiting, timeout=5)
        assert first_id < second_id
        assert [e.id for e in await events.since(owner, m.id, reader_after)] == [first_id, second_id]
    finally:
        await other.close()

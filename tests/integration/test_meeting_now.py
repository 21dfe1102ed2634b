"""The item being discussed (pitstop.live.discussion), against PostgreSQL as the app's role: the meeting
starts at the top of its agenda; the chair moves it, refused when someone else moved it first; an item
that leaves the agenda while discussed hands on to the next; the end clears it; each move is an event and
an audit row; the chair's bar names agencies only for those who see every agency's records; the hub
listens again after losing its connection and wakes its streams to read what they missed."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from pitstop.agenda import service as agenda
from pitstop.errors import Conflict, Forbidden, Invalid
from pitstop.live import discussion, events
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import AttendanceIn, AttendanceStatus
from tests import factories
from tests.conftest import TestDatabase
from tests.integration.test_agency_information import Meeting, published_meeting, save
from tests.integration.test_decisions import decide, start
from tests.integration.test_mail_outbox import app_conn  # noqa: F401

CLI = factories.CLI


async def current(conn: asyncpg.Connection, m: Meeting) -> int | None:
    return await conn.fetchval("SELECT current_item_id FROM meeting WHERE id = $1", m.id)


async def go(conn: asyncpg.Connection, m: Meeting, to: int, from_: int | None, who: object = None) -> None:
    await discussion.go_to(
        conn, actor=who or m.coordinator, meeting_id=m.id, item_id=to, from_item_id=from_, origin=CLI
    )


async def test_the_chair_moves_through_the_agenda_and_every_move_is_heard(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first, second = m.items
    with pytest.raises(Invalid) as early:  # not before the meeting starts
        await go(app_conn, m, second, None)
    assert early.value.errors == {"item_id": "The meeting is not under way: start it first"}

    before = await events.latest(app_conn, m.id)
    await start(app_conn, m)
    assert await current(app_conn, m) == first  # the top of the agenda
    started = await events.since(app_conn, m.id, before)
    assert [(e.kind, e.item_id) for e in started] == [(events.Kind.MEETING, first)]

    shown = await discussion.now(app_conn, m.coordinator, m.id)
    assert shown.current is not None
    assert shown.current.label == "item 1 of 2"
    assert shown.previous is None
    assert shown.following is not None
    assert shown.following.item_id == second
    assert shown.may_chair

    await go(app_conn, m, second, first)
    assert await current(app_conn, m) == second
    moved = await events.since(app_conn, m.id, started[-1].id)
    assert [(e.kind, e.item_id) for e in moved] == [(events.Kind.MEETING, second)]
    audited = await owner.fetchrow(
        "SELECT user_id, detail->>'item_id' AS item, detail->>'from_item_id' AS from_item FROM audit_event"
        " WHERE action = 'discussion_moved' AND record_id = $1",
        str(m.id),
    )
    assert (audited["user_id"], audited["item"], audited["from_item"]) == (
        m.coordinator.user_id,
        str(second),
        str(first),
    )

    # Another coordinator's page still showed the first item as current: refused, nothing changes.
    with pytest.raises(Conflict):
        await go(app_conn, m, first, None)
    assert await current(app_conn, m) == second
    shown = await discussion.now(app_conn, m.coordinator, m.id)
    assert shown.previous is not None
    assert shown.previous.item_id == first
    assert shown.following is None

    with pytest.raises(Invalid) as gone:
        await go(app_conn, m, 10**9, second)
    assert gone.value.errors == {"item_id": "This item is no longer on the agenda"}
    with pytest.raises(Forbidden):  # an agency member follows; only a coordinator chairs
        await go(app_conn, m, first, second, who=m.police)
    assert not (await discussion.now(app_conn, m.police, m.id)).may_chair
    assert await current(app_conn, m) == second

    version = await app_conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await meetings.advance(app_conn, actor=m.coordinator, meeting_id=m.id, version=version, step="end", origin=CLI)
    assert await current(app_conn, m) is None
    assert (await discussion.now(app_conn, m.police, m.id)).current is None


async def test_an_item_deferred_or_removed_while_discussed_hands_on_to_the_next(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first, second = m.items
    await start(app_conn, m)
    before = await events.latest(app_conn, m.id)
    await decide(app_conn, m, first, defer=True, rationale="Waiting for the school's information.")
    assert await current(app_conn, m) == second  # the meeting moves on to what is left
    kinds = [(e.kind, e.item_id) for e in await events.since(app_conn, m.id, before)]
    assert (events.Kind.MEETING, second) in kinds
    assert (events.Kind.ITEM, first) in kinds  # every screen hears the agenda changed

    # Discussing the last item, which is then removed: nothing is left to discuss.
    version = await app_conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await agenda.remove(
        app_conn, actor=m.coordinator, meeting_id=m.id, item_id=second, version=version, reason="Duplicate", origin=CLI
    )
    assert await current(app_conn, m) is None
    shown = await discussion.now(app_conn, m.coordinator, m.id)
    assert shown.current is None
    assert shown.order == []


async def test_the_bar_says_who_is_present_and_names_agencies_only_to_those_who_see_every_record(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first = m.items[0]
    await start(app_conn, m)
    await save(app_conn, m, m.police, first, summary="Two call-outs this year.")
    await save(app_conn, m, m.health, first, summary="Midwife concerned.", visibility="not_for_minutes")
    await save(app_conn, m, m.care, m.items[1], summary="Another item's record.")
    rows = {a.agency_id: a for a in await meeting_queries.attendance(app_conn, m.id)}
    before = await events.latest(app_conn, m.id)
    await meetings.record_attendance(
        app_conn,
        actor=m.coordinator,
        meeting_id=m.id,
        rows=[
            (
                AttendanceIn(agency_id=m.agencies["police"], status=AttendanceStatus.PRESENT, present_names="DS Lee"),
                rows[m.agencies["police"]].version,
            ),
            (
                AttendanceIn(agency_id=m.agencies["care"], status=AttendanceStatus.APOLOGIES),
                rows[m.agencies["care"]].version,
            ),
        ],
        origin=CLI,
    )
    assert [e.kind for e in await events.since(app_conn, m.id, before)] == [events.Kind.MEETING]

    chair = await discussion.now(app_conn, m.coordinator, m.id)
    assert chair.recorded == 2
    names = {a.agency_id: a.agency_name for a in chair.attendance}
    assert chair.recorded_names == sorted([names[m.agencies["police"]], names[m.agencies["health"]]])
    assert len(chair.recorded_names or []) + len(chair.waiting_names or []) == chair.invited
    present = {a.agency_id: (a.status, a.present_names) for a in chair.attendance}
    assert present[m.agencies["police"]] == (AttendanceStatus.PRESENT, "DS Lee")
    assert present[m.agencies["care"]] == (AttendanceStatus.APOLOGIES, None)

    member = await discussion.now(app_conn, m.care, m.id)
    assert member.recorded == 2  # how many, not who: what another agency holds is theirs
    assert member.recorded_names is None
    assert member.waiting_names is None


async def test_the_hub_listens_again_after_losing_its_connection_and_wakes_its_streams(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    m = await published_meeting(owner, app_conn)
    hub = events.Hub(database.app_url)
    await hub.start()
    try:
        async with hub.subscribe(m.id) as woken:
            pid = hub._conn.get_server_pid()
            assert await owner.fetchval("SELECT pg_terminate_backend($1)", pid)
            # Published while nobody listens: lost as a notification, kept in the log.
            async with app_conn.transaction():
                missed = await events.publish(app_conn, await partnership(app_conn, m), m.id, events.Kind.ITEM)
            assert await asyncio.wait_for(woken.get(), timeout=5) in (events.WAKE, missed)
            for _ in range(50):
                if hub.listening:
                    break
                await asyncio.sleep(0.1)
            assert hub.listening
            assert [e.id for e in await events.since(app_conn, m.id, missed - 1)] == [missed]
            while not woken.empty():
                woken.get_nowait()
            async with app_conn.transaction():
                heard = await events.publish(app_conn, await partnership(app_conn, m), m.id, events.Kind.ITEM)
            assert await asyncio.wait_for(woken.get(), timeout=2) == heard
    finally:
        await hub.stop()


async def partnership(conn: asyncpg.Connection, m: Meeting) -> int:
    return await conn.fetchval("SELECT partnership_id FROM meeting WHERE id = $1", m.id)

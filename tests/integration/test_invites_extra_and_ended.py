"""Invites beyond the series' rule, through a real SMTP server on loopback: a moved meeting goes with
every later copy of the series (so no client drops it), an extra meeting has its own UID (invited,
moved with a higher SEQUENCE, cancelled), an invitee who joins gets the extra meetings to come and one
who leaves their cancellations, a changed length is re-sent, and an ended series is one CANCEL of its
UID, its meetings to come cancelled and their notifications back in the queue. Each send is audited."""

# ruff: noqa: F811 - the SMTP server and connection fixtures are imported from the outbox tests

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from pitstop.db.pool import connect
from pitstop.errors import Invalid
from pitstop.invites import service as invites
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import ExtraMeetingIn, MeetingChange, SeriesIn
from pitstop.meetings.schedule import LONDON
from tests import factories
from tests.conftest import TestDatabase
from tests.integration.test_mail_outbox import Inbox, app_conn, config, deliver_all, smtp  # noqa: F401
from tests.integration.test_series_invites import events_of, site  # noqa: F401
from tests.meeting_helpers import KELLY, identity, screened, series

CLI = factories.CLI


def to(inbox: Inbox, address: str, start: int) -> list:
    return [m for m in inbox.messages[start:] if address in m["To"]]


async def test_moved_and_extra_meetings_reach_every_invitee_and_an_ended_series_is_cancelled(
    site: None, owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    world = await factories.world(owner)
    coordinator = identity(world.users["north.coordinator"])
    today = datetime.now(LONDON).date()
    made = await series(app_conn, world, today)  # invites Pat Police
    await deliver_all(app_conn, config(port))
    [invited] = inbox.messages
    _, [master] = events_of(invited)
    uid = str(master["uid"])

    # A meeting a week ahead moves to 14:00; an extra meeting is added ten days ahead.
    moving_id = await app_conn.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 AND occurrence > $2 AND state = 'scheduled' "
        "ORDER BY starts_at LIMIT 1",
        made.id,
        today + timedelta(days=6),
    )
    moving = await meeting_queries.meeting(app_conn, moving_id)
    assert moving is not None
    assert moving.occurrence is not None
    afternoon = datetime.combine(moving.occurrence, time(14), tzinfo=LONDON)
    await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=moving.id,
        form=MeetingChange(version=moving.version, starts_at=afternoon, moved_reason="Court hearing"),
        origin=CLI,
    )
    extra_at = datetime.combine(today + timedelta(days=10), time(14), tzinfo=LONDON)
    extra = await meetings.add_extra(
        app_conn, actor=coordinator, form=ExtraMeetingIn(series_id=made.id, starts_at=extra_at), origin=CLI
    )
    await deliver_all(app_conn, config(port))
    moved, extra_invite = inbox.messages[1:3]
    assert moved["Subject"].startswith("Moved: Daily pitstop")
    method, [event] = events_of(extra_invite)
    extra_uid = f"meeting-{extra.id}@northfield.example"  # the mailbox's domain
    assert (method, str(event["uid"])) == ("REQUEST", extra_uid)
    assert "rrule" not in event
    assert "recurrence-id" not in event
    assert event.decoded("dtstart") == extra_at
    assert str(event["attendee"]) == "mailto:pat@north-police.example"
    assert str(event["url"]).endswith(f"/meetings/{extra.id}")
    first_sequence = int(event["sequence"])

    # The length and place change: the series is re-sent at 90 minutes and carries the moved meeting
    # again; the extra meeting, which meets at the series' place, is re-sent with a higher SEQUENCE.
    current = await meetings.series(app_conn, coordinator, made.id)
    fields = {f: getattr(current, f) for f in SeriesIn.__struct_fields__ if hasattr(current, f)}
    await meetings.update_series(
        app_conn,
        actor=coordinator,
        series_id=made.id,
        form=SeriesIn(**{**fields, "length_minutes": 90, "place": "Civic Centre", "version": current.version}),
        origin=CLI,
    )
    mark = len(inbox.messages)
    await deliver_all(app_conn, config(port))
    resent, extra_update = inbox.messages[mark:]
    method, [event] = events_of(extra_update)
    assert (method, str(event["uid"]), str(event["location"])) == ("REQUEST", extra_uid, "Civic Centre")
    assert int(event["sequence"]) > first_sequence
    first_sequence = int(event["sequence"])
    method, [master, override] = events_of(resent)
    assert (method, str(master["uid"]), int(master["sequence"])) == ("REQUEST", uid, 1)
    assert master.decoded("dtend") - master.decoded("dtstart") == timedelta(minutes=90)
    assert str(override["uid"]) == uid
    assert int(override["sequence"]) == 1
    assert override.decoded("recurrence-id") == datetime.combine(moving.occurrence, time(9, 30), tzinfo=LONDON)
    assert override.decoded("dtstart") == afternoon

    # Sam joins: the series with its moved meeting, and the extra meeting to come.
    current = await meetings.series(app_conn, coordinator, made.id)
    await meetings.add_invitee(
        app_conn,
        actor=coordinator,
        series_id=made.id,
        version=current.version,
        agency_id=world.agencies["north.social_care"].id,
        name="Sam Social",
        email="sam@north-care.example",
        origin=CLI,
    )
    mark = len(inbox.messages)
    await deliver_all(app_conn, config(port))
    joined_series, joined_extra = to(inbox, "sam@north-care.example", mark)
    assert len(inbox.messages[mark:]) == 2  # nothing to Pat
    method, [master, override] = events_of(joined_series)
    assert (method, str(master["uid"])) == ("REQUEST", uid)
    assert override.decoded("dtstart") == afternoon
    method, [event] = events_of(joined_extra)
    assert (method, str(event["uid"])) == ("REQUEST", extra_uid)
    assert str(event["attendee"]) == "mailto:sam@north-care.example"

    # The extra meeting moves to 15:00: the same UID, a higher SEQUENCE, to both.
    found = await meeting_queries.meeting(app_conn, extra.id)
    assert found is not None
    later = extra_at + timedelta(hours=1)
    await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=extra.id,
        form=MeetingChange(version=found.version, starts_at=later, moved_reason="Room taken"),
        origin=CLI,
    )
    mark = len(inbox.messages)
    await deliver_all(app_conn, config(port))
    updates = inbox.messages[mark:]
    assert sorted(m["To"].split("<")[1] for m in updates) == ["pat@north-police.example>", "sam@north-care.example>"]
    for message in updates:
        method, [event] = events_of(message)
        assert (method, str(event["uid"])) == ("REQUEST", extra_uid)
        assert int(event["sequence"]) > first_sequence
        assert event.decoded("dtstart") == later

    # Sam leaves: the series' cancellation and the extra meeting's, to Sam alone.
    current = await meetings.series(app_conn, coordinator, made.id)
    sam = next(i for i in current.invitees if i.email == "sam@north-care.example")
    await meetings.remove_invitee(
        app_conn, actor=coordinator, series_id=made.id, version=current.version, invitee_id=sam.id, origin=CLI
    )
    mark = len(inbox.messages)
    await deliver_all(app_conn, config(port))
    left = inbox.messages[mark:]
    assert all("sam@north-care.example" in m["To"] for m in left)
    assert [(events_of(m)[0], str(events_of(m)[1][0]["uid"])) for m in left] == [
        ("CANCEL", uid),
        ("CANCEL", extra_uid),
    ]

    # A notification waits on the next meeting's agenda; then the series ends.
    await screened(app_conn, world, "SECRET/2", datetime.now(UTC) - timedelta(minutes=5), KELLY)
    await meetings.tick(app_conn)  # the meeting clock places it
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_entry WHERE open") == 1
    current = await meetings.series(app_conn, coordinator, made.id)
    with pytest.raises(Invalid) as no_reason:
        await meetings.end_series(
            app_conn, actor=coordinator, series_id=made.id, version=current.version, reason=" ", origin=CLI
        )
    assert "reason" in no_reason.value.errors
    # It has met: a week ago (its invites said so from then; a held meeting that day).
    week_ago = today - timedelta(days=7)
    await owner.execute(
        "UPDATE series_invite SET first_day = $2 WHERE series_id = $1 AND until IS NULL", made.id, week_ago
    )
    await owner.execute(
        """INSERT INTO meeting (partnership_id, series_id, occurrence, starts_at, length_minutes, cut_off_at,
                                publish_at, state, started_at, ended_at)
           VALUES ($1, $2, $3, $4, 90, $4, $4, 'held', $4, $4)""",
        made.partnership_id,
        made.id,
        week_ago,
        datetime.combine(week_ago, time(9, 30), tzinfo=LONDON),
    )
    to_come = await app_conn.fetchval(
        "SELECT count(*) FROM meeting WHERE series_id = $1 AND starts_at > now() AND state <> 'cancelled'", made.id
    )
    assert to_come > 5
    await meetings.end_series(
        app_conn, actor=coordinator, series_id=made.id, version=current.version, reason="Merged with MASH", origin=CLI
    )
    mark = len(inbox.messages)
    await deliver_all(app_conn, config(port))
    ended = inbox.messages[mark:]
    assert all("pat@north-police.example" in m["To"] for m in ended)
    # The series' UID ends on its last meeting day: the meeting held stays in calendars, none to come.
    method, [event] = events_of(ended[0])
    assert (method, str(event["uid"]), str(event["status"])) == ("REQUEST", uid, "CONFIRMED")
    assert event["rrule"]["UNTIL"][0].astimezone(LONDON).date() == week_ago
    assert ended[0]["Subject"] == "Ended: Daily pitstop"
    method, [event] = events_of(ended[1])
    assert (method, str(event["uid"])) == ("CANCEL", extra_uid)
    assert len(ended) == 2  # one message for the series, not one per meeting

    assert not await app_conn.fetchval(
        "SELECT count(*) FROM meeting WHERE series_id = $1 AND starts_at > now() AND state <> 'cancelled'", made.id
    )
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_queue") == 1  # back in the queue, not lost
    assert not await app_conn.fetchval("SELECT count(*) FROM agenda_entry WHERE open")
    ended_series = await meetings.series(app_conn, coordinator, made.id)
    assert (ended_series.active, ended_series.ended_reason) == (False, "Merged with MASH")
    assert await meetings.generate(app_conn, ended_series) == 0
    fields = {f: getattr(ended_series, f) for f in SeriesIn.__struct_fields__ if hasattr(ended_series, f)}
    with pytest.raises(Invalid):
        await meetings.update_series(
            app_conn,
            actor=coordinator,
            series_id=made.id,
            form=SeriesIn(**{**fields, "version": ended_series.version}),
            origin=CLI,
        )

    # Every message sent has its audit row, naming the outbox row and its kind only.
    sent = await app_conn.fetch("SELECT record_id, detail FROM audit_event WHERE action = 'mail_sent'")
    assert len(sent) == len(inbox.messages)
    outbox_ids = {str(r["id"]) for r in await app_conn.fetch("SELECT id FROM mail_outbox WHERE state = 'sent'")}
    assert {r["record_id"] for r in sent} == outbox_ids
    assert all("@" not in str(r["detail"]) for r in sent)
    assert await app_conn.fetchval("SELECT count(*) FROM audit_event WHERE action = 'meeting_series_ended'") == 1
    for message in inbox.messages:
        assert "SECRET/2" not in message.as_string()
        assert "Marsh" not in message.as_string()


async def test_two_first_uses_of_a_series_at_once_share_one_uid(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, database: TestDatabase
) -> None:
    """A download (or a feed read) and another at the same moment, for a series never sent before: the
    second waits for the first and takes its UID rather than failing on the unique index."""
    world = await factories.world(owner)
    made = await series(app_conn, world, datetime.now(LONDON).date())  # no site configured: never sent
    assert not await app_conn.fetchval("SELECT count(*) FROM series_invite")
    other = await connect(database.app_url)
    try:
        first_tx, second_tx = app_conn.transaction(), other.transaction()
        await first_tx.start()
        await second_tx.start()
        first = await invites.series_file(app_conn, made)
        waiting = asyncio.create_task(invites.series_file(other, made))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # held by the first's uncommitted row
        await first_tx.commit()
        second = await asyncio.wait_for(waiting, 10)
        await second_tx.commit()
    finally:
        await other.close()
    uid = re.compile(rb"UID:(series-[0-9a-f]+@\S+)")
    assert uid.search(first).group(1) == uid.search(second).group(1)  # type: ignore[union-attr]
    assert await owner.fetchval("SELECT count(*) FROM series_invite") == 1

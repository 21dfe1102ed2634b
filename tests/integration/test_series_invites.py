"""The series' invites through the outbox to a real SMTP server on loopback: the invite to a new
invitee, the same UID with a higher SEQUENCE after a change, a moved and a cancelled meeting as
overrides of their occurrence, a new UID after a change of days, the cancellation to a removed invitee,
and no case data anywhere."""

# ruff: noqa: F811 - the SMTP server and connection fixtures are imported from the outbox tests

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email.message import Message

import asyncpg
import pytest
from icalendar import Calendar

from pitstop.invites import service as invites
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import MeetingChange, SeriesIn
from pitstop.meetings.schedule import LONDON
from tests import factories
from tests.integration.test_mail_outbox import Inbox, app_conn, config, deliver_all, smtp  # noqa: F401
from tests.meeting_helpers import KELLY, identity, screened, series

CLI = factories.CLI


@pytest.fixture
def site() -> Iterator[None]:
    invites.configure(
        invites.Site(base_url="https://pitstop.northfield.example", mail_from="pitstop@northfield.example")
    )
    yield
    invites.configure(None)


def events_of(message: Message) -> tuple[str, list]:
    """The METHOD and the VEVENTs of a message's inline calendar part."""
    alternative, _ = message.get_payload()
    _, inline = alternative.get_payload()
    calendar = Calendar.from_ical(inline.get_payload(decode=True))
    return str(calendar["method"]), list(calendar.walk("VEVENT"))


def calendar_of(message: Message) -> tuple[str, object]:
    """The METHOD and the first VEVENT (the series itself, before any moved meeting that goes with it)."""
    method, events = events_of(message)
    return method, events[0]


async def test_invites_follow_the_series_through_its_changes(
    site: None, owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    world = await factories.world(owner)
    coordinator = identity(world.users["north.coordinator"])
    today = datetime.now(LONDON).date()
    made = await series(app_conn, world, today)  # invites Pat Police of the police
    await deliver_all(app_conn, config(port))
    [invited] = inbox.messages
    method, event = calendar_of(invited)
    uid = str(event["uid"])
    assert method == "REQUEST"
    assert invited["To"] == "Pat Police <pat@north-police.example>"
    assert invited["Subject"] == "Invitation: Daily pitstop"
    assert int(event["sequence"]) == 0
    assert str(event["attendee"]) == "mailto:pat@north-police.example"

    # A case on the agenda: none of it may reach an invite.
    await screened(app_conn, world, "SECRET/1", datetime.now(UTC) - timedelta(minutes=5), KELLY)

    # The place changes: the same UID, one SEQUENCE higher.
    current = await meetings.series(app_conn, coordinator, made.id)
    fields = {f: getattr(current, f) for f in SeriesIn.__struct_fields__ if hasattr(current, f)}
    await meetings.update_series(
        app_conn,
        actor=coordinator,
        series_id=made.id,
        form=SeriesIn(**{**fields, "place": "Civic Centre, room 2", "version": current.version}),
        origin=CLI,
    )
    # A meeting a week ahead moves to the afternoon, the next day's is cancelled.
    later = await app_conn.fetch(
        "SELECT id FROM meeting WHERE series_id = $1 AND occurrence > $2 AND state = 'scheduled' "
        "ORDER BY starts_at LIMIT 2",
        made.id,
        today + timedelta(days=6),
    )
    moving = await meeting_queries.meeting(app_conn, later[0]["id"])
    assert moving is not None
    assert moving.occurrence is not None
    afternoon = datetime.combine(moving.occurrence, time(14), tzinfo=LONDON)
    await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=moving.id,
        form=MeetingChange(
            version=moving.version,
            starts_at=afternoon,
            moved_reason="Court hearing",
            chair_id=moving.chair_id,
            minute_taker_id=moving.minute_taker_id,
        ),
        origin=CLI,
    )
    cancelling = await meeting_queries.meeting(app_conn, later[1]["id"])
    assert cancelling is not None
    assert cancelling.occurrence is not None
    await meetings.cancel(
        app_conn, actor=coordinator, meeting_id=cancelling.id, version=cancelling.version, reason="Training", origin=CLI
    )
    await deliver_all(app_conn, config(port))
    updated, moved, cancelled = inbox.messages[1:4]
    method, event = calendar_of(updated)
    assert (method, str(event["uid"]), int(event["sequence"])) == ("REQUEST", uid, 1)
    assert str(event["location"]) == "Civic Centre, room 2"
    method, event = calendar_of(moved)
    assert (method, str(event["uid"])) == ("REQUEST", uid)
    assert event.decoded("recurrence-id") == datetime.combine(moving.occurrence, time(9, 30), tzinfo=LONDON)
    assert event.decoded("dtstart") == afternoon
    method, event = calendar_of(cancelled)
    assert (method, str(event["uid"]), str(event["status"])) == ("CANCEL", uid, "CANCELLED")
    assert event.decoded("recurrence-id") == datetime.combine(cancelling.occurrence, time(9, 30), tzinfo=LONDON)

    # New days: the old UID ends the day before, a new one begins.
    current = await meetings.series(app_conn, coordinator, made.id)
    fields = {f: getattr(current, f) for f in SeriesIn.__struct_fields__ if hasattr(current, f)}
    await meetings.update_series(
        app_conn,
        actor=coordinator,
        series_id=made.id,
        form=SeriesIn(**{**fields, "weekdays": [1, 3, 5], "version": current.version}),
        origin=CLI,
    )
    await deliver_all(app_conn, config(port))
    ended, started = inbox.messages[4:6]
    method, event = calendar_of(ended)
    assert str(event["uid"]) == uid
    assert int(event["sequence"]) == 2
    # Set up today, the old UID never had a meeting: it is cancelled outright, as an UNTIL before its
    # DTSTART reads differently in each client. (A series that has met ends with UNTIL: test_ics.) The
    # new rule starts today if today's meeting is still to come, else tomorrow.
    assert (method, str(event["status"])) == ("CANCEL", "CANCELLED")
    cut = today if datetime.now(LONDON).time() < time(9, 30) else today + timedelta(days=1)
    assert event["rrule"]["UNTIL"][0].astimezone(LONDON).date() == cut - timedelta(days=1)
    _, event = calendar_of(started)
    assert str(event["uid"]) != uid
    assert event["rrule"]["BYDAY"] == ["MO", "WE", "FR"]

    # Pat is no longer invited: a cancellation of the whole (current) series, to Pat alone.
    current = await meetings.series(app_conn, coordinator, made.id)
    await meetings.remove_invitee(
        app_conn,
        actor=coordinator,
        series_id=made.id,
        version=current.version,
        invitee_id=current.invitees[0].id,
        origin=CLI,
    )
    await deliver_all(app_conn, config(port))
    [removed] = inbox.messages[6:]
    method, event = calendar_of(removed)
    assert (method, str(event["uid"])) == ("CANCEL", str(calendar_of(started)[1]["uid"]))
    assert str(event["attendee"]) == "mailto:pat@north-police.example"

    for message in inbox.messages:
        raw = message.as_string()
        assert "SECRET/1" not in raw
        assert "Marsh" not in raw

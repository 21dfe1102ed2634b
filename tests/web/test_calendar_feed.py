"""A personal calendar subscription: the address is shown once, the feed lists only the meetings its
user is invited to (no invitees' names), answers 304 while nothing changed, and stops working when
replaced, turned off, or its user is deactivated. Every read is audited as the feed's user."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import asyncpg
from icalendar import Calendar
from litestar.testing import AsyncTestClient

from pitstop.accounts import service as accounts
from pitstop.meetings import service as meetings
from pitstop.meetings.models import MeetingChange
from pitstop.meetings.schedule import LONDON
from tests import factories
from tests.meeting_helpers import identity, series

ADDRESS = re.compile(r'value="(https?://[^"]+/calendar/([A-Za-z0-9_-]+)\.ics)"')


async def new_address(client: AsyncTestClient) -> tuple[str, str]:
    token = await factories.form_token(client, "/account/calendar-feed")
    page = await client.post("/account/calendar-feed", data={"csrf_token": token})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    found = ADDRESS.search(page.text)
    assert found is not None, page.text
    return found.group(1), found.group(2)


async def feed(client: AsyncTestClient, secret: str, **headers: str) -> object:
    jar = client.cookies
    client.cookies = type(jar)()  # a calendar app: no session
    try:
        return await client.get(f"/calendar/{secret}.ics", headers=headers)
    finally:
        client.cookies = jar


async def test_a_feed_lists_only_my_meetings_and_stops_when_replaced_or_turned_off(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    world = await factories.world(owner)
    member = world.users["north.agency_member"]
    today = datetime.now(LONDON).date()
    mine = await series(owner, world, today, name="Daily pitstop")
    coordinator = identity(world.users["north.coordinator"])
    await meetings.add_invitee(
        owner,
        actor=coordinator,
        series_id=mine.id,
        version=mine.version,
        agency_id=member.agency_id,
        name="North Member",
        email=member.email.upper(),  # addresses match whatever their case
        origin=factories.CLI,
    )
    await series(owner, world, today, name="Strategy meeting")  # the member is not invited
    await series(owner, world, today, place="south", name="Southern pitstop")

    await factories.sign_in(client, member.email)
    page = await client.get("/account/calendar-feed")
    assert "You have no subscription address" in page.text
    address, secret = await new_address(client)
    assert address.startswith("http")
    again = await client.get("/account/calendar-feed")
    assert secret not in again.text  # shown once
    assert "Last read by a calendar" in again.text

    got = await feed(client, secret)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(got.content)
    assert str(calendar["method"]) == "PUBLISH"
    events = list(calendar.walk("VEVENT"))
    uid = await owner.fetchval("SELECT uid FROM series_invite WHERE series_id = $1 AND until IS NULL", mine.id)
    assert [str(e["uid"]) for e in events] == [uid]
    assert {str(e["summary"]) for e in events} == {"Daily pitstop"}
    assert b"ATTENDEE" not in got.content  # no invitees' names or addresses
    assert b"Strategy" not in got.content
    assert b"Southern" not in got.content

    # Unchanged: 304. A meeting moved: a new ETag and the override in the feed.
    tag = got.headers["etag"]
    unchanged = await feed(client, secret, **{"If-None-Match": tag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    moving = await owner.fetchrow(
        "SELECT id, occurrence, version FROM meeting WHERE series_id = $1 AND occurrence > $2 ORDER BY occurrence",
        mine.id,
        today + timedelta(days=3),
    )
    await meetings.change(
        owner,
        actor=coordinator,
        meeting_id=moving["id"],
        form=MeetingChange(
            version=moving["version"],
            starts_at=datetime.combine(moving["occurrence"], time(15), tzinfo=LONDON),
            moved_reason="Training",
        ),
        origin=factories.CLI,
    )
    changed = await feed(client, secret, **{"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    assert len(list(Calendar.from_ical(changed.content).walk("VEVENT"))) == 2

    # A new address: the old one stops working.
    _, replacement = await new_address(client)
    assert (await feed(client, secret)).status_code == 404
    assert (await feed(client, replacement)).status_code == 200
    # Turned off.
    token = await factories.form_token(client, "/account/calendar-feed")
    off = await client.post("/account/calendar-feed/revoke", data={"csrf_token": token})
    assert "turned off" in off.text
    assert (await feed(client, replacement)).status_code == 404
    # Deactivated.
    _, last = await new_address(client)
    assert (await feed(client, last)).status_code == 200
    admin = identity(world.users["north.admin"])
    version = await owner.fetchval("SELECT version FROM app_user WHERE id = $1", member.id)
    await accounts.set_active(
        owner, actor=admin, user_id=member.id, version=version, active=False, origin=factories.CLI
    )
    assert (await feed(client, last)).status_code == 404
    # Reactivated: the old address stays dead (a new one must be made).
    await accounts.set_active(
        owner, actor=admin, user_id=member.id, version=version + 1, active=True, origin=factories.CLI
    )
    assert (await feed(client, last)).status_code == 404
    assert (await feed(client, "not-a-token-at-all-but-long-enough")).status_code == 404

    reads = await owner.fetch("SELECT user_id FROM audit_event WHERE action = 'calendar_feed_read'")
    assert len(reads) == 5
    assert {r["user_id"] for r in reads} == {member.id}
    made = await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'calendar_feed_created'")
    assert made == 3
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'calendar_feed_revoked'") == 1
    hashes = await owner.fetch("SELECT token_hash FROM calendar_feed")
    assert all(secret not in r["token_hash"] for r in hashes)  # only the hash is kept

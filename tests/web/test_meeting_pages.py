"""Meetings through the app as people use them: setting up a series, the meetings list, the agenda
builder (move, remove, defer, add, publish) without JavaScript, stale forms (409), attendance, what an
agency member sees, and the JSON API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role
from tests import factories
from tests.meeting_helpers import CRAIG, KELLY, series
from tests.meeting_helpers import screened as screen
from tests.web.test_notification_pages import error_links


@pytest.fixture
async def world(owner: asyncpg.Connection) -> factories.World:
    return await factories.world(owner)


@pytest.fixture
async def people(client: AsyncTestClient, world: factories.World) -> factories.Browsers:
    browsers = factories.Browsers(client)
    for role in (Role.COORDINATOR, Role.MANAGER, Role.AGENCY_MEMBER, Role.ADMIN):
        await browsers.sign_in(role.value, world.users[f"north.{role.value}"].email)
    return browsers


async def form_post(client: AsyncTestClient, path: str, data: dict[str, object], page: str) -> object:
    token = await factories.form_token(client, page)
    return await client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def agenda_order(html: str) -> list[str]:
    """The police references of the builder's items, in order."""
    return re.findall(r'<h2 class="govuk-heading-s govuk-!-margin-bottom-1">\d+\. ([^<]+)</h2>', html)


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
async def meeting(owner: asyncpg.Connection, world: factories.World) -> int:
    """A series from today inviting the police, with three notifications placed on the agenda of the first
    meeting whose cut-off is still to come."""
    made = await series(owner, world, datetime.now(UTC).date())
    target = await owner.fetchrow(
        "SELECT id, cut_off_at FROM meeting WHERE series_id = $1 AND cut_off_at > now() ORDER BY starts_at LIMIT 1",
        made.id,
    )
    at = datetime.now(UTC) - timedelta(minutes=5)
    victim = {**KELLY, "address_withheld": True}
    await screen(owner, world, "HIGH/1", at, victim, CRAIG, grade="high", address_withheld=True, postcode="NF9 9ZZ")
    other = {"role": "victim", "family_name": "Birch", "given_names": "Bea", "date_of_birth": "1990-01-02"}
    await screen(owner, world, "STANDARD/1", at, other, grade="standard", address="1 Example Street")
    third = {"role": "victim", "family_name": "Cedar", "given_names": "Cat", "date_of_birth": "1991-01-02"}
    await screen(owner, world, "MEDIUM/1", at, third, grade="medium")
    # Screened after the cut-off: it waits for a later meeting unless added by hand.
    await screen(owner, world, "LATER/1", target["cut_off_at"] + timedelta(minutes=1), grade="medium")
    return target["id"]


async def test_a_coordinator_sets_up_a_series_and_its_meetings_appear(
    people: factories.Browsers, owner: asyncpg.Connection, world: factories.World
) -> None:
    client = people.use("coordinator")
    bad = await form_post(
        client,
        "/meetings/series/new",
        {
            "name": "",
            "starts_at": "9.30",
            "length_minutes": "60",
            "cut_off": "10:00",
            "publish_at": "08:30",
            "weeks_ahead": "4",
        },
        "/meetings/series/new",
    )
    assert bad.status_code == 400
    assert error_links(bad.text) == ["name", "weekdays"]
    assert await owner.fetchval("SELECT count(*) FROM meeting_series") == 0
    good = await form_post(
        client,
        "/meetings/series/new",
        {
            "name": "Daily pitstop",
            "weekdays": ["1", "2", "3", "4", "5"],
            "starts_at": "09:30",
            "length_minutes": "60",
            "cut_off": "08:00",
            "publish_at": "08:30",
            "place": "MASH room",
            "call_link": "",
            "weeks_ahead": "4",
            "chair_id": str(world.users["north.coordinator"].id),
            "minute_taker_id": "",
        },
        "/meetings/series/new",
    )
    assert good.status_code == 303
    series_id = int(good.headers["location"].split("/")[3].split("?")[0])
    weekdays = await owner.fetch(
        "SELECT DISTINCT extract(isodow FROM occurrence) AS d FROM meeting WHERE series_id = $1", series_id
    )
    assert {int(r["d"]) for r in weekdays} <= {1, 2, 3, 4, 5}
    assert await owner.fetchval("SELECT count(*) FROM meeting WHERE series_id = $1", series_id) >= 15
    listing = await client.get("/meetings")
    assert listing.status_code == 200
    assert "Daily pitstop" in listing.text
    invite = await form_post(
        client,
        f"/meetings/series/{series_id}/invitees",
        {
            "version": "1",
            "agency_id": str(world.agencies["north.police"].id),
            "invitee_name": "Pat Police",
            "invitee_email": "not an address",
        },
        f"/meetings/series/{series_id}",
    )
    assert invite.status_code == 400
    assert error_links(invite.text) == ["invitee_email"]
    # The series page names its invitees: each look is audited.
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'meeting_series_viewed'") >= 2
    # An agency member sees none of these meetings: nothing is published yet.
    member = people.use("agency_member")
    assert "Daily pitstop" not in (await member.get("/meetings")).text


async def test_the_builder_moves_removes_adds_and_publishes_without_javascript(
    people: factories.Browsers, owner: asyncpg.Connection, world: factories.World, meeting: int
) -> None:
    client = people.use("coordinator")
    page = await client.get(f"/meetings/{meeting}/agenda")
    assert page.status_code == 200
    assert agenda_order(page.text) == ["HIGH/1", "MEDIUM/1", "STANDARD/1"]
    # Each notification's page says where it stands.
    ids = {r["police_reference"]: r["id"] for r in await owner.fetch("SELECT id, police_reference FROM notification")}
    assert f'href="/meetings/{meeting}"' in (await client.get(f"/notifications/{ids['HIGH/1']}")).text
    assert "Waiting for the next meeting&#39;s agenda" in (await client.get(f"/notifications/{ids['LATER/1']}")).text
    assert "Address withheld" in page.text
    version = version_of(page.text)
    item_ids = re.findall(r'data-item-id="(\d+)"', page.text)
    moved = await form_post(
        client,
        f"/meetings/{meeting}/agenda/items/{item_ids[2]}/move",
        {"version": version, "direction": "up"},
        f"/meetings/{meeting}/agenda",
    )
    assert moved.status_code == 303
    page = await client.get(f"/meetings/{meeting}/agenda")
    assert agenda_order(page.text) == ["HIGH/1", "STANDARD/1", "MEDIUM/1"]
    # The same stale version again: nothing changes, and the page says why.
    stale = await form_post(
        client,
        f"/meetings/{meeting}/agenda/items/{item_ids[0]}/move",
        {"version": version, "direction": "down"},
        f"/meetings/{meeting}/agenda",
    )
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text
    assert agenda_order(stale.text) == ["HIGH/1", "STANDARD/1", "MEDIUM/1"]
    version = version_of(stale.text)
    no_reason = await form_post(
        client,
        f"/meetings/{meeting}/agenda/items/{item_ids[1]}/off",
        {"version": version, "action": "remove"},
        f"/meetings/{meeting}/agenda",
    )
    assert no_reason.status_code == 400
    assert error_links(no_reason.text) == [f"reason-{item_ids[1]}"]
    removed = await form_post(
        client,
        f"/meetings/{meeting}/agenda/items/{item_ids[1]}/off",
        {"version": version, "action": "remove", f"reason-{item_ids[1]}": "Already known to the allocated worker"},
        f"/meetings/{meeting}/agenda",
    )
    assert removed.status_code == 303
    page = await client.get(f"/meetings/{meeting}/agenda")
    assert agenda_order(page.text) == ["HIGH/1", "STANDARD/1"]
    assert "Already known to the allocated worker" in page.text
    added = await form_post(
        client,
        f"/meetings/{meeting}/agenda/items",
        {"version": version_of(page.text), "police_reference": "later/1"},
        f"/meetings/{meeting}/agenda",
    )
    assert added.status_code == 303
    page = await client.get(f"/meetings/{meeting}/agenda")
    # Kelly Marsh is the victim in both: one item.
    assert agenda_order(page.text) == ["HIGH/1 and LATER/1", "STANDARD/1"]
    published = await form_post(
        client,
        f"/meetings/{meeting}/state",
        {"version": version_of(page.text), "step": "publish"},
        f"/meetings/{meeting}",
    )
    assert published.status_code == 303
    assert await owner.fetchval("SELECT state FROM meeting WHERE id = $1", meeting) == "agenda_published"
    # The police are invited: their member sees the agenda, the withheld address still withheld.
    member = people.use("agency_member")
    shown = await member.get(f"/meetings/{meeting}")
    assert shown.status_code == 200
    assert "HIGH/1" in shown.text
    assert "Address withheld" in shown.text
    assert "Already known to the allocated worker" not in shown.text  # removals are not theirs to see
    assert "Adjust the agenda" not in shown.text
    assert (await member.get(f"/meetings/{meeting}/agenda")).status_code == 403


async def test_drag_and_drop_posts_the_whole_order(
    people: factories.Browsers, world: factories.World, meeting: int
) -> None:
    client = people.use("coordinator")
    page = await client.get(f"/meetings/{meeting}/agenda")
    ids = re.findall(r'data-item-id="(\d+)"', page.text)
    token = factories.csrf_from(page.text)
    reordered = await client.post(
        f"/meetings/{meeting}/agenda/order",
        data={"csrf_token": token, "version": version_of(page.text), "items": list(reversed(ids))},
        headers={"HX-Request": "true"},
    )
    assert reordered.status_code == 200  # the redirect, followed: the redrawn builder
    assert agenda_order(reordered.text) == ["STANDARD/1", "MEDIUM/1", "HIGH/1"]
    missing_one = await client.post(
        f"/meetings/{meeting}/agenda/order",
        data={"csrf_token": token, "version": version_of(reordered.text), "items": ids[:2]},
        headers={"HX-Request": "true"},
    )
    assert missing_one.status_code == 409
    assert agenda_order(missing_one.text) == ["STANDARD/1", "MEDIUM/1", "HIGH/1"]


async def test_attendance_is_recorded_on_its_page(
    people: factories.Browsers, owner: asyncpg.Connection, world: factories.World, meeting: int
) -> None:
    client = people.use("coordinator")
    page = await client.get(f"/meetings/{meeting}")
    await form_post(
        client,
        f"/meetings/{meeting}/state",
        {"version": version_of(page.text), "step": "publish"},
        f"/meetings/{meeting}",
    )
    police = world.agencies["north.police"].id
    form = await client.get(f"/meetings/{meeting}/attendance")
    assert form.status_code == 200
    missing_names = await form_post(
        client,
        f"/meetings/{meeting}/attendance",
        {f"version_{police}": "1", f"status_{police}": "present", f"present_names_{police}": ""},
        f"/meetings/{meeting}/attendance",
    )
    assert missing_names.status_code == 400
    assert error_links(missing_names.text) == [f"present_names_{police}"]
    saved = await form_post(
        client,
        f"/meetings/{meeting}/attendance",
        {
            f"version_{police}": "1",
            f"status_{police}": "present",
            f"present_names_{police}": "DS Pat Police",
            f"information_sent_{police}": "yes",
        },
        f"/meetings/{meeting}/attendance",
    )
    assert saved.status_code == 303
    unsigned = await form_post(
        client, f"/meetings/{meeting}/observers", {"observer_name": "Sam Student"}, f"/meetings/{meeting}/attendance"
    )
    assert error_links(unsigned.text) == ["statement_signed"]
    recorded = await form_post(
        client,
        f"/meetings/{meeting}/observers",
        {"observer_name": "Sam Student", "observer_organisation": "University", "statement_signed": "no"},
        f"/meetings/{meeting}/attendance",
    )
    assert recorded.status_code == 303
    assert "Sam Student, University: confidentiality statement" in (await client.get(f"/meetings/{meeting}")).text
    assert await owner.fetchval("SELECT statement_signed FROM meeting_observer WHERE name = 'Sam Student'") is False
    shown = await client.get(f"/meetings/{meeting}")
    assert "DS Pat Police" in shown.text


async def test_the_api_lists_meetings_and_agendas_with_their_reasons(
    people: factories.Browsers, world: factories.World, meeting: int
) -> None:
    client = people.use("coordinator")
    listed = await client.get("/api/v1/meetings")
    assert listed.status_code == 200
    assert meeting in [m["id"] for m in listed.json()]
    bad = await client.get("/api/v1/meetings", params={"from": "2027-01-10", "to": "2027-01-01"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["query.to"]
    agenda = (await client.get(f"/api/v1/meetings/{meeting}/agenda")).json()
    assert [i["notifications"][0]["police_reference"] for i in agenda["items"]] == ["HIGH/1", "MEDIUM/1", "STANDARD/1"]
    assert agenda["items"][0]["reasons"] == ["grade_high"]
    assert agenda["items"][0]["notifications"][0]["address"] is None
    assert agenda["items"][0]["notifications"][0]["address_withheld"] is True
    assert agenda["items"][0]["notifications"][0]["postcode"] is None  # it would say where the refuge is
    assert "NF9 9ZZ" not in str(agenda)
    member = people.use("agency_member")
    assert (await member.get(f"/api/v1/meetings/{meeting}/agenda")).status_code == 404  # not yet published
    assert (await member.get(f"/api/v1/meetings/{meeting}")).status_code == 404


async def test_an_agency_system_reads_published_agendas_with_a_meetings_read_token(
    client: AsyncTestClient, owner: asyncpg.Connection, world: factories.World, meeting: int
) -> None:
    from pitstop.accounts.models import Scope

    police = await factories.token(owner, world.users["north.agency_member"].id, Scope.MEETINGS_READ)
    coordinators = await factories.token(owner, world.users["north.coordinator"].id, Scope.MEETINGS_READ)
    headers = {"authorization": f"Bearer {police}"}
    assert (await client.get(f"/api/v1/meetings/{meeting}/agenda", headers=headers)).status_code == 404
    # A coordinator's read-only token reads, but never builds: the queue is left to the clock and the builder.
    queued = await owner.fetchval("SELECT count(*) FROM agenda_queue")
    seen = await client.get(f"/api/v1/meetings/{meeting}/agenda", headers={"authorization": f"Bearer {coordinators}"})
    assert seen.status_code == 200
    assert await owner.fetchval("SELECT count(*) FROM agenda_queue") == queued
    await owner.execute("UPDATE meeting SET state = 'agenda_published' WHERE id = $1", meeting)
    await owner.execute(
        "INSERT INTO attendance (partnership_id, meeting_id, agency_id) VALUES ($1, $2, $3)",
        world.partnerships["north"].id,
        meeting,
        world.agencies["north.police"].id,
    )
    assert (await client.get(f"/api/v1/meetings/{meeting}/agenda", headers=headers)).status_code == 200
    listed = await client.get("/api/v1/meetings", headers=headers)
    assert [m["id"] for m in listed.json()] == [meeting]
    # The token reads; it writes nothing.
    assert (await client.get(f"/meetings/{meeting}/agenda", headers=headers)).status_code in (401, 403)


async def test_a_closure_day_added_on_the_calendar_cancels_its_meeting_and_removing_it_brings_it_back(
    people: factories.Browsers, owner: asyncpg.Connection, world: factories.World, meeting: int
) -> None:
    client = people.use("coordinator")
    later = await owner.fetchrow(
        "SELECT id, occurrence FROM meeting WHERE series_id = (SELECT series_id FROM meeting WHERE id = $1) "
        "AND occurrence IS NOT NULL ORDER BY starts_at OFFSET 3 LIMIT 1",
        meeting,
    )
    day = later["occurrence"]
    added = await form_post(
        client,
        "/calendar/closures",
        {"date-day": str(day.day), "date-month": str(day.month), "date-year": str(day.year), "name": "Staff training"},
        "/calendar",
    )
    assert added.status_code == 303
    row = await owner.fetchrow("SELECT state, cancelled_reason FROM meeting WHERE id = $1", later["id"])
    assert row["state"] == "cancelled"
    closure = await owner.fetchval("SELECT id FROM closure_day WHERE day = $1", day)
    removed = await form_post(client, f"/calendar/closures/{closure}/delete", {}, "/calendar")
    assert removed.status_code == 303
    assert await owner.fetchval("SELECT state FROM meeting WHERE id = $1", later["id"]) == "scheduled"
    assert "Scheduled" in (await client.get(f"/meetings/{later['id']}")).text


async def test_a_meeting_and_its_series_download_as_calendar_files_without_case_data(
    people: factories.Browsers, owner: asyncpg.Connection, world: factories.World, meeting: int
) -> None:
    from icalendar import Calendar

    client = people.use("coordinator")
    single = await client.get(f"/meetings/{meeting}/meeting.ics")
    assert single.status_code == 200
    assert single.headers["content-type"].startswith("text/calendar")
    assert single.headers["content-disposition"].startswith("attachment;")
    calendar = Calendar.from_ical(single.content)
    [event] = calendar.walk("VEVENT")
    assert str(calendar["method"]) == "PUBLISH"
    starts = await owner.fetchval("SELECT starts_at FROM meeting WHERE id = $1", meeting)
    assert event.decoded("dtstart") == starts
    whole = await client.get(f"/meetings/{meeting}/series.ics")
    [master] = Calendar.from_ical(whole.content).walk("VEVENT")
    assert str(master["uid"]) == await owner.fetchval("SELECT uid FROM series_invite WHERE until IS NULL")
    for payload in (single.content, whole.content):
        assert b"HIGH/1" not in payload
        assert b"Marsh" not in payload
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'calendar_downloaded'") == 2
    # Not published yet: an agency member cannot have it.
    assert (await people.use("agency_member").get(f"/meetings/{meeting}/meeting.ics")).status_code == 404


async def test_a_coordinator_ends_a_series_with_a_reason_and_its_meetings_to_come_are_cancelled(
    people: factories.Browsers, owner: asyncpg.Connection, world: factories.World
) -> None:
    made = await series(owner, world, datetime.now(UTC).date())
    client = people.use("coordinator")
    path = f"/meetings/series/{made.id}"
    page = await client.get(path)
    assert "End this series" in page.text
    version = version_of(page.text)
    no_reason = await form_post(client, f"{path}/end", {"version": version, "end_reason": "  "}, path)
    assert no_reason.status_code == 400
    assert error_links(no_reason.text) == ["end_reason"]
    assert "Enter why the series is ending" in no_reason.text
    assert await owner.fetchval("SELECT active FROM meeting_series WHERE id = $1", made.id)
    stale = await form_post(client, f"{path}/end", {"version": "1", "end_reason": "Merged"}, path)
    assert stale.status_code == 409
    ended = await form_post(client, f"{path}/end", {"version": version, "end_reason": "Merged with the MASH"}, path)
    assert ended.status_code == 303
    page = await client.get(ended.headers["location"])
    assert "The series has ended" in page.text
    assert "Merged with the MASH" in page.text
    assert "Save the series" not in page.text  # nothing left to change
    assert "Ended" in (await client.get("/meetings/series")).text
    assert not await owner.fetchval(
        "SELECT count(*) FROM meeting WHERE series_id = $1 AND starts_at > now() AND state <> 'cancelled'", made.id
    )

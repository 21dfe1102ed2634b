"""Repeat incidents through the app: the notification page and the queue, a person's page, confirm,
split and merge as a coordinator does them, the JSON API, and the administrator's rule."""

# ruff: noqa: F811 - `north` is a fixture imported from the API tests, and parameters redefine it

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role
from tests import factories
from tests.web.test_notification_pages import error_links, rows
from tests.web.test_notifications_api import BODY, North, north, post  # noqa: F401 - fixture

KELLY = {"role": "victim", "family_name": "Marsh", "given_names": "Kelly Anne", "date_of_birth": "1994-02-03"}
CRAIG = {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig"}  # no date of birth
TYLER = {"role": "child", "family_name": "Marsh", "given_names": "Tyler", "date_of_birth": "2017-05-11"}


def incident(reference: str, days_ago: int, *people: dict[str, Any], **changes: Any) -> dict[str, Any]:
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    made = copy.deepcopy(BODY)
    made.update(police_reference=reference, received_at=at, incident_at=at, previous_incidents_12m=None)
    made["people"] = [copy.deepcopy(p) for p in (people or (KELLY, CRAIG, TYLER))]
    made.update(changes)
    return made


async def send(client: AsyncTestClient, north: North, made: dict[str, Any]) -> int:
    response = await post(client, made, north.feed)
    assert response.status_code in (200, 201), response.text
    return response.json()["notification"]["id"]


async def person_of(owner: asyncpg.Connection, notification_id: int, role: str = "victim") -> int:
    return await owner.fetchval(
        "SELECT person_id FROM notification_person WHERE notification_id = $1 AND role = $2", notification_id, role
    )


async def audit_count(owner: asyncpg.Connection, action: str, record_id: int | None = None) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM audit_event WHERE action = $1 AND ($2::text IS NULL OR record_id = $2)",
        action,
        None if record_id is None else str(record_id),
    )


@pytest.fixture
async def history(client: AsyncTestClient, north: North) -> dict[str, int]:
    """Kelly Marsh: three incidents in 12 months (the last a potential escalation), one long before."""
    return {
        "old": await send(client, north, incident("N/1", 500)),
        "first": await send(client, north, incident("N/2", 200)),
        "second": await send(client, north, incident("N/3", 100)),
        "third": await send(client, north, incident("N/4", 1)),
        "other": await send(client, north, incident("N/5", 0, with_name(KELLY, "Dana"))),
    }


def with_name(person: dict[str, Any], given: str) -> dict[str, Any]:
    return {**person, "given_names": given}


def card(html: str, name: str) -> str:
    """The summary card of a person on the notification page."""
    people = html.split(">People</h2>", 1)[1]
    return people.split(name, 1)[1].split('<div class="govuk-summary-card">', 1)[0]


# ---- the notification page, the queue and the API ------------------------------------------------


async def test_the_notification_shows_repeat_incidents_and_potential_escalation(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.coordinator_email)
    html = (await client.get(f"/notifications/{history['third']}")).text
    kelly = await person_of(owner, history["third"])
    assert 'govuk-tag--pink">Potential escalation</strong>' in html.split(">The incident</h2>", 1)[0]
    banner = html.split('id="potential-escalation"', 1)[1].split("</div>", 1)[0]
    assert "3 or more incidents in 12 months" in banner
    assert f'href="/people/{kelly}">Kelly Anne Marsh</a> (victim): 3 incidents in the 12 months to this one' in banner
    victim = card(html, "Kelly Anne Marsh")
    assert re.search(r"Incidents in the 12 months to this one</dt>\s*<dd[^>]*>\s*3", victim)
    assert f'href="/people/{kelly}">See all their incidents' in victim
    assert "Matched automatically: the same name and date of birth" in victim
    # Without a date of birth, the alleged perpetrator is never matched: this incident only.
    craig = card(html, "Craig Dunmore")
    assert re.search(r"Incidents in the 12 months to this one</dt>\s*<dd[^>]*>\s*1\s*<br>", craig)
    assert "Not matched automatically: no date of birth or no given name" in craig
    # Two in the 12 months to N/3 (N/1 is over a year before it): no escalation there.
    earlier = (await client.get(f"/notifications/{history['second']}")).text
    assert "Potential escalation" not in earlier
    assert re.search(r"Incidents in the 12 months to this one</dt>\s*<dd[^>]*>\s*2", card(earlier, "Kelly Anne Marsh"))


async def test_the_police_count_is_said_to_be_theirs(client: AsyncTestClient, north: North) -> None:
    notification = await send(client, north, incident("P/1", 0, KELLY, previous_incidents_12m=2))
    await factories.sign_in(client, north.coordinator_email)
    html = (await client.get(f"/notifications/{notification}")).text
    banner = html.split('id="potential-escalation"', 1)[1].split("</div>", 1)[0]
    assert "The police recorded 2 previous incidents in the last 12 months: 3 with this one" in banner
    assert "/people/" not in banner


async def test_the_queue_flags_potential_escalation_without_saying_who(
    client: AsyncTestClient, north: North, history: dict[str, int]
) -> None:
    await factories.sign_in(client, north.manager_email)
    html = (await client.get("/notifications")).text
    flagged = {
        re.search(r">(N/\d)</a>", line).group(1): "Potential escalation" in line  # type: ignore[union-attr]
        for line in rows(html)
    }
    assert flagged == {"N/1": False, "N/2": False, "N/3": False, "N/4": True, "N/5": False}
    assert "Marsh" not in html


async def test_the_api_gives_each_persons_id_and_count(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.manager_email)
    found = (await client.get(f"/api/v1/notifications/{history['third']}")).json()
    assert found["potential_escalation"] is True
    assert (found["repeat_threshold"], found["repeat_window_months"]) == (3, 12)
    victim, perpetrator, child = found["people"]
    assert (victim["person_id"], victim["recent_incidents"], victim["link_status"]) == (
        await person_of(owner, history["third"]),
        3,
        "automatic",
    )
    assert (perpetrator["recent_incidents"], perpetrator["matchable"]) == (1, False)
    assert child["recent_incidents"] == 3
    assert "match_key" not in victim
    queue = (await client.get("/api/v1/notifications")).json()
    assert {s["police_reference"]: s["potential_escalation"] for s in queue}["N/4"] is True


# ---- a person's page ------------------------------------------------------------------------------


async def test_a_persons_page_lists_their_incidents_newest_first_with_children_first(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    kelly = await person_of(owner, history["third"])
    await factories.sign_in(client, north.coordinator_email)
    page = await client.get(f"/people/{kelly}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "<title>Kelly Anne Marsh" in html
    assert "3 February 1994" in html
    assert "4 incidents, newest first" in html
    assert re.findall(r'href="/notifications/\d+">(N/\d)</a>', html) == ["N/4", "N/3", "N/2", "N/1"]
    first_card = html.split('id="incident-', 2)[1]
    people = first_card.split("People in this incident", 1)[1]
    assert people.index("Tyler Marsh") < people.index("Kelly Anne Marsh") < people.index("Craig Dunmore")
    assert "<strong>Kelly Anne Marsh</strong> (this person)" in people
    tyler = await person_of(owner, history["third"], "child")
    assert f'href="/people/{tyler}">Tyler Marsh</a>' in people
    assert "Confirm it is this person" in html
    assert "Not this person: split it off" in html
    # Kelly with another first name is a possible match, never linked.
    dana = await person_of(owner, history["other"])
    possible = html.split('id="possible-matches"', 1)[1]
    assert f'href="/people/{dana}">Dana Marsh</a>' in possible
    assert "different first name (twins look like this)" in possible
    assert f'href="/people/{kelly}/merge?other={dana}"' in possible
    await client.get(f"/people/{kelly}")
    assert await audit_count(owner, "person_viewed", kelly) == 2  # one row per view


async def test_a_manager_reads_a_person_but_changes_nothing_and_an_agency_member_cannot(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    kelly = await person_of(owner, history["third"])
    browsers = factories.Browsers(client)
    manager = await browsers.sign_in("manager", north.manager_email)
    html = (await manager.get(f"/people/{kelly}")).text
    assert "Kelly Anne Marsh" in html
    assert "Confirm it is this person" not in html
    assert "/merge" not in html
    member = await browsers.sign_in("member", north.member_email)
    assert (await member.get(f"/people/{kelly}")).status_code == 403
    assert (await member.get(f"/api/v1/people/{kelly}")).status_code == 403
    assert await audit_count(owner, "person_viewed", kelly) == 1


async def test_the_api_gives_a_person_with_their_incidents(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    kelly = await person_of(owner, history["third"])
    await factories.sign_in(client, north.manager_email)
    found = (await client.get(f"/api/v1/people/{kelly}")).json()
    assert (found["id"], found["given_names"], found["date_of_birth"]) == (kelly, "Kelly Anne", "1994-02-03")
    assert [i["police_reference"] for i in found["incidents"]] == ["N/4", "N/3", "N/2", "N/1"]
    first = found["incidents"][0]
    assert first["roles"] == ["victim"]
    assert [p["role"] for p in first["people"]] == ["child", "victim", "alleged_perpetrator"]
    assert "addresses" not in first
    assert await audit_count(owner, "person_viewed", kelly) == 1


# ---- confirm, split, merge ------------------------------------------------------------------------


async def test_a_coordinator_confirms_a_link(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    kelly = await person_of(owner, history["third"])
    await factories.sign_in(client, north.coordinator_email)
    token = await factories.form_token(client, f"/people/{kelly}")
    url = f"/people/{kelly}/incidents/{history['second']}/confirm"
    done = await client.post(url, data={"csrf_token": token, "version": "1"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"/people/{kelly}?done=confirmed")
    html = (await client.get(done.headers["location"])).text
    assert "The link has been confirmed." in html
    confirmed = html.split('id="incident-' + str(history["second"]), 1)[1].split('id="incident-', 1)[0]
    assert "Confirmed by Alex Example on" in confirmed
    assert await audit_count(owner, "person_link_confirmed", kelly) == 1
    notification = (await client.get(f"/notifications/{history['second']}")).text
    assert "Confirmed by Alex Example on" in card(notification, "Kelly Anne Marsh")
    # The same page, sent again: the person changed since (version 2), so nothing is saved.
    stale = await client.post(
        f"/people/{kelly}/incidents/{history['first']}/confirm", data={"csrf_token": token, "version": "1"}
    )
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text
    assert await owner.fetchval(
        "SELECT link_status FROM notification_person WHERE notification_id = $1 AND role = 'victim'", history["first"]
    ) == "automatic"  # fmt: skip


async def test_a_coordinator_splits_an_incident_off(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    kelly = await person_of(owner, history["third"])
    await factories.sign_in(client, north.coordinator_email)
    token = await factories.form_token(client, f"/people/{kelly}")
    url = f"/people/{kelly}/incidents/{history['first']}/split"
    done = await client.post(url, data={"csrf_token": token, "version": "1"}, follow_redirects=False)
    assert done.status_code == 303
    new_id = await person_of(owner, history["first"])
    assert new_id != kelly
    assert done.headers["location"] == f"/people/{kelly}?done=split&to={new_id}"
    html = (await client.get(done.headers["location"])).text
    assert f'href="/people/{new_id}">person {new_id}</a>. It will not be matched to this person again.' in html
    assert re.findall(r'href="/notifications/\d+">(N/\d)</a>', html) == ["N/4", "N/3", "N/1"]
    split_off = (await client.get(f"/people/{new_id}")).text
    assert f'Split off from <a class="govuk-link" href="/people/{kelly}">person {kelly}</a>' in split_off
    assert "Not this person: split it off" not in split_off  # its only incident
    # The next incident with Kelly's name and date of birth goes to Kelly, not to the split-off person.
    later = await send(client, north, incident("N/6", 0))
    assert await person_of(owner, later) == kelly
    assert await audit_count(owner, "person_split", kelly) == 1
    # The only incident cannot be split: said in the error summary, nothing changes.
    token = await factories.form_token(client, f"/people/{new_id}")
    only = await client.post(
        f"/people/{new_id}/incidents/{history['first']}/split", data={"csrf_token": token, "version": "1"}
    )
    assert only.status_code == 400
    assert error_links(only.text) == ["incidents"]
    assert "This is their only incident" in only.text


async def test_a_coordinator_merges_after_seeing_both(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    kelly = await person_of(owner, history["third"])
    dana = await person_of(owner, history["other"])
    await factories.sign_in(client, north.coordinator_email)
    check = await client.get(f"/people/{kelly}/merge?other={dana}")
    assert check.status_code == 200
    html = check.text
    assert f"Person {kelly} (stays)" in html
    assert "Dana Marsh" in html
    assert f"Merge person {dana} into person {kelly}" in html
    assert await audit_count(owner, "person_viewed", dana) == 1  # seeing them is a view
    done = await client.post(
        f"/people/{kelly}/merge",
        data={"csrf_token": factories.csrf_from(html), "other": str(dana), "version": "1", "other_version": "1"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/people/{kelly}?done=merged")
    assert await person_of(owner, history["other"]) == kelly
    page = (await client.get(done.headers["location"])).text
    assert "5 incidents, newest first" in page
    assert f"Person {dana}" in page  # merged into this person
    gone = await client.get(f"/people/{dana}", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, f"/people/{kelly}")
    assert await audit_count(owner, "person_merged", kelly) == 1
    # The same form again: Dana is merged already, so nothing happens.
    again = await client.post(
        f"/people/{kelly}/merge",
        data={"csrf_token": factories.csrf_from(html), "other": str(dana), "version": "2", "other_version": "1"},
    )
    assert again.status_code == 409
    assert await audit_count(owner, "person_merged") == 1


@pytest.mark.parametrize(
    ("other", "message"),
    [
        ("abc", "Enter a person number, like 1234"),
        ("999999", "There is no person with that number"),
        ("{self}", "Enter the number of another person"),
    ],
)
async def test_a_wrong_person_number_is_named_in_the_error_summary(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection, other: str, message: str
) -> None:
    kelly = await person_of(owner, history["third"])
    await factories.sign_in(client, north.coordinator_email)
    page = await client.get(f"/people/{kelly}/merge", params={"other": other.format(self=kelly)})
    assert page.status_code == 400
    assert error_links(page.text) == ["other"]
    assert message in page.text
    assert "(stays)" not in page.text


async def test_another_partnerships_person_is_never_offered_for_a_merge(
    client: AsyncTestClient, north: North, history: dict[str, int], owner: asyncpg.Connection
) -> None:
    south = await factories.partnership(owner, "south")
    theirs = await owner.fetchval(
        """INSERT INTO person (partnership_id, match_key, family_name, auto_match) VALUES ($1, NULL, 'Marsh', false)
           RETURNING id""",
        south.id,
    )
    kelly = await person_of(owner, history["third"])
    await factories.sign_in(client, north.coordinator_email)
    page = await client.get(f"/people/{kelly}/merge", params={"other": str(theirs)})
    assert page.status_code == 400
    assert "There is no person with that number" in page.text
    token = factories.csrf_from(page.text)
    posted = await client.post(
        f"/people/{kelly}/merge", data={"csrf_token": token, "other": str(theirs), "version": "1", "other_version": "1"}
    )
    assert posted.status_code == 400
    assert await owner.fetchval("SELECT merged_into FROM person WHERE id = $1", theirs) is None


# ---- the repeat-incident rule ---------------------------------------------------------------------


@pytest.fixture
async def admin(client: AsyncTestClient, north: North, owner: asyncpg.Connection) -> str:
    agency = await owner.fetchval("SELECT id FROM agency WHERE partnership_id = $1 LIMIT 1", north.partnership_id)
    user = await factories.user(owner, north.partnership_id, agency, Role.ADMIN, email="admin@north.example")
    await factories.sign_in(client, user.email)
    return await factories.form_token(client, "/admin/repeat-incidents")


async def test_an_administrator_sets_the_threshold(
    client: AsyncTestClient, north: North, history: dict[str, int], admin: str, owner: asyncpg.Connection
) -> None:
    page = (await client.get("/admin/repeat-incidents")).text
    assert "Now: 3 or more in 12 months (the default)" in page
    bad = await client.post(
        "/admin/repeat-incidents", data={"csrf_token": admin, "threshold": "1", "window_months": ""}
    )
    assert bad.status_code == 400
    assert error_links(bad.text) == ["threshold", "window_months"]
    done = await client.post(
        "/admin/repeat-incidents",
        data={"csrf_token": admin, "threshold": "4", "window_months": "18", "version": "0"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/admin/repeat-incidents?done=rule")
    assert "Now: 4 or more in 18 months." in (await client.get(done.headers["location"])).text
    assert await audit_count(owner, "repeat_rule_updated") == 1
    stale = await client.post(
        "/admin/repeat-incidents", data={"csrf_token": admin, "threshold": "5", "window_months": "3", "version": "0"}
    )
    assert stale.status_code == 409
    assert "Now: 4 or more in 18 months." in stale.text
    # N/1, 500 days before N/4, is inside 18 months: four, and the threshold of 4 is reached.
    await factories.sign_in(client, north.coordinator_email)
    html = (await client.get(f"/notifications/{history['third']}")).text
    assert "4 or more incidents in 18 months" in html
    assert re.search(r"Incidents in the 18 months to this one</dt>\s*<dd[^>]*>\s*4", card(html, "Kelly Anne Marsh"))

"""The coordinator's notification pages: the queue, a notification, keying one in, screening it."""

# ruff: noqa: F811 - `north` is a fixture imported from the API tests, and parameters redefine it

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from litestar.datastructures import FormMultiDict
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role
from pitstop.notifications import pages
from pitstop.notifications.pages import age
from tests import factories
from tests.web.test_notifications_api import BODY, North, north, post  # noqa: F401 - fixture

LONDON = ZoneInfo("Europe/London")


def body(reference: str, *, grade: str = "high", received: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """The sample notification under another reference, received when asked (now by default)."""
    made = copy.deepcopy(BODY)
    made["police_reference"] = reference
    made["risk"]["grade"] = grade
    made["received_at"] = (received or datetime.now(UTC)).isoformat()
    made.update(changes)
    return made


async def send(client: AsyncTestClient, north: North, made: dict[str, Any]) -> dict[str, Any]:
    response = await post(client, made, north.feed)
    assert response.status_code in (200, 201), response.text
    return response.json()["notification"]


def error_links(html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"', 1)
    assert len(summary) == 2, "no error summary"
    return re.findall(r'<li><a href="#([^"]+)">', summary[1].split("</ul>", 1)[0])


def rows(html: str) -> list[str]:
    """The queue table's body rows."""
    table = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return table.split('<tr class="govuk-table__row">')[1:]


async def count(owner: asyncpg.Connection, table: str) -> int:
    return await owner.fetchval(f"SELECT count(*) FROM {table}")


# ---- the queue ------------------------------------------------------------------------------


@pytest.fixture
async def three(client: AsyncTestClient, north: North, owner: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    """A fresh high, a standard ten days overdue, and a medium already screened."""
    fresh = await send(client, north, body("A/1", grade="high"))
    late = await send(client, north, body("B/2", grade="standard", received=datetime.now(UTC) - timedelta(days=10)))
    done = await send(client, north, body("C/3", grade="medium"))
    await owner.execute("UPDATE notification SET status = 'screened' WHERE id = $1", done["id"])
    await factories.sign_in(client, north.coordinator_email)
    return {"fresh": fresh, "late": late, "done": done}


def number(html: str, label: str) -> int:
    found = re.search(r'<span class="pitstop-counts__number">(\d+)</span> ' + re.escape(label) + "<", html)
    assert found, label
    return int(found.group(1))


async def test_the_queue_counts_orders_most_urgent_first_and_flags_overdue(
    client: AsyncTestClient, three: dict[str, dict[str, Any]], owner: asyncpg.Connection
) -> None:
    page = await client.get("/notifications")
    assert page.status_code == 200
    html = page.text
    assert page.headers["cache-control"] == "no-store"
    assert number(html, "Not screened") == 2
    assert number(html, "Screened") == 1
    assert number(html, "Screen again") == 0
    assert number(html, "Overdue") == 1
    assert (number(html, "High"), number(html, "Medium"), number(html, "Standard")) == (1, 1, 1)
    # Unscreened first, by deadline: the overdue one, then the fresh one; the screened one last.
    lines = rows(html)
    assert [re.search(r">([A-C]/\d)</a>", line).group(1) for line in lines] == ["B/2", "A/1", "C/3"]  # type: ignore[union-attr]
    assert "Overdue" in lines[0]
    assert "working hour" in lines[0]
    assert "Overdue" not in lines[1]
    assert "Overdue" not in lines[2]
    assert 'govuk-tag--red">High' in lines[1]
    assert f'href="/notifications/{three["late"]["id"]}"' in lines[0]
    # No names, no addresses.
    for private in ("Marsh", "Dunmore", "Kelly", "Tyler", "Quillon", "NF8"):
        assert private not in html
    assert 'href="/notifications/new"' in html
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'notifications_listed'") == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=screened", ["C/3"]),
        ("status=received", ["B/2", "A/1"]),
        ("grade=high", ["A/1"]),
        ("grade=standard", ["B/2"]),
        ("overdue=yes", ["B/2"]),
        ("received_from={today}", ["A/1", "C/3"]),
        ("received_to={yesterday}", ["B/2"]),
        ("received_from={today}&grade=medium", ["C/3"]),
    ],
)
async def test_the_queue_filters(
    client: AsyncTestClient, three: dict[str, Any], query: str, expected: list[str]
) -> None:
    today = datetime.now(LONDON).date()
    page = await client.get(
        "/notifications?" + query.format(today=today.isoformat(), yesterday=(today - timedelta(days=1)).isoformat())
    )
    assert page.status_code == 200
    found = [re.search(r">([A-C]/\d)</a>", line) for line in rows(page.text)]
    assert [f.group(1) for f in found if f] == expected


async def test_bad_queue_filters_are_named(client: AsyncTestClient, three: dict[str, Any]) -> None:
    page = await client.get("/notifications?received_from=2026-02-31&status=lost")
    assert page.status_code == 400
    assert page.text.count("<title>Error: ") == 1
    assert error_links(page.text) == ["status", "received_from"]
    assert "A/1" not in page.text


# ---- one notification -----------------------------------------------------------------------


async def test_the_page_shows_facts_children_first_and_never_a_withheld_address(
    client: AsyncTestClient,
    north: North,
    owner: asyncpg.Connection,
) -> None:
    made = body("14/7781/26")
    made["people"][0]["address_withheld"] = True  # the victim is in a refuge
    made["people"][1]["address"] = "7 Larkspur Way"  # the alleged perpetrator's is shown
    made["risk"]["answers"] = {"injury": True, "strangulation": True, "frightened": False}
    created = await send(client, north, made)
    await factories.sign_in(client, north.coordinator_email)
    page = await client.get(f"/notifications/{created['id']}")
    assert page.status_code == 200
    html = page.text
    assert page.headers["cache-control"] == "no-store"
    assert "<title>Notification 14/7781/26" in html
    for fact in (
        "Caller reports partner shouting",
        "12 Quillon Close",
        "NF8 9QX",
        "Has the current incident resulted in injury?",
        "Has the alleged perpetrator ever attempted to strangle",
        "07700 900123",
        "Larchwood Primary School",
        "Withheld (refuge)",
        "7 Larkspur Way",
        "Screen this notification",
    ):
        assert fact in html, fact
    assert "Is the victim very frightened?" not in html  # answered no
    # Children first, then the others in the order the police gave them.
    people = html.split(">People</h2>", 1)[1]
    assert people.index("Tyler Marsh") < people.index("Kelly Anne Marsh") < people.index("Craig Dunmore")
    today = datetime.now(LONDON).date()
    assert f"11 May 2017 (age {age(date(2017, 5, 11), today)})" in html
    assert "Not screened yet." in html
    assert "Version 1: Police system (API)" in html
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'notification_viewed' AND record_id = $1",
            str(created["id"]),
        )
        == 1
    )


async def test_a_manager_reads_it_but_is_not_offered_screening(
    client: AsyncTestClient,
    north: North,
) -> None:
    created = await send(client, north, body("14/7781/26"))
    await factories.sign_in(client, north.manager_email)
    page = await client.get(f"/notifications/{created['id']}")
    assert page.status_code == 200
    assert "Kelly Anne Marsh" in page.text
    assert "/screening" not in page.text
    queue = await client.get("/notifications")
    assert "14/7781/26" in queue.text
    assert 'href="/notifications/new"' not in queue.text


async def test_the_history_names_what_the_police_changed(
    client: AsyncTestClient,
    north: North,
) -> None:
    first = await send(client, north, body("14/7781/26"))
    changed = body("14/7781/26", received=datetime.fromisoformat(first["received_at"]))
    changed["weapons"] = True
    changed["circumstances"] += " A knife was found at the address."
    second = await send(client, north, changed)
    assert second["version"] == 2
    await factories.sign_in(client, north.coordinator_email)
    html = (await client.get(f"/notifications/{first['id']}")).text
    history = html.split('id="versions"', 1)[1]
    assert history.index("Version 2: Police system (API)") < history.index("Version 1: Police system (API)")
    latest = history.split("Version 1:", 1)[0]
    assert re.findall(r"<li>([^<]+)</li>", latest) == ["Circumstances", "Weapons"]
    assert "First received." in history.split("Version 1:", 1)[1]


# ---- keying a notification in ---------------------------------------------------------------


def entry(**changes: str) -> dict[str, str]:
    """The entry form filled in: a victim and a child."""
    form = {
        "police_reference": "NF/2026/0042",
        "crime_reference": "",
        "received_at-day": "25",
        "received_at-month": "11",
        "received_at-year": "2026",
        "received_at-time": "09:15",
        "incident_at-day": "25",
        "incident_at-month": "11",
        "incident_at-year": "2026",
        "incident_at-time": "01:40",
        "address": "3 Rowan Court",
        "postcode": "NF2 4AB",
        "council_area": "Northfield",
        "circumstances": "Neighbour heard screaming.\nOfficers attended.",
        "injuries": "yes",
        "weapons": "no",
        "strangulation": "unknown",
        "alcohol_or_drugs": "yes",
        "arrest_made": "no",
        "no_arrest_reason": "Suspect had left the address",
        "body_worn_video": "BWV-1182\n\nBWV-1183\n",
        "risk_tool": "dash",
        "risk_grade": "medium",
        "risk_yes_count": "9",
        "previous_incidents_12m": "2",
        "victim_pregnant": "no",
        "safe_to_contact": "yes",
        "safe_contact_number": "07700 900456",
        "safe_contact_times": "After 18:00",
        "open_case": "yes",
        "allocated_worker": "Sam Okafor",
        "people-0-role": "victim",
        "people-0-family_name": "Hale",
        "people-0-given_names": "Dana",
        "people-0-dob-day": "3",
        "people-0-dob-month": "2",
        "people-0-dob-year": "1994",
        "people-0-address_withheld": "yes",
        "people-1-role": "child",
        "people-1-family_name": "Hale",
        "people-1-given_names": "Robin",
        "people-1-dob-day": "14",
        "people-1-dob-month": "6",
        "people-1-dob-year": "2019",
        "people-1-school": "Elmfield Infant School",
        "people-1-present": "yes",
        "people-1-witnessed": "no",
        "people-1-injured": "unknown",
        "action": "save",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


@pytest.fixture
async def coordinator(client: AsyncTestClient, north: North) -> str:
    await factories.sign_in(client, north.coordinator_email)
    return await factories.form_token(client, "/notifications/new")


async def test_the_entry_form_starts_with_a_victim_and_now(client: AsyncTestClient, coordinator: str) -> None:
    page = await client.get("/notifications/new")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'<option value="victim" selected>', html)
    assert 'name="people-1-role"' not in html
    now = datetime.now(LONDON)
    assert re.search(
        rf'name="received_at-year" type="text" inputmode="numeric" autocomplete="off"\s+value="{now.year}"', html
    )
    assert 'value="dash" selected' in html
    assert "Remove" not in html  # the only person cannot be removed


async def test_adding_and_removing_people_keeps_what_was_entered_and_saves_nothing(
    client: AsyncTestClient, coordinator: str, owner: asyncpg.Connection
) -> None:
    form = {k: v for k, v in entry(csrf_token=coordinator).items() if not k.startswith("people-1-")}
    added = await client.post("/notifications/new", data={**form, "action": "add-person"})
    assert added.status_code == 200
    html = added.text
    assert 'value="NF/2026/0042"' in html
    assert "Neighbour heard screaming.\nOfficers attended.</textarea>" in html
    assert 'id="people-0-family_name" name="people-0-family_name" type="text" value="Hale"' in html
    assert re.search(
        r'id="people-0-address_withheld" name="people-0-address_withheld" type="checkbox" value="yes" checked', html
    )
    assert 'name="people-1-role"' in html
    assert 'id="person-2"' in html
    assert 'name="people-2-role"' not in html
    assert 'value="remove-person-1"' in html
    assert await count(owner, "notification") == 0

    # Fill the second person in, then remove the first: the second moves up with its details.
    two = {**form, **{k: v for k, v in entry().items() if k.startswith("people-1-")}}
    removed = await client.post("/notifications/new", data={**two, "action": "remove-person-0"})
    assert removed.status_code == 200
    html = removed.text
    assert 'id="people-0-given_names" name="people-0-given_names" type="text" value="Robin"' in html
    assert 'value="Dana"' not in html
    assert 'name="people-1-role"' not in html
    assert 'value="Elmfield Infant School"' in html
    assert await count(owner, "notification") == 0
    assert await count(owner, "audit_event WHERE action LIKE 'notification%'") == 0


async def test_saving_creates_a_keyed_notification_with_everyone(
    client: AsyncTestClient,
    coordinator: str,
    owner: asyncpg.Connection,
    north: North,
) -> None:
    response = await client.post("/notifications/new", data=entry(csrf_token=coordinator), follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    found = re.fullmatch(r"/notifications/(\d+)\?done=created", location)
    assert found
    row = await owner.fetchrow("SELECT * FROM notification WHERE id = $1", int(found.group(1)))
    assert row["source"] == "keyed"
    assert row["police_reference"] == "NF/2026/0042"
    assert row["received_at"] == datetime(2026, 11, 25, 9, 15, tzinfo=UTC)  # GMT in November
    assert row["incident_at"] == datetime(2026, 11, 25, 1, 40, tzinfo=UTC)
    assert row["officer_grade"] == "medium"
    assert row["risk_yes_count"] == 9
    assert (row["injuries"], row["weapons"], row["strangulation"], row["arrest_made"]) == (True, False, None, False)
    assert row["no_arrest_reason"] == "Suspect had left the address"
    assert row["body_worn_video"] == ["BWV-1182", "BWV-1183"]
    assert (row["safe_to_contact"], row["safe_contact_number"]) == (True, "07700 900456")
    assert (row["open_case"], row["allocated_worker"]) == (True, "Sam Okafor")
    people = await owner.fetch(
        "SELECT * FROM notification_person WHERE notification_id = $1 ORDER BY position", row["id"]
    )
    assert [(p["role"], p["given_names"]) for p in people] == [("victim", "Dana"), ("child", "Robin")]
    assert people[0]["address_withheld"] is True
    assert people[0]["address"] is None
    assert people[0]["date_of_birth"] == date(1994, 2, 3)
    assert (people[1]["school"], people[1]["present"], people[1]["witnessed"], people[1]["injured"]) == (
        "Elmfield Infant School",
        True,
        False,
        None,
    )
    coordinator_id = await owner.fetchval("SELECT id FROM app_user WHERE email = $1", north.coordinator_email)
    assert await owner.fetchval("SELECT received_by FROM notification_version") == coordinator_id
    page = await client.get(location)
    assert "The notification has been saved." in page.text
    assert "Version 1: Keyed in" in page.text

    # The same again changes nothing; a change updates it. Never a second notification.
    again = await client.post("/notifications/new", data=entry(csrf_token=coordinator), follow_redirects=False)
    assert again.headers["location"] == location.replace("created", "unchanged")
    changed = await client.post(
        "/notifications/new", data=entry(csrf_token=coordinator, weapons="yes"), follow_redirects=False
    )
    assert changed.headers["location"] == location.replace("created", "updated")
    assert "has been updated" in (await client.get(changed.headers["location"])).text
    assert await count(owner, "notification") == 1


@pytest.mark.parametrize(
    ("changes", "links"),
    [
        ({"police_reference": ""}, ["police_reference"]),
        ({"people-0-dob-day": "31", "people-0-dob-month": "2"}, ["people-0-dob"]),
        ({"people-1-dob-year": "19"}, ["people-1-dob"]),
        ({"people-0-role": "secondary_victim"}, ["people-0-role"]),  # no victim (the service's rule)
        ({"people-0-address": "1 Secret Road"}, ["people-0-address"]),  # and withheld (the service's rule)
        ({"no_arrest_reason": ""}, ["no_arrest_reason"]),
        ({"safe_contact_number": ""}, ["safe_contact_number"]),
        ({"safe_to_contact": "no"}, ["safe_contact_number"]),  # a number for a victim it is not safe to call
        ({"risk_yes_count": "30"}, ["risk_yes_count"]),
        ({"risk_yes_count": "lots", "received_at-time": "25:00"}, ["received_at-time", "risk_yes_count"]),
        (
            {"circumstances": "", "people-1-family_name": "", "risk_grade": ""},
            [
                "circumstances",
                "risk_grade",
                "people-1-family_name",
            ],
        ),
        ({"police_reference": "#1"}, ["police_reference"]),
        ({"received_at-year": "2099"}, ["received_at"]),
    ],
)
async def test_bad_input_links_to_the_field_and_writes_nothing(
    client: AsyncTestClient, coordinator: str, owner: asyncpg.Connection, changes: dict[str, str], links: list[str]
) -> None:
    response = await client.post("/notifications/new", data=entry(csrf_token=coordinator, **changes))
    assert response.status_code == 400
    assert "<title>Error: Key in a notification" in response.text
    assert error_links(response.text) == links
    for link in links:
        assert f'id="{link}"' in response.text  # the link lands on a field
        assert f'id="{link}-error"' in response.text
    assert 'value="Elmfield Infant School"' in response.text  # what was entered is still there
    assert await count(owner, "notification") == 0
    assert await count(owner, "notification_person") == 0


def test_what_only_the_types_refuse_is_a_field_error_too() -> None:
    # A risk tool code the table allows (31 characters) but a notification may not name (30).
    long_code = "t" * 31
    values = pages._read_entry(FormMultiDict(entry(risk_tool=long_code)))
    body, errors = pages._parse_entry(values, {long_code})
    assert body is None
    assert list(errors) == ["risk_tool"]


# ---- screening ------------------------------------------------------------------------------


@pytest.fixture
async def arrived(client: AsyncTestClient, north: North) -> dict[str, Any]:
    created = await send(client, north, body("14/7781/26"))
    await factories.sign_in(client, north.coordinator_email)
    return created


async def manager_id(owner: asyncpg.Connection, north: North) -> int:
    return await owner.fetchval("SELECT id FROM app_user WHERE email = $1", north.manager_email)


async def screening_form(client: AsyncTestClient, notification: dict[str, Any]) -> tuple[str, str]:
    page = await client.get(f"/notifications/{notification['id']}/screening")
    assert page.status_code == 200
    return page.text, factories.csrf_from(page.text)


async def test_the_screening_form_offers_the_officers_grade_and_the_managers(
    client: AsyncTestClient,
    arrived: dict[str, Any],
    owner: asyncpg.Connection,
    north: North,
) -> None:
    html, _ = await screening_form(client, arrived)
    assert re.search(r'id="grade" name="grade" type="radio" value="high" checked', html)
    assert f'<option value="{await manager_id(owner, north)}">' in html
    assert "The allocated worker" not in html  # not an open case
    assert 'name="delay_reason"' not in html  # not late
    assert 'data-aria-controls="conditional-consent-3"' in html
    assert "Would prejudice the child&#39;s safety" in html


async def test_screening_errors_link_to_the_fields_and_nothing_is_saved(
    client: AsyncTestClient, arrived: dict[str, Any], owner: asyncpg.Connection
) -> None:
    _, token = await screening_form(client, arrived)
    url = f"/notifications/{arrived['id']}/screening"
    empty = await client.post(url, data={"csrf_token": token, "version": "1", "grade": ""})
    assert empty.status_code == 400
    assert error_links(empty.text) == ["grade", "consent", "route"]
    override = await client.post(
        url,
        data={"csrf_token": token, "version": "1", "grade": "medium", "consent": "not_sought", "route": "agenda"},
    )
    assert override.status_code == 400
    assert "<title>Error: " in override.text
    assert error_links(override.text) == [
        "grade_rationale",
        "not_sought-consent_reason",
        "not_sought-consent_rationale",
        "not_sought-authorised_by",
    ]
    assert re.search(r'id="consent-3" name="consent" type="radio" value="not_sought" checked', override.text)
    assert await count(owner, "screening") == 0
    assert await owner.fetchval("SELECT status FROM notification") == "received"


async def test_a_coordinator_screens_it_and_the_page_shows_the_screening(
    client: AsyncTestClient,
    arrived: dict[str, Any],
    owner: asyncpg.Connection,
    north: North,
) -> None:
    _, token = await screening_form(client, arrived)
    manager = await manager_id(owner, north)
    response = await client.post(
        f"/notifications/{arrived['id']}/screening",
        data={
            "csrf_token": token,
            "version": "1",
            "grade": "high",
            "consent": "not_sought",
            "not_sought-consent_reason": "unsafe_to_ask",
            "not_sought-consent_rationale": "Perpetrator lives at the address; a call could alert him.",
            "not_sought-authorised_by": str(manager),
            "refused-consent_rationale": "typed under the other option, then changed my mind",
            "victim_aware": "no",
            "route": "agenda",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/notifications/{arrived['id']}?done=screened"
    saved = await owner.fetchrow("SELECT * FROM screening")
    assert (saved["consent"], saved["consent_reason"], saved["authorised_by"]) == (
        "not_sought",
        "unsafe_to_ask",
        manager,
    )
    assert saved["consent_rationale"].startswith("Perpetrator lives")
    assert saved["victim_aware"] is False
    page = (await client.get(response.headers["location"])).text
    assert "The notification has been screened." in page
    screened = page.split('id="screening"', 1)[1].split('id="versions"', 1)[0]
    for shown in (
        "In force",
        "Not sought",
        "Unsafe to ask",
        "Perpetrator lives at the address",
        "The meeting&#39;s agenda",
    ):
        assert shown in screened, shown
    manager_name = await owner.fetchval("SELECT name FROM app_user WHERE id = $1", manager)
    assert manager_name in screened
    assert "Screen again" in page
    queue = (await client.get("/notifications")).text
    assert ">Screened</strong>" in rows(queue)[0]


async def test_a_police_update_while_screening_is_a_409_with_the_new_version(
    client: AsyncTestClient,
    arrived: dict[str, Any],
    owner: asyncpg.Connection,
    north: North,
) -> None:
    _, token = await screening_form(client, arrived)  # version 1 on the form
    changed = body("14/7781/26", received=datetime.fromisoformat(arrived["received_at"]), weapons=True)
    await send(client, north, changed)
    response = await client.post(
        f"/notifications/{arrived['id']}/screening",
        data={"csrf_token": token, "version": "1", "grade": "high", "consent": "given", "route": "agenda"},
    )
    assert response.status_code == 409
    html = response.text
    assert (
        "The police updated this notification while you were screening it: check the changes, then screen it again"
        in html
    )
    assert "What changed: Weapons." in html
    assert '<input type="hidden" name="version" value="2">' in html
    assert re.search(r'name="consent" type="radio" value="given" checked', html)  # what they chose is kept
    assert await count(owner, "screening") == 0
    again = await client.post(
        f"/notifications/{arrived['id']}/screening",
        data={"csrf_token": token, "version": "2", "grade": "high", "consent": "given", "route": "agenda"},
        follow_redirects=False,
    )
    assert again.status_code == 303


async def test_a_late_screening_asks_why_and_records_it(
    client: AsyncTestClient, arrived: dict[str, Any], owner: asyncpg.Connection
) -> None:
    await owner.execute("UPDATE notification SET screening_due_at = now() - interval '2 days'")
    html, token = await screening_form(client, arrived)
    assert "Why was it screened after its deadline?" in html
    assert "Overdue" in html
    form = {"csrf_token": token, "version": "1", "grade": "high", "consent": "given", "route": "agenda"}
    missing = await client.post(f"/notifications/{arrived['id']}/screening", data=form)
    assert error_links(missing.text) == ["delay_reason"]
    late = await client.post(
        f"/notifications/{arrived['id']}/screening",
        data={**form, "delay_reason": "Waiting for the officer's DASH answers"},
        follow_redirects=False,
    )
    assert late.status_code == 303
    page = (await client.get(late.headers["location"])).text
    assert "Screened late" in page
    assert "Waiting for the officer&#39;s DASH answers" in page


# ---- who may use the pages ------------------------------------------------------------------


async def test_an_agency_member_gets_403_on_every_page(
    client: AsyncTestClient,
    north: North,
) -> None:
    created = await send(client, north, body("14/7781/26"))
    await factories.sign_in(client, north.member_email)
    token = await factories.form_token(client)
    paths = ["/notifications", "/notifications/new", f"/notifications/{created['id']}"]
    paths.append(f"/notifications/{created['id']}/screening")
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Marsh" not in response.text
        assert "14/7781/26" not in response.text
    for path in ("/notifications/new", f"/notifications/{created['id']}/screening"):
        response = await client.post(path, data={"csrf_token": token, **entry()})
        assert response.status_code == 403, path


async def test_a_manager_may_not_key_in_or_screen(
    client: AsyncTestClient,
    north: North,
    owner: asyncpg.Connection,
) -> None:
    created = await send(client, north, body("14/7781/26"))
    await factories.sign_in(client, north.manager_email)
    token = await factories.form_token(client)
    assert (await client.get("/notifications/new")).status_code == 403
    assert (await client.get(f"/notifications/{created['id']}/screening")).status_code == 403
    response = await client.post("/notifications/new", data=entry(csrf_token=token, police_reference="X/1"))
    assert response.status_code == 403
    assert await count(owner, "notification") == 1


async def test_another_partnerships_notification_is_404(
    client: AsyncTestClient,
    north: North,
    owner: asyncpg.Connection,
) -> None:
    ours = await send(client, north, body("14/7781/26"))
    south = await factories.partnership(owner, "south")
    police = await factories.agency(owner, south.id, "South Police")
    coordinator = await factories.user(owner, south.id, police.id, Role.COORDINATOR, email="c@south.example")
    await factories.sign_in(client, coordinator.email)
    token = await factories.form_token(client)
    for path in (f"/notifications/{ours['id']}", f"/notifications/{ours['id']}/screening", "/notifications/999999"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Marsh" not in response.text
    for data in ({}, {"version": "1", "grade": "high", "consent": "given", "route": "agenda"}):
        response = await client.post(f"/notifications/{ours['id']}/screening", data={"csrf_token": token, **data})
        assert response.status_code == 404
    assert "14/7781/26" not in (await client.get("/notifications")).text
    assert await count(owner, "screening") == 0
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'notification_viewed'") == 0

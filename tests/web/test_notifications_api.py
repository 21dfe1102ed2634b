"""POST and GET /api/v1/notifications: intake without duplicates or loss, and who may see it."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role, Scope
from pitstop.audit.service import Origin
from pitstop.db.pool import connect
from pitstop.notifications import service
from pitstop.notifications.models import NotificationIn, Outcome, Source
from tests import factories
from tests.conftest import TestDatabase

# Invented, like everything in the samples: Northfield, postcodes NF.
BODY: dict[str, Any] = {
    "police_reference": "14/7781/26",
    "received_at": "2026-11-24T02:10:00Z",
    "incident_at": "2026-11-24T01:35:00Z",
    "address": "12 Quillon Close",
    "postcode": "NF8 9QX",
    "council_area": "Northfield",
    "circumstances": "Caller reports partner shouting and throwing items; two children in the house.",
    "injuries": True,
    "weapons": False,
    "strangulation": True,
    "alcohol_or_drugs": True,
    "arrest_made": True,
    "risk": {"tool": "dash", "grade": "high", "answers": {"injury": True, "strangulation": True}, "yes_count": 15},
    "previous_incidents_12m": 3,
    "safe_contact": {"safe": True, "number": "07700 900123", "times": "10:00-14:00"},
    "people": [
        {"role": "victim", "family_name": "Marsh", "given_names": "Kelly Anne", "date_of_birth": "1994-02-03"},
        {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig"},
        {
            "role": "child",
            "family_name": "Marsh",
            "given_names": "Tyler",
            "date_of_birth": "2017-05-11",
            "school": "Larchwood Primary School",
            "present": True,
            "witnessed": True,
        },
    ],
}


class North(msgspec.Struct):
    partnership_id: int
    feed: dict[str, str]  # the police system's headers (API token)
    coordinator_email: str
    manager_email: str
    member_email: str


@pytest.fixture
async def north(owner: asyncpg.Connection) -> North:
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police")
    social_care = await factories.agency(owner, p.id, "North Social Care", "childrens_social_care")
    feed_user = await factories.user(owner, p.id, police.id, Role.COORDINATOR, email="feed@north.example")
    secret = await factories.token(owner, feed_user.id, Scope.NOTIFICATIONS_WRITE)
    coordinator = await factories.user(owner, p.id, social_care.id, Role.COORDINATOR, email="coord@north.example")
    manager = await factories.user(owner, p.id, social_care.id, Role.MANAGER, email="manager@north.example")
    member = await factories.user(owner, p.id, police.id, Role.AGENCY_MEMBER, email="member@north.example")
    return North(
        partnership_id=p.id,
        feed={"authorization": f"Bearer {secret}"},
        coordinator_email=coordinator.email,
        manager_email=manager.email,
        member_email=member.email,
    )


async def post(client: AsyncTestClient, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await client.post("/api/v1/notifications", json=body, headers=headers)


async def test_a_new_notification_is_created_with_its_people(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    response = await post(client, BODY, north.feed)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "created"
    notification = body["notification"]
    assert notification["police_reference"] == "14/7781/26"
    assert notification["officer_grade"] == "high"
    assert notification["status"] == "received"
    assert notification["screening_due_at"] is not None
    stored = await owner.fetchrow("SELECT source, risk_yes_count FROM notification WHERE id = $1", notification["id"])
    assert stored["source"] == "api"
    assert stored["risk_yes_count"] == 15
    roles = await owner.fetch(
        "SELECT role FROM notification_person WHERE notification_id = $1 ORDER BY position", notification["id"]
    )
    assert [r["role"] for r in roles] == ["victim", "alleged_perpetrator", "child"]
    assert await owner.fetchval("SELECT count(*) FROM notification_version") == 1
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'notification_received' AND record_id = $1",
            str(notification["id"]),
        )
        == 1
    )


async def test_the_same_body_again_changes_nothing(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    first = await post(client, BODY, north.feed)
    again = await post(client, BODY, north.feed)
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert again.json()["notification"]["id"] == first.json()["notification"]["id"]
    assert again.json()["notification"]["version"] == 1
    assert await owner.fetchval("SELECT count(*) FROM notification") == 1
    assert await owner.fetchval("SELECT count(*) FROM notification_version") == 1


async def test_a_changed_body_updates_keeps_history_and_sends_it_back_for_screening(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    first = (await post(client, BODY, north.feed)).json()["notification"]
    # Screened meanwhile (the screening form comes with the next change; its effect is a status).
    await owner.execute("UPDATE notification SET status = 'screened' WHERE id = $1", first["id"])
    changed = copy.deepcopy(BODY)
    changed["risk"]["yes_count"] = 17
    changed["people"].append({"role": "child", "family_name": "Dunmore", "given_names": "Isla"})
    response = await post(client, changed, north.feed)
    assert response.status_code == 200
    assert response.json()["outcome"] == "updated"
    updated = response.json()["notification"]
    assert updated["id"] == first["id"]
    assert updated["version"] == 2
    assert updated["status"] == "rescreen"
    assert await owner.fetchval("SELECT risk_yes_count FROM notification WHERE id = $1", first["id"]) == 17
    assert await owner.fetchval("SELECT count(*) FROM notification_person WHERE notification_id = $1", first["id"]) == 4
    versions = await owner.fetch(
        "SELECT version, body FROM notification_version WHERE notification_id = $1 ORDER BY version", first["id"]
    )
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["body"]["risk"]["yes_count"] == 15  # the earlier version is kept whole
    assert versions[1]["body"]["risk"]["yes_count"] == 17
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'notification_updated'") == 1


async def test_an_unscreened_notification_changed_stays_waiting(client: AsyncTestClient, north: North) -> None:
    await post(client, BODY, north.feed)
    changed = copy.deepcopy(BODY)
    changed["circumstances"] += " Victim later disclosed an earlier assault."
    response = await post(client, changed, north.feed)
    assert response.json()["notification"]["status"] == "received"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("police_reference"), "body.police_reference"),
        (lambda b: b.update(police_reference=""), "body.police_reference"),
        (lambda b: b["risk"].update(grade="severe"), "body.risk.grade"),
        (lambda b: b["people"][0].update(date_of_birth="03/02/1994"), "body.people[0].date_of_birth"),
        (lambda b: b["people"][1].update(role="suspect"), "body.people[1].role"),
        (lambda b: b.update(people=[]), "body.people"),
        (lambda b: b.update(people=[{"role": "child", "family_name": "Marsh"}]), "body.people"),
        (lambda b: b["risk"].update(tool="oasys"), "body.risk.tool"),
        (lambda b: b["risk"].update(answers={"favourite_colour": True}), "body.risk.answers"),
        (lambda b: b["people"][0].update(address="1 Secret Road", address_withheld=True), "body.people[0].address"),
        (lambda b: b.update(arrest_made=False), "body.no_arrest_reason"),
        (lambda b: b.update(surprise="field"), "body"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection, change: Any, field: str
) -> None:
    body = copy.deepcopy(BODY)
    change(body)
    response = await post(client, body, north.feed)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f == field or f.startswith(field) for f in fields), fields
    assert await owner.fetchval("SELECT count(*) FROM notification") == 0
    assert await owner.fetchval("SELECT count(*) FROM notification_person") == 0


async def test_fifty_concurrent_posts_of_one_reference_make_one_notification(
    database: TestDatabase, north: North, owner: asyncpg.Connection
) -> None:
    # Fifty sessions racing, each in its own transaction, as fifty requests would.
    body = msgspec.convert(BODY, NotificationIn)
    connections = [await connect(database.app_url) for _ in range(50)]

    async def one(conn: asyncpg.Connection) -> Outcome:
        async with conn.transaction():
            received = await service.receive(
                conn,
                actor=None,
                partnership_id=north.partnership_id,
                body=body,
                source=Source.API,
                origin=Origin(),
            )
            return received.outcome

    try:
        outcomes = await asyncio.gather(*(one(c) for c in connections))
    finally:
        for conn in connections:
            await conn.close()
    assert sorted(outcomes).count(Outcome.CREATED) == 1
    assert outcomes.count(Outcome.UNCHANGED) == 49
    assert await owner.fetchval("SELECT count(*) FROM notification") == 1
    assert await owner.fetchval("SELECT count(*) FROM notification_person") == 3
    assert await owner.fetchval("SELECT count(*) FROM notification_version") == 1


async def test_a_notification_belongs_to_the_partnership_of_whoever_sent_it(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    south = await factories.partnership(owner, "south")
    south_police = await factories.agency(owner, south.id, "South Police")
    south_feed = await factories.user(owner, south.id, south_police.id, Role.COORDINATOR, email="feed@south.example")
    south_secret = await factories.token(owner, south_feed.id, Scope.NOTIFICATIONS_WRITE)
    ours = (await post(client, BODY, north.feed)).json()["notification"]
    # The same reference from another force's partnership is another notification.
    theirs = await post(client, BODY, {"authorization": f"Bearer {south_secret}"})
    assert theirs.status_code == 201
    assert theirs.json()["notification"]["id"] != ours["id"]
    # And neither side can read the other's.
    await factories.sign_in(client, north.coordinator_email)
    assert (await client.get(f"/api/v1/notifications/{theirs.json()['notification']['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/notifications/{ours['id']}")).status_code == 200


async def test_only_coordinators_and_managers_see_notifications_before_the_agenda(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    created = (await post(client, BODY, north.feed)).json()["notification"]
    people = factories.Browsers(client)
    for who, email, allowed in (
        ("coordinator", north.coordinator_email, True),
        ("manager", north.manager_email, True),
        ("member", north.member_email, False),
    ):
        browser = await people.sign_in(who, email)
        listing = await browser.get("/api/v1/notifications")
        single = await browser.get(f"/api/v1/notifications/{created['id']}")
        if allowed:
            assert listing.status_code == 200
            assert [n["police_reference"] for n in listing.json()] == ["14/7781/26"]
            assert "Marsh" not in listing.text  # the queue carries no names
            assert single.json()["people"][0]["family_name"] == "Marsh"
        else:
            assert listing.status_code == 403
            assert single.status_code == 403
    views = await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'notification_viewed'")
    assert views == 2


async def test_a_feed_token_may_post_but_not_read_the_queue(client: AsyncTestClient, north: North) -> None:
    assert (await post(client, BODY, north.feed)).status_code == 201
    assert (await client.get("/api/v1/notifications", headers=north.feed)).status_code == 403


async def test_a_coordinator_may_post_with_a_session_and_csrf(client: AsyncTestClient, north: North) -> None:
    await factories.sign_in(client, north.coordinator_email)
    without = await client.post("/api/v1/notifications", json=BODY)
    assert without.status_code == 403  # cookie-authenticated API writes need the CSRF header
    token = await factories.form_token(client)
    with_token = await client.post("/api/v1/notifications", json=BODY, headers={"X-CSRF-Token": token})
    assert with_token.status_code == 201
    created = await client.get(f"/api/v1/notifications/{with_token.json()['notification']['id']}")
    assert created.json()["source"] == "api"


async def test_the_queue_flags_what_is_past_its_deadline(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    late = (await post(client, BODY, north.feed)).json()["notification"]  # received two days ago
    fresh = copy.deepcopy(BODY)
    fresh["police_reference"] = "14/7800/26"
    fresh["received_at"] = datetime.now(UTC).isoformat()
    await post(client, fresh, north.feed)
    await factories.sign_in(client, north.coordinator_email)
    queue = {n["police_reference"]: n for n in (await client.get("/api/v1/notifications")).json()}
    assert queue[late["police_reference"]]["overdue"] is True
    assert queue["14/7800/26"]["overdue"] is False
    only_late = (await client.get("/api/v1/notifications", params={"overdue": "true"})).json()
    assert [n["police_reference"] for n in only_late] == [late["police_reference"]]
    # Screened, it is no longer late for screening.
    await owner.execute("UPDATE notification SET status = 'screened' WHERE id = $1", late["id"])
    queue = {n["police_reference"]: n for n in (await client.get("/api/v1/notifications")).json()}
    assert queue[late["police_reference"]]["overdue"] is False

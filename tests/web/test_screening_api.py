"""Screening rules: grades, consent overrides, routes, lateness, and police updates meanwhile."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role
from tests import factories
from tests.web.test_notifications_api import BODY, North, north, post  # noqa: F401 - fixture

GIVEN = {"grade": "high", "consent": "given", "route": "agenda", "victim_aware": True}


def just_now(body: dict[str, Any]) -> dict[str, Any]:
    """The sample notification, received a moment ago (so not yet late for screening)."""
    fresh = copy.deepcopy(body)
    fresh["received_at"] = datetime.now(UTC).isoformat()
    return fresh


@pytest.fixture
async def arrived(client: AsyncTestClient, north: North) -> dict[str, Any]:  # noqa: F811
    created = (await post(client, just_now(BODY), north.feed)).json()["notification"]
    await factories.sign_in(client, north.coordinator_email)
    return created


async def screen(client: AsyncTestClient, notification: dict[str, Any], **form: Any) -> Any:
    token = await factories.form_token(client)
    body = {"version": notification["version"], **GIVEN, **form}
    return await client.post(
        f"/api/v1/notifications/{notification['id']}/screening", json=body, headers={"X-CSRF-Token": token}
    )


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def test_a_coordinator_screens_it_onto_the_agenda(
    client: AsyncTestClient, arrived: dict[str, Any], owner: asyncpg.Connection
) -> None:
    response = await screen(client, arrived)
    assert response.status_code == 201, response.text
    assert response.json()["route"] == "agenda"
    assert await owner.fetchval("SELECT status FROM notification WHERE id = $1", arrived["id"]) == "screened"
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'notification_screened'") == 1


async def test_a_grade_may_be_raised_freely_but_lowered_only_with_a_rationale(
    client: AsyncTestClient, arrived: dict[str, Any], owner: asyncpg.Connection
) -> None:
    lowered = await screen(client, arrived, grade="medium")
    assert lowered.status_code == 422
    assert fields(lowered) == ["body.grade_rationale"]
    assert await owner.fetchval("SELECT count(*) FROM screening") == 0
    explained = await screen(client, arrived, grade="medium", grade_rationale="Injuries minor; perpetrator in custody")
    assert explained.status_code == 201


async def test_sharing_without_consent_needs_a_reason_a_rationale_and_a_manager(
    client: AsyncTestClient,
    arrived: dict[str, Any],
    owner: asyncpg.Connection,
    north: North,  # noqa: F811
) -> None:
    bare = await screen(client, arrived, consent="not_sought")
    assert bare.status_code == 422
    assert sorted(fields(bare)) == ["body.authorised_by", "body.consent_rationale", "body.consent_reason"]
    member_id = await owner.fetchval("SELECT id FROM app_user WHERE email = $1", north.member_email)
    not_a_manager = await screen(
        client,
        arrived,
        consent="not_sought",
        consent_reason="unsafe_to_ask",
        consent_rationale="Perpetrator lives at the address; a call could alert him.",
        authorised_by=member_id,
    )
    assert fields(not_a_manager) == ["body.authorised_by"]
    manager_id = await owner.fetchval("SELECT id FROM app_user WHERE email = $1", north.manager_email)
    authorised = await screen(
        client,
        arrived,
        consent="not_sought",
        consent_reason="unsafe_to_ask",
        consent_rationale="Perpetrator lives at the address; a call could alert him.",
        authorised_by=manager_id,
    )
    assert authorised.status_code == 201
    assert authorised.json()["authorised_by"] == manager_id


async def test_no_further_action_needs_a_rationale_and_only_open_cases_go_to_the_worker(
    client: AsyncTestClient, arrived: dict[str, Any]
) -> None:
    assert fields(await screen(client, arrived, route="no_further_action")) == ["body.route_rationale"]
    assert fields(await screen(client, arrived, route="allocated_worker")) == ["body.route"]


async def test_screening_after_the_deadline_records_why(
    client: AsyncTestClient, arrived: dict[str, Any], owner: asyncpg.Connection
) -> None:
    await owner.execute("UPDATE notification SET screening_due_at = now() - interval '1 hour'")
    assert fields(await screen(client, arrived)) == ["body.delay_reason"]
    late = await screen(client, arrived, delay_reason="Waiting for the officer's DASH answers")
    assert late.status_code == 201
    assert late.json()["delay_reason"] == "Waiting for the officer's DASH answers"


async def test_a_police_update_since_opening_is_a_conflict_and_after_screening_means_rescreening(
    client: AsyncTestClient,
    arrived: dict[str, Any],
    owner: asyncpg.Connection,
    north: North,  # noqa: F811
) -> None:
    assert (await screen(client, arrived)).status_code == 201
    changed = copy.deepcopy(BODY)
    changed["received_at"] = arrived["received_at"]
    changed["circumstances"] += " A knife was found at the address."
    changed["weapons"] = True
    updated = (await post(client, changed, north.feed)).json()["notification"]
    assert updated["status"] == "rescreen"
    assert updated["version"] == 2
    # Screening against what the coordinator saw before the update is refused, with what is there now.
    stale = await screen(client, arrived)
    assert stale.status_code == 409
    assert stale.json()["current"]["weapons"] is True
    again = await screen(client, updated)
    assert again.status_code == 201
    assert again.json()["notification_version"] == 2
    assert await owner.fetchval("SELECT count(*) FROM screening WHERE notification_id = $1", arrived["id"]) == 2
    assert await owner.fetchval("SELECT status FROM notification WHERE id = $1", arrived["id"]) == "screened"


@pytest.mark.parametrize("role_email", ["manager_email", "member_email"])
async def test_only_coordinators_screen(
    client: AsyncTestClient,
    north: North,  # noqa: F811 - the fixture, imported above
    role_email: str,
) -> None:
    created = (await post(client, BODY, north.feed)).json()["notification"]
    await factories.sign_in(client, getattr(north, role_email))
    assert (await screen(client, created)).status_code == 403


async def test_another_partnerships_notification_cannot_be_screened(
    client: AsyncTestClient, arrived: dict[str, Any], owner: asyncpg.Connection
) -> None:
    south = await factories.partnership(owner, "south")
    police = await factories.agency(owner, south.id, "South Police")
    coordinator = await factories.user(owner, south.id, police.id, Role.COORDINATOR, email="c@south.example")
    client.cookies.clear()
    await factories.sign_in(client, coordinator.email)
    assert (await screen(client, arrived)).status_code == 404

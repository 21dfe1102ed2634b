"""Actions through the app: agreed on an item's page (field errors in the summary), listed and closed by
the owning agency, hidden from others (404), overdue flagged, back on the next meeting's page for review,
and read by an agency's own system with an `actions:read` token."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Scope
from pitstop.meetings.schedule import LONDON
from tests import factories
from tests.integration.test_actions import agree
from tests.integration.test_agency_information import published_meeting
from tests.integration.test_decisions import start
from tests.web.test_notification_pages import error_links


async def test_an_action_is_agreed_on_the_item_page_and_closed_by_its_owner(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    await start(owner, m)
    item = f"/meetings/{m.id}/items/{m.items[0]}"
    await factories.sign_in(client, m.coordinator.email)
    page = await client.get(item)
    token = factories.csrf_from(page.text)
    due = (m.starts_at + timedelta(days=3)).astimezone(LONDON)
    form = {
        "csrf_token": token,
        "description": "",
        "owner_agency_id": str(m.agencies["health"]),
        "due-day": str(due.day),
        "due-month": str(due.month),
        "due-year": str(due.year),
        "due-time": "16:00",
    }
    naive = await client.post(
        f"/api/v1/meetings/{m.id}/items/{m.items[0]}/actions",
        json={"description": "x", "owner_agency_id": m.agencies["health"], "due_at": "2030-01-01T10:00:00"},
        headers={"X-CSRF-Token": token},
    )
    assert naive.status_code == 422  # a time without its offset is ambiguous
    assert [e["field"] for e in naive.json()["errors"]] == ["body.due_at"]
    early = await client.post(f"{item}/actions", data={**form, "description": "Too early", "due-year": "2020"})
    assert error_links(early.text) == ["due"]  # the service's due_at is the page's date input
    missing = await client.post(f"{item}/actions", data=form)
    assert missing.status_code == 400
    assert error_links(missing.text) == ["description"]
    added = await client.post(f"{item}/actions", data={**form, "description": "Health visitor to visit"})
    assert added.status_code == 200
    assert "The action has been added." in added.text
    assert "Health visitor to visit" in added.text
    action_id = await owner.fetchval("SELECT id FROM action")
    # Shown on the item page: an action names a case, so its view is audited.
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'action_viewed' AND record_id = $1", str(action_id)
        )
        == 1
    )

    # The owning agency lists it and closes it; another agency gets 404.
    await factories.sign_in(client, m.police.email)
    assert (await client.get(f"/actions/{action_id}")).status_code == 404
    assert "Health visitor to visit" not in (await client.get("/actions")).text
    await factories.sign_in(client, m.health.email)
    listed = await client.get("/actions")
    assert "Health visitor to visit" in listed.text
    page = await client.get(f"/actions/{action_id}")
    refused = await client.post(
        f"/actions/{action_id}/status",
        data={"csrf_token": factories.csrf_from(page.text), "status": "not_possible", "note": "", "version": "1"},
    )
    assert refused.status_code == 400
    assert error_links(refused.text) == ["note"]
    closed = await client.post(
        f"/actions/{action_id}/status",
        data={"csrf_token": factories.csrf_from(page.text), "status": "done", "note": "Visited.", "version": "1"},
    )
    assert closed.status_code == 200
    assert "The action has been updated." in closed.text
    assert "Done" in closed.text
    assert "Reassign" not in closed.text  # a coordinator's


async def test_overdue_actions_are_flagged_reviewed_and_read_by_an_agency_system(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    await start(owner, m)
    late = await agree(owner, m, "health", description="Chase the midwife")
    await owner.execute("UPDATE action SET due_at = now() - interval '2 hours' WHERE id = $1", late.id)
    await agree(owner, m, "care", description="Strategy discussion")
    await factories.sign_in(client, m.coordinator.email)
    overdue = await client.get("/actions", params={"showing": "overdue"})
    assert "Chase the midwife" in overdue.text
    assert "Strategy discussion" not in overdue.text
    assert "1 overdue" in overdue.text
    following = await owner.fetchval(
        "SELECT id FROM meeting WHERE starts_at > (SELECT starts_at FROM meeting WHERE id = $1) "
        "AND state <> 'cancelled' ORDER BY starts_at LIMIT 1",
        m.id,
    )
    review = await client.get(f"/meetings/{following}")
    assert "Review of actions" in review.text
    assert "Chase the midwife" in review.text
    assert "Overdue" in review.text
    assert "agreed for North Health" in review.text  # with its history

    secret = await factories.token(owner, m.health.user_id, Scope.ACTIONS_READ)
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {secret}"}
    read = await client.get("/api/v1/actions", headers=headers)
    assert read.status_code == 200
    assert [a["description"] for a in read.json()] == ["Chase the midwife"]
    assert read.json()[0]["overdue"] is True
    made = await client.post(
        f"/api/v1/meetings/{m.id}/items/{m.items[0]}/actions",
        json={"description": "x", "owner_agency_id": m.agencies["health"], "due_at": "2030-01-01T00:00:00Z"},
        headers=headers,
    )
    assert made.status_code == 403

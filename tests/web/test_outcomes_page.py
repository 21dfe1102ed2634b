"""The partnership's decision outcomes: renamed, retired and added on their page (field errors in the
summary, a stale form 409); the decision form offers the list as it now is, and a decision that used a
retired outcome keeps its words."""

from __future__ import annotations

import re

import asyncpg
from litestar.testing import AsyncTestClient

from tests import factories
from tests.integration.test_agency_information import published_meeting
from tests.integration.test_decisions import decide, start
from tests.web.test_notification_pages import error_links


def form_of(html: str) -> dict[str, object]:
    """The outcomes form as the page drew it."""
    labels = dict(re.findall(r'name="(label-\d+)" type="text" value="([^"]*)"', html))
    active = re.findall(r'name="active" type="checkbox" value="(\d+)" checked', html)
    version = re.search(r'name="version" value="([0-9a-f]+)"', html)
    assert version is not None
    return {**labels, "active": active, "version": version.group(1), "csrf_token": factories.csrf_from(html)}


async def test_a_coordinator_changes_the_outcomes_and_decisions_follow(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    await start(owner, m)
    await decide(owner, m, m.items[0], outcomes=["signposting"], rationale="Leaflets.")
    await factories.sign_in(client, m.coordinator.email)
    page = await client.get("/admin/outcomes")
    assert page.status_code == 200
    form = form_of(page.text)
    ids = {code: int(i) for i, code in await owner.fetch("SELECT id, code FROM outcome_type")}
    blank = await client.post("/admin/outcomes", data={**form, f"label-{ids['early_help']}": " "})
    assert blank.status_code == 400
    assert error_links(blank.text) == [f"label-{ids['early_help']}"]
    stale = await client.post("/admin/outcomes", data={**form, "version": "0" * 16})
    assert stale.status_code == 409
    active = [a for a in form["active"] if a != str(ids["signposting"])]  # type: ignore[union-attr]
    saved = await client.post(
        "/admin/outcomes",
        data={
            **form,
            "active": active,
            f"label-{ids['early_help']}": "Early help assessment",
            "new_label": "Child exploitation screening",
        },
    )
    assert saved.status_code == 200
    assert "The outcomes have been saved." in saved.text
    rows = {
        r["code"]: (r["label"], r["active"]) for r in await owner.fetch("SELECT code, label, active FROM outcome_type")
    }
    assert rows["signposting"] == ("Signposting", False)
    assert rows["early_help"] == ("Early help assessment", True)
    assert rows["child_exploitation_screening"] == ("Child exploitation screening", True)

    item = await client.get(f"/meetings/{m.id}/items/{m.items[0]}")
    assert 'value="child_exploitation_screening"' in item.text
    assert 'name="outcomes" type="checkbox" value="signposting"' not in item.text  # no longer offered
    assert "Signposting" in item.text  # the decision that used it keeps its words

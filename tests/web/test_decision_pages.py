"""The decision form on an item's page: field errors in the error summary, the decision shown to every
agency at the meeting, a stale form answered 409 with both, and the JSON API."""

from __future__ import annotations

import re

import asyncpg
from litestar.testing import AsyncTestClient

from tests import factories
from tests.integration.test_agency_information import published_meeting
from tests.integration.test_decisions import decide, start
from tests.web.test_notification_pages import error_links


async def test_the_chair_records_a_decision_that_every_agency_reads(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first = m.items[0]
    path = f"/meetings/{m.id}/items/{first}"
    await factories.sign_in(client, m.coordinator.email)
    before = await client.get(path)
    assert "Save the decision" not in before.text  # not before the meeting starts
    await start(owner, m)
    page = await client.get(path)
    token = factories.csrf_from(page.text)
    refused = await client.post(
        f"{path}/decision", data={"csrf_token": token, "outcomes": ["marac_referral"], "rationale": ""}
    )
    assert refused.status_code == 400
    assert error_links(refused.text) == ["rationale", "marac_criterion"]
    saved = await client.post(
        f"{path}/decision",
        data={
            "csrf_token": token,
            "outcomes": ["section_47", "marac_referral"],
            "marac_criterion": "professional_judgement",
            "rationale": "Threshold for enquiry met.",
            f"dissent-{m.agencies['health']}": "Health would wait for the midwife.",
        },
    )
    assert saved.status_code == 200
    assert "The decision has been saved." in saved.text
    assert "Section 47 enquiry; MARAC referral" in saved.text

    # An agency member reads it, with the dissent, and has no form.
    await factories.sign_in(client, m.police.email)
    read = await client.get(path)
    assert "Threshold for enquiry met." in read.text
    assert "Health would wait for the midwife." in read.text
    assert "Save the decision" not in read.text
    api = await client.get(f"/api/v1/meetings/{m.id}/items/{first}/decision")
    assert api.json()["decision"]["outcomes"] == ["section_47", "marac_referral"]
    assert api.json()["can_decide"] is False

    # Back as the chair, with a form drawn from version 1 after someone saved version 2: 409, both shown.
    await factories.sign_in(client, m.coordinator.email)
    page = await client.get(path)
    assert re.search(r'name="version" value="1"', page.text)
    await decide(owner, m, first, rationale="Changed by the minute-taker.", version=1)
    stale = await client.post(
        f"{path}/decision",
        data={
            "csrf_token": factories.csrf_from(page.text),
            "outcomes": ["early_help"],
            "rationale": "My version.",
            "version": "1",
        },
    )
    assert stale.status_code == 409
    assert "saved the decision first" in stale.text
    assert "Changed by the minute-taker." in stale.text
    assert "My version." in stale.text

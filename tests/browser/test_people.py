"""A coordinator follows a repeat victim from a notification to her history, splits a wrong link and
merges a near miss, in Chromium; every page passes axe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest
from playwright.async_api import Page, expect

from pitstop.accounts.models import Role, User
from pitstop.notifications import service as intake
from pitstop.notifications.models import NotificationIn, Source
from tests import factories
from tests.browser.test_notification_entry import no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
async def coordinator(owner: asyncpg.Connection) -> User:
    p = await factories.partnership(owner)
    social_care = await factories.agency(owner, p.id, "Northfield Children's Social Care", "childrens_social_care")
    user = await factories.user(
        owner, p.id, social_care.id, Role.COORDINATOR, email="casey@northfield.example", name="Casey Coordinator"
    )
    kelly = {"role": "victim", "family_name": "Marsh", "given_names": "Kelly Anne", "date_of_birth": "1994-02-03"}
    people = [
        [kelly, {"role": "child", "family_name": "Marsh", "given_names": "Tyler", "date_of_birth": "2017-05-11"}],
        [kelly],
        [kelly, {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig"}],
        [{**kelly, "given_names": "Kelli"}],
    ]
    for number, (days, who) in enumerate(zip((90, 60, 1, 0), people, strict=True), start=1):
        at = (datetime.now(UTC) - timedelta(days=days)).isoformat()
        body = {
            "police_reference": f"NF/{number}",
            "received_at": at,
            "incident_at": at,
            "circumstances": "Invented for a test.",
            "risk": {"tool": "dash", "grade": "medium"},
            "people": who,
        }
        await intake.receive(
            owner,
            actor=None,
            partnership_id=p.id,
            body=msgspec.convert(body, NotificationIn),
            source=Source.API,
            origin=factories.CLI,
        )
    return user


async def test_follow_split_and_merge(page: Page, live_server: str, coordinator: User) -> None:
    await page.goto(live_server + "/notifications")
    await page.get_by_label("Email address").fill(coordinator.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("row", name="NF/3")).to_contain_text("Potential escalation")
    await no_axe_violations(page)

    await page.get_by_role("link", name="NF/3").click()
    await expect(page.locator("#potential-escalation")).to_contain_text("3 incidents in the 12 months to this one")
    await no_axe_violations(page)
    await page.get_by_role("link", name="See all their incidents (Kelly Anne Marsh)").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kelly Anne Marsh")
    await expect(page.get_by_role("heading", level=2, name="3 incidents, newest first")).to_be_visible()
    await no_axe_violations(page)

    # NF/2 was someone else: split it off.
    await page.get_by_role("button", name="Not this person: split it off (incident NF/2)").click()
    await expect(page.get_by_text("The incident has been split off to")).to_be_visible()
    await expect(page.get_by_role("heading", level=2, name="2 incidents, newest first")).to_be_visible()
    await no_axe_violations(page)

    # Kelli Marsh, same date of birth, is a possible match: check both, then merge.
    await page.get_by_role("link", name="Check and merge").click()
    await expect(page.get_by_role("heading", level=2, name=re.compile(r"Person \d+ \(stays\)"))).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_role("button", name="Merge person").click()
    await expect(page.get_by_text("The people have been merged.")).to_be_visible()
    await expect(page.get_by_role("heading", level=2, name="3 incidents, newest first")).to_be_visible()
    await no_axe_violations(page)

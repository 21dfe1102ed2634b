"""The dashboard in Chromium, as a manager meets it: Dashboard in the menu, the figures with their charts,
a filter by grade and dates, and a count followed to the list behind it (an agency's open actions).
Every page passes axe."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from playwright.async_api import Page, expect

from pitstop.meetings.schedule import LONDON
from tests.browser.accessibility import no_axe_violations
from tests.browser.test_meeting_records import sign_in
from tests.integration.test_minutes import held_meeting

pytestmark = pytest.mark.browser


async def test_a_manager_opens_the_dashboard_filters_it_and_follows_a_count(
    page: Page, live_server: str, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)  # two notifications (high, medium); actions for health and police
    day = m.starts_at.astimezone(LONDON).date()
    health = await owner.fetchval("SELECT name FROM agency WHERE id = $1", m.agencies["health"])
    await sign_in(page, live_server, m.manager.email)
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    await expect(page.get_by_role("img", name="Notifications screened within their deadline, per week")).to_be_visible()
    await no_axe_violations(page)

    await page.get_by_label("Received from").fill((day - timedelta(days=7)).isoformat())
    await page.get_by_label("Received to").fill(day.isoformat())
    await page.get_by_label("Grade", exact=True).select_option(label="High")
    await page.get_by_role("button", name="Show the figures").click()
    await expect(page).to_have_url(
        f"{live_server}/dashboard?from={(day - timedelta(days=7)).isoformat()}&to={day.isoformat()}&grade=high"
    )
    figures = page.locator("#volume-figures")
    await expect(figures.get_by_role("link")).to_have_text("1")  # the high one only
    await expect(page.locator("#as-of")).to_contain_text("High grade only.")
    await no_axe_violations(page)

    # Follow the health agency's open actions to the list behind the count.
    await page.get_by_role("link", name=f"1 open actions of {health}").click()
    await expect(page).to_have_url(f"{live_server}/actions?agency={m.agencies['health']}&showing=open")
    await expect(page.get_by_text("Health visitor to see the family")).to_be_visible()
    await no_axe_violations(page)

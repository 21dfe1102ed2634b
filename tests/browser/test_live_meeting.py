"""Two signed-in users on one agenda item, in Chromium: one saves their agency's information, and the
other sees it within two seconds without reloading, while what they are typing in their own form stays."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.accessibility import no_axe_violations
from tests.browser.test_calendar_subscription import sign_in
from tests.integration.test_agency_information import published_meeting

pytestmark = pytest.mark.browser


async def test_one_saves_the_other_sees_it_without_reloading(
    page: Page, browser: Browser, live_server: str, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    item = f"{live_server}/meetings/{m.id}/items/{m.items[0]}"
    await sign_in(page, live_server, m.health.email)
    await page.goto(item)
    await expect(page.get_by_text("No agency information yet.")).to_be_visible()
    await no_axe_violations(page)
    # Health starts typing its own summary: an update must not wipe it.
    await page.get_by_label("Summary").fill("Half-typed: midwife due on Thursday")

    context = await browser.new_context()
    other = await context.new_page()
    await sign_in(other, live_server, m.police.email)
    await other.goto(item)
    await other.get_by_label("Known to our agency", exact=True).check()
    await other.get_by_label("Summary").fill("Two call-outs this year.")
    await other.get_by_role("button", name="Save your agency's information").click()
    await expect(other.get_by_text("Your agency's information has been saved.")).to_be_visible()

    panel = page.locator("#live-panel")
    await expect(panel).to_contain_text("Two call-outs this year.", timeout=2_000)  # no reload
    await expect(panel).to_contain_text("1 of the 3 invited agencies has recorded")
    await expect(page.get_by_label("Summary")).to_have_value("Half-typed: midwife due on Thursday")
    await no_axe_violations(page)
    await context.close()
    await page.close()  # its live stream with it, before the server is stopped

"""Two signed-in users on one agenda item, in Chromium: one saves their agency's information, and the
other sees it within two seconds without reloading, while what they are typing in their own form stays."""

from __future__ import annotations

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from pitstop.accounts.models import Role
from tests import factories
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


async def test_the_chair_moves_on_and_attendees_on_the_item_follow_unless_typing(
    page: Page, browser: Browser, live_server: str, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first, second = (f"{live_server}/meetings/{m.id}/items/{i}" for i in m.items)
    # A second coordinator (say the minute-taker: their page has the action form's empty select) and police
    # and health wait on the first item before the meeting starts; health starts typing.
    taker = await factories.user(
        owner, m.world.partnerships["north"].id, m.agencies["care"], Role.COORDINATOR, email="taker@north.example"
    )
    contexts = [await browser.new_context() for _ in range(3)]
    police, health, minute_taker = [await c.new_page() for c in contexts]
    for who, user in ((police, m.police), (health, m.health)):
        await sign_in(who, live_server, user.email)
        await who.goto(first)
        await expect(who.locator("#now")).to_contain_text("The meeting has not started yet")

    await sign_in(page, live_server, m.coordinator.email)
    await page.goto(f"{live_server}/meetings/{m.id}")
    await page.get_by_role("button", name="Start the meeting").click()
    await expect(page).to_have_url(first)
    await expect(page.locator("#now")).to_contain_text("This item is being discussed: item 1 of 2.")
    await no_axe_violations(page)
    for who in (police, health):  # started: their bars say so without a reload
        await expect(who.locator("#now")).to_contain_text("This item is being discussed", timeout=2_000)
    await health.get_by_label("Summary").fill("Half-typed: health visitor's note")
    # The minute-taker joins once it has started: their page has the forms to agree actions (an empty select).
    await sign_in(minute_taker, live_server, taker.email)
    await minute_taker.goto(f"{live_server}/meetings/{m.id}/now")
    await expect(minute_taker).to_have_url(first)
    await expect(minute_taker.get_by_label("Owning agency")).to_have_value("")

    await page.get_by_role("button", name="Next: item 2 of 2").click()
    await expect(page).to_have_url(second)
    await expect(police).to_have_url(second, timeout=3_000)  # followed the meeting
    await expect(minute_taker).to_have_url(second, timeout=3_000)
    await expect(police.locator("#now")).to_contain_text("This item is being discussed: item 2 of 2.")
    # Health was typing: it stays, its text kept, and the bar links to where the meeting is.
    await expect(health.locator("#now")).to_contain_text("The meeting is discussing item 2 of 2", timeout=2_000)
    await expect(health).to_have_url(first)
    await expect(health.get_by_label("Summary")).to_have_value("Half-typed: health visitor's note")

    # The chair sees the police record on the item being discussed as it is saved.
    await expect(page.locator("#recorded")).to_contain_text("0 of 3 agencies have recorded")
    await police.get_by_label("No trace on our systems").check()
    await police.get_by_role("button", name="Save your agency's information").click()
    await expect(page.locator("#recorded")).to_contain_text("1 of 3 agencies have recorded", timeout=2_000)
    await expect(page.locator("#recorded")).to_contain_text("Recorded: North Police.")
    await no_axe_violations(page)
    for context in contexts:
        await context.close()
    await page.close()

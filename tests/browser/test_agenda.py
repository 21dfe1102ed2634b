"""A coordinator builds, reorders (drag and drop, and the buttons) and publishes an agenda in Chromium;
then an agency member of an invited agency reads it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from tests import factories
from tests.browser.accessibility import no_axe_violations
from tests.meeting_helpers import CRAIG, KELLY, screened, series

pytestmark = pytest.mark.browser


async def sign_in(page: Page, base: str, email: str, path: str) -> None:
    await page.goto(base + path)
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


def order(page: Page):
    return page.locator(".pitstop-agenda-builder__item h2")


async def test_build_reorder_publish_and_read_as_an_agency(
    page: Page, browser: Browser, live_server: str, owner: asyncpg.Connection
) -> None:
    world = await factories.world(owner)
    made = await series(owner, world, datetime.now(UTC).date())
    meeting_id = await owner.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 AND cut_off_at > now() ORDER BY starts_at LIMIT 1", made.id
    )
    at = datetime.now(UTC) - timedelta(minutes=5)
    await screened(
        owner, world, "HIGH/1", at, {**KELLY, "address_withheld": True}, CRAIG, grade="high", address_withheld=True
    )
    bea = {"role": "victim", "family_name": "Birch", "given_names": "Bea", "date_of_birth": "1990-01-02"}
    await screened(owner, world, "MEDIUM/1", at, bea, grade="medium")
    cat = {"role": "victim", "family_name": "Cedar", "given_names": "Cat", "date_of_birth": "1991-01-02"}
    await screened(owner, world, "STANDARD/1", at, cat, grade="standard")

    await sign_in(page, live_server, world.users["north.coordinator"].email, "/meetings")
    await page.locator(f'a[href="/meetings/{meeting_id}"]').click()
    await page.get_by_role("button", name="Adjust the agenda").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Adjust the agenda")
    await expect(order(page)).to_have_text(["1. HIGH/1", "2. MEDIUM/1", "3. STANDARD/1"])
    await no_axe_violations(page)

    # Drag the standard item to the top: htmx posts the order and redraws the builder. (A tall window, so
    # both items are in view: Playwright's drag does not scroll in the middle of a drag.)
    await page.set_viewport_size({"width": 1280, "height": 2400})
    items = page.locator("[data-item-id]")
    await items.nth(2).drag_to(items.nth(0), target_position={"x": 20, "y": 5})
    await expect(order(page)).to_have_text(["1. STANDARD/1", "2. HIGH/1", "3. MEDIUM/1"])
    # And the same without dragging: move it down one place.
    await page.get_by_role("button", name="Move down STANDARD/1").click()
    await expect(order(page)).to_have_text(["1. HIGH/1", "2. STANDARD/1", "3. MEDIUM/1"])
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("The order has been changed")

    await page.get_by_role("button", name="Publish the agenda").click()
    await expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}\?done=published$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda published")
    assert await owner.fetchval("SELECT state FROM meeting WHERE id = $1", meeting_id) == "agenda_published"

    # The police are invited: their member reads the agenda in the coordinator's order.
    context = await browser.new_context()
    member = await context.new_page()
    await sign_in(member, live_server, world.users["north.agency_member"].email, "/meetings")
    await member.locator(f'a[href="/meetings/{meeting_id}"]').click()
    rows = member.locator("#agenda-items tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("HIGH/1")
    await expect(rows.nth(0)).to_contain_text("Address withheld")
    await expect(rows.nth(1)).to_contain_text("STANDARD/1")
    await expect(member.get_by_role("button", name="Adjust the agenda")).to_have_count(0)
    await no_axe_violations(member)
    await context.close()

"""An agency representative subscribes to their meetings from the account page, in Chromium: the
address is shown once and the calendar app can read it; a coordinator ends a series from its page.
Every page passes axe."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from pitstop.meetings import service as meetings
from tests import factories
from tests.browser.test_notification_entry import no_axe_violations
from tests.meeting_helpers import identity, series

pytestmark = pytest.mark.browser


async def sign_in(page: Page, live_server: str, email: str) -> None:
    await page.goto(live_server + "/sign-in")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def test_a_representative_subscribes_and_a_coordinator_ends_the_series(
    page: Page, live_server: str, owner: asyncpg.Connection
) -> None:
    world = await factories.world(owner)
    member = world.users["north.agency_member"]
    made = await series(owner, world, datetime.now(UTC).date(), name="Northfield daily pitstop")
    await meetings.add_invitee(
        owner,
        actor=identity(world.users["north.coordinator"]),
        series_id=made.id,
        version=made.version,
        agency_id=member.agency_id,
        name=member.name,
        email=member.email,
        origin=factories.CLI,
    )

    await sign_in(page, live_server, member.email)
    await page.goto(live_server + "/account")
    await page.get_by_role("link", name="Subscribe to your meetings from your calendar app").click()
    await expect(page.get_by_text("You have no subscription address.")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_role("button", name="Make a subscription address").click()
    address = await page.get_by_label("Subscription address").input_value()
    await no_axe_violations(page)
    secret = address.rsplit("/", 1)[1]
    got = httpx.get(f"{live_server}/calendar/{secret}")
    assert got.status_code == 200
    assert "SUMMARY:Northfield daily pitstop" in got.text
    await page.goto(live_server + "/account/calendar-feed")
    await expect(page.get_by_text("Last read by a calendar")).to_be_visible()
    assert secret not in await page.content()  # shown once

    coordinator = await page.context.browser.new_context()  # type: ignore[union-attr]
    other = await coordinator.new_page()
    await sign_in(other, live_server, world.users["north.coordinator"].email)
    await other.goto(f"{live_server}/meetings/series/{made.id}")
    await other.get_by_role("button", name="End this series").click()
    await expect(other.get_by_role("link", name="Enter why the series is ending")).to_be_visible()
    await no_axe_violations(other)
    await other.get_by_label("Why is the series ending?").fill("Merged into the MASH meeting")
    await other.get_by_role("button", name="End this series").click()
    await expect(other.get_by_text("The series has ended.")).to_be_visible()
    await expect(other.get_by_text("Merged into the MASH meeting")).to_be_visible()
    await no_axe_violations(other)
    await coordinator.close()

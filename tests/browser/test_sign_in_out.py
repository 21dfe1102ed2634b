"""Signing in and out in a real Chromium, and the warning before the idle timeout."""

from __future__ import annotations

import re

import asyncpg
import pytest
from playwright.async_api import Page, expect

from pitstop.accounts.models import Role
from tests import factories
from tests.browser.accessibility import no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
async def manager(owner: asyncpg.Connection):
    p = await factories.partnership(owner)
    social_care = await factories.agency(owner, p.id, "Northfield Children's Social Care", "childrens_social_care")
    return await factories.user(
        owner, p.id, social_care.id, Role.MANAGER, email="morgan@northfield.example", name="Morgan Manager"
    )


async def test_sign_in_and_out_in_chromium(page: Page, live_server: str, manager, owner: asyncpg.Connection) -> None:
    await page.goto(live_server + "/audit")
    # Not signed in: the sign-in page, which will return here.
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Faudit$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Pitstop")
    await no_axe_violations(page)

    # A wrong password: the GOV.UK error summary, focused, linking to the field.
    await page.get_by_label("Email address").fill(manager.email)
    await page.get_by_label("Password").fill("not my password")
    await page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter a correct email address and password")
    await expect(summary).to_be_focused()

    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(live_server + "/audit")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    await expect(page.locator(".govuk-table")).to_contain_text("Sign in")
    await expect(page.get_by_text("Morgan Manager").first).to_be_visible()
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["__Host-pitstop_session"]
    assert session["httpOnly"] is True
    assert session["secure"] is True
    assert session["sameSite"] == "Lax"
    await no_axe_violations(page)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(live_server + "/sign-in?signed_out=1")
    await expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert "__Host-pitstop_session" not in {c["name"] for c in await page.context.cookies()}
    await page.goto(live_server + "/audit")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    assert await owner.fetchval("SELECT count(*) FROM web_session") == 0


async def test_a_warning_before_the_idle_timeout_and_staying_signed_in(
    page: Page, live_server: str, manager, owner: asyncpg.Connection
) -> None:
    await page.goto(live_server + "/sign-in")
    await page.get_by_label("Email address").fill(manager.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pitstop")

    # Leave the page open and untouched for 28 minutes (the browser's clock, not the server's).
    await page.clock.install()
    await page.goto(live_server + "/account")
    await expect(page.get_by_role("alertdialog")).to_have_count(0)
    await page.clock.fast_forward("28:05")
    warning = page.get_by_role("alertdialog")
    await expect(warning).to_contain_text("You will be signed out soon")
    stay = warning.get_by_role("button", name="Stay signed in")
    await expect(stay).to_be_focused()
    async with page.expect_response(lambda r: r.url.endswith("/session/keep-alive")) as kept:
        await stay.click()
    assert (await kept.value).status == 201
    await expect(warning).to_have_count(0)
    assert await owner.fetchval("SELECT now() - last_seen_at < interval '1 minute' FROM web_session")
    # And if nobody answers the warning, the page goes to sign-in when the session ends.
    await owner.execute("UPDATE web_session SET last_seen_at = now() - interval '31 minutes'")
    await page.clock.fast_forward("31:00")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Faccount&expired=1$"))
    await expect(page.get_by_text("You were signed out because you had not used Pitstop")).to_be_visible()

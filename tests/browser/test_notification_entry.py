"""A coordinator keys a notification in, with a victim and a child, and screens it, in Chromium."""

from __future__ import annotations

import re

import asyncpg
import pytest
from playwright.async_api import Page, expect

from pitstop.accounts.models import Role, User
from tests import factories
from tests.browser.accessibility import no_axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
async def coordinator(owner: asyncpg.Connection) -> User:
    p = await factories.partnership(owner)
    social_care = await factories.agency(owner, p.id, "Northfield Children's Social Care", "childrens_social_care")
    await factories.user(
        owner, p.id, social_care.id, Role.MANAGER, email="morgan@northfield.example", name="Morgan Manager"
    )
    return await factories.user(
        owner, p.id, social_care.id, Role.COORDINATOR, email="casey@northfield.example", name="Casey Coordinator"
    )


async def test_key_in_a_notification_and_screen_it(
    page: Page, live_server: str, coordinator: User, owner: asyncpg.Connection
) -> None:
    await page.goto(live_server + "/notifications/new")
    await page.get_by_label("Email address").fill(coordinator.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(live_server + "/notifications/new")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Key in a notification")
    await no_axe_violations(page)

    # The facts. "When the police sent it" starts filled in with now.
    await page.get_by_label("Police reference", exact=True).fill("NF/2026/0077")
    await page.get_by_label("What happened").fill("Neighbour reported shouting; a child was crying in the flat.")
    await page.get_by_role("group", name="Officer's grade").get_by_label("High").check()
    await page.get_by_role("group", name="Arrest made").get_by_label("Yes").check()
    first = page.locator("#person-1")
    await expect(first.get_by_label("Role")).to_have_value("victim")
    await first.get_by_label("Family name").fill("Hale")
    await first.get_by_label("Given names (optional)").fill("Dana")
    await first.get_by_label("The address is withheld (for example, a refuge)").check()

    # A second person, without JavaScript's help: the page comes back with everything kept.
    await page.get_by_role("button", name="Add another person").click()
    second = page.locator("#person-2")
    await expect(second).to_be_visible()
    await expect(page.get_by_label("Police reference", exact=True)).to_have_value("NF/2026/0077")
    await expect(first.get_by_label("Family name")).to_have_value("Hale")
    await second.get_by_label("Role").select_option("child")
    await second.get_by_label("Family name").fill("Hale")
    await second.get_by_label("Given names (optional)").fill("Robin")
    await second.get_by_label("Day").fill("14")
    await second.get_by_label("Month").fill("6")
    await second.get_by_label("Year").fill("2019")
    await second.get_by_label("School or nursery (optional)").fill("Elmfield Infant School")
    await second.get_by_role("group", name="Present during the incident").get_by_label("Yes").check()
    await second.get_by_role("group", name="Witnessed the incident").get_by_label("Yes").check()
    await page.get_by_role("button", name="Save notification").click()

    await expect(page).to_have_url(re.compile(r"/notifications/\d+\?done=created$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("NF/2026/0077")
    await expect(page.get_by_text("The notification has been saved.")).to_be_visible()
    cards = page.locator(".govuk-summary-card__title")
    await expect(cards.nth(0)).to_contain_text("Robin Hale")  # children first
    await expect(cards.nth(1)).to_contain_text("Dana Hale")
    await expect(page.get_by_text("Withheld (refuge)")).to_be_visible()
    await no_axe_violations(page)

    # Screening: consent not sought reveals why, the rationale and who authorised it.
    await page.get_by_role("button", name="Screen this notification").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Screen this notification")
    await expect(page.get_by_role("group", name="Grade").get_by_label("High")).to_be_checked()
    reveal = page.locator("#conditional-consent-3")
    await expect(reveal).to_be_hidden()
    await page.get_by_label("Not sought").check()
    await expect(reveal).to_be_visible()
    await reveal.get_by_label("Unsafe to ask").check()
    await reveal.get_by_label("Rationale for sharing without consent").fill(
        "The alleged perpetrator lives at the address: asking could alert him."
    )
    await reveal.get_by_label("Authorised by").select_option(label="Morgan Manager")
    await page.get_by_role("group", name="Is the victim aware of the referral?").get_by_label("No", exact=True).check()
    await page.get_by_label("The meeting's agenda").check()
    await page.get_by_role("button", name="Save screening").click()

    await expect(page).to_have_url(re.compile(r"/notifications/\d+\?done=screened$"))
    await expect(page.get_by_text("The notification has been screened.")).to_be_visible()
    screening = page.locator(".govuk-summary-card").filter(has_text="In force")
    await expect(screening).to_contain_text("Not sought")
    await expect(screening).to_contain_text("Unsafe to ask")
    await expect(screening).to_contain_text("Morgan Manager")
    await expect(screening).to_contain_text("The meeting's agenda")
    await expect(screening).to_contain_text("Casey Coordinator")

    await page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Notifications").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    row = page.get_by_role("row").filter(has_text="NF/2026/0077")
    await expect(row).to_contain_text("Screened")
    await expect(row).to_contain_text("High")
    await expect(page.locator(".govuk-table")).not_to_contain_text("Hale")
    await no_axe_violations(page)

    assert await owner.fetchval("SELECT source FROM notification") == "keyed"
    assert await owner.fetchval("SELECT count(*) FROM notification_person") == 2
    assert await owner.fetchval("SELECT consent FROM screening") == "not_sought"

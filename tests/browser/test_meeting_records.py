"""A meeting's records in Chromium, as their users make them: a health member prepares (one item "not
known" in bulk, the other known and restricted to the police); the chair starts the meeting, reads that
restricted information, records a decision and gives health an action; health closes the action from
their actions list. Children's social care, not named, never sees health's summary. Every page passes axe."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from pitstop.meetings.schedule import LONDON
from tests import factories
from tests.browser.accessibility import no_axe_violations
from tests.integration.test_agency_information import published_meeting

pytestmark = pytest.mark.browser

SUMMARY = "Midwife visited twice; mother disclosed pushing during pregnancy."
RATIONALE = "Pregnancy and a high-risk incident: health and social care to meet the family."
ACTION = "Health visitor to see the mother at home this week"
NOTE = "Visited on Tuesday; the mother has the IDVA's number."


async def sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(base + "/meetings")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("navigation", name="Menu")).to_be_visible()


async def open_meeting(page: Page, meeting_id: int) -> None:
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Meetings").click()
    await page.locator(f'a[href="/meetings/{meeting_id}"]').click()
    await expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}$"))


def notice(page: Page):
    return page.locator(".govuk-notification-banner__heading")


async def test_prepare_decide_act_and_close_with_need_to_know(
    page: Page, browser: Browser, live_server: str, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first, second = m.items  # NF/1 (Kelly and Craig, high), NF/2 (Bea, medium)
    police = await owner.fetchval("SELECT name FROM agency WHERE id = $1", m.agencies["police"])
    health = await owner.fetchval("SELECT name FROM agency WHERE id = $1", m.agencies["health"])

    # 1. Health prepares: NF/2 "not known" with the bulk checkboxes, then NF/1 known, restricted to the police.
    await sign_in(page, live_server, m.health.email)
    await open_meeting(page, m.id)
    await page.get_by_role("link", name="Prepare: check each family and record what your agency knows").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Prepare for the meeting")
    await expect(page.get_by_text("Your agency has checked 0 of 2 items.")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_label("Not known: NF/2", exact=True).check()
    await page.get_by_label("Where you checked (for the items marked not known)").fill("SystmOne")
    await page.get_by_role("button", name='Record the selected items as "not known"').click()
    await expect(notice(page)).to_have_text('1 item recorded as "not known".')
    await expect(page.locator(f"#prepare-{second}")).to_contain_text("Not known to our agency")
    await expect(page.locator(f"#prepare-{first}")).to_contain_text("Not checked")
    await no_axe_violations(page)

    await page.get_by_role("link", name="Record information for NF/1").click()
    await expect(page).to_have_url(re.compile(rf"/meetings/{m.id}/items/{first}#own$"))
    await expect(page.get_by_role("heading", name="Your agency's information")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_label("Known to our agency", exact=True).check()
    await page.get_by_label("Summary", exact=True).fill(SUMMARY)
    await page.get_by_label("Where it was checked", exact=True).fill("SystmOne")
    await page.get_by_label("Restricted to the agencies I name", exact=True).check()
    # The agencies to name appear under the choice (govuk-frontend's conditional reveal).
    await page.get_by_label(police, exact=True).check()
    await page.get_by_role("button", name="Save your agency's information").click()
    await expect(notice(page)).to_have_text("Your agency's information has been saved.")
    card = page.locator(".govuk-summary-card", has=page.get_by_role("heading", name=health, exact=True))
    await expect(card).to_contain_text(SUMMARY)
    await expect(card).to_contain_text(f"Restricted to {police}")
    await no_axe_violations(page)

    # 2. The chair starts the meeting, reads health's restricted information, decides and gives health an action.
    chair_context = await browser.new_context()
    chair = await chair_context.new_page()
    await sign_in(chair, live_server, m.coordinator.email)
    await open_meeting(chair, m.id)
    await chair.get_by_role("button", name="Start the meeting").click()
    # Started: the chair lands on the first item, under the meeting's bar.
    await expect(chair.get_by_role("heading", level=1)).to_have_text("NF/1")
    await expect(chair.locator("#now")).to_contain_text("This item is being discussed: item 1 of 2.")
    await expect(chair.get_by_role("link", name="End the meeting")).to_be_visible()
    assert await owner.fetchval("SELECT state FROM meeting WHERE id = $1", m.id) == "in_progress"
    chair_card = chair.locator(".govuk-summary-card", has=chair.get_by_role("heading", name=health, exact=True))
    await expect(chair_card).to_contain_text(SUMMARY)  # coordinators see all
    await expect(chair.get_by_role("button", name="Save the decision")).to_be_visible()
    await no_axe_violations(chair)

    await chair.get_by_label("Strategy discussion", exact=True).check()
    await chair.get_by_label("Health notification (GP, health visitor, school nurse, midwife)", exact=True).check()
    await chair.get_by_label("Rationale", exact=True).fill(RATIONALE)
    await chair.get_by_role("button", name="Save the decision").click()
    await expect(notice(chair)).to_have_text("The decision has been saved.")
    decision = chair.locator("#decision-record")
    await expect(decision).to_contain_text("Strategy discussion")
    await expect(decision).to_contain_text("Health notification")
    await expect(decision).to_contain_text(RATIONALE)

    due = (m.starts_at.astimezone(LONDON) + timedelta(days=4)).date()  # after the meeting, whatever today is
    await chair.get_by_label("What is to be done", exact=True).fill(ACTION)
    await chair.get_by_label("Owning agency", exact=True).select_option(label=health)
    await chair.get_by_label("Named person (optional)", exact=True).fill("Hana Health")
    when = chair.get_by_role("group", name="Due", exact=True)
    await when.get_by_label("Day", exact=True).fill(str(due.day))
    await when.get_by_label("Month", exact=True).fill(str(due.month))
    await when.get_by_label("Year", exact=True).fill(str(due.year))
    await when.get_by_label("Time", exact=True).fill("12:00")
    await chair.get_by_role("button", name="Add the action").click()
    await expect(notice(chair)).to_have_text("The action has been added.")
    agreed = chair.get_by_role("table", name="Actions agreed on this item").get_by_role("row", name=re.compile(ACTION))
    await expect(agreed).to_contain_text(health)
    await expect(agreed).to_contain_text(due.strftime(f"{due.day} %B %Y at 12:00"))
    await expect(agreed).to_contain_text("Open")
    await expect(chair.locator("#decision-record")).to_contain_text(RATIONALE)  # both on the page
    await no_axe_violations(chair)
    await chair_context.close()

    # 3. Health closes the action from their list.
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Actions").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your agency's actions")
    await expect(page.get_by_text("1 action.")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_role("link", name=ACTION).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(ACTION)
    await no_axe_violations(page)
    await page.get_by_label("Done", exact=True).check()
    await page.get_by_label("Note", exact=True).fill(NOTE)
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(notice(page)).to_have_text("The action has been updated.")
    details = page.locator(".govuk-summary-list")
    await expect(details.locator(".govuk-tag")).to_have_text("Done")
    await expect(details).to_contain_text(NOTE)
    await expect(page.get_by_role("heading", name="Close the action")).to_have_count(0)
    await expect(page.get_by_role("listitem").filter(has_text=f"done: {NOTE}")).to_have_count(1)
    await no_axe_violations(page)

    # 4. Social care was not named: the item shows them neither health's summary nor its card.
    care_context = await browser.new_context()
    care = await care_context.new_page()
    await sign_in(care, live_server, m.care.email)
    await open_meeting(care, m.id)
    await care.get_by_role("link", name="Agency information for item 1").click()
    await expect(care.get_by_role("heading", level=1)).to_have_text("NF/1")
    await expect(care.get_by_role("heading", name="Your agency's information")).to_be_visible()
    await expect(care.get_by_role("heading", name=health, exact=True)).to_have_count(0)
    assert SUMMARY not in await care.content()
    await care_context.close()

    # What the pages stored.
    stored = {
        r["agenda_item_id"]: r
        for r in await owner.fetch(
            "SELECT agenda_item_id, knowledge, summary, source_system, visibility, restricted_to"
            " FROM agency_information WHERE agency_id = $1",
            m.agencies["health"],
        )
    }
    assert stored[second]["knowledge"] == "not_known"
    assert stored[second]["source_system"] == "SystmOne"
    assert (stored[first]["knowledge"], stored[first]["summary"]) == ("known", SUMMARY)
    assert (stored[first]["visibility"], stored[first]["restricted_to"]) == ("restricted", [m.agencies["police"]])
    decided = await owner.fetchrow("SELECT outcomes, rationale FROM decision WHERE agenda_item_id = $1", first)
    assert (sorted(decided["outcomes"]), decided["rationale"]) == (
        ["health_notification", "strategy_discussion"],
        RATIONALE,
    )
    action = await owner.fetchrow("SELECT owner_agency_id, owner_name, due_at, status, completion_note FROM action")
    assert (action["owner_agency_id"], action["owner_name"]) == (m.agencies["health"], "Hana Health")
    assert action["due_at"].astimezone(LONDON).replace(tzinfo=None) == datetime(due.year, due.month, due.day, 12)
    assert (action["status"], action["completion_note"]) == ("done", NOTE)

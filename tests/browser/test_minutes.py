"""Minutes in Chromium, as their users meet them: the coordinator approves a held meeting's draft from its
page; a health member then downloads their agency's copy, which holds what was shared and the decisions in
full, never care's information restricted to the police, health's "not for the minutes" or care's
third-party information, and the download is in the disclosure log. A manager finds the meeting under
Minutes in the menu. Every page passes axe."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from pitstop.meetings.schedule import LONDON
from tests.browser.accessibility import no_axe_violations
from tests.browser.test_meeting_records import notice, open_meeting, sign_in
from tests.integration.test_minutes import (
    DISSENT,
    NOT_FOR_MINUTES,
    RESTRICTED,
    SHARED,
    THIRD_PARTY,
    held_meeting,
    text_of,
)

pytestmark = pytest.mark.browser

HEALTH_ACTION = "Health visitor to see the family"
POLICE_ACTION = "Police to check the bail conditions"


async def test_the_coordinator_approves_and_an_agency_member_downloads_their_copy(
    page: Page, browser: Browser, live_server: str, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    health_id = m.agencies["health"]

    # 1. The coordinator approves the draft from the meeting's page.
    await sign_in(page, live_server, m.coordinator.email)
    await open_meeting(page, m.id)
    section = page.locator("#minutes-state")
    await expect(page.get_by_role("heading", name="Minutes", exact=True)).to_be_visible()
    await expect(section).to_contain_text("Draft version 1")
    await expect(page.get_by_role("link", name="Download the full minutes (version 1, draft, Word)")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_role("button", name="Approve the minutes (version 1)").click()
    await expect(page).to_have_url(re.compile(rf"/meetings/{m.id}\?done=minutes_approved#minutes$"))
    await expect(notice(page)).to_have_text(
        "The minutes have been approved. Each invited agency's representatives are being told."
    )
    await expect(section).to_contain_text(f"Approved version 1, by {m.coordinator.name}")
    await expect(page.get_by_role("button", name=re.compile("Approve the minutes"))).to_have_count(0)
    await expect(page.get_by_role("heading", name="Correct the minutes")).to_be_visible()
    await no_axe_violations(page)

    # 2. Health, in their own browser, downloads their agency's copy.
    context = await browser.new_context()
    health = await context.new_page()
    await sign_in(health, live_server, m.health.email)
    await open_meeting(health, m.id)
    await expect(health.locator("#minutes-state")).to_contain_text("Approved version 1")
    link = health.get_by_role("link", name="Download your agency's copy (version 1, Word)")
    await expect(link).to_be_visible()
    await expect(health.get_by_role("link", name=re.compile("full minutes", re.IGNORECASE))).to_have_count(0)
    await expect(health.get_by_role("button", name=re.compile("Approve the minutes"))).to_have_count(0)
    await no_axe_violations(health)
    async with health.expect_download() as started:
        await link.click()
    download = await started.value
    assert await download.failure() is None
    day = m.starts_at.astimezone(LONDON).strftime("%Y-%m-%d")
    # Names the meeting's day, the version and the agency: never a case.
    assert download.suggested_filename == f"minutes-{day}-v1-agency-{health_id}.docx"
    copy = text_of(Path(await download.path()).read_bytes())
    await context.close()
    for shown in (SHARED, DISSENT, HEALTH_ACTION, "OFFICIAL-SENSITIVE"):
        assert shown in copy, shown
    for hidden in (RESTRICTED, NOT_FOR_MINUTES, THIRD_PARTY, POLICE_ACTION):
        assert hidden not in copy, hidden

    # The download is in the disclosure log: who, which version, whose copy.
    log = await owner.fetch(
        "SELECT user_id, version, state, copy_agency_id, user_agency_id FROM minutes_disclosure WHERE meeting_id = $1",
        m.id,
    )
    assert [dict(r) for r in log] == [
        {
            "user_id": m.health.user_id,
            "version": 1,
            "state": "approved",
            "copy_agency_id": health_id,
            "user_agency_id": health_id,
        }
    ]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'minutes_downloaded' AND record_id = $1", str(m.id)
        )
        == 1
    )
    await page.close()


async def test_a_manager_finds_the_meeting_s_minutes_in_the_list(
    page: Page, live_server: str, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    day = m.starts_at.astimezone(LONDON).date()  # the next meeting day: perhaps after today

    await sign_in(page, live_server, m.manager.email)
    await page.get_by_role("navigation", name="Menu").get_by_role("link", name="Minutes").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Minutes")
    await no_axe_violations(page)
    await page.get_by_label("Meetings to", exact=True).fill((day + timedelta(days=7)).isoformat())
    await page.get_by_label("State", exact=True).select_option(label="Waiting for approval")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"/minutes\?.*state=draft"))
    table = page.locator("#minutes-list")
    await expect(table.locator("caption")).to_have_text("1 meeting")
    row = page.locator(f"#meeting-{m.id}")
    await expect(row).to_contain_text("Draft version 1")
    await expect(row).to_contain_text(day.strftime(f"%a {day.day} %B %Y"))
    await expect(row.get_by_role("link", name=re.compile("Full minutes"))).to_be_visible()
    await no_axe_violations(page)

    # Approved only: this meeting is still waiting.
    await page.get_by_label("State", exact=True).select_option(label="Approved")
    await page.get_by_role("button", name="Filter").click()
    await expect(table.locator("caption")).to_have_text("0 meetings")
    await expect(table).to_contain_text("No held meetings match.")

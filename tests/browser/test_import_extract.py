"""A coordinator imports the police's extract in Chromium: one bad row, the report, the fix, the import."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Page, expect

from pitstop.accounts.models import Role, User
from tests import factories
from tests.browser.accessibility import no_axe_violations
from tests.web.test_import_api import HEADER, incident

pytestmark = pytest.mark.browser


@pytest.fixture
async def coordinator(owner: asyncpg.Connection) -> User:
    p = await factories.partnership(owner)
    police = await factories.agency(owner, p.id, "Northfield Police")
    return await factories.user(
        owner, p.id, police.id, Role.COORDINATOR, email="casey@northfield.example", name="Casey Coordinator"
    )


async def test_upload_read_the_report_fix_and_import(
    page: Page, live_server: str, coordinator: User, owner: asyncpg.Connection, tmp_path: Path
) -> None:
    await page.goto(live_server + "/notifications")
    await page.get_by_label("Email address").fill(coordinator.email)
    await page.get_by_label("Password").fill(factories.PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Import the police's extract").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Import the police's extract")
    await no_axe_violations(page)

    # The template downloads with the partnership's headers.
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Download the template (CSV)").click()
    template = await (await waiting.value).path()
    assert Path(template).read_text(encoding="utf-8").startswith("Police reference,")

    # Monday's file: the second incident's grade is a word Pitstop does not know.
    monday = tmp_path / "monday.csv"
    monday.write_text(HEADER + incident("14/7781/26") + incident("14/7795/26", grade="Severe"), encoding="utf-8")
    await page.get_by_label("The CSV file").set_input_files(monday)
    await page.get_by_role("button", name="Import").click()
    await expect(page).to_have_url(re.compile(r"/notifications/imports/\d+$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nothing was imported")
    problem = page.locator("#problems + table tbody tr")
    await expect(problem).to_have_count(1)
    await expect(problem.locator("td").nth(0)).to_have_text("6")
    await expect(problem.locator("td").nth(1)).to_have_text("Grade")
    await expect(problem.locator("td").nth(2)).to_have_text("14/7795/26")
    await expect(problem.locator("td").nth(3)).to_contain_text("'Severe' is not a grade")
    await no_axe_violations(page)
    assert await owner.fetchval("SELECT count(*) FROM notification") == 0

    # Fixed, and imported whole.
    monday.write_text(HEADER + incident("14/7781/26") + incident("14/7795/26", grade="High"), encoding="utf-8")
    await page.get_by_role("link", name="Import a file").click()
    await page.get_by_label("The CSV file").set_input_files(monday)
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Imported")
    await expect(page.get_by_text("2 new, 0 updated, 0 unchanged")).to_be_visible()
    await no_axe_violations(page)
    await page.get_by_role("link", name="Go to the notifications").click()
    await expect(page.get_by_role("link", name="14/7795/26")).to_be_visible()
    assert await owner.fetchval("SELECT count(*) FROM notification WHERE source = 'csv'") == 2

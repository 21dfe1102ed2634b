"""The home page in a real Chromium: it renders, its scripts run under our CSP, it is accessible."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.accessibility import no_axe_violations

pytestmark = pytest.mark.browser


async def test_home_page_in_chromium(page: Page, live_server: str) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)

    await page.goto(live_server + "/")

    await expect(page).to_have_title(re.compile(r"Pitstop"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pitstop")
    await expect(page.get_by_text("OFFICIAL-SENSITIVE").first).to_be_visible()
    # GOV.UK Frontend's scripts ran (they are modules: a CSP or MIME mistake would stop them).
    await expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    assert await page.evaluate("typeof window.htmx") == "object"

    # The skip link is the first thing a keyboard user reaches, and it leads to the content.
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_text("Skip to main content")
    await focused.press("Enter")
    assert await page.evaluate("location.hash") == "#main-content"

    await no_axe_violations(page)
    assert problems == [], problems

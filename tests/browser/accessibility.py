"""One accessibility check for every browser test: axe-core (shipped inside axe-playwright-python) finds
nothing, with one documented exception.

The exception: govuk-frontend's conditional reveal puts aria-expanded on the radio that reveals content,
which ARIA does not allow on a radio (axe's aria-allowed-attr). govuk-frontend keeps it on purpose, as
some screen readers announce it (alphagov/govuk-frontend#979). Only that attribute on such a radio is
let through; anything else fails."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page


def _govuk_conditional_radio(rule: str, html: str) -> bool:
    return (
        rule == "aria-allowed-attr"
        and 'class="govuk-radios__input"' in html
        and "aria-expanded=" in html
        and 'aria-controls="conditional-' in html
    )


async def no_axe_violations(page: Page) -> None:
    results = await Axe().run(page)
    left = []
    for violation in results.response["violations"]:
        nodes = [n for n in violation["nodes"] if not _govuk_conditional_radio(violation["id"], n["html"])]
        if nodes:
            left.append({**violation, "nodes": nodes})
    results.response["violations"] = left
    assert results.violations_count == 0, results.generate_report()

"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser).

Without Chromium these tests skip and say why; with CI=true a missing Chromium fails the run,
so CI can never pass without having run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import TestDatabase, free_port

STARTUP_SECONDS = 60


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    reason = "Chromium is not installed (apt-get install -y chromium); browser tests need Debian's package"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " and CI must run them")
    pytest.skip(reason)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # This machine has no internet: stop Chromium trying to reach Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    # The async API: the sync one runs its own event loop, which the database fixtures cannot share.
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
def live_server(database: TestDatabase, tmp_path: Path) -> Iterator[str]:
    """`pitstop serve` on a free port over this test's database; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")} | {
        "PITSTOP_ENV": "test",
        "PITSTOP_DATABASE_URL": database.app_url,
        "PITSTOP_MIGRATION_DATABASE_URL": database.owner_url,
        "PITSTOP_MIGRATE_ON_START": "false",
        "PITSTOP_DATA_DIR": str(tmp_path),
        "PITSTOP_PORT": str(port),
        # The test decides when agendas are built and published.
        "PITSTOP_MEETING_CLOCK_SECONDS": "0",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pitstop.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"pitstop serve exited:\n{log.read_text()}")
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"pitstop serve was not ready:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)

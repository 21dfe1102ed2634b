"""The home page and the demo data behind it."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from pitstop import demo


async def test_home_page_has_the_layout_every_page_shares(client: AsyncTestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en"' in html
    assert 'href="#main-content"' in html  # skip link
    assert 'id="main-content"' in html
    assert html.count("OFFICIAL-SENSITIVE") >= 2  # top and bottom of the page
    assert "Pitstop" in html
    # No script or stylesheet from anywhere but ourselves, and nothing inline for the CSP to block.
    assert "<script>" not in html
    assert 'src="http' not in html
    assert 'src="/static/' in html
    assert "style=" not in html


async def test_demo_partnership_appears_once_however_often_demo_runs(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    first = await demo.load(owner)
    second = await demo.load(owner)
    assert first.created == ["partnership Northfield Safeguarding Partnership"]
    assert second.created == []
    assert await owner.fetchval("SELECT count(*) FROM partnership") == 1
    response = await client.get("/")
    assert "Northfield Safeguarding Partnership" in response.text

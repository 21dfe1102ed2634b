"""The home page and the demo data behind it."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role
from tests import factories


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


async def test_anonymous_home_page_offers_sign_in_and_names_no_partnership(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    await factories.partnership(owner, "northfield")
    response = await client.get("/")
    assert 'href="/sign-in"' in response.text
    assert "Northfield Partnership" not in response.text


async def test_signed_in_home_page_says_who_and_where(client: AsyncTestClient, owner: asyncpg.Connection) -> None:
    p = await factories.partnership(owner, "northfield")
    police = await factories.agency(owner, p.id, "Northfield Constabulary")
    admin = await factories.user(owner, p.id, police.id, Role.ADMIN, name="Sam Admin")
    await factories.sign_in(client, admin.email)
    html = (await client.get("/")).text
    assert "Sam Admin" in html
    assert "Northfield Constabulary" in html
    assert "Northfield Partnership" in html
    assert 'href="/admin/users"' in html
    assert 'href="/audit"' not in html  # an administrator is not a manager

"""Administering agencies: adding, field errors, editing, deactivating, and a stale save (409)."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Agency, Partnership, Role, User
from tests import factories

_VERSION = re.compile(r'name="version" value="(\d+)"')
_NAME_INPUT = re.compile(r'id="name" name="name" type="text" value="([^"]*)"')


class Place:
    def __init__(self, partnership: Partnership, police: Agency, health: Agency, admin: User) -> None:
        self.partnership = partnership
        self.police = police
        self.health = health
        self.admin = admin


@pytest.fixture
async def place(owner: asyncpg.Connection, client: AsyncTestClient) -> Place:
    """A partnership with two agencies, and its administrator signed in on `client`."""
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police", "police")
    health = await factories.agency(owner, p.id, "North Health", "health")
    admin = await factories.user(owner, p.id, police.id, Role.ADMIN, name="Ada Admin")
    await factories.sign_in(client, admin.email)
    return Place(p, police, health, admin)


def rows_of(html: str) -> list[list[str]]:
    """The agencies table, as the text of each cell."""
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


async def add(client: AsyncTestClient, **fields: str) -> Any:
    page = await client.get("/admin/agencies")
    return await client.post(
        "/admin/agencies", data={"csrf_token": factories.csrf_from(page.text), **fields}, follow_redirects=False
    )


async def save(client: AsyncTestClient, agency_id: int, page_html: str, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "version": _VERSION.search(page_html).group(1),  # type: ignore[union-attr]
        "csrf_token": factories.csrf_from(page_html),
        **fields,
    }
    return await client.post(f"/admin/agencies/{agency_id}", data=data, follow_redirects=False)


async def test_an_added_agency_is_listed(client: AsyncTestClient, place: Place, owner: asyncpg.Connection) -> None:
    added = await add(client, name="  North Youth Justice Service ", agency_type="youth_justice")
    assert added.status_code == 303
    page = await client.get(added.headers["location"])
    assert "The agency has been saved." in page.text
    assert ["North Youth Justice Service", "Youth justice", "Active"] in rows_of(page.text)
    row = await owner.fetchrow("SELECT * FROM agency WHERE name = 'North Youth Justice Service'")
    assert row["partnership_id"] == place.partnership.id
    assert row["active"] is True


MISTAKES = [
    ({"name": "   ", "agency_type": "police"}, "name", "Enter the agency&#39;s name"),
    ({"name": "North Probation", "agency_type": ""}, "agency_type", "Select the type of agency"),
    ({"name": "North Probation", "agency_type": "made_up"}, "agency_type", "Select the type of agency"),
    ({"name": "north police", "agency_type": "police"}, "name", "An agency with this name already exists"),
    ({"name": "N" * 121, "agency_type": "police"}, "name", "120 characters or fewer"),
]


async def test_each_mistake_is_shown_by_its_field_and_nothing_is_added(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    before = await owner.fetchval("SELECT count(*) FROM agency")
    failures = []
    for fields, field, message in MISTAKES:
        refused = await add(client, **fields)
        shown = (
            refused.status_code,
            "govuk-error-summary" in refused.text,
            f'href="#{field}"' in refused.text,
            message in refused.text,
        )
        if shown != (400, True, True, True):
            failures.append(f"{fields}: {shown}")
    assert failures == []
    assert await owner.fetchval("SELECT count(*) FROM agency") == before
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'agency_created'") == 2


async def test_an_agency_can_be_renamed_and_retyped(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    page = await client.get(f"/admin/agencies/{place.health.id}")
    assert page.status_code == 200
    saved = await save(
        client, place.health.id, page.text, name="North Mental Health Trust", agency_type="mental_health", active="yes"
    )
    assert saved.status_code == 303
    listing = await client.get(saved.headers["location"])
    assert ["North Mental Health Trust", "Mental health", "Active"] in rows_of(listing.text)
    assert "North Health<" not in listing.text

    # Renaming to another agency's name is refused.
    page = await client.get(f"/admin/agencies/{place.health.id}")
    clash = await save(client, place.health.id, page.text, name="North Police", agency_type="health", active="yes")
    assert clash.status_code == 400
    assert 'href="#name"' in clash.text
    assert await owner.fetchval("SELECT name FROM agency WHERE id = $1", place.health.id) == "North Mental Health Trust"


async def test_a_deactivated_agency_cannot_be_given_to_a_new_user(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    page = await client.get(f"/admin/agencies/{place.health.id}")
    saved = await save(client, place.health.id, page.text, name="North Health", agency_type="health")  # box unticked
    assert saved.status_code == 303
    assert ["North Health", "Health", "Deactivated"] in rows_of((await client.get("/admin/agencies")).text)

    form = await client.get("/admin/users/new")
    assert f'value="{place.health.id}"' not in form.text  # not offered
    users_before = await owner.fetchval("SELECT count(*) FROM app_user")
    refused = await client.post(
        "/admin/users",
        data={
            "name": "Hal Health",
            "email": "hal@north.example",
            "agency_id": str(place.health.id),
            "roles": "agency_member",
            "password": "a long enough passphrase",
            "csrf_token": factories.csrf_from(form.text),
        },
        follow_redirects=False,
    )
    assert refused.status_code == 400
    assert 'href="#agency_id"' in refused.text
    assert "This agency is deactivated" in refused.text
    assert await owner.fetchval("SELECT count(*) FROM app_user") == users_before


async def test_an_administrator_cannot_deactivate_their_own_agency(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    page = await client.get(f"/admin/agencies/{place.police.id}")
    refused = await save(client, place.police.id, page.text, name="North Police", agency_type="police")
    assert refused.status_code == 400
    assert 'href="#active"' in refused.text
    assert await owner.fetchval("SELECT active FROM agency WHERE id = $1", place.police.id) is True


async def test_a_save_from_a_stale_page_is_refused_with_the_current_values(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    stale = await client.get(f"/admin/agencies/{place.health.id}")
    first = await save(
        client, place.health.id, stale.text, name="North Health Trust", agency_type="health", active="yes"
    )
    assert first.status_code == 303

    second = await save(client, place.health.id, stale.text, name="North NHS", agency_type="mental_health")
    assert second.status_code == 409
    assert "Someone else changed this record" in second.text
    assert _NAME_INPUT.search(second.text).group(1) == "North Health Trust"  # type: ignore[union-attr]
    row = await owner.fetchrow("SELECT name, agency_type, active, version FROM agency WHERE id = $1", place.health.id)
    assert (row["name"], row["agency_type"], row["active"]) == ("North Health Trust", "health", True)
    assert _VERSION.search(second.text).group(1) == str(row["version"])  # type: ignore[union-attr]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'agency_updated' AND record_id = $1", str(place.health.id)
        )
        == 1
    )


async def test_another_partnerships_agencies_are_not_listed(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    # (Their agency pages answer 404: test_role_matrix.py checks that for every route.)
    south = await factories.partnership(owner, "south")
    await factories.agency(owner, south.id, "South Police")
    listing = await client.get("/admin/agencies")
    assert [row[0] for row in rows_of(listing.text)] == ["North Police", "North Health"]
    form = await client.get("/admin/users/new")
    assert "South Police" not in form.text

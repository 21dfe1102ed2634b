"""Building the accounts a test needs, through the same services the product uses."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import asyncpg
import httpx
from litestar.testing import AsyncTestClient

from pitstop.accounts import queries, service, tokens
from pitstop.accounts.models import Agency, NewPartnership, Partnership, Role, Scope, User
from pitstop.audit.service import Origin

PASSWORD = "correct horse battery staple"
CLI = Origin()


async def partnership(conn: asyncpg.Connection, slug: str = "northfield") -> Partnership:
    made, _ = await queries.ensure_partnership(
        conn,
        NewPartnership(slug=slug, name=f"{slug.title()} Partnership", council_area=slug.title(), police_force="Police"),
    )
    return made


async def agency(conn: asyncpg.Connection, partnership_id: int, name: str, agency_type: str = "police") -> Agency:
    return await service.create_agency(
        conn, actor=None, partnership_id=partnership_id, name=name, agency_type=agency_type, origin=CLI
    )


async def user(
    conn: asyncpg.Connection,
    partnership_id: int,
    agency_id: int,
    *roles: Role,
    email: str | None = None,
    name: str = "Alex Example",
    password: str = PASSWORD,
    must_change_password: bool = False,
) -> User:
    return await service.create_user(
        conn,
        actor=None,
        partnership_id=partnership_id,
        new=service.NewUser(
            email=email or f"{uuid.uuid4().hex[:10]}@northfield.example",
            name=name,
            agency_id=agency_id,
            roles=list(roles),
            password=password,
        ),
        origin=CLI,
        must_change_password=must_change_password,
    )


async def token(conn: asyncpg.Connection, user_id: int, *scopes: Scope, days: int = 90) -> str:
    made = await tokens.create(
        conn, actor=None, user_id=user_id, name="test system", scopes=list(scopes), days=days, origin=CLI
    )
    return made.secret


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


class Browsers:
    """Several people on one test client: each has their own cookie jar, swapped in by `use`.

    (The test client runs the app on its own event loop, so a second client cannot share it.)
    """

    def __init__(self, client: AsyncTestClient) -> None:
        self.client = client
        self.jars: dict[str, httpx.Cookies] = {}
        self.current: str | None = None

    def use(self, who: str) -> AsyncTestClient:
        if self.current is not None:
            self.jars[self.current] = self.client.cookies
        self.client.cookies = self.jars.get(who, httpx.Cookies())
        self.current = who
        return self.client

    async def sign_in(self, who: str, email: str, password: str = PASSWORD) -> AsyncTestClient:
        await sign_in(self.use(who), email, password)
        return self.client


async def sign_in(client: AsyncTestClient, email: str, password: str = PASSWORD) -> None:
    page = await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def form_token(client: AsyncTestClient, path: str = "/account") -> str:
    """The CSRF token a signed-in page carries."""
    page = await client.get(path)
    return csrf_from(page.text)


@dataclass(frozen=True)
class World:
    """Two partnerships; in each, two agencies and a user for every role."""

    partnerships: dict[str, Partnership]
    agencies: dict[str, Agency]
    users: dict[str, User]  # keyed "north.coordinator", "south.agency_member", ..., "north.target"


async def world(conn: asyncpg.Connection) -> World:
    partnerships, agencies, users = {}, {}, {}
    for place in ("north", "south"):
        p = await partnership(conn, place)
        partnerships[place] = p
        police = await agency(conn, p.id, f"{place.title()} Police", "police")
        social_care = await agency(conn, p.id, f"{place.title()} Children's Social Care", "childrens_social_care")
        agencies[f"{place}.police"], agencies[f"{place}.social_care"] = police, social_care
        for role in Role:
            home = police if role in (Role.COORDINATOR, Role.AGENCY_MEMBER) else social_care
            users[f"{place}.{role.value}"] = await user(
                conn, p.id, home.id, role, email=f"{role.value}@{place}.example", name=f"{place.title()} {role.label}"
            )
        # Someone for the others to administer, who never signs in.
        users[f"{place}.target"] = await user(
            conn, p.id, police.id, Role.AGENCY_MEMBER, email=f"target@{place}.example", name=f"{place.title()} Target"
        )
    return World(partnerships=partnerships, agencies=agencies, users=users)

"""API tokens: made on the admin page and shown once, stored only as a hash, never able to do more
than their user's roles allow, and refused (401) once expired, revoked or their user deactivated.

The role matrix (test_role_matrix.py) already checks who may reach the token pages at all.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import asyncpg
import pytest
from litestar import Litestar, Request, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Agency, Partnership, Role, Scope, User
from pitstop.web.auth import current_identity, signed_in
from tests import factories

_SECRET = re.compile(r'<code id="token-secret"[^>]*>([^<]+)</code>')
_VERSION = re.compile(r'name="version" value="(\d+)"')


@post("/api/v1/test-only/echo", guards=[signed_in], sync_to_thread=False)
def echo(request: Request[Any, Any, Any], data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    """A state-changing API route that exists only in these tests."""
    identity = current_identity(request)
    return {"user_id": identity.user_id, "auth": identity.method.value, "received": data}


@pytest.fixture
def app(app: Litestar) -> Litestar:
    app.register(echo)
    return app


class North:
    """One partnership with an agency and an administrator (built per test: hashing is slow)."""

    def __init__(self, partnership: Partnership, police: Agency, admin: User) -> None:
        self.partnership = partnership
        self.police = police
        self.admin = admin

    async def person(self, owner: asyncpg.Connection, *roles: Role, name: str = "Sam Person") -> User:
        return await factories.user(owner, self.partnership.id, self.police.id, *roles, name=name)


@pytest.fixture
async def north(owner: asyncpg.Connection) -> North:
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police")
    admin = await factories.user(owner, p.id, police.id, Role.ADMIN, name="Ada Admin")
    return North(p, police, admin)


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


async def as_system(client: AsyncTestClient, method: str, path: str, secret: str, **kwargs: Any) -> Any:
    """A call a system makes: its token in the header, and no cookies of anyone's browser."""
    saved = client.cookies
    client.cookies = type(saved)()
    try:
        return await client.request(method, path, headers=bearer(secret), follow_redirects=False, **kwargs)
    finally:
        client.cookies = saved


async def token_id(owner: asyncpg.Connection, secret: str) -> int:
    return await owner.fetchval(
        "SELECT id FROM api_token WHERE token_hash = $1", hashlib.sha256(secret.encode()).hexdigest()
    )


async def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    manager = await north.person(owner, Role.MANAGER, name="Mo Manager")
    await factories.sign_in(client, north.admin.email)
    form = await client.get("/admin/tokens/new")
    assert form.status_code == 200
    created = await client.post(
        "/admin/tokens",
        data={
            "user_id": str(manager.id),
            "name": "Northfield records system",
            "scopes": ["audit:read"],
            "days": "30",
            "csrf_token": factories.csrf_from(form.text),
        },
    )
    assert created.status_code == 200
    assert "It will not be shown again" in created.text
    found = _SECRET.search(created.text)
    assert found, "the new token's secret is on the page"
    secret = found.group(1)
    assert secret.startswith("pst_")
    assert len(secret) > 40

    # Never shown again: not on the list, not on the form.
    listing = await client.get("/admin/tokens")
    assert "Northfield records system" in listing.text
    assert secret[:10] in listing.text  # the prefix, to tell tokens apart
    assert secret not in listing.text
    assert secret not in (await client.get("/admin/tokens/new")).text

    # Not stored anywhere: only its SHA-256.
    rows = await owner.fetch("SELECT t::text AS row, token_hash FROM api_token t")
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in rows[0]["row"]
    assert secret[10:] not in rows[0]["row"]
    audit = await owner.fetchval("SELECT string_agg(e::text, ' ') FROM audit_event e")
    assert secret not in audit

    # And it works, as the manager, with exactly the scopes chosen.
    me = await as_system(client, "GET", "/api/v1/me", secret)
    assert me.status_code == 200
    body = me.json()
    assert body["user_id"] == manager.id
    assert body["auth"] == "token"
    assert body["scopes"] == ["audit:read"]
    assert body["roles"] == ["manager"]
    assert (await as_system(client, "GET", "/api/v1/audit-events", secret)).status_code == 200


async def test_the_list_shows_when_a_token_was_last_used(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    member = await north.person(owner, Role.AGENCY_MEMBER)
    secret = await factories.token(owner, member.id, Scope.ACTIONS_READ)
    assert await owner.fetchval("SELECT last_used_at FROM api_token") is None
    await factories.sign_in(client, north.admin.email)
    assert "Never" in (await client.get("/admin/tokens")).text

    assert (await as_system(client, "GET", "/api/v1/me", secret)).status_code == 200

    assert await owner.fetchval("SELECT last_used_at FROM api_token") is not None
    assert "Never" not in (await client.get("/admin/tokens")).text


async def test_the_audit_api_needs_the_audit_scope_and_the_manager_role(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    manager = await north.person(owner, Role.MANAGER)
    without_scope = await factories.token(owner, manager.id, Scope.ACTIONS_READ)
    with_scope = await factories.token(owner, manager.id, Scope.AUDIT_READ)

    assert (await as_system(client, "GET", "/api/v1/me", without_scope)).status_code == 200
    refused = await as_system(client, "GET", "/api/v1/audit-events", without_scope)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await as_system(client, "GET", "/api/v1/audit-events", with_scope)).status_code == 200


async def test_a_token_cannot_be_given_a_scope_its_users_roles_do_not_allow(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    member = await north.person(owner, Role.AGENCY_MEMBER, name="Mel Member")
    await factories.sign_in(client, north.admin.email)
    form = await client.get("/admin/tokens/new")
    refused = await client.post(
        "/admin/tokens",
        data={
            "user_id": str(member.id),
            "name": "Sneaky system",
            "scopes": ["actions:read", "audit:read"],
            "days": "30",
            "csrf_token": factories.csrf_from(form.text),
        },
    )
    assert refused.status_code == 400
    assert "govuk-error-summary" in refused.text
    assert 'href="#scopes"' in refused.text
    assert "audit:read" in refused.text
    assert _SECRET.search(refused.text) is None
    assert await owner.fetchval("SELECT count(*) FROM api_token") == 0
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'token_created'") == 0


async def test_a_token_loses_what_its_user_loses(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    manager = await north.person(owner, Role.MANAGER, name="Mo Manager")
    secret = await factories.token(owner, manager.id, Scope.AUDIT_READ)
    assert (await as_system(client, "GET", "/api/v1/audit-events", secret)).status_code == 200

    # An administrator takes the manager role away.
    await factories.sign_in(client, north.admin.email)
    page = await client.get(f"/admin/users/{manager.id}")
    saved = await client.post(
        f"/admin/users/{manager.id}",
        data={
            "name": manager.name,
            "agency_id": str(manager.agency_id),
            "roles": ["coordinator"],
            "version": _VERSION.search(page.text).group(1),  # type: ignore[union-attr]
            "csrf_token": factories.csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303

    assert (await as_system(client, "GET", "/api/v1/audit-events", secret)).status_code == 403
    me = await as_system(client, "GET", "/api/v1/me", secret)
    assert me.json()["roles"] == ["coordinator"]


async def test_an_expired_token_is_refused(client: AsyncTestClient, north: North, owner: asyncpg.Connection) -> None:
    member = await north.person(owner, Role.AGENCY_MEMBER)
    secret = await factories.token(owner, member.id, Scope.ACTIONS_READ)
    await owner.execute(
        "UPDATE api_token SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'"
    )
    response = await as_system(client, "GET", "/api/v1/me", secret)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_revoked_token_is_refused_and_listed_as_revoked(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    member = await north.person(owner, Role.AGENCY_MEMBER)
    secret = await factories.token(owner, member.id, Scope.ACTIONS_READ)
    assert (await as_system(client, "GET", "/api/v1/me", secret)).status_code == 200
    await factories.sign_in(client, north.admin.email)
    listing = await client.get("/admin/tokens")
    ident = await token_id(owner, secret)
    assert f'action="/admin/tokens/{ident}/revoke"' in listing.text
    assert "Revoked" not in listing.text

    revoked = await client.post(
        f"/admin/tokens/{ident}/revoke",
        data={"csrf_token": factories.csrf_from(listing.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    after = await client.get(revoked.headers["location"])
    assert "The token has been revoked." in after.text
    assert ">Revoked<" in after.text
    assert f'action="/admin/tokens/{ident}/revoke"' not in after.text  # nothing left to revoke

    response = await as_system(client, "GET", "/api/v1/me", secret)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert await owner.fetchval("SELECT revoked_by FROM api_token WHERE id = $1", ident) == north.admin.id


async def test_a_deactivated_users_token_is_refused(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    member = await north.person(owner, Role.AGENCY_MEMBER)
    secret = await factories.token(owner, member.id, Scope.ACTIONS_READ)
    assert (await as_system(client, "GET", "/api/v1/me", secret)).status_code == 200
    await owner.execute("UPDATE app_user SET active = false, deactivated_at = now() WHERE id = $1", member.id)
    response = await as_system(client, "GET", "/api/v1/me", secret)
    assert response.status_code == 401
    assert "www-authenticate" in response.headers


MALFORMED = [
    "Basic YWRtaW46YWRtaW4=",
    "Bearer",
    "Token pst_abcdefabcdefabcdef",
    "pst_abcdefabcdefabcdef",
    "Bearer pst_not-a-token-we-issued",
    "Bearer not-even-our-prefix",
]


async def test_a_malformed_or_unknown_authorization_header_is_401(client: AsyncTestClient) -> None:
    failures = []
    for authorization in MALFORMED:
        response = await client.get("/api/v1/me", headers={"authorization": authorization})
        answer = (
            response.status_code,
            response.headers.get("content-type"),
            response.headers.get("www-authenticate", "(none)").split("=")[0],
        )
        if answer != (401, "application/problem+json", "Bearer error"):
            failures.append(f"{authorization!r}: {answer}")
    assert failures == []


async def test_a_bad_token_is_refused_even_beside_a_good_session(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.admin.email)
    assert (await client.get("/api/v1/me")).status_code == 200
    response = await client.get("/api/v1/me", headers={"authorization": "Bearer pst_forged-or-revoked"})
    assert response.status_code == 401


async def test_token_requests_need_no_csrf_token_but_cookie_requests_do(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    coordinator = await north.person(owner, Role.COORDINATOR)
    secret = await factories.token(owner, coordinator.id, Scope.NOTIFICATIONS_WRITE)

    by_token = await as_system(client, "POST", "/api/v1/test-only/echo", secret, json={"n": 1})
    assert by_token.status_code == 201
    assert by_token.json() == {"user_id": coordinator.id, "auth": "token", "received": {"n": 1}}

    await factories.sign_in(client, coordinator.email)
    no_csrf = await client.post("/api/v1/test-only/echo", json={"n": 2})
    assert no_csrf.status_code == 403
    wrong_csrf = await client.post("/api/v1/test-only/echo", json={"n": 2}, headers={"x-csrf-token": "0" * 64})
    assert wrong_csrf.status_code == 403
    with_csrf = await client.post(
        "/api/v1/test-only/echo", json={"n": 3}, headers={"x-csrf-token": await factories.form_token(client)}
    )
    assert with_csrf.status_code == 201
    assert with_csrf.json() == {"user_id": coordinator.id, "auth": "session", "received": {"n": 3}}


async def test_another_partnerships_token_cannot_be_revoked_or_seen(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    south = await factories.partnership(owner, "south")
    south_police = await factories.agency(owner, south.id, "South Police")
    south_member = await factories.user(owner, south.id, south_police.id, Role.AGENCY_MEMBER)
    secret = await factories.token(owner, south_member.id, Scope.ACTIONS_READ)
    theirs = await token_id(owner, secret)

    await factories.sign_in(client, north.admin.email)
    listing = await client.get("/admin/tokens")
    assert secret[:10] not in listing.text
    refused = await client.post(
        f"/admin/tokens/{theirs}/revoke",
        data={"csrf_token": factories.csrf_from(listing.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert await owner.fetchval("SELECT revoked_at FROM api_token WHERE id = $1", theirs) is None
    assert (await as_system(client, "GET", "/api/v1/me", secret)).status_code == 200

    # Nor can a token be made that acts as one of their people.
    form = await client.get("/admin/tokens/new")
    assert f'value="{south_member.id}"' not in form.text
    made = await client.post(
        "/admin/tokens",
        data={
            "user_id": str(south_member.id),
            "name": "Borrowed identity",
            "scopes": ["actions:read"],
            "days": "30",
            "csrf_token": factories.csrf_from(form.text),
        },
    )
    assert made.status_code == 400
    assert 'href="#user_id"' in made.text
    assert _SECRET.search(made.text) is None
    assert await owner.fetchval("SELECT count(*) FROM api_token") == 1


async def test_a_tampered_token_id_or_user_id_is_refused_not_a_server_error(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    huge = "99999999999999999999"
    await factories.sign_in(client, north.admin.email)
    form = await client.get("/admin/tokens/new")
    made = await client.post(
        "/admin/tokens",
        data={
            "user_id": huge,
            "name": "x",
            "scopes": ["actions:read"],
            "days": "30",
            "csrf_token": factories.csrf_from(form.text),
        },
    )
    revoke = await client.post(f"/admin/tokens/{huge}/revoke", data={"csrf_token": factories.csrf_from(form.text)})
    assert made.status_code == 400
    assert revoke.status_code in (400, 404, 422)


async def test_a_token_cannot_sign_out_or_keep_a_session_alive(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    """Those routes are about a browser's session; a system's token has none to end or extend."""
    member = await north.person(owner, Role.AGENCY_MEMBER)
    secret = await factories.token(owner, member.id, Scope.ACTIONS_READ)
    signed_out = await as_system(client, "POST", "/sign-out", secret)
    kept_alive = await as_system(client, "POST", "/session/keep-alive", secret)
    assert signed_out.status_code in (401, 403)
    assert kept_alive.status_code in (401, 403)
    # And the trail does not claim a sign-out that never happened.
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'sign_out'") == 0

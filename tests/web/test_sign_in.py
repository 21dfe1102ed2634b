"""Signing in and out: sessions, their rotation and timeouts, throttling, CSRF, initial passwords."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts import sessions, signin
from pitstop.accounts.models import Role, User
from pitstop.audit.service import Origin
from pitstop.db.pool import connect
from tests import factories
from tests.conftest import TestDatabase

COOKIE = sessions.COOKIE


@pytest.fixture
async def coordinator(owner: asyncpg.Connection) -> User:
    p = await factories.partnership(owner)
    police = await factories.agency(owner, p.id, "Northfield Constabulary")
    return await factories.user(owner, p.id, police.id, Role.COORDINATOR, email="casey@northfield.example")


async def post_sign_in(client: AsyncTestClient, email: str, password: str, next_: str = "/") -> object:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"email": email, "password": password, "next": next_, "csrf_token": factories.csrf_from(page.text)},
        follow_redirects=False,
    )


def set_cookie_headers(response: object) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k == "set-cookie"]  # type: ignore[attr-defined]


async def test_sign_in_sets_a_host_only_secure_http_only_cookie(client: AsyncTestClient, coordinator: User) -> None:
    response = await post_sign_in(client, coordinator.email, factories.PASSWORD)
    assert response.status_code == 303
    session_cookie = next(h for h in set_cookie_headers(response) if h.startswith(COOKIE + "="))
    attributes = {part.strip().split("=")[0].lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= attributes
    assert "samesite=lax" in session_cookie.lower()
    assert "path=/" in session_cookie.lower()
    assert "domain" not in attributes  # __Host- cookies must not name a domain
    # Signed in: the account page shows who.
    assert coordinator.name in (await client.get("/account")).text


async def test_only_a_hash_of_the_session_token_is_stored(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, coordinator.email)
    token = client.cookies[COOKIE]
    stored = await owner.fetchval("SELECT token_hash FROM web_session WHERE user_id = $1", coordinator.id)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert await owner.fetchval("SELECT count(*) FROM web_session WHERE token_hash = $1", token) == 0


async def test_a_planted_cookie_does_not_survive_sign_in(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    # An attacker signs in as themselves and plants their session cookie in the victim's browser.
    p = await owner.fetchval("SELECT partnership_id FROM app_user WHERE id = $1", coordinator.id)
    attacker = await factories.user(owner, p, coordinator.agency_id, Role.AGENCY_MEMBER, email="mallory@north.example")
    await factories.sign_in(client, attacker.email)
    planted = client.cookies[COOKIE]
    client.cookies.clear()
    client.cookies.set(COOKIE, planted, domain="pitstop.test")

    # The victim signs in in that browser.
    await factories.sign_in(client, coordinator.email)
    assert client.cookies[COOKIE] != planted
    assert coordinator.name in (await client.get("/account")).text
    # The planted session is gone: it opens nothing, and never became the victim's.
    assert (
        await owner.fetchval("SELECT count(*) FROM web_session WHERE token_hash = $1", sessions.hash_token(planted))
        == 0
    )
    client.cookies.clear()
    client.cookies.set(COOKIE, planted, domain="pitstop.test")
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


async def test_sign_out_ends_the_session_on_the_server(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, coordinator.email)
    old = client.cookies[COOKIE]
    token = await factories.form_token(client)
    response = await client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?signed_out=1"
    assert any(h.startswith(COOKIE + "=") and "max-age=0" in h.lower() for h in set_cookie_headers(response))
    # Even someone who kept a copy of the cookie cannot use it.
    client.cookies.clear()
    client.cookies.set(COOKIE, old, domain="pitstop.test")
    assert (await client.get("/account", follow_redirects=False)).status_code == 303
    assert await owner.fetchval("SELECT count(*) FROM web_session WHERE user_id = $1", coordinator.id) == 0
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'sign_out'") == 1


async def test_an_idle_session_ends_and_the_sign_in_page_says_why(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, coordinator.email)
    await owner.execute("UPDATE web_session SET last_seen_at = now() - interval '31 minutes'")
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert "expired=1" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "You were signed out because you had not used Pitstop for a while" in page.text
    assert await owner.fetchval("SELECT count(*) FROM web_session") == 0
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'session_expired' AND user_id = $1", coordinator.id
        )
        == 1
    )


async def test_a_session_ends_after_its_absolute_lifetime_however_busy(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, coordinator.email)
    assert (await client.get("/account", follow_redirects=False)).status_code == 200
    await owner.execute("UPDATE web_session SET expires_at = now() - interval '1 second', last_seen_at = now()")
    assert (await client.get("/account", follow_redirects=False)).status_code == 303


async def test_sessions_last_twelve_hours_at_most(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, coordinator.email)
    lifetime = await owner.fetchval("SELECT expires_at - created_at FROM web_session")
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12, seconds=5)


async def test_pages_carry_the_idle_deadline_and_keep_alive_extends_it(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, coordinator.email)
    await owner.execute("UPDATE web_session SET last_seen_at = now() - interval '20 minutes'")
    page = await client.get("/account")
    assert 'name="pitstop-idle-seconds" content="1' in page.text  # about 1800 seconds left
    token = factories.csrf_from(page.text)
    before = await owner.fetchval("SELECT last_seen_at FROM web_session")
    response = await client.post("/session/keep-alive", headers={"X-CSRF-Token": token})
    assert response.status_code == 201
    deadline = datetime.fromisoformat(response.json()["idle_deadline"])
    assert deadline > datetime.now(UTC) + timedelta(minutes=29)
    assert 29 * 60 < response.json()["idle_seconds"] <= 30 * 60
    assert await owner.fetchval("SELECT last_seen_at FROM web_session") > before


async def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: AsyncTestClient, coordinator: User
) -> None:
    wrong = await post_sign_in(client, coordinator.email, "not the password at all")
    unknown = await post_sign_in(client, "nobody@northfield.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        assert "Enter a correct email address and password" in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")
    assert wrong.text.replace(coordinator.email, "E") == unknown.text.replace("nobody@northfield.example", "E")


async def test_a_deactivated_user_cannot_sign_in(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    await owner.execute("UPDATE app_user SET active = false WHERE id = $1", coordinator.id)
    response = await post_sign_in(client, coordinator.email, factories.PASSWORD)
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text


async def test_repeated_failures_lock_the_account_for_a_while(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    for _ in range(signin.MAX_FAILURES_PER_ACCOUNT):
        assert (await post_sign_in(client, coordinator.email, "guess guess guess")).status_code == 400
    # Now even the right password is refused, without saying whether it was right.
    locked = await post_sign_in(client, coordinator.email, factories.PASSWORD)
    assert locked.status_code == 429
    assert "too many attempts" in locked.text
    assert await owner.fetchval("SELECT count(*) FROM web_session") == 0
    # The window passes: the right password works again.
    await owner.execute("UPDATE sign_in_attempt SET attempted_at = attempted_at - interval '16 minutes'")
    assert (await post_sign_in(client, coordinator.email, factories.PASSWORD)).status_code == 303


async def test_an_unknown_account_is_throttled_like_a_known_one(client: AsyncTestClient, coordinator: User) -> None:
    for _ in range(signin.MAX_FAILURES_PER_ACCOUNT):
        await post_sign_in(client, "nobody@northfield.example", "guess guess guess")
    assert (await post_sign_in(client, "nobody@northfield.example", "guess guess guess")).status_code == 429


async def test_one_client_address_is_throttled_across_accounts(database: TestDatabase, coordinator: User) -> None:
    # Counts live in PostgreSQL, so this holds however many app processes answer.
    conn = await connect(database.app_url)
    try:
        attacker = Origin(client_addr="192.0.2.66")
        for n in range(signin.MAX_FAILURES_PER_CLIENT):
            result = await signin.sign_in(
                conn,
                email=f"guess{n}@northfield.example",
                password="guess guess guess",
                secret_key="k" * 40,
                policy=sessions.SessionPolicy(),
                origin=attacker,
            )
            assert result.outcome is signin.Outcome.INVALID
        blocked = await signin.sign_in(
            conn,
            email=coordinator.email,
            password=factories.PASSWORD,
            secret_key="k" * 40,
            policy=sessions.SessionPolicy(),
            origin=attacker,
        )
        assert blocked.outcome is signin.Outcome.THROTTLED
        elsewhere = await signin.sign_in(
            conn,
            email=coordinator.email,
            password=factories.PASSWORD,
            secret_key="k" * 40,
            policy=sessions.SessionPolicy(),
            origin=Origin(client_addr="198.51.100.7"),
        )
        assert elsewhere.outcome is signin.Outcome.SIGNED_IN
    finally:
        await conn.close()


async def test_typed_email_addresses_are_not_stored(client: AsyncTestClient, owner: asyncpg.Connection) -> None:
    await post_sign_in(client, "someone.private@example.com", "guess guess guess")
    attempts = await owner.fetch("SELECT * FROM sign_in_attempt")
    assert attempts
    assert "someone.private" not in str([dict(r) for r in attempts])
    assert "someone.private" not in str([dict(r) for r in await owner.fetch("SELECT * FROM audit_event")])


async def test_an_initial_password_must_be_changed_before_anything_else(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    p = await factories.partnership(owner)
    police = await factories.agency(owner, p.id, "Police")
    new = await factories.user(owner, p.id, police.id, Role.MANAGER, must_change_password=True)
    response = await post_sign_in(client, new.email, factories.PASSWORD, next_="/audit")
    assert response.headers["location"] == "/account/password"
    for path in ("/audit", "/account", "/"):
        blocked = await client.get(path, follow_redirects=False)
        if path == "/":
            continue  # the home page is public
        assert blocked.status_code == 303
        assert blocked.headers["location"] == "/account/password"
    assert (await client.get("/api/v1/me")).status_code == 403

    page = await client.get("/account/password")
    assert "Choose a new password" in page.text
    weak = await client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "short",
            "confirmation": "short",
            "csrf_token": factories.csrf_from(page.text),
        },
    )
    assert weak.status_code == 400
    assert "govuk-error-summary" in weak.text
    assert 'href="#new_password"' in weak.text
    changed = await client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "a much better passphrase",
            "confirmation": "a much better passphrase",
            "csrf_token": factories.csrf_from(weak.text),
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert (await client.get("/audit")).status_code == 200
    assert await owner.fetchval("SELECT must_change_password FROM app_user WHERE id = $1", new.id) is False


async def test_changing_your_password_signs_you_out_everywhere_else(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    people = factories.Browsers(client)
    await people.sign_in("laptop", coordinator.email)
    await people.sign_in("phone", coordinator.email)
    laptop = people.use("laptop")
    old_cookie = laptop.cookies[COOKIE]
    token = await factories.form_token(laptop, "/account/password")
    response = await laptop.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "another good passphrase",
            "confirmation": "another good passphrase",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert laptop.cookies[COOKIE] != old_cookie  # a new session id for this browser too
    assert (await laptop.get("/account", follow_redirects=False)).status_code == 200
    phone = people.use("phone")
    assert (await phone.get("/account", follow_redirects=False)).status_code == 303
    assert await owner.fetchval("SELECT count(*) FROM web_session WHERE user_id = $1", coordinator.id) == 1


@pytest.mark.parametrize("token", [None, "", "forged-token", "other-session"])
async def test_a_post_without_the_right_csrf_token_is_refused(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection, token: str | None
) -> None:
    if token == "other-session":
        people = factories.Browsers(client)
        await people.sign_in("other", coordinator.email)
        token = await factories.form_token(people.use("other"))
        await people.sign_in("me", coordinator.email)
    else:
        await factories.sign_in(client, coordinator.email)
    data = {
        "current_password": factories.PASSWORD,
        "new_password": "hijacked passphrase here",
        "confirmation": "hijacked passphrase here",
    }
    if token is not None:
        data["csrf_token"] = token
    response = await client.post("/account/password", data=data)
    assert response.status_code == 403
    assert "The form had expired or did not come from Pitstop" in response.text or "permission" in response.text
    # Nothing changed.
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'password_changed'") == 0


async def test_htmx_requests_send_the_token_in_a_header(client: AsyncTestClient, coordinator: User) -> None:
    await factories.sign_in(client, coordinator.email)
    page = await client.get("/account")
    assert 'hx-headers=\'{"X-CSRF-Token": "' in page.text
    token = factories.csrf_from(page.text)
    assert (await client.post("/session/keep-alive", headers={"X-CSRF-Token": token})).status_code == 201
    assert (await client.post("/session/keep-alive", headers={"X-CSRF-Token": token[:-2] + "xx"})).status_code == 403


async def test_the_sign_in_form_itself_needs_its_csrf_cookie(client: AsyncTestClient, coordinator: User) -> None:
    page = await client.get("/sign-in")
    token = factories.csrf_from(page.text)
    client.cookies.clear()  # a forged cross-site form has the token from elsewhere but not our cookie
    response = await client.post(
        "/sign-in", data={"email": coordinator.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("next_", "lands"),
    [("/account", "/account"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/audit?x=1", "/audit?x=1")],
)
async def test_after_sign_in_you_return_to_where_you_were_on_this_site_only(
    client: AsyncTestClient, coordinator: User, next_: str, lands: str
) -> None:
    response = await post_sign_in(client, coordinator.email, factories.PASSWORD, next_=next_)
    assert response.headers["location"] == lands


async def test_a_protected_page_sends_you_to_sign_in_and_back(client: AsyncTestClient, coordinator: User) -> None:
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Faccount"


async def test_the_api_answers_401_without_credentials(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_expired_sessions_are_purged(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection, database: TestDatabase
) -> None:
    people = factories.Browsers(client)
    await people.sign_in("left at home", coordinator.email)
    await people.sign_in("in use", coordinator.email)
    await owner.execute(
        "UPDATE web_session SET last_seen_at = now() - interval '2 hours' WHERE token_hash <> $1",
        sessions.hash_token(client.cookies[COOKIE]),
    )
    conn = await connect(database.app_url)  # as the app's housekeeping task does it
    try:
        assert await sessions.purge(conn, sessions.SessionPolicy()) == 1
    finally:
        await conn.close()
    assert await owner.fetchval("SELECT count(*) FROM web_session") == 1


async def test_a_failed_attempt_keeps_where_you_were_going(client: AsyncTestClient, coordinator: User) -> None:
    failed = await post_sign_in(client, coordinator.email, "wrong wrong wrong", next_="/account")
    assert 'name="next" value="/account"' in failed.text
    response = await client.post(
        "/sign-in",
        data={
            "email": coordinator.email,
            "password": factories.PASSWORD,
            "next": "/account",
            "csrf_token": factories.csrf_from(failed.text),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/account"


async def test_a_hash_made_with_other_parameters_still_works_and_is_upgraded(
    client: AsyncTestClient, coordinator: User, owner: asyncpg.Connection
) -> None:
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=4).hash(factories.PASSWORD)
    await owner.execute("UPDATE app_user SET password_hash = $2 WHERE id = $1", coordinator.id, old)
    assert (await post_sign_in(client, coordinator.email, factories.PASSWORD)).status_code == 303
    upgraded = await owner.fetchval("SELECT password_hash FROM app_user WHERE id = $1", coordinator.id)
    assert upgraded != old
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=1$")

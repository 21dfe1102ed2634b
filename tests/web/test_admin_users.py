"""Administering users on the admin pages: creating them with an initial password, field errors,
role changes that sign them out, deactivation, password resets, ending sessions, the guards against
locking yourself out, and two administrators editing the same person at once.

Who may reach these pages at all is test_role_matrix.py's job; sign-in itself is test_sign_in.py's.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Agency, Partnership, Role, Scope, User
from pitstop.accounts.sessions import COOKIE
from tests import factories

_VERSION = re.compile(r'name="version" value="(\d+)"')
_NAME_INPUT = re.compile(r'id="name" name="name" type="text" value="([^"]*)"')
NEW_PASSWORD = "a fresh initial passphrase"


class Place:
    def __init__(self, partnership: Partnership, police: Agency, admin: User) -> None:
        self.partnership = partnership
        self.police = police
        self.admin = admin


@pytest.fixture
async def place(owner: asyncpg.Connection) -> Place:
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police")
    admin = await factories.user(owner, p.id, police.id, Role.ADMIN, name="Ada Admin", email="ada@north.example")
    return Place(p, police, admin)


@pytest.fixture
async def target(owner: asyncpg.Connection, place: Place) -> User:
    return await factories.user(
        owner, place.partnership.id, place.police.id, Role.AGENCY_MEMBER, name="Tam Target", email="tam@north.example"
    )


def version_on(html: str) -> str:
    found = _VERSION.search(html)
    assert found, "the page has no version field"
    return found.group(1)


async def edit(client: AsyncTestClient, user: User, page_html: str, **changes: Any) -> Any:
    """Submit the user form as loaded in `page_html`, with `changes` applied."""
    data: dict[str, Any] = {
        "name": user.name,
        "agency_id": str(user.agency_id),
        "roles": [r.value for r in user.roles],
        "version": version_on(page_html),
        "csrf_token": factories.csrf_from(page_html),
    }
    data.update(changes)
    return await client.post(f"/admin/users/{user.id}", data=data, follow_redirects=False)


async def post_form(client: AsyncTestClient, path: str, page_html: str, **fields: str) -> Any:
    return await client.post(
        path, data={"csrf_token": factories.csrf_from(page_html), **fields}, follow_redirects=False
    )


async def is_signed_in(client: AsyncTestClient) -> bool:
    response = await client.get("/account", follow_redirects=False)
    if response.status_code == 200:
        return True
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    return False


async def sign_in_answer(client: AsyncTestClient, email: str, password: str) -> Any:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": factories.csrf_from(page.text)},
        follow_redirects=False,
    )


async def audit_rows(owner: asyncpg.Connection, action: str, record_id: int) -> list[asyncpg.Record]:
    return await owner.fetch(
        "SELECT * FROM audit_event WHERE action = $1 AND record_type = 'user' AND record_id = $2 ORDER BY id",
        action,
        str(record_id),
    )


async def test_a_new_user_must_choose_their_own_password_before_anything_else(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    people = factories.Browsers(client)
    admin = await people.sign_in("admin", place.admin.email)
    form = await admin.get("/admin/users/new")
    assert form.status_code == 200
    created = await post_form(
        admin,
        "/admin/users",
        form.text,
        name="Nia New",
        email="  Nia.New@North.Example ",
        agency_id=str(place.police.id),
        roles=["coordinator", "manager"],  # type: ignore[arg-type]
        password=NEW_PASSWORD,
    )
    assert created.status_code == 303
    row = await owner.fetchrow("SELECT * FROM app_user WHERE email = 'nia.new@north.example'")
    assert row is not None
    assert created.headers["location"] == f"/admin/users/{row['id']}?done=created"
    assert row["name"] == "Nia New"
    assert row["roles"] == ["coordinator", "manager"]
    assert row["agency_id"] == place.police.id
    assert row["partnership_id"] == place.partnership.id
    assert row["must_change_password"] is True
    assert NEW_PASSWORD not in row["password_hash"]
    listing = await admin.get("/admin/users")
    assert "Nia New" in listing.text
    assert "Must change password" in listing.text

    # They sign in with the initial password, and can do nothing but change it.
    new = people.use("new")
    signed_in = await sign_in_answer(new, "nia.new@north.example", NEW_PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account/password"
    account = await new.get("/account", follow_redirects=False)
    assert account.status_code == 303
    assert account.headers["location"] == "/account/password"
    assert (await new.get("/audit", follow_redirects=False)).headers["location"] == "/account/password"
    assert (await new.get("/api/v1/me")).status_code == 403

    page = await new.get("/account/password")
    changed = await post_form(
        new,
        "/account/password",
        page.text,
        current_password=NEW_PASSWORD,
        new_password="my very own passphrase",
        confirmation="my very own passphrase",
    )
    assert changed.status_code == 303
    assert (await new.get("/account", follow_redirects=False)).status_code == 200
    assert (await new.get("/api/v1/me")).json()["roles"] == ["coordinator", "manager"]


async def test_a_form_with_mistakes_shows_each_one_and_saves_nothing(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, place.admin.email)
    users_before = await owner.fetchval("SELECT count(*) FROM app_user")
    audit_before = await owner.fetchval("SELECT count(*) FROM audit_event")
    form = await client.get("/admin/users/new")
    response = await post_form(
        client, "/admin/users", form.text, name="  ", email="not-an-email", agency_id="", password="short"
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert response.text.count("<title>Error: ") == 1
    for field in ("name", "email", "agency_id", "roles", "password"):
        assert f'href="#{field}"' in response.text, field
        assert f'id="{field}-error"' in response.text, field
    assert "Enter an email address in the correct format" in response.text
    assert 'value="not-an-email"' in response.text  # what they typed is kept, except the password
    assert 'value="short"' not in response.text
    assert await owner.fetchval("SELECT count(*) FROM app_user") == users_before
    assert await owner.fetchval("SELECT count(*) FROM audit_event") == audit_before


async def test_an_email_address_already_in_use_is_refused(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, place.admin.email)
    users_before = await owner.fetchval("SELECT count(*) FROM app_user")
    form = await client.get("/admin/users/new")
    response = await post_form(
        client,
        "/admin/users",
        form.text,
        name="Someone Else",
        email="TAM@north.example",
        agency_id=str(place.police.id),
        roles="agency_member",
        password=NEW_PASSWORD,
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert 'href="#email"' in response.text
    assert "A user with this email address already exists" in response.text
    assert await owner.fetchval("SELECT count(*) FROM app_user") == users_before
    assert await owner.fetchval("SELECT name FROM app_user WHERE id = $1", target.id) == "Tam Target"


async def test_changing_roles_signs_the_user_out_everywhere_but_a_new_name_does_not(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    people = factories.Browsers(client)
    await people.sign_in("target laptop", target.email)
    await people.sign_in("target phone", target.email)
    admin = await people.sign_in("admin", place.admin.email)

    page = await admin.get(f"/admin/users/{target.id}")
    assert "Signed in on 2 browsers" in page.text
    renamed = await edit(admin, target, page.text, name="Tam Renamed")
    assert renamed.status_code == 303
    for device in ("target laptop", "target phone"):
        assert await is_signed_in(people.use(device)), device
    [row] = await audit_rows(owner, "user_updated", target.id)
    assert row["detail"]["roles_changed"] is False

    admin = people.use("admin")
    page = await admin.get(f"/admin/users/{target.id}")
    promoted = await edit(admin, target, page.text, name="Tam Renamed", roles=["agency_member", "coordinator"])
    assert promoted.status_code == 303
    assert await owner.fetchval("SELECT roles FROM app_user WHERE id = $1", target.id) == [
        "coordinator",
        "agency_member",
    ]
    for device in ("target laptop", "target phone"):
        assert not await is_signed_in(people.use(device)), device
    rows = await audit_rows(owner, "user_updated", target.id)
    assert len(rows) == 2
    assert rows[1]["detail"]["roles_changed"] is True
    assert rows[1]["detail"]["sessions_ended"] == 2
    assert rows[1]["detail"]["roles"] == ["coordinator", "agency_member"]
    # The administrator was not signed out by changing someone else.
    assert await is_signed_in(people.use("admin"))


async def test_a_deactivated_user_is_signed_out_cannot_sign_in_and_their_tokens_stop(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    secret = await factories.token(owner, target.id, Scope.ACTIONS_READ)
    people = factories.Browsers(client)
    await people.sign_in("target", target.email)
    admin = await people.sign_in("admin", place.admin.email)

    page = await admin.get(f"/admin/users/{target.id}")
    deactivated = await post_form(
        admin, f"/admin/users/{target.id}/deactivate", page.text, version=version_on(page.text)
    )
    assert deactivated.status_code == 303
    after = await admin.get(deactivated.headers["location"])
    assert "The user has been deactivated and signed out." in after.text
    assert "Reactivate user" in after.text
    assert await owner.fetchval("SELECT active FROM app_user WHERE id = $1", target.id) is False

    anyone = people.use("target")
    assert not await is_signed_in(anyone)
    refused = await sign_in_answer(anyone, target.email, factories.PASSWORD)
    wrong = await sign_in_answer(anyone, target.email, "not the password at all")
    assert refused.status_code == wrong.status_code == 400
    assert "Enter a correct email address and password" in refused.text
    assert refused.text == wrong.text  # nothing says the account exists but is switched off
    assert COOKIE not in refused.headers.get("set-cookie", "")

    people.use("system")
    assert (await client.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})).status_code == 401

    # Reactivated: they can sign in again.
    admin = people.use("admin")
    page = await admin.get(f"/admin/users/{target.id}")
    reactivated = await post_form(
        admin, f"/admin/users/{target.id}/reactivate", page.text, version=version_on(page.text)
    )
    assert reactivated.status_code == 303
    assert "The user has been reactivated." in (await admin.get(reactivated.headers["location"])).text
    back = people.use("target")
    assert (await sign_in_answer(back, target.email, factories.PASSWORD)).status_code == 303
    assert await is_signed_in(back)
    # ...but their old token stays dead: deactivation revoked it, it was not just paused.
    people.use("system")
    assert (await client.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})).status_code == 401
    assert await owner.fetchval("SELECT revoked_at IS NOT NULL FROM api_token WHERE user_id = $1", target.id)


async def test_a_password_reset_ends_their_sessions_and_they_must_change_it(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    people = factories.Browsers(client)
    await people.sign_in("target", target.email)
    admin = await people.sign_in("admin", place.admin.email)

    page = await admin.get(f"/admin/users/{target.id}")
    short = await post_form(admin, f"/admin/users/{target.id}/password", page.text, password="short")
    assert short.status_code == 400
    assert 'href="#password"' in short.text
    reset = await post_form(admin, f"/admin/users/{target.id}/password", page.text, password=NEW_PASSWORD)
    assert reset.status_code == 303
    assert "The password has been reset." in (await admin.get(reset.headers["location"])).text

    them = people.use("target")
    assert not await is_signed_in(them)
    assert (await sign_in_answer(them, target.email, factories.PASSWORD)).status_code == 400
    with_new = await sign_in_answer(them, target.email, NEW_PASSWORD)
    assert with_new.status_code == 303
    assert with_new.headers["location"] == "/account/password"
    assert (await them.get("/account", follow_redirects=False)).headers["location"] == "/account/password"


async def test_sign_out_everywhere_ends_every_session_of_that_user(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    people = factories.Browsers(client)
    await people.sign_in("target laptop", target.email)
    await people.sign_in("target phone", target.email)
    admin = await people.sign_in("admin", place.admin.email)

    page = await admin.get(f"/admin/users/{target.id}")
    assert "Signed in on 2 browsers" in page.text
    ended = await post_form(admin, f"/admin/users/{target.id}/sessions/end", page.text)
    assert ended.status_code == 303
    after = await admin.get(ended.headers["location"])
    assert "The user has been signed out everywhere." in after.text
    assert "Signed in on 0 browsers" in after.text
    for device in ("target laptop", "target phone"):
        assert not await is_signed_in(people.use(device)), device
    assert await is_signed_in(people.use("admin"))
    [row] = await audit_rows(owner, "user_sessions_ended", target.id)
    assert row["detail"] == {"sessions_ended": 2}


async def test_an_administrator_cannot_lock_themselves_out(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, place.admin.email)
    me = place.admin
    page = await client.get(f"/admin/users/{me.id}")

    deactivate = await post_form(client, f"/admin/users/{me.id}/deactivate", page.text, version=version_on(page.text))
    assert deactivate.status_code == 400
    assert "govuk-error-summary" in deactivate.text
    assert 'href="#active"' in deactivate.text
    assert "You cannot deactivate your own account" in deactivate.text

    demote = await edit(client, me, page.text, roles=["manager"])
    assert demote.status_code == 400
    assert 'href="#roles"' in demote.text
    assert "You cannot remove your own administrator role" in demote.text

    row = await owner.fetchrow("SELECT active, roles, version FROM app_user WHERE id = $1", me.id)
    assert row["active"] is True
    assert row["roles"] == ["admin"]
    assert row["version"] == me.version
    assert (await client.get("/admin/users")).status_code == 200


async def test_when_two_administrators_edit_the_same_user_the_second_is_told_and_nothing_is_lost(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    second_admin = await factories.user(
        owner, place.partnership.id, place.police.id, Role.ADMIN, name="Bo Admin", email="bo@north.example"
    )
    people = factories.Browsers(client)
    first = await people.sign_in("first", place.admin.email)
    first_page = await first.get(f"/admin/users/{target.id}")
    second = await people.sign_in("second", second_admin.email)
    second_page = await second.get(f"/admin/users/{target.id}")
    assert version_on(first_page.text) == version_on(second_page.text)

    saved = await edit(people.use("first"), target, first_page.text, name="Tam First")
    assert saved.status_code == 303

    lost = await edit(people.use("second"), target, second_page.text, name="Tam Second", roles=["manager"])
    assert lost.status_code == 409
    assert "Someone else changed this record" in lost.text
    assert "Your changes were not saved" in lost.text
    # The form now shows what is there, with the version to make the change again against.
    assert _NAME_INPUT.search(lost.text).group(1) == "Tam First"  # type: ignore[union-attr]
    current = await owner.fetchrow("SELECT name, roles, version FROM app_user WHERE id = $1", target.id)
    assert version_on(lost.text) == str(current["version"])
    assert current["name"] == "Tam First"
    assert current["roles"] == ["agency_member"]
    assert len(await audit_rows(owner, "user_updated", target.id)) == 1

    # Stale deactivation is refused the same way.
    stale = await post_form(
        people.use("second"),
        f"/admin/users/{target.id}/deactivate",
        second_page.text,
        version=version_on(second_page.text),
    )
    assert stale.status_code == 409
    assert await owner.fetchval("SELECT active FROM app_user WHERE id = $1", target.id) is True

    # Trying again from the refreshed form works.
    again = await edit(people.use("second"), target, lost.text, name="Tam Second")
    assert again.status_code == 303
    assert await owner.fetchval("SELECT name FROM app_user WHERE id = $1", target.id) == "Tam Second"


async def test_another_partnerships_people_and_agencies_are_out_of_reach(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    # (Their user pages answer 404: test_role_matrix.py checks that for every route.)
    south = await factories.partnership(owner, "south")
    theirs = await factories.agency(owner, south.id, "South Police")
    await factories.user(owner, south.id, theirs.id, Role.ADMIN, name="Sid Southern", email="sid@south.example")
    await factories.sign_in(client, place.admin.email)
    listing = await client.get("/admin/users")
    assert "Tam Target" in listing.text
    assert "Sid Southern" not in listing.text
    assert "sid@south.example" not in listing.text
    form = await client.get("/admin/users/new")
    assert "South Police" not in form.text
    created = await post_form(
        client,
        "/admin/users",
        form.text,
        name="Sly South",
        email="sly@north.example",
        agency_id=str(theirs.id),
        roles="agency_member",
        password=NEW_PASSWORD,
    )
    assert created.status_code == 400
    assert 'href="#agency_id"' in created.text
    page = await client.get(f"/admin/users/{target.id}")
    moved = await edit(client, target, page.text, agency_id=str(theirs.id))
    assert moved.status_code == 400
    assert 'href="#agency_id"' in moved.text
    assert await owner.fetchval("SELECT count(*) FROM app_user WHERE agency_id = $1", theirs.id) == 1  # Sid only


async def test_a_tampered_number_is_refused_not_a_server_error(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    """Form fields and addresses carry ids; one too big for PostgreSQL is still just a wrong id."""
    huge = "99999999999999999999"
    await factories.sign_in(client, place.admin.email)
    page = await client.get(f"/admin/users/{target.id}")
    failures = []
    new_user = {"name": "Nia New", "email": "nia@north.example", "roles": "agency_member", "password": NEW_PASSWORD}
    attempts: list[tuple[str, str, dict[str, Any], tuple[int, ...]]] = [
        ("POST", "/admin/users", {**new_user, "agency_id": huge}, (400,)),
        (
            "POST",
            f"/admin/users/{target.id}",
            {"name": "X Y", "agency_id": str(place.police.id), "version": huge},
            (400, 409),
        ),
        ("POST", f"/admin/users/{target.id}", {"name": "X Y", "agency_id": huge, "version": "1"}, (400,)),
        ("POST", f"/admin/users/{target.id}/deactivate", {"version": huge}, (400, 409)),
        ("GET", f"/admin/users/{huge}", {}, (400, 404, 422)),
        ("POST", f"/admin/users/{huge}/sessions/end", {}, (400, 404, 422)),
    ]
    for method, path, fields, expected in attempts:
        if method == "GET":
            response = await client.get(path, follow_redirects=False)
        else:
            fields = {"roles": "agency_member", **fields} if "agency_id" in fields else fields
            response = await post_form(client, path, page.text, **fields)
        if response.status_code not in expected:
            failures.append(f"{method} {path} {sorted(fields)}: {response.status_code}")
    assert failures == []
    row = await owner.fetchrow("SELECT name, active, version FROM app_user WHERE id = $1", target.id)
    assert (row["name"], row["active"], row["version"]) == (target.name, True, target.version)


async def test_someone_in_a_deactivated_agency_can_still_be_edited_but_no_one_moved_into_it(
    client: AsyncTestClient, place: Place, target: User, owner: asyncpg.Connection
) -> None:
    other = await factories.agency(owner, place.partnership.id, "North Housing", "housing")
    await owner.execute("UPDATE agency SET active = false WHERE id = $1", place.police.id)
    await owner.execute("UPDATE app_user SET agency_id = $2 WHERE id = $1", place.admin.id, other.id)
    await factories.sign_in(client, place.admin.email)
    page = await client.get(f"/admin/users/{target.id}")
    # Taking a role away from someone whose agency has closed must still be possible.
    saved = await edit(client, target, page.text, roles=["coordinator"])
    assert saved.status_code == 303
    assert await owner.fetchval("SELECT roles FROM app_user WHERE id = $1", target.id) == ["coordinator"]
    # But nobody can be moved into a closed agency.
    mover = await factories.user(owner, place.partnership.id, other.id, Role.AGENCY_MEMBER, email="mo@north.example")
    page = await client.get(f"/admin/users/{mover.id}")
    refused = await edit(client, mover, page.text, agency_id=str(place.police.id))
    assert refused.status_code == 400
    assert "This agency is deactivated" in refused.text

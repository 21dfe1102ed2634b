"""The audit trail: one row for each audited event of a real flow, naming who did it (user and
agency), in which request, with ids and counts only; and the managers' page and API that read it.

Every row is found by the X-Request-ID of the response that caused it, so each test proves which
request wrote which row.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts import signin
from pitstop.accounts.models import Agency, Partnership, Role, Scope, User
from pitstop.settings import Settings
from tests import factories

_VERSION = re.compile(r'name="version" value="(\d+)"')
_SECRET = re.compile(r'<code id="token-secret"[^>]*>([^<]+)</code>')
_OLDER = re.compile(r'href="(/audit\?[^"]*)">Older events<')
NEW_PASSWORD = "a fresh initial passphrase"
# Strings an audit row may hold in `detail`: role and scope names. Everything else must be a number
# or a flag.
ALLOWED_WORDS = {r.value for r in Role} | {s.value for s in Scope}


class North:
    def __init__(
        self, partnership: Partnership, police: Agency, social_care: Agency, admin: User, manager: User
    ) -> None:
        self.partnership = partnership
        self.police = police
        self.social_care = social_care
        self.admin = admin
        self.manager = manager

    @property
    def personal(self) -> list[str]:
        """Names and addresses that must never appear in an audit row."""
        return [self.admin.name, self.admin.email, self.manager.name, self.manager.email, "ada@", "mo@"]


@pytest.fixture
async def north(owner: asyncpg.Connection) -> North:
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police", "police")
    social_care = await factories.agency(owner, p.id, "North Social Care", "childrens_social_care")
    admin = await factories.user(owner, p.id, police.id, Role.ADMIN, name="Ada Admin", email="ada@north.example")
    manager = await factories.user(
        owner, p.id, social_care.id, Role.MANAGER, name="Mo Manager", email="mo@north.example"
    )
    return North(p, police, social_care, admin, manager)


# ---- helpers --------------------------------------------------------------------------------


async def row_of(owner: asyncpg.Connection, response: Any, action: str) -> asyncpg.Record:
    """The one audit row of `action` written by the request that got `response`."""
    request_id = response.headers["x-request-id"]
    rows = await owner.fetch(
        "SELECT e.*, e::text AS as_text FROM audit_event e WHERE request_id = $1 AND action = $2",
        request_id,
        action,
    )
    assert len(rows) == 1, f"{action}: {len(rows)} rows for request {request_id}"
    return rows[0]


def assert_ids_only(row: asyncpg.Record, personal: list[str]) -> None:
    """`detail` holds ids, counts, flags, roles and scopes; no column holds a name or an address."""

    def check(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                check(item)
        elif isinstance(value, list):
            for item in value:
                check(item)
        else:
            assert value is None or isinstance(value, int | bool) or value in ALLOWED_WORDS, (row["action"], value)

    check(row["detail"])
    for text in personal:
        assert text.lower() not in row["as_text"].lower(), (row["action"], text)


def assert_by(row: asyncpg.Record, user: User, partnership: Partnership) -> None:
    assert row["user_id"] == user.id, row["action"]
    assert row["agency_id"] == user.agency_id, row["action"]
    assert row["partnership_id"] == partnership.id, row["action"]


def assert_record(row: asyncpg.Record, record_type: str, record_id: int) -> None:
    assert (row["record_type"], row["record_id"]) == (record_type, str(record_id)), row["action"]


async def post_sign_in(client: AsyncTestClient, email: str, password: str) -> Any:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": factories.csrf_from(page.text)},
        follow_redirects=False,
    )


async def post(client: AsyncTestClient, path: str, page_html: str, **fields: Any) -> Any:
    return await client.post(
        path, data={"csrf_token": factories.csrf_from(page_html), **fields}, follow_redirects=False
    )


_COLUMNS = ("when", "who", "action", "record", "from", "request")


def events_on(page_html: str) -> list[dict[str, str]]:
    """The audit page's table: one dict of cell texts per event."""
    body = page_html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    events = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if len(cells) == len(_COLUMNS):
            events.append(dict(zip(_COLUMNS, (" ".join(c) for c in cells), strict=True)))
    return events


async def add_events(owner: asyncpg.Connection, partnership_id: int, *rows: tuple[Any, ...]) -> None:
    """Arrange audit rows directly: (action, occurred_at, record_type, record_id, user_id)."""
    await owner.executemany(
        """INSERT INTO audit_event (partnership_id, action, occurred_at, record_type, record_id, user_id)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        [(partnership_id, *row) for row in rows],
    )


# ---- each audited event, from a real flow ---------------------------------------------------


async def test_signing_in_changing_password_and_signing_out_are_audited(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    manager = north.manager
    signed_in = await post_sign_in(client, manager.email, factories.PASSWORD)
    assert signed_in.status_code == 303
    row = await row_of(owner, signed_in, "sign_in")
    assert_by(row, manager, north.partnership)
    assert_record(row, "user", manager.id)
    assert_ids_only(row, north.personal)

    page = await client.get("/account/password")
    changed = await post(
        client,
        "/account/password",
        page.text,
        current_password=factories.PASSWORD,
        new_password="another fine passphrase",
        confirmation="another fine passphrase",
    )
    assert changed.status_code == 303
    row = await row_of(owner, changed, "password_changed")
    assert_by(row, manager, north.partnership)
    assert_record(row, "user", manager.id)
    assert_ids_only(row, north.personal)

    page = await client.get("/account")
    signed_out = await post(client, "/sign-out", page.text)
    assert signed_out.status_code == 303
    row = await row_of(owner, signed_out, "sign_out")
    assert_by(row, manager, north.partnership)
    assert_record(row, "user", manager.id)
    assert_ids_only(row, north.personal)


async def test_a_failed_sign_in_names_the_account_by_id_and_an_unknown_address_not_at_all(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    wrong = await post_sign_in(client, north.admin.email, "not the password at all")
    assert wrong.status_code == 400
    row = await row_of(owner, wrong, "sign_in_failed")
    # Nobody proved who they were: the account tried is the record, not the actor.
    assert row["user_id"] is None
    assert row["partnership_id"] == north.partnership.id  # so the partnership's managers see it
    assert_record(row, "user", north.admin.id)
    assert_ids_only(row, north.personal)

    typed = "Kim.Unknown-Person@Elsewhere.example"
    unknown = await post_sign_in(client, typed, "not the password at all")
    assert unknown.status_code == 400
    row = await row_of(owner, unknown, "sign_in_failed")
    assert row["user_id"] is None
    assert row["agency_id"] is None
    assert row["partnership_id"] is None
    assert row["record_type"] is None
    assert row["record_id"] is None
    for table in ("audit_event", "sign_in_attempt"):
        everything = await owner.fetchval(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t")
        for fragment in ("kim.unknown", "unknown-person", "elsewhere.example"):
            assert fragment not in everything.lower(), (table, fragment)


async def test_a_throttled_sign_in_is_audited_without_the_typed_address(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection, settings: Settings
) -> None:
    typed = "Lee.Stranger@Nowhere.example"
    # Enough recent failures for both addresses (as a burst of guesses would leave).
    for email in (north.admin.email, typed):
        await owner.executemany(
            "INSERT INTO sign_in_attempt (account_key, succeeded) VALUES ($1, false)",
            [(signin.account_key(settings.secret_key, email),)] * signin.MAX_FAILURES_PER_ACCOUNT,
        )

    known = await post_sign_in(client, north.admin.email, factories.PASSWORD)
    assert known.status_code == 429
    row = await row_of(owner, known, "sign_in_throttled")
    assert row["user_id"] is None
    assert row["partnership_id"] == north.partnership.id
    assert_record(row, "user", north.admin.id)
    assert_ids_only(row, north.personal)

    stranger = await post_sign_in(client, typed, "guess guess guess")
    assert stranger.status_code == 429
    row = await row_of(owner, stranger, "sign_in_throttled")
    assert (row["user_id"], row["partnership_id"], row["record_type"], row["record_id"]) == (None, None, None, None)
    for table in ("audit_event", "sign_in_attempt"):
        everything = await owner.fetchval(f"SELECT string_agg(t::text, ' ') FROM {table} t")
        assert "stranger" not in everything.lower()
        assert "nowhere" not in everything.lower()


async def test_an_idle_session_ending_is_audited(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.manager.email)
    await owner.execute("UPDATE web_session SET last_seen_at = now() - interval '2 hours'")
    expired = await client.get("/account", follow_redirects=False)
    assert expired.status_code == 303
    assert "expired=1" in expired.headers["location"]
    row = await row_of(owner, expired, "session_expired")
    assert_by(row, north.manager, north.partnership)
    assert_record(row, "user", north.manager.id)
    assert_ids_only(row, north.personal)


async def test_administering_users_tokens_and_agencies_is_audited(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    admin = north.admin
    personal = [*north.personal, "Nia New", "nia@north.example", "Northfield records system", "Youth Justice"]
    await factories.sign_in(client, admin.email)

    def check(row: asyncpg.Record, record_type: str, record_id: int) -> None:
        assert_by(row, admin, north.partnership)
        assert_record(row, record_type, record_id)
        assert_ids_only(row, personal)

    # user_created
    form = await client.get("/admin/users/new")
    created = await post(
        client,
        "/admin/users",
        form.text,
        name="Nia New",
        email="nia@north.example",
        agency_id=str(north.police.id),
        roles=["agency_member"],
        password=NEW_PASSWORD,
    )
    assert created.status_code == 303
    nia = await owner.fetchval("SELECT id FROM app_user WHERE email = 'nia@north.example'")
    row = await row_of(owner, created, "user_created")
    check(row, "user", nia)
    assert row["detail"] == {"roles": ["agency_member"], "agency_id": north.police.id}

    # user_updated
    page = await client.get(f"/admin/users/{nia}")
    updated = await post(
        client,
        f"/admin/users/{nia}",
        page.text,
        name="Nia New",
        agency_id=str(north.social_care.id),
        roles=["agency_member", "coordinator"],
        version=_VERSION.search(page.text).group(1),  # type: ignore[union-attr]
    )
    assert updated.status_code == 303
    row = await row_of(owner, updated, "user_updated")
    check(row, "user", nia)
    assert row["detail"] == {
        "roles": ["coordinator", "agency_member"],
        "agency_id": north.social_care.id,
        "roles_changed": True,
        "sessions_ended": 0,
    }

    # user_password_reset
    page = await client.get(f"/admin/users/{nia}")
    reset = await post(client, f"/admin/users/{nia}/password", page.text, password="yet another passphrase")
    assert reset.status_code == 303
    check(await row_of(owner, reset, "user_password_reset"), "user", nia)

    # user_sessions_ended
    page = await client.get(f"/admin/users/{nia}")
    ended = await post(client, f"/admin/users/{nia}/sessions/end", page.text)
    assert ended.status_code == 303
    row = await row_of(owner, ended, "user_sessions_ended")
    check(row, "user", nia)
    assert row["detail"] == {"sessions_ended": 0}

    # token_created
    form = await client.get("/admin/tokens/new")
    made = await post(
        client,
        "/admin/tokens",
        form.text,
        user_id=str(nia),
        name="Northfield records system",
        scopes=["actions:read", "actions:write"],
        days="30",
    )
    assert made.status_code == 200
    secret = _SECRET.search(made.text).group(1)  # type: ignore[union-attr]
    token_id = await owner.fetchval("SELECT id FROM api_token")
    row = await row_of(owner, made, "token_created")
    check(row, "api_token", token_id)
    assert row["detail"] == {"for_user_id": nia, "scopes": ["actions:read", "actions:write"], "days": 30}
    assert secret not in row["as_text"]

    # token_revoked
    listing = await client.get("/admin/tokens")
    revoked = await post(client, f"/admin/tokens/{token_id}/revoke", listing.text)
    assert revoked.status_code == 303
    check(await row_of(owner, revoked, "token_revoked"), "api_token", token_id)

    # user_deactivated, user_reactivated
    page = await client.get(f"/admin/users/{nia}")
    off = await post(
        client,
        f"/admin/users/{nia}/deactivate",
        page.text,
        version=_VERSION.search(page.text).group(1),  # type: ignore[union-attr]
    )
    assert off.status_code == 303
    check(await row_of(owner, off, "user_deactivated"), "user", nia)
    page = await client.get(f"/admin/users/{nia}")
    on = await post(
        client,
        f"/admin/users/{nia}/reactivate",
        page.text,
        version=_VERSION.search(page.text).group(1),  # type: ignore[union-attr]
    )
    assert on.status_code == 303
    check(await row_of(owner, on, "user_reactivated"), "user", nia)

    # agency_created, agency_updated
    page = await client.get("/admin/agencies")
    added = await post(client, "/admin/agencies", page.text, name="North Youth Justice", agency_type="youth_justice")
    assert added.status_code == 303
    agency_id = await owner.fetchval("SELECT id FROM agency WHERE name = 'North Youth Justice'")
    check(await row_of(owner, added, "agency_created"), "agency", agency_id)
    page = await client.get(f"/admin/agencies/{agency_id}")
    changed = await post(
        client,
        f"/admin/agencies/{agency_id}",
        page.text,
        name="North Youth Justice Service",
        agency_type="youth_justice",
        active="yes",
        version=_VERSION.search(page.text).group(1),  # type: ignore[union-attr]
    )
    assert changed.status_code == 303
    check(await row_of(owner, changed, "agency_updated"), "agency", agency_id)

    # Nothing the administrator did left a name or an address in any row.
    for row in await owner.fetch("SELECT e.*, e::text AS as_text FROM audit_event e WHERE user_id = $1", admin.id):
        assert_ids_only(row, [*personal, "North Youth Justice Service"])


async def test_reading_the_audit_trail_is_itself_audited(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.manager.email)
    page = await client.get("/audit")
    assert page.status_code == 200
    row = await row_of(owner, page, "audit_viewed")
    assert_by(row, north.manager, north.partnership)
    assert row["detail"] == {"results": len(events_on(page.text))}
    assert_ids_only(row, north.personal)

    filtered = await client.get("/audit", params={"user_id": str(north.admin.id)})
    row = await row_of(owner, filtered, "audit_viewed")
    assert row["detail"]["filter_user_id"] == north.admin.id

    api = await client.get("/api/v1/audit-events")
    assert api.status_code == 200
    row = await row_of(owner, api, "audit_viewed")
    assert_by(row, north.manager, north.partnership)
    # The earlier views are in the trail the manager now reads.
    assert [e["action"] for e in api.json()["events"]][:2] == ["audit_viewed", "audit_viewed"]


# ---- the managers' page and API -------------------------------------------------------------


async def test_a_manager_sees_only_their_own_partnerships_events(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    south = await factories.partnership(owner, "south")
    south_agency = await factories.agency(owner, south.id, "South Police")
    south_manager = await factories.user(owner, south.id, south_agency.id, Role.MANAGER, name="Sol Southern")
    people = factories.Browsers(client)
    await people.sign_in("south", south_manager.email)
    north_client = await people.sign_in("north", north.manager.email)

    page = await north_client.get("/audit")
    shown = events_on(page.text)
    records = {e["record"] for e in shown}
    assert f"user:{north.manager.id}" in records
    assert f"agency:{north.police.id}" in records
    assert f"user:{south_manager.id}" not in records
    assert f"agency:{south_agency.id}" not in records
    assert "Sol Southern" not in page.text
    api = await north_client.get("/api/v1/audit-events")
    assert {e["partnership_id"] for e in api.json()["events"]} == {north.partnership.id}

    theirs = await people.use("south").get("/api/v1/audit-events")
    events = theirs.json()["events"]
    assert {e["partnership_id"] for e in events} == {south.id}
    assert ("sign_in", str(south_manager.id)) in {(e["action"], e["record_id"]) for e in events}


async def test_the_audit_page_filters_by_action_user_record_and_london_day(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    p = north.partnership.id
    admin, manager = north.admin.id, north.manager.id
    await add_events(
        owner,
        p,
        # Summer (BST, UTC+1): 1 July in London runs from 30 June 23:00 to 1 July 23:00 UTC.
        ("user_updated", datetime(2025, 6, 30, 22, 59, 59, tzinfo=UTC), "user", "9001", admin),
        ("user_updated", datetime(2025, 6, 30, 23, 0, 0, tzinfo=UTC), "user", "9002", admin),
        ("user_updated", datetime(2025, 7, 1, 22, 59, 59, tzinfo=UTC), "user", "9003", manager),
        ("user_updated", datetime(2025, 7, 1, 23, 0, 0, tzinfo=UTC), "user", "9004", manager),
        # Winter (GMT): 15 January in London is 15 January in UTC.
        ("agency_updated", datetime(2025, 1, 14, 23, 59, 59, tzinfo=UTC), "agency", "9005", admin),
        ("agency_updated", datetime(2025, 1, 15, 0, 0, 0, tzinfo=UTC), "agency", "9006", admin),
        ("agency_updated", datetime(2025, 1, 15, 23, 59, 59, tzinfo=UTC), "agency", "9007", admin),
        ("agency_updated", datetime(2025, 1, 16, 0, 0, 0, tzinfo=UTC), "agency", "9008", admin),
    )
    await factories.sign_in(client, north.manager.email)

    async def shown(**params: str) -> list[dict[str, str]]:
        page = await client.get("/audit", params=params)
        assert page.status_code == 200, page.text
        return events_on(page.text)

    summer = await shown(**{"from": "2025-07-01", "to": "2025-07-01"})
    assert [e["record"] for e in summer] == ["user:9003", "user:9002"]
    assert summer[-1]["when"] == "1 Jul 2025 00:00:00"  # shown in London time too
    winter = await shown(**{"from": "2025-01-15", "to": "2025-01-15"})
    assert [e["record"] for e in winter] == ["agency:9007", "agency:9006"]
    span = await shown(**{"from": "2025-01-15", "to": "2025-07-01"})
    assert [e["record"] for e in span] == [  # newest first: by id, as recorded
        "agency:9008",
        "agency:9007",
        "agency:9006",
        "user:9003",
        "user:9002",
        "user:9001",  # 23:59:59 on 30 June in London
    ]
    since = {e["record"] for e in await shown(**{"from": "2025-07-02"})}
    assert "user:9004" in since
    assert "user:9003" not in since

    by_action = await shown(action="agency_updated")
    assert [e["record"] for e in by_action] == ["agency:9008", "agency:9007", "agency:9006", "agency:9005"]
    assert {e["action"] for e in by_action} == {"Agency updated"}

    by_user = await shown(user_id=str(manager))
    assert by_user
    assert {e["who"].split(" North")[0] for e in by_user} == {"Mo Manager"}
    assert {"user:9003", "user:9004"} <= {e["record"] for e in by_user}
    assert "user:9002" not in {e["record"] for e in by_user}

    by_record = await shown(record="user:9002")
    assert [e["record"] for e in by_record] == ["user:9002"]
    mine = await shown(record=f"user:{manager}")
    assert mine
    assert {e["record"] for e in mine} == {f"user:{manager}"}

    combined = await shown(action="user_updated", user_id=str(admin), **{"to": "2025-06-30"})
    assert [e["record"] for e in combined] == ["user:9001"]

    api = await client.get("/api/v1/audit-events", params={"action": "user_updated", "from": "2025-07-01"})
    assert [e["record_id"] for e in api.json()["events"]] == ["9004", "9003", "9002"]


BAD_FILTERS: list[tuple[dict[str, str], str]] = [
    ({"action": "delete_everything"}, "action"),
    ({"user_id": "Mo Manager"}, "user_id"),
    ({"from": "2025-02-30"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2025-07-02", "to": "2025-07-01"}, "to"),
    ({"before": "-1"}, "before"),
    # Numbers and dates Python reads but PostgreSQL or the calendar cannot hold.
    ({"user_id": "99999999999999999999"}, "user_id"),
    ({"user_id": "\u00b2"}, "user_id"),  # a superscript two: str.isdigit() says yes, int() says no
    ({"before": "99999999999999999999"}, "before"),
    ({"to": "9999-12-31"}, "to"),
]


async def test_a_bad_filter_is_shown_as_an_error_not_guessed_at(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.manager.email)
    failures = []
    for params, field in BAD_FILTERS:
        page = await client.get("/audit", params=params)
        shown = (
            page.status_code,
            "govuk-error-summary" in page.text,
            f'href="#{field}"' in page.text,
            "No events match these filters." in page.text,
        )
        if shown != (400, True, True, True):
            failures.append(f"page {params}: {shown}")
        api = await client.get("/api/v1/audit-events", params=params)
        named = [e["field"] for e in api.json().get("errors", [])] if api.status_code == 422 else []
        if (api.status_code, named) != (422, [f"query.{field}"]):
            failures.append(f"api {params}: {api.status_code} {named}")
    assert failures == []
    # Refused filters read nothing, so nothing was viewed.
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'audit_viewed'") == 0


async def test_older_events_are_a_page_away(client: AsyncTestClient, north: North, owner: asyncpg.Connection) -> None:
    await add_events(
        owner,
        north.partnership.id,
        *[
            ("user_updated", datetime(2025, 3, 1, 12, n % 60, tzinfo=UTC), "user", str(1000 + n), None)
            for n in range(60)
        ],
    )
    await factories.sign_in(client, north.manager.email)

    first = await client.get("/audit", params={"action": "user_updated"})
    newest = events_on(first.text)
    assert len(newest) == 50
    assert "50 events" in first.text
    link = _OLDER.search(first.text)
    assert link, "an Older events link"
    older_page = await client.get(html.unescape(link.group(1)))
    assert older_page.status_code == 200
    older = events_on(older_page.text)
    assert len(older) == 10
    assert _OLDER.search(older_page.text) is None
    assert {e["action"] for e in older} == {"User updated"}  # the filter carried over
    records = [e["record"] for e in newest + older]
    assert sorted(records) == sorted(f"user:{1000 + n}" for n in range(60))

    # The API pages the same way.
    api = (await client.get("/api/v1/audit-events", params={"action": "user_updated"})).json()
    assert [f"user:{e['record_id']}" for e in api["events"]] == [e["record"] for e in newest]
    assert api["next_before"] == api["events"][-1]["id"]
    rest = (
        await client.get("/api/v1/audit-events", params={"action": "user_updated", "before": str(api["next_before"])})
    ).json()
    assert [f"user:{e['record_id']}" for e in rest["events"]] == [e["record"] for e in older]
    assert rest["next_before"] is None


async def test_the_api_returns_what_the_page_shows(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.manager.email)
    page = await client.get("/audit")
    api = await client.get("/api/v1/audit-events")
    assert api.status_code == 200
    body = api.json()
    assert body["next_before"] is None
    # The API call sees one more event than the page did: the page view itself.
    assert body["events"][0]["action"] == "audit_viewed"
    assert body["events"][0]["request_id"] == page.headers["x-request-id"]
    assert [f"{e['record_type']}:{e['record_id']}" if e["record_type"] else "" for e in body["events"][1:]] == [
        e["record"] for e in events_on(page.text)
    ]
    first = body["events"][1]
    assert first["action"] == "sign_in"
    assert first["user_id"] == north.manager.id
    assert first["user_name"] == "Mo Manager"
    assert first["agency_id"] == north.social_care.id
    assert json.dumps(body).count("mo@north.example") == 0


async def test_an_administrator_who_is_not_a_manager_cannot_read_the_trail(
    client: AsyncTestClient, north: North, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, north.admin.email)
    assert (await client.get("/audit")).status_code == 403
    assert (await client.get("/api/v1/audit-events")).status_code == 403
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'audit_viewed'") == 0


async def test_rows_without_a_user_say_who_they_came_from(client: AsyncTestClient, owner: asyncpg.Connection) -> None:
    p = await factories.partnership(owner, "west")  # written as the operator: no user
    social_care = await factories.agency(owner, p.id, "West Social Care", "childrens_social_care")
    manager = await factories.user(owner, p.id, social_care.id, Role.MANAGER, email="m@west.example")
    page = await client.get("/sign-in")
    await client.post(
        "/sign-in",
        data={"email": manager.email, "password": "wrong wrong wrong", "csrf_token": factories.csrf_from(page.text)},
    )
    await factories.sign_in(client, manager.email)
    html = (await client.get("/audit")).text
    assert "An operator (command line)" in html
    assert "Someone not signed in" in html

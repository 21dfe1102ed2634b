"""Every route, every role: allowed, 403 for a role that may not use it, 404 for a record of
another partnership, and sign-in (pages) or 401 (API) without a session.

A new route fails `test_every_route_is_in_the_matrix` until it is given its row here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role, Scope
from pitstop.agenda import service as agenda
from pitstop.meetings import service as meetings
from pitstop.minutes import service as minutes
from pitstop.notifications import service as intake
from pitstop.notifications.imports.extract import DEFAULT_MAPPING
from pitstop.notifications.models import NotificationIn, Source
from pitstop.web.auth import request_checks
from tests import factories, meeting_helpers

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed in"  # any role
FEED_TOKEN = "feed token"  # the address's secret is the only credential: without a valid one, 404 to all
ADMIN = frozenset({Role.ADMIN})
MANAGER = frozenset({Role.MANAGER})
CALENDAR_READERS = frozenset({Role.COORDINATOR, Role.MANAGER, Role.ADMIN})
CALENDAR_KEEPERS = frozenset({Role.COORDINATOR, Role.ADMIN})
# Before a notification is on an agenda, only coordinators and managers of the partnership see it.
NOTIFICATION_READERS = frozenset({Role.COORDINATOR, Role.MANAGER})
COORDINATOR = frozenset({Role.COORDINATOR})
# The import settings are configuration: the coordinators who import, and administrators.
IMPORT_SETTINGS = frozenset({Role.COORDINATOR, Role.ADMIN})
# Meetings: agency members see published agendas of meetings their agency is invited to.
MEETING_READERS = frozenset({Role.COORDINATOR, Role.MANAGER, Role.AGENCY_MEMBER})
# Agency information: each agency records its own (coordinators belong to an agency too).
INFORMATION_RECORDERS = frozenset({Role.COORDINATOR, Role.AGENCY_MEMBER})
# Actions: an agency sees and closes its own; coordinators agree and reassign them; managers read.
ACTION_READERS = frozenset({Role.COORDINATOR, Role.MANAGER, Role.AGENCY_MEMBER})
ACTION_CLOSERS = frozenset({Role.COORDINATOR, Role.AGENCY_MEMBER})
# Decisions are the chair's and the minute-taker's: coordinators.
DECIDERS = frozenset({Role.COORDINATOR})
# Series, invitees and agenda rules are configuration (no case data): coordinators and administrators.
MEETING_SETUP = frozenset({Role.COORDINATOR, Role.ADMIN})

# Streams never end for those allowed, and the in-process test client waits for a whole body: the
# allowed side is tested on real processes (tests/integration/test_live_stream.py); refusals answer here.
STREAMS = {("GET", "/meetings/{meeting_id}/live")}

# (method, path) -> who may use it. Path parameters name the record type they hold.
MATRIX: dict[tuple[str, str], object] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/sign-out"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("POST", "/session/keep-alive"): SIGNED_IN,
    ("GET", "/account/calendar-feed"): SIGNED_IN,
    ("POST", "/account/calendar-feed"): SIGNED_IN,
    ("POST", "/account/calendar-feed/revoke"): SIGNED_IN,
    ("GET", "/calendar/{name}"): FEED_TOKEN,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", "/admin/users"): ADMIN,
    ("GET", "/admin/users/new"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/password"): ADMIN,
    ("POST", "/admin/users/{user_id}/sessions/end"): ADMIN,
    ("POST", "/admin/users/{user_id}/deactivate"): ADMIN,
    ("POST", "/admin/users/{user_id}/reactivate"): ADMIN,
    ("GET", "/admin/agencies"): ADMIN,
    ("POST", "/admin/agencies"): ADMIN,
    ("GET", "/admin/agencies/{agency_id}"): ADMIN,
    ("POST", "/admin/agencies/{agency_id}"): ADMIN,
    ("GET", "/admin/tokens"): ADMIN,
    ("GET", "/admin/tokens/new"): ADMIN,
    ("POST", "/admin/tokens"): ADMIN,
    ("POST", "/admin/tokens/{token_id}/revoke"): ADMIN,
    ("GET", "/audit"): MANAGER,
    ("GET", "/api/v1/audit-events"): MANAGER,
    ("GET", "/calendar"): CALENDAR_READERS,
    ("POST", "/calendar/closures"): CALENDAR_KEEPERS,
    ("POST", "/calendar/closures/{closure_id}/delete"): CALENDAR_KEEPERS,
    ("POST", "/calendar/pattern"): CALENDAR_KEEPERS,
    ("POST", "/api/v1/notifications"): COORDINATOR,
    ("GET", "/api/v1/notifications"): NOTIFICATION_READERS,
    ("GET", "/api/v1/notifications/{notification_id}"): NOTIFICATION_READERS,
    ("POST", "/api/v1/notifications/{notification_id}/screening"): COORDINATOR,
    ("GET", "/notifications"): NOTIFICATION_READERS,
    ("GET", "/notifications/new"): COORDINATOR,
    ("POST", "/notifications/new"): COORDINATOR,
    ("GET", "/notifications/{notification_id}"): NOTIFICATION_READERS,
    ("GET", "/notifications/{notification_id}/screening"): COORDINATOR,
    ("POST", "/notifications/{notification_id}/screening"): COORDINATOR,
    ("POST", "/api/v1/notifications/import"): COORDINATOR,
    ("GET", "/api/v1/notifications/import/template"): COORDINATOR,
    ("GET", "/api/v1/notifications/imports"): NOTIFICATION_READERS,
    ("GET", "/api/v1/notifications/imports/{import_id}"): NOTIFICATION_READERS,
    ("GET", "/api/v1/notifications/import/mapping"): IMPORT_SETTINGS,
    ("PUT", "/api/v1/notifications/import/mapping"): IMPORT_SETTINGS,
    ("GET", "/notifications/import"): COORDINATOR,
    ("POST", "/notifications/import"): COORDINATOR,
    ("GET", "/notifications/imports/{import_id}"): NOTIFICATION_READERS,
    ("GET", "/admin/import-settings"): IMPORT_SETTINGS,
    ("POST", "/admin/import-settings"): IMPORT_SETTINGS,
    ("GET", "/people/{person_id}"): NOTIFICATION_READERS,
    ("GET", "/api/v1/people/{person_id}"): NOTIFICATION_READERS,
    ("POST", "/people/{person_id}/incidents/{notification_id}/confirm"): COORDINATOR,
    ("POST", "/people/{person_id}/incidents/{notification_id}/split"): COORDINATOR,
    ("GET", "/people/{person_id}/merge"): COORDINATOR,
    ("POST", "/people/{person_id}/merge"): COORDINATOR,
    ("GET", "/admin/repeat-incidents"): ADMIN,
    ("POST", "/admin/repeat-incidents"): ADMIN,
    ("GET", "/api/v1/meetings"): MEETING_READERS,
    ("GET", "/api/v1/meetings/{meeting_id}"): MEETING_READERS,
    ("GET", "/api/v1/meetings/{meeting_id}/items/{item_id}/information"): MEETING_READERS,
    ("PUT", "/api/v1/meetings/{meeting_id}/items/{item_id}/information"): INFORMATION_RECORDERS,
    ("POST", "/api/v1/meetings/{meeting_id}/information/not-known"): INFORMATION_RECORDERS,
    ("GET", "/meetings/{meeting_id}/items/{item_id}"): MEETING_READERS,
    ("POST", "/meetings/{meeting_id}/items/{item_id}/information"): INFORMATION_RECORDERS,
    ("GET", "/meetings/{meeting_id}/items/{item_id}/information/{information_id}"): MEETING_READERS,
    ("GET", "/meetings/{meeting_id}/prepare"): MEETING_READERS,
    ("POST", "/meetings/{meeting_id}/prepare"): INFORMATION_RECORDERS,
    ("GET", "/api/v1/meetings/{meeting_id}/items/{item_id}/decision"): MEETING_READERS,
    ("PUT", "/api/v1/meetings/{meeting_id}/items/{item_id}/decision"): DECIDERS,
    ("POST", "/meetings/{meeting_id}/items/{item_id}/decision"): DECIDERS,
    ("GET", "/admin/outcomes"): MEETING_SETUP,
    ("GET", "/meetings/{meeting_id}/live"): MEETING_READERS,
    ("GET", "/meetings/{meeting_id}/now"): MEETING_READERS,
    ("GET", "/meetings/{meeting_id}/now/bar"): MEETING_READERS,
    ("POST", "/meetings/{meeting_id}/now"): COORDINATOR,
    ("GET", "/meetings/{meeting_id}/minutes.docx"): MEETING_READERS,
    ("POST", "/meetings/{meeting_id}/minutes/approve"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/minutes/correct"): COORDINATOR,
    ("GET", "/minutes"): NOTIFICATION_READERS,  # coordinators and managers
    ("GET", "/dashboard"): MEETING_READERS,  # agency members: their own agency's action figures
    ("GET", "/dashboard/figures"): MEETING_READERS,
    ("GET", "/dashboard.csv"): MEETING_READERS,
    ("GET", "/api/v1/minutes"): NOTIFICATION_READERS,
    ("GET", "/api/v1/meetings/{meeting_id}/minutes"): MEETING_READERS,
    ("POST", "/api/v1/meetings/{meeting_id}/minutes/approval"): COORDINATOR,
    ("POST", "/api/v1/meetings/{meeting_id}/minutes/corrections"): COORDINATOR,
    ("GET", "/meetings/{meeting_id}/items/{item_id}/panel"): MEETING_READERS,
    ("POST", "/admin/outcomes"): MEETING_SETUP,
    ("GET", "/api/v1/actions"): ACTION_READERS,
    ("GET", "/api/v1/actions/{action_id}"): ACTION_READERS,
    ("POST", "/api/v1/meetings/{meeting_id}/items/{item_id}/actions"): DECIDERS,
    ("POST", "/api/v1/actions/{action_id}/status"): ACTION_CLOSERS,
    ("PUT", "/api/v1/actions/{action_id}/owner"): DECIDERS,
    ("GET", "/actions"): ACTION_READERS,
    ("GET", "/actions/{action_id}"): ACTION_READERS,
    ("POST", "/actions/{action_id}/status"): ACTION_CLOSERS,
    ("POST", "/actions/{action_id}/owner"): DECIDERS,
    ("POST", "/meetings/{meeting_id}/items/{item_id}/actions"): DECIDERS,
    ("GET", "/api/v1/meetings/{meeting_id}/agenda"): MEETING_READERS,
    ("GET", "/api/v1/meetings/{meeting_id}/now"): MEETING_READERS,
    ("PUT", "/api/v1/meetings/{meeting_id}/now"): COORDINATOR,
    ("GET", "/meetings"): MEETING_READERS,
    ("GET", "/meetings/{meeting_id}"): MEETING_READERS,
    ("GET", "/meetings/{meeting_id}/meeting.ics"): MEETING_READERS,
    ("GET", "/meetings/{meeting_id}/series.ics"): MEETING_READERS,
    ("POST", "/meetings/{meeting_id}/state"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/cancel"): COORDINATOR,
    ("GET", "/meetings/{meeting_id}/change"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/change"): COORDINATOR,
    ("GET", "/meetings/new"): COORDINATOR,
    ("POST", "/meetings/new"): COORDINATOR,
    ("GET", "/meetings/{meeting_id}/attendance"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/attendance"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/observers"): COORDINATOR,
    ("GET", "/meetings/{meeting_id}/agenda"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/agenda/items"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/agenda/items/{item_id}/move"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/agenda/items/{item_id}/off"): COORDINATOR,
    ("POST", "/meetings/{meeting_id}/agenda/order"): COORDINATOR,
    ("GET", "/meetings/series"): MEETING_SETUP,
    ("GET", "/meetings/series/new"): MEETING_SETUP,
    ("POST", "/meetings/series/new"): MEETING_SETUP,
    ("GET", "/meetings/series/{series_id}"): MEETING_SETUP,
    ("POST", "/meetings/series/{series_id}"): MEETING_SETUP,
    ("POST", "/meetings/series/{series_id}/invitees"): MEETING_SETUP,
    ("POST", "/meetings/series/{series_id}/invitees/{invitee_id}/remove"): MEETING_SETUP,
    ("POST", "/meetings/series/{series_id}/end"): MEETING_SETUP,
    ("GET", "/admin/outbox"): ADMIN,
    ("GET", "/admin/agenda-rules"): MEETING_SETUP,
    ("POST", "/admin/agenda-rules"): MEETING_SETUP,
}

# JSON API writes get a body that passes validation, so what answers is the permission and the
# record's visibility, not the body's shape.
JSON_BODIES: dict[str, dict] = {
    "/api/v1/meetings/{meeting_id}/items/{item_id}/actions": {
        "description": "Matrix.",
        "owner_agency_id": 1,
        "due_at": "2030-01-01T17:00:00Z",
    },
    "/api/v1/actions/{action_id}/status": {"status": "done", "version": 1},
    "/api/v1/actions/{action_id}/owner": {"owner_agency_id": 1, "due_at": "2030-01-01T17:00:00Z", "version": 1},
    "/api/v1/meetings/{meeting_id}/items/{item_id}/decision": {"outcomes": ["signposting"], "rationale": "Matrix."},
    "/api/v1/meetings/{meeting_id}/items/{item_id}/information": {"knowledge": "not_known"},
    "/api/v1/meetings/{meeting_id}/information/not-known": {"items": [1]},
    "/api/v1/meetings/{meeting_id}/now": {"item_id": 1, "from_item_id": None},
    "/api/v1/meetings/{meeting_id}/minutes/approval": {"version": 1},
    "/api/v1/meetings/{meeting_id}/minutes/corrections": {"version": 1, "reason": "Matrix."},
    "/api/v1/notifications": {
        "police_reference": "MATRIX/1",
        "circumstances": "Matrix test.",
        "risk": {"tool": "dash", "grade": "standard"},
        "people": [{"role": "victim", "family_name": "Example"}],
    },
    "/api/v1/notifications/{notification_id}/screening": {
        "version": 1,
        "grade": "standard",
        "consent": "given",
        "route": "agenda",
        "delay_reason": "matrix",
    },
    "/api/v1/notifications/import/mapping": {"mapping": msgspec.to_builtins(DEFAULT_MAPPING), "version": 0},
}

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if route.path.startswith(("/static", "/schema")):
            continue
        for method in getattr(route, "methods", ()):
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                found.add((method, _PARAM.sub(r"{\1}", route.path)))
    return found


def test_every_route_is_in_the_matrix(app: Litestar) -> None:
    assert app_routes(app) == set(MATRIX)


def test_every_route_runs_the_csrf_and_token_checks(app: Litestar) -> None:
    # Litestar runs only the innermost before_request hook: a route that set its own would
    # silently skip CSRF. None may.
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            assert handler.resolve_before_request() is request_checks, f"{route.path} skips request_checks"


@pytest.fixture
async def world(owner: asyncpg.Connection) -> factories.World:
    world = await factories.world(owner)
    await factories.token(owner, world.users["north.manager"].id, Scope.AUDIT_READ)  # something to revoke
    return world


async def token_ids(owner: asyncpg.Connection, place_slug: str) -> int:
    return await owner.fetchval(
        "SELECT t.id FROM api_token t JOIN partnership p ON p.id = t.partnership_id WHERE p.slug = $1", place_slug
    )


async def closure_day(owner: asyncpg.Connection, world: factories.World, place: str) -> int:
    """A closure day of the partnership's own (a removed one can be removed again: still 303)."""
    return await owner.fetchval(
        "INSERT INTO closure_day (partnership_id, day, name, source) "
        "VALUES ($1, current_date + 30, 'Training day', 'partnership') RETURNING id",
        world.partnerships[place].id,
    )


async def notification(owner: asyncpg.Connection, world: factories.World, place: str) -> int:
    """A notification of the partnership's, received through the same intake as any other."""
    received = await intake.receive(
        owner,
        actor=None,
        partnership_id=world.partnerships[place].id,
        body=msgspec.convert(
            {**JSON_BODIES["/api/v1/notifications"], "police_reference": f"{place}/1"}, NotificationIn
        ),
        source=Source.API,
        origin=factories.CLI,
    )
    return received.notification.id


async def notification_import(owner: asyncpg.Connection, world: factories.World, place: str) -> int:
    """An import's record (what the file held does not matter here)."""
    return await owner.fetchval(
        "INSERT INTO notification_import (partnership_id, file_name, mode, outcome, rows_read, incidents_read, "
        "created, updated, unchanged, incidents_rejected) VALUES ($1, 'x.csv', 'all_or_nothing', 'imported', "
        "0, 0, 0, 0, 0, 0) RETURNING id",
        world.partnerships[place].id,
    )


async def victim(owner: asyncpg.Connection, notification_id: int) -> int:
    """The person the notification's victim is linked to."""
    return await owner.fetchval(
        "SELECT person_id FROM notification_person WHERE notification_id = $1 AND role = 'victim'", notification_id
    )


async def a_meeting(
    owner: asyncpg.Connection, world: factories.World, place: str, notification_id: int
) -> dict[str, int]:
    """A series inviting the police, one of its meetings with the notification on its agenda, published."""
    coordinator = meeting_helpers.identity(world.users[f"{place}.coordinator"])
    series = await meeting_helpers.series(owner, world, datetime.now(UTC).date(), place=place)
    meeting_id = await owner.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 ORDER BY starts_at LIMIT 1", series.id
    )
    await owner.execute(
        "INSERT INTO screening (partnership_id, notification_id, notification_version, grade, consent, route) "
        "VALUES ($1, $2, 1, 'standard', 'given', 'agenda')",
        world.partnerships[place].id,
        notification_id,
    )
    await agenda.add(
        owner, actor=coordinator, meeting_id=meeting_id, version=1, police_reference=f"{place}/1", origin=factories.CLI
    )
    await meetings.advance(
        owner, actor=coordinator, meeting_id=meeting_id, version=2, step="publish", origin=factories.CLI
    )
    item_id = await owner.fetchval("SELECT id FROM agenda_item WHERE meeting_id = $1", meeting_id)
    information_id = await owner.fetchval(
        """INSERT INTO agency_information (partnership_id, agenda_item_id, meeting_id, agency_id, knowledge,
                                           checked_at, recorded_by)
           VALUES ($1, $2, $3, $4, 'no_trace', now(), $5) RETURNING id""",
        world.partnerships[place].id,
        item_id,
        meeting_id,
        world.agencies[f"{place}.police"].id,  # the agency members' and coordinators' own
        coordinator.user_id,
    )
    action_id = await owner.fetchval(
        """INSERT INTO action (partnership_id, agenda_item_id, meeting_id, description, owner_agency_id, due_at,
                               created_by)
           VALUES ($1, $2, $3, 'Check the school roll', $4, now() + interval '2 days', $5) RETURNING id""",
        world.partnerships[place].id,
        item_id,
        meeting_id,
        world.agencies[f"{place}.police"].id,  # the agency members' own
        coordinator.user_id,
    )
    # The next meeting, held and its minutes approved: minutes exist for a held meeting only.
    held = await owner.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 ORDER BY starts_at OFFSET 1 LIMIT 1", series.id
    )
    for version, step in enumerate(("publish", "start", "end"), 1):
        await meetings.advance(
            owner, actor=coordinator, meeting_id=held, version=version, step=step, origin=factories.CLI
        )
    await minutes.approve(owner, actor=coordinator, meeting_id=held, version=1, origin=factories.CLI)
    return {
        "series_id": series.id,
        "invitee_id": series.invitees[0].id,
        "held_meeting_id": held,
        "meeting_id": meeting_id,
        "item_id": item_id,
        "information_id": information_id,
        "action_id": action_id,
    }


def fill(path: str, ids: dict[str, int]) -> str:
    return _PARAM.sub(lambda m: str(ids[m.group(1)]), path)


async def csrf_for(client: AsyncTestClient, signed_in: bool) -> str:
    page = await client.get("/account" if signed_in else "/sign-in")
    return factories.csrf_from(page.text)


async def call(client: AsyncTestClient, method: str, path: str, token: str, pattern: str = "") -> tuple[int, str]:
    if method == "GET":
        response = await client.get(path, follow_redirects=False)
    elif method == "PUT":
        response = await client.put(path, json=JSON_BODIES[pattern], headers={"X-CSRF-Token": token})
    elif pattern in JSON_BODIES:
        response = await client.post(
            path, json=JSON_BODIES[pattern], headers={"X-CSRF-Token": token}, follow_redirects=False
        )
    else:
        response = await client.post(path, data={"csrf_token": token}, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


PEOPLE = [*(r.value for r in Role), "anonymous"]


@pytest.fixture
async def people(client: AsyncTestClient, world: factories.World) -> factories.Browsers:
    """Someone signed in for each role in the north partnership, and someone not signed in."""
    browsers = factories.Browsers(client)
    for who in PEOPLE:
        if who == "anonymous":
            browsers.use(who)
        else:
            await browsers.sign_in(who, world.users[f"north.{who}"].email)
    return browsers


async def test_each_role_gets_what_the_matrix_says(
    people: factories.Browsers, world: factories.World, owner: asyncpg.Connection
) -> None:
    own = {
        "user_id": world.users["north.target"].id,
        "agency_id": world.agencies["north.social_care"].id,
        "token_id": await token_ids(owner, "north"),
        "closure_id": await closure_day(owner, world, "north"),
        "notification_id": await notification(owner, world, "north"),
        "import_id": await notification_import(owner, world, "north"),
    }
    own["person_id"] = await victim(owner, own["notification_id"])
    own |= await a_meeting(owner, world, "north", own["notification_id"])
    own["name"] = "no-such-feed-token-anywhere.ics"  # type: ignore[assignment]
    failures = []
    for (method, pattern), allowed in MATRIX.items():
        if pattern in ("/sign-in",) or (method, pattern) == ("POST", "/sign-out"):
            continue  # these change who is signed in; test_sign_in.py covers them
        path = fill(pattern, own | ({"meeting_id": own["held_meeting_id"]} if "/minutes" in pattern else {}))
        for who in PEOPLE:
            if (method, pattern) in STREAMS and who != "anonymous" and Role(who) in allowed:  # type: ignore[operator]
                continue
            client = people.use(who)
            token = await csrf_for(client, who != "anonymous")
            status, location = await call(client, method, path, token, pattern)
            if allowed == FEED_TOKEN:
                ok = status == 404
            elif who == "anonymous":
                if allowed == PUBLIC:
                    ok = status < 400
                elif path.startswith("/api/"):
                    ok = status == 401
                else:
                    ok = status == 303 and location.startswith("/sign-in?next=")
            elif allowed in (PUBLIC, SIGNED_IN) or Role(who) in allowed:  # type: ignore[operator]
                ok = status not in (401, 403, 404) and status < 500
            else:
                ok = status == 403
            if not ok:
                failures.append(f"{who:13} {method:4} {path}: {status} {location}")
    assert failures == []


async def test_records_of_another_partnership_are_404_for_roles_that_may_use_the_route(
    people: factories.Browsers, world: factories.World, owner: asyncpg.Connection
) -> None:
    theirs = {
        "user_id": world.users["south.target"].id,
        "agency_id": world.agencies["south.social_care"].id,
        "token_id": await owner.fetchval(
            "INSERT INTO api_token (partnership_id, user_id, name, token_hash, token_prefix, scopes, expires_at) "
            "VALUES ($1, $2, 'south system', repeat('a', 64), 'pst_south', '{actions:read}', now() + interval '1 day') "
            "RETURNING id",
            world.partnerships["south"].id,
            world.users["south.coordinator"].id,
        ),
        "closure_id": await closure_day(owner, world, "south"),
        "notification_id": await notification(owner, world, "south"),
        "import_id": await notification_import(owner, world, "south"),
    }
    theirs["person_id"] = await victim(owner, theirs["notification_id"])
    theirs |= await a_meeting(owner, world, "south", theirs["notification_id"])
    missing = dict.fromkeys(theirs, 999_999)
    failures = []
    for (method, pattern), allowed in MATRIX.items():
        if "{" not in pattern or allowed == FEED_TOKEN:
            continue
        for role in allowed:  # type: ignore[union-attr]
            client = people.use(role.value)
            token = await csrf_for(client, True)
            for ids in (theirs, missing):
                status, _ = await call(client, method, fill(pattern, ids), token, pattern)
                if status != 404:
                    failures.append(f"{role.value} {method} {fill(pattern, ids)}: {status}")
    assert failures == []
    # And nothing of theirs changed.
    south_target = await owner.fetchrow("SELECT active, version FROM app_user WHERE id = $1", theirs["user_id"])
    assert south_target["active"] is True
    assert south_target["version"] == 1
    assert await owner.fetchval("SELECT revoked_at FROM api_token WHERE id = $1", theirs["token_id"]) is None
    assert await owner.fetchval("SELECT removed_at FROM closure_day WHERE id = $1", theirs["closure_id"]) is None
    south_person = await owner.fetchrow("SELECT version, merged_into FROM person WHERE id = $1", theirs["person_id"])
    assert (south_person["version"], south_person["merged_into"]) == (1, None)

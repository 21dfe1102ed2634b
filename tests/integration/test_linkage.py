"""Repeat-incident linkage against a real PostgreSQL, as the app's role: who is matched to whom, who
never is, what confirm, split and merge do, what a police update keeps, and the repeat counts."""

from __future__ import annotations

import asyncio
import copy
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest

from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.accounts.models import Role
from pitstop.db import migrate
from pitstop.db.pool import connect
from pitstop.errors import Conflict, Forbidden, Invalid, NotFound
from pitstop.notifications import queries as notification_queries
from pitstop.notifications import service as intake
from pitstop.notifications.models import NotificationIn, Source
from pitstop.people import linkage
from pitstop.people import service as people
from pitstop.people.models import RuleChange
from pitstop.resources import MIGRATIONS_DIR
from tests import factories
from tests.conftest import TestDatabase

NOW = datetime(2026, 11, 24, 2, 10, tzinfo=UTC)
KELLY = {"role": "victim", "family_name": "Marsh", "given_names": "Kelly Anne", "date_of_birth": "1994-02-03"}
CRAIG = {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig", "date_of_birth": "1990-07-01"}
TYLER = {"role": "child", "family_name": "Marsh", "given_names": "Tyler", "date_of_birth": "2017-05-11"}


@pytest.fixture
async def app_conn(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the app's role: what the service may do, with only its grants."""
    conn = await connect(database.app_url)
    yield conn
    await conn.close()


class Place(msgspec.Struct):
    partnership_id: int
    coordinator: Identity
    manager: Identity
    admin: Identity


def identity(user: Any, *roles: Role) -> Identity:
    return Identity(
        user_id=user.id,
        partnership_id=user.partnership_id,
        agency_id=user.agency_id,
        name=user.name,
        email=user.email,
        roles=frozenset(roles),
        must_change_password=False,
        method=AuthMethod.SESSION,
        credential="test",
    )


async def place(owner: asyncpg.Connection, slug: str) -> Place:
    p = await factories.partnership(owner, slug)
    agency = await factories.agency(owner, p.id, f"{slug} Social Care", "childrens_social_care")
    made = {}
    for role in (Role.COORDINATOR, Role.MANAGER, Role.ADMIN):
        user = await factories.user(owner, p.id, agency.id, role, email=f"{role.value}@{slug}.example")
        made[role] = identity(user, role)
    return Place(
        partnership_id=p.id, coordinator=made[Role.COORDINATOR], manager=made[Role.MANAGER], admin=made[Role.ADMIN]
    )


@pytest.fixture
async def north(owner: asyncpg.Connection) -> Place:
    return await place(owner, "north")


@pytest.fixture
async def south(owner: asyncpg.Connection) -> Place:
    return await place(owner, "south")


def body(reference: str, *people: dict[str, Any], days_ago: float = 0, **changes: Any) -> NotificationIn:
    at = (NOW - timedelta(days=days_ago)).isoformat()
    made = {
        "police_reference": reference,
        "received_at": at,
        "incident_at": at,
        "circumstances": "Invented for a test.",
        "risk": {"tool": "dash", "grade": "medium"},
        "people": [copy.deepcopy(p) for p in (people or (KELLY,))],
        **changes,
    }
    return msgspec.convert(made, NotificationIn)


async def send(conn: asyncpg.Connection, at: Place, made: NotificationIn) -> int:
    received = await intake.receive(
        conn, actor=None, partnership_id=at.partnership_id, body=made, source=Source.API, origin=factories.CLI
    )
    return received.notification.id


async def person_of(conn: asyncpg.Connection, notification_id: int, position: int = 1) -> int:
    return await conn.fetchval(
        "SELECT person_id FROM notification_person WHERE notification_id = $1 AND position = $2",
        notification_id,
        position,
    )


def with_(person: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**person, **changes}


# ---- the key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("O'Brien", "Kelly"), ("OBrien", "Kelly")),
        (("O'Brien", "Kelly"), ("o brien", "KELLY")),
        (("O\u2019Brien", "Kelly"), ("O'Brien", "Kelly")),  # a typographic apostrophe
        (("Marsh", "Zo\u00eb"), ("Marsh", "Zoe")),  # ë as one character
        (("Marsh", "Zoe\u0308"), ("MARSH", "Zo\u00eb")),  # ë as e and a combining diaeresis
        (("Marsh", "Kelly Anne"), ("Marsh", "Kelly")),  # the first given name is what counts
        (("Smith-Jones", "Kelly"), ("Smith Jones", "Kelly")),
        (("Marsh", "  kelly\u00a0anne "), ("marsh", "Kelly")),  # a no-break space, stray spaces
        (("Marsh", "Anne-Marie"), ("Marsh", "Anne-Marie Louise")),
    ],
)
async def test_these_keys_match(owner: asyncpg.Connection, one: tuple[str, str], other: tuple[str, str]) -> None:
    keys = await owner.fetch(
        "SELECT person_match_key(f, g, DATE '1994-02-03') AS key FROM (VALUES ($1, $2), ($3, $4)) v(f, g)",
        *one,
        *other,
    )
    assert keys[0]["key"] is not None
    assert keys[0]["key"] == keys[1]["key"]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("Marsh", "Kelly", "1994-02-03"), ("Marsh", "Kelly", "1994-03-02")),  # another date of birth
        (("Marsh", "Kelly", "1994-02-03"), ("Marsh", "Tyler", "1994-02-03")),  # twins
        (("Marsh", "Anne-Marie", "1994-02-03"), ("Marsh", "Anne", "1994-02-03")),  # a double name is one name
        (("Marsh", "Kelly", "1994-02-03"), ("Marshall", "Kelly", "1994-02-03")),
    ],
)
async def test_these_keys_differ(
    owner: asyncpg.Connection, one: tuple[str, str, str], other: tuple[str, str, str]
) -> None:
    keys = await owner.fetch(
        "SELECT person_match_key(f, g, d::date) AS key FROM (VALUES ($1, $2, $3), ($4, $5, $6)) v(f, g, d)",
        *one,
        *other,
    )
    assert keys[0]["key"] != keys[1]["key"]


@pytest.mark.parametrize(
    ("family", "given", "born"),
    [
        ("Marsh", "Kelly", None),
        ("Marsh", None, "1994-02-03"),
        ("Marsh", " - ", "1994-02-03"),
        ("'", "Kelly", "1994-02-03"),
    ],
)
async def test_no_key_without_a_name_and_a_date_of_birth(
    owner: asyncpg.Connection, family: str, given: str | None, born: str | None
) -> None:
    key = await owner.fetchval("SELECT person_match_key($1, $2, $3::text::date)", family, given, born)
    assert key is None


# ---- matching through intake ------------------------------------------------------------------


async def test_the_same_person_in_two_notifications_is_one_person(app_conn: asyncpg.Connection, north: Place) -> None:
    first = await send(app_conn, north, body("N/1", KELLY, days_ago=30))
    second = await send(
        app_conn, north, body("N/2", with_(KELLY, family_name="MARSH", given_names="kelly"), days_ago=1)
    )
    assert await person_of(app_conn, first) == await person_of(app_conn, second)
    person = await app_conn.fetchrow("SELECT * FROM person WHERE id = $1", await person_of(app_conn, first))
    assert (person["family_name"], person["given_names"], person["auto_match"]) == ("Marsh", "Kelly Anne", True)
    assert await app_conn.fetchval("SELECT count(*) FROM person") == 1


@pytest.mark.parametrize(
    ("again", "why"),
    [
        (with_(KELLY, date_of_birth="1994-03-02"), "another date of birth"),
        (with_(KELLY, given_names="Tyler"), "a twin: same family name and date of birth"),
        (with_(KELLY, date_of_birth=None), "no date of birth"),
        (with_(KELLY, given_names=None), "no given name"),
    ],
)
async def test_near_misses_are_never_matched(
    app_conn: asyncpg.Connection, north: Place, again: dict[str, Any], why: str
) -> None:
    first = await send(app_conn, north, body("N/1", KELLY, days_ago=30))
    second = await send(app_conn, north, body("N/2", again, days_ago=1))
    assert await person_of(app_conn, first) != await person_of(app_conn, second), why


async def test_people_without_a_date_of_birth_are_never_matched_even_to_each_other(
    app_conn: asyncpg.Connection, north: Place
) -> None:
    no_birth = with_(KELLY, date_of_birth=None)
    first = await send(app_conn, north, body("N/1", no_birth, days_ago=30))
    second = await send(app_conn, north, body("N/2", no_birth, days_ago=1))
    ids = {await person_of(app_conn, first), await person_of(app_conn, second)}
    assert len(ids) == 2
    rows = await app_conn.fetch("SELECT auto_match, match_key FROM person WHERE id = ANY($1::bigint[])", list(ids))
    assert all(not row["auto_match"] and row["match_key"] is None for row in rows)


async def test_an_address_never_matches_and_a_withheld_one_is_never_compared(
    app_conn: asyncpg.Connection, north: Place
) -> None:
    # The same address, another date of birth: two people (an address is a hint, never a match).
    at_home = with_(KELLY, address="12 Quillon Close")
    first = await send(app_conn, north, body("N/1", at_home, days_ago=30))
    second = await send(app_conn, north, body("N/2", with_(at_home, date_of_birth="1994-03-02"), days_ago=20))
    assert await person_of(app_conn, first) != await person_of(app_conn, second)
    # Same person, in a refuge now: linked by name and date of birth, and nothing is said about the address.
    refuge = await send(app_conn, north, body("N/3", with_(KELLY, address_withheld=True), days_ago=10))
    # Same person again, with the incident's address withheld: their own address is not compared either.
    withheld_incident = await send(
        app_conn, north, body("N/4", with_(KELLY, address="12 Quillon Close"), days_ago=5, address_withheld=True)
    )
    moved = await send(app_conn, north, body("N/5", with_(KELLY, address="7 Larkspur Way"), days_ago=1))
    again = await send(app_conn, north, body("N/6", with_(KELLY, address="12 QUILLON CLOSE."), days_ago=0))
    assert {await person_of(app_conn, n) for n in (first, refuge, withheld_incident, moved, again)} == {
        await person_of(app_conn, first)
    }

    async def agrees(notification_id: int) -> bool | None:
        found = await notification_queries.get(app_conn, notification_id)
        assert found is not None
        return found.people[0].address_agrees

    assert await agrees(refuge) is None
    assert await agrees(withheld_incident) is None
    assert await agrees(moved) is False  # differs from N/1 (N/4's is never compared)
    assert await agrees(again) is True  # the same as N/1, whatever the case and punctuation


async def test_another_partnership_never_shares_a_person(
    app_conn: asyncpg.Connection, north: Place, south: Place
) -> None:
    ours = await send(app_conn, north, body("N/1", KELLY))
    theirs = await send(app_conn, south, body("N/1", KELLY))
    assert await person_of(app_conn, ours) != await person_of(app_conn, theirs)
    # And the database refuses a link across partnerships, whatever the application does.
    with pytest.raises(asyncpg.CheckViolationError, match="own partnership"):
        await app_conn.execute(
            "UPDATE notification_person SET person_id = $1 WHERE notification_id = $2",
            await person_of(app_conn, theirs),
            ours,
        )
    with pytest.raises(asyncpg.CheckViolationError, match="own partnership"):
        await app_conn.execute(
            """INSERT INTO notification_person (notification_id, position, role, family_name, person_id)
               VALUES ($1, 9, 'victim', 'Marsh', $2)""",
            ours,
            await person_of(app_conn, theirs),
        )


# ---- link_people, in bulk and at once ---------------------------------------------------------


async def insert_bare(conn: asyncpg.Connection, partnership_id: int, reference: str, people: list[dict]) -> int:
    """A notification and its people written directly, as a bulk importer does, not yet linked."""
    notification_id = await conn.fetchval(
        """INSERT INTO notification (partnership_id, police_reference, source, received_at, circumstances, risk_tool,
                                     officer_grade, content_hash)
           VALUES ($1, $2, 'csv', $3, 'Imported.', 'dash', 'standard', 'x') RETURNING id""",
        partnership_id,
        reference,
        NOW,
    )
    await conn.executemany(
        """INSERT INTO notification_person (notification_id, position, role, family_name, given_names, date_of_birth)
           VALUES ($1, $2, $3, $4, $5, $6::text::date)""",
        [
            (notification_id, i, p["role"], p["family_name"], p.get("given_names"), p.get("date_of_birth"))
            for i, p in enumerate(people, start=1)
        ],
    )
    return notification_id


async def test_link_people_links_a_batch_once_even_when_a_person_repeats_in_it(
    app_conn: asyncpg.Connection, north: Place
) -> None:
    existing = await send(app_conn, north, body("N/0", KELLY, days_ago=100))
    ids = [
        await insert_bare(app_conn, north.partnership_id, f"CSV/{i}", [KELLY, CRAIG, with_(TYLER, date_of_birth=None)])
        for i in range(5)
    ]
    await linkage.link_people(app_conn, north.partnership_id, ids)
    rows = await app_conn.fetch(
        """SELECT notification_id, position, person_id FROM notification_person
            WHERE notification_id = ANY($1::bigint[])""",
        ids,
    )
    assert all(row["person_id"] is not None for row in rows)
    by_position = {p: {r["person_id"] for r in rows if r["position"] == p} for p in (1, 2, 3)}
    assert by_position[1] == {await person_of(app_conn, existing)}  # the repeat victim: their earlier record
    assert len(by_position[2]) == 1  # the alleged perpetrator, five times in this batch: one new person
    assert len(by_position[3]) == 5  # a child without a date of birth: never matched, one each
    people = await app_conn.fetchval("SELECT count(*) FROM person")
    await linkage.link_people(app_conn, north.partnership_id, ids)  # again: nothing to do
    assert await app_conn.fetchval("SELECT count(*) FROM person") == people


async def test_link_people_ignores_another_partnerships_notifications(
    app_conn: asyncpg.Connection, north: Place, south: Place
) -> None:
    theirs = await insert_bare(app_conn, south.partnership_id, "CSV/1", [KELLY])
    await linkage.link_people(app_conn, north.partnership_id, [theirs])
    assert await person_of(app_conn, theirs) is None


async def test_two_intakes_of_one_new_person_at_once_make_one_person(
    database: TestDatabase, app_conn: asyncpg.Connection, north: Place
) -> None:
    first = await insert_bare(app_conn, north.partnership_id, "CSV/1", [KELLY])
    second = await insert_bare(app_conn, north.partnership_id, "CSV/2", [KELLY])
    other = await connect(database.app_url)
    try:
        one = app_conn.transaction()
        await one.start()
        await linkage.link_people(app_conn, north.partnership_id, [first])  # holds the new key, not committed
        waiting = asyncio.create_task(linkage.link_people(other, north.partnership_id, [second]))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # waits on the unique index
        await one.commit()
        await asyncio.wait_for(waiting, 10)
    finally:
        await other.close()
    assert await person_of(app_conn, first) == await person_of(app_conn, second)
    assert await app_conn.fetchval("SELECT count(*) FROM person") == 1


async def test_an_intake_during_a_merge_follows_it(
    database: TestDatabase, app_conn: asyncpg.Connection, north: Place
) -> None:
    a = await person_of(app_conn, await send(app_conn, north, body("N/1", KELLY, days_ago=60)))
    b = await person_of(app_conn, await send(app_conn, north, body("N/2", with_(KELLY, given_names="Kelli"))))
    arriving = await insert_bare(app_conn, north.partnership_id, "CSV/1", [with_(KELLY, given_names="Kelli")])
    intake_conn = await connect(database.app_url)
    try:
        merging = app_conn.transaction()
        await merging.start()
        await people.merge(
            app_conn, actor=north.coordinator, person_id=a, other_id=b, version=1, other_version=1,
            origin=factories.CLI,
        )  # fmt: skip
        # The intake reads Kelli's person before the merge commits, then waits for it.
        linking = asyncio.create_task(linkage.link_people(intake_conn, north.partnership_id, [arriving]))
        await asyncio.sleep(0.2)
        assert not linking.done()
        await merging.commit()
        await asyncio.wait_for(linking, 10)
    finally:
        await intake_conn.close()
    assert await person_of(app_conn, arriving) == a  # never left with the merged person


async def test_a_new_notification_during_a_merge_is_linked_to_the_survivor(
    database: TestDatabase, app_conn: asyncpg.Connection, north: Place
) -> None:
    # A new notification's people are written already linked (one statement): that statement waits
    # for a merge of the person it links to, then links to the survivor.
    a = await person_of(app_conn, await send(app_conn, north, body("N/1", KELLY, days_ago=60)))
    b = await person_of(app_conn, await send(app_conn, north, body("N/2", with_(KELLY, given_names="Kelli"))))
    intake_conn = await connect(database.app_url)
    try:
        merging = app_conn.transaction()
        await merging.start()
        await people.merge(
            app_conn, actor=north.coordinator, person_id=a, other_id=b, version=1, other_version=1,
            origin=factories.CLI,
        )  # fmt: skip
        arriving = asyncio.create_task(send(intake_conn, north, body("N/3", with_(KELLY, given_names="Kelli"))))
        await asyncio.sleep(0.2)
        assert not arriving.done()
        await merging.commit()
        notification_id = await asyncio.wait_for(arriving, 10)
    finally:
        await intake_conn.close()
    assert await person_of(app_conn, notification_id) == a


# ---- confirm, split, merge --------------------------------------------------------------------


async def test_split_moves_an_incident_off_and_later_incidents_go_to_the_original(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, north: Place
) -> None:
    first = await send(app_conn, north, body("N/1", KELLY, days_ago=60))
    wrong = await send(app_conn, north, body("N/2", KELLY, days_ago=30))
    original = await person_of(app_conn, first)
    assert await person_of(app_conn, wrong) == original
    new_id = await people.split(
        app_conn, actor=north.coordinator, person_id=original, notification_id=wrong, version=1, origin=factories.CLI
    )
    assert await person_of(app_conn, wrong) == new_id
    split_off = await app_conn.fetchrow("SELECT auto_match, split_from FROM person WHERE id = $1", new_id)
    assert (split_off["auto_match"], split_off["split_from"]) == (False, original)
    link = await app_conn.fetchrow(
        "SELECT link_status, confirmed_by FROM notification_person WHERE notification_id = $1", wrong
    )
    assert (link["link_status"], link["confirmed_by"]) == ("confirmed", north.coordinator.user_id)
    later = await send(app_conn, north, body("N/3", KELLY, days_ago=1))
    assert await person_of(app_conn, later) == original
    event = await owner.fetchrow("SELECT * FROM audit_event WHERE action = 'person_split'")
    assert (event["record_id"], event["user_id"]) == (str(original), north.coordinator.user_id)
    assert event["detail"] == {"notification_id": wrong, "new_person_id": new_id}
    # The page it was made on is now stale.
    with pytest.raises(Conflict):
        await people.split(
            app_conn, actor=north.coordinator, person_id=original, notification_id=later, version=1,
            origin=factories.CLI,
        )  # fmt: skip


async def test_a_persons_only_incident_cannot_be_split(app_conn: asyncpg.Connection, north: Place) -> None:
    only = await send(app_conn, north, body("N/1", KELLY))
    with pytest.raises(Invalid):
        await people.split(
            app_conn, actor=north.coordinator, person_id=await person_of(app_conn, only), notification_id=only,
            version=1, origin=factories.CLI,
        )  # fmt: skip


async def test_a_police_update_keeps_a_split_and_a_confirmation(app_conn: asyncpg.Connection, north: Place) -> None:
    await send(app_conn, north, body("N/1", KELLY, CRAIG, days_ago=60))
    made = body("N/2", KELLY, CRAIG, days_ago=30)
    wrong = await send(app_conn, north, made)
    kelly, craig = await person_of(app_conn, wrong, 1), await person_of(app_conn, wrong, 2)
    new_id = await people.split(
        app_conn, actor=north.coordinator, person_id=kelly, notification_id=wrong, version=1, origin=factories.CLI
    )
    await people.confirm(
        app_conn, actor=north.coordinator, person_id=craig, notification_id=wrong, version=1, origin=factories.CLI
    )
    # The police send N/2 again: the people in another order, a child added, new circumstances.
    changed = msgspec.structs.replace(
        made,
        circumstances="Updated by the police.",
        people=[made.people[1], msgspec.convert(TYLER, type(made.people[0])), made.people[0]],
    )
    await send(app_conn, north, changed)
    rows = await app_conn.fetch(
        """SELECT role, person_id, link_status FROM notification_person WHERE notification_id = $1 ORDER BY position""",
        wrong,
    )
    assert [(r["role"], r["person_id"], r["link_status"]) for r in rows] == [
        ("alleged_perpetrator", craig, "confirmed"),
        ("child", rows[1]["person_id"], "automatic"),
        ("victim", new_id, "confirmed"),
    ]


async def test_a_police_update_keeps_a_split_when_the_date_of_birth_changes_too(
    app_conn: asyncpg.Connection, north: Place
) -> None:
    await send(app_conn, north, body("N/1", KELLY, days_ago=60))
    made = body("N/2", KELLY, days_ago=30)
    wrong = await send(app_conn, north, made)
    new_id = await people.split(
        app_conn, actor=north.coordinator, person_id=await person_of(app_conn, wrong), notification_id=wrong,
        version=1, origin=factories.CLI,
    )  # fmt: skip
    # Same position, same name: the coordinator's decision stands, whatever the police correct.
    await send(app_conn, north, body("N/2", with_(KELLY, date_of_birth="1994-02-04"), days_ago=30))
    assert await person_of(app_conn, wrong) == new_id


async def test_a_corrected_date_of_birth_is_matched_afresh(app_conn: asyncpg.Connection, north: Place) -> None:
    kelly = await send(app_conn, north, body("N/1", KELLY, days_ago=60))
    typo = with_(KELLY, date_of_birth="1994-02-13")
    later = await send(app_conn, north, body("N/2", typo, days_ago=30))
    assert await person_of(app_conn, later) != await person_of(app_conn, kelly)
    await send(app_conn, north, body("N/2", KELLY, days_ago=30))  # the police correct it
    assert await person_of(app_conn, later) == await person_of(app_conn, kelly)


async def test_merge_moves_incidents_and_later_ones_follow(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, north: Place
) -> None:
    a = await send(app_conn, north, body("N/1", KELLY, days_ago=60))
    b = await send(app_conn, north, body("N/2", with_(KELLY, given_names="Kelli"), days_ago=30))
    c = await send(app_conn, north, body("N/3", with_(KELLY, given_names="Kel"), days_ago=20))
    pa, pb, pc = [await person_of(app_conn, n) for n in (a, b, c)]
    # C into B, then B into A: C now points at A too (a link follows one step).
    await people.merge(
        app_conn, actor=north.coordinator, person_id=pb, other_id=pc, version=1, other_version=1, origin=factories.CLI
    )
    moved = await people.merge(
        app_conn, actor=north.coordinator, person_id=pa, other_id=pb, version=1, other_version=2, origin=factories.CLI
    )
    assert moved == 2
    assert {await person_of(app_conn, n) for n in (a, b, c)} == {pa}
    merged = await app_conn.fetch(
        "SELECT id, merged_into FROM person WHERE id = ANY($1::bigint[]) ORDER BY id", [pb, pc]
    )
    assert [r["merged_into"] for r in merged] == [pa, pa]
    assert await app_conn.fetchval("SELECT count(*) FROM person") == 3  # nothing deleted
    # A new incident under C's name goes to A.
    later = await send(app_conn, north, body("N/4", with_(KELLY, given_names="Kel"), days_ago=1))
    assert await person_of(app_conn, later) == pa
    record = await people.record(app_conn, north.manager, pa, factories.CLI)
    assert [i.police_reference for i in record.incidents] == ["N/4", "N/3", "N/2", "N/1"]  # newest first
    assert record.merged == [pb, pc]
    events = await owner.fetch("SELECT record_id, detail FROM audit_event WHERE action = 'person_merged' ORDER BY id")
    assert [(e["record_id"], e["detail"]["merged_person_id"]) for e in events] == [(str(pb), pc), (str(pa), pb)]
    # Stale: B was merged meanwhile.
    with pytest.raises(Conflict):
        await people.merge(
            app_conn, actor=north.coordinator, person_id=pc, other_id=pb, version=2, other_version=3,
            origin=factories.CLI,
        )  # fmt: skip


async def test_changes_need_a_coordinator_and_stay_in_the_partnership(
    app_conn: asyncpg.Connection, north: Place, south: Place
) -> None:
    ours = await person_of(app_conn, await send(app_conn, north, body("N/1", KELLY, days_ago=9)))
    theirs_notification = await send(app_conn, south, body("S/1", KELLY))
    theirs = await person_of(app_conn, theirs_notification)
    with pytest.raises(NotFound):
        await people.record(app_conn, north.manager, theirs, factories.CLI)
    with pytest.raises(NotFound):
        await people.confirm(
            app_conn, actor=north.coordinator, person_id=theirs, notification_id=theirs_notification, version=1,
            origin=factories.CLI,
        )  # fmt: skip
    with pytest.raises(Invalid):  # the other person is typed in: "no such person", never theirs
        await people.merge(
            app_conn, actor=north.coordinator, person_id=ours, other_id=theirs, version=1, other_version=1,
            origin=factories.CLI,
        )  # fmt: skip
    with pytest.raises(Forbidden):
        await people.confirm(
            app_conn, actor=north.manager, person_id=ours, notification_id=1, version=1, origin=factories.CLI
        )
    assert await app_conn.fetchval("SELECT version FROM person WHERE id = $1", theirs) == 1


# ---- counts and the threshold -----------------------------------------------------------------


async def escalates(conn: asyncpg.Connection, at: Place, notification_id: int) -> tuple[bool, int | None, bool]:
    """(flag on the notification, the victim's count, flag in the queue): the page and the queue agree."""
    found = await notification_queries.get(conn, notification_id)
    assert found is not None
    queue = {s.id: s for s in await notification_queries.summaries(conn, at.partnership_id)}
    return found.potential_escalation, found.people[0].recent_incidents, queue[notification_id].potential_escalation


async def test_three_in_twelve_months_is_a_potential_escalation_two_is_not(
    app_conn: asyncpg.Connection, north: Place
) -> None:
    await send(app_conn, north, body("N/1", KELLY, days_ago=367))  # a year and two days before N/4
    await send(app_conn, north, body("N/2", KELLY, days_ago=200))
    second = await send(app_conn, north, body("N/3", KELLY, days_ago=1))
    # N/1 is a year and a day before N/3: just outside its 12 months.
    assert await escalates(app_conn, north, second) == (False, 2, False)
    third = await send(app_conn, north, body("N/4", KELLY, days_ago=0))
    assert await escalates(app_conn, north, third) == (True, 3, True)
    # Counted as it stood at each incident: N/3 still had two.
    assert await escalates(app_conn, north, second) == (False, 2, False)


async def test_the_alleged_perpetrators_history_counts_a_childs_does_not(
    app_conn: asyncpg.Connection, north: Place
) -> None:
    for i, days in enumerate((300, 200)):
        await send(app_conn, north, body(f"P/{i}", with_(KELLY, given_names=f"Other{i}"), CRAIG, TYLER, days_ago=days))
    craig = await send(app_conn, north, body("N/1", KELLY, CRAIG, days_ago=0))
    found = await notification_queries.get(app_conn, craig)
    assert found is not None
    assert [p.recent_incidents for p in found.people] == [1, 3]
    assert found.potential_escalation
    child = await send(app_conn, north, body("N/2", with_(KELLY, given_names="Another"), TYLER, days_ago=0))
    found = await notification_queries.get(app_conn, child)
    assert found is not None
    assert [p.recent_incidents for p in found.people] == [1, 3]
    assert not found.potential_escalation


async def test_the_polices_own_count_can_make_it_one(app_conn: asyncpg.Connection, north: Place) -> None:
    two = await send(app_conn, north, body("N/1", KELLY, previous_incidents_12m=1))
    three = await send(app_conn, north, body("N/2", with_(KELLY, given_names="Other"), previous_incidents_12m=2))
    assert (await escalates(app_conn, north, two))[0::2] == (False, False)
    assert (await escalates(app_conn, north, three))[0::2] == (True, True)


async def test_the_threshold_and_window_are_the_partnerships(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, north: Place, south: Place
) -> None:
    await send(app_conn, north, body("N/1", KELLY, days_ago=80))
    await send(app_conn, north, body("N/2", KELLY, days_ago=40))
    now = await send(app_conn, north, body("N/3", KELLY))
    assert (await escalates(app_conn, north, now))[0]
    rule = await people.update_rule(
        app_conn,
        actor=north.admin,
        change=RuleChange(threshold="4", window_months="12", version=0),
        origin=factories.CLI,
    )
    assert (rule.threshold, rule.window_months, rule.version) == (4, 12, 1)
    assert await escalates(app_conn, north, now) == (False, 3, False)
    await people.update_rule(
        app_conn,
        actor=north.admin,
        change=RuleChange(threshold="2", window_months="1", version=1),
        origin=factories.CLI,
    )
    assert await escalates(app_conn, north, now) == (False, 1, False)  # the others are over a month ago
    with pytest.raises(Conflict):  # a stale form
        await people.update_rule(
            app_conn, actor=north.admin, change=RuleChange(threshold="5", window_months="3", version=1),
            origin=factories.CLI,
        )  # fmt: skip
    with pytest.raises(Invalid) as bad:
        await people.update_rule(
            app_conn, actor=north.admin, change=RuleChange(threshold="1", window_months="x", version=2),
            origin=factories.CLI,
        )  # fmt: skip
    assert set(bad.value.errors) == {"threshold", "window_months"}
    # Another partnership keeps the defaults.
    assert (await people.rule(app_conn, south.admin)).threshold == 3
    events = await owner.fetch("SELECT detail FROM audit_event WHERE action = 'repeat_rule_updated' ORDER BY id")
    assert [e["detail"] for e in events] == [
        {"threshold": 4, "window_months": 12},
        {"threshold": 2, "window_months": 1},
    ]


# ---- the migration's backfill -----------------------------------------------------------------


async def test_the_migration_links_notifications_already_received(empty_database: TestDatabase, tmp_path: Path) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 7:
            shutil.copy(path, before / path.name)
    await migrate.migrate(empty_database.owner_url, before)
    conn = await connect(empty_database.owner_url)
    try:
        north = await factories.partnership(conn, "north")
        south = await factories.partnership(conn, "south")
        ids = [
            await insert_bare(conn, north.id, "N/1", [KELLY, with_(TYLER, date_of_birth=None)]),
            await insert_bare(conn, north.id, "N/2", [with_(KELLY, family_name="MARSH"), CRAIG]),
            await insert_bare(conn, south.id, "S/1", [KELLY]),
        ]
        shutil.copy(MIGRATIONS_DIR / "0007_repeat_linkage.sql", before)
        await migrate.migrate(empty_database.owner_url, before)
        rows = await conn.fetch(
            "SELECT notification_id, position, person_id FROM notification_person ORDER BY notification_id, position"
        )
        people_of = {(r["notification_id"], r["position"]): r["person_id"] for r in rows}
        assert None not in people_of.values()
        assert people_of[(ids[0], 1)] == people_of[(ids[1], 1)]  # Kelly, twice in north
        assert people_of[(ids[2], 1)] != people_of[(ids[0], 1)]  # and once in south: someone else
        assert len(set(people_of.values())) == 4
        keyless = await conn.fetchrow("SELECT auto_match, match_key FROM person WHERE id = $1", people_of[(ids[0], 2)])
        assert (keyless["auto_match"], keyless["match_key"]) == (False, None)
    finally:
        await conn.close()

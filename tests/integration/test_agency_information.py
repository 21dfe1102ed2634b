"""Agency information on an agenda item, against PostgreSQL as the app's role: each agency records only
its own, from the agenda's publication; shared, restricted and "not for the minutes" information is
seen by exactly who may see it; a known without a summary and a restriction naming nobody are refused;
saving over a newer version is a 409 carrying both; every version is kept; "not known" for many items
never overwrites; information follows a deferred item; views and saves are audited."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest

from pitstop.accounts.identity import Identity
from pitstop.accounts.models import Role
from pitstop.agenda import service as agenda
from pitstop.errors import Conflict, Forbidden, Invalid, NotFound
from pitstop.information import service as information
from pitstop.information.models import InformationIn, Knowledge, NotKnownIn, Visibility
from pitstop.meetings import service as meetings
from tests import factories
from tests.integration.test_mail_outbox import app_conn  # noqa: F401
from tests.meeting_helpers import CRAIG, KELLY, identity, screened, series

CLI = factories.CLI
BEA = {"role": "victim", "family_name": "Birch", "given_names": "Bea", "date_of_birth": "1990-01-02"}


@dataclass
class Meeting:
    id: int
    starts_at: datetime  # the first meeting whose cut-off is still ahead: on a Friday, Monday's
    items: list[int]
    police: Identity  # agency member of the police
    police_colleague: Identity
    care: Identity  # agency member of children's social care
    health: Identity
    housing: Identity  # their agency is not invited
    coordinator: Identity  # of the police
    manager: Identity
    agencies: dict[str, int]
    world: factories.World


async def published_meeting(owner: asyncpg.Connection, conn: asyncpg.Connection, *, publish: bool = True) -> Meeting:
    world = await factories.world(owner)
    p = world.partnerships["north"].id
    health = await factories.agency(owner, p, "North Health", "health")
    housing = await factories.agency(owner, p, "North Housing", "housing")
    care_member = await factories.user(owner, p, world.agencies["north.social_care"].id, Role.AGENCY_MEMBER)
    health_member = await factories.user(owner, p, health.id, Role.AGENCY_MEMBER)
    housing_member = await factories.user(owner, p, housing.id, Role.AGENCY_MEMBER)
    coordinator = identity(world.users["north.coordinator"])
    made = await series(conn, world, datetime.now(UTC).date())  # invites the police
    for agency_id, name in ((world.agencies["north.social_care"].id, "Sam Social"), (health.id, "Hana Health")):
        current = await meetings.series(conn, coordinator, made.id)
        await meetings.add_invitee(
            conn,
            actor=coordinator,
            series_id=made.id,
            version=current.version,
            agency_id=agency_id,
            name=name,
            email=f"{name.split()[0].lower()}@north.example",
            origin=CLI,
        )
    meeting_id = await conn.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 AND cut_off_at > now() ORDER BY starts_at LIMIT 1", made.id
    )
    at = datetime.now(UTC) - timedelta(minutes=5)
    await screened(conn, world, "NF/1", at, KELLY, CRAIG, grade="high")
    await screened(conn, world, "NF/2", at, BEA, grade="medium")
    await agenda.agenda(conn, coordinator, meeting_id, CLI)  # a coordinator's look places what waits
    if publish:
        version = await conn.fetchval("SELECT version FROM meeting WHERE id = $1", meeting_id)
        await meetings.advance(
            conn, actor=coordinator, meeting_id=meeting_id, version=version, step="publish", origin=CLI
        )
    items = [
        r["id"]
        for r in await conn.fetch("SELECT id FROM agenda_item WHERE meeting_id = $1 ORDER BY position", meeting_id)
    ]
    assert len(items) == 2
    return Meeting(
        id=meeting_id,
        starts_at=await conn.fetchval("SELECT starts_at FROM meeting WHERE id = $1", meeting_id),
        items=items,
        police=identity(world.users["north.agency_member"]),
        police_colleague=identity(world.users["north.target"]),
        care=identity(care_member),
        health=identity(health_member),
        housing=identity(housing_member),
        coordinator=coordinator,
        manager=identity(world.users["north.manager"]),
        agencies={
            "police": world.agencies["north.police"].id,
            "care": world.agencies["north.social_care"].id,
            "health": health.id,
            "housing": housing.id,
        },
        world=world,
    )


async def save(conn: asyncpg.Connection, m: Meeting, who: Identity, item: int, **fields: object) -> object:
    form = msgspec.convert({"knowledge": "known", "summary": "Known to us.", **fields}, InformationIn)
    return await information.record(conn, actor=who, meeting_id=m.id, item_id=item, form=form, origin=CLI)


async def seen(conn: asyncpg.Connection, m: Meeting, who: Identity, item: int) -> dict[str, str | None]:
    found = await information.item_information(conn, who, m.id, item, CLI)
    return {r.agency_name: r.summary for r in found.records}


async def test_each_agency_records_its_own_and_sees_only_what_it_may(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first = m.items[0]
    police = await save(app_conn, m, m.police, first, summary="Two call-outs this year.", source_system="Niche")
    await save(
        app_conn,
        m,
        m.care,
        first,
        summary="Child protection plan 2024.",
        visibility="restricted",
        restricted_to=[m.agencies["police"]],
        third_party=True,
    )
    await save(app_conn, m, m.health, first, summary="Midwife concerned.", visibility="not_for_minutes")
    assert police.version == 1
    assert police.source_system == "Niche"

    assert await seen(app_conn, m, m.police, first) == {
        "North Children's Social Care": "Child protection plan 2024.",  # restricted to the police
        "North Police": "Two call-outs this year.",
    }
    assert await seen(app_conn, m, m.health, first) == {
        "North Health": "Midwife concerned.",
        "North Police": "Two call-outs this year.",
    }
    assert await seen(app_conn, m, m.care, first) == {
        "North Children's Social Care": "Child protection plan 2024.",
        "North Police": "Two call-outs this year.",
    }
    everything = {
        "North Children's Social Care": "Child protection plan 2024.",
        "North Health": "Midwife concerned.",
        "North Police": "Two call-outs this year.",
    }
    assert await seen(app_conn, m, m.coordinator, first) == everything
    assert await seen(app_conn, m, m.manager, first) == everything
    health_view = await information.item_information(app_conn, m.health, m.id, first, CLI)
    assert health_view.checked == sorted(m.agencies[a] for a in ("police", "care", "health"))  # counts, no content
    assert health_view.can_record
    assert "Child protection plan" not in msgspec.json.encode(health_view).decode()

    # Who may record: managers never; an agency not invited cannot even see the meeting.
    with pytest.raises(Forbidden):
        await save(app_conn, m, m.manager, first)
    with pytest.raises(NotFound):
        await save(app_conn, m, m.housing, first)
    with pytest.raises(NotFound):
        await information.item_information(app_conn, m.housing, m.id, first, CLI)
    # History: the recording agency, coordinators and managers; never another agency.
    _, versions = await information.history(app_conn, m.police, m.id, first, police.id, CLI)
    assert [v.version for v in versions] == [1]
    with pytest.raises(NotFound):
        await information.history(app_conn, m.health, m.id, first, police.id, CLI)

    viewed = await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'information_viewed'")
    recorded = await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'information_recorded'")
    assert (viewed, recorded) == (7, 3)  # five looks, the health view, one history


async def test_rules_for_what_is_recorded(owner: asyncpg.Connection, app_conn: asyncpg.Connection) -> None:
    m = await published_meeting(owner, app_conn)
    first = m.items[0]
    with pytest.raises(Invalid) as known:
        await save(app_conn, m, m.police, first, summary="  ")
    assert known.value.errors == {"summary": "Enter a summary of what your agency knows"}
    with pytest.raises(Invalid) as nobody:
        await save(app_conn, m, m.police, first, visibility="restricted")
    assert nobody.value.errors == {"restricted_to": "Select the agencies it may be shared with"}
    with pytest.raises(Invalid) as outsider:
        await save(app_conn, m, m.police, first, visibility="restricted", restricted_to=[m.agencies["housing"]])
    assert outsider.value.errors == {"restricted_to": "Select only other agencies invited to this meeting"}
    with pytest.raises(Invalid) as future:
        await save(app_conn, m, m.police, first, checked_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert "checked_at" in future.value.errors
    # Not known and no trace need no summary; a restriction list is dropped when not restricted.
    saved = await save(
        app_conn, m, m.police, first, knowledge="no_trace", summary=None, restricted_to=[m.agencies["care"]]
    )
    assert (saved.knowledge, saved.restricted_to, saved.visibility) == (Knowledge.NO_TRACE, [], Visibility.SHARED)
    assert not await owner.fetchval("SELECT count(*) FROM agency_information WHERE knowledge = 'known'")


async def test_nothing_is_recorded_before_the_agenda_is_published(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn, publish=False)
    with pytest.raises(Invalid) as early:
        await save(app_conn, m, m.coordinator, m.items[0])
    assert early.value.errors == {"knowledge": "Information can be recorded once the agenda is published"}
    with pytest.raises(NotFound):  # agency members do not see an unpublished meeting at all
        await save(app_conn, m, m.police, m.items[0])


async def test_saving_over_a_newer_version_is_refused_with_both_and_every_version_is_kept(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first = m.items[0]
    v1 = await save(app_conn, m, m.police, first, summary="First look.")
    # Two police officers open version 1; the first saves, the second's save is refused.
    v2 = await save(app_conn, m, m.police, first, summary="Second look: a caution in 2023.", version=v1.version)
    assert v2.version == 2
    with pytest.raises(Conflict) as stale:
        await save(app_conn, m, m.police_colleague, first, summary="My own look.", version=v1.version)
    assert stale.value.current.summary == "Second look: a caution in 2023."
    assert stale.value.submitted.summary == "My own look."
    # A first save when a colleague's first save won: refused too, never overwriting it.
    with pytest.raises(Conflict):
        await save(app_conn, m, m.police_colleague, first, summary="Also first.")
    kept = await owner.fetchval("SELECT summary FROM agency_information WHERE agenda_item_id = $1", first)
    assert kept == "Second look: a caution in 2023."
    v3 = await save(app_conn, m, m.police_colleague, first, summary="Merged view.", version=2)
    _, versions = await information.history(app_conn, m.coordinator, m.id, first, v3.id, CLI)
    assert [(v.version, v.summary) for v in versions] == [
        (3, "Merged view."),
        (2, "Second look: a caution in 2023."),
        (1, "First look."),
    ]


async def test_not_known_for_many_items_never_overwrites(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first, second = m.items
    await save(app_conn, m, m.police, first, summary="We know this family.")
    count = await information.not_known(
        app_conn,
        actor=m.police,
        meeting_id=m.id,
        form=NotKnownIn(items=[first, second], source_system="Niche"),
        origin=CLI,
    )
    assert count == 1
    rows = await owner.fetch(
        "SELECT agenda_item_id, knowledge, source_system FROM agency_information ORDER BY agenda_item_id"
    )
    assert [(r["agenda_item_id"], r["knowledge"], r["source_system"]) for r in rows] == [
        (first, "known", None),
        (second, "not_known", "Niche"),
    ]
    assert await owner.fetchval("SELECT count(*) FROM agency_information_version") == 2
    with pytest.raises(Invalid) as elsewhere:
        await information.not_known(
            app_conn, actor=m.police, meeting_id=m.id, form=NotKnownIn(items=[999_999]), origin=CLI
        )
    assert elsewhere.value.errors == {"items": "Select items on this meeting's agenda"}
    prepared = await information.preparation(app_conn, m.police, m.id, CLI)
    assert [p.own is not None for p in prepared.items] == [True, True]


async def test_information_follows_an_item_deferred_to_the_next_meeting(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first = m.items[0]
    await save(app_conn, m, m.police, first, summary="Bail conditions end Friday.")
    version = await app_conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await agenda.defer(
        app_conn,
        actor=m.coordinator,
        meeting_id=m.id,
        item_id=first,
        version=version,
        reason="Waiting on health",
        origin=CLI,
    )
    carried = await app_conn.fetchrow("SELECT id, meeting_id FROM agenda_item WHERE carried_from = $1", first)
    later = await information.item_information(app_conn, m.coordinator, carried["meeting_id"], carried["id"], CLI)
    [record] = later.records
    assert record.summary == "Bail conditions end Friday."
    assert record.carried_from_date is not None
    assert later.own is None  # the police record this meeting's afresh


async def test_information_follows_a_deferred_item_into_one_already_on_the_next_agenda(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    """Kelly already has an item at the next meeting (a later incident): the deferred notification joins
    it, and what the police recorded this morning shows there too."""
    m = await published_meeting(owner, app_conn)
    first = m.items[0]  # Kelly's
    await save(app_conn, m, m.police, first, summary="Bail conditions end Friday.")
    cut_off, series_id = await app_conn.fetchrow("SELECT cut_off_at, series_id FROM meeting WHERE id = $1", m.id)
    following = await app_conn.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 AND starts_at > $2 ORDER BY starts_at LIMIT 1",
        series_id,
        m.starts_at,
    )
    await screened(app_conn, m.world, "NF/3", cut_off + timedelta(minutes=1), KELLY)
    await agenda.agenda(app_conn, m.coordinator, following, CLI)  # placed on the next meeting
    kelly_next = await app_conn.fetchval("SELECT id FROM agenda_item WHERE meeting_id = $1", following)
    version = await app_conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await agenda.defer(
        app_conn, actor=m.coordinator, meeting_id=m.id, item_id=first, version=version, reason="Later", origin=CLI
    )
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_item WHERE meeting_id = $1", following) == 1
    later = await information.item_information(app_conn, m.coordinator, following, kelly_next, CLI)
    assert [r.summary for r in later.records] == ["Bail conditions end Friday."]

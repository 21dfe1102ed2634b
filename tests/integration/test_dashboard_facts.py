"""The dashboard's per-notification facts (pitstop.dashboard.facts) keep up with what happens: every change
that moves a figure queues the notifications it touches (migration 0020's triggers), and counting the
queue, as the app's role, gives what the figures would be worked out afresh: a screening, a person split
off an incident, a new repeat-incident rule (every notification counted again, in rounds), a meeting held
with a decision."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
import pytest

from pitstop.dashboard import facts, figures
from pitstop.notifications import service as intake
from pitstop.notifications.models import Source
from pitstop.people import service as people
from pitstop.people.models import RuleChange
from tests import factories
from tests.conftest import TestDatabase
from tests.integration.test_minutes import held_meeting
from tests.meeting_helpers import KELLY, body, identity, london

PLACE = "north"


@pytest.fixture
async def world(owner: asyncpg.Connection) -> factories.World:
    return await factories.world(owner)


@pytest.fixture
async def app_pool(database: TestDatabase) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(database.app_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


async def fact(conn: asyncpg.Connection, notification_id: int) -> asyncpg.Record:
    return await conn.fetchrow("SELECT * FROM notification_fact WHERE notification_id = $1", notification_id)


async def receive(conn: asyncpg.Connection, world: factories.World, reference: str, day: date, perpetrator: str) -> int:
    """Kelly again (linked to her one person by intake), each time with a different alleged perpetrator."""
    suspect = {"role": "alleged_perpetrator", "family_name": perpetrator, "given_names": "Sam"}
    made = await intake.receive(
        conn,
        actor=None,
        partnership_id=world.partnerships[PLACE].id,
        body=body(reference, KELLY, suspect, received_at=london(day, 10), officer_grade="standard"),
        source=Source.API,
        origin=factories.CLI,
    )
    return made.notification.id


async def test_facts_follow_screenings_links_and_the_repeat_incident_rule(
    owner: asyncpg.Connection, world: factories.World, app_pool: asyncpg.Pool
) -> None:
    partnership_id = world.partnerships[PLACE].id
    ids = [
        await receive(owner, world, f"RF/{i}", day, name)
        for i, (day, name) in enumerate(
            [(date(2026, 9, 1), "Abbot"), (date(2026, 10, 1), "Brook"), (date(2026, 11, 2), "Carter")], start=1
        )
    ]
    assert await facts.count_all_queued(app_pool) >= 1
    assert await facts.waiting(owner, partnership_id) == 0
    # Kelly's third incident in 12 months: a potential escalation by the default rule (3), the others not.
    assert [(await fact(owner, i))["potential_escalation"] for i in ids] == [False, False, True]
    assert (await fact(owner, ids[0]))["grade"] == "standard"

    # Screened, then screened again: the grade and clock are the first screening's, the route the latest's.
    coordinator = world.users[f"{PLACE}.coordinator"].id
    for grade, route, hours in (("high", "agenda", 2), ("medium", "no_further_action", 30)):
        await owner.execute(
            """INSERT INTO screening (partnership_id, notification_id, notification_version, grade, consent, route,
                                      route_rationale, screened_by, screened_at)
               VALUES ($1, $2, 1, $3, 'given', $4, 'Invented', $5, $6)""",
            partnership_id,
            ids[0],
            grade,
            route,
            coordinator,
            london(date(2026, 9, 1), 10) + timedelta(hours=hours),
        )
    assert await facts.waiting(owner, partnership_id) == 2  # one entry per screening
    await facts.count_all_queued(app_pool)
    first = await fact(owner, ids[0])
    assert (first["grade"], first["latest_route"]) == ("high", "no_further_action")
    assert first["first_screened_at"] == london(date(2026, 9, 1), 12)

    # The third incident was not Kelly after all: split off, it is no longer anyone's third.
    coordinator_identity = identity(world.users[f"{PLACE}.coordinator"])
    kelly = await owner.fetchrow(
        """SELECT p.id, p.version FROM notification_person np JOIN person p ON p.id = np.person_id
            WHERE np.notification_id = $1 AND np.role = 'victim'""",
        ids[2],
    )
    await people.split(
        owner,
        actor=coordinator_identity,
        person_id=kelly["id"],
        notification_id=ids[2],
        version=kelly["version"],
        origin=factories.CLI,
    )
    await facts.count_all_queued(app_pool)
    assert [(await fact(owner, i))["potential_escalation"] for i in ids] == [False, False, False]

    # A rule of 2 incidents: every notification of the partnership is counted again, a few at a time.
    admin = identity(world.users[f"{PLACE}.admin"])
    await people.update_rule(
        owner,
        actor=admin,
        change=RuleChange(threshold="2", window_months="12", version=(await people.rule(owner, admin)).version),
        origin=factories.CLI,
    )
    assert await facts.waiting(owner, partnership_id) == 3
    assert await facts.count_all_queued(app_pool, limit=1) >= 3
    assert await facts.waiting(owner, partnership_id) == 0
    assert [(await fact(owner, i))["potential_escalation"] for i in ids] == [False, True, False]
    # Saved again unchanged: nothing to count.
    await owner.execute("UPDATE repeat_incident_rule SET updated_at = now() WHERE partnership_id = $1", partnership_id)
    assert await facts.waiting(owner, partnership_id) == 0

    # An older incident of Kelly's, entered after the others: those after it are counted again (September's
    # is now her second in 12 months).
    earlier = await receive(owner, world, "RF/0", date(2026, 8, 3), "Dunn")
    await facts.count_all_queued(app_pool)
    assert [(await fact(owner, i))["potential_escalation"] for i in [earlier, *ids]] == [False, True, True, False]


async def test_a_held_meeting_gives_its_notifications_their_discussion_and_decision(
    owner: asyncpg.Connection, app_pool: asyncpg.Pool
) -> None:
    m = await held_meeting(owner, owner)  # item 1 decided, both items discussed
    await facts.count_all_queued(app_pool)
    on_agenda = await owner.fetch(
        """SELECT e.notification_id, i.position, d.id AS decision_id
             FROM agenda_entry e JOIN agenda_item i ON i.id = e.agenda_item_id
             LEFT JOIN decision d ON d.agenda_item_id = i.id
            WHERE i.meeting_id = $1 ORDER BY i.position""",
        m.id,
    )
    started = await owner.fetchval("SELECT started_at FROM meeting WHERE id = $1", m.id)
    decided = await owner.fetchval("SELECT min(recorded_at) FROM decision_version")
    for row in on_agenda:
        counted = await fact(owner, row["notification_id"])
        assert counted["discussed_at"] == started
        if row["decision_id"] is None:
            assert (counted["decided_at"], counted["decisions"]) == (None, [])
        else:
            assert (counted["decided_at"], counted["decisions"]) == (decided, [row["decision_id"]])

    day = m.starts_at.date()
    scope = figures.Scope(
        partnership_id=m.world.partnerships[PLACE].id, first=day - timedelta(days=30), last=day + timedelta(days=1)
    )
    found = await figures.durations(owner, scope)
    assert found.to_discussion[2] == len(on_agenda)
    assert found.to_decision[2] == sum(1 for r in on_agenda if r["decision_id"] is not None)

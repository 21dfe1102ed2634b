"""The dashboard's timeliness figures (pitstop.dashboard.figures) against a hand-built set of notifications
with known answers, in PostgreSQL: received on a weekday, on a Saturday (it counts in the week of the
Monday before) and on the August bank holiday; screened before their deadlines, one after it, one never
(overdue now, with its age); the grade filter and the date range narrow every figure alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec
import pytest

from pitstop.calendar import service as calendar
from pitstop.dashboard import facts, figures
from pitstop.dashboard import service as dashboard
from pitstop.meetings.schedule import LONDON
from pitstop.notifications import service as intake
from pitstop.notifications.models import Source
from tests import factories
from tests.integration.test_minutes import held_meeting
from tests.meeting_helpers import CRAIG, KELLY, body, london

PLACE = "north"


@pytest.fixture
async def world(owner: asyncpg.Connection) -> factories.World:
    return await factories.world(owner)


def victim(reference: str) -> dict[str, str]:
    """A victim of her own for each notification: no repeat incidents unless a test makes them."""
    return {**KELLY, "family_name": "Marsh-" + reference.replace("/", "")}


async def notification(
    conn: asyncpg.Connection, world: factories.World, reference: str, received: datetime, grade: str
) -> tuple[int, datetime]:
    """Received (through intake, which sets its deadline from the partnership's calendar); its id and due."""
    made = await intake.receive(
        conn,
        actor=None,
        partnership_id=world.partnerships[PLACE].id,
        body=body(reference, victim(reference), CRAIG, received_at=received, officer_grade=grade),
        source=Source.API,
        origin=factories.CLI,
    )
    due = await conn.fetchval("SELECT screening_due_at FROM notification WHERE id = $1", made.notification.id)
    return made.notification.id, due


async def screen(
    conn: asyncpg.Connection, world: factories.World, notification_id: int, grade: str, at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO screening (partnership_id, notification_id, notification_version, grade, consent, route,
                                  screened_by, screened_at)
           VALUES ($1, $2, 1, $3, 'given', 'agenda', $4, $5)""",
        world.partnerships[PLACE].id,
        notification_id,
        grade,
        world.users[f"{PLACE}.coordinator"].id,
        at,
    )
    await conn.execute("UPDATE notification SET status = 'screened' WHERE id = $1", notification_id)


async def counted(conn: asyncpg.Connection, partnership_id: int) -> None:
    """Bring the dashboard's facts up to date, as a view does (the background counter is off in tests)."""
    async with conn.transaction():
        assert await facts.count_queued(conn, partnership_id, 100_000) == 0


async def weeks_of(conn: asyncpg.Connection, scope: figures.Scope) -> list[figures.ScreeningWeek]:
    return figures.screening_by_week(await figures.days(conn, scope))


async def volumes_of(conn: asyncpg.Connection, scope: figures.Scope) -> figures.Volumes:
    return await figures.volumes(conn, scope, await figures.days(conn, scope))


async def test_screening_timeliness_by_week_and_grade_with_known_answers(
    owner: asyncpg.Connection, world: factories.World
) -> None:
    await calendar.ensure_calendar(owner, world.partnerships[PLACE].id, [2026])  # England's bank holidays
    thursday, friday, saturday = (london(date(2026, 8, d), 10) for d in (27, 28, 29))
    bank_holiday, wednesday = london(date(2026, 8, 31), 11), london(date(2026, 9, 2), 9)
    high, high_due = await notification(owner, world, "DB/1", thursday, "high")
    medium, medium_due = await notification(owner, world, "DB/2", friday, "medium")
    standard, standard_due = await notification(owner, world, "DB/3", saturday, "standard")
    await notification(owner, world, "DB/4", bank_holiday, "high")  # never screened
    late, late_due = await notification(owner, world, "DB/5", wednesday, "medium")
    # Friday's medium notification (one working day): its clock skips the weekend and the bank holiday.
    assert medium_due == london(date(2026, 9, 1), 10)
    await screen(owner, world, high, "high", high_due - timedelta(hours=1))  # on time, 1 h to spare
    await screen(owner, world, medium, "medium", medium_due)  # on time, to the minute
    await screen(owner, world, standard, "standard", standard_due + timedelta(minutes=1))  # a minute late
    await screen(owner, world, late, "high", late_due + timedelta(hours=5))  # late, and graded up
    scope = figures.Scope(partnership_id=world.partnerships[PLACE].id, first=date(2026, 8, 24), last=date(2026, 9, 6))
    await counted(owner, scope.partnership_id)

    weeks = await weeks_of(owner, scope)
    assert [(w.week, w.grade, w.received, w.on_time, w.late, w.waiting) for w in weeks] == [
        # Monday 24 August: Thursday, Friday and Saturday's.
        (date(2026, 8, 24), "high", 1, 1, 0, 0),
        (date(2026, 8, 24), "medium", 1, 1, 0, 0),
        (date(2026, 8, 24), "standard", 1, 0, 1, 0),
        # Monday 31 August (the bank holiday): one never screened, one screened late as high.
        (date(2026, 8, 31), "high", 2, 0, 1, 1),
    ]
    assert [w.on_time_share for w in weeks] == [1.0, 1.0, 0.0, 0.0]

    only_high = await weeks_of(owner, msgspec.structs.replace(scope, grade="high"))
    assert [(w.week, w.received) for w in only_high] == [(date(2026, 8, 24), 1), (date(2026, 8, 31), 2)]
    first_week = await weeks_of(owner, msgspec.structs.replace(scope, last=date(2026, 8, 30)))
    assert sum(w.received for w in first_week) == 3

    # Overdue now: the bank holiday's, never screened, with its age in hours.
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    [overdue] = await figures.overdue_now(owner, scope.partnership_id, now, None)
    assert (overdue.grade, overdue.count) == ("high", 1)
    assert overdue.oldest_hours == (now - bank_holiday).total_seconds() / 3600
    assert await figures.overdue_now(owner, scope.partnership_id, now, "medium") == []

    # Receipt to screening: 4 screened, in hours; median and 90th percentile interpolated as PostgreSQL does.
    hours = sorted(
        (at - received).total_seconds() / 3600
        for at, received in (
            (high_due - timedelta(hours=1), thursday),
            (medium_due, friday),
            (standard_due + timedelta(minutes=1), saturday),
            (late_due + timedelta(hours=5), wednesday),
        )
    )
    found = await figures.durations(owner, scope)
    assert found.to_screening[2] == 4
    assert found.to_screening[0] == (hours[1] + hours[2]) / 2
    assert abs(found.to_screening[1] - (hours[2] + 0.7 * (hours[3] - hours[2]))) < 1e-9
    assert found.to_discussion == (None, None, 0)  # none discussed yet
    assert found.to_decision == (None, None, 0)


async def test_volumes_count_what_came_in_with_its_children_escalations_and_routes(
    owner: asyncpg.Connection, world: factories.World
) -> None:
    partnership_id = world.partnerships[PLACE].id
    monday, tuesday = london(date(2026, 11, 9), 10), london(date(2026, 11, 10), 23, 30)  # 23:30 is still Tuesday
    child = {"role": "child", "family_name": "Marsh", "given_names": "Tyler", "date_of_birth": "2018-05-01"}
    first, _ = await notification(owner, world, "VO/1", monday, "high")
    second, _ = await notification(owner, world, "VO/2", tuesday, "standard")
    made = await intake.receive(
        owner,
        actor=None,
        partnership_id=partnership_id,
        # The police count 4 earlier incidents: a potential escalation by the partnership's rule (3 in 12 months).
        body=body("VO/3", victim("VO/3"), child, received_at=tuesday, officer_grade="medium", previous_incidents_12m=4),
        source=Source.API,
        origin=factories.CLI,
    )
    await screen(owner, world, first, "high", monday + timedelta(hours=1))
    await owner.execute(
        """INSERT INTO screening (partnership_id, notification_id, notification_version, grade, consent, route,
                                  route_rationale, screened_by, screened_at)
           VALUES ($1, $2, 1, 'standard', 'given', 'no_further_action', 'Invented', $3, $4),
                  ($1, $5, 1, 'medium', 'given', 'allocated_worker', NULL, $3, $4)""",
        partnership_id,
        second,
        world.users[f"{PLACE}.coordinator"].id,
        tuesday + timedelta(hours=10),
        made.notification.id,
    )
    scope = figures.Scope(partnership_id=partnership_id, first=date(2026, 11, 9), last=date(2026, 11, 15))
    await counted(owner, partnership_id)
    found = await volumes_of(owner, scope)
    assert (found.notifications, found.children, found.potential_escalation) == (3, 1, 1)
    assert (found.for_information, found.no_further_action) == (1, 1)
    assert [(d.day, d.grade, d.count) for d in found.per_day] == [
        (date(2026, 11, 9), "high", 1),
        (date(2026, 11, 10), "medium", 1),
        (date(2026, 11, 10), "standard", 1),
    ]
    medium = await volumes_of(owner, msgspec.structs.replace(scope, grade="medium"))
    assert (medium.notifications, medium.children, medium.potential_escalation, medium.for_information) == (1, 1, 1, 1)
    assert (await volumes_of(owner, msgspec.structs.replace(scope, first=date(2026, 11, 10)))).notifications == 2


async def test_outcomes_attendance_and_actions_per_agency(owner: asyncpg.Connection) -> None:
    m = await held_meeting(owner, owner)  # decided: item 1 (section 47, a dissent); actions for health and police
    partnership_id = m.world.partnerships[PLACE].id
    day = m.starts_at.astimezone(LONDON).date()
    scope = figures.Scope(partnership_id=partnership_id, first=day - timedelta(days=7), last=day)
    await counted(owner, partnership_id)
    decided = await figures.outcomes(owner, scope)
    assert (decided.decisions, decided.marac_referrals, decided.deferred) == (1, 0, 0)
    by_code = {o.code: o.count for o in decided.outcomes}
    assert by_code["section_47"] == 1
    assert sum(by_code.values()) == 1  # every other outcome of the list, at 0
    assert (await figures.outcomes(owner, msgspec.structs.replace(scope, grade="standard"))).decisions == 0

    police, health, care = m.agencies["police"], m.agencies["health"], m.agencies["care"]
    present = await owner.fetch("SELECT agency_id, version FROM attendance WHERE meeting_id = $1", m.id)
    for row in present:  # as the minute-taker records it: police present with its information sent, health absent
        status = {police: "present", health: "absent"}.get(row["agency_id"], "apologies")
        await owner.execute(
            "UPDATE attendance SET status = $3, information_sent = $4 WHERE meeting_id = $1 AND agency_id = $2",
            m.id,
            row["agency_id"],
            status,
            row["agency_id"] == police,
        )
    rows = {a.agency_id: a for a in await figures.attendance(owner, scope)}
    assert set(rows) == {police, health, care}
    assert (rows[police].meetings, rows[police].present, rows[police].information_sent) == (1, 1, 1)
    assert (rows[health].absent, rows[care].apologies, rows[care].information_sent) == (1, 1, 0)

    # The police's action done on time, health's closed as not possible; one more for health, overdue.
    agreed = {r["owner_agency_id"]: r["id"] for r in await owner.fetch("SELECT id, owner_agency_id FROM action")}
    await owner.execute(
        "UPDATE action SET status = 'done', completed_at = due_at - interval '1 hour' WHERE id = $1", agreed[police]
    )
    await owner.execute(
        "UPDATE action SET status = 'not_possible', completion_note = 'Moved away', completed_at = now() WHERE id = $1",
        agreed[health],
    )
    await owner.execute(
        """INSERT INTO action (partnership_id, agenda_item_id, meeting_id, description, owner_agency_id, due_at,
                               created_by)
           SELECT action.partnership_id, action.agenda_item_id, action.meeting_id, 'Second visit',
                  action.owner_agency_id, meeting.starts_at + interval '1 day', action.created_by
             FROM action JOIN meeting ON meeting.id = action.meeting_id WHERE action.id = $1""",
        agreed[health],
    )
    later = m.starts_at + timedelta(days=3)
    per_agency = {a.agency_id: a for a in await figures.actions(owner, scope, later)}
    assert (per_agency[police].agreed, per_agency[police].done_on_time, per_agency[police].open) == (1, 1, 0)
    assert (
        per_agency[health].agreed,
        per_agency[health].not_possible,
        per_agency[health].open,
        per_agency[health].overdue,
    ) == (
        2,
        1,
        1,
        1,
    )
    assert per_agency[health].not_done == 0
    assert [a.agency_id for a in await figures.actions(owner, scope, later, agency_id=health)] == [health]


async def test_an_agency_member_sees_only_its_own_agency_s_action_figures(owner: asyncpg.Connection) -> None:
    m = await held_meeting(owner, owner)
    day = m.starts_at.astimezone(LONDON).date()
    window = {"first": day - timedelta(days=7), "last": day, "grade": None, "origin": factories.CLI}
    now = m.starts_at + timedelta(days=1)
    await dashboard.count_changes(owner, m.manager)  # as a view does first
    everything = await dashboard.dashboard(owner, m.manager, now=now, **window)
    assert not everything.own_agency_only
    assert {a.agency_id for a in everything.actions} == {m.agencies["health"], m.agencies["police"]}
    assert everything.volumes is not None
    assert everything.volumes.notifications == 2
    assert everything.minutes is not None
    assert (everything.minutes.meetings, everything.minutes.waiting) == (1, 1)

    own = await dashboard.dashboard(owner, m.health, now=now, **window)
    assert own.own_agency_only
    assert [a.agency_id for a in own.actions] == [m.agencies["health"]]
    assert (own.screening, own.overdue, own.attendance) == ([], [], [])
    assert (own.volumes, own.outcomes, own.durations, own.minutes) == (None, None, None, None)
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'dashboard_viewed'") == 2

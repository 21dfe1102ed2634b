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
from pitstop.dashboard import figures
from pitstop.notifications import service as intake
from pitstop.notifications.models import Source
from tests import factories
from tests.meeting_helpers import CRAIG, KELLY, body, london

PLACE = "north"


@pytest.fixture
async def world(owner: asyncpg.Connection) -> factories.World:
    return await factories.world(owner)


async def notification(
    conn: asyncpg.Connection, world: factories.World, reference: str, received: datetime, grade: str
) -> tuple[int, datetime]:
    """Received (through intake, which sets its deadline from the partnership's calendar); its id and due."""
    made = await intake.receive(
        conn,
        actor=None,
        partnership_id=world.partnerships[PLACE].id,
        body=body(reference, KELLY, CRAIG, received_at=received, officer_grade=grade),
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

    weeks = await figures.screening_by_week(owner, scope)
    assert [(w.week, w.grade, w.received, w.on_time, w.late, w.waiting) for w in weeks] == [
        # Monday 24 August: Thursday, Friday and Saturday's.
        (date(2026, 8, 24), "high", 1, 1, 0, 0),
        (date(2026, 8, 24), "medium", 1, 1, 0, 0),
        (date(2026, 8, 24), "standard", 1, 0, 1, 0),
        # Monday 31 August (the bank holiday): one never screened, one screened late as high.
        (date(2026, 8, 31), "high", 2, 0, 1, 1),
    ]
    assert [w.on_time_share for w in weeks] == [1.0, 1.0, 0.0, 0.0]

    only_high = await figures.screening_by_week(owner, msgspec.structs.replace(scope, grade="high"))
    assert [(w.week, w.received) for w in only_high] == [(date(2026, 8, 24), 1), (date(2026, 8, 31), 2)]
    first_week = await figures.screening_by_week(owner, msgspec.structs.replace(scope, last=date(2026, 8, 30)))
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

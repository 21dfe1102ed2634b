"""Meetings and the daily agenda against a real PostgreSQL, as the app's role: the schedule around bank
holidays, closure days and the clock changes; what goes on which agenda after a weekend, a bank holiday,
a cancelled meeting and a late screening; grouping, order and reasons, deferral, concurrent edits,
attendance and who sees what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import msgspec
import pytest

from pitstop.agenda import service as agenda
from pitstop.agenda.models import ItemState
from pitstop.agenda.ordering import Reason
from pitstop.db.pool import connect
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import AttendanceIn, AttendanceStatus, MeetingChange, MeetingState, ObserverIn, SeriesIn
from tests import factories
from tests.conftest import TestDatabase
from tests.meeting_helpers import CRAIG, KELLY, london, meeting_on, people, screened, series

CLI = factories.CLI
# Monday 28 December 2026 is a bank holiday (Boxing Day's substitute), as is Friday 1 January 2027.
MON_28, TUE_29, WED_30, THU_31 = (date(2026, 12, d) for d in (28, 29, 30, 31))
FRI_1, MON_4 = date(2027, 1, 1), date(2027, 1, 4)


@pytest.fixture
async def app_conn(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(database.app_url)
    yield conn
    await conn.close()


@pytest.fixture
async def world(owner: asyncpg.Connection) -> factories.World:
    return await factories.world(owner)


def days(conn_rows: list[asyncpg.Record]) -> list[date]:
    return [r["occurrence"] for r in conn_rows]


async def generated(conn: asyncpg.Connection, series_id: int) -> list[date]:
    return days(
        await conn.fetch(
            "SELECT occurrence FROM meeting WHERE series_id = $1 AND state <> 'cancelled' ORDER BY occurrence",
            series_id,
        )
    )


# ---- the schedule -------------------------------------------------------------------------------


async def test_christmas_and_new_year_are_skipped(app_conn: asyncpg.Connection, world: factories.World) -> None:
    made = await series(app_conn, world, date(2026, 12, 21))
    meets = await generated(app_conn, made.id)
    assert [d for d in meets if date(2026, 12, 24) <= d <= MON_4] == [
        date(2026, 12, 24),
        TUE_29,
        WED_30,
        THU_31,
        MON_4,
    ]  # not Christmas Day, not the Boxing Day substitute, not New Year's Day, not the weekends


async def test_easter_and_the_may_bank_holidays_are_skipped(
    app_conn: asyncpg.Connection, world: factories.World
) -> None:
    made = await series(app_conn, world, date(2027, 3, 22), weeks_ahead=12)
    meets = set(await generated(app_conn, made.id))
    for holiday in (date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3)):  # Good Friday, Easter Monday, May Day
        assert holiday not in meets
    assert {date(2027, 3, 25), date(2027, 3, 30), date(2027, 5, 4)} <= meets
    spring = await series(app_conn, world, date(2027, 5, 24), weeks_ahead=1)
    assert date(2027, 5, 31) not in await generated(app_conn, spring.id)  # the spring bank holiday


async def test_a_closure_day_is_skipped_and_cancels_a_meeting_already_generated(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, world: factories.World
) -> None:
    made = await series(app_conn, world, date(2027, 2, 1))
    assert date(2027, 2, 10) in await generated(app_conn, made.id)
    await owner.execute(
        "INSERT INTO closure_day (partnership_id, day, name, source) VALUES ($1, '2027-02-10', 'Training day', "
        "'partnership')",
        world.partnerships["north"].id,
    )
    await meetings.generate(app_conn, made, today=date(2027, 2, 1))
    assert date(2027, 2, 10) not in await generated(app_conn, made.id)
    cancelled = await meeting_on(app_conn, made.id, date(2027, 2, 10))
    assert cancelled.state is MeetingState.CANCELLED
    # Generating again does not bring it back, and changes nothing else.
    assert await meetings.generate(app_conn, made, today=date(2027, 2, 1)) == 0


async def test_meeting_times_follow_london_across_the_clock_changes(
    app_conn: asyncpg.Connection, world: factories.World
) -> None:
    spring = await series(app_conn, world, date(2027, 3, 22), weeks_ahead=2)
    before = await meeting_on(app_conn, spring.id, date(2027, 3, 25))  # GMT
    after = await meeting_on(app_conn, spring.id, date(2027, 3, 30))  # BST
    assert before.starts_at == datetime(2027, 3, 25, 9, 30, tzinfo=UTC)
    assert after.starts_at == datetime(2027, 3, 30, 8, 30, tzinfo=UTC)
    assert after.cut_off_at == datetime(2027, 3, 30, 7, 0, tzinfo=UTC)
    autumn = await series(app_conn, world, date(2027, 10, 25), weeks_ahead=1)
    friday = await meeting_on(app_conn, autumn.id, date(2027, 10, 29))  # BST
    monday = await meeting_on(app_conn, autumn.id, date(2027, 11, 1))  # GMT from 31 October
    assert friday.starts_at == datetime(2027, 10, 29, 8, 30, tzinfo=UTC)
    assert monday.starts_at == datetime(2027, 11, 1, 9, 30, tzinfo=UTC)
    assert monday.ends_at - monday.starts_at == timedelta(hours=1)


async def test_a_changed_series_re_times_its_future_meetings_and_drops_lost_days(
    app_conn: asyncpg.Connection, world: factories.World
) -> None:
    made = await series(app_conn, world, date(2027, 2, 1))
    coordinator = people(world)["coordinator"]
    form = SeriesIn(
        name="Daily pitstop",
        place="MASH meeting room",
        weekdays=[1, 3, 5],
        starts_at=time(10),
        cut_off=time(8),
        publish_at=time(9),
        weeks_ahead=2,
        version=made.version,
    )
    await meetings.update_series(
        app_conn, actor=coordinator, series_id=made.id, form=form, origin=CLI, today=date(2027, 2, 1)
    )
    meets = await generated(app_conn, made.id)
    assert all(d.isoweekday() in (1, 3, 5) for d in meets)
    wednesday = await meeting_on(app_conn, made.id, date(2027, 2, 3))
    assert wednesday.starts_at == datetime(2027, 2, 3, 10, tzinfo=UTC)
    with pytest.raises(Conflict):  # the same stale version again
        await meetings.update_series(app_conn, actor=coordinator, series_id=made.id, form=form, origin=CLI)


async def test_series_input_is_checked_field_by_field(app_conn: asyncpg.Connection, world: factories.World) -> None:
    coordinator = people(world)["coordinator"]
    with pytest.raises(Invalid) as bad:
        await meetings.create_series(
            app_conn,
            actor=coordinator,
            form=SeriesIn(
                name="Daily", cut_off=time(9), publish_at=time(8, 30), chair_id=world.users["north.manager"].id
            ),
            origin=CLI,
        )
    assert set(bad.value.errors) == {"cut_off", "place", "chair_id"}
    assert await app_conn.fetchval("SELECT count(*) FROM meeting_series") == 0


# ---- what goes on which agenda ------------------------------------------------------------------


@pytest.fixture
async def week(app_conn: asyncpg.Connection, world: factories.World) -> int:
    """The series over Christmas 2026: meetings on Tue 29, Wed 30, Thu 31 December and Mon 4 January."""
    made = await series(app_conn, world, MON_28)
    return made.id


async def references(conn: asyncpg.Connection, world: factories.World, meeting_id: int) -> list[str]:
    shown = await agenda.agenda(conn, people(world)["coordinator"], meeting_id, CLI)
    return [n.police_reference for item in shown.items + shown.information for n in item.notifications]


def person(family: str, given: str, born: str, role: str = "victim", **more: object) -> dict[str, object]:
    return {"role": role, "family_name": family, "given_names": given, "date_of_birth": born, **more}


async def test_each_notification_goes_to_the_first_meeting_after_its_screening(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    await screened(app_conn, world, "HOLIDAY/1", london(MON_28, 11), person("Ash", "Amy", "1990-01-01"))
    await screened(app_conn, world, "EARLY/1", london(THU_31, 7, 59), person("Birch", "Bea", "1990-01-02"))
    await screened(app_conn, world, "LATE/1", london(THU_31, 8, 1), person("Cedar", "Cat", "1990-01-03"))
    await screened(app_conn, world, "NEWYEAR/1", london(FRI_1, 10), person("Dale", "Dee", "1990-01-04"))
    await screened(app_conn, world, "WEEKEND/1", london(date(2027, 1, 3), 23), person("Elm", "Eve", "1990-01-05"))
    await screened(app_conn, world, "MONDAY/1", london(MON_4, 7), person("Fir", "Fay", "1990-01-06"))
    await screened(
        app_conn, world, "NFA/1", london(MON_4, 7), person("Gale", "Gus", "1990-01-07"), route="no_further_action"
    )
    tue, wed, thu, mon = [await meeting_on(app_conn, week, d) for d in (TUE_29, WED_30, THU_31, MON_4)]
    # Read in any order: each takes only what is its own.
    # Equal grades keep the order they were screened in.
    assert await references(app_conn, world, mon.id) == ["LATE/1", "NEWYEAR/1", "WEEKEND/1", "MONDAY/1"]
    assert await references(app_conn, world, tue.id) == ["HOLIDAY/1"]
    assert await references(app_conn, world, wed.id) == []
    assert await references(app_conn, world, thu.id) == ["EARLY/1"]
    # Never on two open agendas.
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_entry WHERE open") == 6


async def test_a_held_meetings_items_never_come_back_and_a_cancelled_ones_roll_on(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    await screened(app_conn, world, "TUE/1", london(MON_28, 11), person("Ash", "Amy", "1990-01-01"))
    tue, wed, thu = [await meeting_on(app_conn, week, d) for d in (TUE_29, WED_30, THU_31)]
    for step in ("publish", "start", "end"):
        current = await meeting_queries.meeting(app_conn, tue.id)
        assert current is not None
        await meetings.advance(
            app_conn, actor=coordinator, meeting_id=tue.id, version=current.version, step=step, origin=CLI
        )
    assert await references(app_conn, world, wed.id) == []
    assert await references(app_conn, world, tue.id) == ["TUE/1"]  # still there, as discussed
    # The held agenda keeps its reasons as they were, whatever is learnt later.
    await owner.execute("UPDATE notification SET strangulation = true WHERE police_reference = 'TUE/1'")
    held = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    assert held.items[0].reasons == [Reason.GRADE_MEDIUM]
    await screened(app_conn, world, "WED/1", london(TUE_29, 12), person("Birch", "Bea", "1990-01-02"))
    assert await references(app_conn, world, wed.id) == ["WED/1"]
    current = await meeting_queries.meeting(app_conn, wed.id)
    assert current is not None
    with pytest.raises(Invalid):
        await meetings.cancel(
            app_conn, actor=coordinator, meeting_id=wed.id, version=current.version, reason=" ", origin=CLI
        )
    await meetings.cancel(
        app_conn, actor=coordinator, meeting_id=wed.id, version=current.version, reason="Staff training", origin=CLI
    )
    assert await references(app_conn, world, thu.id) == ["WED/1"]
    shown = await agenda.agenda(app_conn, coordinator, thu.id, CLI)
    assert Reason.CARRIED_OVER in shown.items[0].reasons
    assert shown.items[0].carried_from_date == WED_30


async def test_notifications_about_one_victim_are_one_item(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    await screened(app_conn, world, "ONE/1", london(MON_28, 9), KELLY, CRAIG, grade="standard")
    await screened(app_conn, world, "ONE/2", london(MON_28, 10), KELLY, grade="high")
    await screened(app_conn, world, "TWO/1", london(MON_28, 10), person("Birch", "Bea", "1990-01-02"))
    tue = await meeting_on(app_conn, week, TUE_29)
    shown = await agenda.agenda(app_conn, people(world)["coordinator"], tue.id, CLI)
    assert [[n.police_reference for n in i.notifications] for i in shown.items] == [["ONE/1", "ONE/2"], ["TWO/1"]]
    assert shown.items[0].grade == "high"  # the item's highest


async def test_open_cases_are_listed_for_information_and_untimed(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    await screened(app_conn, world, "OPEN/1", london(MON_28, 9), route="allocated_worker", open_case=True)
    tue = await meeting_on(app_conn, week, TUE_29)
    shown = await agenda.agenda(app_conn, people(world)["coordinator"], tue.id, CLI)
    assert shown.items == []
    assert [i.notifications[0].police_reference for i in shown.information] == ["OPEN/1"]
    assert shown.information[0].minutes == 0
    assert shown.total_minutes == 0


async def test_the_order_follows_the_rules_and_says_why(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    at = london(MON_28, 9)
    tue = await meeting_on(app_conn, week, TUE_29)
    baby = person("Ash", "Ava", str(TUE_29 - timedelta(days=200)), role="child", present=True)
    await screened(app_conn, world, "PLAIN/HIGH", at, person("Birch", "Bea", "1990-01-02"), grade="high")
    await screened(app_conn, world, "MED/PLAIN", at, person("Cedar", "Cat", "1990-01-03"), grade="medium")
    await screened(app_conn, world, "MED/CHILD", at, person("Ash", "Amy", "1990-01-01"), baby, grade="medium")
    await screened(
        app_conn,
        world,
        "STD/PROTECT",
        at,
        person("Dale", "Dee", "1990-01-04"),
        grade="standard",
        immediate_protection=True,
    )
    await screened(
        app_conn,
        world,
        "MED/STRANGLE",
        at,
        person("Elm", "Eve", "1990-01-05"),
        grade="medium",
        strangulation=True,
        risk={"tool": "dash", "grade": "medium", "answers": {"threat_to_kill": True}},
    )
    shown = await agenda.agenda(app_conn, people(world)["coordinator"], tue.id, CLI)
    order = [i.notifications[0].police_reference for i in shown.items]
    assert order == ["STD/PROTECT", "PLAIN/HIGH", "MED/CHILD", "MED/STRANGLE", "MED/PLAIN"]
    why = {i.notifications[0].police_reference: i.reasons for i in shown.items}
    assert why["STD/PROTECT"] == [Reason.IMMEDIATE_PROTECTION, Reason.GRADE_STANDARD]
    assert why["MED/CHILD"] == [Reason.GRADE_MEDIUM, Reason.CHILDREN_PRESENT, Reason.CHILD_UNDER_ONE]
    assert why["MED/STRANGLE"] == [Reason.GRADE_MEDIUM, Reason.STRANGULATION, Reason.THREATS_TO_KILL]
    # Time boxes: 3 + 8 + 5 + 5 + 5 = 26 minutes in a 60-minute meeting.
    assert [i.minutes for i in shown.items] == [3, 8, 5, 5, 5]
    assert [i.starts_after for i in shown.items] == [0, 3, 11, 16, 21]
    assert shown.total_minutes == 26
    assert shown.overrun_minutes == 0


async def test_partnership_weights_change_the_order_and_the_agenda_says_when_it_overruns(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    at = london(MON_28, 9)
    tue = await meeting_on(app_conn, week, TUE_29)
    await screened(app_conn, world, "HIGH/1", at, person("Birch", "Bea", "1990-01-02"), grade="high")
    await screened(app_conn, world, "ESCALATING/1", at, person("Cedar", "Cat", "1990-01-03"), previous_incidents_12m=4)
    await agenda.save_rules(
        app_conn,
        actor=coordinator,
        weights={Reason.POTENTIAL_ESCALATION: 5000},
        time_boxes={"high": 40, "medium": 30},
        version=0,
        origin=CLI,
    )
    shown = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    # Potential escalation now outweighs a grade step: the medium item goes first.
    assert [i.notifications[0].police_reference for i in shown.items] == ["ESCALATING/1", "HIGH/1"]
    assert [i.minutes for i in shown.items] == [30, 40]
    assert shown.total_minutes == 70
    assert shown.overrun_minutes == 10
    assert [i.overrun for i in shown.items] == [False, True]
    with pytest.raises(Conflict):
        await agenda.save_rules(app_conn, actor=coordinator, weights={}, time_boxes={}, version=0, origin=CLI)
    with pytest.raises(Invalid) as bad:
        await agenda.save_rules(app_conn, actor=coordinator, weights={}, time_boxes={"high": 99}, version=1, origin=CLI)
    assert list(bad.value.errors) == ["time_boxes.high"]


async def test_deferring_carries_an_item_to_the_next_meeting_with_its_reason(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    await screened(app_conn, world, "DEFER/1", london(MON_28, 9))
    tue, wed = await meeting_on(app_conn, week, TUE_29), await meeting_on(app_conn, week, WED_30)
    shown = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    item = shown.items[0]
    with pytest.raises(Invalid) as bad:
        await agenda.defer(
            app_conn,
            actor=coordinator,
            meeting_id=tue.id,
            item_id=item.id,
            version=shown.meeting.version,
            reason="",
            origin=CLI,
        )
    assert list(bad.value.errors) == ["reason"]
    to = await agenda.defer(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        item_id=item.id,
        version=shown.meeting.version,
        reason="Waiting on health's check",
        origin=CLI,
    )
    assert to == wed.id
    after = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    assert after.items == []
    assert [(i.state, i.reason) for i in after.off_agenda] == [(ItemState.DEFERRED, "Waiting on health's check")]
    next_day = await agenda.agenda(app_conn, coordinator, wed.id, CLI)
    assert [n.police_reference for n in next_day.items[0].notifications] == ["DEFER/1"]
    assert next_day.items[0].carried_from_date == TUE_29
    assert Reason.CARRIED_OVER in next_day.items[0].reasons


async def test_adding_removing_and_reordering_by_hand(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    await screened(app_conn, world, "A/1", london(MON_28, 9), person("Ash", "Amy", "1990-01-01"), grade="high")
    await screened(app_conn, world, "B/1", london(MON_28, 9), person("Birch", "Bea", "1990-01-02"), grade="standard")
    late = await screened(app_conn, world, "C/1", london(TUE_29, 8, 30), person("Cedar", "Cat", "1990-01-03"))
    tue = await meeting_on(app_conn, week, TUE_29)
    shown = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    a, b = shown.items
    await agenda.move(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        item_id=b.id,
        version=shown.meeting.version,
        direction="up",
        origin=CLI,
    )
    version = shown.meeting.version + 1
    assert await references(app_conn, world, tue.id) == ["B/1", "A/1"]
    # Screened after the cut-off, so it waits for Wednesday; the coordinator adds it here by hand.
    with pytest.raises(Invalid) as bad:
        await agenda.add(
            app_conn, actor=coordinator, meeting_id=tue.id, version=version, police_reference="NOPE/1", origin=CLI
        )
    assert list(bad.value.errors) == ["police_reference"]
    await agenda.add(
        app_conn, actor=coordinator, meeting_id=tue.id, version=version, police_reference="c/1", origin=CLI
    )
    version += 1
    # Ordered by hand: the new medium item slots in before the first item that scores lower (B, standard).
    assert await references(app_conn, world, tue.id) == ["C/1", "B/1", "A/1"]
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_queue WHERE notification_id = $1", late) == 0
    with pytest.raises(Invalid):  # already on this agenda
        await agenda.add(
            app_conn, actor=coordinator, meeting_id=tue.id, version=version, police_reference="C/1", origin=CLI
        )
    await agenda.remove(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        item_id=a.id,
        version=version,
        reason="Duplicate of A/0",
        origin=CLI,
    )
    version += 1
    assert await references(app_conn, world, tue.id) == ["C/1", "B/1"]
    shown = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    await agenda.reorder(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        version=version,
        item_ids=[i.id for i in reversed(shown.items)],
        origin=CLI,
    )
    assert await references(app_conn, world, tue.id) == ["B/1", "C/1"]


async def test_two_coordinators_never_lose_each_others_changes(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    other = await factories.user(
        owner, world.partnerships["north"].id, world.agencies["north.social_care"].id, factories.Role.COORDINATOR
    )
    from tests.meeting_helpers import identity

    second = identity(other)
    await screened(app_conn, world, "A/1", london(MON_28, 9), person("Ash", "Amy", "1990-01-01"), grade="high")
    await screened(app_conn, world, "B/1", london(MON_28, 9), person("Birch", "Bea", "1990-01-02"))
    tue = await meeting_on(app_conn, week, TUE_29)
    seen = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    seen_too = await agenda.agenda(app_conn, second, tue.id, CLI)
    await agenda.remove(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        item_id=seen.items[1].id,
        version=seen.meeting.version,
        reason="Dealt with by the allocated worker",
        origin=CLI,
    )
    with pytest.raises(Conflict):
        await agenda.move(
            app_conn,
            actor=second,
            meeting_id=tue.id,
            item_id=seen_too.items[1].id,
            version=seen_too.meeting.version,
            direction="up",
            origin=CLI,
        )
    fresh = await agenda.agenda(app_conn, second, tue.id, CLI)
    with pytest.raises(Conflict):  # an order that misses an item is refused even at the right version
        await agenda.reorder(
            app_conn,
            actor=second,
            meeting_id=tue.id,
            version=fresh.meeting.version,
            item_ids=[i.id for i in seen_too.items],
            origin=CLI,
        )
    assert await references(app_conn, world, tue.id) == ["A/1"]


# ---- who sees what ------------------------------------------------------------------------------


async def test_agency_members_see_only_published_agendas_of_meetings_they_are_invited_to(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, world: factories.World, week: int
) -> None:
    everyone = people(world)
    police_member = everyone["agency_member"]  # the police are invited
    care_member = await factories.user(
        owner, world.partnerships["north"].id, world.agencies["north.social_care"].id, factories.Role.AGENCY_MEMBER
    )
    from tests.meeting_helpers import identity

    care = identity(care_member)
    await screened(
        app_conn,
        world,
        "REFUGE/1",
        london(MON_28, 9),
        {**KELLY, "address_withheld": True},
        CRAIG,
        address_withheld=True,
    )
    tue = await meeting_on(app_conn, week, TUE_29)
    with pytest.raises(NotFound):
        await agenda.agenda(app_conn, police_member, tue.id, CLI)
    span = (london(MON_28, 0), london(MON_4, 23))
    assert await meetings.upcoming(app_conn, police_member, *span, CLI) == []
    await meetings.advance(
        app_conn, actor=everyone["coordinator"], meeting_id=tue.id, version=tue.version, step="publish", origin=CLI
    )
    shown = await agenda.agenda(app_conn, police_member, tue.id, CLI)
    notification = shown.items[0].notifications[0]
    assert notification.address is None
    assert notification.address_withheld
    assert [p.address_withheld for p in notification.people if p.role == "victim"] == [True]
    assert [m.id for m in await meetings.upcoming(app_conn, police_member, *span, CLI)] == [tue.id]
    for outsider in (care, people(world, "south")["agency_member"], people(world, "south")["coordinator"]):
        with pytest.raises(NotFound):
            await agenda.agenda(app_conn, outsider, tue.id, CLI)
    assert await meetings.upcoming(app_conn, care, *span, CLI) == []
    viewed = await owner.fetchval(
        "SELECT count(*) FROM audit_event WHERE action = 'agenda_viewed' AND user_id = $1 AND record_id = $2",
        police_member.user_id,
        str(tue.id),
    )
    assert viewed == 1


async def test_removed_items_and_their_reasons_are_not_shown_to_agencies(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    everyone = people(world)
    await screened(app_conn, world, "GONE/1", london(MON_28, 9))
    tue = await meeting_on(app_conn, week, TUE_29)
    shown = await agenda.agenda(app_conn, everyone["coordinator"], tue.id, CLI)
    await agenda.remove(
        app_conn,
        actor=everyone["coordinator"],
        meeting_id=tue.id,
        item_id=shown.items[0].id,
        version=shown.meeting.version,
        reason="Sent to the wrong partnership",
        origin=CLI,
    )
    current = await meeting_queries.meeting(app_conn, tue.id)
    assert current is not None
    await meetings.advance(
        app_conn, actor=everyone["coordinator"], meeting_id=tue.id, version=current.version, step="publish", origin=CLI
    )
    seen = await agenda.agenda(app_conn, everyone["agency_member"], tue.id, CLI)
    assert seen.items == []
    assert seen.off_agenda == []
    assert len((await agenda.agenda(app_conn, everyone["manager"], tue.id, CLI)).off_agenda) == 1


# ---- attendance and the clock -------------------------------------------------------------------


async def test_attendance_is_recorded_by_the_minute_taker(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    everyone = people(world)
    coordinator = everyone["coordinator"]
    tue = await meeting_on(app_conn, week, TUE_29)
    with pytest.raises(Invalid):  # not yet published
        await meetings.record_attendance(app_conn, actor=coordinator, meeting_id=tue.id, rows=[], origin=CLI)
    await meetings.advance(
        app_conn, actor=coordinator, meeting_id=tue.id, version=tue.version, step="publish", origin=CLI
    )
    police = world.agencies["north.police"].id
    [row] = await meeting_queries.attendance(app_conn, tue.id)
    assert (row.agency_id, row.status) == (police, AttendanceStatus.NOT_RECORDED)
    with pytest.raises(Invalid) as bad:
        await meetings.record_attendance(
            app_conn,
            actor=coordinator,
            meeting_id=tue.id,
            rows=[(AttendanceIn(agency_id=police, status=AttendanceStatus.PRESENT), row.version)],
            origin=CLI,
        )
    assert list(bad.value.errors) == [f"present_names_{police}"]
    await meetings.record_attendance(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        rows=[
            (
                AttendanceIn(
                    agency_id=police,
                    status=AttendanceStatus.PRESENT,
                    present_names="DS Pat Police",
                    information_sent=True,
                ),
                row.version,
            )
        ],
        origin=CLI,
    )
    with pytest.raises(Conflict):  # saved over from a stale form
        await meetings.record_attendance(
            app_conn,
            actor=coordinator,
            meeting_id=tue.id,
            rows=[(AttendanceIn(agency_id=police, status=AttendanceStatus.APOLOGIES), row.version)],
            origin=CLI,
        )
    await meetings.add_observer(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        form=ObserverIn(name="Sam Student", organisation="University", statement_signed=True),
        origin=CLI,
    )
    [saved] = await meeting_queries.attendance(app_conn, tue.id)
    assert (saved.status, saved.present_names, saved.information_sent) == (
        AttendanceStatus.PRESENT,
        "DS Pat Police",
        True,
    )
    assert [(o.name, o.statement_signed) for o in await meeting_queries.observers(app_conn, tue.id)] == [
        ("Sam Student", True)
    ]
    # Another coordinator who neither chairs nor takes the minutes may not.
    current = await meeting_queries.meeting(app_conn, tue.id)
    assert current is not None
    await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        form=MeetingChange(version=current.version, chair_id=None, minute_taker_id=None),
        origin=CLI,
    )
    with pytest.raises(Invalid):
        await meetings.add_observer(
            app_conn, actor=coordinator, meeting_id=tue.id, form=ObserverIn(name="X"), origin=CLI
        )


async def test_the_clock_publishes_agendas_on_time(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    await screened(app_conn, world, "CLOCK/1", london(MON_28, 9))
    tue = await meeting_on(app_conn, week, TUE_29)
    async with app_conn.transaction():
        done = await meetings.tick(app_conn, now=london(TUE_29, 8))
    assert done["published"] == 0
    assert done["placed"] == 1
    async with app_conn.transaction():
        done = await meetings.tick(app_conn, now=london(TUE_29, 8, 31))
    assert done["published"] == 1
    published = await meeting_queries.meeting(app_conn, tue.id)
    assert published is not None
    assert published.state is MeetingState.AGENDA_PUBLISHED
    assert [a.agency_name for a in await meeting_queries.attendance(app_conn, tue.id)] == ["North Police"]


async def test_moving_a_meeting_and_adding_an_extra_one(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    tue = await meeting_on(app_conn, week, TUE_29)
    with pytest.raises(Invalid) as bad:
        await meetings.change(
            app_conn,
            actor=coordinator,
            meeting_id=tue.id,
            form=MeetingChange(
                version=tue.version,
                starts_at=london(TUE_29, 13),
                chair_id=tue.chair_id,
                minute_taker_id=tue.minute_taker_id,
            ),
            origin=CLI,
        )
    assert list(bad.value.errors) == ["moved_reason"]
    moved = await meetings.change(
        app_conn,
        actor=coordinator,
        meeting_id=tue.id,
        form=MeetingChange(
            version=tue.version,
            starts_at=london(TUE_29, 13),
            moved_reason="Court hearing",
            chair_id=tue.chair_id,
            minute_taker_id=tue.minute_taker_id,
        ),
        origin=CLI,
    )
    assert moved.starts_at == london(TUE_29, 13)
    # The series' gaps come along: cut-off 90 minutes and publication an hour before the start.
    assert moved.cut_off_at == london(TUE_29, 11, 30)
    assert moved.publish_at == london(TUE_29, 12)
    from pitstop.meetings.models import ExtraMeetingIn

    extra = await meetings.add_extra(
        app_conn,
        actor=coordinator,
        form=ExtraMeetingIn(series_id=week, starts_at=london(date(2027, 1, 2), 10)),
        origin=CLI,
    )
    assert extra.extra
    assert extra.state is MeetingState.SCHEDULED
    # A notification screened on New Year's Day goes to the Saturday extra meeting, not Monday's.
    await screened(app_conn, world, "EXTRA/1", london(FRI_1, 12))
    assert await references(app_conn, world, extra.id) == ["EXTRA/1"]
    with pytest.raises(Invalid):
        await meetings.add_extra(
            app_conn,
            actor=coordinator,
            form=ExtraMeetingIn(series_id=week, starts_at=london(date(2020, 1, 2), 10)),
            origin=CLI,
        )
    assert msgspec.to_builtins(extra)["occurrence"] is None


async def test_screening_puts_a_notification_in_the_queue_and_no_further_action_takes_it_out(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, world: factories.World, week: int
) -> None:
    from pitstop.notifications import screening
    from pitstop.notifications.models import ScreeningIn

    coordinator = people(world)["coordinator"]
    notification_id = await screened(app_conn, world, "FIRST/1", london(MON_28, 9), route="no_further_action")
    queued = "SELECT count(*) FROM agenda_queue WHERE notification_id = $1"
    assert await app_conn.fetchval(queued, notification_id) == 0
    version = await app_conn.fetchval("SELECT version FROM notification WHERE id = $1", notification_id)
    await screening.screen(
        app_conn,
        actor=coordinator,
        notification_id=notification_id,
        form=msgspec.convert(
            {
                "version": version,
                "grade": "medium",
                "consent": "given",
                "route": "agenda",
                "immediate_protection": True,
                "delay_reason": "Re-screened after new information",
            },
            ScreeningIn,
        ),
        origin=CLI,
    )
    assert await app_conn.fetchval(queued, notification_id) == 1
    # As if screened on the bank holiday: it goes on Tuesday's agenda, first for immediate protection.
    for table in ("screening", "agenda_queue"):
        await owner.execute(
            f"UPDATE {table} SET screened_at = $2 WHERE notification_id = $1", notification_id, london(MON_28, 10)
        )
    first_open = (await meeting_on(app_conn, week, TUE_29)).id
    shown = await agenda.agenda(app_conn, coordinator, first_open, CLI)
    assert shown.items[0].reasons[0] is Reason.IMMEDIATE_PROTECTION
    await screening.screen(
        app_conn,
        actor=coordinator,
        notification_id=notification_id,
        form=msgspec.convert(
            {
                "version": version,
                "grade": "medium",
                "consent": "given",
                "route": "no_further_action",
                "route_rationale": "Duplicate",
                "delay_reason": "x",
            },
            ScreeningIn,
        ),
        origin=CLI,
    )
    # On an open agenda, the item follows the new screening: no further action takes it off, with why.
    assert await app_conn.fetchval(queued, notification_id) == 0
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_entry WHERE open") == 0
    after = await agenda.agenda(app_conn, coordinator, first_open, CLI)
    assert after.items == []
    assert [(i.state, i.reason) for i in after.off_agenda] == [(ItemState.REMOVED, "Screened again: no further action")]


async def test_a_discussed_notification_does_not_come_back_by_itself(
    app_conn: asyncpg.Connection, owner: asyncpg.Connection, world: factories.World, week: int
) -> None:
    from pitstop.agenda import queries as agenda_queries

    coordinator = people(world)["coordinator"]
    notification_id = await screened(app_conn, world, "HELD/1", london(MON_28, 9))
    tue = await meeting_on(app_conn, week, TUE_29)
    for step in ("publish", "start", "end"):
        current = await meeting_queries.meeting(app_conn, tue.id)
        assert current is not None
        await meetings.advance(
            app_conn, actor=coordinator, meeting_id=tue.id, version=current.version, step=step, origin=CLI
        )
    screening_id = await app_conn.fetchval("SELECT max(id) FROM screening WHERE notification_id = $1", notification_id)
    # Screened again after the meeting (a police update): it is not queued for a second discussion.
    await agenda_queries.enqueue(
        app_conn, world.partnerships["north"].id, notification_id, screening_id, london(TUE_29, 12)
    )
    assert await app_conn.fetchval("SELECT count(*) FROM agenda_queue") == 0
    # A coordinator may still add it by hand.
    wed = await meeting_on(app_conn, week, WED_30)
    await agenda.add(
        app_conn, actor=coordinator, meeting_id=wed.id, version=wed.version, police_reference="HELD/1", origin=CLI
    )
    assert await references(app_conn, world, wed.id) == ["HELD/1"]


async def test_a_meeting_that_never_happened_does_not_strand_what_was_screened_for_it(
    app_conn: asyncpg.Connection, world: factories.World
) -> None:
    """A past meeting nobody started or cancelled: what was screened before its cut-off (and never
    placed on it) goes to the next meeting rather than wait on it for ever."""
    today = datetime.now(UTC).date()
    made = await series(app_conn, world, today - timedelta(days=10))
    await meetings.generate(app_conn, made, today=today - timedelta(days=10), include_past=True)
    past = await app_conn.fetchrow(
        "SELECT id, cut_off_at FROM meeting WHERE series_id = $1 AND starts_at + interval '1 hour' < now() "
        "ORDER BY starts_at DESC LIMIT 1",
        made.id,
    )
    # The first meeting that has not ended (it may be under way as the test runs).
    upcoming = await app_conn.fetchval(
        "SELECT id FROM meeting WHERE series_id = $1 AND starts_at + interval '1 hour' > now() "
        "ORDER BY starts_at LIMIT 1",
        made.id,
    )
    await screened(app_conn, world, "MISSED/1", past["cut_off_at"] - timedelta(hours=1))
    assert await references(app_conn, world, upcoming) == ["MISSED/1"]
    # And a series set up now gets no meeting that has already started.
    fresh = await series(app_conn, world, today)
    assert (
        await app_conn.fetchval("SELECT count(*) FROM meeting WHERE series_id = $1 AND starts_at <= now()", fresh.id)
        == 0
    )


async def test_saving_attendance_is_all_or_nothing(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    coordinator = people(world)["coordinator"]
    current = await meetings.series(app_conn, coordinator, week)
    await meetings.add_invitee(
        app_conn,
        actor=coordinator,
        series_id=week,
        version=current.version,
        agency_id=world.agencies["north.social_care"].id,
        name="Sam Social",
        email="sam@north-care.example",
        origin=CLI,
    )
    with pytest.raises(Invalid) as bad:  # the database's rule for an address, said as a field error
        await meetings.add_invitee(
            app_conn,
            actor=coordinator,
            series_id=week,
            version=current.version + 1,
            agency_id=world.agencies["north.social_care"].id,
            name="X",
            email="a@b@c.org",
            origin=CLI,
        )
    assert list(bad.value.errors) == ["email"]
    tue = await meeting_on(app_conn, week, TUE_29)
    await meetings.advance(
        app_conn, actor=coordinator, meeting_id=tue.id, version=tue.version, step="publish", origin=CLI
    )
    care, police = sorted(await meeting_queries.attendance(app_conn, tue.id), key=lambda a: a.agency_name)
    with pytest.raises(Conflict):
        await meetings.record_attendance(
            app_conn,
            actor=coordinator,
            meeting_id=tue.id,
            origin=CLI,
            rows=[
                (
                    AttendanceIn(agency_id=care.agency_id, status=AttendanceStatus.PRESENT, present_names="Sam"),
                    care.version,
                ),
                (AttendanceIn(agency_id=police.agency_id, status=AttendanceStatus.APOLOGIES), police.version + 7),
            ],
        )
    assert {a.status for a in await meeting_queries.attendance(app_conn, tue.id)} == {AttendanceStatus.NOT_RECORDED}


async def test_concurrent_changes_to_one_partnerships_agendas_wait_for_each_other_and_never_deadlock(
    database: TestDatabase, app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    """A deferral (locking two meetings, then writing a notification's entry) while the same notification
    is screened again (locking it, then its meeting), and the meeting clock while a coordinator adds by
    hand: each second one waits for the first to commit, then works on what it left."""
    import asyncio

    from pitstop.notifications import screening
    from pitstop.notifications.models import ScreeningIn

    coordinator = people(world)["coordinator"]
    notification_id = await screened(app_conn, world, "RACE/1", london(MON_28, 9), grade="medium")
    tue, wed = await meeting_on(app_conn, week, TUE_29), await meeting_on(app_conn, week, WED_30)
    shown = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    first, second = await connect(database.app_url), await connect(database.app_url)
    try:
        deferring = first.transaction()
        await deferring.start()
        await agenda.defer(
            first,
            actor=coordinator,
            meeting_id=tue.id,
            item_id=shown.items[0].id,
            version=shown.meeting.version,
            reason="Waiting on health",
            origin=CLI,
        )
        version = await app_conn.fetchval("SELECT version FROM notification WHERE id = $1", notification_id)
        rescreen = asyncio.create_task(
            screening.screen(
                second,
                actor=coordinator,
                notification_id=notification_id,
                origin=CLI,
                form=msgspec.convert(
                    {"version": version, "grade": "high", "consent": "given", "route": "agenda", "delay_reason": "x"},
                    ScreeningIn,
                ),
            )
        )
        await asyncio.sleep(0.3)
        assert not rescreen.done()  # it waits for the deferral
        await deferring.commit()
        await asyncio.wait_for(rescreen, 10)
        moved = await agenda.agenda(app_conn, coordinator, wed.id, CLI)
        assert [n.police_reference for n in moved.items[0].notifications] == ["RACE/1"]
        assert moved.items[0].grade == "high"  # the re-screening followed it to Wednesday

        await screened(app_conn, world, "RACE/2", london(MON_28, 10), person("Birch", "Bea", "1990-01-02"))
        current = await meeting_queries.meeting(app_conn, wed.id)
        assert current is not None
        adding = first.transaction()
        await adding.start()
        await agenda.add(
            first,
            actor=coordinator,
            meeting_id=wed.id,
            version=current.version,
            police_reference="RACE/2",
            origin=CLI,
        )
        clock = asyncio.create_task(meetings.tick(second, now=london(MON_28, 12)))
        await asyncio.sleep(0.3)
        assert not clock.done()
        await adding.commit()
        done = await asyncio.wait_for(clock, 10)
        assert done["failed"] == 0
        assert sorted(await references(app_conn, world, wed.id)) == ["RACE/1", "RACE/2"]
        assert await references(app_conn, world, tue.id) == []
    finally:
        await first.close()
        await second.close()


async def test_a_notification_taken_off_a_shared_item_is_not_recorded_as_discussed(
    app_conn: asyncpg.Connection, world: factories.World, week: int
) -> None:
    from pitstop.agenda import queries as agenda_queries
    from pitstop.notifications import screening
    from pitstop.notifications.models import ScreeningIn

    coordinator = people(world)["coordinator"]
    await screened(app_conn, world, "K/1", london(MON_28, 9), KELLY, CRAIG)
    second = await screened(app_conn, world, "K/2", london(MON_28, 10), KELLY)
    tue = await meeting_on(app_conn, week, TUE_29)
    shown = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    assert [[n.police_reference for n in i.notifications] for i in shown.items] == [["K/1", "K/2"]]

    async def screen_again(route: str) -> None:
        version = await app_conn.fetchval("SELECT version FROM notification WHERE id = $1", second)
        body = {"version": version, "grade": "medium", "consent": "given", "route": route, "delay_reason": "x"}
        if route == "no_further_action":
            body["route_rationale"] = "A duplicate of K/1"
        await screening.screen(
            app_conn, actor=coordinator, notification_id=second, form=msgspec.convert(body, ScreeningIn), origin=CLI
        )

    await screen_again("no_further_action")
    for step in ("publish", "start", "end"):
        current = await meeting_queries.meeting(app_conn, tue.id)
        assert current is not None
        await meetings.advance(
            app_conn, actor=coordinator, meeting_id=tue.id, version=current.version, step=step, origin=CLI
        )
    held = await agenda.agenda(app_conn, coordinator, tue.id, CLI)
    assert [[n.police_reference for n in i.notifications] for i in held.items] == [["K/1"]]
    # It was never discussed: screened for a meeting again, it waits for the next one.
    await screen_again("agenda")
    assert (await agenda_queries.placement(app_conn, second))[0] == "queued"

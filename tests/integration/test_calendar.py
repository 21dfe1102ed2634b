"""The calendar's tables and service: bank holidays loaded once, closure days per partnership,
the working pattern, and what the app's database role may and may not write."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.accounts.models import Partnership, Role
from pitstop.audit.service import Origin
from pitstop.calendar import queries, service
from pitstop.calendar.models import NewClosure
from pitstop.db.pool import connect
from pitstop.errors import Invalid
from tests import factories
from tests.conftest import TestDatabase

LONDON = ZoneInfo("Europe/London")
EXPECTED_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),
}


async def own_closure(conn: asyncpg.Connection, partnership: Partnership, day: date, name: str = "Training") -> int:
    return await queries.insert_closure(conn, partnership.id, day, name, None)


async def test_bank_holidays_are_loaded_once_however_often_synced(owner: asyncpg.Connection) -> None:
    first = await service.sync_bank_holidays(owner, [2026])
    assert first >= len(EXPECTED_2026)
    assert await service.sync_bank_holidays(owner, [2026]) == 0
    assert await service.sync_bank_holidays(owner, [2026, 2027]) > 0  # only 2027's are new
    rows = await owner.fetch("SELECT day, name FROM closure_day WHERE source = 'bank_holiday' AND day < '2027-01-01'")
    assert len(rows) == first
    assert {r["day"] for r in rows} >= EXPECTED_2026
    assert {r["day"]: r["name"] for r in rows}[date(2026, 12, 28)] == "Boxing Day (substitute day)"
    assert await owner.fetchval("SELECT count(*) FROM closure_day WHERE partnership_id IS NOT NULL") == 0
    assert await owner.fetchval("SELECT count(*) FROM audit_event") == 0  # reference data, not audited


async def test_ensure_calendar_adds_the_default_pattern_once(owner: asyncpg.Connection) -> None:
    north = await factories.partnership(owner, "north")
    await service.ensure_calendar(owner, north.id, [2026])
    pattern = await queries.pattern(owner, north.id)
    assert pattern is not None
    assert (pattern.working_days, pattern.day_start, pattern.day_end, pattern.timezone) == (
        [1, 2, 3, 4, 5],
        time(9),
        time(17),
        "Europe/London",
    )
    assert (pattern.high_hours, pattern.medium_hours, pattern.standard_hours, pattern.version) == (4, 8, 24, 1)
    await owner.execute("UPDATE working_pattern SET medium_hours = 6 WHERE partnership_id = $1", north.id)
    await service.ensure_calendar(owner, north.id, [2026])  # again: changes nothing
    assert await owner.fetchval("SELECT medium_hours FROM working_pattern WHERE partnership_id = $1", north.id) == 6
    assert await owner.fetchval("SELECT count(*) FROM working_pattern") == 1


async def test_load_calendar_merges_bank_holidays_and_only_the_partnerships_own_closures(
    owner: asyncpg.Connection,
) -> None:
    north = await factories.partnership(owner, "north")
    south = await factories.partnership(owner, "south")
    await service.sync_bank_holidays(owner, [2026])
    await own_closure(owner, north, date(2026, 7, 15))
    removed = await own_closure(owner, north, date(2026, 7, 22))
    await queries.remove_closure(owner, removed, None)
    await own_closure(owner, south, date(2026, 7, 16))

    calendar = await service.load_calendar(owner, north.id)  # no pattern row: the defaults
    assert calendar.closed >= EXPECTED_2026 | {date(2026, 7, 15)}
    assert date(2026, 7, 16) not in calendar.closed  # south's
    assert date(2026, 7, 22) not in calendar.closed  # removed
    assert (calendar.working_days, calendar.day_start, calendar.day_end) == (
        frozenset({1, 2, 3, 4, 5}),
        time(9),
        time(17),
    )
    assert calendar.tz == LONDON

    # North's medium clock skips its closure day; south's does not.
    received = datetime(2026, 7, 14, 10, tzinfo=LONDON)
    north_due = await service.screening_due(owner, north.id, received, "medium")
    south_due = await service.screening_due(owner, south.id, received, "medium")
    assert north_due == datetime(2026, 7, 16, 10, tzinfo=LONDON)
    assert south_due == datetime(2026, 7, 15, 10, tzinfo=LONDON)
    # The pattern's clock hours are used.
    await owner.execute("INSERT INTO working_pattern (partnership_id, high_hours) VALUES ($1, 2)", south.id)
    assert await service.screening_due(owner, south.id, received, "high") == datetime(2026, 7, 14, 12, tzinfo=LONDON)
    # Easter from the bank holiday table.
    easter = await service.screening_due(owner, north.id, datetime(2026, 4, 2, 15, tzinfo=LONDON), "high")
    assert easter == datetime(2026, 4, 7, 10, tzinfo=UTC)


async def test_one_live_closure_per_partnership_and_day(owner: asyncpg.Connection) -> None:
    north = await factories.partnership(owner, "north")
    south = await factories.partnership(owner, "south")
    first = await own_closure(owner, north, date(2026, 9, 1))
    await own_closure(owner, south, date(2026, 9, 1))  # another partnership: fine
    with pytest.raises(asyncpg.UniqueViolationError) as clash:
        await own_closure(owner, north, date(2026, 9, 1))
    assert clash.value.constraint_name == "closure_day_partnership_key"
    await queries.remove_closure(owner, first, None)
    await own_closure(owner, north, date(2026, 9, 1))  # once removed, the day can be added again
    await service.sync_bank_holidays(owner, [2026])
    with pytest.raises(asyncpg.UniqueViolationError):
        await owner.execute(
            "INSERT INTO closure_day (day, name, source) VALUES ('2026-12-25', 'Christmas again', 'bank_holiday')"
        )
    with pytest.raises(asyncpg.CheckViolationError):  # a bank holiday belongs to no partnership
        await owner.execute(
            "INSERT INTO closure_day (partnership_id, day, name, source) "
            "VALUES ($1, '2026-12-01', 'x', 'bank_holiday')",
            north.id,
        )


def _coordinator(partnership_id: int, user_id: int) -> Identity:
    return Identity(
        user_id=user_id,
        partnership_id=partnership_id,
        agency_id=1,
        name="C",
        email="c@north.example",
        roles=frozenset({Role.COORDINATOR}),
        must_change_password=False,
        method=AuthMethod.SESSION,
        credential="x",
    )


async def test_a_clash_found_only_on_insert_is_a_field_error_and_the_transaction_goes_on(
    owner: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    north = await factories.partnership(owner, "north")
    police = await factories.agency(owner, north.id, "North Police")
    coordinator = await factories.user(owner, north.id, police.id, Role.COORDINATOR)
    actor = _coordinator(north.id, coordinator.id)
    day = date.today().replace(year=date.today().year + 1, month=6, day=10)
    await own_closure(owner, north, day)

    async def nothing_there(*_: object) -> None:
        return None

    monkeypatch.setattr(queries, "closure_on", nothing_there)  # as if another coordinator added it just now
    async with owner.transaction():
        with pytest.raises(Invalid) as refused:
            await service.add_closure(
                owner,
                actor=actor,
                new=NewClosure(day=str(day.day), month=str(day.month), year=str(day.year), name="Again"),
                origin=Origin(),
            )
        assert refused.value.errors == {"date": "This day is already a closure day"}
        assert await owner.fetchval("SELECT count(*) FROM closure_day") == 1  # still usable


@pytest.fixture
async def app_conn(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    if os.environ.get("PITSTOP_TEST_DATABASE_URL"):
        pytest.skip("one role owns and uses an external test database")
    conn = await connect(database.app_url)
    yield conn
    await conn.close()


async def test_the_app_role_keeps_its_own_closure_days_but_never_bank_holidays(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    north = await factories.partnership(owner, "north")
    await service.sync_bank_holidays(owner, [2026])
    christmas = await owner.fetchval("SELECT id FROM closure_day WHERE day = '2026-12-25'")

    # It reads everything, and adds and removes its partnerships' own days.
    assert await app_conn.fetchval("SELECT count(*) FROM closure_day") >= len(EXPECTED_2026)
    own = await own_closure(app_conn, north, date(2026, 11, 2))
    assert await queries.remove_closure(app_conn, own, None)
    # Partnership set-up works as the app too while the years' bank holidays are already loaded.
    await service.ensure_calendar(app_conn, north.id, [2026])
    assert await owner.fetchval("SELECT count(*) FROM working_pattern WHERE partnership_id = $1", north.id) == 1

    # Bank holidays are the owner's: not added, changed or removed by the app.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await service.sync_bank_holidays(app_conn, [2031])
    assert (
        await app_conn.fetchval("UPDATE closure_day SET removed_at = now() WHERE id = $1 RETURNING id", christmas)
        is None
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("UPDATE closure_day SET name = 'Renamed' WHERE id = $1", own)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("DELETE FROM closure_day WHERE id = $1", own)
    assert await owner.fetchval("SELECT removed_at FROM closure_day WHERE id = $1", christmas) is None

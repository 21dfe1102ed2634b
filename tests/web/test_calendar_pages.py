"""The calendar page: closure days for the coming 12 months, the working pattern and the clocks;
adding and removing the partnership's own closure days (field errors, audit rows, another
partnership's answering 404); changing the working pattern (field errors, a stale save's 409)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Partnership, Role, User
from pitstop.calendar import queries, service
from tests import factories

LONDON = ZoneInfo("Europe/London")
_VERSION = re.compile(r'name="version" value="(-?\d+)"')


def today() -> date:
    return datetime.now(LONDON).date()


class Place:
    def __init__(self, north: Partnership, south: Partnership, users: dict[str, User]) -> None:
        self.north = north
        self.south = south
        self.users = users


@pytest.fixture
async def place(owner: asyncpg.Connection) -> Place:
    north = await factories.partnership(owner, "north")
    south = await factories.partnership(owner, "south")
    police = await factories.agency(owner, north.id, "North Police")
    south_police = await factories.agency(owner, south.id, "South Police")
    users = {
        role.value: await factories.user(owner, north.id, police.id, role, email=f"{role.value}@north.example")
        for role in Role
    }
    users["south"] = await factories.user(owner, south.id, south_police.id, Role.COORDINATOR, email="c@south.example")
    await service.ensure_calendar(owner, north.id, service.calendar_years(today()))
    return Place(north, south, users)


def free_weekday(owner_days: set[date], after: int = 20) -> date:
    """A weekday some weeks ahead that is not already closed."""
    day = today() + timedelta(days=after)
    while day.isoweekday() > 5 or day in owner_days:
        day += timedelta(days=1)
    return day


async def closed_days(owner: asyncpg.Connection, partnership_id: int) -> set[date]:
    return set(await queries.closed_dates(owner, partnership_id))


def closure_rows(html: str) -> list[list[str]]:
    if 'id="closure-days"' not in html:
        return []
    body = html.split('id="closure-days"', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells if row]


async def add(client: AsyncTestClient, day: date | None = None, name: str = "Staff training day", **parts: str) -> Any:
    page = await client.get("/calendar")
    fields = {"date-day": str(day.day), "date-month": str(day.month), "date-year": str(day.year)} if day else {}
    data = {"csrf_token": factories.csrf_from(page.text), "name": name, **fields, **parts}
    return await client.post("/calendar/closures", data=data, follow_redirects=False)


async def test_the_page_shows_the_pattern_the_clocks_and_the_coming_years_closure_days(
    client: AsyncTestClient, place: Place
) -> None:
    await factories.sign_in(client, place.users["manager"].email)
    page = await client.get("/calendar")
    assert page.status_code == 200
    text = page.text
    assert "Monday to Friday" in text
    assert "09:00 to 17:00" in text
    for clock in ("4 working hours", "1 working day (8 working hours)", "3 working days (24 working hours)"):
        assert clock in text
    rows = closure_rows(text)
    christmas = date(today().year, 12, 25)
    if christmas < today():
        christmas = christmas.replace(year=christmas.year + 1)
    assert [christmas.strftime("%A %-d %B %Y"), "Christmas Day", "Bank holiday"] in rows
    assert all(date_of(row) >= today() for row in rows)
    assert all(date_of(row) < today() + timedelta(days=366) for row in rows)
    assert "are not loaded" not in text
    # A manager reads; only coordinators and administrators change it.
    assert "Add a closure day" not in text
    assert "Change the working pattern" not in text
    assert "Remove" not in text


def date_of(row: list[str]) -> date:
    return datetime.strptime(row[0], "%A %d %B %Y").date()


async def test_missing_bank_holidays_are_pointed_out(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await owner.execute("DELETE FROM closure_day WHERE extract(year FROM day) = $1", today().year + 1)
    await factories.sign_in(client, place.users["coordinator"].email)
    page = await client.get("/calendar")
    assert f"Bank holidays for {today().year + 1} are not loaded" in page.text


async def test_a_coordinator_adds_and_removes_a_closure_day(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    coordinator = place.users["coordinator"]
    await factories.sign_in(client, coordinator.email)
    day = free_weekday(await closed_days(owner, place.north.id))
    added = await add(client, day, name="  Team   away day ")
    assert added.status_code == 303
    page = await client.get(added.headers["location"])
    assert "The closure day has been added." in page.text
    assert [
        day.strftime("%A %-d %B %Y"),
        "Team away day",
        "Partnership",
        f"Remove Team away day, {day.strftime('%-d %B %Y')}",
    ] in closure_rows(page.text)

    row = await owner.fetchrow("SELECT * FROM closure_day WHERE partnership_id = $1", place.north.id)
    assert (row["day"], row["name"], row["source"], row["created_by"]) == (
        day,
        "Team away day",
        "partnership",
        coordinator.id,
    )
    event = await owner.fetchrow("SELECT * FROM audit_event WHERE action = 'closure_day_added'")
    assert (event["user_id"], event["partnership_id"], event["record_type"], event["record_id"]) == (
        coordinator.id,
        place.north.id,
        "closure_day",
        str(row["id"]),
    )
    assert event["detail"] == {}
    # The clock now skips it.
    calendar = await service.load_calendar(owner, place.north.id)
    assert day in calendar.closed

    removed = await client.post(
        f"/calendar/closures/{row['id']}/delete",
        data={"csrf_token": factories.csrf_from(page.text)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    page = await client.get(removed.headers["location"])
    assert "The closure day has been removed." in page.text
    assert "Team away day" not in page.text
    assert await owner.fetchval("SELECT removed_by FROM closure_day WHERE id = $1", row["id"]) == coordinator.id
    assert day not in (await service.load_calendar(owner, place.north.id)).closed
    # Removing it again (a second click, another coordinator) is not an error, and not audited twice.
    again = await client.post(
        f"/calendar/closures/{row['id']}/delete",
        data={"csrf_token": factories.csrf_from(page.text)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    events = await owner.fetch(
        "SELECT user_id, record_id, detail FROM audit_event WHERE action = 'closure_day_removed'"
    )
    assert [(e["user_id"], e["record_id"], e["detail"]) for e in events] == [(coordinator.id, str(row["id"]), {})]


async def test_each_mistake_is_shown_by_its_field_and_nothing_is_added(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, place.users["admin"].email)
    closed = await closed_days(owner, place.north.id)
    taken = free_weekday(closed)
    assert (await add(client, taken)).status_code == 303
    bank_holiday = await owner.fetchval(
        "SELECT min(day) FROM closure_day WHERE source = 'bank_holiday' AND day >= $1", today()
    )
    future = free_weekday(closed | {taken}, after=40)
    mistakes = [
        ({"day": today() - timedelta(days=1)}, "date", "The date must be today or in the future"),
        ({"day": taken}, "date", "This day is already a closure day"),
        ({"day": bank_holiday}, "date", "This day is already a bank holiday"),
        ({"day": future, "name": "   "}, "name", "Enter a name for the closure day"),
        ({"day": future, "name": "N" * 121}, "name", "Name must be 120 characters or fewer"),
        ({"name": "Training"}, "date", "Enter the date of the closure day"),
        ({"date-day": "3", "date-year": "2030"}, "date", "The date must include a month"),
        ({"date-day": "31", "date-month": "2", "date-year": "2030"}, "date", "The date must be a real date"),
        ({"date-day": "x", "date-month": "2", "date-year": "2030"}, "date", "The date must be a real date"),
        ({"date-day": "1", "date-month": "2", "date-year": "99999999999"}, "date", "The date must be a real date"),
    ]
    before = await owner.fetchval("SELECT count(*) FROM closure_day")
    failures = []
    for fields, field, message in mistakes:
        refused = await add(client, **fields)
        shown = (
            refused.status_code,
            "govuk-error-summary" in refused.text,
            f'href="#{field}"' in refused.text,
            f'id="{field}"' in refused.text,
            message in refused.text,
        )
        if shown != (400, True, True, True, True):
            failures.append(f"{fields}: {shown}")
    assert failures == []
    assert await owner.fetchval("SELECT count(*) FROM closure_day") == before
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'closure_day_added'") == 1
    # What was typed is kept.
    refused = await add(client, future, name="")
    assert f'name="date-day" type="text" inputmode="numeric"\n                 value="{future.day}"' in refused.text


async def test_another_partnerships_closure_days_and_bank_holidays_cannot_be_removed(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    day = free_weekday(set())
    theirs = await queries.insert_closure(owner, place.south.id, day, "South training", None)
    bank_holiday = await owner.fetchval("SELECT id FROM closure_day WHERE source = 'bank_holiday' LIMIT 1")
    await factories.sign_in(client, place.users["coordinator"].email)
    page = await client.get("/calendar")
    assert "South training" not in page.text
    token = factories.csrf_from(page.text)
    for closure_id in (theirs, bank_holiday, 999_999):
        refused = await client.post(
            f"/calendar/closures/{closure_id}/delete", data={"csrf_token": token}, follow_redirects=False
        )
        assert refused.status_code == 404
    assert await owner.fetchval("SELECT count(*) FROM closure_day WHERE removed_at IS NOT NULL") == 0
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'closure_day_removed'") == 0
    # And a day south closes is open in north.
    assert day not in (await service.load_calendar(owner, place.north.id)).closed


async def save_pattern(client: AsyncTestClient, page_html: str, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "version": _VERSION.search(page_html).group(1),  # type: ignore[union-attr]
        "csrf_token": factories.csrf_from(page_html),
        "working_days": ["1", "2", "3", "4", "5"],
        "day_start": "09:00",
        "day_end": "17:00",
        "high_hours": "4",
        "medium_hours": "8",
        "standard_hours": "24",
        **fields,
    }
    return await client.post("/calendar/pattern", data=data, follow_redirects=False)


async def test_the_working_pattern_and_clocks_can_be_changed(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    coordinator = place.users["coordinator"]
    await factories.sign_in(client, coordinator.email)
    page = await client.get("/calendar")
    saved = await save_pattern(
        client,
        page.text,
        working_days=["1", "2", "3", "4"],
        day_start="8:30",
        day_end="16.30",
        high_hours="2",
        medium_hours="16",
        standard_hours="40",
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "The working pattern has been saved." in page.text
    for shown in ("Monday to Thursday", "08:30 to 16:30", "2 working hours", "2 working days (16 working hours)"):
        assert shown in page.text
    calendar = await service.load_calendar(owner, place.north.id)
    assert calendar.working_days == frozenset({1, 2, 3, 4})
    assert calendar.screening.medium == 16
    received = datetime(2026, 2, 5, 16, tzinfo=LONDON)  # a Thursday: no Friday now
    due = await service.screening_due(owner, place.north.id, received, "high")
    assert due == datetime(2026, 2, 9, 10, tzinfo=LONDON)
    event = await owner.fetchrow("SELECT * FROM audit_event WHERE action = 'working_pattern_updated'")
    assert event["user_id"] == coordinator.id
    assert event["detail"] == {
        "working_days": [1, 2, 3, 4],
        "day_start_minute": 510,
        "day_end_minute": 990,
        "high_hours": 2,
        "medium_hours": 16,
        "standard_hours": 40,
    }


async def test_pattern_mistakes_are_shown_by_their_fields(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, place.users["admin"].email)
    page = await client.get("/calendar")
    mistakes = [
        ({"working_days": []}, "working_days", "Select at least one working day"),
        ({"working_days": ["8"]}, "working_days", "Select at least one working day"),
        ({"day_start": "9am"}, "day_start", "Enter the start of the working day"),
        ({"day_end": "24:00"}, "day_end", "Enter the end of the working day"),
        ({"day_start": "17:00", "day_end": "09:00"}, "day_end", "The working day must end after it starts"),
        ({"high_hours": "0"}, "high_hours", "for high risk as a whole number"),
        ({"medium_hours": "1.5"}, "medium_hours", "for medium risk as a whole number"),
        ({"standard_hours": "2001"}, "standard_hours", "for standard risk as a whole number"),
    ]
    failures = []
    for fields, field, message in mistakes:
        refused = await save_pattern(client, page.text, **fields)
        shown = (refused.status_code, f'href="#{field}"' in refused.text, message in refused.text)
        if shown != (400, True, True):
            failures.append(f"{fields}: {shown}")
    assert failures == []
    assert await owner.fetchval("SELECT version FROM working_pattern WHERE partnership_id = $1", place.north.id) == 1
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'working_pattern_updated'") == 0


async def test_a_pattern_saved_from_a_stale_page_is_refused_with_the_current_values(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await factories.sign_in(client, place.users["coordinator"].email)
    stale = await client.get("/calendar")
    assert (await save_pattern(client, stale.text, medium_hours="7")).status_code == 303
    second = await save_pattern(client, stale.text, medium_hours="6")
    assert second.status_code == 409
    assert "Someone else changed this record" in second.text
    assert 'id="medium_hours" name="medium_hours" type="text" value="7"' in second.text
    assert _VERSION.search(second.text).group(1) == "2"  # type: ignore[union-attr]
    assert (
        await owner.fetchval("SELECT medium_hours FROM working_pattern WHERE partnership_id = $1", place.north.id) == 7
    )


async def test_a_partnership_without_a_pattern_row_saves_its_first(
    client: AsyncTestClient, place: Place, owner: asyncpg.Connection
) -> None:
    await owner.execute("DELETE FROM working_pattern")
    await factories.sign_in(client, place.users["coordinator"].email)
    page = await client.get("/calendar")
    assert _VERSION.search(page.text).group(1) == "0"  # type: ignore[union-attr]
    assert "Monday to Friday" in page.text  # the defaults
    assert (await save_pattern(client, page.text, high_hours="3")).status_code == 303
    assert await owner.fetchval("SELECT high_hours FROM working_pattern WHERE partnership_id = $1", place.north.id) == 3
    assert (await save_pattern(client, page.text, high_hours="5")).status_code == 409  # created meanwhile

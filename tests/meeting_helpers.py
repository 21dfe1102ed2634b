"""Setting up meetings for a test: a partnership's series, notifications screened at a given moment,
and identities for each role. Notifications come through the real intake; a screening is written as
the service writes it, with the moment under the test's control (the service stamps `now()`)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.accounts.models import Role, User
from pitstop.agenda import queries as agenda_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import Meeting, Series, SeriesIn
from pitstop.notifications import service as intake
from pitstop.notifications.models import NotificationIn, Source
from tests import factories

LONDON = ZoneInfo("Europe/London")
KELLY = {"role": "victim", "family_name": "Marsh", "given_names": "Kelly", "date_of_birth": "1994-02-03"}
CRAIG = {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig", "date_of_birth": "1990-07-01"}


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def identity(user: User) -> Identity:
    return Identity(
        user_id=user.id,
        partnership_id=user.partnership_id,
        agency_id=user.agency_id,
        name=user.name,
        email=user.email,
        roles=frozenset(Role(r) for r in user.roles),
        must_change_password=False,
        method=AuthMethod.SESSION,
        credential="test",
    )


def people(world: factories.World, place: str = "north") -> dict[str, Identity]:
    return {role.value: identity(world.users[f"{place}.{role.value}"]) for role in Role}


async def series(
    conn: asyncpg.Connection, world: factories.World, today: date, place: str = "north", **changes: Any
) -> Series:
    """A Monday-to-Friday series at 09:30 (cut-off 08:00, publish 08:30) inviting the police, generated
    from `today`; the coordinator chairs and takes the minutes."""
    coordinator = identity(world.users[f"{place}.coordinator"])
    settings: dict[str, Any] = {
        "name": "Daily pitstop",
        "place": "MASH meeting room",
        "call_link": "https://meet.example/pitstop",
        "chair_id": coordinator.user_id,
        "minute_taker_id": coordinator.user_id,
        "weeks_ahead": 2,
        **changes,
    }
    form = SeriesIn(**settings)
    made = await meetings.create_series(conn, actor=coordinator, form=form, origin=factories.CLI, today=today)
    await meetings.add_invitee(
        conn,
        actor=coordinator,
        series_id=made.id,
        version=made.version,
        agency_id=world.agencies[f"{place}.police"].id,
        name="Pat Police",
        email=f"pat@{place}-police.example",
        origin=factories.CLI,
    )
    found = await meetings.series(conn, coordinator, made.id)
    return found


async def meeting_on(conn: asyncpg.Connection, series_id: int, day: date) -> Meeting:
    meeting_id = await conn.fetchval("SELECT id FROM meeting WHERE series_id = $1 AND occurrence = $2", series_id, day)
    from pitstop.meetings import queries

    found = await queries.meeting(conn, meeting_id)
    assert found is not None
    return found


def body(reference: str, *persons: dict[str, Any], received_at: datetime, **changes: Any) -> NotificationIn:
    made = {
        "police_reference": reference,
        "received_at": received_at.isoformat(),
        "incident_at": received_at.isoformat(),
        "circumstances": "Invented for a test.",
        "risk": {"tool": "dash", "grade": changes.pop("officer_grade", "medium")},
        "people": [copy.deepcopy(p) for p in (persons or (KELLY, CRAIG))],
        **changes,
    }
    return msgspec.convert(made, NotificationIn)


async def screened(
    conn: asyncpg.Connection,
    world: factories.World,
    reference: str,
    at: datetime,
    *persons: dict[str, Any],
    grade: str = "medium",
    route: str = "agenda",
    immediate_protection: bool = False,
    place: str = "north",
    **changes: Any,
) -> int:
    """A notification received an hour before `at` and screened at `at`; its id."""
    partnership_id = world.partnerships[place].id
    received = await intake.receive(
        conn,
        actor=None,
        partnership_id=partnership_id,
        body=body(reference, *persons, received_at=at, **changes),
        source=Source.API,
        origin=factories.CLI,
    )
    notification_id = received.notification.id
    screening_id = await conn.fetchval(
        """INSERT INTO screening (partnership_id, notification_id, notification_version, grade, consent, route,
                                  route_rationale, screened_by, screened_at, immediate_protection)
           VALUES ($1, $2, 1, $3, 'given', $4, $5, $6, $7, $8) RETURNING id""",
        partnership_id,
        notification_id,
        grade,
        route,
        "Invented" if route == "no_further_action" else None,
        world.users[f"{place}.coordinator"].id,
        at,
        immediate_protection,
    )
    await conn.execute("UPDATE notification SET status = 'screened' WHERE id = $1", notification_id)
    if route != "no_further_action":
        await agenda_queries.enqueue(conn, partnership_id, notification_id, screening_id, at)
    return notification_id

"""Three days of fictional notifications for the demo: one of every kind a coordinator meets.

High risk with children present, an open case for its allocated worker, a withheld address (a
refuge), unscreened ones, one already overdue, one screened with consent not sought. Everything
is invented (Northfield, postcodes NF). Police references are fixed, so a second run finds each
one unchanged and adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from pitstop.accounts import queries as accounts
from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.audit.service import Origin
from pitstop.notifications import screening, service
from pitstop.notifications.models import NotificationIn, Outcome, ScreeningIn, Source, Status

LONDON = ZoneInfo("Europe/London")
_OPERATOR = Origin()


def _at(days_ago: int, hour: int, minute: int = 0, today: datetime | None = None) -> str:
    day = (today or datetime.now(UTC)).astimezone(LONDON).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(UTC).isoformat()


def demo_notifications(today: datetime | None = None) -> list[dict]:
    """The bodies, received over the last three days (relative to today)."""
    return [
        {
            "police_reference": "NF/7781/26",
            "received_at": _at(0, 2, 10, today),
            "incident_at": _at(0, 1, 35, today),
            "address": "12 Quillon Close",
            "postcode": "NF8 9QX",
            "council_area": "Northfield",
            "circumstances": "Partner shouting and throwing items; two children in the house, one came downstairs.",
            "injuries": True,
            "strangulation": True,
            "alcohol_or_drugs": True,
            "arrest_made": True,
            "risk": {"tool": "dash", "grade": "high", "yes_count": 15, "answers": {"strangulation": True}},
            "previous_incidents_12m": 3,
            "safe_contact": {"safe": True, "number": "07700 900123", "times": "10:00-14:00"},
            "people": [
                {"role": "victim", "family_name": "Marsh", "given_names": "Kelly Anne", "date_of_birth": "1994-02-03"},
                {"role": "alleged_perpetrator", "family_name": "Dunmore", "given_names": "Craig"},
                {
                    "role": "child",
                    "family_name": "Marsh",
                    "given_names": "Tyler",
                    "date_of_birth": "2017-05-11",
                    "school": "Larchwood Primary School",
                    "present": True,
                    "witnessed": True,
                },
                {
                    "role": "child",
                    "family_name": "Dunmore",
                    "given_names": "Isla",
                    "date_of_birth": "2025-08-02",
                    "gp_or_health_visitor": "Eastgate health visiting team",
                    "present": True,
                },
            ],
        },
        {
            "police_reference": "NF/7790/26",
            "received_at": _at(0, 6, 40, today),
            "address": "Flat 4, 88 Harrow Row",
            "postcode": "NF3 2LT",
            "circumstances": "Verbal argument reported by a neighbour; no injuries; child asleep upstairs.",
            "arrest_made": False,
            "no_arrest_reason": "No offence disclosed",
            "risk": {"tool": "dash", "grade": "standard", "yes_count": 3},
            "open_case": True,
            "allocated_worker": "Northfield Children's Social Care, Eastgate team",
            "people": [
                {"role": "victim", "family_name": "Okafor", "given_names": "Grace"},
                {"role": "alleged_perpetrator", "family_name": "Okafor", "given_names": "Daniel"},
                {
                    "role": "child",
                    "family_name": "Okafor",
                    "given_names": "Amara",
                    "date_of_birth": "2019-03-14",
                    "present": True,
                    "witnessed": False,
                },
            ],
        },
        {
            "police_reference": "NF/7702/26",
            "received_at": _at(1, 14, 5, today),
            "circumstances": "Victim in refuge reports threats by text from former partner.",
            "arrest_made": False,
            "no_arrest_reason": "Suspect not located; enquiries ongoing",
            "risk": {"tool": "dash", "grade": "medium", "yes_count": 9},
            "safe_contact": {"safe": False},
            "victim_pregnant": True,
            "people": [
                {"role": "victim", "family_name": "Reid", "given_names": "Sophie", "address_withheld": True},
                {"role": "alleged_perpetrator", "family_name": "Vance", "given_names": "Liam"},
            ],
        },
        {
            "police_reference": "NF/7655/26",
            "received_at": _at(3, 9, 30, today),
            "circumstances": "Mother reports adult son pushed her during an argument about money.",
            "injuries": False,
            "arrest_made": True,
            "risk": {"tool": "dash", "grade": "medium", "yes_count": 7},
            "people": [
                {"role": "victim", "family_name": "Hollis", "given_names": "Margaret", "date_of_birth": "1961-09-30"},
                {"role": "alleged_perpetrator", "family_name": "Hollis", "given_names": "Ryan"},
            ],
        },
        {
            "police_reference": "NF/7668/26",
            "received_at": _at(2, 23, 50, today),
            "circumstances": "Ex-partner attended address in breach of bail; knife found in his car.",
            "weapons": True,
            "arrest_made": True,
            "risk": {"tool": "dash", "grade": "high", "yes_count": 17, "answers": {"weapons": True}},
            "people": [
                {"role": "victim", "family_name": "Byrne", "given_names": "Aoife"},
                {"role": "alleged_perpetrator", "family_name": "Crane", "given_names": "Jordan"},
                {
                    "role": "child",
                    "family_name": "Byrne",
                    "given_names": "Cian",
                    "date_of_birth": "2021-01-20",
                    "present": False,
                },
            ],
        },
    ]


async def load(conn: asyncpg.Connection, partnership_id: int, coordinator_email: str, manager_email: str) -> list[str]:
    """Receive each demo notification (as the police feed would) and screen one. Lines for the report."""
    lines = []
    for body in demo_notifications():
        received = await service.receive(
            conn,
            actor=None,
            partnership_id=partnership_id,
            body=msgspec.convert(body, NotificationIn),
            source=Source.API,
            origin=_OPERATOR,
        )
        verb = "created" if received.outcome is Outcome.CREATED else "already there"
        lines.append(f"{verb}: notification {received.notification.police_reference}")
    # The high-risk one with a knife, screened with consent not sought (authorised by the manager).
    coordinator = await accounts.user_by_email(conn, coordinator_email)
    manager = await accounts.user_by_email(conn, manager_email)
    knife = await conn.fetchrow(
        "SELECT id, version, status FROM notification WHERE partnership_id = $1 AND police_reference = 'NF/7668/26'",
        partnership_id,
    )
    if coordinator and manager and knife and knife["status"] == Status.RECEIVED:
        actor = Identity(
            user_id=coordinator.id,
            partnership_id=coordinator.partnership_id,
            agency_id=coordinator.agency_id,
            name=coordinator.name,
            email=coordinator.email,
            roles=frozenset(coordinator.roles),
            must_change_password=False,
            method=AuthMethod.SESSION,
            credential="demo",
        )
        await screening.screen(
            conn,
            actor=actor,
            notification_id=knife["id"],
            form=msgspec.convert(
                {
                    "version": knife["version"],
                    "grade": "high",
                    "consent": "not_sought",
                    "consent_reason": "unsafe_to_ask",
                    "consent_rationale": "Suspect breached bail at the address; contact could alert him.",
                    "authorised_by": manager.id,
                    "victim_aware": False,
                    "route": "agenda",
                    "delay_reason": "Received overnight before the weekend; screened at the next opening.",
                },
                ScreeningIn,
            ),
            origin=_OPERATOR,
        )
        lines.append("screened: notification NF/7668/26")
    return lines

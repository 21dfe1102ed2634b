"""The demo's daily pitstop: a Monday-to-Friday series with every demo agency invited, the last meeting
day's meeting held (two invented notifications on its agenda, attendance recorded), and the demo's
screened notifications waiting on the next meeting's agenda for a coordinator to adjust and publish.

Everything is invented. A second run finds the series and adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import msgspec

from pitstop.accounts import queries as accounts
from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.actions import service as actions
from pitstop.actions.models import ActionIn, ActionStatus, CompletionIn
from pitstop.agenda import service as agenda
from pitstop.audit.service import Origin
from pitstop.decisions import service as decisions
from pitstop.decisions.models import DecisionIn, MaracCriterion
from pitstop.information import service as information
from pitstop.information.models import InformationIn, Knowledge, Visibility
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import AttendanceIn, AttendanceStatus, ObserverIn, SeriesIn
from pitstop.meetings.schedule import LONDON, local_day, meeting_days
from pitstop.notifications import screening, service
from pitstop.notifications.models import NotificationIn, ScreeningIn, Source

SERIES_NAME = "Northfield daily pitstop"
_OPERATOR = Origin()

# Who represents each demo agency (the demo users, by email), and who chairs and takes the minutes.
CHAIR = "socialcare.coordinator@northfield.example"
MINUTE_TAKER = "police.coordinator@northfield.example"
REPRESENTATIVES = (
    "police.member@northfield.example",
    "socialcare.member@northfield.example",
    "earlyhelp.member@northfield.example",
    "health.member@northfield.example",
    "education.member@northfield.example",
    "idva.member@northfield.example",
    "probation.member@northfield.example",
    "housing.member@northfield.example",
)


def _identity(user: object) -> Identity:
    return Identity(
        user_id=user.id,  # type: ignore[attr-defined]
        partnership_id=user.partnership_id,  # type: ignore[attr-defined]
        agency_id=user.agency_id,  # type: ignore[attr-defined]
        name=user.name,  # type: ignore[attr-defined]
        email=user.email,  # type: ignore[attr-defined]
        roles=frozenset(user.roles),  # type: ignore[attr-defined]
        must_change_password=False,
        method=AuthMethod.SESSION,
        credential="demo",
    )


def _held_bodies(cut_off: datetime) -> list[dict]:
    """Two notifications received the evening and night before the held meeting's cut-off."""
    return [
        {
            "police_reference": "NF/7590/26",
            "received_at": (cut_off - timedelta(hours=13)).isoformat(),
            "incident_at": (cut_off - timedelta(hours=14)).isoformat(),
            "address": "4 Millbrook Close, Northfield",
            "postcode": "NF4 2LP",
            "circumstances": "Neighbour called police to shouting; partner threw a mug. Baby asleep upstairs.",
            "risk": {"tool": "dash", "grade": "medium", "yes_count": 8, "answers": {"threat_to_kill": True}},
            "people": [
                {"role": "victim", "family_name": "Carter", "given_names": "Jade", "date_of_birth": "1999-03-14"},
                {"role": "alleged_perpetrator", "family_name": "Moss", "given_names": "Kieran"},
                {
                    "role": "child",
                    "family_name": "Carter",
                    "given_names": "Ellie",
                    "date_of_birth": (local_day(cut_off) - timedelta(days=150)).isoformat(),
                    "present": True,
                },
            ],
        },
        {
            "police_reference": "NF/7612/26",
            "received_at": (cut_off - timedelta(hours=9)).isoformat(),
            "address": "17 Station Road, Northfield",
            "postcode": "NF1 3AB",
            "circumstances": "Ex-partner turned up at the victim's work; verbal abuse, no injuries.",
            "risk": {"tool": "dash", "grade": "standard", "yes_count": 4},
            "people": [
                {"role": "victim", "family_name": "Okoro", "given_names": "Ada", "date_of_birth": "1988-11-02"},
                {"role": "alleged_perpetrator", "family_name": "Lyle", "given_names": "Gareth"},
            ],
        },
    ]


async def _screen(
    conn: asyncpg.Connection, actor: Identity, partnership_id: int, reference: str, route: str, at: datetime | None
) -> bool:
    """Screen a demo notification "to the agenda" (or to its allocated worker) if nobody has; `at` backdates
    the screening so it lands on the meeting it would have in real life."""
    row = await conn.fetchrow(
        "SELECT id, version, officer_grade, status, screening_due_at < now() AS late FROM notification "
        "WHERE partnership_id = $1 AND police_reference = $2",
        partnership_id,
        reference,
    )
    if row is None:
        return False
    if row["status"] == "received":
        await screening.screen(
            conn,
            actor=actor,
            notification_id=row["id"],
            form=msgspec.convert(
                {
                    "version": row["version"],
                    "grade": row["officer_grade"],
                    "consent": "given",
                    "route": route,
                    "delay_reason": "Screened at the next opening after the weekend." if row["late"] else None,
                },
                ScreeningIn,
            ),
            origin=_OPERATOR,
        )
    if at is not None:
        await conn.execute("UPDATE screening SET screened_at = $2 WHERE notification_id = $1", row["id"], at)
        await conn.execute("UPDATE agenda_queue SET screened_at = $2 WHERE notification_id = $1", row["id"], at)
    return True


# What each agency knew, what was decided and what was agreed at the held meeting, item by item.
_INFORMATION = (
    # (item, agency member, knowledge, summary, visibility, restricted to (members), third party)
    (
        0,
        "police.member",
        "known",
        "Two earlier call-outs this year; bail conditions end on Friday.",
        "shared",
        (),
        False,
    ),
    (
        0,
        "socialcare.member",
        "known",
        "Child protection plan ended in 2025; the family worker knows the children.",
        "restricted",
        ("police.member", "health.member"),
        False,
    ),
    (
        0,
        "health.member",
        "known",
        "Health visitor concerned about the baby's weight; mother missed two checks.",
        "not_for_minutes",
        (),
        True,
    ),
    (0, "education.member", "not_known", None, "shared", (), False),
    (1, "police.member", "known", "First incident at this address.", "shared", (), False),
    (1, "idva.member", "not_known", None, "shared", (), False),
)
_DECISIONS = (
    (
        0,
        ["strategy_discussion", "marac_referral"],
        "visible_high_risk",
        "High risk with a baby in the household; children's social care to convene a strategy discussion today.",
    ),
    (
        1,
        ["idva_referral", "early_help"],
        None,
        "Standard risk; offer the victim IDVA support and the family early help.",
    ),
)
_ACTIONS = (
    # (item, owning agency member, what, hours after the meeting it is due, done)
    (0, "socialcare.member", "Convene the strategy discussion", 6, False),
    (0, "police.member", "Review the DASH with the victim and update the risk assessment", 8, False),
    (0, "health.member", "Health visitor home visit", 4, True),
    (1, "idva.member", "Contact the victim through the safe number", 7, False),
    (1, "earlyhelp.member", "Offer the family an early help assessment", 24 * 10, False),
)


async def _records(conn: asyncpg.Connection, meeting_id: int, chair: Identity) -> None:
    """The held meeting's agency information, decisions and actions, recorded while it ran."""
    meeting = await meeting_queries.meeting(conn, meeting_id)
    assert meeting is not None
    items = [
        r["id"]
        for r in await conn.fetch("SELECT id FROM agenda_item WHERE meeting_id = $1 ORDER BY position", meeting_id)
    ]
    people: dict[str, Identity] = {}
    for key in {row[1] for row in _INFORMATION} | {row[1] for row in _ACTIONS} | {"police.member", "health.member"}:
        user = await accounts.user_by_email(conn, f"{key.split('.')[0]}.member@northfield.example")
        if user is not None:
            people[key] = _identity(user)
    for item, who, knowledge, summary, visibility, restricted, third_party in _INFORMATION:
        if who not in people or item >= len(items):
            continue
        await information.record(
            conn,
            actor=people[who],
            meeting_id=meeting_id,
            item_id=items[item],
            form=InformationIn(
                knowledge=Knowledge(knowledge),
                summary=summary,
                source_system={"police": "Niche", "socialcare": "Liquidlogic", "health": "SystmOne"}.get(
                    who.split(".")[0]
                ),
                checked_at=meeting.cut_off_at,
                visibility=Visibility(visibility),
                restricted_to=[people[r].agency_id for r in restricted if r in people],
                third_party=third_party,
            ),
            origin=_OPERATOR,
        )
    for item, outcomes, criterion, rationale in _DECISIONS:
        if item < len(items):
            await decisions.record(
                conn,
                actor=chair,
                meeting_id=meeting_id,
                item_id=items[item],
                form=DecisionIn(
                    outcomes=outcomes,
                    rationale=rationale,
                    marac_criterion=MaracCriterion(criterion) if criterion else None,
                ),
                origin=_OPERATOR,
            )
    for item, who, what, hours, done in _ACTIONS:
        if who not in people or item >= len(items):
            continue
        made = await actions.create(
            conn,
            actor=chair,
            meeting_id=meeting_id,
            item_id=items[item],
            form=ActionIn(
                description=what,
                owner_agency_id=people[who].agency_id,
                due_at=meeting.starts_at + timedelta(hours=hours),
            ),
            origin=_OPERATOR,
        )
        if done:
            await actions.close(
                conn,
                actor=people[who],
                action_id=made.id,
                form=CompletionIn(status=ActionStatus.DONE, note="Visited; weight now on track.", version=made.version),
                origin=_OPERATOR,
            )
    # Agreed at the meeting, not when the demo was loaded.
    await conn.execute("UPDATE action SET created_at = $2 WHERE meeting_id = $1", meeting_id, meeting.starts_at)


async def load(conn: asyncpg.Connection, partnership_id: int) -> list[str]:
    """Create the demo series and its meetings unless the series exists. Lines for the demo report."""
    if await conn.fetchval(
        "SELECT 1 FROM meeting_series WHERE partnership_id = $1 AND name = $2", partnership_id, SERIES_NAME
    ):
        return [f"already there: meeting series {SERIES_NAME}"]
    chair = await accounts.user_by_email(conn, CHAIR)
    taker = await accounts.user_by_email(conn, MINUTE_TAKER)
    if chair is None or taker is None:
        return []
    actor = _identity(chair)
    today = datetime.now(LONDON).date()
    form = SeriesIn(
        name=SERIES_NAME,
        place="MASH meeting room, Northfield Civic Centre",
        call_link="https://meet.northfield.example/pitstop",
        chair_id=chair.id,
        minute_taker_id=taker.id,
        weeks_ahead=4,
    )
    series = await meetings.create_series(conn, actor=actor, form=form, origin=_OPERATOR)
    for email in REPRESENTATIVES:
        member = await accounts.user_by_email(conn, email)
        if member is None:
            continue
        current = await meeting_queries.series(conn, series.id)
        assert current is not None
        await meetings.add_invitee(
            conn,
            actor=actor,
            series_id=series.id,
            version=current.version,
            agency_id=member.agency_id,
            name=member.name,
            email=member.email,
            origin=_OPERATOR,
        )
    lines = [f"meeting series {SERIES_NAME}"]

    # The last meeting day before today: its meeting was held.
    closed = await meetings.closed_days(conn, partnership_id, today - timedelta(days=14), today)
    previous = meeting_days(series.weekdays, today - timedelta(days=14), today - timedelta(days=1), closed)[-1]
    current = await meeting_queries.series(conn, series.id)
    assert current is not None
    await meeting_queries.insert_meetings(conn, current, [(previous, meetings.series_times(current, previous))])
    held = await conn.fetchrow(
        "SELECT id, cut_off_at FROM meeting WHERE series_id = $1 AND occurrence = $2", series.id, previous
    )
    for body in _held_bodies(held["cut_off_at"]):
        await service.receive(
            conn,
            actor=None,
            partnership_id=partnership_id,
            body=msgspec.convert(body, NotificationIn),
            source=Source.API,
            origin=_OPERATOR,
        )
        received = datetime.fromisoformat(body["received_at"])
        await _screen(conn, actor, partnership_id, body["police_reference"], "agenda", received + timedelta(hours=1))
    minute_taker = _identity(taker)
    for step in ("publish", "start"):
        found = await meeting_queries.meeting(conn, held["id"])
        assert found is not None
        await meetings.advance(
            conn, actor=actor, meeting_id=found.id, version=found.version, step=step, origin=_OPERATOR
        )
    # Five agencies present; probation, housing and early help sent apologies (and their information).
    present: dict[int, str] = {}
    for email in REPRESENTATIVES[:2] + REPRESENTATIVES[3:6]:
        member = await accounts.user_by_email(conn, email)
        if member is not None:
            present[member.agency_id] = member.name
    rows = [
        (
            AttendanceIn(
                agency_id=row.agency_id,
                status=AttendanceStatus.PRESENT if row.agency_id in present else AttendanceStatus.APOLOGIES,
                present_names=present.get(row.agency_id),
                information_sent=True,
            ),
            row.version,
        )
        for row in await meeting_queries.attendance(conn, held["id"])
    ]
    await meetings.record_attendance(conn, actor=minute_taker, meeting_id=held["id"], rows=rows, origin=_OPERATOR)
    await meetings.add_observer(
        conn,
        actor=minute_taker,
        meeting_id=held["id"],
        form=ObserverIn(
            name="Jordan Blake", organisation="Northfield University (social work placement)", statement_signed=True
        ),
        origin=_OPERATOR,
    )
    await _records(conn, held["id"], actor)
    found = await meeting_queries.meeting(conn, held["id"])
    assert found is not None
    await meetings.advance(conn, actor=actor, meeting_id=found.id, version=found.version, step="end", origin=_OPERATOR)
    # It happened on its day: publication, start and end at the meeting's own times.
    await conn.execute(
        "UPDATE meeting SET published_at = publish_at, started_at = starts_at, "
        "ended_at = starts_at + make_interval(mins => length_minutes) WHERE id = $1",
        held["id"],
    )
    lines.append(
        f"held meeting of {previous.strftime('%-d %B')} with its agenda, attendance, agency information, "
        "decisions and actions (some overdue)"
    )

    # The demo's other notifications, screened now: they wait for the next meeting's agenda.
    for reference, route in (("NF/7781/26", "agenda"), ("NF/7702/26", "agenda"), ("NF/7790/26", "allocated_worker")):
        await _screen(conn, actor, partnership_id, reference, route, None)
    following = await conn.fetchrow(
        "SELECT id FROM meeting WHERE series_id = $1 AND state = 'scheduled' AND cut_off_at > now() "
        "ORDER BY starts_at LIMIT 1",
        series.id,
    )
    if following is not None:
        upcoming = await meeting_queries.meeting(conn, following["id"])
        assert upcoming is not None
        await agenda.place_if_waiting(conn, upcoming)
        lines.append("next meeting's agenda, ready to adjust and publish")
    return lines

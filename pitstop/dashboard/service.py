"""The dashboard as a user may see it: managers and coordinators every figure of their partnership, an
agency member its own agency's action figures only (what other agencies do, and the partnership's
caseload, are not theirs to know). Counts carry no personal data; each view is audited all the same.
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.dashboard import facts, figures
from pitstop.minutes import listing as minutes


class MinutesTimeliness(msgspec.Struct, frozen=True, kw_only=True):
    """The minutes of meetings held in the range, against their 3-working-day deadline."""

    meetings: int
    on_time: int  # first approved by the deadline
    late: int  # first approved after it
    overdue: int  # not approved, deadline passed
    waiting: int  # not approved, deadline still to come

    @property
    def on_time_share(self) -> float | None:
        approved = self.on_time + self.late
        return self.on_time / approved if approved else None


class Dashboard(msgspec.Struct, frozen=True, kw_only=True):
    scope: figures.Scope
    now: datetime
    own_agency_only: bool  # an agency member: its action figures and nothing else
    still_counting: int  # queued changes not yet in the figures (count_changes left them to the background counter)
    screening: list[figures.ScreeningWeek]
    overdue: list[figures.Overdue]
    durations: figures.Durations | None
    minutes: MinutesTimeliness | None
    volumes: figures.Volumes | None
    outcomes: figures.Outcomes | None
    attendance: list[figures.AgencyAttendance]
    actions: list[figures.AgencyActions]


async def _minutes(conn: asyncpg.Connection, scope: figures.Scope) -> MinutesTimeliness:
    rows = await minutes.rows_in(conn, scope.partnership_id, scope.first, scope.last)
    return MinutesTimeliness(
        meetings=len(rows),
        on_time=sum(1 for r in rows if r.first_approved_at is not None and not r.late),
        late=sum(1 for r in rows if r.late),
        overdue=sum(1 for r in rows if r.overdue),
        waiting=sum(1 for r in rows if r.first_approved_at is None and not r.overdue),
    )


async def count_changes(conn: asyncpg.Connection, actor: Identity) -> None:
    """Before a view, in a short transaction of its own: count what changed since the background counter
    last ran, so the figures are as of now (after a change to every notification, a new repeat-incident
    rule, the counter catches up instead). Agency members see no notification figures: nothing to count."""
    policy.require(actor, policy.Permission.VIEW_DASHBOARD)
    if agenda.sees_everything(actor):
        await facts.bring_up_to_date(conn, actor.partnership_id)


async def dashboard(
    conn: asyncpg.Connection,
    actor: Identity,
    *,
    first: date,
    last: date,
    grade: str | None,
    now: datetime,
    origin: audit.Origin,
) -> Dashboard:
    policy.require(actor, policy.Permission.VIEW_DASHBOARD)
    scope = figures.Scope(partnership_id=actor.partnership_id, first=first, last=last, grade=grade)
    everything = agenda.sees_everything(actor)
    own = None if everything else actor.agency_id
    left = await facts.waiting(conn, scope.partnership_id) if everything else 0
    if everything:  # a year's durations and distinct children sort a few hundred thousand values in memory
        await conn.execute(f"SET LOCAL work_mem = '{figures.WORK_MEM}'")
    flow = await figures.days(conn, scope) if everything else []
    found = Dashboard(
        scope=scope,
        now=now,
        own_agency_only=not everything,
        still_counting=left,
        screening=figures.screening_by_week(flow),
        overdue=await figures.overdue_now(conn, scope.partnership_id, now, grade) if everything else [],
        durations=await figures.durations(conn, scope) if everything else None,
        minutes=await _minutes(conn, scope) if everything else None,
        volumes=await figures.volumes(conn, scope, flow) if everything else None,
        outcomes=await figures.outcomes(conn, scope) if everything else None,
        attendance=await figures.attendance(conn, scope) if everything else [],
        actions=await figures.actions(conn, scope, now, agency_id=own),
    )
    await audit.record(
        conn,
        AuditAction.DASHBOARD_VIEWED,
        actor=actor,
        origin=origin,
        detail={"from": first.isoformat(), "to": last.isoformat(), "grade": grade, "own_agency_only": not everything},
    )
    return found

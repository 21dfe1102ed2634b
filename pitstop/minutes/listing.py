"""The minutes across meetings, for managers and coordinators: which are approved, which wait, which are
overdue or were approved late. No case data: meetings, versions and dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.calendar import service as calendar
from pitstop.errors import Forbidden
from pitstop.meetings import service as meetings
from pitstop.meetings.schedule import LONDON, local_day
from pitstop.minutes.service import approval_due

LIMIT = 500  # rows shown; the page and the API say "the newest 500" when there are that many


class Row(msgspec.Struct, frozen=True, kw_only=True):
    meeting_id: int
    starts_at: datetime
    series_name: str
    approved: int | None  # the latest approved version
    first_approved_at: datetime | None
    draft: int | None  # an open version (the first draft, or a correction)
    due_on: date
    overdue: bool
    late: bool


async def rows_in(
    conn: asyncpg.Connection, partnership_id: int, first: date, last: date, state: str | None = None
) -> list[Row]:
    """Held meetings from `first` to `last` (London days), newest first, with their minutes' deadline and
    whether it was met. Not audited: no case data (the dashboard counts them)."""
    rows = await conn.fetch(
        """SELECT m.id AS meeting_id, m.starts_at, s.name AS series_name,
                  max(n.version) FILTER (WHERE n.state = 'approved') AS approved,
                  min(n.approved_at) AS first_approved_at,
                  max(n.version) FILTER (WHERE n.state = 'draft') AS draft
             FROM meeting m JOIN meeting_series s ON s.id = m.series_id
             LEFT JOIN minutes n ON n.meeting_id = m.id
            WHERE m.partnership_id = $1 AND m.state = 'held'
              AND m.starts_at >= $2::timestamptz AND m.starts_at < $3::timestamptz
            GROUP BY m.id, s.name
           HAVING ($4::text IS NULL
                   OR ($4 = 'draft') = (max(n.version) FILTER (WHERE n.state = 'approved') IS NULL
                                        OR bool_or(n.state = 'draft')))
            ORDER BY m.starts_at DESC, m.id DESC""",
        partnership_id,
        datetime.combine(first, datetime.min.time(), LONDON),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), LONDON),
        state,
    )
    working = await calendar.load_calendar(conn, partnership_id)
    closed = await meetings.closed_days(conn, partnership_id, first, last + timedelta(days=31))
    today = datetime.now(LONDON).date()
    found = []
    for row in rows:
        due = approval_due(local_day(row["starts_at"]), working, closed)
        approved_at = row["first_approved_at"]
        found.append(
            Row(
                **dict(row),
                due_on=due,
                overdue=row["approved"] is None and today > due,
                late=approved_at is not None and approved_at.astimezone(LONDON).date() > due,
            )
        )
    return found


async def listing(
    conn: asyncpg.Connection,
    actor: Identity,
    origin: audit.Origin,
    *,
    first: date,
    last: date,
    state: str | None = None,  # "draft": waiting for approval (first or corrected); "approved": closed
    overdue: bool = False,
) -> list[Row]:
    """Held meetings from `first` to `last` (London days), newest first, with their minutes. Audited."""
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    if not agenda.sees_everything(actor):
        raise Forbidden("the minutes across meetings are for coordinators and managers")
    rows = await rows_in(conn, actor.partnership_id, first, last, state)
    # The newest LIMIT, after the overdue filter, so none that matches is left out for one that does not.
    found = [r for r in rows if r.overdue or not overdue][:LIMIT]
    await audit.record(
        conn,
        AuditAction.MINUTES_VIEWED,
        actor=actor,
        origin=origin,
        detail={"from": first.isoformat(), "to": last.isoformat(), "shown": len(found)},
    )
    return found

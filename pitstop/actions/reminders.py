"""The morning action reminder: each working day, one email to each agency's representatives counting
its new, due-today and overdue actions, with a link to its actions page. No case data: counts only.

Sent through the outbox from the meeting clock, once a day per agency (a row per agency and day, so two
processes, or a restart, never send it twice), from REMINDER_AT London time on the partnership's
working days. An agency with nothing new, due or overdue gets no email.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import asyncpg
import msgspec

from pitstop.calendar import service as calendar
from pitstop.invites import service as invites
from pitstop.mail import outbox
from pitstop.meetings.schedule import LONDON

REMINDER_AT = time(7, 0)


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    agency_id: int
    agency_name: str
    new: int  # agreed since the agency's last reminder
    due_today: int
    overdue: int


async def _closed(conn: asyncpg.Connection, partnership_id: int, years: list[int]) -> set[date]:
    loaded = await calendar.load_calendar(conn, partnership_id)
    return set(loaded.closed) | {d for d, _ in calendar.bank_holidays(years)}


def _working(day: date, closed: set[date]) -> bool:
    return day.isoweekday() <= 5 and day not in closed


async def counts(conn: asyncpg.Connection, partnership_id: int, now: datetime) -> list[Counts]:
    """Each agency's open actions: new since its last reminder (or, if it never had one, since the
    previous working day's reminder time, so Friday's actions are new on Monday), due later today, and
    overdue. Agencies with none of the three are left out."""
    local = now.astimezone(LONDON)
    closed = await _closed(conn, partnership_id, [local.year - 1, local.year])
    previous = local.date() - timedelta(days=1)
    while not _working(previous, closed):
        previous -= timedelta(days=1)
    rows = await conn.fetch(
        """SELECT a.id AS agency_id, a.name AS agency_name,
                  count(*) FILTER (WHERE x.created_at >= coalesce(last.queued_at, $3::timestamptz)) AS new,
                  count(*) FILTER (WHERE x.due_at >= $4::timestamptz
                                     AND x.due_at < $2::timestamptz + interval '1 day') AS due_today,
                  count(*) FILTER (WHERE x.due_at < $4::timestamptz) AS overdue
             FROM action x JOIN agency a ON a.id = x.owner_agency_id
             LEFT JOIN LATERAL (SELECT max(r.queued_at) AS queued_at FROM action_reminder r
                                 WHERE r.agency_id = a.id AND r.day < $5) AS last ON true
            WHERE x.partnership_id = $1 AND x.status = 'open'
            GROUP BY a.id, a.name
            ORDER BY a.name""",
        partnership_id,
        datetime.combine(local.date(), time(0), LONDON),
        datetime.combine(previous, REMINDER_AT, LONDON),
        now,
        local.date(),
    )
    return [c for c in msgspec.convert([dict(r) for r in rows], list[Counts]) if c.new or c.due_today or c.overdue]


def _body(c: Counts, link: str) -> str:
    def n(count: int, one: str, many: str) -> str:
        return f"{count} {one if count == 1 else many}"

    lines = [
        f"Good morning. {c.agency_name} has:",
        "",
        f"- {n(c.new, 'new action', 'new actions')} since the last reminder",
        f"- {n(c.due_today, 'action', 'actions')} due today",
        f"- {n(c.overdue, 'overdue action', 'overdue actions')}",
        "",
        f"See them in Pitstop: {link}",
        "",
        "This message holds no case information. Sign in to Pitstop to read and complete the actions.",
    ]
    return "\n".join(lines)


async def send_due(conn: asyncpg.Connection, partnership_id: int, now: datetime | None = None) -> int:
    """Queue this morning's reminders for the partnership (in the caller's transaction); how many."""
    now = now or datetime.now(UTC)
    local = now.astimezone(LONDON)
    if local.time() < REMINDER_AT or not _working(local.date(), await _closed(conn, partnership_id, [local.year])):
        return 0
    site = invites.site()
    link = f"{site.base_url.rstrip('/')}/actions"
    queued = 0
    for c in await counts(conn, partnership_id, now):
        first = await conn.fetchval(
            """INSERT INTO action_reminder (partnership_id, agency_id, day, queued_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (agency_id, day) DO NOTHING RETURNING true""",
            partnership_id,
            c.agency_id,
            local.date(),
            now,  # the moment this reminder counted up to: the next one counts "new" from here
        )
        if not first:
            continue  # sent already today
        people = await conn.fetch(
            """SELECT DISTINCT ON (i.email) i.name, i.email
                 FROM series_invitee i JOIN meeting_series s ON s.id = i.series_id
                WHERE i.agency_id = $1 AND i.removed_at IS NULL AND s.active
                ORDER BY i.email, i.name""",
            c.agency_id,
        )
        messages = [
            outbox.Outgoing(
                kind="action_reminder",
                recipient=p["email"],
                recipient_name=p["name"],
                subject=f"Pitstop: {c.agency_name}'s actions this morning",
                body_text=_body(c, link),
            )
            for p in people
        ]
        if messages:
            await outbox.queue(conn, partnership_id, messages, site.domain)
            queued += len(messages)
    return queued

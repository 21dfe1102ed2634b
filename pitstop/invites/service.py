"""Sending the series' calendar invites through the mail outbox, in the transaction of the change.

- An invitee added gets the series (REQUEST); one removed gets its cancellation.
- A series changed is re-sent to everyone with the same UID and a higher SEQUENCE; a change of its
  weekdays or start time ends the current UID the day before (UNTIL) and sends a new one.
- A generated meeting moved is sent as an override of its occurrence; one cancelled as a CANCEL of it.
- Closed days (bank holidays, closure days) and cancelled meetings are EXDATEs, two years ahead.

Nothing here reads case data: only the series, its meetings' times and the invitees.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec

from pitstop.calendar import service as calendar
from pitstop.invites import ics
from pitstop.mail import outbox
from pitstop.meetings import queries as meetings
from pitstop.meetings.models import Meeting, Series
from pitstop.meetings.schedule import LONDON

EXDATE_DAYS = 730  # how far ahead closed days are written into the rule


class Site(msgspec.Struct, frozen=True, kw_only=True):
    """Where this Pitstop is: links in invites, and the mailbox that organises them."""

    base_url: str
    mail_from: str

    @property
    def domain(self) -> str:
        return self.mail_from.rpartition("@")[2]


_site: Site | None = None


def configure(site: Site | None) -> None:
    """Set at start-up (create_app, the command line). Without it no invite is queued (unit tests)."""
    global _site
    _site = site


_COLUMNS = "id, uid, sequence, first_day, until, weekdays, starts_at, length_minutes"


async def _current(conn: asyncpg.Connection, series: Series, site: Site, today: date) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM series_invite WHERE series_id = $1 AND until IS NULL",  # noqa: S608
        series.id,
    )
    if row is not None:
        return row
    return await _start(conn, series, site, today)


async def _start(conn: asyncpg.Connection, series: Series, site: Site, first_day: date) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO series_invite (partnership_id, series_id, uid, first_day, weekdays, starts_at, length_minutes)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",  # noqa: S608
        series.partnership_id,
        series.id,
        f"series-{uuid.uuid4().hex}@{site.domain}",
        first_day,
        sorted(series.weekdays),
        series.starts_at,
        series.length_minutes,
    )


async def _covering(conn: asyncpg.Connection, series_id: int, day: date) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM series_invite
             WHERE series_id = $1 AND first_day <= $2 AND (until IS NULL OR $2 <= until)""",  # noqa: S608
        series_id,
        day,
    )


async def _invite(
    conn: asyncpg.Connection, series: Series, row: asyncpg.Record, site: Site, *, sequence: int | None = None
) -> ics.SeriesInvite:
    first = row["first_day"]
    last = first + timedelta(days=EXDATE_DAYS)
    closed = set((await calendar.load_calendar(conn, series.partnership_id)).closed)
    closed |= {day for day, _ in calendar.bank_holidays(range(first.year, last.year + 1))}
    cancelled = await conn.fetch(
        "SELECT occurrence FROM meeting WHERE series_id = $1 AND state = 'cancelled' AND occurrence >= $2",
        series.id,
        first,
    )
    closed |= {r["occurrence"] for r in cancelled}
    partnership = await conn.fetchval("SELECT name FROM partnership WHERE id = $1", series.partnership_id)
    people = await meetings.invitees(conn, [series.id])
    return ics.SeriesInvite(
        uid=row["uid"],
        sequence=row["sequence"] if sequence is None else sequence,
        summary=series.name,
        first_day=first,
        starts=row["starts_at"],
        length_minutes=row["length_minutes"],
        weekdays=row["weekdays"],
        exdates=sorted(d for d in closed if first <= d <= last and d.isoweekday() in row["weekdays"]),
        until=row["until"],
        place=series.place,
        call_link=series.call_link,
        url=f"{site.base_url.rstrip('/')}/meetings",
        organizer=ics.Person(name=f"{partnership} pitstop", email=site.mail_from),
        attendees=[ics.Person(name=p.name, email=p.email) for p in people],
        stamp=datetime.now(UTC),
    )


def _body(series: Series, what: str) -> str:
    lines = [what, "", ics.description(series.place, series.call_link, "the Meetings page in Pitstop")]
    lines += ["", "This message holds no case information. Sign in to Pitstop to read the agenda."]
    return "\n".join(lines)


def _mail(
    people: list[ics.Person], kind: str, subject: str, body: str, payload: bytes, method: ics.Method
) -> list[outbox.Outgoing]:
    return [
        outbox.Outgoing(
            kind=kind,
            recipient=p.email,
            recipient_name=p.name,
            subject=subject,
            body_text=body,
            calendar=payload,
            calendar_method=method.value,
        )
        for p in people
    ]


async def _queue(conn: asyncpg.Connection, series: Series, messages: list[outbox.Outgoing], site: Site) -> None:
    await outbox.queue(conn, series.partnership_id, messages, site.domain)


def _today() -> date:
    return datetime.now(LONDON).date()


async def series_file(conn: asyncpg.Connection, series: Series) -> bytes:
    """The series as a download (PUBLISH): the same UID as the invites, so it updates, never duplicates."""
    site = _site or Site(base_url="http://localhost:8000", mail_from="pitstop@localhost")
    row = await _current(conn, series, site, _today())
    return ics.series(await _invite(conn, series, row, site), ics.Method.PUBLISH)


async def meeting_file(conn: asyncpg.Connection, meeting: Meeting) -> bytes:
    """One meeting as a download (PUBLISH), for someone who wants only that one in their calendar."""
    site = _site or Site(base_url="http://localhost:8000", mail_from="pitstop@localhost")
    partnership = await conn.fetchval("SELECT name FROM partnership WHERE id = $1", meeting.partnership_id)
    return ics.single(
        uid=f"meeting-{meeting.id}@{site.domain}",
        summary=meeting.series_name,
        starts_at=meeting.starts_at,
        length_minutes=meeting.length_minutes,
        place=meeting.place,
        call_link=meeting.call_link,
        url=f"{site.base_url.rstrip('/')}/meetings/{meeting.id}",
        organizer=ics.Person(name=f"{partnership} pitstop", email=site.mail_from),
        stamp=datetime.now(UTC),
    )


async def invitee_added(conn: asyncpg.Connection, series: Series, name: str, email: str) -> None:
    await _to_one(conn, series, ics.Person(name=name, email=email), joining=True)


async def invitee_removed(conn: asyncpg.Connection, series: Series, name: str, email: str) -> None:
    await _to_one(conn, series, ics.Person(name=name, email=email), joining=False)


async def _to_one(conn: asyncpg.Connection, series: Series, person: ics.Person, *, joining: bool) -> None:
    """The series to one invitee: its invite when they join, its cancellation when they leave."""
    if _site is None:
        return
    row = await _current(conn, series, _site, _today())
    invite = await _invite(conn, series, row, _site)
    if joining:
        kind, subject, what = "invite", f"Invitation: {series.name}", f"You are invited to {series.name}."
        payload, method = ics.series(invite), ics.Method.REQUEST
    else:
        kind, subject = "cancellation", f"No longer invited: {series.name}"
        what = f"You are no longer invited to {series.name}."
        payload, method = ics.series_cancelled(invite, [person]), ics.Method.CANCEL
    await _queue(conn, series, _mail([person], kind, subject, _body(series, what), payload, method), _site)


async def series_changed(conn: asyncpg.Connection, before: Series, after: Series) -> None:
    """Re-send a changed series; a new rule (weekdays or start time) ends the old UID and starts another."""
    if _site is None:
        return
    today = _today()
    row = await _current(conn, before, _site, today)
    rule_changed = sorted(after.weekdays) != sorted(row["weekdays"]) or after.starts_at != row["starts_at"]
    if rule_changed:
        ended = await conn.fetchrow(
            f"UPDATE series_invite SET until = $2, sequence = sequence + 1 WHERE id = $1 RETURNING {_COLUMNS}",  # noqa: S608
            row["id"],
            max(today - timedelta(days=1), row["first_day"] - timedelta(days=1)),
        )
        old = await _invite(conn, after, ended, _site)
        new_row = await _start(conn, after, _site, today)
        new = await _invite(conn, after, new_row, _site)
        what = f"{after.name} has new days or a new time from {today.strftime('%-d %B %Y')}."
        messages = _mail(
            list(old.attendees),
            "invite_update",
            f"Updated: {after.name}",
            _body(after, what),
            ics.series(old),
            ics.Method.REQUEST,
        )
        messages += _mail(
            list(new.attendees),
            "invite",
            f"Invitation: {after.name} (new days or time)",
            _body(after, what),
            ics.series(new),
            ics.Method.REQUEST,
        )
        await _queue(conn, after, messages, _site)
        return
    sequence = await conn.fetchval(
        "UPDATE series_invite SET sequence = sequence + 1 WHERE id = $1 RETURNING sequence", row["id"]
    )
    invite = await _invite(conn, after, row, _site, sequence=sequence)
    await _queue(
        conn,
        after,
        _mail(
            list(invite.attendees),
            "invite_update",
            f"Updated: {after.name}",
            _body(after, f"{after.name} has changed."),
            ics.series(invite),
            ics.Method.REQUEST,
        ),
        _site,
    )


async def _occurrence(conn: asyncpg.Connection, meeting: Meeting) -> tuple[Series, asyncpg.Record] | None:
    if _site is None or meeting.occurrence is None:
        return None  # an extra meeting is not part of the series' rule
    series = await meetings.series(conn, meeting.series_id)
    row = await _covering(conn, meeting.series_id, meeting.occurrence)
    if series is None or row is None or meeting.occurrence.isoweekday() not in row["weekdays"]:
        return None  # before the series' invites began, or not a day of its rule: calendars never had it
    return series, row


async def occurrence_cancelled(conn: asyncpg.Connection, meeting: Meeting) -> None:
    found = await _occurrence(conn, meeting)
    if found is None or _site is None:
        return
    series, row = found
    invite = await _invite(conn, series, row, _site)
    day = meeting.occurrence
    assert day is not None
    when = day.strftime("%A %-d %B %Y")
    await _queue(
        conn,
        series,
        _mail(
            list(invite.attendees),
            "cancellation",
            f"Cancelled: {series.name} on {when}",
            _body(series, f"The meeting on {when} is cancelled."),
            ics.occurrence_cancelled(invite, day),
            ics.Method.CANCEL,
        ),
        _site,
    )


async def occurrence_moved(conn: asyncpg.Connection, meeting: Meeting) -> None:
    found = await _occurrence(conn, meeting)
    if found is None or _site is None:
        return
    series, row = found
    invite = await _invite(conn, series, row, _site)
    day = meeting.occurrence
    assert day is not None
    moved = ics.Occurrence(
        day=day,
        starts_at=meeting.starts_at,
        length_minutes=meeting.length_minutes,
        place=meeting.place,
        call_link=meeting.call_link,
        url=f"{_site.base_url.rstrip('/')}/meetings/{meeting.id}",
    )
    new_time = meeting.starts_at.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")
    await _queue(
        conn,
        series,
        _mail(
            list(invite.attendees),
            "invite_update",
            f"Moved: {series.name} on {day.strftime('%-d %B')}",
            _body(series, f"The meeting of {day.strftime('%A %-d %B')} is now on {new_time}."),
            ics.moved(invite, moved),
            ics.Method.REQUEST,
        ),
        _site,
    )

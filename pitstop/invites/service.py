"""Sending the series' calendar invites through the mail outbox, in the transaction of the change.

- An invitee added gets the series (REQUEST); one removed gets its cancellation.
- A series changed is re-sent to everyone with the same UID and a higher SEQUENCE; a change of its
  weekdays or start time ends the current UID the day before (UNTIL) and sends a new one.
- A generated meeting moved is sent as an override of its occurrence; one cancelled as a CANCEL of it.
  Every later copy of the series carries its moved meetings again, so no client loses them.
- An extra meeting is not in the series' rule: it has its own UID (`meeting-{id}@...`), sent, moved
  and cancelled on its own, with the meeting's version as its SEQUENCE.
- A series ended is a CANCEL of its whole UID, and of its extra meetings still to come.
- Closed days (bank holidays, closure days) and cancelled meetings are EXDATEs, two years ahead.

Nothing here reads case data: only the series, its meetings' times and the invitees.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

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


def _cut(starts: time, now: datetime | None = None) -> date:
    """The first day a new rule covers: today if today's meeting at `starts` is still to come, else
    tomorrow. A calendar never gets a meeting that had already begun (or never was) under a new rule,
    and a rule changed at midday keeps the morning's meeting in the old one."""
    moment = (now or datetime.now(UTC)).astimezone(LONDON)
    return moment.date() if moment.time() < starts else moment.date() + timedelta(days=1)


async def _current(conn: asyncpg.Connection, series: Series, site: Site) -> asyncpg.Record:
    """The UID the series is sent under now; the first one is started on first use."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM series_invite WHERE series_id = $1 AND until IS NULL",  # noqa: S608
        series.id,
    )
    if row is not None:
        return row
    return await _start(conn, series, site, _cut(series.starts_at))


async def _start(conn: asyncpg.Connection, series: Series, site: Site, first_day: date) -> asyncpg.Record:
    # A download or a feed read may start the first UID while a coordinator's change does: whoever
    # inserts second takes the row the first made (the partial unique index waits for its commit).
    await conn.execute(
        """INSERT INTO series_invite (partnership_id, series_id, uid, first_day, weekdays, starts_at, length_minutes)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (series_id) WHERE until IS NULL DO NOTHING""",
        series.partnership_id,
        series.id,
        f"series-{uuid.uuid4().hex}@{site.domain}",
        first_day,
        sorted(series.weekdays),
        series.starts_at,
        series.length_minutes,
    )
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM series_invite WHERE series_id = $1 AND until IS NULL",  # noqa: S608
        series.id,
    )


async def _rows(conn: asyncpg.Connection, series: Series, site: Site, since: date) -> list[asyncpg.Record]:
    """The UIDs a calendar should hold for the series from `since`: the current one (started if need be,
    while the series is active) and those ended on or after `since`."""
    if series.active:
        await _current(conn, series, site)
    return await conn.fetch(
        f"""SELECT {_COLUMNS} FROM series_invite
             WHERE series_id = $1 AND (until IS NULL OR until >= $2) ORDER BY first_day""",  # noqa: S608
        series.id,
        since,
    )


def _never_met(invite: ics.SeriesInvite) -> bool:
    """An ended UID whose last day is before its first meeting day: cancelled outright, since an UNTIL
    before DTSTART reads differently in each client."""
    return invite.until is not None and invite.until < ics.first_meeting_day(invite)


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
    people = await meetings.invitees(conn, [series.id])
    return ics.SeriesInvite(
        uid=row["uid"],
        sequence=row["sequence"] if sequence is None else sequence,
        summary=series.name,
        first_day=first,
        starts=row["starts_at"],
        # The current UID follows the series' length; an ended one keeps the length it was sent with.
        length_minutes=series.length_minutes if row["until"] is None else row["length_minutes"],
        weekdays=row["weekdays"],
        exdates=sorted(d for d in closed if first <= d <= last and d.isoweekday() in row["weekdays"]),
        until=row["until"],
        place=series.place,
        call_link=series.call_link,
        url=f"{site.base_url.rstrip('/')}/meetings",
        organizer=await _organizer(conn, series.partnership_id, site),
        attendees=[ics.Person(name=p.name, email=p.email) for p in people],
        stamp=datetime.now(UTC),
    )


def _occurrence_of(meeting: Meeting, site: Site) -> ics.Occurrence:
    assert meeting.occurrence is not None
    return ics.Occurrence(
        day=meeting.occurrence,
        starts_at=meeting.starts_at,
        length_minutes=meeting.length_minutes,
        place=meeting.place,
        call_link=meeting.call_link,
        url=_meeting_url(site, meeting),
    )


async def _overrides(conn: asyncpg.Connection, series: Series, row: asyncpg.Record, site: Site) -> list[ics.Occurrence]:
    """The meetings this UID covers that are not at its rule's time or length (moved, or kept when the
    series changed): they go with every copy of it."""
    length = series.length_minutes if row["until"] is None else row["length_minutes"]
    found = await meetings.meetings_off_rule(conn, series.id, row["first_day"], row["until"], row["starts_at"], length)
    return [_occurrence_of(m, site) for m in found if m.occurrence and m.occurrence.isoweekday() in row["weekdays"]]


def _meeting_url(site: Site, meeting: Meeting) -> str:
    return f"{site.base_url.rstrip('/')}/meetings/{meeting.id}"


async def _organizer(conn: asyncpg.Connection, partnership_id: int, site: Site) -> ics.Person:
    partnership = await conn.fetchval("SELECT name FROM partnership WHERE id = $1", partnership_id)
    return ics.Person(name=f"{partnership} pitstop", email=site.mail_from)


async def _meeting_invite(
    conn: asyncpg.Connection, meeting: Meeting, site: Site, attendees: list[ics.Person]
) -> ics.MeetingInvite:
    return ics.MeetingInvite(
        uid=f"meeting-{meeting.id}@{site.domain}",
        sequence=meeting.version,  # rises with every change to the meeting
        summary=meeting.series_name,
        starts_at=meeting.starts_at,
        length_minutes=meeting.length_minutes,
        place=meeting.place,
        call_link=meeting.call_link,
        url=_meeting_url(site, meeting),
        organizer=await _organizer(conn, meeting.partnership_id, site),
        attendees=attendees,
        stamp=datetime.now(UTC),
    )


def _when(meeting: Meeting) -> str:
    return meeting.starts_at.astimezone(LONDON).strftime("%A %-d %B %Y at %H:%M")


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


def site() -> Site:
    """This Pitstop's address and mailbox (a local default before start-up has set them)."""
    return _site or Site(base_url="http://localhost:8000", mail_from="pitstop@localhost")


async def series_file(conn: asyncpg.Connection, series: Series) -> bytes:
    """The series as a download (PUBLISH): the same UID as the invites, so it updates, never duplicates."""
    here = site()
    masters = []
    for row in await _rows(conn, series, here, date.min):
        invite = await _invite(conn, series, row, here)
        if not _never_met(invite):
            masters.append((invite, await _overrides(conn, series, row, here)))
    return ics.feed(masters[-1:], [])  # the UID in use (or the last, for an ended series)


async def meeting_file(conn: asyncpg.Connection, meeting: Meeting) -> bytes:
    """One meeting as a download (PUBLISH), for someone who wants only that one in their calendar. An extra
    meeting's has the UID of its invite, so the two are one event."""
    return ics.meeting(await _meeting_invite(conn, meeting, site(), []), ics.Method.PUBLISH)


async def invitee_added(conn: asyncpg.Connection, series: Series, name: str, email: str) -> None:
    await _to_one(conn, series, ics.Person(name=name, email=email), joining=True)


async def invitee_removed(conn: asyncpg.Connection, series: Series, name: str, email: str) -> None:
    await _to_one(conn, series, ics.Person(name=name, email=email), joining=False)


async def _to_one(conn: asyncpg.Connection, series: Series, person: ics.Person, *, joining: bool) -> None:
    """The series to one invitee (its invite when they join, its cancellation when they leave), and the
    same for each extra meeting still to come."""
    if _site is None:
        return
    row = await _current(conn, series, _site)
    invite = await _invite(conn, series, row, _site)
    if joining:
        kind, subject, what = "invite", f"Invitation: {series.name}", f"You are invited to {series.name}."
        payload = ics.series(invite, overrides=await _overrides(conn, series, row, _site))
        method = ics.Method.REQUEST
    else:
        kind, subject = "cancellation", f"No longer invited: {series.name}"
        what = f"You are no longer invited to {series.name}."
        payload, method = ics.series_cancelled(invite, [person]), ics.Method.CANCEL
    messages = _mail([person], kind, subject, _body(series, what), payload, method)
    for extra in await meetings.extra_meetings(conn, [series.id], datetime.now(UTC)):
        one = await _meeting_invite(conn, extra, _site, [person])
        if joining:
            payload, method = ics.meeting(one), ics.Method.REQUEST
            what = f"You are invited to the extra meeting on {_when(extra)}."
        else:
            payload, method = ics.meeting_cancelled(one), ics.Method.CANCEL
            what = f"You are no longer invited to the extra meeting on {_when(extra)}."
        subject = f"{'Invitation' if joining else 'No longer invited'}: {series.name}, {_when(extra)}"
        messages += _mail([person], kind, subject, _body(series, what), payload, method)
    await _queue(conn, series, messages, _site)


async def _end_row(conn: asyncpg.Connection, series: Series, row: asyncpg.Record, until: date) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE series_invite SET until = $2, sequence = sequence + 1, length_minutes = $3
             WHERE id = $1 RETURNING {_COLUMNS}""",  # noqa: S608
        row["id"],
        max(until, row["first_day"] - timedelta(days=1)),
        series.length_minutes,  # as it was sent until now
    )


async def _ended_copy(conn: asyncpg.Connection, series: Series, row: asyncpg.Record) -> tuple[bytes, ics.Method]:
    """An ended UID as calendars get it: its rule with UNTIL (the meetings held stay in calendars), or a
    CANCEL when it never had a meeting."""
    assert _site is not None
    invite = await _invite(conn, series, row, _site)
    if _never_met(invite):
        return ics.series_cancelled(invite), ics.Method.CANCEL
    return ics.series(invite, overrides=await _overrides(conn, series, row, _site)), ics.Method.REQUEST


class Change(msgspec.Struct, frozen=True):
    """What `series_changing` did to the series' UIDs, for `series_changed` to send."""

    ended_id: int | None  # the UID ended by a new rule, or None: the same UID, one SEQUENCE higher


async def series_changing(conn: asyncpg.Connection, before: Series, after: Series) -> Change | None:
    """Before the series' meetings follow a change: a new rule (weekdays or start time) ends the current
    UID and starts another, so the days it drops are not cancelled one by one under the old one."""
    if _site is None:
        return None
    row = await _current(conn, before, _site)
    if sorted(after.weekdays) == sorted(row["weekdays"]) and after.starts_at == row["starts_at"]:
        await conn.execute("UPDATE series_invite SET sequence = sequence + 1 WHERE id = $1", row["id"])
        return Change(ended_id=None)
    cut = _cut(after.starts_at)
    ended = await _end_row(conn, before, row, cut - timedelta(days=1))
    await _start(conn, after, _site, cut)
    return Change(ended_id=ended["id"])


async def series_changed(conn: asyncpg.Connection, before: Series, after: Series, change: Change | None) -> None:
    """Re-send a changed series, once its meetings follow the change (so the overrides are right).
    Extra meetings take the series' name, place and call link, so a change of those re-sends them too."""
    if _site is None or change is None:
        return
    row = await _current(conn, after, _site)
    invite = await _invite(conn, after, row, _site)
    people = list(invite.attendees)
    payload = ics.series(invite, overrides=await _overrides(conn, after, row, _site))
    if change.ended_id is not None:
        ended = await conn.fetchrow(f"SELECT {_COLUMNS} FROM series_invite WHERE id = $1", change.ended_id)  # noqa: S608
        old_payload, old_method = await _ended_copy(conn, after, ended)
        what = f"{after.name} has new days or a new time from {row['first_day'].strftime('%-d %B %Y')}."
        messages = _mail(people, "invite_update", f"Updated: {after.name}", _body(after, what), old_payload, old_method)
        subject = f"Invitation: {after.name} (new days or time)"
        messages += _mail(people, "invite", subject, _body(after, what), payload, ics.Method.REQUEST)
    else:
        what = f"{after.name} has changed."
        messages = _mail(
            people, "invite_update", f"Updated: {after.name}", _body(after, what), payload, ics.Method.REQUEST
        )
    if (before.name, before.place, before.call_link) != (after.name, after.place, after.call_link):
        for extra in await meetings.extra_meetings(conn, [after.id], datetime.now(UTC)):
            await meetings.bump(conn, extra.id)  # a higher SEQUENCE for its invite
            changed = await meetings.meeting(conn, extra.id)
            assert changed is not None
            one = await _meeting_invite(conn, changed, _site, people)
            what = f"The extra meeting on {_when(changed)} has changed."
            subject = f"Updated: {after.name}, {_when(changed)}"
            messages += _mail(
                people, "invite_update", subject, _body(after, what), ics.meeting(one), ics.Method.REQUEST
            )
    await _queue(conn, after, messages, _site)


async def series_ended(conn: asyncpg.Connection, series: Series, extras: list[Meeting]) -> None:
    """The series ended: its UID ends on the day of its last meeting held (a CANCEL if it had none), so
    calendars keep the meetings that happened and show none to come; each extra meeting to come is
    cancelled."""
    if _site is None:
        return
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM series_invite WHERE series_id = $1 AND until IS NULL",  # noqa: S608
        series.id,
    )
    if row is None:
        return  # never sent: no calendar has it
    last_held = await conn.fetchval(
        """SELECT max(occurrence) FROM meeting
            WHERE series_id = $1 AND occurrence IS NOT NULL AND state <> 'cancelled' AND starts_at <= now()""",
        series.id,
    )
    ended = await _end_row(conn, series, row, last_held or row["first_day"] - timedelta(days=1))
    payload, method = await _ended_copy(conn, series, ended)
    people = [ics.Person(name=p.name, email=p.email) for p in await meetings.invitees(conn, [series.id])]
    what = f"{series.name} has ended: there will be no more of its meetings."
    kind = "cancellation" if method is ics.Method.CANCEL else "invite_update"
    messages = _mail(people, kind, f"Ended: {series.name}", _body(series, what), payload, method)
    for extra in extras:
        messages += await _extra_cancellation(conn, series, extra, people)
    await _queue(conn, series, messages, _site)


async def _extra_cancellation(
    conn: asyncpg.Connection, series: Series, extra: Meeting, people: list[ics.Person]
) -> list[outbox.Outgoing]:
    assert _site is not None
    one = await _meeting_invite(conn, extra, _site, people)
    return _mail(
        people,
        "cancellation",
        f"Cancelled: {series.name} on {_when(extra)}",
        _body(series, f"The extra meeting on {_when(extra)} is cancelled."),
        ics.meeting_cancelled(one),
        ics.Method.CANCEL,
    )


async def _extra(conn: asyncpg.Connection, meeting: Meeting) -> tuple[Series, list[ics.Person]] | None:
    if _site is None or not meeting.extra:
        return None
    series = await meetings.series(conn, meeting.series_id)
    assert series is not None
    people = [ics.Person(name=p.name, email=p.email) for p in await meetings.invitees(conn, [series.id])]
    return series, people


async def extra_added(conn: asyncpg.Connection, meeting: Meeting, *, moved: bool = False) -> None:
    """An extra meeting's own invite to the series' invitees; sent again, with a higher SEQUENCE, when moved."""
    found = await _extra(conn, meeting)
    if found is None or _site is None:
        return
    series, people = found
    one = await _meeting_invite(conn, meeting, _site, people)
    kind, subject = ("invite_update", "Moved") if moved else ("invite", "Invitation")
    what = f"The extra meeting is {'now ' if moved else ''}on {_when(meeting)}."
    await _queue(
        conn,
        series,
        _mail(
            people,
            kind,
            f"{subject}: {series.name}, {_when(meeting)}",
            _body(series, what),
            ics.meeting(one),
            ics.Method.REQUEST,
        ),
        _site,
    )


async def _occurrence(conn: asyncpg.Connection, meeting: Meeting) -> tuple[Series, asyncpg.Record] | None:
    if _site is None or meeting.occurrence is None:
        return None
    series = await meetings.series(conn, meeting.series_id)
    row = await _covering(conn, meeting.series_id, meeting.occurrence)
    if series is None or row is None or meeting.occurrence.isoweekday() not in row["weekdays"]:
        return None  # before the series' invites began, or not a day of its rule: calendars never had it
    return series, row


async def occurrence_cancelled(conn: asyncpg.Connection, meeting: Meeting) -> None:
    """A meeting cancelled: a CANCEL of its occurrence of the series, or of an extra meeting's own UID."""
    if (extra := await _extra(conn, meeting)) is not None:
        series, people = extra
        assert _site is not None
        await _queue(conn, series, await _extra_cancellation(conn, series, meeting, people), _site)
        return
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
    """A meeting moved: an override of its occurrence of the series, or an extra meeting's update."""
    if meeting.extra:
        await extra_added(conn, meeting, moved=True)
        return
    found = await _occurrence(conn, meeting)
    if found is None or _site is None:
        return
    series, row = found
    invite = await _invite(conn, series, row, _site)
    day = meeting.occurrence
    assert day is not None
    await _queue(
        conn,
        series,
        _mail(
            list(invite.attendees),
            "invite_update",
            f"Moved: {series.name} on {day.strftime('%-d %B')}",
            _body(series, f"The meeting of {day.strftime('%A %-d %B')} is now on {_when(meeting)}."),
            ics.moved(invite, _occurrence_of(meeting, _site)),
            ics.Method.REQUEST,
        ),
        _site,
    )


FEED_HISTORY_DAYS = 35  # how far back a feed keeps meetings, so the last weeks' stay in the calendar


async def user_feed(conn: asyncpg.Connection, partnership_id: int, user_id: int, email: str) -> bytes:
    """A person's subscription feed (PUBLISH): the series they are invited to (or chair, or take the
    minutes of), ended ones included for their last weeks, with their meetings off the rule, and their
    extra meetings. The same UIDs as the invites, so a calendar that has both shows each meeting once.
    No invitees' names: a feed's address can travel."""
    here = site()
    found = await conn.fetch(
        """SELECT s.id FROM meeting_series s
            WHERE s.partnership_id = $1
              AND (s.chair_id = $2 OR s.minute_taker_id = $2
                   OR EXISTS (SELECT 1 FROM series_invitee i
                               WHERE i.series_id = s.id AND i.removed_at IS NULL AND i.email = lower($3)))
            ORDER BY s.id""",
        partnership_id,
        user_id,
        email,
    )
    since = _today() - timedelta(days=FEED_HISTORY_DAYS)
    masters: list[tuple[ics.SeriesInvite, list[ics.Occurrence]]] = []
    for row_id in found:
        series = await meetings.series(conn, row_id["id"])
        assert series is not None
        for row in await _rows(conn, series, here, since):
            invite = msgspec.structs.replace(await _invite(conn, series, row, here), attendees=())
            if not _never_met(invite):
                masters.append((invite, await _overrides(conn, series, row, here)))
    extras = await meetings.extra_meetings(
        conn, [r["id"] for r in found], datetime.combine(since, time(0), tzinfo=LONDON)
    )
    singles = [await _meeting_invite(conn, m, here, []) for m in extras]
    return ics.feed(masters, singles)

"""SQL for meeting series, meetings, invitees and attendance. Callers check need to know."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

import asyncpg
import msgspec

from pitstop.db.rows import to_struct, to_structs
from pitstop.meetings.models import (
    Attendance,
    Invitee,
    Meeting,
    MeetingState,
    Observer,
    Series,
    SeriesIn,
)
from pitstop.meetings.schedule import Times

_SERIES = (
    "id, partnership_id, name, weekdays, starts_at, length_minutes, cut_off, publish_at, place, call_link, "
    "weeks_ahead, chair_id, minute_taker_id, active, ended_at, ended_reason, version"
)

_MEETING = """m.id, m.partnership_id, m.series_id, s.name AS series_name, m.occurrence, m.starts_at, m.length_minutes,
    m.starts_at + make_interval(mins => m.length_minutes) AS ends_at, m.cut_off_at, m.publish_at,
    coalesce(m.place, s.place) AS place, coalesce(m.call_link, s.call_link) AS call_link, m.state,
    m.chair_id, chair.name AS chair_name, m.minute_taker_id, taker.name AS minute_taker_name, m.moved_reason,
    m.cancelled_reason, m.published_at, m.started_at, m.ended_at, m.ordered_by_hand, m.version, m.current_item_id
  FROM meeting m JOIN meeting_series s ON s.id = m.series_id
  LEFT JOIN app_user chair ON chair.id = m.chair_id
  LEFT JOIN app_user taker ON taker.id = m.minute_taker_id"""


# ---- series -------------------------------------------------------------------------------------


async def series_list(conn: asyncpg.Connection, partnership_id: int) -> list[Series]:
    rows = await conn.fetch(
        f"SELECT {_SERIES} FROM meeting_series WHERE partnership_id = $1 ORDER BY active DESC, name",  # noqa: S608
        partnership_id,
    )
    return to_structs(rows, Series)


async def series(conn: asyncpg.Connection, series_id: int, *, lock: bool = False) -> Series | None:
    row = await conn.fetchrow(
        f"SELECT {_SERIES} FROM meeting_series WHERE id = $1 {'FOR UPDATE' if lock else ''}",  # noqa: S608
        series_id,
    )
    if row is None:
        return None
    found = to_struct(row, Series)
    assert found is not None
    return msgspec.structs.replace(found, invitees=await invitees(conn, [series_id]))


async def active_series(conn: asyncpg.Connection, partnership_id: int | None = None) -> list[Series]:
    rows = await conn.fetch(
        f"SELECT {_SERIES} FROM meeting_series WHERE active AND ($1::bigint IS NULL OR partnership_id = $1)",  # noqa: S608
        partnership_id,
    )
    return to_structs(rows, Series)


async def insert_series(conn: asyncpg.Connection, partnership_id: int, form: SeriesIn) -> int:
    return await conn.fetchval(
        """INSERT INTO meeting_series (partnership_id, name, weekdays, starts_at, length_minutes, cut_off, publish_at,
                                      place, call_link, weeks_ahead, chair_id, minute_taker_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id""",
        partnership_id,
        form.name.strip(),
        sorted(set(form.weekdays)),
        form.starts_at,
        form.length_minutes,
        form.cut_off,
        form.publish_at,
        form.place,
        form.call_link,
        form.weeks_ahead,
        form.chair_id,
        form.minute_taker_id,
    )


async def update_series(conn: asyncpg.Connection, series_id: int, form: SeriesIn, version: int) -> bool:
    status = await conn.execute(
        """UPDATE meeting_series SET name = $3, weekdays = $4, starts_at = $5, length_minutes = $6, cut_off = $7,
                  publish_at = $8, place = $9, call_link = $10, weeks_ahead = $11, chair_id = $12,
                  minute_taker_id = $13, version = version + 1, updated_at = now()
            WHERE id = $1 AND version = $2""",
        series_id,
        version,
        form.name.strip(),
        sorted(set(form.weekdays)),
        form.starts_at,
        form.length_minutes,
        form.cut_off,
        form.publish_at,
        form.place,
        form.call_link,
        form.weeks_ahead,
        form.chair_id,
        form.minute_taker_id,
    )
    return status == "UPDATE 1"


async def invitees(conn: asyncpg.Connection, series_ids: Sequence[int]) -> list[Invitee]:
    rows = await conn.fetch(
        """SELECT i.id, i.agency_id, a.name AS agency_name, i.name, i.email
             FROM series_invitee i JOIN agency a ON a.id = i.agency_id
            WHERE i.series_id = ANY($1::bigint[]) AND i.removed_at IS NULL
            ORDER BY a.name, i.name""",
        list(series_ids),
    )
    return to_structs(rows, Invitee)


async def add_invitee(
    conn: asyncpg.Connection, partnership_id: int, series_id: int, agency_id: int, name: str, email: str
) -> int | None:
    """The new invitee's id; None when the address is already invited."""
    return await conn.fetchval(
        """INSERT INTO series_invitee (partnership_id, series_id, agency_id, name, email)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (series_id, email) WHERE removed_at IS NULL DO NOTHING
           RETURNING id""",
        partnership_id,
        series_id,
        agency_id,
        name.strip(),
        email.strip().lower(),
    )


async def invitee(conn: asyncpg.Connection, series_id: int, invitee_id: int) -> Invitee | None:
    rows = await invitees(conn, [series_id])
    return next((i for i in rows if i.id == invitee_id), None)


async def remove_invitee(conn: asyncpg.Connection, series_id: int, invitee_id: int) -> bool:
    status = await conn.execute(
        "UPDATE series_invitee SET removed_at = now() WHERE id = $2 AND series_id = $1 AND removed_at IS NULL",
        series_id,
        invitee_id,
    )
    return status == "UPDATE 1"


async def bump_series(conn: asyncpg.Connection, series_id: int, version: int) -> bool:
    status = await conn.execute(
        "UPDATE meeting_series SET version = version + 1, updated_at = now() WHERE id = $1 AND version = $2",
        series_id,
        version,
    )
    return status == "UPDATE 1"


# ---- meetings -----------------------------------------------------------------------------------


async def meeting(conn: asyncpg.Connection, meeting_id: int, *, lock: bool = False) -> Meeting | None:
    if lock:
        await conn.execute("SELECT 1 FROM meeting WHERE id = $1 FOR UPDATE", meeting_id)
    row = await conn.fetchrow(f"SELECT {_MEETING} WHERE m.id = $1", meeting_id)
    return to_struct(row, Meeting)


async def meetings(
    conn: asyncpg.Connection,
    partnership_id: int,
    start: datetime,
    end: datetime,
    *,
    agency_id: int | None = None,
    states: Sequence[MeetingState] | None = None,
) -> list[Meeting]:
    """Meetings starting in [start, end), earliest first. With `agency_id`: only those it is invited to."""
    rows = await conn.fetch(
        f"""SELECT {_MEETING}
             WHERE m.partnership_id = $1 AND m.starts_at >= $2 AND m.starts_at < $3
               AND ($4::text[] IS NULL OR m.state = ANY($4::text[]))
               AND ($5::bigint IS NULL
                    OR EXISTS (SELECT 1 FROM attendance at WHERE at.meeting_id = m.id AND at.agency_id = $5))
             ORDER BY m.starts_at, m.id
             LIMIT 500""",  # noqa: S608
        partnership_id,
        start,
        end,
        [s.value for s in states] if states else None,
        agency_id,
    )
    return to_structs(rows, Meeting)


async def insert_meetings(conn: asyncpg.Connection, series: Series, days: Sequence[tuple[date, Times]]) -> int:
    """Meetings for these series days; a day already generated (even if moved or cancelled) is skipped."""
    if not days:
        return 0
    status = await conn.execute(
        """INSERT INTO meeting (partnership_id, series_id, occurrence, starts_at, length_minutes, cut_off_at,
                                publish_at, chair_id, minute_taker_id)
           SELECT $1, $2, d.day, d.starts_at, $3, d.cut_off_at, d.publish_at, $4, $5
             FROM unnest($6::date[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
                  AS d (day, starts_at, cut_off_at, publish_at)
           ON CONFLICT (series_id, occurrence) DO NOTHING""",
        series.partnership_id,
        series.id,
        series.length_minutes,
        series.chair_id,
        series.minute_taker_id,
        [d for d, _ in days],
        [t.starts_at for _, t in days],
        [t.cut_off_at for _, t in days],
        [t.publish_at for _, t in days],
    )
    return int(status.split()[-1])


async def revive(conn: asyncpg.Connection, series_id: int, days: Sequence[date], reason: str) -> list[int]:
    """Meetings Pitstop cancelled itself (`reason`, no one named) on days that are meeting days again."""
    rows = await conn.fetch(
        """UPDATE meeting SET state = 'scheduled', cancelled_reason = NULL, version = version + 1, updated_at = now()
            WHERE series_id = $1 AND occurrence = ANY($2::date[]) AND state = 'cancelled' AND cancelled_by IS NULL
              AND cancelled_reason = $3
           RETURNING id""",
        series_id,
        list(days),
        reason,
    )
    return [r["id"] for r in rows]


async def insert_extra(
    conn: asyncpg.Connection,
    series: Series,
    times: Times,
    length_minutes: int,
    chair_id: int | None,
    minute_taker_id: int | None,
) -> int:
    return await conn.fetchval(
        """INSERT INTO meeting (partnership_id, series_id, occurrence, starts_at, length_minutes, cut_off_at,
                                publish_at, chair_id, minute_taker_id)
           VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8) RETURNING id""",
        series.partnership_id,
        series.id,
        times.starts_at,
        length_minutes,
        times.cut_off_at,
        times.publish_at,
        chair_id,
        minute_taker_id,
    )


async def future_generated(conn: asyncpg.Connection, series_id: int, after: datetime) -> list[Meeting]:
    """The series' generated meetings still to come and not yet published: those a series change moves."""
    rows = await conn.fetch(
        f"""SELECT {_MEETING}
             WHERE m.series_id = $1 AND m.occurrence IS NOT NULL AND m.state = 'scheduled'
               AND m.moved_reason IS NULL AND m.cut_off_at > $2
             ORDER BY m.starts_at""",
        series_id,
        after,
    )
    return to_structs(rows, Meeting)


async def set_times(
    conn: asyncpg.Connection, meeting_id: int, times: Times, length_minutes: int, moved_reason: str | None
) -> None:
    await conn.execute(
        """UPDATE meeting SET starts_at = $2, cut_off_at = $3, publish_at = $4, length_minutes = $5,
                  moved_reason = coalesce($6, moved_reason), version = version + 1, updated_at = now()
            WHERE id = $1""",
        meeting_id,
        times.starts_at,
        times.cut_off_at,
        times.publish_at,
        length_minutes,
        moved_reason,
    )


async def set_people(
    conn: asyncpg.Connection, meeting_id: int, chair_id: int | None, minute_taker_id: int | None
) -> None:
    await conn.execute(
        "UPDATE meeting SET chair_id = $2, minute_taker_id = $3, version = version + 1, updated_at = now() "
        "WHERE id = $1",
        meeting_id,
        chair_id,
        minute_taker_id,
    )


async def set_state(
    conn: asyncpg.Connection, meeting_id: int, state: MeetingState, user_id: int | None, reason: str | None = None
) -> None:
    await conn.execute(
        """UPDATE meeting SET state = $2, version = version + 1, updated_at = now(),
                  published_at = CASE WHEN $2 = 'agenda_published' THEN now() ELSE published_at END,
                  published_by = CASE WHEN $2 = 'agenda_published' THEN $3 ELSE published_by END,
                  started_at = CASE WHEN $2 = 'in_progress' THEN now() ELSE started_at END,
                  ended_at = CASE WHEN $2 = 'held' THEN now() ELSE ended_at END,
                  cancelled_by = CASE WHEN $2 = 'cancelled' THEN $3 ELSE cancelled_by END,
                  cancelled_reason = CASE WHEN $2 = 'cancelled' THEN $4 ELSE cancelled_reason END
            WHERE id = $1""",
        meeting_id,
        state.value,
        user_id,
        reason,
    )


async def bump(conn: asyncpg.Connection, meeting_id: int, *, ordered_by_hand: bool | None = None) -> None:
    await conn.execute(
        "UPDATE meeting SET version = version + 1, updated_at = now(), "
        "ordered_by_hand = coalesce($2, ordered_by_hand) WHERE id = $1",
        meeting_id,
        ordered_by_hand,
    )


async def set_current_item(conn: asyncpg.Connection, meeting_id: int, item_id: int | None) -> None:
    """The item the meeting discusses now (not a coordinator's edit: the meeting's version stays, so the
    agenda builder's forms stay good while the chair moves on)."""
    await conn.execute("UPDATE meeting SET current_item_id = $2 WHERE id = $1", meeting_id, item_id)


async def neighbour(conn: asyncpg.Connection, meeting: Meeting, *, later: bool) -> Meeting | None:
    """The series' open meeting (scheduled or published) just after (or before) this one."""
    row = await conn.fetchrow(
        f"""SELECT {_MEETING}
             WHERE m.partnership_id = $1 AND m.series_id = $5 AND m.id <> $2
               AND m.state IN ('scheduled', 'agenda_published')
               AND CASE WHEN $4 THEN (m.starts_at, m.id) > ($3, $2) ELSE (m.starts_at, m.id) < ($3, $2) END
             ORDER BY CASE WHEN $4 THEN m.starts_at END, CASE WHEN NOT $4 THEN m.starts_at END DESC
             LIMIT 1""",
        meeting.partnership_id,
        meeting.id,
        meeting.starts_at,
        later,
        meeting.series_id,
    )
    return to_struct(row, Meeting)


async def lock_open_by_score(conn: asyncpg.Connection, partnership_id: int) -> list[int]:
    """Lock the partnership's open meetings whose agenda runs by score (not ordered by hand), in the
    order the meeting clock locks them."""
    rows = await conn.fetch(
        "SELECT id FROM meeting WHERE partnership_id = $1 AND state IN ('scheduled', 'agenda_published') "
        "AND NOT ordered_by_hand ORDER BY starts_at, id FOR UPDATE",
        partnership_id,
    )
    return [r["id"] for r in rows]


async def coming_open(conn: asyncpg.Connection, partnership_id: int, now: datetime, days: int) -> list[int]:
    """The partnership's open meetings starting in the next `days` days, earliest first."""
    rows = await conn.fetch(
        "SELECT id FROM meeting WHERE partnership_id = $1 AND state IN ('scheduled', 'agenda_published') "
        "AND starts_at > $2 AND starts_at < $2 + make_interval(days => $3) ORDER BY starts_at, id",
        partnership_id,
        now,
        days,
    )
    return [r["id"] for r in rows]


async def partnership_ids(conn: asyncpg.Connection) -> list[int]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM partnership ORDER BY id")]


async def agency_of(conn: asyncpg.Connection, agency_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT partnership_id, active FROM agency WHERE id = $1", agency_id)


async def previous_cut_off(conn: asyncpg.Connection, meeting: Meeting) -> datetime | None:
    """The latest cut-off of the open meetings before this one: what was screened before it is theirs.

    A meeting whose time has passed without anyone starting it claims nothing more: what was screened
    for it goes to the next meeting rather than wait on a meeting that did not happen."""
    return await conn.fetchval(
        """SELECT max(cut_off_at) FROM meeting
            WHERE partnership_id = $1 AND id <> $2 AND state IN ('scheduled', 'agenda_published')
              AND (starts_at, id) < ($3, $2) AND starts_at + make_interval(mins => length_minutes) > now()""",
        meeting.partnership_id,
        meeting.id,
        meeting.starts_at,
    )


# ---- attendance ---------------------------------------------------------------------------------


async def invite_agencies(conn: asyncpg.Connection, meeting: Meeting) -> None:
    """An attendance row for each agency the series invites (kept when an agency is later uninvited)."""
    await conn.execute(
        """INSERT INTO attendance (partnership_id, meeting_id, agency_id)
           SELECT DISTINCT $1::bigint, $2::bigint, i.agency_id FROM series_invitee i
            WHERE i.series_id = $3 AND i.removed_at IS NULL
           ON CONFLICT (meeting_id, agency_id) DO NOTHING""",
        meeting.partnership_id,
        meeting.id,
        meeting.series_id,
    )


async def invite_agencies_to_series_meetings(conn: asyncpg.Connection, series_id: int) -> None:
    """A newly invited agency joins the series' published meetings that have not been held."""
    await conn.execute(
        """INSERT INTO attendance (partnership_id, meeting_id, agency_id)
           SELECT DISTINCT m.partnership_id, m.id, i.agency_id
             FROM meeting m JOIN series_invitee i ON i.series_id = m.series_id AND i.removed_at IS NULL
            WHERE m.series_id = $1 AND m.state IN ('agenda_published', 'in_progress')
           ON CONFLICT (meeting_id, agency_id) DO NOTHING""",
        series_id,
    )


async def invited(conn: asyncpg.Connection, meeting_id: int, agency_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM attendance WHERE meeting_id = $1 AND agency_id = $2)", meeting_id, agency_id
        )
    )


class AttendanceRow(Attendance, frozen=True, kw_only=True):
    version: int


async def attendance(conn: asyncpg.Connection, meeting_id: int) -> list[AttendanceRow]:
    rows = await conn.fetch(
        """SELECT at.agency_id, a.name AS agency_name, at.status, at.present_names, at.information_sent, at.version
             FROM attendance at JOIN agency a ON a.id = at.agency_id
            WHERE at.meeting_id = $1 ORDER BY a.name""",
        meeting_id,
    )
    return to_structs(rows, AttendanceRow)


async def save_attendance(
    conn: asyncpg.Connection,
    meeting_id: int,
    agency_id: int,
    version: int,
    status: str,
    present_names: str | None,
    information_sent: bool,
    user_id: int,
) -> bool:
    result = await conn.execute(
        """UPDATE attendance SET status = $4, present_names = $5, information_sent = $6, recorded_by = $7,
                  recorded_at = now(), version = version + 1
            WHERE meeting_id = $1 AND agency_id = $2 AND version = $3""",
        meeting_id,
        agency_id,
        version,
        status,
        present_names,
        information_sent,
        user_id,
    )
    return result == "UPDATE 1"


async def observers(conn: asyncpg.Connection, meeting_id: int) -> list[Observer]:
    rows = await conn.fetch(
        "SELECT id, name, organisation, statement_signed FROM meeting_observer WHERE meeting_id = $1 ORDER BY id",
        meeting_id,
    )
    return to_structs(rows, Observer)


async def add_observer(
    conn: asyncpg.Connection,
    meeting: Meeting,
    name: str,
    organisation: str | None,
    statement_signed: bool,
    user_id: int,
) -> int:
    return await conn.fetchval(
        """INSERT INTO meeting_observer (partnership_id, meeting_id, name, organisation, statement_signed, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        meeting.partnership_id,
        meeting.id,
        name.strip(),
        organisation.strip() if organisation else None,
        statement_signed,
        user_id,
    )


async def coordinators(conn: asyncpg.Connection, partnership_id: int) -> list[tuple[int, str]]:
    """Active users with coordinator rights: who may chair or take minutes."""
    rows = await conn.fetch(
        "SELECT id, name FROM app_user WHERE partnership_id = $1 AND active AND 'coordinator' = ANY(roles) "
        "ORDER BY name",
        partnership_id,
    )
    return [(r["id"], r["name"]) for r in rows]


async def meetings_off_rule(
    conn: asyncpg.Connection, series_id: int, first: date, last: date | None, starts: time, length_minutes: int
) -> list[Meeting]:
    """Generated meetings of [first, last], not cancelled, that are not at the rule's London time and
    length (moved, or kept at their time when the series changed): the overrides that go with every copy
    of the series' invite."""
    rows = await conn.fetch(
        f"""SELECT {_MEETING}
             WHERE m.series_id = $1 AND m.occurrence >= $2 AND ($3::date IS NULL OR m.occurrence <= $3)
               AND m.state <> 'cancelled'
               AND (m.starts_at <> ((m.occurrence + $4::time) AT TIME ZONE 'Europe/London')
                    OR m.length_minutes <> $5)
             ORDER BY m.occurrence""",
        series_id,
        first,
        last,
        starts,
        length_minutes,
    )
    return to_structs(rows, Meeting)


async def extra_meetings(conn: asyncpg.Connection, series_ids: Sequence[int], since: datetime) -> list[Meeting]:
    """Extra meetings of these series starting from `since`, not cancelled: each has its own invite."""
    rows = await conn.fetch(
        f"""SELECT {_MEETING}
             WHERE m.series_id = ANY($1::bigint[]) AND m.occurrence IS NULL AND m.starts_at >= $2
               AND m.state <> 'cancelled'
             ORDER BY m.starts_at, m.id""",
        list(series_ids),
        since,
    )
    return to_structs(rows, Meeting)


async def meetings_to_come(conn: asyncpg.Connection, series_id: int, after: datetime) -> list[Meeting]:
    """The series' meetings (generated and extra) that have not started and are not cancelled, latest first."""
    rows = await conn.fetch(
        f"""SELECT {_MEETING}
             WHERE m.series_id = $1 AND m.state IN ('scheduled', 'agenda_published') AND m.starts_at > $2
             ORDER BY m.starts_at DESC, m.id DESC""",
        series_id,
        after,
    )
    return to_structs(rows, Meeting)


async def end_series(conn: asyncpg.Connection, series_id: int, version: int, reason: str) -> bool:
    status = await conn.execute(
        """UPDATE meeting_series SET active = false, ended_at = now(), ended_reason = $3, version = version + 1,
                  updated_at = now()
            WHERE id = $1 AND version = $2 AND active""",
        series_id,
        version,
        reason,
    )
    return status == "UPDATE 1"

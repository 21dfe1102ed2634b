"""Minutes: where a meeting's minutes stand, approving them, opening a correction, and the documents.

A held meeting's minutes are a draft (version 1, read afresh from its record) until a coordinator or the
chair approves them; the approved version is stored as a snapshot (pitstop.minutes.snapshot), the record
closes (pitstop.minutes.queries.locked) and each invited agency's representatives are emailed that the
minutes are ready, with a link and nothing else. A correction opens the next version with its reason and
reopens the record until it too is approved. Every version stays downloadable as approved.

Need to know lives here: coordinators and managers download the full minutes (or any agency's copy);
agency members, and their systems, only their own agency's copy (pitstop.minutes.copies) of an approved
version. Every download is a share: one row in the disclosure log and one audit row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.calendar import service as calendar
from pitstop.calendar.working_time import WorkingCalendar
from pitstop.errors import Conflict, Forbidden, Invalid, NotFound
from pitstop.invites import service as invites
from pitstop.live import events
from pitstop.mail import outbox
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.models import Meeting, MeetingState
from pitstop.meetings.schedule import LONDON, local_day
from pitstop.minutes import copies, queries, snapshot
from pitstop.minutes.models import Minutes, MinutesState
from pitstop.minutes.queries import Version

APPROVE_WITHIN = 3  # working days after the meeting (DOMAIN.md: a common protocol figure)

Render = Callable[[bytes], Awaitable[bytes]]


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """Where a held meeting's minutes stand."""

    meeting: Meeting
    versions: list[Version]  # stored versions, newest first (none until the first approval)
    open_version: int | None  # the version a draft would be approved as; None when approved and closed
    approved: int | None  # the latest approved version
    due_on: date  # approved by the end of this day (London)
    overdue: bool  # not approved and past `due_on`
    late: bool  # first approved after `due_on`
    may_approve: bool
    agencies: list[tuple[int, str]]  # invited agencies, whose copies coordinators and managers may download


def may_approve(actor: Identity, meeting: Meeting) -> bool:
    return meeting.state is MeetingState.HELD and (
        policy.allows(actor, policy.Permission.APPROVE_MINUTES) or actor.user_id == meeting.chair_id
    )


def approval_due(day: date, working: WorkingCalendar, closed: set[date]) -> date:
    """The last day minutes of a meeting on `day` are approved on time: its third working day after."""
    left = APPROVE_WITHIN
    while left:
        day += timedelta(days=1)
        left -= working.is_working_day(day) and day not in closed
    return day


async def due_on(conn: asyncpg.Connection, meeting: Meeting) -> date:
    working = await calendar.load_calendar(conn, meeting.partnership_id)
    day = local_day(meeting.starts_at)
    return approval_due(
        day, working, await meetings.closed_days(conn, meeting.partnership_id, day, day + timedelta(days=31))
    )


def _open_version(versions: list[Version]) -> int | None:
    if not versions:
        return 1
    newest = versions[0]
    return newest.version if newest.state is MinutesState.DRAFT else None


async def _held(conn: asyncpg.Connection, actor: Identity, meeting_id: int, *, lock: bool = False) -> Meeting:
    meeting = await agenda.visible_meeting(conn, actor, meeting_id, lock=lock)
    if meeting.state is not MeetingState.HELD:
        raise NotFound("minutes")  # minutes exist once a meeting is held
    return meeting


async def standing(conn: asyncpg.Connection, actor: Identity, meeting_id: int) -> Standing:
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    meeting = await _held(conn, actor, meeting_id)
    versions = await queries.versions(conn, meeting.id)
    approved = [v for v in versions if v.state is MinutesState.APPROVED]
    due = await due_on(conn, meeting)
    first = min((v.approved_at for v in approved if v.approved_at), default=None)
    today = datetime.now(LONDON).date()
    return Standing(
        meeting=meeting,
        versions=versions,
        open_version=_open_version(versions),
        approved=approved[0].version if approved else None,
        due_on=due,
        overdue=not approved and today > due,
        late=first is not None and first.astimezone(LONDON).date() > due,
        may_approve=may_approve(actor, meeting),
        agencies=[(a.agency_id, a.agency_name) for a in await meeting_queries.attendance(conn, meeting.id)]
        if agenda.sees_everything(actor)
        else [],
    )


async def approve(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, version: int, origin: audit.Origin
) -> Version:
    """Approve the open version (`version`, as the approver saw it): 409 if someone approved it first."""
    meeting = await _held(conn, actor, meeting_id, lock=True)  # one approval or correction at a time
    if not may_approve(actor, meeting):
        raise Forbidden("only a coordinator or the chair approves minutes")
    versions = await queries.versions(conn, meeting.id)
    open_version = _open_version(versions)
    if open_version is None or open_version != version:
        raise Conflict("the minutes changed since they were opened", current=versions[0] if versions else None)
    correction = versions[0].correction_reason if versions else None
    taken = await snapshot.minutes_of(
        conn,
        meeting,
        version=version,
        state=MinutesState.APPROVED,
        correction_reason=correction,
        approved_at=datetime.now(UTC),
        approved_by_name=actor.name,
    )
    stored = msgspec.to_builtins(taken)
    if version == 1 and not versions:
        done = await queries.approve_first(conn, meeting.partnership_id, meeting.id, stored, actor.user_id)
    else:
        done = await queries.approve_draft(conn, meeting.id, version, stored, actor.user_id)
    if not done:
        raise Conflict("the minutes were approved meanwhile")
    await _circulate(conn, meeting, version)
    await audit.record(
        conn,
        AuditAction.MINUTES_APPROVED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"version": version},
    )
    await events.publish(conn, meeting.partnership_id, meeting.id, events.Kind.MEETING)
    return (await queries.versions(conn, meeting.id))[0]


async def correct(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, version: int, reason: str, origin: audit.Origin
) -> Version:
    """Open the next version to correct approved minutes (`version`: the latest approved, as seen)."""
    meeting = await _held(conn, actor, meeting_id, lock=True)
    if not may_approve(actor, meeting):
        raise Forbidden("only a coordinator or the chair corrects minutes")
    if not reason.strip():
        raise Invalid({"reason": "Enter why the minutes need correcting"})
    if len(reason) > 2_000:
        raise Invalid({"reason": "Keep the reason to 2,000 characters or fewer"})
    versions = await queries.versions(conn, meeting.id)
    if not versions or versions[0].state is not MinutesState.APPROVED or versions[0].version != version:
        raise Conflict("the minutes changed since they were opened", current=versions[0] if versions else None)
    if not await queries.open_correction(
        conn, meeting.partnership_id, meeting.id, version + 1, reason.strip(), actor.user_id
    ):
        raise Conflict("a correction was opened meanwhile")
    await audit.record(
        conn,
        AuditAction.MINUTES_CORRECTION_OPENED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"version": version + 1},
    )
    await events.publish(conn, meeting.partnership_id, meeting.id, events.Kind.MEETING)  # open pages reopen
    return (await queries.versions(conn, meeting.id))[0]


async def _circulate(conn: asyncpg.Connection, meeting: Meeting, version: int) -> None:
    """Each invited agency's standing representatives are told the minutes are ready: a link, no case data,
    no attachment."""
    site = invites.site()
    link = f"{site.base_url.rstrip('/')}/meetings/{meeting.id}#minutes"
    day = meeting.starts_at.astimezone(LONDON).strftime("%-d %B %Y")
    people = await conn.fetch(
        """SELECT DISTINCT ON (i.email) i.name, i.email FROM series_invitee i
             JOIN attendance t ON t.meeting_id = $2 AND t.agency_id = i.agency_id
            WHERE i.series_id = $1 AND i.removed_at IS NULL ORDER BY i.email, i.name""",
        meeting.series_id,
        meeting.id,
    )
    what = "The minutes" if version == 1 else f"Version {version} of the minutes"
    verb = "have" if version == 1 else "has"
    subject = f"Pitstop: minutes of {meeting.series_name}, {day}" + (f" (version {version})" if version > 1 else "")
    messages = [
        outbox.Outgoing(
            kind="minutes_ready",
            recipient=p["email"],
            recipient_name=p["name"],
            subject=subject,
            body_text=(
                f"{what} of {meeting.series_name} on {day} {verb} been approved.\n\n"
                f"Your agency's copy is in Pitstop: {link}\n\n"
                "Sign in to download it. This email holds no case information; please do not reply with any."
            ),
        )
        for p in people
    ]
    if messages:
        await outbox.queue(conn, meeting.partnership_id, messages, site.domain)


class Document(msgspec.Struct, frozen=True, kw_only=True):
    content: bytes
    filename: str


def _filename(minutes: Minutes) -> str:
    """Names the meeting, the version and whose copy: never a case."""
    day = minutes.starts_at.astimezone(LONDON).strftime("%Y-%m-%d")
    whose = f"-agency-{minutes.copy_for_agency_id}" if minutes.copy_for_agency_id else ""
    draft = "-draft" if minutes.state is MinutesState.DRAFT else ""
    return f"minutes-{day}-v{minutes.version}{whose}{draft}.docx"


class Prepared(msgspec.Struct, frozen=True, kw_only=True):
    """A download decided and its minutes read, ready to draw (without a database connection)."""

    partnership_id: int
    meeting_id: int
    version: int
    state: MinutesState
    copy_agency_id: int | None
    snapshot: bytes  # msgspec JSON of the Minutes, as the worker takes it
    filename: str


async def prepare_document(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    version: int | None,
    agency_id: int | None,
) -> Prepared:
    """Which minutes this user may have, read: `version` None, the newest they may have; `agency_id`, an
    agency's copy (coordinators and managers; anyone else gets their own agency's)."""
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    meeting = await _held(conn, actor, meeting_id)
    everything = agenda.sees_everything(actor)
    invited = {a.agency_id: a.agency_name for a in await meeting_queries.attendance(conn, meeting.id)}
    if everything:
        copy_for = agency_id
        if copy_for is not None and copy_for not in invited:
            raise Invalid({"query.agency": "Choose an agency invited to this meeting"})
    else:
        if agency_id is not None and agency_id != actor.agency_id:
            raise NotFound("minutes")  # another agency's copy is not theirs to know of
        copy_for = actor.agency_id
        if copy_for not in invited:
            raise NotFound("minutes")
    versions = await queries.versions(conn, meeting.id)
    approved = {v.version: v for v in versions if v.state is MinutesState.APPROVED}
    draft = _open_version(versions)
    if version is None:
        version = draft if everything and draft is not None else max(approved, default=None)
        if version is None:
            raise NotFound("minutes")  # nothing approved yet for an agency member
    if version in approved:
        stored = await queries.snapshot(conn, meeting.id, version)
        newest = max(approved)
        minutes = msgspec.convert(stored, Minutes)
        if newest > version:  # an earlier version says it was replaced, whoever downloads it
            minutes = msgspec.structs.replace(minutes, superseded_by=newest)
    elif version == draft and everything:
        reason = versions[0].correction_reason if versions else None
        minutes = await snapshot.minutes_of(
            conn, meeting, version=version, state=MinutesState.DRAFT, correction_reason=reason
        )
    else:
        raise NotFound("minutes")
    if copy_for is not None:
        minutes = copies.for_agency(minutes, copy_for, invited[copy_for])
    return Prepared(
        partnership_id=meeting.partnership_id,
        meeting_id=meeting.id,
        version=version,
        state=minutes.state,
        copy_agency_id=copy_for,
        snapshot=msgspec.json.encode(minutes),
        filename=_filename(minutes),
    )


async def disclose(conn: asyncpg.Connection, prepared: Prepared, *, actor: Identity, origin: audit.Origin) -> None:
    """A download is a share: one row in the disclosure log, one in the audit trail."""
    await queries.disclose(
        conn,
        partnership_id=prepared.partnership_id,
        meeting_id=prepared.meeting_id,
        version=prepared.version,
        state=prepared.state,
        copy_agency_id=prepared.copy_agency_id,
        user_id=actor.user_id,
        token_id=int(actor.credential) if actor.method is AuthMethod.TOKEN else None,
        user_agency_id=actor.agency_id,
        request_id=origin.request_id,
    )
    await audit.record(
        conn,
        AuditAction.MINUTES_DOWNLOADED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=prepared.meeting_id,
        detail={"version": prepared.version, "state": prepared.state.value, "copy_agency_id": prepared.copy_agency_id},
    )


async def document(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    version: int | None,
    agency_id: int | None,
    origin: audit.Origin,
    render: Render,
) -> Document:
    """Prepare, draw and disclose on one connection (the download route releases it while drawing)."""
    prepared = await prepare_document(conn, actor=actor, meeting_id=meeting_id, version=version, agency_id=agency_id)
    content = await render(prepared.snapshot)
    await disclose(conn, prepared, actor=actor, origin=origin)
    return Document(content=content, filename=prepared.filename)

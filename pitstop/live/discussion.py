"""What the meeting is discussing now: the chair moves it through the agenda and every screen follows.

The current item is the meeting's own (`meeting.current_item_id`), set when the meeting starts (the top of
the agenda), by the chair (next, back, or any item), and moved on by the agenda when the item being
discussed is deferred or removed. Each move is a meeting event, so every stream hears of it. The chair's
bar (`now`) also says who is present and which agencies have recorded information on the current item:
names for coordinators and managers, a count for agency members (what another agency holds is theirs).
"""

from __future__ import annotations

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.agenda import queries as agenda_queries
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Invalid
from pitstop.information import queries as information
from pitstop.live import events
from pitstop.meetings import queries as meetings
from pitstop.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingState


class Place(msgspec.Struct, frozen=True, kw_only=True):
    """An item's place in the meeting: "item 3 of 12", or "for information 1 of 2"."""

    item_id: int
    number: int
    of: int
    for_information: bool

    @property
    def label(self) -> str:
        return f"{'for information ' if self.for_information else 'item '}{self.number} of {self.of}"


class Now(msgspec.Struct, frozen=True, kw_only=True):
    meeting: Meeting
    current: Place | None
    previous: Place | None  # the item before the current one, for "Back"
    following: Place | None  # the item after it, for "Next"
    order: list[Place]  # every open item, in the order the meeting takes them
    may_chair: bool
    attendance: list[Attendance]
    invited: int
    recorded: int  # agencies that recorded information on the current item
    recorded_names: list[str] | None  # which, for those who see every agency's records; None otherwise
    waiting_names: list[str] | None  # invited agencies that have not, likewise


def may_chair(actor: Identity, meeting: Meeting) -> bool:
    return policy.allows(actor, policy.Permission.MANAGE_MEETINGS) and meeting.state is MeetingState.IN_PROGRESS


async def _places(conn: asyncpg.Connection, meeting_id: int) -> list[Place]:
    rows = await agenda_queries.items(conn, meeting_id, open_only=True)
    places: list[Place] = []
    for noted in (False, True):
        ids = [r.id for r in rows if (r.section == "information") is noted]
        places += [Place(item_id=i, number=n, of=len(ids), for_information=noted) for n, i in enumerate(ids, 1)]
    return places


async def now(conn: asyncpg.Connection, actor: Identity, meeting_id: int) -> Now:
    """Where the meeting is, as this user may see it (404 for a meeting they may not see). No case data:
    item numbers, agency names and attendance."""
    meeting = await agenda.visible_meeting(conn, actor, meeting_id)
    places = await _places(conn, meeting.id) if meeting.state is MeetingState.IN_PROGRESS else []
    at = next((n for n, p in enumerate(places) if p.item_id == meeting.current_item_id), None)
    attendance = list(await meetings.attendance(conn, meeting.id))
    recorded: set[int] = set()
    if at is not None:
        recorded = await information.agencies_recorded(conn, places[at].item_id) & {a.agency_id for a in attendance}
    everything = agenda.sees_everything(actor)
    return Now(
        meeting=meeting,
        current=places[at] if at is not None else None,
        previous=places[at - 1] if at else None,
        following=places[at + 1] if at is not None and at + 1 < len(places) else None,
        order=places,
        may_chair=may_chair(actor, meeting),
        attendance=attendance,
        invited=len(attendance),
        recorded=len(recorded),
        recorded_names=[a.agency_name for a in attendance if a.agency_id in recorded] if everything else None,
        waiting_names=[a.agency_name for a in attendance if a.agency_id not in recorded] if everything else None,
    )


def present(found: Now) -> list[Attendance]:
    return [a for a in found.attendance if a.status is AttendanceStatus.PRESENT]


async def go_to(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    item_id: int,
    from_item_id: int | None,
    origin: audit.Origin,
) -> Meeting:
    """The chair moves the meeting to an item. `from_item_id` is the item the chair's page showed as
    current: if the meeting has moved on since (another coordinator), nothing changes and it is a 409."""
    policy.require(actor, policy.Permission.MANAGE_MEETINGS)
    await agenda.lock_agendas(conn, actor.partnership_id)  # the agenda holds still while we read its order
    meeting = await agenda.visible_meeting(conn, actor, meeting_id, lock=True)
    if meeting.state is not MeetingState.IN_PROGRESS:
        raise Invalid({"item_id": "The meeting is not under way: start it first"})
    if item_id not in {p.item_id for p in await _places(conn, meeting.id)}:
        raise Invalid({"item_id": "This item is no longer on the agenda"})
    if meeting.current_item_id != from_item_id:
        raise Conflict("the meeting moved on since the page was drawn", current=meeting)
    if item_id == meeting.current_item_id:
        return meeting
    await meetings.set_current_item(conn, meeting.id, item_id)
    await events.publish(conn, meeting.partnership_id, meeting.id, events.Kind.MEETING, item_id=item_id)
    await audit.record(
        conn,
        AuditAction.DISCUSSION_MOVED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"item_id": item_id, "from_item_id": from_item_id},
    )
    return msgspec.structs.replace(meeting, current_item_id=item_id)

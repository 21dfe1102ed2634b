"""Building the agenda and adjusting it: placing what was screened, ordering, carry-over, publication.

Where a notification goes: every notification screened "to the agenda" (or to the allocated worker)
waits in the screening queue until it is placed on the earliest open meeting whose cut-off is after
its screening. So Monday's meeting takes what was screened over the weekend, the day after a bank
holiday takes the holiday, and a notification screened after a cut-off waits for the next meeting.
Placing takes it out of the queue; an agenda entry stays open until its item is removed, deferred,
moved or discussed, and a notification has at most one open entry (a unique index), so it is never
on two open agendas.

Coordinators' changes check the meeting's version (409 when someone changed the agenda first);
Pitstop's own placing does not bump it, so a coordinator's form is not made stale by a screening.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.accounts.models import Role
from pitstop.agenda import ordering, queries
from pitstop.agenda.models import (
    Agenda,
    AgendaItem,
    AgendaNotification,
    AgendaPerson,
    ItemList,
    ItemState,
)
from pitstop.agenda.ordering import Facts, Rules
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.live import events
from pitstop.meetings import queries as meetings
from pitstop.meetings.models import OPEN_STATES, PUBLISHED_STATES, Meeting, MeetingState
from pitstop.meetings.schedule import local_day

# ---- who sees what ------------------------------------------------------------------------------


def sees_everything(actor: Identity) -> bool:
    """Coordinators and managers see every meeting of the partnership, and what was taken off an agenda."""
    return actor.has_role(Role.COORDINATOR, Role.MANAGER)


async def visible_meeting(conn: asyncpg.Connection, actor: Identity, meeting_id: int, *, lock: bool = False) -> Meeting:
    """The meeting, if this user may see it: 404 otherwise. Agency members see a meeting only once its
    agenda is published, and only when their agency is invited."""
    found = await meetings.meeting(conn, meeting_id, lock=lock)
    policy.visible(actor, "meeting", found, found.partnership_id if found else None)
    assert found is not None
    if not sees_everything(actor) and (
        found.state not in PUBLISHED_STATES or not await meetings.invited(conn, found.id, actor.agency_id)
    ):
        raise NotFound("meeting")
    return found


# ---- placing ------------------------------------------------------------------------------------


async def place_waiting(conn: asyncpg.Connection, meeting: Meeting) -> int:
    """Place the queued notifications that belong to this meeting; how many were placed.

    The caller holds the meeting's row lock. Only a scheduled or published meeting takes from the queue.
    """
    if meeting.state not in OPEN_STATES:
        return 0
    lower = await meetings.previous_cut_off(conn, meeting)
    waiting = await queries.take_waiting(conn, meeting.partnership_id, lower, meeting.cut_off_at)
    if not waiting:
        return 0
    new_items = await _place(conn, meeting, waiting, added_by=None)
    await _order(conn, meeting, new_items)
    return len(waiting)


async def place_if_waiting(conn: asyncpg.Connection, meeting: Meeting) -> Meeting:
    """Place what is waiting for this meeting, locking it only when there is something to place (a look
    at an agenda should not queue behind another). Returns the meeting as it now is."""
    if meeting.state not in OPEN_STATES:
        return meeting
    lower = await meetings.previous_cut_off(conn, meeting)
    if not await queries.has_waiting(conn, meeting.partnership_id, lower, meeting.cut_off_at):
        return meeting
    await queries.lock_agendas(conn, meeting.partnership_id)
    locked = await meetings.meeting(conn, meeting.id, lock=True)
    assert locked is not None
    await place_waiting(conn, locked)
    return locked


async def _place(
    conn: asyncpg.Connection,
    meeting: Meeting,
    waiting: Sequence[queries.Waiting],
    *,
    added_by: int | None,
    carried_from: dict[int, int] | None = None,
) -> list[int]:
    """Put notifications on the agenda: with their victim's open item in this agenda if there is one,
    else in a new item. Returns the new items' ids. `carried_from`: notification id -> earlier item."""
    by_victim: dict[tuple[str, int], int | str] = dict(await queries.open_items_by_victim(conn, meeting.id))
    specs: list[queries.NewItem] = []
    entries: list[tuple[int | str, int, int]] = []  # (item id, or "new:<index>"; notification; screening)
    # The callers hold these notifications' locks: one already on an open agenda (a crossing of
    # screening and placing) stays where it is rather than going on a second one.
    elsewhere = await queries.with_open_entry(conn, [w.notification_id for w in waiting])
    for w in waiting:
        if w.notification_id in elsewhere:
            continue
        section = ItemList.INFORMATION.value if w.route == "allocated_worker" else ItemList.DISCUSSION.value
        key = (section, w.victim_person_id) if w.victim_person_id is not None else None
        item: int | str | None = by_victim.get(key) if key else None
        if item is None:
            item = f"new:{len(specs)}"
            specs.append(
                queries.NewItem(
                    section=section,
                    victim_person_id=w.victim_person_id,
                    carried_from=(carried_from or {}).get(w.notification_id),
                )
            )
            if key:
                by_victim[key] = item
        entries.append((item, w.notification_id, w.screening_id))
    new_items = await queries.insert_items(conn, meeting.partnership_id, meeting.id, specs, added_by=added_by)
    if entries:
        await queries.insert_entries(
            conn,
            meeting.partnership_id,
            [
                (new_items[int(item.removeprefix("new:"))] if isinstance(item, str) else item, n, s)
                for item, n, s in entries
            ],
        )
    return new_items


async def _order(conn: asyncpg.Connection, meeting: Meeting, new_items: Sequence[int]) -> None:
    """Put each list in order: by score, or, once a coordinator ordered it by hand, slot the new items
    in and leave the rest where they are."""
    rules, _ = await queries.rules(conn, meeting.partnership_id)
    agenda = _assemble(meeting, await queries.entries(conn, meeting.id, with_closed=False), rules)
    new = set(new_items)
    order: list[int] = []
    for items in (agenda.items, agenda.information):
        current = sorted(items, key=lambda i: i.position)
        pairs = [(i.id, i.score) for i in current]
        if meeting.ordered_by_hand:
            order += ordering.slot_in([p for p in pairs if p[0] not in new], [p for p in pairs if p[0] in new])
        else:
            order += ordering.by_score(pairs)
    await queries.set_positions(conn, order)


# ---- reading ------------------------------------------------------------------------------------


def _facts(row: asyncpg.Record) -> Facts:
    answers = row["risk_answers"] or {}
    keys = row["agenda_keys"] or {}
    people = row["people"]

    def answered(reason: str) -> bool:
        """A yes to any of the risk tool's questions that say this (its agenda keys)."""
        return any(answers.get(key) for key in keys.get(reason, ()))

    return Facts(
        grade=row["grade"],
        immediate_protection=row["immediate_protection"],
        children_present=any(p["role"] == "child" and (p["present"] or p["witnessed"]) for p in people),
        child_dates_of_birth=tuple(
            date.fromisoformat(p["date_of_birth"]) for p in people if p["role"] == "child" and p["date_of_birth"]
        ),
        pregnancy=bool(row["victim_pregnant"] or answered("pregnancy")),
        strangulation=bool(row["strangulation"] or answered("strangulation")),
        weapons=bool(row["weapons"] or answered("weapons")),
        threats_to_kill=answered("threats_to_kill"),
        potential_escalation=row["potential_escalation"],
    )


def _notification(row: asyncpg.Record) -> AgendaNotification:
    return AgendaNotification(
        id=row["id"],
        police_reference=row["police_reference"],
        received_at=row["received_at"],
        incident_at=row["incident_at"],
        address=row["address"],
        address_withheld=row["address_withheld"],
        # A withheld address's postcode would say where the refuge is: never on an agenda.
        postcode=None if row["address_withheld"] else row["postcode"],
        circumstances=row["circumstances"],
        officer_grade=row["officer_grade"],
        grade=row["grade"],
        screened_at=row["screened_at"],
        route=row["route"],
        open_case=row["open_case"],
        allocated_worker=row["allocated_worker"],
        potential_escalation=row["potential_escalation"],
        people=[
            AgendaPerson(
                role=p["role"],
                family_name=p["family_name"],
                given_names=p["given_names"],
                date_of_birth=date.fromisoformat(p["date_of_birth"]) if p["date_of_birth"] else None,
                address=p["address"],
                address_withheld=p["address_withheld"],
                school=p["school"],
                present=p["present"],
                witnessed=p["witnessed"],
            )
            for p in row["people"]
        ],
    )


def _assemble(meeting: Meeting, rows: Sequence[asyncpg.Record], rules: Rules) -> Agenda:
    """The agenda from its entries: items with their reasons, scores, time boxes and slots."""
    grouped: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        grouped[row["item_id"]].append(row)
    day = local_day(meeting.starts_at)
    built: list[AgendaItem] = []
    for item_rows in grouped.values():
        first = item_rows[0]
        carried = first["carried_from_meeting"] is not None
        if first["held_reasons"] is not None:
            found = [ordering.Reason(r) for r in first["held_reasons"] if r in ordering.Reason.__members__.values()]
        else:
            found = ordering.reasons([_facts(r) for r in item_rows], meeting_day=day, carried_over=carried)
        grade = ordering.grade_of(found)
        timed = first["list"] == ItemList.DISCUSSION.value
        built.append(
            AgendaItem(
                id=first["item_id"],
                section=ItemList(first["list"]),
                position=first["position"],
                state=ItemState(first["state"]),
                reason=first["reason"],
                reasons=found,
                score=ordering.score(found, rules),
                grade=grade,
                minutes=rules.time_box(grade) if timed else 0,
                starts_after=0,
                overrun=False,
                carried_from_meeting=first["carried_from_meeting"],
                carried_from_date=local_day(first["carried_from_starts_at"]) if carried else None,
                added_by_hand=first["added_by_hand"],
                notifications=[_notification(r) for r in item_rows],
            )
        )
    live = [i for i in built if i.state in (ItemState.OPEN, ItemState.DISCUSSED)]
    discussion = sorted((i for i in live if i.section is ItemList.DISCUSSION), key=lambda i: (i.position, i.id))
    slots = ordering.time_slots([i.minutes for i in discussion], meeting.length_minutes)
    discussion = [
        _with_slot(item, slot.starts_after, slot.overrun) for item, slot in zip(discussion, slots, strict=True)
    ]
    total = sum(i.minutes for i in discussion)
    return Agenda(
        meeting=meeting,
        items=discussion,
        information=sorted((i for i in live if i.section is ItemList.INFORMATION), key=lambda i: (i.position, i.id)),
        off_agenda=sorted((i for i in built if i not in live), key=lambda i: i.id),
        total_minutes=total,
        overrun_minutes=max(0, total - meeting.length_minutes),
    )


def _with_slot(item: AgendaItem, starts_after: int, overrun: bool) -> AgendaItem:
    return msgspec.structs.replace(item, starts_after=starts_after, overrun=overrun)


def _for(actor: Identity, agenda: Agenda) -> Agenda:
    """What this user may see of the agenda: agency members never see what was taken off it, or why."""
    if sees_everything(actor):
        return agenda
    return msgspec.structs.replace(agenda, off_agenda=[])


async def agenda(
    conn: asyncpg.Connection,
    actor: Identity,
    meeting_id: int,
    origin: audit.Origin,
    *,
    audited: bool = True,
) -> Agenda:
    """The meeting's agenda as this user may see it. A coordinator's look places what is waiting first."""
    meeting = await visible_meeting(conn, actor, meeting_id)
    if policy.allows(actor, policy.Permission.MANAGE_MEETINGS):  # a coordinator's session, not a read token
        meeting = await place_if_waiting(conn, meeting)
    rules, _ = await queries.rules(conn, meeting.partnership_id)
    result = _for(actor, _assemble(meeting, await queries.entries(conn, meeting.id, with_closed=True), rules))
    if audited:
        await audit.record(
            conn,
            AuditAction.AGENDA_VIEWED,
            actor=actor,
            origin=origin,
            record_type="meeting",
            record_id=meeting.id,
            detail={"items": len(result.items), "information": len(result.information)},
        )
    await record_case_views(conn, actor, result, origin)
    return result


async def as_recorded(conn: asyncpg.Connection, meeting: Meeting) -> Agenda:
    """The meeting's whole agenda as it stands, nobody's view of it and not audited: for the minutes, whose
    every download is logged as a share instead."""
    rules, _ = await queries.rules(conn, meeting.partnership_id)
    return _assemble(meeting, await queries.entries(conn, meeting.id, with_closed=True), rules)


async def visible_item(
    conn: asyncpg.Connection, actor: Identity, meeting_id: int, item_id: int, origin: audit.Origin, *, viewed: bool
) -> tuple[Meeting, AgendaItem]:
    """One item of a meeting's agenda as this user may see it (404 otherwise). `viewed`: it is shown,
    so each of its notifications gets its "notification viewed" row."""
    meeting = await visible_meeting(conn, actor, meeting_id)
    rules, _ = await queries.rules(conn, meeting.partnership_id)
    shown = _for(actor, _assemble(meeting, await queries.entries(conn, meeting.id, with_closed=True), rules))
    found = next((i for i in (*shown.items, *shown.information, *shown.off_agenda) if i.id == item_id), None)
    if found is None:
        raise NotFound("agenda_item")
    if viewed:
        one = msgspec.structs.replace(shown, items=[found], information=[], off_agenda=[])
        await record_case_views(conn, actor, one, origin)
    return meeting, found


async def record_case_views(conn: asyncpg.Connection, actor: Identity, shown: Agenda, origin: audit.Origin) -> None:
    """An agenda shows each notification in full: one "notification viewed" row for each, so the trail
    answers who saw a case, not only who opened a meeting."""
    ids = sorted({n.id for item in (*shown.items, *shown.information, *shown.off_agenda) for n in item.notifications})
    if ids:
        await audit.record_many(
            conn,
            AuditAction.NOTIFICATION_VIEWED,
            actor=actor,
            origin=origin,
            partnership_id=shown.meeting.partnership_id,
            record_type="notification",
            record_ids=ids,
            detail={"meeting_id": shown.meeting.id},
        )


# ---- adjusting ----------------------------------------------------------------------------------


async def _editable(conn: asyncpg.Connection, actor: Identity, meeting_id: int, version: int) -> Meeting:
    policy.require(actor, policy.Permission.MANAGE_MEETINGS)
    await queries.lock_agendas(conn, actor.partnership_id)
    meeting = await visible_meeting(conn, actor, meeting_id, lock=True)
    if meeting.state not in (*OPEN_STATES, MeetingState.IN_PROGRESS):
        raise Invalid({"meeting": f"The meeting is {meeting.state.label.lower()}: its agenda can no longer change"})
    if version != meeting.version:
        raise Conflict("the agenda changed since it was opened", current=meeting)
    return meeting


async def _open_item(conn: asyncpg.Connection, meeting: Meeting, item_id: int) -> asyncpg.Record:
    row = await queries.item(conn, item_id)
    if row is None or row["meeting_id"] != meeting.id or row["state"] != ItemState.OPEN.value:
        raise NotFound("agenda_item")
    return row


async def add(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    version: int,
    police_reference: str,
    origin: audit.Origin,
) -> int:
    """Add any screened notification of the partnership by its police reference; returns its item."""
    meeting = await _editable(conn, actor, meeting_id, version)
    found = await queries.screened(conn, meeting.partnership_id, police_reference)
    if found is None:
        raise Invalid({"police_reference": "Enter the police reference of a screened notification"})
    # As screening and placing do: the notification's lock first, then what agenda it is on.
    await queries.lock_notification(conn, found.notification_id)
    elsewhere = await queries.open_meeting_of(conn, found.notification_id)
    if elsewhere is not None:
        where = "this agenda" if elsewhere == meeting.id else "the agenda of another meeting"
        raise Invalid({"police_reference": f"This notification is already on {where}"})
    await queries.dequeue(conn, found.notification_id)
    new_items = await _place(conn, meeting, [found], added_by=actor.user_id)
    await _order(conn, meeting, new_items)
    entry = await queries.open_entry(conn, found.notification_id)
    assert entry is not None
    await _changed(conn, meeting, entry.item_id)
    await audit.record(
        conn,
        AuditAction.AGENDA_ITEM_ADDED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"notification_id": found.notification_id},
    )
    return entry.item_id


async def remove(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    item_id: int,
    version: int,
    reason: str,
    origin: audit.Origin,
) -> None:
    if not reason.strip():
        raise Invalid({"reason": "Enter why the item is removed from the agenda"})
    meeting = await _editable(conn, actor, meeting_id, version)
    await _open_item(conn, meeting, item_id)
    await _step_past(conn, meeting, [item_id])
    await queries.close_items(conn, [item_id], ItemState.REMOVED.value, reason.strip(), actor.user_id)
    await _compact(conn, meeting)
    await _changed(conn, meeting, item_id)
    await audit.record(
        conn,
        AuditAction.AGENDA_ITEM_REMOVED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"item_id": item_id},
    )


async def defer(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    item_id: int,
    version: int,
    reason: str,
    origin: audit.Origin,
) -> int:
    """Defer an item to the next meeting; returns that meeting's id."""
    if not reason.strip():
        raise Invalid({"reason": "Enter why the item is deferred"})
    meeting = await _editable(conn, actor, meeting_id, version)
    await _open_item(conn, meeting, item_id)
    following = await next_open(conn, meeting)
    if following is None:
        raise Invalid({"reason": "There is no later meeting to defer to: add a meeting first"})
    await carry(conn, meeting, [item_id], following, ItemState.DEFERRED, reason.strip(), actor.user_id)
    await _compact(conn, meeting)
    await _changed(conn, meeting, item_id)
    await audit.record(
        conn,
        AuditAction.AGENDA_ITEM_DEFERRED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"item_id": item_id, "to_meeting_id": following.id},
    )
    return following.id


async def carry(
    conn: asyncpg.Connection,
    meeting: Meeting,
    item_ids: Sequence[int],
    to: Meeting | None,
    state: ItemState,
    reason: str | None,
    user_id: int | None,
) -> None:
    """Close items on `meeting` and put their notifications on `to`, marked as carried over. With no
    meeting to go to, they return to the screening queue and the next meeting built takes them."""
    old = {row.id: row for row in await queries.items(conn, meeting.id, open_only=True) if row.id in set(item_ids)}
    moved: list[queries.Waiting] = []
    screened_at: dict[int, datetime] = {}
    carried_from: dict[int, int] = {}
    for item_id in old:
        for waiting, at in await queries.open_entries_of(conn, item_id):
            moved.append(waiting)
            screened_at[waiting.notification_id] = at
            carried_from[waiting.notification_id] = item_id
    await _step_past(conn, meeting, list(old))
    await queries.close_items(conn, list(old), state.value, reason, user_id)
    if not moved:
        return
    if to is None:
        for w in moved:
            await queries.enqueue(
                conn,
                meeting.partnership_id,
                w.notification_id,
                w.screening_id,
                screened_at[w.notification_id],
                again=True,
            )
        return
    new_items = await _place(conn, to, moved, added_by=None, carried_from=carried_from)
    await _order(conn, to, new_items)
    await events.publish(conn, to.partnership_id, to.id, events.Kind.ITEM)


async def _changed(conn: asyncpg.Connection, meeting: Meeting, item_id: int | None = None, **bumped: bool) -> None:
    """A coordinator changed the agenda: its version moves on (a form drawn before is stale) and every
    live screen of the meeting hears of it."""
    await meetings.bump(conn, meeting.id, **bumped)
    await events.publish(conn, meeting.partnership_id, meeting.id, events.Kind.ITEM, item_id=item_id)


async def discussion_order(conn: asyncpg.Connection, meeting_id: int) -> list[int]:
    """The open items in the order the meeting takes them: those for discussion, then those for information."""
    rows = await queries.items(conn, meeting_id, open_only=True)
    return [r.id for r in rows if r.section == "discussion"] + [r.id for r in rows if r.section == "information"]


async def _step_past(conn: asyncpg.Connection, meeting: Meeting, leaving: Sequence[int]) -> None:
    """Items leave a meeting under way (deferred, removed): if the one being discussed is among them, the
    meeting moves on to the next item still on the agenda, or back to the one before, so that no screen
    is left following an item that is gone. `meeting` was read under its lock."""
    current = meeting.current_item_id
    if meeting.state is not MeetingState.IN_PROGRESS or current not in leaving:
        return
    order = await discussion_order(conn, meeting.id)
    at = order.index(current) if current in order else len(order)
    after = [i for i in order[at + 1 :] if i not in leaving]
    before = [i for i in order[:at] if i not in leaving]
    to = after[0] if after else (before[-1] if before else None)
    await meetings.set_current_item(conn, meeting.id, to)
    await events.publish(conn, meeting.partnership_id, meeting.id, events.Kind.MEETING, item_id=to)


async def next_open(conn: asyncpg.Connection, meeting: Meeting) -> Meeting | None:
    """The series' next meeting still taking items, locked. A meeting cancelled or started meanwhile by
    someone else is passed over, so nothing is carried onto an agenda that is no longer open."""
    current = meeting
    while (following := await meetings.neighbour(conn, current, later=True)) is not None:
        locked = await meetings.meeting(conn, following.id, lock=True)
        assert locked is not None
        if locked.state in OPEN_STATES:
            return locked
        current = locked
    return None


async def _compact(conn: asyncpg.Connection, meeting: Meeting) -> None:
    """Renumber the open items after one left, keeping their order."""
    rows = await queries.items(conn, meeting.id, open_only=True)
    await queries.set_positions(
        conn, [r.id for r in rows if r.section == "discussion"] + [r.id for r in rows if r.section == "information"]
    )


async def move(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    item_id: int,
    version: int,
    direction: str,
    origin: audit.Origin,
) -> None:
    """Move an item one place up or down in its list (the no-JavaScript way to reorder)."""
    meeting = await _editable(conn, actor, meeting_id, version)
    row = await _open_item(conn, meeting, item_id)
    ids = [r.id for r in await queries.items(conn, meeting.id, open_only=True) if r.section == row["list"]]
    at = ids.index(item_id)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
    await _reorder(conn, actor, meeting, row["list"], ids, origin)


async def reorder(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    version: int,
    item_ids: Sequence[int],
    origin: audit.Origin,
) -> None:
    """Put the items for discussion in the order given (drag and drop sends them all)."""
    meeting = await _editable(conn, actor, meeting_id, version)
    current = [r.id for r in await queries.items(conn, meeting.id, open_only=True) if r.section == "discussion"]
    if sorted(current) != sorted(item_ids) or len(set(item_ids)) != len(item_ids):
        # Items came or went since the page was drawn: the order sent cannot be the one meant.
        raise Conflict("the agenda's items changed since it was opened", current=meeting)
    await _reorder(conn, actor, meeting, "discussion", list(item_ids), origin)


async def _reorder(
    conn: asyncpg.Connection, actor: Identity, meeting: Meeting, list_: str, ids: list[int], origin: audit.Origin
) -> None:
    rows = await queries.items(conn, meeting.id, open_only=True)
    others = [r.id for r in rows if r.section != list_]
    await queries.set_positions(conn, ids + others if list_ == "discussion" else others + ids)
    await _changed(conn, meeting, ordered_by_hand=True)
    await audit.record(
        conn,
        AuditAction.AGENDA_REORDERED,
        actor=actor,
        origin=origin,
        record_type="meeting",
        record_id=meeting.id,
        detail={"items": len(ids)},
    )


async def lock_agendas(conn: asyncpg.Connection, partnership_id: int) -> None:
    """Taken first by every change that may touch a partnership's agendas (see queries.lock_agendas)."""
    await queries.lock_agendas(conn, partnership_id)


async def screened(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    partnership_id: int,
    notification_id: int,
    screening_id: int,
    screened_at: datetime,
    route: str,
) -> None:
    """A notification was screened (the caller holds its lock). Not on an agenda: it joins the queue, or
    leaves it for no further action. On an open agenda: the item follows the new screening: no further
    action takes it off, a new route moves it to the other list, a new grade re-orders the agenda. A
    meeting already under way keeps its agenda as it is."""
    entry = await queries.open_entry(conn, notification_id)
    if entry is None:
        if route == "no_further_action":
            await queries.dequeue(conn, notification_id)
        else:
            await queries.enqueue(conn, partnership_id, notification_id, screening_id, screened_at)
        return
    await queries.dequeue(conn, notification_id)
    meeting = await meetings.meeting(conn, entry.meeting_id, lock=True)
    assert meeting is not None
    if meeting.state not in OPEN_STATES:
        return
    new_section = ItemList.INFORMATION.value if route == "allocated_worker" else ItemList.DISCUSSION.value
    if route == "no_further_action" or new_section != entry.section:
        if await queries.close_entry(conn, entry.id) == 0:
            await queries.close_items(
                conn,
                [entry.item_id],
                ItemState.REMOVED.value,
                "Screened again: " + route.replace("_", " "),
                actor.user_id,
            )
        new_items: list[int] = []
        if route != "no_further_action":
            waiting = await queries.screened_waiting(conn, notification_id, screening_id)
            new_items = await _place(conn, meeting, [waiting], added_by=None)
        await _order(conn, meeting, new_items)
        await _compact(conn, meeting)
    else:
        await queries.set_entry_screening(conn, entry.id, screening_id)
        await _order(conn, meeting, [])


async def close_discussed(conn: asyncpg.Connection, meeting: Meeting, user_id: int | None) -> None:
    """The meeting was held: its open items were discussed, for the reasons they had then."""
    rules, _ = await queries.rules(conn, meeting.partnership_id)
    shown = _assemble(meeting, await queries.entries(conn, meeting.id, with_closed=False), rules)
    await queries.hold_reasons(conn, {i.id: [r.value for r in i.reasons] for i in (*shown.items, *shown.information)})
    ids = [r.id for r in await queries.items(conn, meeting.id, open_only=True)]
    await queries.close_items(conn, ids, ItemState.DISCUSSED.value, None, user_id)


# ---- rules --------------------------------------------------------------------------------------


async def rules_of(conn: asyncpg.Connection, actor: Identity) -> tuple[Rules, int]:
    policy.require(actor, policy.Permission.MANAGE_AGENDA_RULES)
    return await queries.rules(conn, actor.partnership_id)


async def save_rules(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    weights: dict[ordering.Reason, int],
    time_boxes: dict[str, int],
    version: int,
    origin: audit.Origin,
) -> Rules:
    policy.require(actor, policy.Permission.MANAGE_AGENDA_RULES)
    await queries.lock_agendas(conn, actor.partnership_id)
    errors = {
        f"weights.{reason.value}": "Enter a whole number from 0 to 100000"
        for reason, value in weights.items()
        if not 0 <= value <= ordering.MAX_WEIGHT
    }
    errors |= {
        f"time_boxes.{grade}": "Enter a whole number of minutes from 0 to 60"
        for grade, value in time_boxes.items()
        if grade not in ordering.GRADES or not 0 <= value <= ordering.MAX_TIME_BOX
    }
    if errors:
        raise Invalid(errors)
    current, current_version = await queries.rules(conn, actor.partnership_id)
    rules = Rules(weights={**current.weights, **weights}, time_boxes={**current.time_boxes, **time_boxes})
    if version != current_version or not await queries.save_rules(
        conn, actor.partnership_id, rules, version, actor.user_id
    ):
        raise Conflict("the agenda rules changed since they were opened", current=current)
    # Agendas still open and not ordered by hand follow the new weights at once.
    for meeting_id in await meetings.lock_open_by_score(conn, actor.partnership_id):
        reordered = await meetings.meeting(conn, meeting_id)
        assert reordered is not None
        await _order(conn, reordered, [])
    await audit.record(conn, AuditAction.AGENDA_RULES_UPDATED, actor=actor, origin=origin, record_type="agenda_rule")
    return rules

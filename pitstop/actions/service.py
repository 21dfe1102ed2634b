"""Actions: agreed at a meeting on an item, owned by an agency, chased until closed.

- Coordinators (the chair, the minute-taker) agree actions once the meeting has started, for an agency
  invited to it, due after the meeting; they reassign open ones (owner, named person, due time) and
  record that an agency did not do one, or open one again.
- The owning agency's members close their own: done, or not possible because circumstances changed
  (with why).
- Need-to-know: an agency sees the actions it owns; coordinators and managers see all of them.
- Open actions due by a meeting (overdue ones included) come back on its agenda for review, with history.
- Every view, list and change is audited; a change drawn from an older version is refused (409).
"""

from __future__ import annotations

import asyncpg

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.actions import queries
from pitstop.actions.models import Action, ActionIn, ActionStatus, CompletionIn, Event, ReassignIn
from pitstop.agenda import service as agenda
from pitstop.agenda.models import ItemState
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.information import queries as information
from pitstop.live import events
from pitstop.meetings.models import Meeting, MeetingState
from pitstop.minutes import queries as minutes

AGREEING_STATES = frozenset({MeetingState.IN_PROGRESS, MeetingState.HELD})


async def _changed(conn: asyncpg.Connection, partnership_id: int, action: Action) -> None:
    """The meeting that agreed the action shows it live."""
    await events.publish(
        conn, partnership_id, action.meeting_id, events.Kind.ACTION, item_id=action.agenda_item_id, record_id=action.id
    )


def sees(actor: Identity, action: Action) -> bool:
    return agenda.sees_everything(actor) or action.owner_agency_id == actor.agency_id


def _own_agency_only(actor: Identity) -> int | None:
    return None if agenda.sees_everything(actor) else actor.agency_id


def may_agree(actor: Identity, meeting: Meeting) -> bool:
    return policy.allows(actor, policy.Permission.MANAGE_ACTIONS) and meeting.state in AGREEING_STATES


def may_close(actor: Identity, action: Action) -> bool:
    return policy.allows(actor, policy.Permission.MANAGE_ACTIONS) or (
        policy.allows(actor, policy.Permission.COMPLETE_ACTIONS) and action.owner_agency_id == actor.agency_id
    )


async def _visible(conn: asyncpg.Connection, actor: Identity, action_id: int, *, lock: bool = False) -> Action:
    policy.require(actor, policy.Permission.VIEW_ACTIONS)
    found = await queries.action(conn, action_id, lock=lock)
    if found is None or await queries.partnership_of(conn, action_id) != actor.partnership_id or not sees(actor, found):
        raise NotFound("action")
    return found


async def action(
    conn: asyncpg.Connection, actor: Identity, action_id: int, origin: audit.Origin
) -> tuple[Action, list[Event]]:
    found = await _visible(conn, actor, action_id)
    await audit.record(
        conn, AuditAction.ACTION_VIEWED, actor=actor, origin=origin, record_type="action", record_id=action_id
    )
    return found, (await queries.history(conn, [action_id])).get(action_id, [])


async def listing(
    conn: asyncpg.Connection,
    actor: Identity,
    origin: audit.Origin,
    *,
    agency_id: int | None = None,
    statuses: list[ActionStatus] | None = None,
    overdue_only: bool = False,
) -> list[Action]:
    """Actions by status; an agency member sees only their agency's, whatever they ask for."""
    policy.require(actor, policy.Permission.VIEW_ACTIONS)
    owner = _own_agency_only(actor) or agency_id
    found = await queries.listing(
        conn,
        actor.partnership_id,
        agency_id=owner,
        statuses=[s.value for s in statuses] if statuses else None,
        overdue_only=overdue_only,
    )
    await audit.record(
        conn,
        AuditAction.ACTIONS_LISTED,
        actor=actor,
        origin=origin,
        record_type="action",
        detail={"actions": [a.id for a in found], "agency_id": owner},
    )
    return found


async def _viewed(conn: asyncpg.Connection, actor: Identity, shown: list[Action], origin: audit.Origin) -> None:
    """An action names a case: each one shown gets its "action viewed" row."""
    if shown:
        await audit.record_many(
            conn,
            AuditAction.ACTION_VIEWED,
            actor=actor,
            origin=origin,
            partnership_id=actor.partnership_id,
            record_type="action",
            record_ids=[a.id for a in shown],
        )


async def for_item(conn: asyncpg.Connection, actor: Identity, item_id: int, origin: audit.Origin) -> list[Action]:
    """The item's actions this user may see (the caller has checked the item is visible). Audited."""
    if not policy.allows(actor, policy.Permission.VIEW_ACTIONS):
        return []
    shown = await queries.for_items(conn, [item_id], _own_agency_only(actor))
    await _viewed(conn, actor, shown, origin)
    return shown


async def review(
    conn: asyncpg.Connection, actor: Identity, meeting: Meeting, origin: audit.Origin
) -> tuple[list[Action], dict[int, list[Event]]]:
    """The actions that come back on this meeting's agenda for review, with their history. Audited."""
    if not policy.allows(actor, policy.Permission.VIEW_ACTIONS):
        return [], {}
    found = await queries.for_review(
        conn, meeting.partnership_id, meeting.id, meeting.starts_at, _own_agency_only(actor)
    )
    await _viewed(conn, actor, found, origin)
    return found, await queries.history(conn, [a.id for a in found])


async def create(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, item_id: int, form: ActionIn, origin: audit.Origin
) -> Action:
    policy.require(actor, policy.Permission.MANAGE_ACTIONS)
    meeting, item = await agenda.visible_item(conn, actor, meeting_id, item_id, origin, viewed=False)
    if meeting.state not in AGREEING_STATES:
        raise Invalid({"description": "Actions are agreed once the meeting has started"})
    if await minutes.record_closed(conn, meeting.id):
        raise Invalid({"description": minutes.RECORD_CLOSED})
    if item.state not in (ItemState.OPEN, ItemState.DISCUSSED):
        raise Invalid({"description": "This item is no longer on the agenda"})
    errors: dict[str, str] = {}
    if not form.description.strip():
        errors["description"] = "Enter what is to be done"
    if form.owner_agency_id not in {a.id for a in await information.invited_agencies(conn, meeting_id)}:
        errors["owner_agency_id"] = "Select an agency invited to the meeting"
    if form.due_at <= meeting.starts_at:
        errors["due_at"] = "The action must be due after the meeting"
    if errors:
        raise Invalid(errors)
    cleaned = ActionIn(
        description=form.description.strip(),
        owner_agency_id=form.owner_agency_id,
        owner_name=(form.owner_name or "").strip() or None,
        due_at=form.due_at,
    )
    action_id = await queries.insert(conn, meeting.partnership_id, meeting_id, item_id, cleaned, actor.user_id)
    await queries.add_event(conn, action_id, "created", None, actor.user_id)
    await audit.record(
        conn,
        AuditAction.ACTION_CREATED,
        actor=actor,
        origin=origin,
        record_type="action",
        record_id=action_id,
        detail={"meeting_id": meeting_id, "item_id": item_id, "owner_agency_id": form.owner_agency_id},
    )
    created = await queries.action(conn, action_id)
    assert created is not None
    await _changed(conn, meeting.partnership_id, created)
    return created


async def close(
    conn: asyncpg.Connection, *, actor: Identity, action_id: int, form: CompletionIn, origin: audit.Origin
) -> Action:
    """Done or not possible (the owning agency, or a coordinator); not done, or open again (a coordinator)."""
    policy.require(actor, policy.Permission.COMPLETE_ACTIONS)
    current = await _visible(conn, actor, action_id, lock=True)
    if not may_close(actor, current):
        raise NotFound("action")
    if form.version != current.version:  # drawn before someone else's change: theirs is shown first
        raise Conflict("the action changed since it was opened", current=current, submitted=form)
    coordinator = policy.allows(actor, policy.Permission.MANAGE_ACTIONS)
    note = (form.note or "").strip() or None
    errors: dict[str, str] = {}
    if form.status in (ActionStatus.NOT_DONE, ActionStatus.OPEN) and not coordinator:
        errors["status"] = "Select done, or not possible"
    elif form.status is ActionStatus.OPEN and current.status is ActionStatus.OPEN:
        errors["status"] = "The action is already open"
    elif form.status is not ActionStatus.OPEN and current.status is not ActionStatus.OPEN:
        errors["status"] = "The action is already closed: a coordinator can open it again"
    if form.status in (ActionStatus.NOT_POSSIBLE, ActionStatus.NOT_DONE) and not note:
        errors["note"] = "Enter why the action was not done"
    if errors:
        raise Invalid(errors)
    if not await queries.close(conn, action_id, current.version, form.status.value, note, actor.user_id):
        raise Conflict("the action changed since it was opened", current=current, submitted=form)
    kind = "reopened" if form.status is ActionStatus.OPEN else "completed"
    await queries.add_event(conn, action_id, kind, note, actor.user_id)
    await audit.record(
        conn,
        AuditAction.ACTION_COMPLETED,
        actor=actor,
        origin=origin,
        record_type="action",
        record_id=action_id,
        detail={"status": form.status.value},
    )
    closed = await queries.action(conn, action_id)
    assert closed is not None
    await _changed(conn, actor.partnership_id, closed)
    return closed


async def reassign(
    conn: asyncpg.Connection, *, actor: Identity, action_id: int, form: ReassignIn, origin: audit.Origin
) -> Action:
    """A coordinator gives an open action to another agency or person, or a new due time."""
    policy.require(actor, policy.Permission.MANAGE_ACTIONS)
    current = await _visible(conn, actor, action_id, lock=True)
    if form.version != current.version:
        raise Conflict("the action changed since it was opened", current=current, submitted=form)
    errors: dict[str, str] = {}
    if current.status is not ActionStatus.OPEN:
        errors["owner_agency_id"] = "Only an open action can be reassigned"
    # Only to an agency invited to the meeting that agreed it: the action names the case, and an agency
    # that was not there has no need to know it.
    if form.owner_agency_id not in {a.id for a in await information.invited_agencies(conn, current.meeting_id)}:
        errors["owner_agency_id"] = "Select an agency invited to the meeting that agreed the action"
    if form.due_at <= current.meeting_starts_at:
        errors["due_at"] = "The action must be due after the meeting that agreed it"
    if errors:
        raise Invalid(errors)
    if not await queries.reassign(
        conn, action_id, current.version, form.owner_agency_id, (form.owner_name or "").strip() or None, form.due_at
    ):
        raise Conflict("the action changed since it was opened", current=current, submitted=form)
    await queries.add_event(conn, action_id, "reassigned", (form.note or "").strip() or None, actor.user_id)
    await audit.record(
        conn,
        AuditAction.ACTION_REASSIGNED,
        actor=actor,
        origin=origin,
        record_type="action",
        record_id=action_id,
        detail={"owner_agency_id": form.owner_agency_id},
    )
    changed = await queries.action(conn, action_id)
    assert changed is not None
    await _changed(conn, actor.partnership_id, changed)
    return changed

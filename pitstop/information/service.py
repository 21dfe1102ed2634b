"""Agency information: recording it, and who may see it (need-to-know lives here, not in the pages).

- An agency member (or coordinator) records only their own agency's information, on the items of a
  meeting their agency is invited to, from the agenda's publication (recording stops when the minutes
  are approved, a later issue). One record per agency per item; each save keeps a version.
- Saving over a newer version than the one the form was drawn from is refused (409) with both versions.
- Shared information is seen by every agency that may see the meeting; restricted information only by
  the agencies named; "not for the minutes" only by the recording agency. Coordinators and managers see
  all of it, and the history of every record; an agency sees the history of its own records.
- Information recorded for an item before it was carried to a later meeting shows on the later item.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.agenda import service as agenda
from pitstop.agenda.models import AgendaItem, ItemState
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Conflict, Forbidden, Invalid, NotFound
from pitstop.information import queries
from pitstop.information.models import (
    Information,
    InformationIn,
    ItemInformation,
    Knowledge,
    NotKnownIn,
    Preparation,
    PreparedItem,
    Version,
    Visibility,
)
from pitstop.live import events
from pitstop.meetings import queries as meetings
from pitstop.meetings.models import Meeting, MeetingState
from pitstop.meetings.schedule import LONDON
from pitstop.minutes import queries as minutes

RECORDING_STATES = frozenset({MeetingState.AGENDA_PUBLISHED, MeetingState.IN_PROGRESS, MeetingState.HELD})
ON_AGENDA = frozenset({ItemState.OPEN, ItemState.DISCUSSED})
CLOCK_SKEW = timedelta(minutes=5)  # a "checked at" this far ahead of the server's clock is accepted


def sees(actor: Identity, record: Information) -> bool:
    """Whether this user may see this record (the meeting itself is already visible to them)."""
    if agenda.sees_everything(actor) or record.agency_id == actor.agency_id:
        return True
    if record.visibility is Visibility.SHARED:
        return True
    return record.visibility is Visibility.RESTRICTED and actor.agency_id in record.restricted_to


def sees_history(actor: Identity, record: Information) -> bool:
    """Earlier versions may have been shared more widely or less: only the recording agency, coordinators
    and managers see them."""
    return agenda.sees_everything(actor) or record.agency_id == actor.agency_id


async def _may_record(conn: asyncpg.Connection, actor: Identity, meeting: Meeting, item: AgendaItem) -> bool:
    return (
        policy.allows(actor, policy.Permission.RECORD_INFORMATION)
        and meeting.state in RECORDING_STATES
        and item.state in ON_AGENDA
        and await meetings.invited(conn, meeting.id, actor.agency_id)
        and not await minutes.locked(conn, meeting.id)
    )


async def item_information(
    conn: asyncpg.Connection, actor: Identity, meeting_id: int, item_id: int, origin: audit.Origin
) -> ItemInformation:
    """An item with the information this user may see: its own, then what was recorded for it at the
    meetings it was carried from. Audited: the item's notifications and the records shown."""
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    meeting, item = await agenda.visible_item(conn, actor, meeting_id, item_id, origin, viewed=True)
    chain = await queries.chain(conn, item_id)
    dates = {row["id"]: row["starts_at"].astimezone(LONDON).date() for row in chain}
    records = []
    for record in await queries.for_items(conn, [row["id"] for row in chain]):
        if record.agenda_item_id != item_id:
            record = msgspec.structs.replace(record, carried_from_date=dates[record.agenda_item_id])
        records.append(record)
    records.sort(key=lambda r: (r.agenda_item_id != item_id, r.carried_from_date and -r.carried_from_date.toordinal()))
    visible = [r for r in records if sees(actor, r)]
    await audit.record(
        conn,
        AuditAction.INFORMATION_VIEWED,
        actor=actor,
        origin=origin,
        record_type="agenda_item",
        record_id=item_id,
        detail={"meeting_id": meeting_id, "records": [r.id for r in visible]},
    )
    return ItemInformation(
        meeting=meeting,
        item=item,
        records=visible,
        own=next((r for r in records if r.agenda_item_id == item_id and r.agency_id == actor.agency_id), None),
        can_record=await _may_record(conn, actor, meeting, item),
        agencies=await queries.invited_agencies(conn, meeting_id),
        checked=sorted({r.agency_id for r in records if r.agenda_item_id == item_id}),
    )


async def history(
    conn: asyncpg.Connection, actor: Identity, meeting_id: int, item_id: int, information_id: int, origin: audit.Origin
) -> tuple[Information, list[Version]]:
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    await agenda.visible_item(conn, actor, meeting_id, item_id, origin, viewed=False)
    chain = {row["id"] for row in await queries.chain(conn, item_id)}
    record = next((r for r in await queries.for_items(conn, list(chain)) if r.id == information_id), None)
    if record is None or not sees(actor, record) or not sees_history(actor, record):
        raise NotFound("agency_information")
    await audit.record(
        conn,
        AuditAction.INFORMATION_VIEWED,
        actor=actor,
        origin=origin,
        record_type="agency_information",
        record_id=information_id,
        detail={"history": True},
    )
    return record, await queries.history(conn, information_id)


def _errors(form: InformationIn, own_agency: int, invited: Sequence[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    summary = (form.summary or "").strip()
    if form.knowledge is Knowledge.KNOWN and not summary:
        errors["summary"] = "Enter a summary of what your agency knows"
    if form.checked_at is not None and form.checked_at.astimezone(UTC) > datetime.now(UTC) + CLOCK_SKEW:
        errors["checked_at"] = "The time it was checked must be now or in the past"
    if form.visibility is Visibility.RESTRICTED:
        named = set(form.restricted_to)
        if not named:
            errors["restricted_to"] = "Select the agencies it may be shared with"
        elif not named <= set(invited) - {own_agency}:
            errors["restricted_to"] = "Select only other agencies invited to this meeting"
    return errors


def _clean(form: InformationIn) -> InformationIn:
    return msgspec.structs.replace(
        form,
        summary=(form.summary or "").strip() or None,
        source_system=(form.source_system or "").strip() or None,
        restricted_to=sorted(set(form.restricted_to)) if form.visibility is Visibility.RESTRICTED else [],
    )


async def _recordable(
    conn: asyncpg.Connection, actor: Identity, meeting_id: int, item_id: int | None, origin: audit.Origin
) -> tuple[Meeting, AgendaItem | None]:
    policy.require(actor, policy.Permission.RECORD_INFORMATION)
    if item_id is None:
        meeting, item = await agenda.visible_meeting(conn, actor, meeting_id), None
    else:
        meeting, item = await agenda.visible_item(conn, actor, meeting_id, item_id, origin, viewed=False)
    if meeting.state not in RECORDING_STATES:
        if meeting.state is MeetingState.CANCELLED:
            raise Invalid({"knowledge": "This meeting was cancelled"})
        raise Invalid({"knowledge": "Information can be recorded once the agenda is published"})
    if not await meetings.invited(conn, meeting.id, actor.agency_id):
        raise Forbidden("agency not invited")
    if await minutes.record_closed(conn, meeting.id):
        raise Invalid({"knowledge": minutes.RECORD_CLOSED})
    if item is not None and item.state not in ON_AGENDA:
        raise Invalid({"knowledge": "This item is no longer on the agenda"})
    return meeting, item


async def record(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    item_id: int,
    form: InformationIn,
    origin: audit.Origin,
) -> Information:
    """Record (or change) the actor's agency's information for an item. Every save is a new version."""
    meeting, _ = await _recordable(conn, actor, meeting_id, item_id, origin)
    invited = [a.id for a in await queries.invited_agencies(conn, meeting_id)]
    if errors := _errors(form, actor.agency_id, invited):
        raise Invalid(errors)
    form = _clean(form)
    checked_at = form.checked_at or datetime.now(UTC)
    current = await queries.own(conn, item_id, actor.agency_id, lock=True)
    if current is None:
        if form.version is not None:
            raise Conflict("the information changed since it was opened", current=None, submitted=form)
        information_id = await queries.insert(
            conn,
            partnership_id=meeting.partnership_id,
            item_id=item_id,
            meeting_id=meeting_id,
            agency_id=actor.agency_id,
            form=form,
            checked_at=checked_at,
            user_id=actor.user_id,
        )
        if information_id is None:  # a colleague's first save won: theirs stands, ours is shown beside it
            raise Conflict(
                "the information changed since it was opened",
                current=await queries.own(conn, item_id, actor.agency_id),
                submitted=form,
            )
    else:
        information_id = current.id
        if form.version != current.version or not await queries.update(
            conn, current.id, current.version, form, checked_at, actor.user_id
        ):
            raise Conflict("the information changed since it was opened", current=current, submitted=form)
    await queries.keep_version(conn, [information_id])
    saved = await queries.own(conn, item_id, actor.agency_id)
    assert saved is not None
    await events.publish(
        conn, meeting.partnership_id, meeting_id, events.Kind.INFORMATION, item_id=item_id, record_id=information_id
    )
    await audit.record(
        conn,
        AuditAction.INFORMATION_RECORDED,
        actor=actor,
        origin=origin,
        record_type="agency_information",
        record_id=information_id,
        detail={"meeting_id": meeting_id, "item_id": item_id, "version": saved.version},
    )
    return saved


async def not_known(
    conn: asyncpg.Connection, *, actor: Identity, meeting_id: int, form: NotKnownIn, origin: audit.Origin
) -> int:
    """ "Not known" for each chosen item the agency has not recorded yet; how many were recorded. What the
    agency already recorded is never overwritten."""
    meeting, _ = await _recordable(conn, actor, meeting_id, None, origin)
    shown = await agenda.agenda(conn, actor, meeting_id, origin, audited=False)
    on_agenda = {i.id for i in (*shown.items, *shown.information) if i.state in ON_AGENDA}
    if not set(form.items) <= on_agenda:
        raise Invalid({"items": "Select items on this meeting's agenda"})
    source = (form.source_system or "").strip() or None
    created = await queries.not_known(
        conn,
        partnership_id=meeting.partnership_id,
        meeting_id=meeting_id,
        agency_id=actor.agency_id,
        item_ids=form.items,
        source_system=source,
        user_id=actor.user_id,
    )
    await queries.keep_version(conn, created)
    if created:
        await events.publish(conn, meeting.partnership_id, meeting_id, events.Kind.INFORMATION)
        await audit.record_many(
            conn,
            AuditAction.INFORMATION_RECORDED,
            actor=actor,
            origin=origin,
            partnership_id=meeting.partnership_id,
            record_type="agency_information",
            record_ids=created,
            detail={"meeting_id": meeting_id, "not_known": True},
        )
    return len(created)


async def preparation(conn: asyncpg.Connection, actor: Identity, meeting_id: int, origin: audit.Origin) -> Preparation:
    """The published agenda with what the user's agency has recorded for each item."""
    policy.require(actor, policy.Permission.VIEW_MEETINGS)
    shown = await agenda.agenda(conn, actor, meeting_id, origin)
    meeting = shown.meeting
    own = {r.agenda_item_id: r for r in await queries.for_meeting(conn, meeting_id, actor.agency_id)}
    items = [i for i in (*shown.items, *shown.information) if i.state in ON_AGENDA]
    return Preparation(
        meeting=meeting,
        agency_id=actor.agency_id,
        items=[PreparedItem(item=i, own=own.get(i.id)) for i in items],
        can_record=policy.allows(actor, policy.Permission.RECORD_INFORMATION)
        and meeting.state in RECORDING_STATES
        and await meetings.invited(conn, meeting_id, actor.agency_id),
    )


async def checked_counts(conn: asyncpg.Connection, meeting_id: int) -> dict[int, int]:
    """How many agencies have recorded information for each item of a meeting (a count, no content)."""
    return await queries.checked_counts(conn, meeting_id)

"""Intake: one set of rules for every way a notification arrives (keyed in, the API, later CSV).

The police reference is the notification's key within the partnership. The same body sent again
changes nothing; a changed body updates the notification, keeps every earlier version, and sends
a screened notification back for re-screening. Never a duplicate, however many arrive at once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Invalid
from pitstop.notifications import clocks, queries, screening
from pitstop.notifications.models import (
    Grade,
    Notification,
    NotificationIn,
    Outcome,
    PersonRole,
    Receipt,
    Received,
    Screening,
    Source,
    Status,
    Summary,
)
from pitstop.people import linkage

_ENCODE = msgspec.json.Encoder(order="sorted").encode


def content_hash(body: NotificationIn) -> str:
    """SHA-256 of the body as sent, keys sorted: the same facts always give the same hash."""
    return hashlib.sha256(_ENCODE(body)).hexdigest()


async def _rule_errors(conn: asyncpg.Connection, body: NotificationIn) -> dict[str, str]:
    questions = await queries.risk_tool_questions(conn, body.risk.tool)
    return rule_errors(body, {} if questions is None else {body.risk.tool: questions})


def rule_errors(body: NotificationIn, risk_tools: dict[str, list[str]]) -> dict[str, str]:
    """What the types cannot say. Field names are paths into the body, as the API reports them.

    `risk_tools`: the question keys of each risk tool there is (a bulk import reads them once).
    """
    errors: dict[str, str] = {}
    if not any(p.role is PersonRole.VICTIM for p in body.people):
        errors["people"] = "Add the victim: a notification names at least one"
    if body.address_withheld and body.address:
        errors["address"] = "Leave the incident address empty when it is withheld"
    for index, person in enumerate(body.people):
        if person.address_withheld and person.address:
            errors[f"people[{index}].address"] = "Leave the address empty when it is withheld"
    questions = risk_tools.get(body.risk.tool)
    if questions is None:
        errors["risk.tool"] = "Choose a risk tool this partnership uses"
    elif questions:
        unknown = sorted(set(body.risk.answers) - set(questions))
        if unknown:
            errors["risk.answers"] = f"{body.risk.tool} has no question {', '.join(unknown)}"
        if body.risk.yes_count is not None and body.risk.yes_count > len(questions):
            errors["risk.yes_count"] = f"{body.risk.tool} has only {len(questions)} questions"
    if body.arrest_made is False and not body.no_arrest_reason:
        errors["no_arrest_reason"] = "Say why no arrest was made"
    if body.safe_contact and body.safe_contact.safe and not body.safe_contact.number:
        errors["safe_contact.number"] = "Give the number it is safe to call, or say contact is not safe"
    return errors


async def receive(
    conn: asyncpg.Connection,
    *,
    actor: Identity | None,
    partnership_id: int,
    body: NotificationIn,
    source: Source,
    origin: audit.Origin,
    import_id: int | None = None,
) -> Received:
    """Take in a notification: create it, find it unchanged, or update it. `actor` None: an operator import."""
    if actor is not None:
        policy.require(actor, policy.Permission.RECEIVE_NOTIFICATIONS)
        partnership_id = actor.partnership_id
    if errors := await _rule_errors(conn, body):
        raise Invalid(errors)
    digest = content_hash(body)
    received_at = body.received_at or datetime.now(UTC)
    due = await clocks.screening_due(conn, partnership_id, received_at, body.risk.grade)
    user_id = actor.user_id if actor else None

    def audited(action: AuditAction, notification_id: int) -> list[Any]:
        detail = {"source": source.value, **({"import_id": import_id} if import_id else {})}
        return audit.values(
            action,
            actor=actor,
            origin=origin,
            partnership_id=partnership_id,
            record_type="notification",
            record_id=notification_id,
            detail=detail,
        )

    notification_id = await queries.insert_new_with_people(conn, partnership_id, body, source, received_at, digest, due)
    version, status, grade = 1, Status.RECEIVED, body.risk.grade
    if notification_id is not None:
        await queries.insert_version(
            conn,
            notification_id,
            1,
            body,
            source,
            user_id,
            import_id,
            audited(AuditAction.NOTIFICATION_RECEIVED, notification_id),
        )
        outcome = Outcome.CREATED
    else:
        existing = await queries.lock_existing(conn, partnership_id, body.police_reference)
        assert existing is not None  # the conflicting insert has committed, and nothing deletes notifications
        notification_id = existing["id"]
        if existing["content_hash"] == digest:
            outcome = Outcome.UNCHANGED
            version, status, grade = existing["version"], Status(existing["status"]), Grade(existing["officer_grade"])
            received_at, due = existing["received_at"], existing["screening_due_at"]
        else:
            # The clock runs from first receipt unless the police say when they sent it.
            received_at = body.received_at or existing["received_at"]
            due = await clocks.screening_due(conn, partnership_id, received_at, body.risk.grade)
            status = Status.RECEIVED if existing["status"] == Status.RECEIVED else Status.RESCREEN
            version = await queries.update(conn, notification_id, body, source, received_at, digest, status, due)
            await queries.replace_people(conn, notification_id, body)
            await queries.insert_version(
                conn,
                notification_id,
                version,
                body,
                source,
                user_id,
                import_id,
                audited(AuditAction.NOTIFICATION_UPDATED, notification_id),
            )
            outcome = Outcome.UPDATED
    if outcome is Outcome.UPDATED:
        # Repeat incidents: link the people now, so the queue and the page count them from the start
        # (new notifications' people were linked as they were written).
        await linkage.link_people(conn, partnership_id, [notification_id])
    # A receipt, not the whole record: the sender has the body, and reading it back would double
    # the work of every intake.
    receipt = Receipt(
        id=notification_id,
        police_reference=body.police_reference.strip(),
        version=version,
        status=status,
        officer_grade=grade,
        received_at=received_at,
        screening_due_at=due,
    )
    return Received(outcome=outcome, notification=receipt)


async def view(conn: asyncpg.Connection, actor: Identity, notification_id: int, origin: audit.Origin) -> Notification:
    """One notification, for someone whose need to know covers it. The view is audited."""
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    notification = await queries.get(conn, notification_id)
    policy.visible(actor, "notification", notification, notification.partnership_id if notification else None)
    assert notification is not None
    await audit.record(
        conn,
        AuditAction.NOTIFICATION_VIEWED,
        actor=actor,
        origin=origin,
        record_type="notification",
        record_id=notification_id,
    )
    return notification


async def queue(
    conn: asyncpg.Connection,
    actor: Identity,
    origin: audit.Origin,
    *,
    status: Status | None = None,
    grade: Grade | None = None,
    overdue: bool = False,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> list[Summary]:
    """The intake queue, most urgent first. Listing is audited (it shows references)."""
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    found = await queries.summaries(
        conn,
        actor.partnership_id,
        status=status,
        grade=grade,
        overdue_at=datetime.now(UTC) if overdue else None,
        received_from=received_from,
        received_to=received_to,
    )
    await audit.record(
        conn, AuditAction.NOTIFICATIONS_LISTED, actor=actor, origin=origin, detail={"results": len(found)}
    )
    return found


# ---- for the coordinator's pages --------------------------------------------------------------


async def queue_counts(
    conn: asyncpg.Connection,
    actor: Identity,
    *,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> queries.QueueCounts:
    """How many notifications of each status and grade, and how many are overdue (numbers only)."""
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    return await queries.queue_counts(
        conn, actor.partnership_id, now=datetime.now(UTC), received_from=received_from, received_to=received_to
    )


def changed_fields(previous: dict[str, object], current: dict[str, object]) -> list[str]:
    """The top-level fields of a notification body that differ between two versions, in body order."""
    order = list(NotificationIn.__struct_fields__)
    keys = set(previous) | set(current)
    changed = [k for k in keys if previous.get(k) != current.get(k)]
    return sorted(changed, key=lambda k: (order.index(k) if k in order else len(order), k))


class VersionEntry(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    source: Source
    received_at: datetime
    received_by_name: str | None
    changed: list[str]  # top-level fields changed since the version before (empty for the first)


class Details(msgspec.Struct, frozen=True, kw_only=True):
    """A notification with its history: what a coordinator or manager reads on its page."""

    notification: Notification
    versions: list[VersionEntry]  # the latest first
    screenings: list[Screening]  # the one in force first
    names: dict[int, str]  # user id -> name, for who screened, who authorised and who confirmed a link
    risk_tool: queries.RiskTool | None


async def details(conn: asyncpg.Connection, actor: Identity, notification_id: int, origin: audit.Origin) -> Details:
    """One notification with its versions and screenings, for someone whose need to know covers it.

    `view` checks permission and visibility and audits the view (one row for the whole page).
    """
    notification = await view(conn, actor, notification_id, origin)
    records = await queries.versions(conn, notification_id)
    entries = [
        VersionEntry(
            version=record.version,
            source=record.source,
            received_at=record.received_at,
            received_by_name=record.received_by_name,
            changed=changed_fields(records[index - 1].body, record.body) if index else [],
        )
        for index, record in enumerate(records)
    ]
    screenings = await screening.history(conn, notification_id)
    user_ids = {s.screened_by for s in screenings} | {s.authorised_by for s in screenings}
    user_ids |= {p.confirmed_by for p in notification.people}  # who confirmed a person's link
    names = await queries.user_names(conn, notification.partnership_id, sorted(i for i in user_ids if i is not None))
    tools = {tool.code: tool for tool in await queries.risk_tools(conn)}
    return Details(
        notification=notification,
        versions=entries[::-1],
        screenings=screenings,
        names=names,
        risk_tool=tools.get(notification.risk_tool),
    )


async def risk_tools(conn: asyncpg.Connection) -> list[queries.RiskTool]:
    """The risk tools a notification may name (configuration: no personal data)."""
    return await queries.risk_tools(conn)


async def authorising_managers(conn: asyncpg.Connection, actor: Identity) -> list[tuple[int, str]]:
    """(id, name) of the active managers who may authorise sharing without consent, for the screening form."""
    policy.require(actor, policy.Permission.SCREEN_NOTIFICATIONS)
    return await queries.active_managers(conn, actor.partnership_id)

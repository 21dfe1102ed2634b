"""Recording the meeting's decision on an agenda item.

- Coordinators (the chair, the minute-taker) record it once the meeting has started, until the minutes
  are approved (a later issue). Everyone who may see the item sees its decision: the decision is what the
  partnership agreed, shared with every agency at the meeting.
- A rationale is always required; a re-grade needs its own; a MARAC referral needs its criterion; each
  dissenting agency (one invited to the meeting) needs its reason. A deferral sends the item to the next
  meeting, its rationale saying why.
- Saving over a newer version is refused (409) with both; every version is kept.
"""

from __future__ import annotations

import hashlib
import re

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.agenda import service as agenda
from pitstop.agenda.models import AgendaItem, ItemState
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.decisions import queries
from pitstop.decisions.models import MARAC_OUTCOME, Decision, DecisionIn, Outcome
from pitstop.errors import Conflict, Invalid
from pitstop.information import queries as information
from pitstop.live import events
from pitstop.meetings.models import Meeting, MeetingState
from pitstop.minutes import queries as minutes

DECIDING_STATES = frozenset({MeetingState.IN_PROGRESS, MeetingState.HELD})


async def outcomes(conn: asyncpg.Connection, partnership_id: int) -> list[Outcome]:
    return await queries.outcomes(conn, partnership_id)


async def decision_of(conn: asyncpg.Connection, item_id: int) -> Decision | None:
    """The item's decision (the caller has checked the item is visible)."""
    found = await queries.decisions(conn, [item_id])
    return found[0] if found else None


def may_decide(actor: Identity, meeting: Meeting, item: AgendaItem) -> bool:
    return (
        policy.allows(actor, policy.Permission.RECORD_DECISIONS)
        and meeting.state in DECIDING_STATES
        and item.state in (ItemState.OPEN, ItemState.DISCUSSED)
    )


def _clean(form: DecisionIn) -> DecisionIn:
    return msgspec.structs.replace(
        form,
        rationale=form.rationale.strip(),
        regrade_rationale=(form.regrade_rationale or "").strip() or None if form.regrade else None,
        dissents=[msgspec.structs.replace(d, reason=d.reason.strip()) for d in form.dissents],
    )


def _errors(form: DecisionIn, known: list[Outcome], invited: set[int], item: AgendaItem) -> dict[str, str]:
    errors: dict[str, str] = {}
    codes = [o.code for o in known]
    if not form.outcomes and not form.defer:
        errors["outcomes"] = "Select at least one outcome, or defer the item"
    elif not set(form.outcomes) <= set(codes):
        errors["outcomes"] = "Select outcomes from the partnership's list"
    if not form.rationale:
        errors["rationale"] = "Enter the reasons for the decision"
    if form.regrade and not form.regrade_rationale:
        errors["regrade_rationale"] = "Enter why the meeting changed the risk grade"
    if form.regrade == item.grade:
        errors["regrade"] = "Select a different grade, or leave the grade as it is"
    if MARAC_OUTCOME in form.outcomes and form.marac_criterion is None:
        errors["marac_criterion"] = "Select the criterion for the MARAC referral"
    elif form.marac_criterion is not None and MARAC_OUTCOME not in form.outcomes:
        errors["marac_criterion"] = "A criterion goes with a MARAC referral: select that outcome too"
    dissenting = [d.agency_id for d in form.dissents]
    if len(set(dissenting)) != len(dissenting) or not set(dissenting) <= invited:
        errors["dissents"] = "Record each dissent once, for an agency invited to the meeting"
    elif any(not d.reason for d in form.dissents):
        errors["dissents"] = "Enter the reason for each agency's dissent"
    if form.defer and item.state is not ItemState.OPEN:
        errors["defer"] = "Only an item still open can be deferred"
    return errors


async def record(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    meeting_id: int,
    item_id: int,
    form: DecisionIn,
    origin: audit.Origin,
) -> Decision:
    policy.require(actor, policy.Permission.RECORD_DECISIONS)
    await agenda.lock_agendas(conn, actor.partnership_id)  # a deferral changes agendas
    meeting, item = await agenda.visible_item(conn, actor, meeting_id, item_id, origin, viewed=False)
    if meeting.state not in DECIDING_STATES:
        raise Invalid({"rationale": "Decisions are recorded once the meeting has started"})
    if form.defer:  # the deferral locks the meeting's row FOR UPDATE: before the decision's event, not after
        await conn.execute("SELECT 1 FROM meeting WHERE id = $1 FOR UPDATE", meeting.id)
    if await minutes.record_closed(conn, meeting.id):
        raise Invalid({"rationale": minutes.RECORD_CLOSED})
    if item.state not in (ItemState.OPEN, ItemState.DISCUSSED):
        raise Invalid({"rationale": "This item is no longer on the agenda"})
    form = _clean(form)
    known = await queries.outcomes(conn, meeting.partnership_id)
    invited = {a.id for a in await information.invited_agencies(conn, meeting_id)}
    if errors := _errors(form, known, invited, item):
        raise Invalid(errors)
    if form.defer and await agenda.next_open(conn, meeting) is None:
        raise Invalid({"defer": "There is no later meeting to defer to: add a meeting first"})
    order = {o.code: n for n, o in enumerate(known)}
    form = msgspec.structs.replace(form, outcomes=sorted(set(form.outcomes), key=order.__getitem__))
    # A savepoint: should the deferral still be refused, the decision is not left half-saved (a page
    # that shows the error returns normally, and its transaction commits).
    async with conn.transaction():
        saved = await _save(conn, actor, meeting, item_id, form, origin)
        if form.defer:
            version = await conn.fetchval("SELECT version FROM meeting WHERE id = $1", meeting_id)
            try:
                await agenda.defer(
                    conn,
                    actor=actor,
                    meeting_id=meeting_id,
                    item_id=item_id,
                    version=version,
                    reason=form.rationale,
                    origin=origin,
                )
            except Invalid as refused:
                raise Invalid({"defer": next(iter(refused.errors.values()))}) from refused
    return saved


async def _save(
    conn: asyncpg.Connection, actor: Identity, meeting: Meeting, item_id: int, form: DecisionIn, origin: audit.Origin
) -> Decision:
    current = await queries.lock(conn, item_id)
    decision_id = None
    if current is None and form.version is None:
        decision_id = await queries.insert(conn, meeting.partnership_id, meeting.id, item_id, form, actor.user_id)
    elif current is not None and form.version == current:
        decision_id = await queries.update(conn, item_id, current, form, actor.user_id)
    if decision_id is None:
        raise Conflict(
            "the decision changed since it was opened", current=await decision_of(conn, item_id), submitted=form
        )
    await queries.replace_dissents(conn, meeting.partnership_id, decision_id, form)
    saved = await decision_of(conn, item_id)
    assert saved is not None
    await queries.keep_version(conn, saved, meeting.partnership_id, actor.user_id)
    await events.publish(
        conn, meeting.partnership_id, meeting.id, events.Kind.DECISION, item_id=item_id, record_id=decision_id
    )
    await audit.record(
        conn,
        AuditAction.DECISION_RECORDED,
        actor=actor,
        origin=origin,
        record_type="decision",
        record_id=decision_id,
        detail={"meeting_id": meeting.id, "item_id": item_id, "version": saved.version, "deferred": form.defer},
    )
    return saved


class OutcomeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    label: str
    active: bool


def _fingerprint(rows: list[OutcomeRow]) -> str:
    """The list as it stood when a form was drawn: a stale form (someone saved since) is refused."""
    return hashlib.sha256(msgspec.json.encode(rows)).hexdigest()[:16]


async def outcome_list(conn: asyncpg.Connection, actor: Identity) -> tuple[list[OutcomeRow], str]:
    policy.require(actor, policy.Permission.MANAGE_OUTCOMES)
    rows = msgspec.convert([dict(r) for r in await queries.all_outcomes(conn, actor.partnership_id)], list[OutcomeRow])
    return rows, _fingerprint(rows)


async def outcome_labels(conn: asyncpg.Connection, partnership_id: int) -> dict[str, str]:
    """Every outcome's label, retired ones too: past decisions keep their words."""
    return {r["code"]: r["label"] for r in await queries.all_outcomes(conn, partnership_id)}


async def save_outcomes(
    conn: asyncpg.Connection,
    *,
    actor: Identity,
    version: str,
    labels: dict[int, str],
    active: set[int],
    new_label: str,
    origin: audit.Origin,
) -> None:
    """Rename outcomes, retire or restore them, and add one. A retired outcome stays on past decisions."""
    await conn.execute("SELECT 1 FROM partnership WHERE id = $1 FOR UPDATE", actor.partnership_id)  # one at a time
    rows, current = await outcome_list(conn, actor)
    if version != current:
        raise Conflict("the outcome list changed since it was opened", current=rows)
    errors: dict[str, str] = {}
    for row in rows:
        label = labels.get(row.id, row.label).strip()
        if not label or len(label) > 200:
            errors[f"label-{row.id}"] = "Enter the outcome's name, 200 characters or fewer"
    if not any(row.id in active for row in rows) and not new_label.strip():
        errors["new_label"] = "Keep at least one outcome"
    code = re.sub(r"[^a-z0-9]+", "_", new_label.strip().lower()).strip("_")[:60]
    if new_label.strip():
        if len(new_label.strip()) > 200 or len(code) < 2 or not code[0].isalpha():
            errors["new_label"] = "Enter a name starting with a letter, 200 characters or fewer"
        elif code in {r.code for r in rows} or new_label.strip().lower() in {r.label.lower() for r in rows}:
            errors["new_label"] = "There is already an outcome with this name"
    if errors:
        raise Invalid(errors)
    for row in rows:
        await queries.set_outcome(conn, row.id, labels.get(row.id, row.label).strip(), row.id in active)
    if new_label.strip():
        await queries.add_outcome(conn, actor.partnership_id, code, new_label.strip())
    await audit.record(
        conn,
        AuditAction.OUTCOMES_UPDATED,
        actor=actor,
        origin=origin,
        record_type="partnership",
        record_id=actor.partnership_id,
        detail={"active": len(active), "added": bool(new_label.strip())},
    )

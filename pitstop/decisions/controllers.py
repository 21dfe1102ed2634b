"""The decisions JSON API: an item's decision with the partnership's outcomes, and recording it."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, put
from litestar.params import JSONBody

from pitstop.accounts import policy
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.decisions import service
from pitstop.decisions.models import Decision, DecisionIn, Outcome
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
DECIDE = requires(policy.Permission.RECORD_DECISIONS)


class DecisionOut(msgspec.Struct, frozen=True, kw_only=True):
    decision: Decision | None
    outcomes: list[Outcome]  # the partnership's list
    can_decide: bool


@get(
    "/api/v1/meetings/{meeting_id:int}/items/{item_id:int}/decision",
    guards=[VIEW],
    tags=["decisions"],
    summary="An agenda item's decision (null until one is recorded), with the partnership's outcomes",
)
async def decision(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId
) -> DecisionOut:
    identity = current_identity(request)
    meeting, item = await agenda.visible_item(
        conn, identity, meeting_id, item_id, origin_of(request.scope), viewed=True
    )
    found = await service.decision_of(conn, item_id)
    await audit.record(
        conn,
        AuditAction.DECISION_VIEWED,
        actor=identity,
        origin=origin_of(request.scope),
        record_type="agenda_item",
        record_id=item_id,
        detail={"decision_id": found.id if found else None},
    )
    return DecisionOut(
        decision=found,
        outcomes=await service.outcomes(conn, meeting.partnership_id),
        can_decide=service.may_decide(identity, meeting, item),
    )


@put(
    "/api/v1/meetings/{meeting_id:int}/items/{item_id:int}/decision",
    guards=[DECIDE],
    tags=["decisions"],
    summary="Record the decision on an item",
    description=(
        "Outcomes are codes from the partnership's list. A rationale is always required; a `regrade` needs "
        "`regrade_rationale`; the `marac_referral` outcome needs `marac_criterion`. `defer` sends the item to "
        "the next meeting. Without `version` the first decision (201), with it a change (200); 409 with "
        "`current` and `submitted` when it changed since `version`."
    ),
)
async def save(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: RecordId,
    item_id: RecordId,
    data: JSONBody[DecisionIn],
) -> Response[Decision]:
    saved = await service.record(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        item_id=item_id,
        form=data,
        origin=origin_of(request.scope),
    )
    return Response(saved, status_code=201 if saved.version == 1 else 200)


ROUTES = [decision, save]

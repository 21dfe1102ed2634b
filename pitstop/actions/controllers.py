"""The actions JSON API. An agency's own system reads its actions with an `actions:read` token (and
closes them with `actions:write`); coordinators agree and reassign them."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.params import JSONBody, QueryParameter

from pitstop.accounts import policy
from pitstop.actions import service
from pitstop.actions.models import Action, ActionIn, ActionStatus, CompletionIn, Event, ReassignIn
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_ACTIONS)
COMPLETE = requires(policy.Permission.COMPLETE_ACTIONS)
MANAGE = requires(policy.Permission.MANAGE_ACTIONS)


class ActionRecord(msgspec.Struct, frozen=True, kw_only=True):
    action: Action
    history: list[Event]


@get(
    "/api/v1/actions",
    guards=[VIEW],
    tags=["actions"],
    summary="Actions: your agency's (coordinators and managers: every agency's, or one with `agency`)",
)
async def listing(
    request: Request[Any, Any, Any],
    conn: Connection,
    status: Annotated[
        list[ActionStatus] | None, QueryParameter(description="open, done, not_possible, not_done")
    ] = None,
    overdue: Annotated[bool, QueryParameter(description="Only open actions past their due time")] = False,
    agency: Annotated[int | None, QueryParameter(description="One agency's (coordinators and managers)")] = None,
) -> list[Action]:
    return await service.listing(
        conn,
        current_identity(request),
        origin_of(request.scope),
        agency_id=agency,
        statuses=status,
        overdue_only=overdue,
    )


@get("/api/v1/actions/{action_id:int}", guards=[VIEW], tags=["actions"], summary="An action and its history")
async def one(request: Request[Any, Any, Any], conn: Connection, action_id: RecordId) -> ActionRecord:
    found, history = await service.action(conn, current_identity(request), action_id, origin_of(request.scope))
    return ActionRecord(action=found, history=history)


@post(
    "/api/v1/meetings/{meeting_id:int}/items/{item_id:int}/actions",
    guards=[MANAGE],
    tags=["actions"],
    summary="Agree an action on an item, for an agency invited to the meeting",
)
async def create(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId, data: JSONBody[ActionIn]
) -> Response[Action]:
    made = await service.create(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        item_id=item_id,
        form=data,
        origin=origin_of(request.scope),
    )
    return Response(made, status_code=201)


@post(
    "/api/v1/actions/{action_id:int}/status",
    guards=[COMPLETE],
    tags=["actions"],
    summary="Close an action (done; not possible, with why) or, for coordinators, not done or open again",
)
async def close(
    request: Request[Any, Any, Any], conn: Connection, action_id: RecordId, data: JSONBody[CompletionIn]
) -> Response[Action]:
    closed = await service.close(
        conn, actor=current_identity(request), action_id=action_id, form=data, origin=origin_of(request.scope)
    )
    return Response(closed, status_code=200)


@put(
    "/api/v1/actions/{action_id:int}/owner",
    guards=[MANAGE],
    tags=["actions"],
    summary="Reassign an open action: its agency, named person and due time",
)
async def reassign(
    request: Request[Any, Any, Any], conn: Connection, action_id: RecordId, data: JSONBody[ReassignIn]
) -> Action:
    return await service.reassign(
        conn, actor=current_identity(request), action_id=action_id, form=data, origin=origin_of(request.scope)
    )


ROUTES = [listing, one, create, close, reassign]

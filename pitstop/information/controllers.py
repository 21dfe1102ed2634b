"""The agency information JSON API: an item's information as the user may see it, saving one's own
agency's record (409 with both versions when someone saved first), and "not known" for many items."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.params import JSONBody

from pitstop.accounts import policy
from pitstop.information import service
from pitstop.information.models import Information, InformationIn, NotKnownIn
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
RECORD = requires(policy.Permission.RECORD_INFORMATION)


class ItemInformationOut(msgspec.Struct, frozen=True, kw_only=True):
    item_id: int
    meeting_id: int
    records: list[Information]  # this item's, then those recorded at meetings it was carried from
    own: Information | None
    can_record: bool
    checked: list[int]  # agencies with a record for this item


class NotKnownOut(msgspec.Struct, frozen=True, kw_only=True):
    recorded: int  # items newly recorded "not known" (those already recorded are left alone)


@get(
    "/api/v1/meetings/{meeting_id:int}/items/{item_id:int}/information",
    guards=[VIEW],
    tags=["agency information"],
    summary="An agenda item's agency information, as far as the caller may see it",
)
async def item_information(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId
) -> ItemInformationOut:
    found = await service.item_information(
        conn, current_identity(request), meeting_id, item_id, origin_of(request.scope)
    )
    return ItemInformationOut(
        item_id=item_id,
        meeting_id=meeting_id,
        records=found.records,
        own=found.own,
        can_record=found.can_record,
        checked=found.checked,
    )


@put(
    "/api/v1/meetings/{meeting_id:int}/items/{item_id:int}/information",
    guards=[RECORD],
    tags=["agency information"],
    summary="Record your agency's information for an item",
    description=(
        "Without `version` the first record (201); with it, a change of that version (200). 409 with `current` "
        "and `submitted` when the record changed since `version`. Only your own agency's record."
    ),
)
async def save(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: RecordId,
    item_id: RecordId,
    data: JSONBody[InformationIn],
) -> Response[Information]:
    saved = await service.record(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        item_id=item_id,
        form=data,
        origin=origin_of(request.scope),
    )
    return Response(saved, status_code=201 if saved.version == 1 else 200)


@post(
    "/api/v1/meetings/{meeting_id:int}/information/not-known",
    guards=[RECORD],
    tags=["agency information"],
    summary='Record "not known" for many items at once (never over what your agency already recorded)',
)
async def not_known(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, data: JSONBody[NotKnownIn]
) -> Response[NotKnownOut]:
    count = await service.not_known(
        conn, actor=current_identity(request), meeting_id=meeting_id, form=data, origin=origin_of(request.scope)
    )
    return Response(NotKnownOut(recorded=count), status_code=200)


ROUTES = [item_information, save, not_known]

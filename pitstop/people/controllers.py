"""The people JSON API: a person with their incidents, for coordinators and managers."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from pitstop.accounts import policy
from pitstop.people import service
from pitstop.people.models import PersonRecord
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_NOTIFICATIONS)


@get(
    "/api/v1/people/{person_id:int}",
    guards=[VIEW],
    tags=["people"],
    summary="A person and their incidents, newest first, each with everyone in it (children first)",
    description=(
        "People are matched across notifications on the same normalised family name, first given name and "
        "date of birth. A merged person has no incidents and names the person they were merged into "
        "(`merged_into`). Every look is audited."
    ),
)
async def one(request: Request[Any, Any, Any], conn: Connection, person_id: RecordId) -> PersonRecord:
    return await service.record(conn, current_identity(request), person_id, origin_of(request.scope))


ROUTES = [one]

"""Request-scoped dependencies shared by every controller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from pitstop.db.pool import Database, RequestContext
from pitstop.db.rows import MAX_ID
from pitstop.web.middleware import request_id_of


def request_context(request: Request[Any, Any, Any]) -> RequestContext:
    """Who is asking, for the transaction's settings."""
    identity = request.scope.get("user")
    return RequestContext(
        request_id=request_id_of(request.scope) or "",
        user_id=identity.user_id if identity else None,
        agency_id=identity.agency_id if identity else None,
        partnership_id=identity.partnership_id if identity else None,
    )


async def provide_connection(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[asyncpg.Connection]:
    """One transaction per request, committed before the response is sent."""
    db: Database = state.db
    async for conn in db.transaction(request_context(request)):
        yield conn


# Handlers declare `conn: Connection` to run inside the request's transaction.
Connection = NamedDependency[asyncpg.Connection]


# A record's id in a path: a positive bigint. Anything else is a page that does not exist (404).
RecordId = Annotated[int, Parameter(ge=1, le=MAX_ID)]

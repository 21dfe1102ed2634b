"""Liveness and readiness for load balancers, orchestrators and `make run`."""

from __future__ import annotations

import logging

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from pitstop.db.pool import Database
from pitstop.logs import describe_exception

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 3.0


class Health(msgspec.Struct, frozen=True, omit_defaults=True):
    status: str
    database: str | None = None
    migrations: str | None = None


@get("/healthz", tags=["operations"], summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@get("/readyz", tags=["operations"], summary="The database is reachable and fully migrated")
async def readyz(state: State) -> Response[Health]:
    db: Database = state.db
    try:
        current = await db.migrations_current(within=READY_TIMEOUT_SECONDS)
    except Exception as exc:  # refused, timed out, or any asyncpg error: not ready, whatever the cause
        return _unready(Health(status="unavailable", database="unreachable"), exc)
    if not current:
        return Response(
            Health(status="unavailable", database="ok", migrations="not current"),
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response(Health(status="ok", database="ok", migrations="current"), status_code=HTTP_200_OK)


def _unready(health: Health, exc: BaseException) -> Response[Health]:
    log.warning("readiness check failed", extra={"error": describe_exception(exc)["type"]})
    return Response(health, status_code=HTTP_503_SERVICE_UNAVAILABLE)

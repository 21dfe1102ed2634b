"""The baseline for `readyz`: a bare Litestar app that answers Pitstop's readiness query and nothing else.

Same work per request as Pitstop's GET /readyz: the one query, the comparison with the shipped
migrations, the same JSON. Same pool (min 2, max 10, UTC, 60 s command timeout) and the same
uvicorn options and single worker as `pitstop serve`. What it leaves out is what is measured:
Pitstop's request middleware (request id, security headers, access log), logging set-up,
exception handlers, templates, dependencies, static files and OpenAPI settings.

Run by the benchmark as `python -m bench.bare_app --port N` with BENCH_DATABASE_URL set.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec
import uvicorn
from litestar import Litestar, Response, get
from litestar.datastructures import State

from pitstop.db.migrate import expected_state

QUERY = "SELECT version, checksum FROM pitstop_schema_migration ORDER BY version"


class Health(msgspec.Struct, frozen=True, omit_defaults=True):
    status: str
    database: str | None = None
    migrations: str | None = None


@get("/readyz")
async def readyz(state: State) -> Response[Health]:
    rows = await state.pool.fetch(QUERY)
    if [(r["version"], r["checksum"]) for r in rows] == state.expected:
        return Response(Health(status="ok", database="ok", migrations="current"), status_code=200)
    return Response(Health(status="unavailable", database="ok", migrations="not current"), status_code=503)


def create_app(dsn: str) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=2,
            max_size=10,
            server_settings={"timezone": "UTC", "application_name": "pitstop-bench-bare"},
            command_timeout=60,
        )
        app.state.pool = pool
        app.state.expected = list(expected_state())
        try:
            yield
        finally:
            await pool.close()

    return Litestar(route_handlers=[readyz], lifespan=[lifespan], logging_config=None, debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(os.environ["BENCH_DATABASE_URL"]),
        host="127.0.0.1",
        port=args.port,
        # The options `pitstop serve` uses (pitstop/cli.py).
        access_log=False,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()

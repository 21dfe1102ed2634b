"""/healthz and /readyz: what a load balancer and `make run` rely on."""

from __future__ import annotations

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from pitstop.app import create_app
from pitstop.db import embedded, migrate
from pitstop.settings import Settings
from tests.conftest import BASE_URL


async def test_healthz_answers_while_the_process_is_up(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_a_reachable_current_database(client: AsyncTestClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "current"}


async def test_readyz_fails_when_a_migration_is_missing(client: AsyncTestClient, owner: asyncpg.Connection) -> None:
    await owner.execute("DELETE FROM pitstop_schema_migration WHERE version = 1")
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "migrations": "not current"}


async def test_readyz_fails_when_the_database_is_stopped(pg_dir, settings: Settings) -> None:
    # A server of this test's own, so stopping it does not disturb the rest of the suite.
    server = embedded.start(pg_dir / "own")
    await embedded.prepare(server)
    await migrate.migrate(server.owner_url)
    own = msgspec.structs.replace(settings, database_url=server.url(), migration_database_url=server.owner_url)
    async with AsyncTestClient(app=create_app(own), base_url=BASE_URL) as client:
        before = await client.get("/readyz")
        assert before.status_code == 200, before.text
        server.stop()
        assert not (server.pgdata / "postmaster.pid").exists(), "the test's own PostgreSQL did not stop"
        response = await client.get("/readyz")
        assert response.status_code == 503, response.text
        assert response.json() == {"status": "unavailable", "database": "unreachable"}
        # The process itself is still alive: only readiness changes.
        assert (await client.get("/healthz")).status_code == 200

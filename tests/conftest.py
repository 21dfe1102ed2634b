"""Shared fixtures: one real PostgreSQL for the session, a migrated template, a fresh clone per test.

Without PITSTOP_TEST_DATABASE_URL the suite starts its own embedded PostgreSQL in a temporary
directory (removed at the end). Each test gets `CREATE DATABASE ... TEMPLATE pitstop_template`, so
tests may commit freely and never see each other's rows.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from pitstop.app import create_app
from pitstop.db import embedded, migrate
from pitstop.db.pool import connect
from pitstop.settings import Environment, Settings

TEMPLATE = "pitstop_template"
BASE_URL = "https://pitstop.test"  # https: secure cookies are dropped over plain http


@dataclass(frozen=True)
class Cluster:
    """A PostgreSQL server the suite may create and drop databases on."""

    owner_template: str  # an owner URL with "{db}" where the database name goes
    app_template: str  # the app role's URL, likewise

    def owner_url(self, database: str) -> str:
        return self.owner_template.format(db=quote(database))

    def app_url(self, database: str) -> str:
        return self.app_template.format(db=quote(database))


@dataclass(frozen=True)
class TestDatabase:
    __test__ = False  # a fixture's value, not a test class

    name: str
    owner_url: str
    app_url: str


def _templated(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/{db}"))


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    external = os.environ.get("PITSTOP_TEST_DATABASE_URL")
    if external:
        # One role for owner and app on a server we do not control.
        yield Cluster(owner_template=_templated(external), app_template=_templated(external))
        return
    with tempfile.TemporaryDirectory(prefix="pitstop-test-") as tmp:
        pgserver = embedded.load_pgserver()
        server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="delete")
        socket_dir = server.get_postmaster_info().socket_dir
        host = quote(str(socket_dir))
        try:
            yield Cluster(
                owner_template=f"postgresql://{embedded.SUPERUSER}@/{{db}}?host={host}",
                app_template=f"postgresql://{migrate.APP_ROLE}@/{{db}}?host={host}",
            )
        finally:
            server.cleanup()


@pytest.fixture(scope="session")
async def template_database(cluster: Cluster) -> str:
    conn = await asyncpg.connect(cluster.owner_url("postgres"))
    try:
        if not os.environ.get("PITSTOP_TEST_DATABASE_URL"):
            await embedded.ensure_app_role(conn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await conn.close()
    await migrate.migrate(cluster.owner_url(TEMPLATE))
    return TEMPLATE


async def create_database(cluster: Cluster, template: str = "template0") -> TestDatabase:
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(cluster.owner_url("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return TestDatabase(name=name, owner_url=cluster.owner_url(name), app_url=cluster.app_url(name))


async def drop_database(cluster: Cluster, name: str) -> None:
    conn = await asyncpg.connect(cluster.owner_url("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def database(cluster: Cluster, template_database: str) -> AsyncIterator[TestDatabase]:
    """A migrated database of this test's own."""
    db = await create_database(cluster, template_database)
    yield db
    await drop_database(cluster, db.name)


@pytest.fixture
async def empty_database(cluster: Cluster, template_database: str) -> AsyncIterator[TestDatabase]:
    """A database with no migrations applied, for testing the runner."""
    db = await create_database(cluster)
    yield db
    await drop_database(cluster, db.name)


@pytest.fixture
async def owner(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the schema owner, for arranging and inspecting what tests need."""
    conn = await connect(database.owner_url)
    yield conn
    await conn.close()


@pytest.fixture
def settings(database: TestDatabase, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database.app_url,
        migration_database_url=database.owner_url,
        data_dir=tmp_path,
        secret_key=secrets.token_urlsafe(48),
        base_url=BASE_URL,
        migrate_on_start=False,
        db_pool_min=1,
        db_pool_max=4,
        # Tests drive the meeting clock themselves, at the moments they choose.
        meeting_clock_seconds=0,
        # and count the dashboard's figures in the view (or themselves).
        dashboard_counter_seconds=0,
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A directory for a PostgreSQL of a test's own, outside pytest's tmp_path.

    As root, the embedded server runs as the user `pgserver`, which must be able to enter every
    parent directory; pytest keeps /tmp/pytest-of-<user> at mode 0700 and resets it whenever a
    session starts, so a data directory under tmp_path can become unreachable mid-test.
    """
    with tempfile.TemporaryDirectory(prefix="pitstop-pg-") as path:
        yield Path(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

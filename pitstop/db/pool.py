"""The connection pool, its codecs, and one transaction per request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import msgspec

log = logging.getLogger(__name__)


# Times are UTC inside; Europe/London appears only at the edges.
_SERVER_SETTINGS = {"timezone": "UTC", "application_name": "pitstop"}


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb travels as msgspec-encoded bytes; the leading 1 is jsonb's binary format version.
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda value: b"\x01" + msgspec.json.encode(value),
        decoder=lambda data: msgspec.json.decode(data[1:]),
        format="binary",
    )


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the same codecs and settings as the pool's (command-line tools, tests)."""
    conn = await asyncpg.connect(dsn, server_settings=_SERVER_SETTINGS)
    await _init_connection(conn)
    return conn


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings=_SERVER_SETTINGS,
        command_timeout=60,
    )
    assert pool is not None
    return pool


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking: copied into transaction-local settings so row-level security can use it."""

    request_id: str
    user_id: int | None = None
    agency_id: int | None = None
    partnership_id: int | None = None


@dataclass(slots=True)
class Database:
    pool: asyncpg.Pool
    # (version, checksum) of every migration this code ships: /readyz compares the database to it.
    expected_migrations: Sequence[tuple[int, str]] = field(default_factory=list)

    async def transaction(self, context: RequestContext) -> AsyncIterator[asyncpg.Connection]:
        """Yield a connection inside a transaction that commits when the caller finishes cleanly.

        Used as a generator dependency: Litestar runs the code after ``yield`` once the response
        is built and before it is sent, so every accepted write is committed before we answer.
        """
        async with self.unit(context) as conn:
            yield conn

    @asynccontextmanager
    async def unit(self, context: RequestContext) -> AsyncIterator[asyncpg.Connection]:
        """One transaction for a request, committed when the block ends cleanly: for a handler that must
        not hold a connection throughout (drawing a document in between, say)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """SELECT set_config('pitstop.request_id', $1, true),
                          set_config('pitstop.user_id', $2, true),
                          set_config('pitstop.agency_id', $3, true),
                          set_config('pitstop.partnership_id', $4, true)""",
                context.request_id,
                _text(context.user_id),
                _text(context.agency_id),
                _text(context.partnership_id),
            )
            yield conn

    async def migrations_current(self, within: float) -> bool:
        """One query: are exactly the shipped migrations applied, unedited? Gives up after `within` s."""
        # asyncpg's own timeouts (waiting for a connection, then the query) rather than a task
        # timeout: the same bound, without cancellation machinery on every health check.
        async with self.pool.acquire(timeout=within) as conn:
            rows = await conn.fetch(
                "SELECT version, checksum FROM pitstop_schema_migration ORDER BY version", timeout=within
            )
        return [(r["version"], r["checksum"]) for r in rows] == list(self.expected_migrations)

    async def close(self) -> None:
        await self.pool.close()


def _text(value: int | None) -> str:
    return "" if value is None else str(value)

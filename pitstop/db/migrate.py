"""Forward-only SQL migrations.

Files are `migrations/NNNN_name.sql`, applied in number order, one transaction per file, under a
PostgreSQL advisory lock so that two processes starting together migrate once. Each applied file's
SHA-256 is recorded; an applied file that was edited afterwards stops the runner (add a new file
instead), and so does a database that has migrations this code does not know (older code).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from pitstop.resources import MIGRATIONS_DIR

log = logging.getLogger(__name__)

# Any fixed 64-bit number; it only has to be the same for every Pitstop process.
ADVISORY_LOCK_KEY = 0x5049_5453_544F_5001
TABLE = "pitstop_schema_migration"
APP_ROLE = "pitstop_app"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The migrations on disk and in the database disagree; nothing was applied."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read and order the migration files, refusing misnamed or duplicate-numbered ones."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_case_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: number {version:04d} is used twice")
        raw = path.read_bytes()
        found[version] = Migration(version, match.group(2), raw.decode("utf-8"), hashlib.sha256(raw).hexdigest())
    return [found[v] for v in sorted(found)]


_CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def applied(conn: asyncpg.Connection) -> dict[int, tuple[str, str]]:
    """Applied migrations as {version: (name, checksum)}; empty when none have run."""
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", TABLE)
    if not exists:
        return {}
    rows = await conn.fetch(f"SELECT version, name, checksum FROM {TABLE} ORDER BY version")  # noqa: S608
    return {r["version"]: (r["name"], r["checksum"]) for r in rows}


def check(migrations: list[Migration], done: dict[int, tuple[str, str]]) -> list[Migration]:
    """Return the pending migrations, or raise if the applied ones no longer match the files."""
    by_version = {m.version: m for m in migrations}
    problems = []
    for version, (name, checksum) in sorted(done.items()):
        current = by_version.get(version)
        if current is None:
            problems.append(f"{version:04d}_{name}.sql is applied in the database but missing here (older code?)")
        elif current.checksum != checksum:
            problems.append(
                f"{version:04d}_{current.name}.sql was edited after it was applied; "
                "restore it and put the change in a new migration"
            )
    if problems:
        raise MigrationError("; ".join(problems))
    pending = [m for m in migrations if m.version not in done]
    if pending and done and pending[0].version < max(done):
        raise MigrationError(
            f"{pending[0].version:04d}_{pending[0].name}.sql is numbered below migrations already applied"
        )
    return pending


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply pending migrations; return those this call applied (empty when already current)."""
    migrations = discover(directory)
    conn = await asyncpg.connect(dsn)
    try:
        # Session-level lock: held across the per-file transactions, released below or on disconnect.
        await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            await conn.execute(_CREATE_TABLE)
            pending = check(migrations, await applied(conn))
            for migration in pending:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        f"INSERT INTO {TABLE} (version, name, checksum) VALUES ($1, $2, $3)",  # noqa: S608
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                log.info("migration applied", extra={"migration": f"{migration.version:04d}_{migration.name}"})
            await _grant_read_of_history(conn)
            return pending
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await conn.close()


async def _grant_read_of_history(conn: asyncpg.Connection) -> None:
    # /readyz runs as the app role and must see which migrations are applied, never change them.
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE):
        await conn.execute(f"GRANT SELECT ON {TABLE} TO {APP_ROLE}")


def expected_state(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str]]:
    """(version, checksum) of every migration this code ships, for the readiness check."""
    return [(m.version, m.checksum) for m in discover(directory)]

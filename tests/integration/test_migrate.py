"""The migration runner against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from pitstop.db.migrate import MigrationError, migrate
from pitstop.resources import MIGRATIONS_DIR
from tests.conftest import TestDatabase


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql)


async def history(url: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version, name FROM pitstop_schema_migration ORDER BY applied_at, version")
        return [(r["version"], r["name"]) for r in rows]
    finally:
        await conn.close()


async def test_applies_files_in_number_order(empty_database: TestDatabase, tmp_path: Path) -> None:
    # 0002 fails unless 0001 ran first; 0010 unless both did.
    write(tmp_path, "0010_three.sql", "INSERT INTO step (n) SELECT max(n) + 1 FROM step;")
    write(tmp_path, "0002_two.sql", "INSERT INTO step (n) VALUES (2);")
    write(tmp_path, "0001_one.sql", "CREATE TABLE step (n int PRIMARY KEY); INSERT INTO step VALUES (1);")
    applied = await migrate(empty_database.owner_url, tmp_path)
    assert [m.version for m in applied] == [1, 2, 10]
    assert await history(empty_database.owner_url) == [(1, "one"), (2, "two"), (10, "three")]


async def test_running_again_applies_nothing(empty_database: TestDatabase) -> None:
    first = await migrate(empty_database.owner_url, MIGRATIONS_DIR)
    assert first
    assert await migrate(empty_database.owner_url, MIGRATIONS_DIR) == []
    assert len(await history(empty_database.owner_url)) == len(first)


async def test_new_files_are_applied_on_the_next_run(empty_database: TestDatabase, tmp_path: Path) -> None:
    write(tmp_path, "0001_one.sql", "CREATE TABLE a (x int);")
    await migrate(empty_database.owner_url, tmp_path)
    write(tmp_path, "0002_two.sql", "CREATE TABLE b (x int);")
    applied = await migrate(empty_database.owner_url, tmp_path)
    assert [m.name for m in applied] == ["two"]


async def test_an_edited_applied_file_stops_everything(empty_database: TestDatabase, tmp_path: Path) -> None:
    write(tmp_path, "0001_one.sql", "CREATE TABLE a (x int);")
    await migrate(empty_database.owner_url, tmp_path)
    write(tmp_path, "0001_one.sql", "CREATE TABLE a (x int, y int);")
    write(tmp_path, "0002_two.sql", "CREATE TABLE b (x int);")
    with pytest.raises(MigrationError, match=r"0001_one\.sql was edited"):
        await migrate(empty_database.owner_url, tmp_path)
    # The pending file was not applied either.
    assert await history(empty_database.owner_url) == [(1, "one")]


async def test_a_failing_file_leaves_nothing_of_itself(empty_database: TestDatabase, tmp_path: Path) -> None:
    write(tmp_path, "0001_one.sql", "CREATE TABLE a (x int);")
    write(tmp_path, "0002_broken.sql", "CREATE TABLE b (x int); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(asyncpg.UndefinedTableError):
        await migrate(empty_database.owner_url, tmp_path)
    assert await history(empty_database.owner_url) == [(1, "one")]
    conn = await asyncpg.connect(empty_database.owner_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('b')") is None
    finally:
        await conn.close()


async def test_concurrent_runs_apply_each_file_once(empty_database: TestDatabase, tmp_path: Path) -> None:
    # Without the lock, both runs would try 0001 and one would fail on "relation already exists".
    write(tmp_path, "0001_slow.sql", "SELECT pg_sleep(0.5); CREATE TABLE once (x int);")
    write(tmp_path, "0002_after.sql", "INSERT INTO once VALUES (1);")
    results = await asyncio.gather(*(migrate(empty_database.owner_url, tmp_path) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    assert await history(empty_database.owner_url) == [(1, "slow"), (2, "after")]
    conn = await asyncpg.connect(empty_database.owner_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM once") == 1
    finally:
        await conn.close()


async def test_the_app_role_may_read_but_not_change_the_history(database: TestDatabase) -> None:
    conn = await asyncpg.connect(database.app_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pitstop_schema_migration") >= 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM pitstop_schema_migration")
    finally:
        await conn.close()


async def test_the_app_role_owns_nothing_and_is_no_superuser(database: TestDatabase) -> None:
    conn = await asyncpg.connect(database.app_url)
    try:
        assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user"
        )
        assert owned == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE sneaky (x int)")
    finally:
        await conn.close()

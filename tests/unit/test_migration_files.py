"""Reading migration files and comparing them with what a database has applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop.db.migrate import MigrationError, check, discover
from pitstop.resources import MIGRATIONS_DIR


def write(directory: Path, name: str, sql: str = "SELECT 1;") -> None:
    (directory / name).write_text(sql)


def test_shipped_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in discover(MIGRATIONS_DIR)]
    assert versions == list(range(1, len(versions) + 1))


def test_files_are_ordered_by_number_not_by_name(tmp_path: Path) -> None:
    write(tmp_path, "0010_later.sql")
    write(tmp_path, "0002_second.sql")
    write(tmp_path, "0001_first.sql")
    write(tmp_path, "README.md", "not a migration")
    assert [m.name for m in discover(tmp_path)] == ["first", "second", "later"]


@pytest.mark.parametrize("name", ["1_first.sql", "0001-first.sql", "0001_First.sql", "0001_.sql"])
def test_misnamed_files_are_refused(tmp_path: Path, name: str) -> None:
    write(tmp_path, name)
    with pytest.raises(MigrationError, match="NNNN_lower_case_name"):
        discover(tmp_path)


def test_a_number_used_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "0001_first.sql")
    write(tmp_path, "0001_also_first.sql")
    with pytest.raises(MigrationError, match="used twice"):
        discover(tmp_path)


def test_check_returns_only_pending(tmp_path: Path) -> None:
    write(tmp_path, "0001_first.sql")
    write(tmp_path, "0002_second.sql")
    first, second = discover(tmp_path)
    assert check([first, second], {1: ("first", first.checksum)}) == [second]


def test_check_refuses_an_edited_applied_file(tmp_path: Path) -> None:
    write(tmp_path, "0001_first.sql")
    (first,) = discover(tmp_path)
    with pytest.raises(MigrationError, match=r"0001_first\.sql was edited after it was applied"):
        check([first], {1: ("first", "0" * 64)})


def test_check_refuses_a_database_newer_than_the_code(tmp_path: Path) -> None:
    write(tmp_path, "0001_first.sql")
    (first,) = discover(tmp_path)
    with pytest.raises(MigrationError, match=r"0002_second\.sql is applied in the database but missing here"):
        check([first], {1: ("first", first.checksum), 2: ("second", "x")})


def test_check_refuses_a_file_numbered_below_applied_ones(tmp_path: Path) -> None:
    write(tmp_path, "0001_first.sql")
    write(tmp_path, "0003_third.sql")
    first, third = discover(tmp_path)
    write(tmp_path, "0002_late.sql")
    migrations = discover(tmp_path)
    with pytest.raises(MigrationError, match="numbered below"):
        check(migrations, {1: ("first", first.checksum), 3: ("third", third.checksum)})

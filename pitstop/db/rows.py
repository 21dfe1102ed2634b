"""Mapping asyncpg records to msgspec Structs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import asyncpg
import msgspec

T = TypeVar("T")


def to_structs(records: Iterable[asyncpg.Record], kind: type[T]) -> list[T]:
    return msgspec.convert([dict(r) for r in records], list[kind])  # type: ignore[valid-type]


def to_struct(record: asyncpg.Record | None, kind: type[T]) -> T | None:
    return None if record is None else msgspec.convert(dict(record), kind)


# The largest value of a PostgreSQL bigint: ids beyond it cannot name a record.
MAX_ID = 2**63 - 1

"""What an import is: its mode, its outcome, and the report kept for it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class ImportMode(StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"  # any bad row: nothing is imported
    GOOD_INCIDENTS = "good_incidents"  # the good incidents are imported, the rest reported


class ImportOutcome(StrEnum):
    IMPORTED = "imported"
    PARTLY_IMPORTED = "partly_imported"
    REJECTED = "rejected"


class RowProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong: the line (the header is line 1), the column as the file names it, why."""

    line: int
    column: str | None
    reference: str | None
    message: str


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    """What an import did. Kept for every import; the file itself is not."""

    id: int
    file_name: str
    mode: ImportMode
    outcome: ImportOutcome
    imported_at: datetime
    imported_by: int | None
    imported_by_name: str | None
    rows_read: int
    incidents_read: int
    created: int
    updated: int
    unchanged: int
    incidents_rejected: int
    errors_total: int  # `errors` holds the first 1,000
    errors: list[RowProblem]
    columns_ignored: list[str]

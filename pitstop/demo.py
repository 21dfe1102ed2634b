"""Fictional demo data: the one entry point every later feature extends.

Everything here is invented (the town of Northfield, postcodes NF). Running it twice changes
nothing: each step looks its records up by a natural key before creating them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from pitstop.accounts import queries as partnerships
from pitstop.accounts.models import NewPartnership

DEMO_PARTNERSHIP = NewPartnership(
    slug="northfield",
    name="Northfield Safeguarding Partnership",
    council_area="Northfield",
    police_force="Northfield Constabulary",
)


@dataclass(slots=True)
class DemoReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"created: {item}" for item in self.created]
        out += [f"already there: {item}" for item in self.existing]
        return out


async def load(conn: asyncpg.Connection) -> DemoReport:
    report = DemoReport()
    async with conn.transaction():
        partnership, created = await partnerships.ensure_partnership(conn, DEMO_PARTNERSHIP)
        (report.created if created else report.existing).append(f"partnership {partnership.name}")
    return report

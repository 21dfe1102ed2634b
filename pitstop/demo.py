"""Fictional demo data: the one entry point every later feature extends.

Everything here is invented (the town of Northfield, postcodes NF, email addresses at the reserved
domain northfield.example). Running it twice changes nothing: each step looks its records up by a
natural key (partnership slug, agency name, user email) before creating them, and an existing
user's password is never changed or shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import asyncpg

from pitstop import demo_import, demo_meetings, demo_notifications
from pitstop.accounts import passwords
from pitstop.accounts import queries as accounts
from pitstop.accounts import service as account_service
from pitstop.accounts.models import NewPartnership, Role
from pitstop.audit.service import Origin

DEMO_PARTNERSHIP = NewPartnership(
    slug="northfield",
    name="Northfield Safeguarding Partnership",
    council_area="Northfield",
    police_force="Northfield Constabulary",
)

# (agency name, agency_type code): one agency of each type that usually attends.
DEMO_AGENCIES: tuple[tuple[str, str], ...] = (
    ("Northfield Constabulary", "police"),
    ("Northfield Children's Social Care", "childrens_social_care"),
    ("Northfield Early Help", "early_help"),
    ("Northfield Health (MASH nurse)", "health"),
    ("Northfield Education Safeguarding", "education"),
    ("Northfield IDVA Service", "idva"),
    ("Probation Service Northfield", "probation"),
    ("Northfield Housing", "housing"),
)

POLICE = DEMO_AGENCIES[0][0]
SOCIAL_CARE = DEMO_AGENCIES[1][0]


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    agency: str
    roles: tuple[Role, ...]


# Every role and every agency has at least one user.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("police.member@northfield.example", "Priya Shah", POLICE, (Role.AGENCY_MEMBER,)),
    DemoUser("police.coordinator@northfield.example", "Tom Fletcher", POLICE, (Role.COORDINATOR,)),
    DemoUser("socialcare.member@northfield.example", "Grace Okafor", SOCIAL_CARE, (Role.AGENCY_MEMBER,)),
    DemoUser("socialcare.coordinator@northfield.example", "Daniel Hughes", SOCIAL_CARE, (Role.COORDINATOR,)),
    DemoUser("socialcare.manager@northfield.example", "Helen Marsh", SOCIAL_CARE, (Role.MANAGER,)),
    DemoUser("socialcare.admin@northfield.example", "Sam Patel", SOCIAL_CARE, (Role.ADMIN,)),
    DemoUser("earlyhelp.member@northfield.example", "Leah Morgan", "Northfield Early Help", (Role.AGENCY_MEMBER,)),
    DemoUser(
        "health.member@northfield.example", "Nadia Rahman", "Northfield Health (MASH nurse)", (Role.AGENCY_MEMBER,)
    ),
    DemoUser(
        "education.member@northfield.example", "Owen Price", "Northfield Education Safeguarding", (Role.AGENCY_MEMBER,)
    ),
    DemoUser("idva.member@northfield.example", "Chloe Evans", "Northfield IDVA Service", (Role.AGENCY_MEMBER,)),
    DemoUser(
        "probation.member@northfield.example", "Marcus Reid", "Probation Service Northfield", (Role.AGENCY_MEMBER,)
    ),
    DemoUser("housing.member@northfield.example", "Ruth Adeyemi", "Northfield Housing", (Role.AGENCY_MEMBER,)),
)

# Two `pitstop demo` runs at once take turns instead of tripping over each other's inserts.
_LOCK = 0x5049_5453_544F_5002
_OPERATOR = Origin(request_id=None, client_addr=None)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[Role, ...]
    agency: str
    password: str | None  # None: the user was already there and keeps their password


@dataclass(slots=True)
class DemoReport:
    """What a run created and found (partnership, agencies), and every demo user's sign-in details."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        return bool(self.created) or any(a.password is not None for a in self.accounts)

    def lines(self) -> list[str]:
        out = [f"created: {item}" for item in self.created]
        out += [f"already there: {item}" for item in self.existing]
        if self.accounts:
            out += ["", *self.table()]
        return out

    def table(self) -> list[str]:
        header = ("email", "role(s)", "agency", "password")
        rows = [
            (a.email, ", ".join(r.value for r in a.roles), a.agency, a.password or "unchanged") for a in self.accounts
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
        return [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
            for row in (header, *rows)
        ]


def generate_password() -> str:
    """A random password that meets the rules (16 URL-safe characters)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if passwords.problem(candidate) is None:
            return candidate


async def load(conn: asyncpg.Connection, password: str | None = None) -> DemoReport:
    """Create whatever of the demo partnership, agencies and users is missing, in one transaction.

    New users get `password`, or each a generated one; they need not change it at first sign-in.
    """
    report = DemoReport()
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        partnership, created = await account_service.ensure_partnership(conn, DEMO_PARTNERSHIP, _OPERATOR)
        (report.created if created else report.existing).append(f"partnership {partnership.name}")

        agency_ids: dict[str, int] = {}
        for name, agency_type in DEMO_AGENCIES:
            agency = await accounts.agency_by_name(conn, partnership.id, name)
            if agency is None:
                agency = await account_service.create_agency(
                    conn,
                    actor=None,
                    partnership_id=partnership.id,
                    name=name,
                    agency_type=agency_type,
                    origin=_OPERATOR,
                )
                report.created.append(f"agency {name}")
            else:
                report.existing.append(f"agency {name}")
            agency_ids[name] = agency.id

        for demo in DEMO_USERS:
            existing = await accounts.user_by_email(conn, demo.email)
            if existing is not None:
                report.accounts.append(
                    DemoAccount(demo.email, existing.name, tuple(existing.roles), existing.agency_name, None)
                )
                continue
            given = password if password is not None else generate_password()
            user = await account_service.create_user(
                conn,
                actor=None,
                partnership_id=partnership.id,
                new=account_service.NewUser(
                    email=demo.email,
                    name=demo.name,
                    agency_id=agency_ids[demo.agency],
                    roles=list(demo.roles),
                    password=given,
                ),
                origin=_OPERATOR,
                must_change_password=False,
            )
            report.accounts.append(DemoAccount(user.email, user.name, tuple(user.roles), user.agency_name, given))

        if await demo_import.ensure_mapping(conn, partnership.id):
            report.created.append("import settings for Northfield Police's extract")
        for line in await demo_notifications.load(
            conn,
            partnership.id,
            coordinator_email="socialcare.coordinator@northfield.example",
            manager_email="socialcare.manager@northfield.example",
        ):
            verb, _, what = line.partition(": ")
            if verb == "created":
                report.created.append(what)
            elif verb == "screened":
                report.created.append(f"screening of {what}")
            else:
                report.existing.append(what)
        for line in await demo_meetings.load(conn, partnership.id):
            verb, _, what = line.partition(": ")
            (report.existing if verb == "already there" else report.created).append(what or line)
    return report

"""`pitstop demo`: the fictional Northfield partnership, its agencies and one user per role and agency."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from pitstop import demo, demo_notifications
from pitstop.accounts import passwords
from pitstop.accounts import queries as accounts
from pitstop.accounts import service as account_service
from pitstop.accounts.models import Role
from pitstop.audit.service import Origin
from tests.conftest import TestDatabase
from tests.integration.test_cli import database_env, pitstop


async def count(conn: asyncpg.Connection, table: str) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table}")


async def every_role_and_every_agency_has_a_user(owner: asyncpg.Connection) -> None:
    roles = {r["role"] for r in await owner.fetch("SELECT DISTINCT unnest(roles) AS role FROM app_user")}
    assert roles == {role.value for role in Role}
    without_users = await owner.fetch(
        "SELECT a.name FROM agency a WHERE NOT EXISTS (SELECT 1 FROM app_user u WHERE u.agency_id = a.id)"
    )
    assert without_users == []
    types = {r["agency_type"] for r in await owner.fetch("SELECT agency_type FROM agency")}
    assert types == {code for _, code in demo.DEMO_AGENCIES}
    emails = [r["email"] for r in await owner.fetch("SELECT email FROM app_user")]
    assert all(email.endswith("@northfield.example") for email in emails)
    assert await owner.fetchval("SELECT count(*) FROM app_user WHERE must_change_password") == 0
    # Written as the operator: audit rows name no user, but for what the demo's coordinators do
    # (screening, running the meetings, decisions and actions) and its agency members (their agencies'
    # information, closing their actions).
    named = await owner.fetch(
        "SELECT DISTINCT a.action FROM audit_event a JOIN app_user u ON u.id = a.user_id "
        "WHERE 'coordinator' = ANY(u.roles)"
    )
    assert {r["action"] for r in named} == {
        "notification_screened",
        "meeting_series_created",
        "series_invitee_added",
        "agenda_published",
        "meeting_started",
        "attendance_recorded",
        "observer_added",
        "meeting_held",
        "decision_recorded",
        "action_created",
    }
    by_members = await owner.fetch(
        "SELECT DISTINCT a.action FROM audit_event a JOIN app_user u ON u.id = a.user_id "
        "WHERE NOT 'coordinator' = ANY(u.roles)"
    )
    assert {r["action"] for r in by_members} == {"information_recorded", "action_completed"}
    # The held meeting's records: some information restricted, decisions, actions (one done, some overdue).
    assert await owner.fetchval("SELECT count(*) FROM agency_information WHERE visibility = 'restricted'") == 1
    assert await owner.fetchval("SELECT count(*) FROM decision") == 2
    statuses = await owner.fetch("SELECT status, due_at < now() AS overdue FROM action ORDER BY id")
    assert [r["status"] for r in statuses].count("done") == 1
    assert sum(r["overdue"] and r["status"] == "open" for r in statuses) >= 3


async def test_a_user_per_role_and_agency_created_once_however_often_it_runs(owner: asyncpg.Connection) -> None:
    first = await demo.load(owner, None)
    assert first.created[0] == "partnership Northfield Safeguarding Partnership"
    notifications = len(demo_notifications.demo_notifications())
    # The partnership, its agencies, the import settings, the notifications, the one the demo screens,
    # and the meetings: the series, the held meeting, the next meeting's agenda.
    assert len(first.created) == 1 + len(demo.DEMO_AGENCIES) + 1 + notifications + 1 + 3
    assert "import settings for Northfield Police's extract" in first.created
    assert len(first.accounts) == len(demo.DEMO_USERS)
    generated = [account.password for account in first.accounts]
    assert all(p is not None and len(p) >= passwords.MIN_LENGTH and not passwords.problem(p) for p in generated)
    assert len(set(generated)) == len(generated)  # one each, not one for all
    await every_role_and_every_agency_has_a_user(owner)
    counts = {t: await count(owner, t) for t in ("partnership", "agency", "app_user", "notification", "screening")}
    # Two more notifications were on the held meeting's agenda; six are screened for a meeting in all.
    assert counts == {
        "partnership": 1,
        "agency": 8,
        "app_user": 12,
        "notification": notifications + 2,
        "screening": 6,
    }
    events = await count(owner, "audit_event")
    # Every kind a coordinator meets: high risk with children present, an open case, a withheld
    # address, unscreened ones, one overdue, one screened.
    kinds = await owner.fetchrow(
        """SELECT bool_or(n.officer_grade = 'high' AND EXISTS (SELECT 1 FROM notification_person p
                   WHERE p.notification_id = n.id AND p.role = 'child' AND p.present)) AS high_with_children,
                  bool_or(n.open_case) AS open_case,
                  bool_or(EXISTS (SELECT 1 FROM notification_person p
                   WHERE p.notification_id = n.id AND p.address_withheld)) AS withheld,
                  bool_or(n.status = 'received') AS unscreened,
                  bool_or(n.status = 'received' AND n.screening_due_at < now()) AS overdue,
                  bool_or(n.status = 'screened') AS screened
             FROM notification n"""
    )
    assert dict(kinds) == dict.fromkeys(kinds.keys(), True)

    second = await demo.load(owner, None)
    assert second.created == []
    assert not second.created_anything
    assert [account.password for account in second.accounts] == [None] * len(demo.DEMO_USERS)
    printed = "\n".join(second.lines())
    assert "unchanged" in printed
    assert not any(p in printed for p in generated if p)
    assert {t: await count(owner, t) for t in counts} == counts
    assert await count(owner, "audit_event") == events  # nothing happened, so nothing was recorded

    # The passwords shown are the ones that work, and demo users need not change them.
    police = await owner.fetchrow(
        "SELECT password_hash, must_change_password FROM app_user WHERE email = 'police.member@northfield.example'"
    )
    assert police["must_change_password"] is False
    assert police["password_hash"].startswith("$argon2id$")
    assert await passwords.verify_password(police["password_hash"], first.accounts[0].password or "")


async def test_an_existing_user_keeps_their_password(owner: asyncpg.Connection) -> None:
    partnership, _ = await accounts.ensure_partnership(owner, demo.DEMO_PARTNERSHIP)
    police = await account_service.create_agency(
        owner,
        actor=None,
        partnership_id=partnership.id,
        name="Northfield Constabulary",
        agency_type="police",
        origin=Origin(),
    )
    mine = "my-own-password-123"
    await account_service.create_user(
        owner,
        actor=None,
        partnership_id=partnership.id,
        new=account_service.NewUser(
            email="police.member@northfield.example",
            name="Someone Else",
            agency_id=police.id,
            roles=[Role.AGENCY_MEMBER],
            password=mine,
        ),
        origin=Origin(),
    )
    before = await owner.fetchval("SELECT password_hash FROM app_user WHERE email = 'police.member@northfield.example'")

    report = await demo.load(owner, "northfield-demo")
    assert "already there: partnership Northfield Safeguarding Partnership" in report.lines()
    assert "already there: agency Northfield Constabulary" in report.lines()
    assert report.created_anything
    kept = next(a for a in report.accounts if a.email == "police.member@northfield.example")
    assert kept.password is None
    assert kept.name == "Someone Else"
    assert [a.password for a in report.accounts if a is not kept] == ["northfield-demo"] * (len(demo.DEMO_USERS) - 1)
    after = await owner.fetchrow(
        "SELECT password_hash, must_change_password FROM app_user WHERE email = 'police.member@northfield.example'"
    )
    assert after["password_hash"] == before
    assert after["must_change_password"] is True
    admin_hash = await owner.fetchval(
        "SELECT password_hash FROM app_user WHERE email = 'socialcare.admin@northfield.example'"
    )
    assert await passwords.verify_password(admin_hash, "northfield-demo")


def test_a_weak_demo_password_is_refused(tmp_path: Path) -> None:
    # Refused before any database is started.
    done = pitstop("demo", "--password", "northfield", PITSTOP_DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == "pitstop demo: --password: Password must be 12 characters or more"
    assert not (tmp_path / "pgdata").exists()


def test_the_demo_command_shows_sign_in_details_once(database: TestDatabase, tmp_path: Path) -> None:
    env = database_env(database, tmp_path)
    first = pitstop("demo", "--password", "northfield-demo", **env)
    assert first.returncode == 0, first.stderr
    rows = {line.split()[0]: line for line in first.stdout.splitlines() if "@northfield.example" in line}
    assert len(rows) == len(demo.DEMO_USERS)
    assert rows["socialcare.admin@northfield.example"].split()[1:2] == ["admin"]
    assert all(line.endswith("northfield-demo") for line in rows.values())
    assert "Sign in at http://localhost:8000/sign-in" in first.stdout

    second = pitstop("demo", "--password", "northfield-demo", **env)
    assert second.returncode == 0, second.stderr
    assert "northfield-demo" not in second.stdout + second.stderr
    assert "created:" not in second.stdout
    rows = [line for line in second.stdout.splitlines() if "@northfield.example" in line]
    assert len(rows) == len(demo.DEMO_USERS)
    assert all(line.endswith("unchanged") for line in rows)
    assert "Nothing new" in second.stdout

"""The `pitstop` command as an operator uses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from pitstop import cli
from pitstop.accounts import tokens
from pitstop.accounts.models import NewPartnership, Scope
from pitstop.db.pool import create_pool
from tests.conftest import TestDatabase
from tests.web.test_import_api import HEADER, incident


def pitstop(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")} | env
    return subprocess.run(
        [sys.executable, "-m", "pitstop.cli", *args],
        env=clean,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("command", "words"), [("serve", "migrations"), ("migrate", "lock"), ("demo", "again")])
def test_each_command_explains_itself(command: str, words: str) -> None:
    done = pitstop(command, "--help")
    assert done.returncode == 0
    assert words in done.stdout


def test_top_level_help_lists_the_commands() -> None:
    done = pitstop("--help")
    assert done.returncode == 0
    for command in ("serve", "migrate", "demo"):
        assert command in done.stdout


def test_demo_is_refused_in_production(tmp_path) -> None:
    done = pitstop(
        "demo",
        PITSTOP_ENV="production",
        PITSTOP_DATABASE_URL="postgresql://pitstop_app@127.0.0.1:1/none",
        PITSTOP_SECRET_KEY="k" * 40,
        PITSTOP_BASE_URL="https://pitstop.example",
        PITSTOP_DATA_DIR=str(tmp_path),
    )
    assert done.returncode == 2
    assert "never loaded in production" in done.stderr


def test_a_configuration_error_is_one_clear_line(tmp_path) -> None:
    done = pitstop("serve", PITSTOP_ENV="production", PITSTOP_DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("pitstop: configuration error: PITSTOP_DATABASE_URL is required")
    assert "Traceback" not in done.stderr


# ---- operator commands: partnerships, agencies, users, tokens --------------------------------

PASSWORD = "kettle-orbit-meadow-42"
ADMIN_AGENCY = "Northfield Children's Social Care"


def database_env(database: TestDatabase, data_dir: Path) -> dict[str, str]:
    return {
        "PITSTOP_DATABASE_URL": database.app_url,
        "PITSTOP_MIGRATION_DATABASE_URL": database.owner_url,
        "PITSTOP_DATA_DIR": str(data_dir),
        "PITSTOP_MIGRATE_ON_START": "false",
        "PITSTOP_LOG_LEVEL": "WARNING",
    }


async def run(conn: asyncpg.Connection, *argv: str, password: str | None = None) -> cli.Output:
    """An operator command as `pitstop` runs it (one transaction), without starting a process."""
    return await cli.execute(conn, cli.build_parser().parse_args(argv), password)


async def partnership_with_agency(conn: asyncpg.Connection, slug: str = "northfield") -> int:
    partnership, _ = await cli.create_partnership(
        conn,
        NewPartnership(
            slug=slug, name=f"{slug.title()} Partnership", council_area=slug.title(), police_force="Constabulary"
        ),
    )
    await cli.create_agency(conn, partnership=slug, name=ADMIN_AGENCY, agency_type="childrens_social_care")
    return partnership.id


async def count(conn: asyncpg.Connection, table: str) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {table}")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (("partnerships", "create"), "already exists"),
        (("agencies", "create"), "childrens_social_care"),
        (("users", "create"), "--password-stdin"),
        (("users", "list"), "never their passwords"),
        (("tokens", "create"), "shown again"),
    ],
)
def test_each_operator_command_explains_itself(
    command: tuple[str, ...], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args([*command, "--help"])  # in-process: a process each is slow
    assert exited.value.code == 0
    assert words in " ".join(capsys.readouterr().out.split())


async def test_the_first_admin_from_an_empty_database(
    database: TestDatabase, owner: asyncpg.Connection, tmp_path: Path
) -> None:
    env = database_env(database, tmp_path)
    done = pitstop(
        "partnerships",
        "create",
        "--slug=northfield",
        "--name=Northfield Safeguarding Partnership",
        "--council-area=Northfield",
        "--police-force=Northfield Constabulary",
        **env,
    )
    assert done.returncode == 0, done.stderr
    assert "created partnership northfield" in done.stdout
    done = pitstop("agencies", "create", "--name", ADMIN_AGENCY, "--type", "childrens_social_care", **env)
    assert done.returncode == 0, done.stderr
    done = pitstop(
        "users",
        "create",
        "--email=Ada.Admin@Northfield.example",
        "--name=Ada Admin",
        "--agency=northfield children's social care",  # agency names match whatever the case
        "--role=admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        **env,
    )
    assert done.returncode == 0, done.stderr
    assert "must change password at first sign-in" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr

    user = await owner.fetchrow(
        """SELECT u.id, u.roles, u.password_hash, u.must_change_password, u.active
             FROM app_user u WHERE u.email = 'ada.admin@northfield.example'"""
    )
    assert f"created user {user['id']}" in done.stdout
    assert user["roles"] == ["admin"]
    assert user["password_hash"].startswith("$argon2id$")
    assert user["must_change_password"] is True
    assert user["active"] is True
    audit = await owner.fetchrow(
        "SELECT user_id, partnership_id, record_id FROM audit_event WHERE action = 'user_created'"
    )
    assert audit["user_id"] is None  # the operator is nobody's account
    assert audit["partnership_id"] is not None
    assert audit["record_id"] == str(user["id"])


async def test_users_create_names_every_bad_option_and_never_echoes_the_password(
    database: TestDatabase, owner: asyncpg.Connection, tmp_path: Path
) -> None:
    await partnership_with_agency(owner)
    weak = "Sh0rt-pw"
    done = pitstop(
        "users",
        "create",
        "--email=not-an-email",
        "--name=Ada Admin",
        "--agency=Nowhere",
        "--role=admin",
        "--role=overlord",
        "--password-stdin",
        stdin=weak + "\n",
        **database_env(database, tmp_path),
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert any(line.startswith("--email: ") for line in lines)
    assert any(line.startswith("--agency: ") and "Nowhere" in line for line in lines)
    assert any(line.startswith("--role: ") and "overlord" in line for line in lines)
    assert "password on stdin: Password must be 12 characters or more" in lines
    assert weak not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert await count(owner, "app_user") == 0


def test_users_create_refuses_an_empty_stdin(database: TestDatabase, tmp_path: Path) -> None:
    args = ("users", "create", "--email=a@b.example", "--name=A", "--agency=X", "--role=admin")
    env = database_env(database, tmp_path)
    done = pitstop(*args, "--password-stdin", stdin="", **env)
    assert done.returncode == 2
    assert "nothing was read" in done.stderr
    done = pitstop(*args, stdin="", **env)  # no --password-stdin, and no terminal to ask on
    assert done.returncode == 2
    assert "--password-stdin" in done.stderr


def test_operator_commands_want_a_migrated_database(empty_database: TestDatabase, tmp_path: Path) -> None:
    done = pitstop("users", "list", **database_env(empty_database, tmp_path))
    assert done.returncode == 1
    assert "run `pitstop migrate`" in done.stderr


async def test_tokens_create_prints_only_a_token_that_works(
    database: TestDatabase, owner: asyncpg.Connection, tmp_path: Path
) -> None:
    await partnership_with_agency(owner)
    made = await run(
        owner,
        *("users", "create", "--email=feed@northfield.example", "--name=Records Feed"),
        *("--agency", ADMIN_AGENCY, "--role=coordinator"),
        password=PASSWORD,
    )
    assert made.code == 0, made.err
    done = pitstop(
        *("tokens", "create", "--email=feed@northfield.example", "--name=Police records system"),
        *("--scope=notifications:write", "--scope", "actions:read"),
        **database_env(database, tmp_path),
    )
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip()
    assert done.stdout == secret + "\n"  # the token, alone, for `TOKEN=$(pitstop tokens create ...)`
    assert "shown only this once" in done.stderr
    assert secret not in done.stderr

    pool = await create_pool(database.app_url, min_size=1, max_size=1)
    try:
        identity = await tokens.resolve(pool, secret)
    finally:
        await pool.close()
    assert identity is not None
    assert identity.email == "feed@northfield.example"
    assert identity.scopes == {Scope.NOTIFICATIONS_WRITE, Scope.ACTIONS_READ}
    row = await owner.fetchrow("SELECT token_hash, expires_at - created_at AS lifetime, created_by FROM api_token")
    assert row["token_hash"] != secret
    assert row["lifetime"].days == tokens.DEFAULT_DAYS
    assert row["created_by"] is None
    audit = await owner.fetchrow("SELECT user_id FROM audit_event WHERE action = 'token_created'")
    assert audit["user_id"] is None


async def test_tokens_create_refuses_scopes_the_users_roles_do_not_allow(owner: asyncpg.Connection) -> None:
    await partnership_with_agency(owner)
    await run(
        owner,
        *("users", "create", "--email=admin@northfield.example", "--name=Ada Admin"),
        *("--agency", ADMIN_AGENCY, "--role=admin", "--role=agency_member"),
        password=PASSWORD,
    )
    done = await run(
        owner, "tokens", "create", "--email=admin@northfield.example", "--name=x", "--scope=notifications:read"
    )
    assert done.code == 2
    assert done.err == [
        "--scope: Ada Admin's roles do not allow: notifications:read "
        "(their roles allow: actions:read, actions:write, meetings:read)"
    ]
    done = await run(owner, "tokens", "create", "--email=nobody@northfield.example", "--name=x", "--scope=bogus")
    assert done.code == 2
    assert done.err[0].startswith("--email: ")
    assert done.err[1].startswith("--scope: unknown scope 'bogus'")
    done = await run(
        owner, "tokens", "create", "--email=admin@northfield.example", "--name=x", "--scope=actions:read", "--days=0"
    )
    assert done.err == ["--days: Expiry must be between 1 and 365 days"]
    assert await count(owner, "api_token") == 0


async def test_partnerships_create_is_safe_to_repeat(owner: asyncpg.Connection) -> None:
    args = ("partnerships", "create", "--slug=hull", "--name=Hull", "--council-area=Hull", "--police-force=Humberside")
    first = await run(owner, *args)
    assert first.code == 0
    assert first.out[0].startswith("created partnership hull")
    again = await run(owner, *args)
    assert again.code == 0
    assert again.out[0].startswith("already exists: partnership hull")
    different = await run(owner, *args[:-1], "--police-force=Humberside Police")
    assert different.code == 1
    assert "already exists with different details; nothing was changed" in different.err[0]
    assert "--police-force is 'Humberside', not 'Humberside Police'" in different.err[1]
    assert await owner.fetchval("SELECT police_force FROM partnership WHERE slug = 'hull'") == "Humberside"
    bad = await run(
        owner, "partnerships", "create", "--slug=Hull City", "--name= ", "--council-area=H", "--police-force=P"
    )
    assert bad.code == 2
    assert [line.split(":")[0] for line in bad.err] == ["--slug", "--name"]

    listed = await run(owner, "partnerships", "list")
    assert listed.out[0].split() == ["id", "slug", "name", "council", "area", "police", "force"]
    assert "hull" in listed.out[1]


async def test_agencies_create_lists_the_valid_types_and_is_safe_to_repeat(owner: asyncpg.Connection) -> None:
    await partnership_with_agency(owner)
    bad = await run(owner, "agencies", "create", "--name=Northfield Police", "--type=cops")
    assert bad.code == 2
    assert bad.err[0] == "--type: unknown agency type 'cops'; use one of:"
    codes = {line.split()[0] for line in bad.err[1:]}
    assert codes == {r["code"] for r in await owner.fetch("SELECT code FROM agency_type")}

    again = await run(owner, "agencies", "create", "--name", ADMIN_AGENCY.upper(), "--type=childrens_social_care")
    assert again.code == 0
    assert again.out[0].startswith("already exists: agency")
    other_type = await run(owner, "agencies", "create", "--name", ADMIN_AGENCY, "--type=police")
    assert other_type.code == 1
    created = await run(
        owner, "agencies", "create", "--partnership=northfield", "--name=Northfield Police", "--type=police"
    )
    assert created.code == 0
    assert await count(owner, "agency") == 2
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'agency_created'") == 2

    listed = await run(owner, "agencies", "list")
    assert [line.split()[1] for line in listed.out[1:]] == ["Northfield", "Northfield"]
    assert "police" in listed.out[1]  # in the agency types' order


async def test_partnership_may_be_left_out_only_when_there_is_one(owner: asyncpg.Connection) -> None:
    none = await run(owner, "agencies", "list")
    assert none.code == 1
    assert "pitstop partnerships create" in none.err[0]
    await partnership_with_agency(owner, "northfield")
    assert (await run(owner, "agencies", "list")).code == 0
    await partnership_with_agency(owner, "southfield")
    several = await run(owner, "agencies", "list")
    assert several.code == 2
    assert several.err == ["--partnership: there are 2 partnerships; give the slug of one of: northfield, southfield"]
    unknown = await run(owner, "agencies", "list", "--partnership=eastfield")
    assert unknown.err == ["--partnership: no partnership with the slug 'eastfield'; there are: northfield, southfield"]
    assert (await run(owner, "agencies", "list", "--partnership=southfield")).code == 0


async def test_users_create_creates_nothing_unless_everything_is_right(owner: asyncpg.Connection) -> None:
    await partnership_with_agency(owner)
    base = ("users", "create", "--email=ada@northfield.example", "--name=Ada Admin", "--agency", ADMIN_AGENCY)
    # One good role and one unknown: refused, not created with the good one.
    done = await run(owner, *base, "--role=admin", "--role=superuser", password=PASSWORD)
    assert done.code == 2
    assert done.err == ["--role: unknown role 'superuser'; use coordinator, agency_member, manager, admin"]
    done = await run(owner, *base, "--role=admin", password="aaaaaaaaaaaaaaaa")
    assert done.err == ["password on stdin: Password must not repeat the same few characters"]
    done = await run(owner, *base, "--role=admin", password="Ada Admin")
    assert done.err == ["password on stdin: Password must be 12 characters or more"]
    assert await count(owner, "app_user") == 0
    # The partnership's and the agency's, from arranging: nothing from the refusals.
    assert await count(owner, "audit_event") == 2

    done = await run(owner, *base, "--role=Agency-Member,coordinator", password=PASSWORD)
    assert done.code == 0, done.err
    user = await owner.fetchrow("SELECT roles, must_change_password FROM app_user")
    assert user["roles"] == ["coordinator", "agency_member"]
    assert user["must_change_password"] is True
    done = await run(owner, *base, "--role=admin", password=PASSWORD)
    assert done.err == ["--email: A user with this email address already exists"]


async def test_users_list_shows_users_and_never_passwords(owner: asyncpg.Connection) -> None:
    await partnership_with_agency(owner)
    await run(
        owner,
        *("users", "create", "--email=ada@northfield.example", "--name=Ada Admin"),
        *("--agency", ADMIN_AGENCY, "--role=admin"),
        password=PASSWORD,
    )
    listed = await run(owner, "users", "list")
    assert listed.code == 0
    assert listed.out[0].split() == ["id", "email", "name", "agency", "roles", "active"]
    assert "ada@northfield.example" in listed.out[1]
    assert listed.out[1].split()[-2:] == ["admin", "yes"]
    text = "\n".join(listed.out)
    assert "argon2" not in text
    assert PASSWORD not in text
    await partnership_with_agency(owner, "southfield")
    both = await run(owner, "users", "list")
    assert "Southfield Partnership (southfield)" in both.out
    assert "no users yet" in both.out


async def test_notifications_import_prints_the_report_and_keeps_the_record(
    owner: asyncpg.Connection, tmp_path: Path
) -> None:
    await partnership_with_agency(owner)
    extract = tmp_path / "drop-2026-11-24.csv"
    extract.write_text(HEADER + incident("14/1/26") + incident("14/2/26", grade="Severe"), encoding="utf-8")
    refused = await run(owner, "notifications", "import", str(extract))
    assert refused.code == 1
    assert refused.out[0].startswith("import 1 of drop-2026-11-24.csv: rejected; 6 rows, 2 incidents: 0 new")
    assert refused.err == [
        "line 6, Grade (14/2/26): 'Severe' is not a grade: use Standard, Medium or High, or add the force's word"
    ]
    assert await count(owner, "notification") == 0
    partly = await run(owner, "notifications", "import", "--mode", "good_incidents", str(extract))
    assert partly.code == 1
    assert "partly imported" in partly.out[0]
    assert await count(owner, "notification") == 1
    assert await count(owner, "notification_import") == 2
    missing = await run(owner, "notifications", "import", str(tmp_path / "nothing.csv"))
    assert missing.code == 1
    assert "there is no file" in missing.err[0]

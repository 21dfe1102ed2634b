"""The `pitstop` command: serve, migrate, demo, and the operator's partnerships, agencies, users and tokens.

Operator commands act as no user (`actor=None`; their audit rows carry no user id), connect as the
schema owner, and do all their work in one transaction: either everything a command says it did
happened, or nothing did. Passwords are read from stdin or a terminal prompt, never from the command
line, and are never printed or logged.

Exit status: 0 done (or already done), 1 refused because of what is in the database, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg

from pitstop import __version__
from pitstop.accounts import passwords, tokens
from pitstop.accounts import queries as accounts
from pitstop.accounts import service as account_service
from pitstop.accounts.models import Agency, NewPartnership, Partnership, Role, Scope, User
from pitstop.accounts.policy import scopes_allowed
from pitstop.audit.service import Origin
from pitstop.db import migrate as migrations
from pitstop.db.locate import database_urls
from pitstop.db.pool import connect
from pitstop.errors import Invalid, NotFound
from pitstop.invites import service as invites
from pitstop.logs import configure as configure_logging
from pitstop.notifications.imports import service as import_service
from pitstop.notifications.imports.models import ImportMode, ImportOutcome
from pitstop.settings import Settings, SettingsError, load_settings

log = logging.getLogger("pitstop.cli")

OPERATOR = Origin(request_id=None, client_addr=None)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class CommandError(Exception):
    """The command cannot do what was asked: its lines go to stderr, and it exits with `code`."""

    def __init__(self, *lines: str, code: int = 2) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = list(lines)
        self.code = code


@dataclass(slots=True)
class Output:
    """What a command prints once its transaction has committed: stdout lines, stderr lines, exit status."""

    code: int = 0
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)


Handler = Callable[[asyncpg.Connection, argparse.Namespace, str | None], Awaitable[Output]]


# ---- helpers --------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    every = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in every) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in every]


def field_errors(errors: Mapping[str, str], options: Mapping[str, str]) -> list[str]:
    """`Invalid` errors as `--option: message` lines, in the order the options are documented."""
    order = {name: i for i, name in enumerate(options)}
    lines: list[str] = []
    for name, message in sorted(errors.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        lines += f"{options.get(name, '--' + name.replace('_', '-'))}: {message}".splitlines()
    return lines


def _words(values: Sequence[str]) -> list[str]:
    """`--role a --role b` and `--role a,b` alike."""
    return [word.strip() for value in values for word in value.split(",") if word.strip()]


def parse_roles(values: Sequence[str]) -> tuple[list[Role], list[str]]:
    """The roles named, and the words that name no role (agency-member and agency_member alike)."""
    known = {role.value: role for role in Role}
    roles, unknown = [], []
    for word in _words(values):
        role = known.get(word.lower().replace("-", "_"))
        if role is None:
            unknown.append(word)
        elif role not in roles:
            roles.append(role)
    return roles, unknown


def parse_scopes(values: Sequence[str]) -> tuple[list[Scope], list[str]]:
    known = {scope.value: scope for scope in Scope}
    scopes, unknown = [], []
    for word in _words(values):
        scope = known.get(word.lower())
        if scope is None:
            unknown.append(word)
        elif scope not in scopes:
            scopes.append(scope)
    return scopes, unknown


async def find_partnership(conn: asyncpg.Connection, slug: str | None) -> Partnership:
    """The partnership named by --partnership, or the only one there is."""
    every = await accounts.list_partnerships(conn)
    known = ", ".join(sorted(p.slug for p in every))
    if slug is not None:
        found = await accounts.partnership_by_slug(conn, slug.strip())
        if found is None:
            hint = f"; there are: {known}" if every else "; there are none yet"
            raise Invalid({"partnership": f"no partnership with the slug {slug.strip()!r}{hint}"})
        return found
    if len(every) == 1:
        return every[0]
    if not every:
        raise CommandError("there is no partnership yet: create one first with `pitstop partnerships create`", code=1)
    raise Invalid({"partnership": f"there are {len(every)} partnerships; give the slug of one of: {known}"})


# ---- partnerships ---------------------------------------------------------------------------

PARTNERSHIP_OPTIONS = {
    "slug": "--slug",
    "name": "--name",
    "council_area": "--council-area",
    "police_force": "--police-force",
}


async def create_partnership(conn: asyncpg.Connection, new: NewPartnership) -> tuple[Partnership, bool]:
    """Create the partnership; if its slug exists with the same details, return it and False."""
    new = NewPartnership(
        slug=new.slug.strip(),
        name=new.name.strip(),
        council_area=new.council_area.strip(),
        police_force=new.police_force.strip(),
    )
    errors: dict[str, str] = {}
    if not _SLUG.match(new.slug):
        errors["slug"] = "Use 2 to 63 lower-case letters, digits and hyphens, starting with a letter or digit"
    if not new.name:
        errors["name"] = "Enter the partnership's name"
    if not new.council_area:
        errors["council_area"] = "Enter the council area"
    if not new.police_force:
        errors["police_force"] = "Enter the police force"
    if errors:
        raise Invalid(errors)
    partnership, created = await account_service.ensure_partnership(conn, new, OPERATOR)
    if created:
        return partnership, True
    differences = [
        f"{option} is {getattr(partnership, name)!r}, not {getattr(new, name)!r}"
        for name, option in PARTNERSHIP_OPTIONS.items()
        if getattr(partnership, name) != getattr(new, name)
    ]
    if differences:
        raise CommandError(
            f"partnership {new.slug!r} already exists with different details; nothing was changed:",
            *(f"  {difference}" for difference in differences),
            code=1,
        )
    return partnership, False


async def _partnerships_create(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    new = NewPartnership(slug=args.slug, name=args.name, council_area=args.council_area, police_force=args.police_force)
    partnership, created = await create_partnership(conn, new)
    what = "created" if created else "already exists:"
    return Output(out=[f"{what} partnership {partnership.slug} ({partnership.name}), id {partnership.id}"])


async def _partnerships_list(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    every = await accounts.list_partnerships(conn)
    if not every:
        return Output(err=["there are no partnerships yet: create one with `pitstop partnerships create`"])
    rows = [(str(p.id), p.slug, p.name, p.council_area, p.police_force) for p in every]
    return Output(out=table(("id", "slug", "name", "council area", "police force"), rows))


# ---- agencies -------------------------------------------------------------------------------

AGENCY_OPTIONS = {"name": "--name", "agency_type": "--type"}


async def create_agency(
    conn: asyncpg.Connection, *, partnership: str | None, name: str, agency_type: str
) -> tuple[Agency, bool]:
    """Create the agency; if one of that name and type exists, return it and False."""
    home = await find_partnership(conn, partnership)
    code = agency_type.strip().lower()
    existing = await accounts.agency_by_name(conn, home.id, name.strip()) if name.strip() else None
    if existing is not None:
        if existing.agency_type != code:
            raise CommandError(
                f"agency {existing.name!r} already exists in {home.slug} with the type {existing.agency_type!r}, "
                f"not {code!r}; nothing was changed",
                code=1,
            )
        return existing, False
    try:
        created = await account_service.create_agency(
            conn, actor=None, partnership_id=home.id, name=name, agency_type=code, origin=OPERATOR
        )
    except Invalid as exc:
        if "agency_type" in exc.errors:
            types = await accounts.agency_types(conn)
            width = max(len(t.code) for t in types)
            exc.errors["agency_type"] = "\n".join(
                [f"unknown agency type {code!r}; use one of:", *(f"  {t.code.ljust(width)}  {t.label}" for t in types)]
            )
        raise
    return created, True


async def _agencies_create(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    agency, created = await create_agency(conn, partnership=args.partnership, name=args.name, agency_type=args.type)
    what = "created" if created else "already exists:"
    state = "" if agency.active else " (deactivated)"
    return Output(out=[f"{what} agency {agency.name} ({agency.agency_type}), id {agency.id}{state}"])


async def _agencies_list(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    home = await find_partnership(conn, args.partnership)
    every = await accounts.list_agencies(conn, home.id)
    if not every:
        return Output(err=[f"{home.slug} has no agencies yet: add one with `pitstop agencies create`"])
    rows = [(str(a.id), a.name, a.agency_type, "yes" if a.active else "no") for a in every]
    return Output(out=table(("id", "name", "type", "active"), rows))


# ---- users ----------------------------------------------------------------------------------

USER_OPTIONS = {
    "email": "--email",
    "name": "--name",
    "agency_id": "--agency",
    "roles": "--role",
    "password": "password on stdin",
}


async def create_user(
    conn: asyncpg.Connection,
    *,
    partnership: str | None,
    email: str,
    name: str,
    agency: str,
    roles: Sequence[str],
    password: str,
) -> User:
    """Create a user who must change this initial password at first sign-in."""
    home = await find_partnership(conn, partnership)
    parsed, unknown = parse_roles(roles)
    found = await accounts.agency_by_name(conn, home.id, agency.strip()) if agency.strip() else None
    ours: dict[str, str] = {}
    if unknown:
        ours["roles"] = f"unknown role {', '.join(map(repr, unknown))}; use {', '.join(r.value for r in Role)}"
    if found is None:
        names = ", ".join(repr(a.name) for a in await accounts.list_agencies(conn, home.id))
        ours["agency_id"] = (
            f"no agency called {agency.strip()!r} in {home.slug}; its agencies are: {names}"
            if names
            else f"{home.slug} has no agencies yet: add one with `pitstop agencies create`"
        )
    # With a problem of ours the service is sure to refuse too (no agency 0, no roles), and reports the rest.
    new = account_service.NewUser(
        email=email,
        name=name,
        agency_id=found.id if found else 0,
        roles=[] if unknown else parsed,
        password=password,
    )
    try:
        return await account_service.create_user(conn, actor=None, partnership_id=home.id, new=new, origin=OPERATOR)
    except Invalid as exc:
        raise Invalid(exc.errors | ours) from None


async def _users_create(conn: asyncpg.Connection, args: argparse.Namespace, password: str | None) -> Output:
    assert password is not None
    user = await create_user(
        conn,
        partnership=args.partnership,
        email=args.email,
        name=args.name,
        agency=args.agency,
        roles=args.role,
        password=password,
    )
    roles = ", ".join(r.value for r in user.roles)
    return Output(
        out=[
            f"created user {user.id}: {user.name} <{user.email}>, {roles}, {user.agency_name}",
            "must change password at first sign-in",
        ]
    )


async def _users_list(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    if args.partnership is not None:
        chosen = [await find_partnership(conn, args.partnership)]
    else:
        chosen = await accounts.list_partnerships(conn)
    out: list[str] = []
    for partnership in chosen:
        users = await accounts.list_users(conn, partnership.id)
        if len(chosen) > 1:
            out += ([""] if out else []) + [f"{partnership.name} ({partnership.slug})"]
        rows = [
            (str(u.id), u.email, u.name, u.agency_name, ",".join(r.value for r in u.roles), "yes" if u.active else "no")
            for u in users
        ]
        out += table(("id", "email", "name", "agency", "roles", "active"), rows) if rows else ["no users yet"]
    if not chosen:
        return Output(err=["there are no partnerships yet: create one with `pitstop partnerships create`"])
    return Output(out=out)


# ---- API tokens -----------------------------------------------------------------------------

TOKEN_OPTIONS = {"user_id": "--email", "name": "--name", "scopes": "--scope", "days": "--days"}


async def create_token(
    conn: asyncpg.Connection, *, email: str, name: str, scopes: Sequence[str], days: int = tokens.DEFAULT_DAYS
) -> tokens.NewToken:
    owner = await accounts.user_by_email(conn, email)
    parsed, unknown = parse_scopes(scopes)
    ours: dict[str, str] = {}
    if unknown:
        ours["scopes"] = f"unknown scope {', '.join(map(repr, unknown))}; use {', '.join(s.value for s in Scope)}"
    if owner is None:
        raise Invalid({"user_id": "There is no user with this email address", **ours})
    try:
        return await tokens.create(
            conn,
            actor=None,
            user_id=owner.id,
            name=name,
            scopes=[] if unknown else parsed,
            days=days,
            origin=OPERATOR,
        )
    except Invalid as exc:
        errors = exc.errors | ours
        if "scopes" in errors and not unknown:
            allowed = sorted(s.value for s in scopes_allowed(frozenset(owner.roles)))
            errors["scopes"] += f" (their roles allow: {', '.join(allowed) or 'none'})"
        raise Invalid(errors) from None


async def _tokens_create(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    new = await create_token(conn, email=args.email, name=args.name, scopes=args.scope, days=args.days)
    token = new.token
    return Output(
        out=[new.secret],
        err=[
            f"created API token {token.id} {token.name!r} for {args.email.strip().lower()}: "
            f"{', '.join(s.value for s in token.scopes)}; expires {token.expires_at:%Y-%m-%d %H:%M} UTC.",
            "The token above is shown only this once and cannot be shown again: store it now. "
            f"If it is lost, revoke it (`pitstop tokens revoke --id {token.id}`) and create another.",
        ],
    )


async def _tokens_revoke(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    try:
        token = await tokens.revoke(conn, actor=None, token_id=args.id, origin=OPERATOR)
    except NotFound:
        raise CommandError(f"there is no API token {args.id} (see the API tokens admin page)", code=1) from None
    return Output(out=[f"revoked API token {token.id} {token.name!r} (acting as {token.user_name})"])


async def _file_chunks(path: str) -> AsyncIterator[bytes]:
    with open(path, "rb") as handle:  # noqa: ASYNC230 - an operator's command, nothing else waits on it
        while chunk := handle.read(1 << 16):
            yield chunk


async def _notifications_import(conn: asyncpg.Connection, args: argparse.Namespace, _: str | None) -> Output:
    partnership = await find_partnership(conn, args.partnership)
    if not os.path.isfile(args.file):  # noqa: ASYNC240 - an operator command; nothing else waits
        raise CommandError(f"there is no file {args.file}", code=1)
    report = await import_service.import_extract(
        conn,
        actor=None,
        partnership_id=partnership.id,
        chunks=_file_chunks(args.file),
        file_name=os.path.basename(args.file),
        mode=ImportMode(args.mode),
        origin=OPERATOR,
    )
    summary = (
        f"import {report.id} of {report.file_name}: {report.outcome.value.replace('_', ' ')}; "
        f"{report.rows_read} rows, {report.incidents_read} incidents: {report.created} new, {report.updated} "
        f"updated, {report.unchanged} unchanged, {report.incidents_rejected} not imported"
    )
    problems = [
        f"line {e.line}"
        + (f", {e.column}" if e.column else "")
        + (f" ({e.reference})" if e.reference else "")
        + f": {e.message}"
        for e in report.errors
    ]
    if report.errors_total > len(report.errors):
        problems.append(f"... and {report.errors_total - len(report.errors)} more")
    code = 0 if report.outcome is ImportOutcome.IMPORTED else 1
    return Output(out=[summary], err=problems, code=code)


# ---- running operator commands --------------------------------------------------------------


async def execute(conn: asyncpg.Connection, args: argparse.Namespace, password: str | None = None) -> Output:
    """Run one operator command in one transaction; refusals become an Output, and nothing is kept."""
    try:
        async with conn.transaction(readonly=args.readonly):
            return await args.handler(conn, args, password)
    except CommandError as exc:
        return refusal(args, exc)
    except Invalid as exc:
        return Output(code=2, err=field_errors(exc.errors, args.options))


def refusal(args: argparse.Namespace, exc: CommandError) -> Output:
    """A CommandError as output: its first line names the command."""
    name = " ".join(part for part in (args.command, getattr(args, "action", None)) if part)
    return Output(
        code=exc.code, err=[f"pitstop {name}: {line}" if i == 0 else line for i, line in enumerate(exc.lines)]
    )


def _emit(done: Output) -> int:
    for line in done.out:
        print(line)
    for line in done.err:
        print(line, file=sys.stderr)
    return done.code


@asynccontextmanager
async def operator_connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the schema owner to a database whose schema is up to date."""
    async with database_urls(settings) as urls:
        conn = await connect(urls.owner)
        try:
            pending = migrations.check(migrations.discover(), await migrations.applied(conn))
            if pending:
                names = ", ".join(f"{m.version:04d}_{m.name}" for m in pending)
                raise CommandError(f"the database needs migrating first: run `pitstop migrate` ({names})", code=1)
            yield conn
        finally:
            await conn.close()


async def _operate(settings: Settings, args: argparse.Namespace, password: str | None) -> int:
    try:
        async with operator_connection(settings) as conn:
            done = await execute(conn, args, password)
    except CommandError as exc:
        done = refusal(args, exc)
    return _emit(done)


def read_password(args: argparse.Namespace) -> str:
    """The new user's password: the first line of stdin, or asked for twice on a terminal."""
    stdin = sys.stdin
    if args.password_stdin:
        if stdin is None:
            raise CommandError("password on stdin: there is no stdin to read it from")
        # On a terminal, ask without echoing; from a pipe, the first line without its line break.
        tty = stdin.isatty()
        password = getpass.getpass("Password for the new user: ") if tty else stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(
                "password on stdin: nothing was read; pipe the password in, for example: "
                "printf '%s\\n' \"$PASSWORD\" | pitstop users create ... --password-stdin"
            )
        return password
    if stdin is not None and stdin.isatty():
        password = getpass.getpass("Password for the new user: ")
        if getpass.getpass("The same password again: ") != password:
            raise CommandError("password: the two passwords do not match")
        return password
    raise CommandError("give --password-stdin and pipe the password in (it is never taken from the command line)")


# ---- serve, migrate, demo -------------------------------------------------------------------


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from pitstop.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    log.info("serving", extra={"host": host, "port": port, "env": settings.env.value})
    app = create_app(settings)
    # What is loaded by now (modules, the app, its templates) lives as long as the process: keep it
    # out of every garbage collection, which a bulk import otherwise spends a tenth of its time on.
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,  # ours logs the path without the query string
        log_config=None,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return 0


async def _migrate(settings: Settings) -> int:
    async with database_urls(settings) as urls:
        applied = await migrations.migrate(urls.owner)
    if applied:
        for migration in applied:
            print(f"applied {migration.version:04d}_{migration.name}")
    else:
        print("the database is up to date")
    return 0


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from pitstop import demo

    if settings.production:
        print("pitstop demo: refused: demo data is never loaded in production", file=sys.stderr)
        return 2
    if args.password is not None and (problem := passwords.problem(args.password)):
        print(f"pitstop demo: --password: {problem}", file=sys.stderr)
        return 2
    async with database_urls(settings) as urls:
        await migrations.migrate(urls.owner)
        conn = await connect(urls.owner)
        try:
            report = await demo.load(conn, args.password)
        except Invalid as exc:
            for line in field_errors(exc.errors, {"password": "--password"}):
                print(f"pitstop demo: {line}", file=sys.stderr)
            return 2
        finally:
            await conn.close()
    for line in report.lines():
        print(line)
    print()
    if report.created_anything:
        print(f"Sign in at {settings.base_url.rstrip('/')}/sign-in. Everything here is fictional.")
    else:
        print("Nothing new: the demo data was already there, and no password was changed.")
    return 0


# ---- the parser -----------------------------------------------------------------------------


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions, but keeps text with line breaks (an example) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _operator_command(
    group: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    handler: Handler,
    *,
    help: str,
    description: str,
    options: Mapping[str, str] | None = None,
    readonly: bool = False,
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    parser = group.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=_Formatter,
    )
    parser.set_defaults(handler=handler, options=dict(options or {}), readonly=readonly)
    return parser


def _add_operator_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    roles = ", ".join(r.value for r in Role)
    scopes = ", ".join(s.value for s in Scope)

    partnerships = commands.add_parser(
        "partnerships",
        help="create and list partnerships",
        description="A partnership is one council area with its police force; everything else belongs to one.",
    )
    actions = partnerships.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _operator_command(
        actions,
        "create",
        _partnerships_create,
        help="create a partnership",
        description=(
            "Create a partnership. Running it again with the same details says it already exists "
            "(exit 0); with a slug that exists with different details it changes nothing (exit 1)."
        ),
        options=PARTNERSHIP_OPTIONS,
    )
    create.add_argument("--slug", required=True, help="short name for addresses, e.g. northfield")
    create.add_argument("--name", required=True, help="e.g. 'Northfield Safeguarding Partnership'")
    create.add_argument("--council-area", required=True, help="the local authority area")
    create.add_argument("--police-force", required=True, help="the police force for the area")
    _operator_command(
        actions, "list", _partnerships_list, help="list partnerships", description="List partnerships.", readonly=True
    )

    agencies = commands.add_parser(
        "agencies", help="create and list agencies", description="The agencies that take part in a partnership."
    )
    actions = agencies.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _operator_command(
        actions,
        "create",
        _agencies_create,
        help="create an agency",
        description=(
            "Create an agency in a partnership. An agency of that name and type already there is left as "
            "it is (exit 0); of that name and another type, nothing is changed (exit 1)."
        ),
        options=AGENCY_OPTIONS,
    )
    create.add_argument("--partnership", metavar="SLUG", help="may be left out when there is only one partnership")
    create.add_argument("--name", required=True, help="e.g. 'Northfield Constabulary'")
    create.add_argument(
        "--type", required=True, metavar="CODE", help="agency type code, e.g. police, childrens_social_care, health"
    )
    listing = _operator_command(
        actions,
        "list",
        _agencies_list,
        help="list agencies",
        description="List a partnership's agencies.",
        readonly=True,
    )
    listing.add_argument("--partnership", metavar="SLUG", help="may be left out when there is only one partnership")

    users = commands.add_parser(
        "users",
        help="create and list users",
        description="Users sign in with their email address. They are deactivated on the admin pages, never deleted.",
    )
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _operator_command(
        actions,
        "create",
        _users_create,
        help="create a user (the first administrator, for example)",
        description=(
            "Create a user with an initial password, which they must change at first sign-in. The password "
            "is read from the first line of stdin with --password-stdin (or asked for twice on a terminal); "
            "it is never taken from the command line, printed or logged."
        ),
        epilog=(
            "example, the first administrator:\n"
            "  printf '%s\\n' \"$PASSWORD\" | pitstop users create --email admin@council.example \\\n"
            "      --name 'Alex Admin' --agency \"Children's Social Care\" --role admin --password-stdin"
        ),
        options=USER_OPTIONS,
    )
    create.add_argument("--partnership", metavar="SLUG", help="may be left out when there is only one partnership")
    create.add_argument("--email", required=True, help="their work email address; they sign in with it")
    create.add_argument("--name", required=True, help="their full name")
    create.add_argument("--agency", required=True, metavar="NAME", help="their agency's name (see `agencies list`)")
    create.add_argument("--role", required=True, action="append", metavar="ROLE", help=f"repeat for several: {roles}")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the initial password from the first line of stdin"
    )
    listing = _operator_command(
        actions,
        "list",
        _users_list,
        help="list users",
        description="List users (never their passwords): every partnership's, or one's.",
        readonly=True,
    )
    listing.add_argument("--partnership", metavar="SLUG", help="only this partnership's users")

    notifications = commands.add_parser(
        "notifications",
        help="import the police's daily extract",
        description="Notifications from the police, for an operator's scheduled jobs.",
    )
    actions = notifications.add_subparsers(dest="action", required=True, metavar="ACTION")
    importing = _operator_command(
        actions,
        "import",
        _notifications_import,
        options={"partnership": "--partnership"},
        help="import a CSV extract into a partnership",
        description=(
            "Import the police's CSV extract, read with the partnership's import settings, exactly as the "
            "import page does, and print the report. Exit 0 when everything was imported (or found unchanged), "
            "1 when anything was not (each problem is printed on stderr with its line and column)."
        ),
        epilog="example:\n  pitstop notifications import --partnership northfield /srv/drop/extract-2026-11-24.csv",
    )
    importing.add_argument("--partnership", metavar="SLUG", help="needed when there is more than one")
    importing.add_argument(
        "--mode",
        choices=[m.value for m in ImportMode],
        default=ImportMode.ALL_OR_NOTHING.value,
        help="all_or_nothing (default): any bad row imports nothing; good_incidents: import the rest",
    )
    importing.add_argument("file", help="the CSV file")

    api_tokens = commands.add_parser(
        "tokens",
        help="create and revoke API tokens",
        description="API tokens let another system (a police records system, say) call Pitstop as a user.",
    )
    actions = api_tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = _operator_command(
        actions,
        "create",
        _tokens_create,
        help="create an API token for a user",
        description=(
            "Create an API token that acts as the user, limited to its scopes (which the user's roles must "
            "allow). The token alone is printed on stdout, once: it is stored only as a hash and cannot be "
            "shown again. Revoke it with `pitstop tokens revoke` or on the API tokens admin page."
        ),
        epilog="example:\n  TOKEN=$(pitstop tokens create --email feed@police.example --name 'RMS feed' \\\n"
        "      --scope notifications:write)",
        options=TOKEN_OPTIONS,
    )
    create.add_argument("--email", required=True, help="the user the token acts as")
    create.add_argument("--name", required=True, help="what uses it, e.g. 'Police records system feed'")
    create.add_argument(
        "--scope", required=True, action="append", metavar="SCOPE", help=f"repeat for several: {scopes}"
    )
    create.add_argument(
        "--days",
        type=int,
        default=tokens.DEFAULT_DAYS,
        help=f"days until it expires (default {tokens.DEFAULT_DAYS}, at most {tokens.MAX_DAYS})",
    )
    revoke = _operator_command(
        actions,
        "revoke",
        _tokens_revoke,
        help="revoke an API token",
        description="Revoke an API token by its id (shown when it was created and on the API tokens admin page). "
        "It stops working at once. Revoking a revoked token changes nothing.",
    )
    revoke.add_argument("--id", required=True, type=int, help="the token's id")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitstop",
        description=(
            "Pitstop: the daily multi-agency domestic-abuse notification meeting. Settings come from "
            "PITSTOP_* environment variables (see the README). Without PITSTOP_DATABASE_URL an embedded "
            "PostgreSQL is started under PITSTOP_DATA_DIR."
        ),
        epilog="Exit status: 0 done or already done, 1 refused because of the database's state, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"pitstop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the web service",
        description="Start (or join) the database, apply pending migrations, and serve HTTP until stopped.",
    )
    serve.add_argument("--host", help="address to listen on (default: PITSTOP_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PITSTOP_PORT, 8000)")
    commands.add_parser(
        "migrate",
        help="apply pending database migrations",
        description=(
            "Apply the migrations in migrations/ that the database has not had, in order, one transaction "
            "each, under a lock so that concurrent runs apply each once. Refuses to run if an applied "
            "migration file was edited."
        ),
    )
    demo = commands.add_parser(
        "demo",
        help="load fictional demo data (not in production)",
        description=(
            "Migrate, then create the fictional Northfield partnership, one agency of each usual type and "
            "one user per role and agency, and print their sign-in details. Running it again changes "
            "nothing and shows no password. Refused when PITSTOP_ENV=production."
        ),
    )
    demo.add_argument(
        "--password",
        help="the password for every new demo user (default: a generated one each, printed once)",
    )
    _add_operator_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"pitstop: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level.value)
    invites.configure(invites.Site(base_url=settings.base_url, mail_from=settings.mail_from))
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "demo":
            return asyncio.run(_demo(settings, args))
        password = None
        if (args.command, args.action) == ("users", "create"):
            password = read_password(args)
            if not args.password_stdin:  # typed at a prompt: its problems are not stdin's
                args.options = {**args.options, "password": "password"}
        return asyncio.run(_operate(settings, args, password))
    except CommandError as exc:
        return _emit(refusal(args, exc))
    except (SettingsError, migrations.MigrationError) as exc:
        print(f"pitstop {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `pitstop users list | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return _emit(refusal(args, CommandError(f"database error: {type(exc).__name__}: {exc}", code=1)))


if __name__ == "__main__":
    sys.exit(main())

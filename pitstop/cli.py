"""The `pitstop` command: serve, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

import asyncpg

from pitstop import __version__
from pitstop.db import migrate as migrations
from pitstop.db.locate import database_urls
from pitstop.logs import configure as configure_logging
from pitstop.settings import Settings, SettingsError, load_settings

log = logging.getLogger("pitstop.cli")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from pitstop.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    log.info("serving", extra={"host": host, "port": port, "env": settings.env.value})
    uvicorn.run(
        create_app(settings),
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


async def _demo(settings: Settings) -> int:
    from pitstop import demo

    if settings.production:
        print("pitstop demo: refused: demo data is never loaded in production", file=sys.stderr)
        return 2
    async with database_urls(settings) as urls:
        await migrations.migrate(urls.owner)
        conn = await asyncpg.connect(urls.owner)
        try:
            report = await demo.load(conn)
        finally:
            await conn.close()
    for line in report.lines():
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitstop",
        description=(
            "Pitstop: the daily multi-agency domestic-abuse notification meeting. Settings come from "
            "PITSTOP_* environment variables (see the README). Without PITSTOP_DATABASE_URL an embedded "
            "PostgreSQL is started under PITSTOP_DATA_DIR."
        ),
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
    commands.add_parser(
        "demo",
        help="load fictional demo data (not in production)",
        description=(
            "Migrate, then create the fictional Northfield partnership and its demo records. Running it "
            "again changes nothing. Refused when PITSTOP_ENV=production."
        ),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"pitstop: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level.value)
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "demo":
            return asyncio.run(_demo(settings))
    except (SettingsError, migrations.MigrationError) as exc:
        print(f"pitstop {args.command}: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())

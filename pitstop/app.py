"""create_app(settings): the one place that wires routes, middleware, templates and the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
from litestar import Litestar
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router

from pitstop import __version__
from pitstop.accounts import admin as admin_pages
from pitstop.accounts import controllers as account_pages
from pitstop.accounts import queries as account_queries
from pitstop.accounts import sessions
from pitstop.actions import controllers as actions_api
from pitstop.actions import pages as action_pages
from pitstop.agenda import pages as agenda_pages
from pitstop.audit import controllers as audit_pages
from pitstop.calendar import controllers as calendar_pages
from pitstop.dashboard import facts
from pitstop.dashboard import pages as dashboard_pages
from pitstop.db import migrate
from pitstop.db.locate import database_urls
from pitstop.db.pool import Database, create_pool
from pitstop.decisions import controllers as decisions_api
from pitstop.decisions import pages as decision_pages
from pitstop.information import controllers as information_api
from pitstop.information import pages as information_pages
from pitstop.invites import pages as invite_pages
from pitstop.invites import service as invites
from pitstop.live import controllers as live_api
from pitstop.live import events
from pitstop.live import pages as live_pages
from pitstop.mail import outbox
from pitstop.mail import pages as mail_pages
from pitstop.meetings import controllers as meeting_api
from pitstop.meetings import pages as meeting_pages
from pitstop.meetings import service as meetings
from pitstop.minutes import controllers as minutes_api
from pitstop.minutes import pages as minutes_pages
from pitstop.minutes.worker import Renderer
from pitstop.notifications import controllers as notification_api
from pitstop.notifications import pages as notification_pages
from pitstop.notifications.imports import controllers as import_api
from pitstop.notifications.imports import pages as import_pages
from pitstop.people import controllers as people_api
from pitstop.people import pages as people_pages
from pitstop.resources import STATIC_DIR
from pitstop.settings import Settings, load_settings, with_secret_key
from pitstop.web import health, home
from pitstop.web.auth import authenticate, request_checks
from pitstop.web.dependencies import provide_connection
from pitstop.web.errors import EXCEPTION_HANDLERS
from pitstop.web.middleware import request_middleware
from pitstop.web.templating import environment, template_config

log = logging.getLogger(__name__)


def database_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with database_urls(settings) as urls:
            app.state.database_label = urls.label
            if settings.migrate_on_start:
                await migrate.migrate(urls.owner)
            pool = await create_pool(urls.app, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
            app.state.db = Database(pool=pool, expected_migrations=migrate.expected_state())
            app.state.hub = events.Hub(urls.app)
            await app.state.hub.start()
            app.state.minutes_renderer = Renderer()
            housekeeping = asyncio.create_task(purge_expired(pool, app.state.session_policy))
            clock = asyncio.create_task(meeting_clock(pool, settings.meeting_clock_seconds))
            sender = asyncio.create_task(outbox.run_sender(pool, smtp_config(settings)))
            counter = asyncio.create_task(facts.run_counter(pool, settings.dashboard_counter_seconds))
            try:
                yield
            finally:
                for task in (housekeeping, clock, sender, counter):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await app.state.hub.stop()
                app.state.minutes_renderer.stop()
                await pool.close()

    return lifespan


async def purge_expired(pool: asyncpg.Pool, policy: sessions.SessionPolicy, every: float = 600.0) -> None:
    """Delete ended sessions and old sign-in attempts, in every process (it is idempotent)."""
    while True:
        try:
            removed = await sessions.purge(pool, policy)
            attempts = await account_queries.purge_attempts(pool, datetime.now(UTC) - timedelta(days=1))
            if removed or attempts:
                log.info("purged", extra={"sessions": removed, "sign_in_attempts": attempts})
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("purge failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(every)


def smtp_config(settings: Settings) -> outbox.SmtpConfig:
    return outbox.SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        sender=settings.mail_from,
    )


async def meeting_clock(pool: asyncpg.Pool, every: float) -> None:
    """Generate meetings ahead, place what was screened on the open agendas, publish agendas on time.

    Runs in every process; `meetings.tick` takes an advisory lock so only one does the work at a time.
    Whatever goes wrong is logged (by type only) and the clock carries on: a dead clock would stop
    agendas being built and published without anyone noticing."""
    if every <= 0:
        return
    while True:
        try:
            async with pool.acquire() as conn:
                done = await meetings.tick(conn)
            if any(done.values()):
                log.info("meeting clock", extra=done)
        except Exception as exc:
            log.warning("meeting clock failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(every)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = with_secret_key(settings or load_settings())
    invites.configure(invites.Site(base_url=settings.base_url, mail_from=settings.mail_from))
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        # URLs carry a content hash (templating.StaticUrls), so a year is safe.
        cache_control=CacheControlHeader(max_age=31_536_000, public=True),
        include_in_schema=False,
    )
    app = Litestar(
        route_handlers=[
            home.home,
            health.healthz,
            health.readyz,
            *account_pages.ROUTES,
            *admin_pages.ROUTES,
            *audit_pages.ROUTES,
            *notification_api.ROUTES,
            *import_api.ROUTES,
            *import_pages.ROUTES,
            *calendar_pages.ROUTES,
            *notification_pages.ROUTES,
            *people_api.ROUTES,
            *people_pages.ROUTES,
            *meeting_api.ROUTES,
            *meeting_pages.ROUTES,
            *agenda_pages.ROUTES,
            *mail_pages.ROUTES,
            *invite_pages.ROUTES,
            *information_api.ROUTES,
            *information_pages.ROUTES,
            *decisions_api.ROUTES,
            *decision_pages.ROUTES,
            *actions_api.ROUTES,
            *action_pages.ROUTES,
            *live_api.ROUTES,
            *live_pages.ROUTES,
            *dashboard_pages.ROUTES,
            *minutes_api.ROUTES,
            *minutes_pages.ROUTES,
            static,
        ],
        before_request=request_checks,
        dependencies={"conn": Provide(provide_connection)},
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        template_config=template_config(environment()),
        openapi_config=OpenAPIConfig(
            title="Pitstop API",
            version=__version__,
            path="/schema",
            # JSON only: the stock UIs load their scripts from the internet.
            render_plugins=[JsonRenderPlugin()],
        ),
        lifespan=[database_lifespan(settings)],
        state=State(
            {
                "settings": settings,
                "database_label": "",
                "session_policy": sessions.SessionPolicy(
                    idle=timedelta(minutes=settings.session_idle_minutes),
                    absolute=timedelta(hours=settings.session_absolute_hours),
                ),
            }
        ),
        logging_config=None,
        debug=False,
    )
    # Wrapped around the whole app, not added as route middleware: Litestar's route middleware does not
    # see requests that match no route, and a 404 needs its request id, headers and user too.
    app.asgi_handler = request_middleware(app.asgi_handler, authenticate=authenticate)
    return app

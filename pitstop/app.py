"""create_app(settings): the one place that wires routes, middleware, templates and the database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router

from pitstop import __version__
from pitstop.db import migrate
from pitstop.db.locate import database_urls
from pitstop.db.pool import Database, create_pool
from pitstop.resources import STATIC_DIR
from pitstop.settings import Settings, load_settings, with_secret_key
from pitstop.web import health, home
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
            try:
                yield
            finally:
                await pool.close()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    settings = with_secret_key(settings or load_settings())
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        # URLs carry a content hash (templating.StaticUrls), so a year is safe.
        cache_control=CacheControlHeader(max_age=31_536_000, public=True),
        include_in_schema=False,
    )
    app = Litestar(
        route_handlers=[home.home, health.healthz, health.readyz, static],
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
        state=State({"settings": settings, "database_label": ""}),
        logging_config=None,
        debug=False,
    )
    # Wrapped around the whole app, not added as route middleware: Litestar's route middleware does not
    # see requests that match no route, and a 404 needs its request id and security headers too.
    app.asgi_handler = request_middleware(app.asgi_handler)
    return app

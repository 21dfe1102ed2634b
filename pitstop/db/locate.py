"""Which database to use: the configured server, or the embedded one started for this process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from pitstop.db import embedded
from pitstop.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DatabaseUrls:
    app: str  # the role that owns nothing: every request runs as it
    owner: str  # the schema owner: migrations and operator commands run as it
    label: str  # what the home page and the log call it


@asynccontextmanager
async def database_urls(settings: Settings) -> AsyncIterator[DatabaseUrls]:
    """Yield the URLs to use; an embedded server started here is released on exit."""
    if not settings.embedded_database:
        assert settings.database_url is not None
        log.info("database: external PostgreSQL")
        yield DatabaseUrls(
            app=settings.database_url,
            owner=settings.migration_database_url or settings.database_url,
            label="External PostgreSQL",
        )
        return
    server = await anyio.to_thread.run_sync(embedded.start, settings.data_dir)
    try:
        await embedded.prepare(server)
        yield DatabaseUrls(app=server.url(), owner=server.owner_url, label="Embedded PostgreSQL")
    finally:
        await anyio.to_thread.run_sync(server.stop)

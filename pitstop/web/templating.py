"""The Jinja2 environment: autoescaped, strict about undefined names, with versioned static URLs."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.resources import STATIC_DIR, TEMPLATES_DIR
from pitstop.web import csrf

log = logging.getLogger(__name__)

# Browsers refuse ES modules served with another type; not every machine's mime.types knows .mjs.
mimetypes.add_type("text/javascript", ".mjs")

SERVICE_NAME = "Pitstop"
LONDON = ZoneInfo("Europe/London")


class StaticUrls:
    """`static('pitstop.css')` -> `/static/pitstop.css?v=<content hash>`, so assets can be cached for
    a long time and still change on the next build."""

    def __init__(self, directory: Path, prefix: str = "/static/") -> None:
        self.directory = directory
        self.prefix = prefix
        if not (directory / "pitstop.css").is_file():
            log.warning("front-end assets are not built; run `make assets`", extra={"static_dir": str(directory)})

    def __call__(self, path: str) -> str:
        return f"{self.prefix}{path}?v={self._version(path)}"

    @cache  # noqa: B019 - one instance per app, and assets do not change while it runs
    def _version(self, path: str) -> str:
        file = self.directory / path
        if not file.is_file():
            return "missing"
        return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


def current_user(request: Any) -> Identity | None:
    """The signed-in user, or None (error pages for unmatched paths never ran authentication)."""
    return request.scope.get("user")


def idle_seconds(request: Any) -> int | None:
    """Seconds until the idle timeout. Relative, because the browser's clock may be wrong."""
    deadline = request.scope.get("state", {}).get("idle_deadline")
    if deadline is None:
        return None
    return max(0, int((deadline - datetime.now(UTC)).total_seconds()))


def london(moment: datetime | None, pattern: str = "%-d %B %Y at %H:%M") -> str:
    """Times are UTC inside; people read them in Europe/London."""
    if moment is None:
        return ""
    return moment.astimezone(LONDON).strftime(pattern)


def environment(templates: Path = TEMPLATES_DIR, static_dir: Path = STATIC_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = StaticUrls(static_dir)
    env.globals["service_name"] = SERVICE_NAME
    env.globals["current_user"] = current_user
    # Not "csrf_token": Litestar's Jinja engine installs its own global by that name.
    env.globals["csrf_value"] = csrf.token_for
    env.globals["idle_seconds"] = idle_seconds
    env.globals["allows"] = policy.allows
    env.globals["Permission"] = policy.Permission
    env.filters["london"] = london
    return env


def template_config(env: jinja2.Environment) -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(env))

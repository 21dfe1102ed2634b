"""The Jinja2 environment: autoescaped, strict about undefined names, with versioned static URLs."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from functools import cache
from pathlib import Path

import jinja2
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from pitstop.resources import STATIC_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)

# Browsers refuse ES modules served with another type; not every machine's mime.types knows .mjs.
mimetypes.add_type("text/javascript", ".mjs")

SERVICE_NAME = "Pitstop"


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
    return env


def template_config(env: jinja2.Environment) -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(env))

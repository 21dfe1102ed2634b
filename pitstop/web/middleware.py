"""ASGI middleware: request ids, the access log and the security headers on every response."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from pitstop.logs import request_id_var

log = logging.getLogger("pitstop.access")

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# No inline script or style anywhere: GOV.UK's js-enabled line lives in a static file.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
# Pages and downloads may carry case data: no browser or proxy may keep a copy. Versioned static
# assets are the only exception (they set their own Cache-Control).
_NO_STORE = (b"cache-control", b"no-store")
_UNVERSIONED_STATIC = (b"cache-control", b"public, max-age=3600")
_STATIC_PREFIX = "/static/"


def request_middleware(app: ASGIApp) -> ASGIApp:
    """Give each request an id, add the security headers, and log one line when it ends."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id  # type: ignore[typeddict-item]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        path = scope["path"]
        is_static = path.startswith(_STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in names)
                headers.append((b"x-request-id", request_id.encode()))
                if not is_static:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append(_NO_STORE)
                elif b"v=" not in scope["query_string"]:
                    # Unversioned (images named inside the CSS): cache briefly so an upgrade shows soon.
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append(_UNVERSIONED_STATIC)
                message["headers"] = headers  # type: ignore[typeddict-unknown-key]
            await send(message)

        try:
            await app(scope, receive, send_with_headers)
        finally:
            if not is_static or status >= 400:
                # The path only: query strings can carry what a user searched for.
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            request_id_var.reset(token)

    return middleware


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _INCOMING_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def request_id_of(scope: Scope) -> str | None:
    state: dict = scope.get("state", {})  # type: ignore[assignment]
    return state.get("request_id")


MiddlewareFactory = Callable[[ASGIApp], ASGIApp]

"""ASGI middleware: request ids, the access log and the security headers on every response."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from pitstop.logs import access_log, request_id_var

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


_SECURITY_NAMES = frozenset(name for name, _ in _SECURITY_HEADERS) | {b"cache-control"}
_PAGE_HEADERS = [*_SECURITY_HEADERS, _NO_STORE]

# authenticate(scope, authorization header, cookie header)
Authenticate = Callable[[Scope, str | None, str | None], Awaitable[None]]


def request_middleware(app: ASGIApp, authenticate: Authenticate | None = None) -> ASGIApp:
    """Give each request an id, say who is asking, add the security headers, log one line at the end.

    One layer around the whole app (every request passes it, so it is kept lean): `authenticate`
    puts the user in the scope for everything but static assets.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id, authorization, cookie = _read_headers(scope)
        scope.setdefault("state", {})["request_id"] = request_id  # type: ignore[typeddict-item]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        path = scope["path"]
        is_static = path.startswith(_STATIC_PREFIX)
        request_id_header = (b"x-request-id", request_id.encode())

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers") or []
                if is_static:
                    message["headers"] = _static_headers(headers, scope["query_string"], request_id_header)  # type: ignore[typeddict-unknown-key]
                elif any(name in _SECURITY_NAMES for name, _ in headers):
                    # The handler set one of ours: keep its security header, but never its caching.
                    names = {name for name, _ in headers}
                    kept = [h for h in headers if h[0] != b"cache-control"]
                    kept.extend(h for h in _SECURITY_HEADERS if h[0] not in names)
                    message["headers"] = [*kept, _NO_STORE, request_id_header]  # type: ignore[typeddict-unknown-key]
                else:
                    message["headers"] = [*headers, *_PAGE_HEADERS, request_id_header]  # type: ignore[typeddict-unknown-key]
            await send(message)

        try:
            if authenticate is not None and not is_static:
                await authenticate(scope, authorization, cookie)
            await app(scope, receive, send_with_headers)
        finally:
            if not is_static or status >= 400:
                # The path only: query strings can carry what a user searched for.
                access_log.write(
                    request_id=request_id,
                    method=scope["method"],
                    path=loggable(path),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            request_id_var.reset(token)

    return middleware


_CALENDAR_PAGES = ("/calendar/closures", "/calendar/pattern")


def loggable(path: str) -> str:
    """The path as it may be logged: a calendar feed's address is its only credential, so any path under
    /calendar/ that is not one of the calendar page's own routes is hidden, however it is mistyped."""
    if path.startswith("/calendar/") and not path.startswith(_CALENDAR_PAGES):
        return "/calendar/{secret}"
    return path


def _static_headers(headers: list[tuple[bytes, bytes]], query: bytes, request_id: tuple[bytes, bytes]) -> list:
    names = {name for name, _ in headers}
    out = [*headers, *(h for h in _SECURITY_HEADERS if h[0] not in names), request_id]
    if b"v=" not in query:
        # Unversioned (images named inside the CSS): cache briefly so an upgrade shows soon.
        out = [h for h in out if h[0] != b"cache-control"]
        out.append(_UNVERSIONED_STATIC)
    return out


def _read_headers(scope: Scope) -> tuple[str, str | None, str | None]:
    """One pass over the headers: a new request id, and the Authorization and Cookie headers.

    The id is always ours, never one a client sent: it goes into audit rows, which a client must
    not be able to make point at someone else's request.
    """
    authorization = cookie = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"cookie":
            cookie = value.decode("latin-1")
    return os.urandom(16).hex(), authorization, cookie


def request_id_of(scope: Scope) -> str | None:
    state: dict = scope.get("state", {})  # type: ignore[assignment]
    return state.get("request_id")

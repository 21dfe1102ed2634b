"""CSRF protection for every state-changing request made with a cookie.

A signed-in browser's token is an HMAC of its session, so it changes when the session does. Before
sign-in (the sign-in form itself) it is an HMAC of a random `__Host-` cookie set with the form.
Requests that carry an API token in the Authorization header need none: a browser never adds that
header by itself. The token travels in the form field `csrf_token` or the `X-CSRF-Token` header
(htmx sends the header; base.html sets it for every htmx request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException

from pitstop.accounts.identity import AuthMethod, Identity

FIELD = "csrf_token"
HEADER = "x-csrf-token"
ANONYMOUS_COOKIE = "__Host-pitstop_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Route opt for a streamed upload: its handler calls `verify` with the form's token, read first.
CHECKED_IN_STREAM = "csrf_checked_in_stream"


class CsrfRefused(PermissionDeniedException):
    detail = "The form had expired or did not come from Pitstop. Go back, reload the page and try again."


def _sign(secret_key: str, purpose: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def expected_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    secret_key = connection.app.state.settings.secret_key
    identity: Identity | None = connection.scope.get("user")  # type: ignore[assignment]
    if identity is not None and identity.method is AuthMethod.SESSION:
        return _sign(secret_key, "session", identity.credential)
    anonymous = connection.cookies.get(ANONYMOUS_COOKIE) or connection.scope["state"].get("csrf_anonymous")
    return _sign(secret_key, "anonymous", anonymous) if anonymous else None


def token_for(request: Request[Any, Any, Any]) -> str:
    """The token to put in this page's forms; starts an anonymous CSRF cookie when needed."""
    expected = expected_token(request)
    if expected is not None:
        return expected
    value = secrets.token_urlsafe(32)
    request.scope["state"]["csrf_anonymous"] = value  # the response sets the cookie (see set_cookie)
    return _sign(request.app.state.settings.secret_key, "anonymous", value)


def new_anonymous_cookie(request: Request[Any, Any, Any]) -> str | None:
    """The anonymous cookie value to set on this response, if token_for started one."""
    return request.scope["state"].get("csrf_anonymous")


async def check(request: Request[Any, Any, Any]) -> None:
    """Refuse an unsafe request made with a cookie unless it carries the token (see web.auth)."""
    identity: Identity | None = request.scope.get("user")  # type: ignore[assignment]
    if identity is not None and identity.method is AuthMethod.TOKEN:
        return
    sent = request.headers.get(HEADER)
    if sent is None and request.content_type[0] in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sent = (await request.form()).get(FIELD)
    verify(request, sent)


def verify(request: Request[Any, Any, Any], sent: object) -> None:
    """Refuse unless `sent` is this browser's token (API tokens need none)."""
    identity: Identity | None = request.scope.get("user")  # type: ignore[assignment]
    if identity is not None and identity.method is AuthMethod.TOKEN:
        return
    expected = expected_token(request)
    if expected is None or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise CsrfRefused()

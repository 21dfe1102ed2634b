"""Who is asking (session cookie or API token), and guards that say who may use a route.

The middleware puts an Identity (or None) in `scope["user"]`. Guards answer 401 (pages redirect
to sign-in) when nobody is signed in, and 403 when the user's role may not use the route at all.
Whether a particular record is visible is the service layer's question (404), not a guard's.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope

from pitstop.accounts import policy, sessions, tokens
from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.db.pool import Database
from pitstop.web import csrf
from pitstop.web.middleware import request_id_of

log = logging.getLogger(__name__)


class PasswordChangeRequired(PermissionDeniedException):
    """Signed in with an initial password: only the password page (and sign-out) may be used."""


def session_policy(connection: ASGIConnection[Any, Any, Any, Any]) -> sessions.SessionPolicy:
    return connection.app.state.session_policy


async def authenticate(scope: Scope, authorization: str | None, cookie_header: str | None) -> None:
    """Put who is asking in scope["user"] (an Identity, or None): by API token or session cookie.

    A bad token is not answered here (this runs outside Litestar's error handling): it is noted,
    and `request_checks` answers 401 once the route is known.
    """
    scope["user"] = None  # type: ignore[typeddict-unknown-key]
    state = scope["app"].state  # type: ignore[typeddict-item]
    db: Database | None = getattr(state, "db", None)
    if db is None:  # not started (no lifespan ran)
        return
    if authorization is not None:
        kind, _, secret = authorization.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            scope["state"]["auth_error"] = "invalid_request"  # type: ignore[index]
            return
        identity = await tokens.resolve(db.pool, secret.strip())
        if identity is None:
            scope["state"]["auth_error"] = "invalid_token"  # type: ignore[index]
        scope["user"] = identity  # type: ignore[typeddict-unknown-key]
        return
    cookie = _cookie(cookie_header, sessions.COOKIE)
    if cookie is None:
        return
    resolved = await sessions.resolve(db.pool, cookie, state.session_policy)
    scope["user"] = resolved.identity  # type: ignore[typeddict-unknown-key]
    scope["state"]["idle_deadline"] = resolved.idle_deadline  # type: ignore[index]
    if resolved.expired_user_id is not None:
        scope["state"]["session_expired"] = True  # type: ignore[index]
        await _audit_expiry(db, scope, resolved.expired_user_id)


async def request_checks(request: Request[Any, Any, Any]) -> None:
    """Before every routed request: refuse a bad API token (401), then check CSRF on unsafe methods.

    A before-request hook rather than a guard: Litestar copies the handler for each guard it runs,
    a cost every GET would pay for a check that only concerns POSTs.
    """
    if request.scope["state"].get("auth_error") is not None:
        raise _not_authorized(request.scope)
    if request.scope["method"] in csrf.SAFE_METHODS:
        return
    if request.route_handler.opt.get(csrf.CHECKED_IN_STREAM) and request.content_type[0] == "multipart/form-data":
        return  # a streamed upload: the handler checks the token before it reads a byte of the file
    await csrf.check(request)


async def _audit_expiry(db: Database, scope: Scope, user_id: int) -> None:
    async with db.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT partnership_id, agency_id FROM app_user WHERE id = $1", user_id)
        await audit.record(
            conn,
            AuditAction.SESSION_EXPIRED,
            actor=None,
            origin=origin_of(scope),
            user_id=user_id,
            agency_id=row["agency_id"] if row else None,
            partnership_id=row["partnership_id"] if row else None,
            record_type="user",
            record_id=user_id,
        )


def origin_of(scope: Scope) -> audit.Origin:
    return audit.Origin(request_id=request_id_of(scope), client_addr=client_address(scope))


def client_address(scope: Scope) -> str | None:
    """The client's IP address (after uvicorn's trusted-proxy handling), or None if it has none."""
    client = scope.get("client")
    if not client:
        return None
    try:
        return str(ipaddress.ip_address(client[0]))
    except ValueError:  # a unix socket, or a test client's made-up name
        return None


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def current_identity(connection: ASGIConnection[Any, Any, Any, Any]) -> Identity:
    identity: Identity | None = connection.scope.get("user")  # type: ignore[assignment]
    if identity is None:
        raise _not_authorized(connection.scope)
    return identity


def _not_authorized(scope: Scope) -> NotAuthorizedException:
    # Guards run before the before-request hook, so a bad API token is answered here too.
    error = scope["state"].get("auth_error")  # type: ignore[index]
    if error is not None:
        return NotAuthorizedException(headers={"WWW-Authenticate": f'Bearer error="{error}"'})
    return NotAuthorizedException()


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: anyone signed in; someone with an initial password only where the route allows it."""
    identity = current_identity(connection)
    if (
        identity.must_change_password
        and identity.method is AuthMethod.SESSION
        and not handler.opt.get("allow_initial_password")
    ):
        raise PasswordChangeRequired()


def browser_session(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: signed in with a session cookie (signing out, keeping a session alive), not an API token."""
    signed_in(connection, handler)
    if current_identity(connection).method is not AuthMethod.SESSION:
        raise PermissionDeniedException()


def requires(permission: policy.Permission) -> Any:
    """Guard factory: signed in, and the user's roles (and token scopes) give `permission`."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        signed_in(connection, handler)
        if not policy.allows(current_identity(connection), permission):
            raise PermissionDeniedException()

    guard.__name__ = f"requires_{permission.value}"
    return guard

"""Signing in and out, your own account and password, keep-alive, and who-am-I for the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_429_TOO_MANY_REQUESTS

from pitstop.accounts import queries, service, sessions, signin
from pitstop.accounts.models import Role, Scope
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.errors import Invalid
from pitstop.web import csrf
from pitstop.web.auth import browser_session, current_identity, origin_of, signed_in
from pitstop.web.dependencies import Connection
from pitstop.web.errors import safe_next

_COOKIE_FLAGS: dict[str, Any] = {"path": "/", "secure": True, "httponly": True, "samesite": "lax"}


def session_cookie(token: str) -> Cookie:
    # A browser-session cookie: the server decides when the session ends.
    return Cookie(key=sessions.COOKIE, value=token, **_COOKIE_FLAGS)


def expired_cookie(key: str) -> Cookie:
    return Cookie(key=key, value="", max_age=0, expires=0, **_COOKIE_FLAGS)


def _next(raw: object) -> str:
    target = raw if isinstance(raw, str) else "/"
    return safe_next({"path": target.split("?", 1)[0], "query_string": target.partition("?")[2].encode()})


def _sign_in_page(
    request: Request[Any, Any, Any],
    *,
    email: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
    next_: object = None,
) -> Template:
    state = request.scope["state"]
    notice = None
    if request.query_params.get("signed_out"):
        notice = "You have signed out."
    elif state.get("session_expired") or request.query_params.get("expired"):
        notice = "You were signed out because you had not used Pitstop for a while. Sign in again to continue."
    csrf.token_for(request)  # starts the anonymous CSRF cookie on a first visit
    cookies = []
    if (fresh := csrf.new_anonymous_cookie(request)) is not None:
        cookies.append(Cookie(key=csrf.ANONYMOUS_COOKIE, value=fresh, **_COOKIE_FLAGS))
    return Template(
        template_name="accounts/sign_in.html",
        context={
            "errors": errors or {},
            "email": email,
            # From the query on the first visit; from the form when it is shown again after an error.
            "next": _next(next_ if next_ is not None else request.query_params.get("next", "/")),
            "notice": notice,
        },
        status_code=status,
        cookies=cookies,
    )


@get("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request[Any, Any, Any]) -> Template | Redirect:
    if request.scope.get("user") is not None:
        return Redirect(path="/", status_code=303)
    return _sign_in_page(request)


@post("/sign-in", include_in_schema=False)
async def sign_in(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return _sign_in_page(request, email=email, errors=errors, status=HTTP_400_BAD_REQUEST, next_=form.get("next"))

    settings = request.app.state.settings
    result = await signin.sign_in(
        conn,
        email=email,
        password=password,
        secret_key=settings.secret_key,
        policy=request.app.state.session_policy,
        origin=origin_of(request.scope),
    )
    if result.outcome is signin.Outcome.THROTTLED:
        return _sign_in_page(
            request,
            email=email,
            errors={"email": "There have been too many attempts to sign in. Wait 15 minutes, then try again."},
            status=HTTP_429_TOO_MANY_REQUESTS,
            next_=form.get("next"),
        )
    if result.outcome is signin.Outcome.INVALID:
        # The same words whether or not the account exists.
        return _sign_in_page(
            request,
            email=email,
            errors={"email": "Enter a correct email address and password"},
            status=HTTP_400_BAD_REQUEST,
            next_=form.get("next"),
        )
    assert result.user is not None
    assert result.session_token is not None
    # Whatever session the browser brought is ended, never carried into the signed-in one.
    previous = request.cookies.get(sessions.COOKIE)
    if previous:
        await sessions.end(conn, sessions.hash_token(previous))
    target = "/account/password" if result.user.must_change_password else _next(form.get("next"))
    return Redirect(
        path=target,
        status_code=303,
        cookies=[session_cookie(result.session_token), expired_cookie(csrf.ANONYMOUS_COOKIE)],
    )


@post("/sign-out", guards=[browser_session], opt={"allow_initial_password": True}, include_in_schema=False)
async def sign_out(request: Request[Any, Any, Any], conn: Connection) -> Redirect:
    identity = current_identity(request)
    await sessions.end(conn, identity.credential)
    await audit.record(
        conn,
        AuditAction.SIGN_OUT,
        actor=identity,
        origin=origin_of(request.scope),
        record_type="user",
        record_id=identity.user_id,
    )
    return Redirect(path="/sign-in?signed_out=1", status_code=303, cookies=[expired_cookie(sessions.COOKIE)])


@get("/account", guards=[signed_in], include_in_schema=False)
async def account(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    user = await queries.user(conn, identity.user_id)
    partnership = await conn.fetchval("SELECT name FROM partnership WHERE id = $1", identity.partnership_id)
    notice = "Your password has been changed." if request.query_params.get("changed") else None
    return Template(
        template_name="accounts/account.html",
        context={"account": user, "partnership_name": partnership, "notice": notice},
    )


@get("/account/password", guards=[signed_in], opt={"allow_initial_password": True}, include_in_schema=False)
async def password_form(request: Request[Any, Any, Any]) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="accounts/password.html",
        context={"errors": {}, "initial": identity.must_change_password},
    )


@post("/account/password", guards=[signed_in], opt={"allow_initial_password": True}, include_in_schema=False)
async def change_password(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    try:
        changed = await service.change_own_password(
            conn,
            identity=identity,
            current_password=str(form.get("current_password") or ""),
            new_password=str(form.get("new_password") or ""),
            confirmation=str(form.get("confirmation") or ""),
            policy_=request.app.state.session_policy,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return Template(
            template_name="accounts/password.html",
            context={"errors": invalid.errors, "initial": identity.must_change_password},
            status_code=HTTP_400_BAD_REQUEST,
        )
    return Redirect(path="/account?changed=1", status_code=303, cookies=[session_cookie(changed.session_token)])


class KeptAlive(msgspec.Struct, frozen=True):
    idle_deadline: datetime
    idle_seconds: int  # what the page counts down from: relative, so a wrong client clock does not matter


@post("/session/keep-alive", guards=[browser_session], opt={"allow_initial_password": True}, include_in_schema=False)
async def keep_alive(request: Request[Any, Any, Any], conn: Connection) -> KeptAlive:
    identity = current_identity(request)
    await sessions.keep_alive(conn, identity.credential)
    deadline = await conn.fetchval(
        "SELECT least(last_seen_at + $2::interval, expires_at) FROM web_session WHERE token_hash = $1",
        identity.credential,
        request.app.state.session_policy.idle,
    )
    return KeptAlive(idle_deadline=deadline, idle_seconds=max(0, int((deadline - datetime.now(UTC)).total_seconds())))


class Me(msgspec.Struct, frozen=True, kw_only=True):
    """Who a request acts as: for a system integrator checking their token."""

    user_id: int
    name: str
    agency_id: int
    partnership_id: int
    roles: list[Role]
    auth: str
    scopes: list[Scope]


@get("/api/v1/me", guards=[signed_in], tags=["accounts"], summary="Who this request acts as")
async def me(request: Request[Any, Any, Any]) -> Response[Me]:
    identity = current_identity(request)
    return Response(
        Me(
            user_id=identity.user_id,
            name=identity.name,
            agency_id=identity.agency_id,
            partnership_id=identity.partnership_id,
            roles=sorted(identity.roles),
            auth=identity.method.value,
            scopes=sorted(identity.scopes),
        )
    )


ROUTES = [sign_in_form, sign_in, sign_out, account, password_form, change_password, keep_alive, me]

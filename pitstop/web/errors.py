"""Error answers: GOV.UK-style error pages for people, problem details (RFC 9457) for the API.

Invalid input on the API is a 422 naming each field by its path (`body.victim.date_of_birth`).
Unexpected errors are logged by type and code location only, never with their message (a database
error quotes the offending value, which may be a name or a reference).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_500_INTERNAL_SERVER_ERROR

from pitstop.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from pitstop.web.middleware import request_id_of

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_PAGE_TEXT: dict[int, tuple[str, str]] = {
    400: ("There is a problem with your request", "Check what you entered and try again."),
    401: ("You need to sign in", "Sign in to use this page."),
    403: (
        "You do not have permission to view this page",
        "If you think you should have access, ask your partnership's Pitstop administrator.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted the web address, "
        "check you copied the entire address.",
    ),
    405: ("This action is not available here", "Go back to the previous page and try again."),
    409: (
        "Someone else changed this record",
        "Your change was not saved because the record changed while you were editing it. "
        "Reload the page to see the latest version, then make your change again.",
    ),
    413: ("The file or form is too large", "Try a smaller file."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
    503: ("Sorry, the service is unavailable", "Try again later."),
}


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """RFC 9457 problem details, plus field errors and the request id to quote to support."""

    title: str
    status: int
    type: str = "about:blank"
    detail: str | None = None
    request_id: str | None = None
    errors: list[FieldError] = msgspec.field(default_factory=list)


def wants_json(request: Request[Any, Any, Any]) -> bool:
    path = request.scope["path"]
    return path.startswith("/api/") or path.startswith("/schema")


def field_errors(exc: ValidationException) -> list[FieldError]:
    """Litestar's validation details as field paths: `body.x.y`, `query.page`, `path.id`."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            errors.append(FieldError(field="body", message=str(item)))
            continue
        source = str(item.get("source", "body"))
        key = str(item.get("key", ""))
        if key == "data" or key.startswith("data."):  # the body as a whole
            key = key[5:]
        message = str(item.get("message", "is invalid"))
        # msgspec reports a missing field at its parent ("Object missing required field `x`").
        if missing := _MISSING.match(message):
            key = f"{key}.{missing.group(1)}" if key else missing.group(1)
            message = "is required"
        errors.append(FieldError(field=f"{source}.{key}" if key else source, message=message))
    return errors


_QUALIFIED = ("body.", "query.", "path.", "header.")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")


def _render(request: Request[Any, Any, Any], status: int, problem: Problem, headers: dict[str, str]) -> Response[Any]:
    if wants_json(request):
        return Response(
            content=msgspec.json.encode(problem), status_code=status, media_type=PROBLEM_JSON, headers=headers
        )
    title, message = _PAGE_TEXT.get(status, (problem.title, ""))
    return Template(
        template_name="errors/error.html",
        context={"status_code": status, "title": title, "message": message, "request_id": problem.request_id},
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
    )  # type: ignore[return-value]


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    errors: list[FieldError] = []
    if isinstance(exc, ValidationException):
        errors = field_errors(exc)
        if errors and all(e.field.startswith("path.") for e in errors):
            # /admin/users/abc or an id beyond any record's: no such page.
            return _render(
                request, 404, Problem(title=_PAGE_TEXT[404][0], status=404, request_id=request_id_of(request.scope)), {}
            )
        # A request we could read but whose content is wrong is a 422, with the fields named.
        status = HTTP_422_UNPROCESSABLE_ENTITY
    title = _PAGE_TEXT.get(status, (_phrase(status), ""))[0]
    if status == HTTP_422_UNPROCESSABLE_ENTITY:
        title = "The request has invalid fields"
    detail = None if isinstance(exc, ValidationException) or status >= 500 else _safe_detail(exc, status)
    problem = Problem(title=title, status=status, detail=detail, request_id=request_id_of(request.scope), errors=errors)
    if status >= 500:
        log.error("request failed", exc_info=exc)
    return _render(request, status, problem, dict(exc.headers or {}))


def _safe_detail(exc: HTTPException, status: int) -> str | None:
    # Litestar's stock details echo the path; ours are written for users and say nothing of the case.
    detail = exc.detail
    if not detail or detail == _phrase(status) or "/" in detail:
        return None
    return detail


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def service_error_handler(request: Request[Any, Any, Any], exc: ServiceError) -> Response[Any]:
    """Domain errors from the service layer, as the HTTP answers DESIGN.md promises."""
    request_id = request_id_of(request.scope)
    if isinstance(exc, NotFound):
        return _render(request, 404, Problem(title=_PAGE_TEXT[404][0], status=404, request_id=request_id), {})
    if isinstance(exc, Forbidden):
        return _render(request, 403, Problem(title=_PAGE_TEXT[403][0], status=403, request_id=request_id), {})
    if isinstance(exc, Invalid):
        # Names are body fields unless they say where they came from ("query.x", "path.x").
        errors = [
            FieldError(field=name if name.startswith(_QUALIFIED) else f"body.{name}", message=message)
            for name, message in exc.errors.items()
        ]
        problem = Problem(title="The request has invalid fields", status=422, request_id=request_id, errors=errors)
        return _render(request, 422, problem, {})
    if isinstance(exc, Conflict):
        current = msgspec.to_builtins(exc.current) if exc.current is not None else None
        if wants_json(request):
            body = msgspec.json.encode(
                {
                    **msgspec.to_builtins(Problem(title=_PAGE_TEXT[409][0], status=409, request_id=request_id)),
                    "current": current,
                    **({"submitted": msgspec.to_builtins(exc.submitted)} if exc.submitted is not None else {}),
                }
            )
            return Response(content=body, status_code=409, media_type=PROBLEM_JSON)
        return _render(request, 409, Problem(title=_PAGE_TEXT[409][0], status=409, request_id=request_id), {})
    return unexpected_exception_handler(request, exc)


def not_authorized_handler(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """Nobody signed in: pages go to the sign-in page and come back; the API answers 401."""
    if wants_json(request):
        return http_exception_handler(request, exc)
    query = {"next": safe_next(request.scope)}
    if request.scope["state"].get("session_expired"):
        query["expired"] = "1"  # the sign-in page says why they have to sign in again
    return Redirect(path="/sign-in?" + urlencode(query), status_code=303)


def password_change_handler(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    from pitstop.web.auth import PasswordChangeRequired

    if isinstance(exc, PasswordChangeRequired) and not wants_json(request):
        return Redirect(path="/account/password", status_code=303)
    return http_exception_handler(request, exc)


def safe_next(scope: Any) -> str:
    """Where to return after signing in: a path on this site only, never another site."""
    path = scope.get("path", "/")
    query = scope.get("query_string", b"").decode("latin-1")
    target = path + (f"?{query}" if query else "")
    return target if target.startswith("/") and not target.startswith("//") else "/"


def unexpected_exception_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled exception", exc_info=exc)
    problem = Problem(
        title=_PAGE_TEXT[500][0], status=HTTP_500_INTERNAL_SERVER_ERROR, request_id=request_id_of(request.scope)
    )
    return _render(request, HTTP_500_INTERNAL_SERVER_ERROR, problem, {})


EXCEPTION_HANDLERS = {
    ServiceError: service_error_handler,
    NotAuthorizedException: not_authorized_handler,
    PermissionDeniedException: password_change_handler,
    HTTPException: http_exception_handler,
    Exception: unexpected_exception_handler,
}

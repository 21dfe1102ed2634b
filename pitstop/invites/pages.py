"""Your calendar subscription (on your account), and the feed a calendar app reads without signing in."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from pitstop.invites import feeds
from pitstop.web.auth import browser_session, current_identity, origin_of, signed_in
from pitstop.web.dependencies import Connection

# DTSTAMP says when the file was made: left out of the ETag, so an unchanged calendar is a 304.
_STAMP = re.compile(rb"^DTSTAMP:[^\r\n]*\r\n", re.M)
_NOTICES = {"off": "Your calendar subscription has been turned off. Calendars using its address get nothing more."}


async def _page(request: Request[Any, Any, Any], conn: Connection, *, secret: str | None = None) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="accounts/calendar_feed.html",
        context={
            "feed": await feeds.current(conn, identity),
            "address": feeds.address(secret) if secret else None,
            "notice": _NOTICES.get(str(request.query_params.get("done", ""))),
        },
    )


@get("/account/calendar-feed", guards=[signed_in], include_in_schema=False)
async def feed_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _page(request, conn)


@post("/account/calendar-feed", guards=[browser_session], include_in_schema=False)
async def create_feed(request: Request[Any, Any, Any], conn: Connection) -> Template:
    secret = await feeds.create(conn, current_identity(request), origin_of(request.scope))
    return await _page(request, conn, secret=secret)


@post("/account/calendar-feed/revoke", guards=[browser_session], include_in_schema=False)
async def revoke_feed(request: Request[Any, Any, Any], conn: Connection) -> Redirect:
    await feeds.revoke(conn, current_identity(request), origin_of(request.scope))
    return Redirect(path="/account/calendar-feed?done=off", status_code=303)


@get("/calendar/{name:str}", include_in_schema=False)
async def feed(
    request: Request[Any, Any, Any], conn: Connection, name: Annotated[str, Parameter(max_length=120)]
) -> Response[bytes]:
    """The feed itself: the token is the only credential, so anything wrong is the same 404."""
    secret = name.removesuffix(".ics")
    payload = await feeds.read(conn, secret, origin_of(request.scope)) if name.endswith(".ics") else None
    if payload is None:
        raise NotFoundException()
    tag = '"' + hashlib.sha256(_STAMP.sub(b"", payload)).hexdigest()[:32] + '"'
    headers = {"ETag": tag}  # like every answer, `no-store` (middleware): a calendar app asks with the ETag
    if tag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
        return Response(b"", status_code=304, headers=headers)
    return Response(payload, media_type="text/calendar; charset=utf-8", headers=headers)


ROUTES = [feed_page, create_feed, revoke_feed, feed]

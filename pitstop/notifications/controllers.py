"""The notifications JSON API: intake from police systems, and the queue for coordinators."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from pitstop.accounts import policy
from pitstop.notifications import screening, service
from pitstop.notifications.models import (
    Grade,
    Notification,
    NotificationIn,
    Outcome,
    Received,
    Screening,
    ScreeningIn,
    Source,
    Status,
    Summary,
)
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

RECEIVE = requires(policy.Permission.RECEIVE_NOTIFICATIONS)
VIEW = requires(policy.Permission.VIEW_NOTIFICATIONS)
SCREEN = requires(policy.Permission.SCREEN_NOTIFICATIONS)
LONDON = ZoneInfo("Europe/London")


@post(
    "/api/v1/notifications",
    guards=[RECEIVE],
    tags=["notifications"],
    summary="Send a notification (the same police reference again updates it, never duplicates it)",
    description=(
        "201 when the notification is new; 200 with `outcome` `unchanged` when the same body arrives again, "
        "or `updated` when the police changed it (the earlier version is kept; a screened notification goes "
        "back for re-screening). Needs a token with notifications:write, or a coordinator's session."
    ),
)
async def receive(
    request: Request[Any, Any, Any], conn: Connection, data: JSONBody[NotificationIn]
) -> Response[Received]:
    identity = current_identity(request)
    received = await service.receive(
        conn,
        actor=identity,
        partnership_id=identity.partnership_id,
        body=data,
        source=Source.API,
        origin=origin_of(request.scope),
    )
    status = HTTP_201_CREATED if received.outcome is Outcome.CREATED else HTTP_200_OK
    return Response(received, status_code=status)


@get(
    "/api/v1/notifications",
    guards=[VIEW],
    tags=["notifications"],
    summary="The intake queue, most urgent first (no names or addresses)",
)
async def queue(
    request: Request[Any, Any, Any],
    conn: Connection,
    status: FromQuery[Status | None] = None,
    grade: FromQuery[Grade | None] = None,
    overdue: FromQuery[bool] = False,
    received_from: FromQuery[date | None] = None,
    received_to: FromQuery[date | None] = None,
) -> list[Summary]:
    # Dates are London days: from the start of the first to the end of the last.
    return await service.queue(
        conn,
        current_identity(request),
        origin_of(request.scope),
        status=status,
        grade=grade,
        overdue=overdue,
        received_from=datetime.combine(received_from, time(), LONDON) if received_from else None,
        received_to=datetime.combine(received_to + timedelta(days=1), time(), LONDON) if received_to else None,
    )


@get(
    "/api/v1/notifications/{notification_id:int}",
    guards=[VIEW],
    tags=["notifications"],
    summary="One notification, with its people",
)
async def one(request: Request[Any, Any, Any], conn: Connection, notification_id: RecordId) -> Notification:
    return await service.view(conn, current_identity(request), notification_id, origin_of(request.scope))


@post(
    "/api/v1/notifications/{notification_id:int}/screening",
    guards=[SCREEN],
    tags=["notifications"],
    summary="Screen a notification: grade, consent, route",
    description="409 with the current notification if the police changed it since `version`.",
)
async def screen(
    request: Request[Any, Any, Any], conn: Connection, notification_id: RecordId, data: JSONBody[ScreeningIn]
) -> Response[Screening]:
    screened = await screening.screen(
        conn,
        actor=current_identity(request),
        notification_id=notification_id,
        form=data,
        origin=origin_of(request.scope),
    )
    return Response(screened, status_code=HTTP_201_CREATED)


ROUTES = [receive, queue, one, screen]

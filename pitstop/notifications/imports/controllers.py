"""The import API: send the day's extract as text/csv, fetch the template, read past imports, the mapping."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_415_UNSUPPORTED_MEDIA_TYPE, HTTP_422_UNPROCESSABLE_ENTITY

from pitstop.accounts import policy
from pitstop.notifications.imports import service
from pitstop.notifications.imports.extract import ImportMapping, template_rows
from pitstop.notifications.imports.models import ImportMode, ImportOutcome, ImportReport
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

RECEIVE = requires(policy.Permission.RECEIVE_NOTIFICATIONS)
VIEW = requires(policy.Permission.VIEW_NOTIFICATIONS)
MAP = requires(policy.Permission.MANAGE_IMPORT_MAPPING)
MAX_UPLOAD = 256 * 1024 * 1024  # 100,000 rows of a wide extract is about 40 MB
# What browsers and police systems call a CSV file (Windows labels .csv as an Excel type).
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"})
TEMPLATE_NAME = "pitstop-import-template.csv"


@post(
    "/api/v1/notifications/import",
    guards=[RECEIVE],
    tags=["notifications"],
    request_max_body_size=MAX_UPLOAD,
    summary="Import the police's daily extract (body: text/csv, one row per person, grouped by police reference)",
    description=(
        "Streams the file. `mode=all_or_nothing` (the default) imports nothing if any row is wrong; "
        "`mode=good_incidents` imports the incidents whose rows are all good and reports the rest. 200 with the "
        "report when anything was imported or found unchanged; 422 with the report (each bad row's line, column "
        "and message) when nothing was. The same file again changes nothing."
    ),
    status_code=HTTP_200_OK,
)
async def import_extract(
    request: Request[Any, Any, Any],
    conn: Connection,
    mode: FromQuery[ImportMode] = ImportMode.ALL_OR_NOTHING,
    file_name: FromQuery[str] = "extract.csv",
) -> Response[ImportReport]:
    media_type = request.content_type[0]
    if media_type not in CSV_TYPES:
        raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail="Send the extract as text/csv")
    report = await service.import_extract(
        conn,
        actor=current_identity(request),
        partnership_id=current_identity(request).partnership_id,
        chunks=request.stream(),
        file_name=file_name,
        mode=mode,
        origin=origin_of(request.scope),
    )
    # The record of a refused import is kept (committed with the request) even though it answers 422.
    rejected = report.outcome is ImportOutcome.REJECTED
    return Response(report, status_code=HTTP_422_UNPROCESSABLE_ENTITY if rejected else HTTP_200_OK)


def template_csv(mapping: ImportMapping) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(template_rows(mapping))
    return out.getvalue().encode("utf-8")


@get(
    "/api/v1/notifications/import/template",
    guards=[RECEIVE],
    tags=["notifications"],
    summary="A CSV template: the header row this partnership's mapping expects and one invented example row",
    media_type="text/csv",
)
async def import_template(request: Request[Any, Any, Any], conn: Connection) -> Response[bytes]:
    mapping = await service.template(conn, current_identity(request), origin_of(request.scope))
    return Response(
        template_csv(mapping),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'},
    )


@get("/api/v1/notifications/imports", guards=[VIEW], tags=["notifications"], summary="The latest imports")
async def imports(request: Request[Any, Any, Any], conn: Connection) -> list[ImportReport]:
    return await service.recent(conn, current_identity(request), origin_of(request.scope))


@get(
    "/api/v1/notifications/imports/{import_id:int}",
    guards=[VIEW],
    tags=["notifications"],
    summary="One import's report",
)
async def import_report(request: Request[Any, Any, Any], conn: Connection, import_id: RecordId) -> ImportReport:
    return await service.report(conn, current_identity(request), import_id, origin_of(request.scope))


class MappingOut(msgspec.Struct, frozen=True, kw_only=True):
    mapping: ImportMapping
    version: int  # send it back with a change; 0 means the defaults are in use


class MappingIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mapping: ImportMapping
    version: int


@get(
    "/api/v1/notifications/import/mapping",
    guards=[MAP],
    tags=["notifications"],
    summary="How this partnership's extract is read: the force's header for each field, and its words",
)
async def get_mapping(request: Request[Any, Any, Any], conn: Connection) -> MappingOut:
    state = await service.mapping_state(conn, current_identity(request))
    return MappingOut(mapping=state.mapping, version=state.version)


@put(
    "/api/v1/notifications/import/mapping",
    guards=[MAP],
    tags=["notifications"],
    summary="Change how this partnership's extract is read",
    description="409 if someone changed it since `version`.",
)
async def put_mapping(request: Request[Any, Any, Any], conn: Connection, data: JSONBody[MappingIn]) -> MappingOut:
    state = await service.save_mapping(
        conn, current_identity(request), data.mapping, data.version, origin_of(request.scope)
    )
    return MappingOut(mapping=state.mapping, version=state.version)


ROUTES = [import_extract, import_template, imports, import_report, get_mapping, put_mapping]

"""The import pages: upload the day's extract, read an import's report, and the import settings (mapping).

The upload is read as a stream (see pitstop.web.uploads): the CSRF token and the mode come
first in the form, the file last, and nothing of the file is read before the token is checked.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ClientException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.errors import Conflict, Invalid
from pitstop.notifications.imports import service
from pitstop.notifications.imports.controllers import MAX_UPLOAD, TEMPLATE_NAME
from pitstop.notifications.imports.extract import FIELDS, GRADE_WORDS, ROLE_WORDS, ImportMapping, parse_word_list
from pitstop.notifications.imports.models import ImportMode, ImportOutcome
from pitstop.notifications.models import PersonRole
from pitstop.web import csrf
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId
from pitstop.web.uploads import StreamedUpload, UploadError, boundary_of

RECEIVE = requires(policy.Permission.RECEIVE_NOTIFICATIONS)
VIEW = requires(policy.Permission.VIEW_NOTIFICATIONS)
MAP = requires(policy.Permission.MANAGE_IMPORT_MAPPING)

MODE_LABELS = {
    ImportMode.ALL_OR_NOTHING: "Import nothing, so I can correct the file and import it whole",
    ImportMode.GOOD_INCIDENTS: "Import the incidents whose rows are all correct, and list the rest",
}
OUTCOME_LABELS = {
    ImportOutcome.IMPORTED: "Imported",
    ImportOutcome.PARTLY_IMPORTED: "Partly imported",
    ImportOutcome.REJECTED: "Nothing imported",
}
OUTCOME_TAGS = {
    ImportOutcome.IMPORTED: "govuk-tag--green",
    ImportOutcome.PARTLY_IMPORTED: "govuk-tag--orange",
    ImportOutcome.REJECTED: "govuk-tag--red",
}
ROLE_NAMES = {role: word.capitalize() for word, role in ROLE_WORDS.items()}
GRADE_NAMES = {grade: word.capitalize() for word, grade in GRADE_WORDS.items()}


async def _upload_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    errors: dict[str, str] | None = None,
    mode: str = ImportMode.ALL_OR_NOTHING.value,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="notifications/import.html",
        context={
            "errors": errors or {},
            "mode": mode,
            "modes": list(MODE_LABELS.items()),
            "imports": await service.recent(conn, identity, origin_of(request.scope)),
            "outcome_labels": OUTCOME_LABELS,
            "outcome_tags": OUTCOME_TAGS,
            "template_name": TEMPLATE_NAME,
            "can_map": policy.allows(identity, policy.Permission.MANAGE_IMPORT_MAPPING),
        },
        status_code=status,
    )


@get("/notifications/import", guards=[RECEIVE], include_in_schema=False)
async def upload_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _upload_page(request, conn)


@post(
    "/notifications/import",
    guards=[RECEIVE],
    include_in_schema=False,
    request_max_body_size=MAX_UPLOAD,
    opt={csrf.CHECKED_IN_STREAM: True},
)
async def upload(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    content_type, options = request.content_type
    try:
        form = StreamedUpload(request.stream(), boundary_of(content_type, options))
        fields = await form.fields()
    except UploadError:
        # A multipart body was left to us to check, and no token could be read from it: nothing is
        # done (not even this page's audited listing) unless the request proves itself another way.
        # Any other body was checked by the request hook.
        if content_type == "multipart/form-data":
            csrf.verify(request, request.headers.get(csrf.HEADER))
        return await _upload_page(
            request, conn, errors={"file": "The upload did not arrive whole: try again"}, status=HTTP_400_BAD_REQUEST
        )
    csrf.verify(request, request.headers.get(csrf.HEADER) or fields.get(csrf.FIELD))
    mode = fields.get("mode", ImportMode.ALL_OR_NOTHING.value)
    problem = None
    if mode not in ImportMode._value2member_map_:
        problem = {"mode": "Select what to do if a row is wrong"}
    elif not form.file_name:
        problem = {"file": "Select the police's CSV file"}
    elif not form.file_name.lower().endswith((".csv", ".txt")):
        problem = {"file": "The selected file must be a CSV file (ending .csv)"}
    if problem:
        await form.drain()
        return await _upload_page(request, conn, errors=problem, mode=mode, status=HTTP_400_BAD_REQUEST)
    try:
        report = await service.import_extract(
            conn,
            actor=current_identity(request),
            partnership_id=current_identity(request).partnership_id,
            chunks=form.file(),
            file_name=form.file_name or "",
            mode=ImportMode(mode),
            origin=origin_of(request.scope),
        )
    except UploadError:
        # Raised, not answered with the form: the request's transaction then keeps nothing of it.
        raise ClientException(detail="The upload did not arrive whole. Go back and try again.") from None
    return Redirect(path=f"/notifications/imports/{report.id}", status_code=303)


@get("/notifications/imports/{import_id:int}", guards=[VIEW], include_in_schema=False)
async def report_page(request: Request[Any, Any, Any], conn: Connection, import_id: RecordId) -> Template:
    identity = current_identity(request)
    report = await service.report(conn, identity, import_id, origin_of(request.scope))
    return Template(
        template_name="notifications/import_report.html",
        context={
            "report": report,
            "mode_labels": MODE_LABELS,
            "outcome_labels": OUTCOME_LABELS,
            "outcome_tags": OUTCOME_TAGS,
            "can_import": policy.allows(identity, policy.Permission.RECEIVE_NOTIFICATIONS),
        },
    )


# ---- the import settings ------------------------------------------------------------------------


def _words_text(pairs: dict[str, Any], names: dict[Any, str]) -> str:
    return "\n".join(f"{word} = {names.get(value, value)}" for word, value in pairs.items())


def _values(mapping: ImportMapping, version: int) -> dict[str, str]:
    values = {f"column-{f.key}": mapping.columns.get(f.key, "") for f in FIELDS}
    values.update(
        {
            "roles": _words_text(mapping.roles, ROLE_NAMES),
            "grades": _words_text(mapping.grades, GRADE_NAMES),
            "risk_tools": _words_text(mapping.risk_tools, {}),
            "withheld_address": "\n".join(mapping.withheld_address),
            "version": str(version),
        }
    )
    return values


def _read(form: FormMultiDict) -> dict[str, str]:
    names = [f"column-{f.key}" for f in FIELDS] + ["roles", "grades", "risk_tools", "withheld_address", "version"]
    return {name: str(form.get(name) or "") for name in names}


def _parse(values: dict[str, str], tools: list[str]) -> tuple[ImportMapping | None, dict[str, str]]:
    errors: dict[str, str] = {}
    roles, bad_roles = parse_word_list(values["roles"], [*ROLE_NAMES.values(), *(r.value for r in PersonRole)])
    if bad_roles:
        errors["roles"] = f"Write each as 'the force's word = a role' (Suspect = Alleged perpetrator): {bad_roles[0]}"
    grades, bad_grades = parse_word_list(values["grades"], [*GRADE_NAMES.values()])
    if bad_grades:
        errors["grades"] = f"Write each as 'the force's word = Standard, Medium or High': {bad_grades[0]}"
    risk_tools, bad_tools = parse_word_list(values["risk_tools"], tools)
    if bad_tools:
        errors["risk_tools"] = f"Write each as 'the force's word = {' or '.join(tools)}': {bad_tools[0]}"
    role_of = {words.casefold(): role for role, words in ROLE_NAMES.items()} | {r.value: r for r in PersonRole}
    grade_of = {words.casefold(): grade for grade, words in GRADE_NAMES.items()}
    mapping = ImportMapping(
        columns={f.key: values[f"column-{f.key}"].strip() for f in FIELDS if values[f"column-{f.key}"].strip()},
        roles={word: role_of[target.casefold()] for word, target in roles.items()},
        grades={word: grade_of[target.casefold()] for word, target in grades.items()},
        risk_tools=risk_tools,
        withheld_address=[line.strip() for line in values["withheld_address"].splitlines() if line.strip()][:20],
    )
    return (None if errors else mapping), errors


async def _settings_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    state = await service.mapping_state(conn, current_identity(request))
    return Template(
        template_name="notifications/import_settings.html",
        context={
            "fields": FIELDS,
            "values": values or _values(state.mapping, state.version),
            "errors": errors or {},
            "conflict": conflict,
            "saved": request.query_params.get("done") == "saved",
            "defaults": state.version == 0,
        },
        status_code=status,
    )


@get("/admin/import-settings", guards=[MAP], include_in_schema=False)
async def settings_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _settings_page(request, conn)


@post("/admin/import-settings", guards=[MAP], include_in_schema=False)
async def save_settings(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    values = _read(await request.form())
    tools = await service.risk_tool_codes(conn)
    mapping, errors = _parse(values, tools)
    version = int(values["version"]) if values["version"].isdigit() else -1
    if mapping is not None:
        try:
            await service.save_mapping(conn, current_identity(request), mapping, version, origin_of(request.scope))
        except Invalid as invalid:
            errors = {f"column-{key.removeprefix('columns.')}": message for key, message in invalid.errors.items()}
        except Conflict:
            return await _settings_page(request, conn, conflict=True, status=HTTP_409_CONFLICT)
        else:
            return Redirect(path="/admin/import-settings?done=saved", status_code=303)
    return await _settings_page(request, conn, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)


ROUTES = [upload_page, upload, report_page, settings_page, save_settings]

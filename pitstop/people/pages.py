"""A person's page (their incidents across notifications), confirm, split and merge, and the admin page
for the repeat-incident rule.

Thin handlers: read the form, call the service (which checks permission, need to know and versions,
and audits), then redirect or show the page again: the GOV.UK error summary for bad input, the
conflict banner (409) when someone changed the person first. Every form works without JavaScript.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.db.rows import MAX_ID
from pitstop.errors import Conflict, Invalid
from pitstop.notifications.models import LinkStatus
from pitstop.notifications.pages import LABELS, age
from pitstop.people import service
from pitstop.people.models import DEFAULT_THRESHOLD, DEFAULT_WINDOW_MONTHS, RepeatRule, RuleChange
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_NOTIFICATIONS)
CHANGE = requires(policy.Permission.SCREEN_NOTIFICATIONS)
RULE = requires(policy.Permission.ADMINISTER_REPEAT_RULE)
LONDON = ZoneInfo("Europe/London")

LINK_LABELS = {LinkStatus.AUTOMATIC: "Matched automatically", LinkStatus.CONFIRMED: "Confirmed"}
POSSIBLE_REASONS = {
    "address": "Same name and address, date of birth missing or different",
    "date_of_birth": "Same name, date of birth missing or different",
    "first_name": "Same family name and date of birth, different first name (twins look like this)",
}
_NOTICES = {
    "confirmed": "The link has been confirmed.",
    "merged": "The people have been merged. Their incidents are now listed here.",
    "rule": "The repeat-incident rule has been saved.",
}


def _number(value: object) -> int:
    """A whole number from a form field; -1 (matches no version or id) for anything else."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else -1


def _today() -> Any:
    return datetime.now(UTC).astimezone(LONDON).date()


async def _person_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    person_id: int,
    *,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template | Redirect:
    identity = current_identity(request)
    found = await service.details(conn, identity, person_id, origin_of(request.scope))
    if found.person.merged_into is not None:
        # Nothing of theirs is shown here: their incidents are the survivor's now.
        return Redirect(path=f"/people/{found.person.merged_into}", status_code=303)
    done = str(request.query_params.get("done", ""))
    notice = _NOTICES.get(done)
    split_to = _number(request.query_params.get("to")) if done == "split" else -1
    return Template(
        template_name="people/person.html",
        context={
            "person": found.person,
            "years": age(found.person.date_of_birth, _today()),
            "names": found.names,
            "possible": found.possible,
            "reasons": POSSIBLE_REASONS,
            "can_change": policy.allows(identity, policy.Permission.SCREEN_NOTIFICATIONS),
            "notice": notice,
            "split_to": split_to if split_to > 0 else None,
            "errors": errors or {},
            "conflict": conflict,
            "labels": {**LABELS, "link": LINK_LABELS},
        },
        status_code=status,
    )


@get("/people/{person_id:int}", guards=[VIEW], include_in_schema=False)
async def person_page(request: Request[Any, Any, Any], conn: Connection, person_id: RecordId) -> Template | Redirect:
    return await _person_page(request, conn, person_id)


async def _change(
    request: Request[Any, Any, Any], conn: Connection, person_id: int, notification_id: int, what: str
) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    version = _number(form.get("version"))
    try:
        if what == "confirm":
            await service.confirm(
                conn,
                actor=identity,
                person_id=person_id,
                notification_id=notification_id,
                version=version,
                origin=origin_of(request.scope),
            )
            return Redirect(path=f"/people/{person_id}?done=confirmed", status_code=303)
        new_id = await service.split(
            conn,
            actor=identity,
            person_id=person_id,
            notification_id=notification_id,
            version=version,
            origin=origin_of(request.scope),
        )
        return Redirect(path=f"/people/{person_id}?done=split&to={new_id}", status_code=303)
    except Invalid as invalid:
        # The error summary points at the list of incidents, where the buttons are.
        message = next(iter(invalid.errors.values()))
        return await _person_page(request, conn, person_id, errors={"incidents": message}, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        # Someone changed this person since the page was opened: nothing was saved. Show it as it is now.
        return await _person_page(request, conn, person_id, conflict=True, status=HTTP_409_CONFLICT)


@post("/people/{person_id:int}/incidents/{notification_id:int}/confirm", guards=[CHANGE], include_in_schema=False)
async def confirm(
    request: Request[Any, Any, Any], conn: Connection, person_id: RecordId, notification_id: RecordId
) -> Template | Redirect:
    return await _change(request, conn, person_id, notification_id, "confirm")


@post("/people/{person_id:int}/incidents/{notification_id:int}/split", guards=[CHANGE], include_in_schema=False)
async def split(
    request: Request[Any, Any, Any], conn: Connection, person_id: RecordId, notification_id: RecordId
) -> Template | Redirect:
    return await _change(request, conn, person_id, notification_id, "split")


async def _merge_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    person_id: int,
    other: str,
    *,
    typed: str | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template | Redirect:
    """The merge page: the number to type, or both people side by side with the button to merge.

    `other` is looked up; `typed` (default: `other`) is only shown back in the field.
    """
    identity = current_identity(request)
    errors = dict(errors or {})
    try:
        person, candidate = await service.merge_candidate(conn, identity, person_id, other, origin_of(request.scope))
    except Invalid as invalid:
        errors.update(invalid.errors)
        person = await service.record(conn, identity, person_id, origin_of(request.scope), audited=False)
        candidate = None
    except Conflict as merged:
        return Redirect(path=f"/people/{merged.current}", status_code=303)
    today = _today()
    return Template(
        template_name="people/merge.html",
        context={
            "person": person,
            "candidate": candidate,
            "years": age(person.date_of_birth, today),
            "candidate_years": age(candidate.date_of_birth, today) if candidate else "",
            "other": other if typed is None else typed,
            "errors": errors,
            "conflict": conflict,
            "labels": {**LABELS, "link": LINK_LABELS},
        },
        status_code=HTTP_400_BAD_REQUEST if errors and status == 200 else status,
    )


@get("/people/{person_id:int}/merge", guards=[CHANGE], include_in_schema=False)
async def merge_form(request: Request[Any, Any, Any], conn: Connection, person_id: RecordId) -> Template | Redirect:
    return await _merge_page(request, conn, person_id, str(request.query_params.get("other") or ""))


@post("/people/{person_id:int}/merge", guards=[CHANGE], include_in_schema=False)
async def merge(request: Request[Any, Any, Any], conn: Connection, person_id: RecordId) -> Template | Redirect:
    form = await request.form()
    other = str(form.get("other") or "")
    try:
        await service.merge(
            conn,
            actor=current_identity(request),
            person_id=person_id,
            other_id=_number(other),
            version=_number(form.get("version")),
            other_version=_number(form.get("other_version")),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _merge_page(request, conn, person_id, "", typed=other, errors=invalid.errors)
    except Conflict:
        return await _merge_page(request, conn, person_id, other, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/people/{person_id}?done=merged", status_code=303)


# ---- the repeat-incident rule ---------------------------------------------------------------------


def _rule_values(rule: RepeatRule) -> dict[str, Any]:
    return {"threshold": str(rule.threshold), "window_months": str(rule.window_months), "version": rule.version}


async def _rule_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    rule = await service.rule(conn, current_identity(request))
    return Template(
        template_name="people/rule.html",
        context={
            "rule": rule,
            "values": values or _rule_values(rule),
            "errors": errors or {},
            "conflict": conflict,
            "defaults": (DEFAULT_THRESHOLD, DEFAULT_WINDOW_MONTHS),
            "notice": _NOTICES.get(str(request.query_params.get("done", ""))),
        },
        status_code=status,
    )


@get("/admin/repeat-incidents", guards=[RULE], include_in_schema=False)
async def rule_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _rule_page(request, conn)


@post("/admin/repeat-incidents", guards=[RULE], include_in_schema=False)
async def save_rule(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    values = {
        "threshold": str(form.get("threshold") or ""),
        "window_months": str(form.get("window_months") or ""),
        "version": _number(form.get("version")),
    }
    try:
        await service.update_rule(
            conn, actor=current_identity(request), change=RuleChange(**values), origin=origin_of(request.scope)
        )
    except Invalid as invalid:
        return await _rule_page(request, conn, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await _rule_page(request, conn, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path="/admin/repeat-incidents?done=rule", status_code=303)


ROUTES = [person_page, confirm, split, merge_form, merge, rule_page, save_rule]

"""Actions pages: an agency's actions (coordinators and managers: every agency's), one action with its
history and the forms to close or reassign it, and agreeing an action on an item's page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.actions import queries, service
from pitstop.actions.forms import due_values, parse_due
from pitstop.actions.models import STATUS_LABELS, ActionIn, ActionStatus, CompletionIn, ReassignIn
from pitstop.agenda.service import sees_everything
from pitstop.errors import Conflict, Invalid
from pitstop.information.pages import item_page
from pitstop.meetings.pages import number
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_ACTIONS)
COMPLETE = requires(policy.Permission.COMPLETE_ACTIONS)
MANAGE = requires(policy.Permission.MANAGE_ACTIONS)
SHOWING = {"open": "Open", "overdue": "Overdue", "closed": "Closed", "all": "All"}
_NOTICES = {
    "closed": "The action has been updated.",
    "reassigned": "The action has been reassigned.",
    "added": "The action has been added.",
}


def _on_page(errors: dict[str, str]) -> dict[str, str]:
    """The service names the due time `due_at`; on the page it is the date input `due`."""
    return {("due" if k == "due_at" else k): v for k, v in errors.items()}


@get("/actions", guards=[VIEW], include_in_schema=False)
async def actions_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    showing = str(request.query_params.get("showing") or "open")
    showing = showing if showing in SHOWING else "open"
    agency = number(request.query_params.get("agency")) if request.query_params.get("agency") else None
    statuses = {
        "open": [ActionStatus.OPEN],
        "overdue": [ActionStatus.OPEN],
        "closed": [ActionStatus.DONE, ActionStatus.NOT_POSSIBLE, ActionStatus.NOT_DONE],
        "all": None,
    }[showing]
    found = await service.listing(
        conn,
        identity,
        origin_of(request.scope),
        agency_id=agency if agency and agency > 0 else None,
        statuses=statuses,
        overdue_only=showing == "overdue",
    )
    everyone = sees_everything(identity)
    return Template(
        template_name="actions/list.html",
        context={
            "actions": found,
            "showing": showing,
            "showings": SHOWING,
            "agency": agency,
            "agencies": await queries.agencies(conn, identity.partnership_id) if everyone else [],
            "everyone": everyone,
            "labels": STATUS_LABELS,
        },
    )


async def _action_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    action_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    found, history = await service.action(conn, identity, action_id, origin_of(request.scope))
    shown: dict[str, Any] = {
        "owner_agency_id": str(found.owner_agency_id),
        "owner_name": found.owner_name or "",
        "status": "",
        "note": "",
        **due_values("due", found.due_at),
    }
    if values and not conflict:
        shown |= values
    manages = policy.allows(identity, policy.Permission.MANAGE_ACTIONS)
    choices = [ActionStatus.DONE, ActionStatus.NOT_POSSIBLE] + ([ActionStatus.NOT_DONE] if manages else [])
    return Template(
        template_name="actions/action.html",
        context={
            "a": found,
            "history": history,
            "values": shown,
            "errors": errors or {},
            "conflict": conflict,
            "may_close": service.may_close(identity, found) and found.status is ActionStatus.OPEN,
            "may_reopen": manages and found.status is not ActionStatus.OPEN,
            "may_reassign": manages and found.status is ActionStatus.OPEN,
            "status_options": [(s.value, STATUS_LABELS[s]) for s in choices],
            "agencies": [(str(a), n) for a, n in await queries.agencies(conn, identity.partnership_id)],
            "labels": STATUS_LABELS,
            "notice": _NOTICES.get(str(request.query_params.get("done", ""))),
        },
        status_code=status,
    )


@get("/actions/{action_id:int}", guards=[VIEW], include_in_schema=False)
async def action_page(request: Request[Any, Any, Any], conn: Connection, action_id: RecordId) -> Template:
    return await _action_page(request, conn, action_id)


@post("/actions/{action_id:int}/status", guards=[COMPLETE], include_in_schema=False)
async def close(request: Request[Any, Any, Any], conn: Connection, action_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values = {"status": str(form.get("status") or ""), "note": str(form.get("note") or "")[:5_000]}
    if values["status"] not in {s.value for s in ActionStatus}:
        errors = {"status": "Select what happened to the action"}
        return await _action_page(request, conn, action_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    try:
        await service.close(
            conn,
            actor=current_identity(request),
            action_id=action_id,
            form=CompletionIn(
                status=ActionStatus(values["status"]), note=values["note"], version=number(form.get("version"))
            ),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _action_page(
            request, conn, action_id, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST
        )
    except Conflict:
        return await _action_page(request, conn, action_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/actions/{action_id}?done=closed", status_code=303)


@post("/actions/{action_id:int}/owner", guards=[MANAGE], include_in_schema=False)
async def reassign(request: Request[Any, Any, Any], conn: Connection, action_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values: dict[str, Any] = {
        k: str(form.get(k) or "")
        for k in ("owner_agency_id", "owner_name", "note", "due-day", "due-month", "due-year", "due-time")
    }
    errors: dict[str, str] = {}
    due = parse_due(values, "due", errors)
    if len(values["owner_name"]) > 200:
        errors["owner_name"] = "The name must be 200 characters or fewer"
    if due is not None and not errors:
        try:
            await service.reassign(
                conn,
                actor=current_identity(request),
                action_id=action_id,
                form=ReassignIn(
                    owner_agency_id=number(values["owner_agency_id"]),
                    owner_name=values["owner_name"],
                    due_at=due,
                    note=values["note"][:5_000],
                    version=number(form.get("version")),
                ),
                origin=origin_of(request.scope),
            )
            return Redirect(path=f"/actions/{action_id}?done=reassigned", status_code=303)
        except Invalid as invalid:
            errors = _on_page(invalid.errors)
        except Conflict:
            return await _action_page(request, conn, action_id, conflict=True, status=HTTP_409_CONFLICT)
    return await _action_page(request, conn, action_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)


@post("/meetings/{meeting_id:int}/items/{item_id:int}/actions", guards=[MANAGE], include_in_schema=False)
async def add(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId
) -> Template | Redirect:
    form = await request.form()
    values: dict[str, Any] = {
        k: str(form.get(k) or "")
        for k in ("description", "owner_agency_id", "owner_name", "due-day", "due-month", "due-year", "due-time")
    }
    errors: dict[str, str] = {}
    if not values["description"].strip():
        errors["description"] = "Enter what is to be done"
    elif len(values["description"]) > 2_000:
        errors["description"] = "The action must be 2,000 characters or fewer"
    if not values["owner_agency_id"]:
        errors["owner_agency_id"] = "Select the agency that owns the action"
    due = parse_due(values, "due", errors)
    if not errors and due is not None:
        try:
            await service.create(
                conn,
                actor=current_identity(request),
                meeting_id=meeting_id,
                item_id=item_id,
                form=ActionIn(
                    description=values["description"],
                    owner_agency_id=number(values["owner_agency_id"]),
                    owner_name=values["owner_name"][:200],
                    due_at=due,
                ),
                origin=origin_of(request.scope),
            )
            return Redirect(path=f"/meetings/{meeting_id}/items/{item_id}?done=action#actions", status_code=303)
        except Invalid as invalid:
            errors = _on_page(invalid.errors)
    return await item_page(
        request, conn, meeting_id, item_id, action_values=values, errors=errors, status=HTTP_400_BAD_REQUEST
    )


ROUTES = [actions_page, action_page, close, reassign, add]

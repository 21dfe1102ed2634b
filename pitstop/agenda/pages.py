"""The agenda builder (add, remove, defer, reorder, publish) and the agenda rules page.

Reordering works without JavaScript (each item has "Move up" and "Move down" buttons) and with it
(drag and drop sends the whole order through htmx, and the builder is redrawn from the answer).
Every change carries the meeting's version: a coordinator whose view is stale gets the conflict
banner and the agenda as it is now (409), never a silent overwrite.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.agenda import service
from pitstop.agenda.ordering import GRADES, REASON_LABELS, Reason
from pitstop.errors import Conflict, Invalid
from pitstop.meetings.pages import MEETING_LABELS, number
from pitstop.meetings.schedule import local_day
from pitstop.notifications.pages import age
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

MANAGE = requires(policy.Permission.MANAGE_MEETINGS)
RULES = requires(policy.Permission.MANAGE_AGENDA_RULES)
_NOTICES = {
    "added": "The notification has been added to the agenda.",
    "removed": "The item has been removed from the agenda.",
    "deferred": "The item has been deferred to the next meeting.",
    "moved": "The order has been changed.",
    "rules": "The agenda rules have been saved. Open agendas not ordered by hand have been put in the new order.",
}


async def _builder(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    policy.require(identity, policy.Permission.MANAGE_MEETINGS)
    shown = await service.agenda(conn, identity, meeting_id, origin_of(request.scope))
    day = local_day(shown.meeting.starts_at)
    return Template(
        template_name="agenda/builder.html",
        context={
            "agenda": shown,
            "m": shown.meeting,
            "age": lambda born: age(born, day),
            "values": values or {},
            "errors": errors or {},
            "conflict": conflict,
            "notice": _NOTICES.get(str(request.query_params.get("done", ""))),
            "labels": MEETING_LABELS,
        },
        status_code=status,
    )


@get("/meetings/{meeting_id:int}/agenda", guards=[MANAGE], include_in_schema=False)
async def builder(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template:
    return await _builder(request, conn, meeting_id)


async def _outcome(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    done: str,
    action: Any,
    values: dict[str, str] | None = None,
) -> Template | Redirect:
    try:
        await action
    except Invalid as invalid:
        return await _builder(
            request, conn, meeting_id, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST
        )
    except Conflict:
        return await _builder(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path=f"/meetings/{meeting_id}/agenda?done={done}", status_code=303)


@post("/meetings/{meeting_id:int}/agenda/items", guards=[MANAGE], include_in_schema=False)
async def add(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    reference = str(form.get("police_reference") or "").strip()
    if not reference or len(reference) > 40:
        return await _builder(
            request,
            conn,
            meeting_id,
            values={"police_reference": reference[:40]},
            errors={"police_reference": "Enter the police reference of a screened notification"},
            status=HTTP_400_BAD_REQUEST,
        )
    action = service.add(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        version=number(form.get("version")),
        police_reference=reference,
        origin=origin_of(request.scope),
    )
    return await _outcome(request, conn, meeting_id, "added", action, {"police_reference": reference})


@post("/meetings/{meeting_id:int}/agenda/items/{item_id:int}/move", guards=[MANAGE], include_in_schema=False)
async def move(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId
) -> Template | Redirect:
    form = await request.form()
    direction = "up" if form.get("direction") == "up" else "down"
    action = service.move(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        item_id=item_id,
        version=number(form.get("version")),
        direction=direction,
        origin=origin_of(request.scope),
    )
    redirect = await _outcome(request, conn, meeting_id, "moved", action)
    if isinstance(redirect, Redirect):
        # Back to the item that moved, so a keyboard user keeps their place.
        return Redirect(path=f"/meetings/{meeting_id}/agenda?done=moved#item-{item_id}", status_code=303)
    return redirect


@post("/meetings/{meeting_id:int}/agenda/items/{item_id:int}/off", guards=[MANAGE], include_in_schema=False)
async def take_off(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId
) -> Template | Redirect:
    """Remove the item, or defer it to the next meeting: with a reason either way."""
    form = await request.form()
    reason = str(form.get(f"reason-{item_id}") or "")[:2000]
    deferring = form.get("action") == "defer"
    kwargs = {
        "actor": current_identity(request),
        "meeting_id": meeting_id,
        "item_id": item_id,
        "version": number(form.get("version")),
        "reason": reason,
        "origin": origin_of(request.scope),
    }
    try:
        if deferring:
            await service.defer(conn, **kwargs)
        else:
            await service.remove(conn, **kwargs)
    except Invalid as invalid:
        errors = {(f"reason-{item_id}" if k == "reason" else k): v for k, v in invalid.errors.items()}
        return await _builder(
            request, conn, meeting_id, values={f"reason-{item_id}": reason}, errors=errors, status=HTTP_400_BAD_REQUEST
        )
    except Conflict:
        return await _builder(request, conn, meeting_id, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(
        path=f"/meetings/{meeting_id}/agenda?done={'deferred' if deferring else 'removed'}", status_code=303
    )


@post("/meetings/{meeting_id:int}/agenda/order", guards=[MANAGE], include_in_schema=False)
async def order(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    """The whole order at once (drag and drop). htmx swaps the builder from the answer, 409 included."""
    form = await request.form()
    ids = [number(v) for v in form.getall("items", [])][:1000]
    action = service.reorder(
        conn,
        actor=current_identity(request),
        meeting_id=meeting_id,
        version=number(form.get("version")),
        item_ids=ids,
        origin=origin_of(request.scope),
    )
    return await _outcome(request, conn, meeting_id, "moved", action)


# ---- the rules ----------------------------------------------------------------------------------


async def _rules_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    rules, version = await service.rules_of(conn, current_identity(request))
    shown = {f"weights.{r.value}": str(rules.weight(r)) for r in Reason}
    shown |= {f"time_boxes.{g}": str(rules.time_box(g)) for g in GRADES}
    shown["version"] = str(version)
    if values and not conflict:
        shown |= {k: v for k, v in values.items() if k != "version"}
    return Template(
        template_name="agenda/rules.html",
        context={
            "values": shown,
            "errors": errors or {},
            "conflict": conflict,
            "reasons": [(r.value, REASON_LABELS[r]) for r in Reason],
            "grades": GRADES,
            "notice": _NOTICES.get(str(request.query_params.get("done", ""))),
        },
        status_code=status,
    )


@get("/admin/agenda-rules", guards=[RULES], include_in_schema=False)
async def rules_form(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _rules_page(request, conn)


@post("/admin/agenda-rules", guards=[RULES], include_in_schema=False)
async def rules(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k.startswith(("weights.", "time_boxes.", "version"))}
    errors: dict[str, str] = {}
    weights: dict[Reason, int] = {}
    for reason in Reason:
        value = number(values.get(f"weights.{reason.value}"))
        if not 0 <= value <= 100_000:
            errors[f"weights.{reason.value}"] = f"Enter a whole number from 0 to 100000 for {REASON_LABELS[reason]}"
        weights[reason] = value
    boxes: dict[str, int] = {}
    for grade in GRADES:
        value = number(values.get(f"time_boxes.{grade}"))
        if not 0 <= value <= 60:
            errors[f"time_boxes.{grade}"] = f"Enter the minutes for a {grade} item, from 0 to 60"
        boxes[grade] = value
    if errors:
        return await _rules_page(request, conn, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    try:
        await service.save_rules(
            conn,
            actor=current_identity(request),
            weights=weights,
            time_boxes=boxes,
            version=number(values.get("version")),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _rules_page(request, conn, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await _rules_page(request, conn, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path="/admin/agenda-rules?done=rules", status_code=303)


ROUTES = [builder, add, move, take_off, order, rules_form, rules]

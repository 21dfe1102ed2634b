"""The decision form on an item's page (the page itself: pitstop.information.pages)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.decisions import service
from pitstop.decisions.models import DecisionIn, DissentIn, MaracCriterion
from pitstop.errors import Conflict, Invalid
from pitstop.information.pages import item_page
from pitstop.meetings.pages import number
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

DECIDE = requires(policy.Permission.RECORD_DECISIONS)
_FIELDS = ("rationale", "regrade", "regrade_rationale", "marac_criterion", "version")


def _read(form: Any) -> tuple[DecisionIn | None, dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in _FIELDS}
    values["outcomes"] = [str(v)[:61] for v in form.getall("outcomes", [])][:30]
    values["defer"] = form.get("defer") == "yes"
    dissents = []
    for key in form:
        if key.startswith("dissent-") and str(form.get(key) or "").strip():
            values[key] = str(form.get(key))
            dissents.append(DissentIn(agency_id=number(key.removeprefix("dissent-")), reason=values[key][:2_000]))
    errors: dict[str, str] = {}
    if values["regrade"] not in ("", "high", "medium", "standard"):
        errors["regrade"] = "Select a grade"
    if values["marac_criterion"] not in {"", *(c.value for c in MaracCriterion)}:
        errors["marac_criterion"] = "Select the criterion for the MARAC referral"
    if any(len(values[k]) > 10_000 for k in ("rationale", "regrade_rationale")):
        errors["rationale"] = "The reasons must be 10,000 characters or fewer"
    if errors:
        return None, values, errors
    return (
        DecisionIn(
            outcomes=values["outcomes"],
            rationale=values["rationale"],
            regrade=values["regrade"] or None,
            regrade_rationale=values["regrade_rationale"] or None,
            marac_criterion=MaracCriterion(values["marac_criterion"]) if values["marac_criterion"] else None,
            dissents=dissents,
            defer=values["defer"],
            version=number(values["version"]) if values["version"] else None,
        ),
        values,
        {},
    )


@post("/meetings/{meeting_id:int}/items/{item_id:int}/decision", guards=[DECIDE], include_in_schema=False)
async def decide(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId
) -> Template | Redirect:
    form, values, errors = _read(await request.form())
    if form is not None:
        try:
            await service.record(
                conn,
                actor=current_identity(request),
                meeting_id=meeting_id,
                item_id=item_id,
                form=form,
                origin=origin_of(request.scope),
            )
            done = "deferred" if form.defer else "decided"
            return Redirect(path=f"/meetings/{meeting_id}/items/{item_id}?done={done}#decision", status_code=303)
        except Invalid as invalid:
            errors = invalid.errors
        except Conflict as conflict:
            return await item_page(
                request,
                conn,
                meeting_id,
                item_id,
                decision_values=values,
                decision_conflict=conflict.current,
                status=HTTP_409_CONFLICT,
            )
    return await item_page(
        request, conn, meeting_id, item_id, decision_values=values, errors=errors, status=HTTP_400_BAD_REQUEST
    )


# ---- the partnership's outcome list ---------------------------------------------------------------

OUTCOMES = requires(policy.Permission.MANAGE_OUTCOMES)


async def _outcomes_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Template:
    rows, version = await service.outcome_list(conn, current_identity(request))
    saved = request.query_params.get("done") == "saved"
    return Template(
        template_name="decisions/outcomes.html",
        context={
            "rows": rows,
            "version": version,
            "values": {} if conflict else (values or {}),
            "errors": errors or {},
            "conflict": conflict,
            "notice": "The outcomes have been saved." if saved else None,
        },
        status_code=status,
    )


@get("/admin/outcomes", guards=[OUTCOMES], include_in_schema=False)
async def outcomes_form(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _outcomes_page(request, conn)


@post("/admin/outcomes", guards=[OUTCOMES], include_in_schema=False)
async def save_outcomes(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    labels = {
        number(key.removeprefix("label-")): str(form.get(key) or "")[:500] for key in form if key.startswith("label-")
    }
    active = [str(v) for v in form.getall("active", [])]
    values: dict[str, Any] = {f"label-{k}": v for k, v in labels.items()}
    values |= {"active": active, "new_label": str(form.get("new_label") or "")[:500]}
    try:
        await service.save_outcomes(
            conn,
            actor=current_identity(request),
            version=str(form.get("version") or ""),
            labels=labels,
            active={number(a) for a in active},
            new_label=values["new_label"],
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _outcomes_page(request, conn, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    except Conflict:
        return await _outcomes_page(request, conn, conflict=True, status=HTTP_409_CONFLICT)
    return Redirect(path="/admin/outcomes?done=saved", status_code=303)


ROUTES = [decide, outcomes_form, save_outcomes]

"""Agency information pages: an agenda item with what each agency knows (and the user's own agency's
form), a record's history, and an agency's preparation page with "not known" for many items at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.actions import service as actions
from pitstop.actions.forms import default_due
from pitstop.actions.models import STATUS_LABELS as ACTION_LABELS
from pitstop.decisions import service as decisions
from pitstop.decisions.models import MARAC_CRITERIA, Decision
from pitstop.errors import Conflict, Invalid
from pitstop.information import service
from pitstop.information.models import Information, InformationIn, Knowledge, NotKnownIn, Visibility
from pitstop.live import discussion, events
from pitstop.meetings.pages import MEETING_LABELS, number
from pitstop.meetings.schedule import LONDON, local_day
from pitstop.minutes import queries as minutes
from pitstop.notifications.pages import age, parse_when
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_MEETINGS)
RECORD = requires(policy.Permission.RECORD_INFORMATION)

KNOWLEDGE = {
    Knowledge.KNOWN: "Known to our agency",
    Knowledge.NOT_KNOWN: "Not known to our agency",
    Knowledge.NO_TRACE: "No trace on our systems",
}
VISIBILITY = {
    Visibility.SHARED: "Shared with every agency at the meeting",
    Visibility.RESTRICTED: "Restricted to the agencies I name",
    Visibility.NOT_FOR_MINUTES: "Not for the minutes: my agency, coordinators and managers only",
}
LABELS = {**MEETING_LABELS, "knowledge": KNOWLEDGE, "visibility": VISIBILITY, "marac": MARAC_CRITERIA}
_NOTICES = {
    "saved": "Your agency's information has been saved.",
    "decided": "The decision has been saved.",
    "deferred": "The decision has been saved and the item deferred to the next meeting.",
    "action": "The action has been added.",
}
_FIELDS = ("knowledge", "summary", "source_system", "visibility", "version", "checked-day", "checked-month")
_FIELDS += ("checked-year", "checked-time")


def _values_of(record: Information | None) -> dict[str, Any]:
    """The form as it opens: the agency's record, or a blank one checked now."""
    at = (record.checked_at if record else datetime.now(UTC)).astimezone(LONDON)
    values: dict[str, Any] = {
        "knowledge": record.knowledge.value if record else "",
        "summary": (record.summary or "") if record else "",
        "source_system": (record.source_system or "") if record else "",
        "visibility": record.visibility.value if record else Visibility.SHARED.value,
        "restricted_to": [str(a) for a in record.restricted_to] if record else [],
        "third_party": record.third_party if record else False,
        "version": str(record.version) if record else "",
        "checked-day": str(at.day),
        "checked-month": str(at.month),
        "checked-year": str(at.year),
        "checked-time": at.strftime("%H:%M"),
    }
    return values


def _read(form: Any) -> tuple[InformationIn | None, dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in _FIELDS}
    values["restricted_to"] = [str(v) for v in form.getall("restricted_to", [])]
    values["third_party"] = form.get("third_party") == "yes"
    errors: dict[str, str] = {}
    if values["knowledge"] not in {k.value for k in Knowledge}:
        errors["knowledge"] = "Select whether your agency knows the family"
    if values["visibility"] not in {v.value for v in Visibility}:
        errors["visibility"] = "Select who may see it"
    if len(values["summary"]) > 5_000:
        errors["summary"] = "The summary must be 5,000 characters or fewer"
    if len(values["source_system"]) > 200:
        errors["source_system"] = "The system's name must be 200 characters or fewer"
    checked = parse_when(values, "checked", "The time it was checked", errors)
    if errors:
        return None, values, errors
    return (
        InformationIn(
            knowledge=Knowledge(values["knowledge"]),
            summary=values["summary"],
            source_system=values["source_system"],
            checked_at=checked,
            visibility=Visibility(values["visibility"]),
            restricted_to=[number(a) for a in values["restricted_to"]],
            third_party=values["third_party"],
            version=number(values["version"]) if values["version"] else None,
        ),
        values,
        {},
    )


def _decision_values(found: Decision | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "outcomes": list(found.outcomes) if found else [],
        "rationale": found.rationale if found else "",
        "regrade": (found.regrade or "") if found else "",
        "regrade_rationale": (found.regrade_rationale or "") if found else "",
        "marac_criterion": (found.marac_criterion or "") if found else "",
        "defer": False,
        "version": str(found.version) if found else "",
    }
    for dissent in found.dissents if found else []:
        values[f"dissent-{dissent.agency_id}"] = dissent.reason
    return values


async def item_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    item_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: Information | None = None,
    decision_values: dict[str, Any] | None = None,
    decision_conflict: Decision | None = None,
    action_values: dict[str, Any] | None = None,
    status: int = 200,
    template: str = "information/item.html",
) -> Template:
    """The item page; after a refused save, with what the user typed, the errors, or the version saved
    meanwhile (of their agency's information, or of the decision)."""
    identity = current_identity(request)
    full = template == "information/item.html"
    # Read before what the page shows: the page's stream starts after it, so whatever is saved while
    # the page is drawn and its stream opens still reaches it.
    seen_event = await events.latest(conn, meeting_id) if full else 0
    found = await service.item_information(conn, identity, meeting_id, item_id, origin_of(request.scope))
    day = local_day(found.meeting.starts_at)
    shown = _values_of(found.own)
    if values is not None:
        # What the user typed stays; after a conflict the form carries the version now saved.
        shown |= {k: v for k, v in values.items() if k != "version"} if conflict is not None else values
    decision = await decisions.decision_of(conn, item_id)
    decided = _decision_values(decision)
    if decision_values is not None:
        decided |= (
            {k: v for k, v in decision_values.items() if k != "version"} if decision_conflict else decision_values
        )
    outcomes = await decisions.outcomes(conn, found.meeting.partnership_id)
    closed = await minutes.locked(conn, meeting_id)  # approved minutes: the record is read-only
    # The meeting's bar (where the meeting is, who is present) heads the full page; the panel has none.
    now = await discussion.now(conn, identity, meeting_id) if full else None
    return Template(
        template_name=template,
        context={
            "found": found,
            "m": found.meeting,
            "item": found.item,
            "age": lambda born: age(born, day),
            "values": shown,
            "errors": errors or {},
            "conflict": conflict,
            "names": {a.id: a.name for a in found.agencies},
            "others": [(str(a.id), a.name, None) for a in found.agencies if a.id != identity.agency_id],
            "knowledge_options": [(k.value, text) for k, text in KNOWLEDGE.items()],
            "visibility_options": [(v.value, text) for v, text in VISIBILITY.items()],
            "sees_history": {r.id: service.sees_history(identity, r) for r in found.records},
            "notice": _NOTICES.get(str(request.query_params.get("done", ""))),
            "labels": LABELS,
            "decision": decision,
            "decision_values": decided,
            "decision_conflict": decision_conflict,
            "can_decide": decisions.may_decide(identity, found.meeting, found.item) and not closed,
            "record_closed": closed,
            "outcome_options": [(o.code, o.label, None) for o in outcomes],
            "outcome_labels": await decisions.outcome_labels(conn, found.meeting.partnership_id),
            "marac_options": [(c.value, text) for c, text in MARAC_CRITERIA.items()],
            "actions": await actions.for_item(conn, identity, item_id, origin_of(request.scope)),
            "may_agree": actions.may_agree(identity, found.meeting) and not closed,
            "action_values": {"description": "", "owner_agency_id": "", "owner_name": "", **default_due()}
            | (action_values or {}),
            "agency_options": [(str(a.id), a.name) for a in found.agencies],
            "action_labels": ACTION_LABELS,
            "now": now,
            "page_item": item_id,
            "seen_event": seen_event,
        },
        status_code=status,
    )


@get("/meetings/{meeting_id:int}/items/{item_id:int}", guards=[VIEW], include_in_schema=False)
async def item(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId) -> Template:
    return await item_page(request, conn, meeting_id, item_id)


@get("/meetings/{meeting_id:int}/items/{item_id:int}/panel", guards=[VIEW], include_in_schema=False)
async def panel(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId) -> Template:
    """The item's information, decision and actions, read again as the user when the live stream says
    something changed (htmx swaps it in; the forms around it stay as they are)."""
    return await item_page(request, conn, meeting_id, item_id, template="information/panel.html")


@post("/meetings/{meeting_id:int}/items/{item_id:int}/information", guards=[RECORD], include_in_schema=False)
async def save(
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
            return Redirect(path=f"/meetings/{meeting_id}/items/{item_id}?done=saved#own", status_code=303)
        except Invalid as invalid:
            errors = invalid.errors
        except Conflict as conflict:
            return await item_page(
                request, conn, meeting_id, item_id, values=values, conflict=conflict.current, status=HTTP_409_CONFLICT
            )
    return await item_page(
        request, conn, meeting_id, item_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST
    )


@get(
    "/meetings/{meeting_id:int}/items/{item_id:int}/information/{information_id:int}",
    guards=[VIEW],
    include_in_schema=False,
)
async def history_page(
    request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId, item_id: RecordId, information_id: RecordId
) -> Template:
    record, versions = await service.history(
        conn, current_identity(request), meeting_id, item_id, information_id, origin_of(request.scope)
    )
    return Template(
        template_name="information/history.html",
        context={
            "record": record,
            "versions": versions,
            "meeting_id": meeting_id,
            "item_id": item_id,
            "labels": LABELS,
        },
    )


async def _preparation_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    meeting_id: int,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    found = await service.preparation(conn, identity, meeting_id, origin_of(request.scope))
    day = local_day(found.meeting.starts_at)
    return Template(
        template_name="information/prepare.html",
        context={
            "found": found,
            "m": found.meeting,
            "age": lambda born: age(born, day),
            "errors": errors or {},
            "notice": notice,
            "labels": LABELS,
        },
        status_code=status,
    )


@get("/meetings/{meeting_id:int}/prepare", guards=[VIEW], include_in_schema=False)
async def preparation(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template:
    recorded = str(request.query_params.get("recorded", ""))
    notice = None
    if recorded.isdigit():
        count = int(recorded)
        notice = f'{count} {"item" if count == 1 else "items"} recorded as "not known".'
    return await _preparation_page(request, conn, meeting_id, notice=notice)


@post("/meetings/{meeting_id:int}/prepare", guards=[RECORD], include_in_schema=False)
async def not_known(request: Request[Any, Any, Any], conn: Connection, meeting_id: RecordId) -> Template | Redirect:
    form = await request.form()
    items = [number(v) for v in form.getall("items", [])]
    if not items:
        return await _preparation_page(
            request,
            conn,
            meeting_id,
            errors={"items": 'Select the items to record as "not known"'},
            status=HTTP_400_BAD_REQUEST,
        )
    try:
        count = await service.not_known(
            conn,
            actor=current_identity(request),
            meeting_id=meeting_id,
            form=NotKnownIn(items=items[:500], source_system=str(form.get("source_system") or "")[:200]),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _preparation_page(request, conn, meeting_id, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    return Redirect(path=f"/meetings/{meeting_id}/prepare?recorded={count}", status_code=303)


ROUTES = [item, panel, save, history_page, preparation, not_known]

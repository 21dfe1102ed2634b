"""The coordinator's notification pages: the intake queue, one notification, keying one in, screening.

Thin handlers: read the query or the form, call the services (which check permission, need to know
and versions, and audit every view and change), then redirect or show the page again with the
GOV.UK error summary. Forms work without JavaScript: adding or removing a person re-renders the
entry form with everything entered and saves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy
from pitstop.agenda import queries as agenda_queries
from pitstop.calendar.service import load_calendar
from pitstop.calendar.working_time import WorkingCalendar
from pitstop.db.rows import MAX_ID
from pitstop.errors import Conflict, Invalid
from pitstop.notifications import screening, service
from pitstop.notifications.models import (
    Consent,
    ConsentReason,
    Grade,
    Notification,
    NotificationIn,
    Outcome,
    Person,
    PersonRole,
    Route,
    ScreeningIn,
    Source,
    Status,
    Summary,
)
from pitstop.people.linkage import escalation_reasons
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

VIEW = requires(policy.Permission.VIEW_NOTIFICATIONS)
RECEIVE = requires(policy.Permission.RECEIVE_NOTIFICATIONS)
SCREEN = requires(policy.Permission.SCREEN_NOTIFICATIONS)
LONDON = ZoneInfo("Europe/London")
MAX_PEOPLE = 50  # NotificationIn.people allows no more

# ---- words for values -----------------------------------------------------------------------

GRADE_LABELS = {Grade.HIGH: "High", Grade.MEDIUM: "Medium", Grade.STANDARD: "Standard"}
GRADE_TAGS = {Grade.HIGH: "govuk-tag--red", Grade.MEDIUM: "govuk-tag--orange", Grade.STANDARD: "govuk-tag--grey"}
STATUS_LABELS = {Status.RECEIVED: "Not screened", Status.RESCREEN: "Screen again", Status.SCREENED: "Screened"}
STATUS_TAGS = {
    Status.RECEIVED: "govuk-tag--yellow",
    Status.RESCREEN: "govuk-tag--purple",
    Status.SCREENED: "govuk-tag--green",
}
ROLE_LABELS = {
    PersonRole.VICTIM: "Victim",
    PersonRole.SECONDARY_VICTIM: "Secondary victim",
    PersonRole.ALLEGED_PERPETRATOR: "Alleged perpetrator",
    PersonRole.CHILD: "Child",
    PersonRole.OTHER_ADULT: "Other adult",
}
SOURCE_LABELS = {Source.KEYED: "Keyed in", Source.API: "Police system (API)", Source.CSV: "Daily extract (CSV)"}
CONSENT_LABELS = {Consent.GIVEN: "Given", Consent.REFUSED: "Refused", Consent.NOT_SOUGHT: "Not sought"}
CONSENT_REASON_LABELS = {
    ConsentReason.UNSAFE_TO_ASK: "Unsafe to ask",
    ConsentReason.WOULD_PREJUDICE_CHILD_SAFETY: "Would prejudice the child's safety",
    ConsentReason.CANNOT_BE_GIVEN: "Consent cannot be given",
    ConsentReason.CANNOT_REASONABLY_BE_OBTAINED: "Consent cannot reasonably be obtained",
}
ROUTE_LABELS = {
    Route.AGENDA: "The meeting's agenda",
    Route.ALLOCATED_WORKER: "The allocated worker (open case)",
    Route.NO_FURTHER_ACTION: "No further action",
}
# The top-level fields of a notification as sent, for "what changed" between versions.
FIELD_LABELS = {
    "police_reference": "Police reference",
    "crime_reference": "Crime reference",
    "received_at": "Date received",
    "incident_at": "Date of incident",
    "address": "Incident address",
    "address_withheld": "Incident address withheld",
    "postcode": "Postcode",
    "council_area": "Council area",
    "circumstances": "Circumstances",
    "injuries": "Injuries",
    "weapons": "Weapons",
    "strangulation": "Strangulation or choking",
    "alcohol_or_drugs": "Alcohol or drugs",
    "arrest_made": "Arrest made",
    "no_arrest_reason": "Why no arrest",
    "body_worn_video": "Body-worn video",
    "risk": "Risk assessment",
    "previous_incidents_12m": "Previous incidents",
    "victim_pregnant": "Victim pregnant",
    "safe_contact": "Safe contact",
    "safe_contact_notes": "The police's note on safe contact",
    "consent_to_share": "Consent to share (police)",
    "victim_aware": "Victim aware of referral (police)",
    "open_case": "Open case",
    "allocated_worker": "Allocated worker",
    "people": "People",
}
_NOTICES = {
    "created": "The notification has been saved.",
    "unchanged": "A notification with this police reference was already here with the same details: nothing changed.",
    "updated": (
        "A notification with this police reference was already here: it has been updated with what you entered. "
        "The earlier version is kept."
    ),
    "screened": "The notification has been screened.",
}
LABELS = {
    "grade": GRADE_LABELS,
    "grade_tag": GRADE_TAGS,
    "status": STATUS_LABELS,
    "status_tag": STATUS_TAGS,
    "role": ROLE_LABELS,
    "source": SOURCE_LABELS,
    "consent": CONSENT_LABELS,
    "consent_reason": CONSENT_REASON_LABELS,
    "route": ROUTE_LABELS,
    "field": FIELD_LABELS,
}


def _notice(request: Request[Any, Any, Any]) -> str | None:
    return _NOTICES.get(str(request.query_params.get("done", "")))


def _text(value: object) -> str:
    return str(value or "").strip()


def _int(value: object) -> int:
    """A number from a form field; 0 (matches nothing) for anything that is not a plausible id."""
    text = _text(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        return 0
    return int(text)


def _now_london() -> datetime:
    return datetime.now(UTC).astimezone(LONDON)


# ---- clocks ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lateness:
    """Whether something waiting for screening is past its deadline, and by how much working time."""

    overdue: bool
    late_by: str = ""  # "3 working hours", "" when not overdue


def _describe_late(working: timedelta) -> str:
    minutes = int(working.total_seconds() // 60)
    if minutes < 1:
        return "less than a working minute"
    if minutes < 60:
        return f"{minutes} working minute{'' if minutes == 1 else 's'}"
    hours = minutes // 60
    return f"{hours} working hour{'' if hours == 1 else 's'}"


def lateness(status: Status, due: datetime | None, now: datetime, calendar: WorkingCalendar) -> Lateness:
    if status is Status.SCREENED or due is None or now <= due:
        return Lateness(overdue=False)
    return Lateness(overdue=True, late_by=_describe_late(calendar.working_hours_between(due, now)))


# ---- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueLine:
    summary: Summary
    lateness: Lateness


_STATUS_OPTIONS = [(s.value, STATUS_LABELS[s]) for s in (Status.RECEIVED, Status.RESCREEN, Status.SCREENED)]
_GRADE_OPTIONS = [(g.value, GRADE_LABELS[g]) for g in (Grade.HIGH, Grade.MEDIUM, Grade.STANDARD)]


def parse_iso_day(value: str, field: str, errors: dict[str, str], label: str) -> date | None:
    """A date typed as YYYY-MM-DD (a date field), or None with an error under `field`."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or day >= date.max:
        errors[field] = f"{label} must be a real date, like 2026-11-24"
        return None
    return day


def _queue_filters(params: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The query string as raw values, the filters for the service, and field errors."""
    raw = {k: _text(params.get(k)) for k in ("status", "grade", "overdue", "received_from", "received_to")}
    errors: dict[str, str] = {}
    status = Status(raw["status"]) if raw["status"] in Status._value2member_map_ else None
    if raw["status"] and status is None:
        errors["status"] = "Select a status from the list"
    grade = Grade(raw["grade"]) if raw["grade"] in Grade._value2member_map_ else None
    if raw["grade"] and grade is None:
        errors["grade"] = "Select a grade from the list"
    since = parse_iso_day(raw["received_from"], "received_from", errors, "The start date")
    until = parse_iso_day(raw["received_to"], "received_to", errors, "The end date")
    if since and until and until < since:
        errors["received_to"] = "The end date must be the same as or after the start date"
    filters = {
        "status": status,
        "grade": grade,
        "overdue": raw["overdue"] == "yes",
        # Dates are London days: from the start of the first to the end of the last.
        "received_from": datetime.combine(since, time(), LONDON) if since else None,
        "received_to": datetime.combine(until + timedelta(days=1), time(), LONDON) if until else None,
    }
    return raw, filters, errors


@get("/notifications", guards=[VIEW], include_in_schema=False)
async def queue_page(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    raw, filters, errors = _queue_filters(request.query_params)
    found = [] if errors else await service.queue(conn, identity, origin_of(request.scope), **filters)
    dates = {k: raw[k] for k in ("received_from", "received_to") if raw[k] and k not in errors}
    counts = await service.queue_counts(
        conn,
        identity,
        received_from=filters["received_from"] if "received_from" in dates else None,
        received_to=filters["received_to"] if "received_to" in dates else None,
    )
    calendar = await load_calendar(conn, identity.partnership_id)
    now = datetime.now(UTC)

    def link(**extra: str) -> str:
        return "/notifications?" + urlencode({**dates, **extra}) if dates or extra else "/notifications"

    return Template(
        template_name="notifications/queue.html",
        context={
            "lines": [QueueLine(s, lateness(s.status, s.screening_due_at, now, calendar)) for s in found],
            "counts": counts,
            "status_links": [
                (STATUS_LABELS[Status(s)], counts.by_status[s], link(status=s)) for s, _ in _STATUS_OPTIONS
            ],
            "grade_links": [(GRADE_LABELS[Grade(g)], counts.by_grade[g], link(grade=g)) for g, _ in _GRADE_OPTIONS],
            "overdue_link": link(overdue="yes"),
            "values": raw,
            "errors": errors,
            "filtered": any(raw.values()),
            "status_options": _STATUS_OPTIONS,
            "grade_options": _GRADE_OPTIONS,
            "can_receive": policy.allows(identity, policy.Permission.RECEIVE_NOTIFICATIONS),
            "labels": LABELS,
        },
        status_code=HTTP_400_BAD_REQUEST if errors else 200,
    )


# ---- one notification -----------------------------------------------------------------------


def age(born: date | None, today: date) -> str:
    """'9 years', '8 months', '3 weeks': how old someone born on `born` is today."""
    if born is None or born > today:
        return ""
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    if months >= 24:
        years = months // 12
        return f"{years} years"
    if months >= 1:
        return f"{months} month{'' if months == 1 else 's'}"
    weeks = (today - born).days // 7
    return f"{weeks} week{'' if weeks == 1 else 's'}" if weeks else "under a week"


def children_first(people: list[Person]) -> list[Person]:
    return sorted(people, key=lambda p: (p.role is not PersonRole.CHILD, p.position))


@get("/notifications/{notification_id:int}", guards=[VIEW], include_in_schema=False)
async def notification_page(request: Request[Any, Any, Any], conn: Connection, notification_id: RecordId) -> Template:
    identity = current_identity(request)
    found = await service.details(conn, identity, notification_id, origin_of(request.scope))
    notification = found.notification
    calendar = await load_calendar(conn, identity.partnership_id)
    now = datetime.now(UTC)
    questions = {q.get("key"): q.get("text") for q in (found.risk_tool.questions if found.risk_tool else [])}
    today = now.astimezone(LONDON).date()
    escalation = escalation_reasons(notification)
    return Template(
        template_name="notifications/notification.html",
        context={
            "n": notification,
            "placement": await agenda_queries.placement(conn, notification_id),
            "people": [(p, age(p.date_of_birth, today)) for p in children_first(notification.people)],
            "lateness": lateness(notification.status, notification.screening_due_at, now, calendar),
            "risk_tool_label": found.risk_tool.label if found.risk_tool else notification.risk_tool,
            "risk_yes": [questions.get(k) or k for k, v in notification.risk_answers.items() if v],
            "versions": found.versions,
            "screenings": found.screenings,
            "names": found.names,
            "escalation": escalation,
            "escalating": {reason.person.position for reason in escalation if reason.person},
            "can_screen": policy.allows(identity, policy.Permission.SCREEN_NOTIFICATIONS),
            "notice": _notice(request),
            "labels": LABELS,
        },
    )


# ---- keying a notification in ---------------------------------------------------------------

_YES_NO = {"yes": True, "no": False}
_TEXT_FIELDS = (
    "police_reference",
    "crime_reference",
    "address",
    "postcode",
    "council_area",
    "circumstances",
    "no_arrest_reason",
    "body_worn_video",
    "risk_tool",
    "risk_grade",
    "risk_yes_count",
    "previous_incidents_12m",
    "safe_contact_number",
    "safe_contact_times",
    "allocated_worker",
)
_CHOICE_FIELDS = (
    "injuries",
    "weapons",
    "strangulation",
    "alcohol_or_drugs",
    "arrest_made",
    "victim_pregnant",
    "safe_to_contact",
    "open_case",
)
_WHEN_FIELDS = ("received_at", "incident_at")
_PERSON_TEXT = (
    "role",
    "family_name",
    "given_names",
    "dob-day",
    "dob-month",
    "dob-year",
    "sex",
    "ethnicity",
    "relationship",
    "address",
    "school",
    "gp_or_health_visitor",
)
_PERSON_CHOICES = ("ordinarily_resident", "present", "witnessed", "injured")
_PERSON_KEY = re.compile(r"^people-(\d{1,3})-role$")
_ACTION_REMOVE = re.compile(r"^remove-person-(\d{1,3})$")
CLOCK = re.compile(r"^(\d{1,2})[:.]?(\d{2})$")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-_. ]*$")
_MSGSPEC_PATH = re.compile(r"at `\$\.?([^`]*)`$")


def _blank_person(role: str = "") -> dict[str, str]:
    return {
        **dict.fromkeys(_PERSON_TEXT, ""),
        **dict.fromkeys(_PERSON_CHOICES, ""),
        "role": role,
        "address_withheld": "",
    }


def _entry_defaults() -> dict[str, Any]:
    now = _now_london()
    values: dict[str, Any] = dict.fromkeys(_TEXT_FIELDS + _CHOICE_FIELDS, "")
    for name in _WHEN_FIELDS:
        values.update(dict.fromkeys((f"{name}-day", f"{name}-month", f"{name}-year", f"{name}-time"), ""))
    values.update(
        {
            "received_at-day": str(now.day),
            "received_at-month": str(now.month),
            "received_at-year": str(now.year),
            "received_at-time": now.strftime("%H:%M"),
            "risk_tool": "dash",
            "open_case": "no",
            "people": [_blank_person(PersonRole.VICTIM.value)],
        }
    )
    return values


def _read_entry(form: FormMultiDict) -> dict[str, Any]:
    """Everything entered, as strings, so the form can be shown again exactly as it was."""
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in _TEXT_FIELDS + _CHOICE_FIELDS}
    for name in _WHEN_FIELDS:
        for part in ("day", "month", "year", "time"):
            values[f"{name}-{part}"] = str(form.get(f"{name}-{part}") or "")
    indexes = sorted({int(m.group(1)) for key in form if (m := _PERSON_KEY.match(key))})[:MAX_PEOPLE]
    people = []
    for index in indexes:
        person = {name: str(form.get(f"people-{index}-{name}") or "") for name in _PERSON_TEXT + _PERSON_CHOICES}
        person["address_withheld"] = "yes" if form.get(f"people-{index}-address_withheld") == "yes" else ""
        people.append(person)
    values["people"] = people or [_blank_person(PersonRole.VICTIM.value)]
    return values


def parse_day(day: str, month: str, year: str, what: str) -> date | str | None:
    """A date from the GOV.UK date input's three fields; None if all are empty; a message if wrong."""
    parts = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    if not any(parts.values()):
        return None
    missing = [name for name, value in parts.items() if not value]
    if missing:
        return f"{what} must include a {' and a '.join(missing)}"
    if not all(v.isascii() and v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        return f"{what} must be a real date"
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return f"{what} must be a real date"


def parse_when(values: dict[str, Any], name: str, what: str, errors: dict[str, str]) -> datetime | None:
    day = parse_day(values[f"{name}-day"], values[f"{name}-month"], values[f"{name}-year"], what)
    clock = values[f"{name}-time"].strip()
    if isinstance(day, str):
        errors[name] = day
        return None
    if day is None:
        if clock:
            errors[name] = f"Enter the date as well as the time ({what.lower()})"
        return None
    match = CLOCK.match(clock)
    if not clock:
        errors[f"{name}-time"] = f"Enter the time, like 14:30 ({what.lower()})"
        return None
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        errors[f"{name}-time"] = f"Enter a real time, like 14:30 ({what.lower()})"
        return None
    moment = datetime.combine(day, time(int(match.group(1)), int(match.group(2))), LONDON)
    if moment > datetime.now(UTC) + timedelta(minutes=5):
        errors[name] = f"{what} must be in the past"
        return None
    return moment.astimezone(UTC)


def _short(
    value: str, field: str, what: str, errors: dict[str, str], *, required: str = "", limit: int = 200
) -> str | None:
    text = value.strip()
    if not text:
        if required:
            errors[field] = required
        return None
    if len(text) > limit:
        errors[field] = f"{what} must be {limit:,} characters or fewer"
        return None
    return text


def _count(value: str, field: str, what: str, errors: dict[str, str]) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > 1000:
        errors[field] = f"{what} must be a whole number, like 3"
        return None
    return int(text)


def _reference(value: str, field: str, what: str, errors: dict[str, str], required: str = "") -> str | None:
    text = _short(value, field, what, errors, required=required, limit=40)
    if text is not None and not _REFERENCE.match(text):
        errors[field] = f"{what} must start with a letter or number, and use only letters, numbers, spaces and / - _ ."
        return None
    return text


def _parse_entry(values: dict[str, Any], tools: set[str]) -> tuple[NotificationIn | None, dict[str, str]]:
    """The form's values as a NotificationIn, or the field errors (ids on the page) that stop it."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        "police_reference": _reference(
            values["police_reference"], "police_reference", "Police reference", errors, "Enter the police reference"
        ),
        "crime_reference": _reference(values["crime_reference"], "crime_reference", "Crime reference", errors),
        "received_at": parse_when(values, "received_at", "The date received", errors),
        "incident_at": parse_when(values, "incident_at", "The date of the incident", errors),
        "address": _short(values["address"], "address", "Address", errors),
        "postcode": _short(values["postcode"], "postcode", "Postcode", errors, limit=10),
        "council_area": _short(values["council_area"], "council_area", "Council area", errors),
        "circumstances": _short(
            values["circumstances"],
            "circumstances",
            "Circumstances",
            errors,
            required="Enter what happened",
            limit=10_000,
        ),
    }
    for name in ("injuries", "weapons", "strangulation", "alcohol_or_drugs", "arrest_made", "victim_pregnant"):
        body[name] = _YES_NO.get(values[name])
    body["no_arrest_reason"] = _short(values["no_arrest_reason"], "no_arrest_reason", "Why no arrest", errors)
    lines = [line.strip() for line in values["body_worn_video"].splitlines() if line.strip()]
    if len(lines) > 50 or any(len(line) > 200 for line in lines):
        errors["body_worn_video"] = "Enter up to 50 references, one a line, each 200 characters or fewer"
    body["body_worn_video"] = lines
    tool = values["risk_tool"].strip()
    if not tool:
        errors["risk_tool"] = "Select the risk tool the officer used"
    elif tool not in tools:
        errors["risk_tool"] = "Select a risk tool from the list"
    grade = values["risk_grade"]
    if grade not in Grade._value2member_map_:
        errors["risk_grade"] = "Select the officer's grade"
    body["risk"] = {
        "tool": tool,
        "grade": grade,
        "yes_count": _count(values["risk_yes_count"], "risk_yes_count", "The number of yes answers", errors),
    }
    body["previous_incidents_12m"] = _count(
        values["previous_incidents_12m"], "previous_incidents_12m", "The number of previous incidents", errors
    )
    safe = _YES_NO.get(values["safe_to_contact"])
    number = _short(values["safe_contact_number"], "safe_contact_number", "Safe telephone number", errors)
    times = _short(values["safe_contact_times"], "safe_contact_times", "Safe times", errors)
    if (number or times) and safe is not True:
        # Never a channel for a victim it is not known to be safe to contact.
        errors["safe_contact_number" if number else "safe_contact_times"] = (
            "You said it is not safe to contact the victim: remove the number and times, or change that answer"
            if safe is False
            else "Say whether it is safe to contact the victim, or remove the number and times"
        )
    body["safe_contact"] = None if safe is None else {"safe": safe, "number": number, "times": times}
    body["open_case"] = values["open_case"] == "yes"
    body["allocated_worker"] = _short(values["allocated_worker"], "allocated_worker", "Allocated worker", errors)
    today = _now_london().date()
    people = []
    for index, person in enumerate(values["people"]):
        prefix = f"people-{index}-"
        role = person["role"]
        if role not in PersonRole._value2member_map_:
            errors[prefix + "role"] = f"Select the role of person {index + 1}"
        born = parse_day(
            person["dob-day"], person["dob-month"], person["dob-year"], f"Person {index + 1}'s date of birth"
        )
        if isinstance(born, str):
            errors[prefix + "dob"] = born
            born = None
        elif born is not None and born > today:
            errors[prefix + "dob"] = f"Person {index + 1}'s date of birth must be in the past"
            born = None
        entry: dict[str, Any] = {
            "role": role,
            "family_name": _short(
                person["family_name"],
                prefix + "family_name",
                "Family name",
                errors,
                required=f"Enter person {index + 1}'s family name",
            ),
            "date_of_birth": born,
            "address_withheld": person["address_withheld"] == "yes",
        }
        for name, what in (
            ("given_names", "Given names"),
            ("sex", "Sex"),
            ("ethnicity", "Ethnicity"),
            ("relationship", "Relationship"),
            ("address", "Address"),
            ("school", "School or nursery"),
            ("gp_or_health_visitor", "GP or health visitor"),
        ):
            entry[name] = _short(person[name], prefix + name, what, errors)
        for name in _PERSON_CHOICES:
            entry[name] = _YES_NO.get(person[name])
        people.append(entry)
    body["people"] = people
    if errors:
        return None, errors
    try:
        return msgspec.convert(body, NotificationIn), {}
    except msgspec.ValidationError as invalid:
        # Checked above field by field; this catches whatever the types say that we did not.
        found = _MSGSPEC_PATH.search(str(invalid))
        return None, {
            _field_id(found.group(1) if found else ""): "Check this answer: it is not in a form Pitstop accepts"
        }


_SERVICE_FIELDS = {
    "": "police_reference",
    "risk": "risk_tool",
    "risk.tool": "risk_tool",
    "risk.answers": "risk_tool",
    "risk.grade": "risk_grade",
    "risk.yes_count": "risk_yes_count",
    "safe_contact": "safe_to_contact",
    "safe_contact.safe": "safe_to_contact",
    "safe_contact.number": "safe_contact_number",
    "safe_contact.times": "safe_contact_times",
    "people": "people-0-role",
}
_PERSON_PATH = re.compile(r"^people\[(\d+)\](?:\.(\w+))?")


def _field_id(path: str) -> str:
    """The id on the entry form of a body field named by its path: `people[0].address` -> people-0-address."""
    if path in _SERVICE_FIELDS:
        return _SERVICE_FIELDS[path]
    if person := _PERSON_PATH.match(path):
        field = person.group(2) or "role"
        return f"people-{person.group(1)}-{'dob' if field == 'date_of_birth' else field}"
    return path.replace(".", "_")


def _entry_order(values: dict[str, Any]) -> list[str]:
    """Field ids in the order they appear on the entry form, so the error summary follows the page."""
    order = [
        "police_reference",
        "crime_reference",
        "received_at",
        "received_at-time",
        "incident_at",
        "incident_at-time",
        "address",
        "postcode",
        "council_area",
        "circumstances",
        "injuries",
        "weapons",
        "strangulation",
        "alcohol_or_drugs",
        "arrest_made",
        "no_arrest_reason",
        "body_worn_video",
        "risk_tool",
        "risk_grade",
        "risk_yes_count",
        "previous_incidents_12m",
        "victim_pregnant",
        "safe_to_contact",
        "safe_contact_number",
        "safe_contact_times",
        "open_case",
        "allocated_worker",
    ]
    for index in range(len(values["people"])):
        order += [
            f"people-{index}-{name}"
            for name in ("role", "family_name", "given_names", "dob", "sex", "ethnicity", "relationship")
        ]
        order += [
            f"people-{index}-{name}" for name in ("address", "address_withheld", "school", "gp_or_health_visitor")
        ]
        order += [f"people-{index}-{name}" for name in _PERSON_CHOICES]
    return order


def _in_order(errors: dict[str, str], order: list[str]) -> dict[str, str]:
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(rank))))


async def _entry_form(
    conn: Connection,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    tools = await service.risk_tools(conn)
    return Template(
        template_name="notifications/new.html",
        context={
            "values": values,
            "errors": _in_order(errors or {}, _entry_order(values)),
            "tool_options": [(t.code, t.label) for t in tools],
            "grade_options": _GRADE_OPTIONS,
            "role_options": [(r.value, ROLE_LABELS[r]) for r in PersonRole],
            "max_people": MAX_PEOPLE,
        },
        status_code=status,
    )


@get("/notifications/new", guards=[RECEIVE], include_in_schema=False)
async def new_notification(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _entry_form(conn, values=_entry_defaults())


@post("/notifications/new", guards=[RECEIVE], include_in_schema=False)
async def key_in(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    values = _read_entry(form)
    action = str(form.get("action") or "save")
    if action == "add-person":
        if len(values["people"]) < MAX_PEOPLE:
            values["people"].append(_blank_person())
        return await _entry_form(conn, values=values)
    if removing := _ACTION_REMOVE.match(action):
        index = int(removing.group(1))
        if len(values["people"]) > 1 and index < len(values["people"]):
            del values["people"][index]
        return await _entry_form(conn, values=values)
    tools = {t.code for t in await service.risk_tools(conn)}
    body, errors = _parse_entry(values, tools)
    if body is None:
        return await _entry_form(conn, values=values, errors=errors, status=HTTP_400_BAD_REQUEST)
    try:
        received = await service.receive(
            conn,
            actor=identity,
            partnership_id=identity.partnership_id,
            body=body,
            source=Source.KEYED,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        mapped: dict[str, str] = {}
        for path, message in invalid.errors.items():
            mapped.setdefault(_field_id(path), message)
        return await _entry_form(conn, values=values, errors=mapped, status=HTTP_400_BAD_REQUEST)
    done = {Outcome.CREATED: "created", Outcome.UNCHANGED: "unchanged", Outcome.UPDATED: "updated"}[received.outcome]
    return Redirect(path=f"/notifications/{received.notification.id}?done={done}", status_code=303)


# ---- screening ------------------------------------------------------------------------------

_OVERRIDES = (Consent.REFUSED, Consent.NOT_SOUGHT)  # sharing without relying on consent
_RATIONALE_LIMIT = 5_000


def _yes_no_value(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _screening_defaults(notification: Notification) -> dict[str, str]:
    values = {
        "version": str(notification.version),
        "grade": notification.officer_grade.value,
        "grade_rationale": "",
        "consent": "",
        # What the police recorded is the starting point; the coordinator confirms or corrects it.
        "victim_aware": _yes_no_value(notification.victim_aware),
        "route": "",
        "route_rationale": "",
        "delay_reason": "",
        "immediate_protection": "",
    }
    for consent in _OVERRIDES:
        for name in ("consent_reason", "consent_rationale", "authorised_by"):
            values[f"{consent.value}-{name}"] = ""
    return values


def _read_screening(form: FormMultiDict) -> dict[str, str]:
    names = ["version", "grade", "grade_rationale", "consent", "victim_aware", "route", "route_rationale"]
    names += ["delay_reason", "immediate_protection"]
    names += [f"{c.value}-{n}" for c in _OVERRIDES for n in ("consent_reason", "consent_rationale", "authorised_by")]
    return {name: str(form.get(name) or "") for name in names}


def _rationale(value: str, field: str, errors: dict[str, str]) -> str | None:
    text = value.strip()
    if len(text) > _RATIONALE_LIMIT:
        errors[field] = f"This must be {_RATIONALE_LIMIT:,} characters or fewer"
        return None
    return text or None


def _parse_screening(values: dict[str, str]) -> tuple[ScreeningIn | None, dict[str, str]]:
    errors: dict[str, str] = {}
    grade = values["grade"] if values["grade"] in Grade._value2member_map_ else None
    if grade is None:
        errors["grade"] = "Select the grade"
    grade_rationale = _rationale(values["grade_rationale"], "grade_rationale", errors)
    consent = Consent(values["consent"]) if values["consent"] in Consent._value2member_map_ else None
    if consent is None:
        errors["consent"] = "Select whether the victim gave consent to share"
    reason = rationale = authorised_by = None
    if consent in _OVERRIDES:
        assert consent is not None
        prefix = f"{consent.value}-"
        chosen = values[prefix + "consent_reason"]
        reason = chosen if chosen in ConsentReason._value2member_map_ else None
        rationale = _rationale(values[prefix + "consent_rationale"], prefix + "consent_rationale", errors)
        authorised_by = _int(values[prefix + "authorised_by"]) or None
    route = values["route"] if values["route"] in Route._value2member_map_ else None
    if route is None:
        errors["route"] = "Select where this notification goes next"
    route_rationale = _rationale(values["route_rationale"], "route_rationale", errors)
    delay_reason = _rationale(values["delay_reason"], "delay_reason", errors)
    if errors:
        return None, errors
    return (
        ScreeningIn(
            version=_int(values["version"]),
            grade=Grade(grade),
            grade_rationale=grade_rationale,
            consent=Consent(consent),
            consent_reason=ConsentReason(reason) if reason else None,
            consent_rationale=rationale,
            authorised_by=authorised_by,
            victim_aware=_YES_NO.get(values["victim_aware"]),
            route=Route(route),
            route_rationale=route_rationale,
            delay_reason=delay_reason,
            immediate_protection=values["immediate_protection"] == "yes",
        ),
        {},
    )


def _screening_field(name: str, consent: str) -> str:
    """The id on the screening form of a field the service names."""
    if name in ("consent_reason", "consent_rationale", "authorised_by"):
        return f"{consent}-{name}" if consent in {c.value for c in _OVERRIDES} else "consent"
    return name


_SCREENING_ORDER = [
    "grade",
    "grade_rationale",
    "consent",
    *(f"{c.value}-{n}" for c in _OVERRIDES for n in ("consent_reason", "consent_rationale", "authorised_by")),
    "victim_aware",
    "route",
    "route_rationale",
    "delay_reason",
]


async def _screening_form(
    request: Request[Any, Any, Any],
    conn: Connection,
    notification_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    conflict_since: int | None = None,
) -> Template:
    identity = current_identity(request)
    found = await service.details(conn, identity, notification_id, origin_of(request.scope))  # 404s, and audits
    notification = found.notification
    calendar = await load_calendar(conn, identity.partnership_id)
    values = values or _screening_defaults(notification)
    if conflict_since is not None:
        values = {**values, "version": str(notification.version)}
    # What the police changed: since the version this coordinator opened, or since the last screening.
    since = conflict_since
    if since is None and notification.status is Status.RESCREEN and found.screenings:
        since = found.screenings[0].notification_version
    changed: list[str] = []
    for entry in found.versions:
        if since is not None and entry.version > since:
            changed += [c for c in entry.changed if c not in changed]
    late = lateness(notification.status, notification.screening_due_at, datetime.now(UTC), calendar)
    return Template(
        template_name="notifications/screening.html",
        context={
            "n": notification,
            "again": notification.status is not Status.RECEIVED,
            "values": values,
            "errors": _in_order(errors or {}, _SCREENING_ORDER),
            "lateness": late,
            "show_delay": late.overdue or bool(values.get("delay_reason")) or "delay_reason" in (errors or {}),
            "conflict": conflict_since is not None,
            "changed": [FIELD_LABELS.get(c, c) for c in changed],
            "children": sum(1 for p in notification.people if p.role is PersonRole.CHILD),
            "manager_options": await service.authorising_managers(conn, identity),
            "grade_options": _GRADE_OPTIONS,
            "consent_options": [(c.value, CONSENT_LABELS[c]) for c in Consent],
            "overrides": [c.value for c in _OVERRIDES],
            "reason_options": [(r.value, CONSENT_REASON_LABELS[r]) for r in ConsentReason],
            "route_options": [
                (r.value, ROUTE_LABELS[r])
                for r in Route
                if r is not Route.ALLOCATED_WORKER or notification.open_case or values.get("route") == r.value
            ],
            "labels": LABELS,
        },
        status_code=status,
    )


@get("/notifications/{notification_id:int}/screening", guards=[SCREEN], include_in_schema=False)
async def screening_form(request: Request[Any, Any, Any], conn: Connection, notification_id: RecordId) -> Template:
    return await _screening_form(request, conn, notification_id)


@post("/notifications/{notification_id:int}/screening", guards=[SCREEN], include_in_schema=False)
async def screen(request: Request[Any, Any, Any], conn: Connection, notification_id: RecordId) -> Template | Redirect:
    form = await request.form()
    values = _read_screening(form)
    parsed, errors = _parse_screening(values)
    if parsed is None:
        return await _screening_form(
            request, conn, notification_id, values=values, errors=errors, status=HTTP_400_BAD_REQUEST
        )
    try:
        await screening.screen(
            conn,
            actor=current_identity(request),
            notification_id=notification_id,
            form=parsed,
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        mapped: dict[str, str] = {}
        for name, message in invalid.errors.items():
            mapped.setdefault(_screening_field(name, values["consent"]), message)
        return await _screening_form(
            request, conn, notification_id, values=values, errors=mapped, status=HTTP_400_BAD_REQUEST
        )
    except Conflict:
        # The police changed it since this form was opened: nothing was saved. Show what is there now.
        return await _screening_form(
            request, conn, notification_id, values=values, status=HTTP_409_CONFLICT, conflict_since=parsed.version
        )
    return Redirect(path=f"/notifications/{notification_id}?done=screened", status_code=303)


ROUTES = [queue_page, new_notification, key_in, notification_page, screening_form, screen]

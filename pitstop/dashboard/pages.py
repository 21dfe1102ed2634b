"""The dashboard's page (`/dashboard`), its figures as a fragment read again every minute, and its CSV.

Each figure is a chart (SVG drawn here) with its data table beside it; each count links to the list behind
it (the notifications queue, the minutes, an agency's actions), which applies the same need-to-know rules
as everywhere and audits what it shows.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from pitstop.accounts import policy
from pitstop.dashboard import charts, service
from pitstop.dashboard.figures import GRADES
from pitstop.dashboard.service import Dashboard
from pitstop.meetings.schedule import LONDON
from pitstop.notifications.pages import LABELS, parse_iso_day
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import request_context

VIEW = requires(policy.Permission.VIEW_DASHBOARD)
DEFAULT_WEEKS = 12
MAX_DAYS = 366 * 2


def _filters(params: Any) -> tuple[dict[str, str], date, date, str | None, dict[str, str]]:
    values = {k: str(params.get(k) or "").strip() for k in ("from", "to", "grade")}
    errors: dict[str, str] = {}
    today = datetime.now(LONDON).date()
    last = parse_iso_day(values["to"], "to", errors, "The end date") or today
    first = parse_iso_day(values["from"], "from", errors, "The start date") or last - timedelta(weeks=DEFAULT_WEEKS)
    if not errors and last < first:
        errors["to"] = "The end date must be the same as or after the start date"
    elif not errors and (last - first).days > MAX_DAYS:
        errors["from"] = "Choose two years or less"
    grade = values["grade"] or None
    if grade is not None and grade not in GRADES:
        errors["grade"] = "Select a grade from the list"
    values["from"], values["to"] = first.isoformat(), last.isoformat()
    return values, first, last, grade, errors


def _weeks(found: Dashboard) -> list[tuple[date, dict[str, int]]]:
    """Notifications per London week and grade, from the per-day counts."""
    weeks: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GRADES, 0))
    for day in found.volumes.per_day if found.volumes else []:
        weeks[day.day - timedelta(days=day.day.weekday())][day.grade] += day.count
    return sorted(weeks.items())


def _context(found: Dashboard, values: dict[str, str]) -> dict[str, Any]:
    screening_weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in found.screening:
        totals = screening_weeks[row.week]
        totals[0] += row.on_time
        totals[1] += row.late
        totals[2] += row.waiting
    days: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GRADES, 0))
    for day in found.volumes.per_day if found.volumes else []:
        days[day.day][day.grade] += day.count
    return {
        "d": found,
        "values": values,
        "weeks": _weeks(found),
        "grades": GRADES,
        "labels": LABELS,
        "screening_chart": charts.stacked_bars(
            "screening-chart",
            "Notifications screened within their deadline, per week",
            "Each week's notifications: screened on time, screened late, and not screened yet.",
            [charts.Series("On time"), charts.Series("Late"), charts.Series("Not screened yet")],
            [charts.Group(w.strftime("%-d %b"), v) for w, v in sorted(screening_weeks.items())],
        ),
        "volume_chart": charts.stacked_bars(
            "volume-chart",
            "Notifications received, per day, by grade",
            "Each day's notifications: high, medium and standard grade.",
            [charts.Series(LABELS["grade"][g]) for g in GRADES],
            [charts.Group(d.strftime("%-d %b"), [v[g] for g in GRADES]) for d, v in sorted(days.items())],
            charts.GRADE_COLOURS,
        ),
        "actions_chart": charts.stacked_bars(
            "actions-chart",
            "Actions per agency",
            "Each agency's actions agreed in the range: done on time, done late, open, not done, not possible.",
            [charts.Series(s) for s in ("Done on time", "Done late", "Open", "Not done", "Not possible")],
            [
                charts.Group(
                    a.agency_name.split()[-1][:12], [a.done_on_time, a.done_late, a.open, a.not_done, a.not_possible]
                )
                for a in found.actions
            ],
        ),
        "week_end": lambda w: (w + timedelta(days=6)).isoformat(),
    }


async def _dashboard(request: Request[Any, Any, Any]) -> tuple[Dashboard | None, dict[str, Any]]:
    """Two short transactions of its own, holding no connection in between: the changes queued since the
    background counter last ran are counted and committed first (its lock goes with that commit, so views
    never wait on one another's reading), then the figures are read."""
    values, first, last, grade, errors = _filters(request.query_params)
    if errors:
        return None, {"values": values, "errors": errors}
    db, context, actor = request.app.state.db, request_context(request), current_identity(request)
    async with db.unit(context) as conn:
        await service.count_changes(conn, actor)
    async with db.unit(context) as conn:
        found = await service.dashboard(
            conn, actor, first=first, last=last, grade=grade, now=datetime.now(UTC), origin=origin_of(request.scope)
        )
    return found, {"values": values, "errors": {}}


@get("/dashboard", guards=[VIEW], include_in_schema=False)
async def page(request: Request[Any, Any, Any]) -> Template:
    found, context = await _dashboard(request)
    if found is None:
        return Template(
            template_name="dashboard/page.html",
            context={
                **context,
                "d": None,
                "grade_options": [("", "Every grade")] + [(g, LABELS["grade"][g]) for g in GRADES],
            },
            status_code=HTTP_400_BAD_REQUEST,
        )
    return Template(
        template_name="dashboard/page.html",
        context={
            **_context(found, context["values"]),
            "errors": {},
            "grade_options": [("", "Every grade")] + [(g, LABELS["grade"][g]) for g in GRADES],
        },
    )


@get("/dashboard/figures", guards=[VIEW], include_in_schema=False)
async def figures_fragment(request: Request[Any, Any, Any]) -> Template:
    """The figures alone, read again every minute by the page (htmx), so it follows new data without a reload."""
    found, context = await _dashboard(request)
    if found is None:
        return Template(template_name="dashboard/errors.html", context=context, status_code=HTTP_400_BAD_REQUEST)
    return Template(template_name="dashboard/figures.html", context=_context(found, context["values"]))


@get("/dashboard.csv", guards=[VIEW], include_in_schema=False)
async def figures_csv(request: Request[Any, Any, Any]) -> Response[str]:
    """Every figure on the page as rows (section, figure, group, grade, value): counts, no personal data."""
    found, context = await _dashboard(request)
    if found is None:
        problems = "; ".join(f"{k}: {v}" for k, v in context["errors"].items())
        return Response(content=problems, media_type="text/plain", status_code=HTTP_400_BAD_REQUEST)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "figure", "group", "grade", "value"])
    for row in found.screening:
        for figure in ("received", "on_time", "late", "waiting"):
            writer.writerow(
                ["timeliness", f"screening_{figure}", f"week {row.week.isoformat()}", row.grade, getattr(row, figure)]
            )
    for row in found.overdue:
        writer.writerow(["timeliness", "overdue_now", "", row.grade, row.count])
        writer.writerow(["timeliness", "overdue_oldest_hours", "", row.grade, round(row.oldest_hours or 0, 1)])
    if found.durations:
        for name, (p50, p90, n) in (
            ("to_screening", found.durations.to_screening),
            ("to_discussion", found.durations.to_discussion),
            ("to_decision", found.durations.to_decision),
        ):
            writer.writerow(["timeliness", f"hours_{name}_median", "", "", "" if p50 is None else round(p50, 1)])
            writer.writerow(["timeliness", f"hours_{name}_p90", "", "", "" if p90 is None else round(p90, 1)])
            writer.writerow(["timeliness", f"hours_{name}_count", "", "", n])
    if found.minutes:
        for figure in ("meetings", "on_time", "late", "overdue", "waiting"):
            writer.writerow(["timeliness", f"minutes_{figure}", "", "", getattr(found.minutes, figure)])
    if found.volumes:
        for day in found.volumes.per_day:
            writer.writerow(["volumes", "notifications", f"day {day.day.isoformat()}", day.grade, day.count])
        for figure in ("notifications", "children", "potential_escalation", "for_information", "no_further_action"):
            writer.writerow(["volumes", figure, "", found.scope.grade or "", getattr(found.volumes, figure)])
    if found.outcomes:
        writer.writerow(["outcomes", "decisions", "", found.scope.grade or "", found.outcomes.decisions])
        writer.writerow(["outcomes", "marac_referrals", "", found.scope.grade or "", found.outcomes.marac_referrals])
        for outcome in found.outcomes.outcomes:
            writer.writerow(["outcomes", outcome.code, "", found.scope.grade or "", outcome.count])
    for row in found.attendance:
        for figure in ("meetings", "present", "apologies", "absent", "information_sent"):
            writer.writerow(["agencies", f"attendance_{figure}", row.agency_name, "", getattr(row, figure)])
    for row in found.actions:
        for figure in ("agreed", "open", "overdue", "done_on_time", "done_late", "not_done", "not_possible"):
            writer.writerow(["agencies", f"actions_{figure}", row.agency_name, "", getattr(row, figure)])
    name = f"pitstop-figures-{found.scope.first.isoformat()}-to-{found.scope.last.isoformat()}.csv"
    return Response(
        content=out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


ROUTES = [page, figures_fragment, figures_csv]

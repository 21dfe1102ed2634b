"""The due date and time of an action as the GOV.UK date input (with its time field) reads and shows it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from pitstop.meetings.schedule import LONDON
from pitstop.notifications.pages import CLOCK, parse_day


def parse_due(values: dict[str, Any], name: str, errors: dict[str, str]) -> datetime | None:
    """A due date and time (London) from the GOV.UK date input with its time field."""
    day = parse_day(
        values.get(f"{name}-day", ""), values.get(f"{name}-month", ""), values.get(f"{name}-year", ""), "The due date"
    )
    clock = str(values.get(f"{name}-time", "")).strip() or "17:00"
    if day is None:
        errors[name] = "Enter the date the action is due"
        return None
    if isinstance(day, str):
        errors[name] = day
        return None
    match = CLOCK.match(clock)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        errors[f"{name}-time"] = "Enter a real time, like 17:00"
        return None
    return datetime.combine(day, time(int(match.group(1)), int(match.group(2))), LONDON).astimezone(UTC)


def due_values(name: str, due: datetime) -> dict[str, str]:
    local = due.astimezone(LONDON)
    return {
        f"{name}-day": str(local.day),
        f"{name}-month": str(local.month),
        f"{name}-year": str(local.year),
        f"{name}-time": local.strftime("%H:%M"),
    }


def default_due(now: datetime | None = None) -> dict[str, str]:
    """A new action's form: due at 17:00 two days on, to be changed."""
    moment = (now or datetime.now(UTC)).astimezone(LONDON) + timedelta(days=2)
    return due_values("due", datetime.combine(moment.date(), time(17), LONDON))

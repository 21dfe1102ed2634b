"""Screening: a coordinator checks the grade, records consent, and routes the notification.

Professional judgement may raise a grade but must never silently lower one; sharing without the
victim's consent needs its reason, a rationale and the manager who authorised it; a notification
screened after its deadline says why it was late.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from pitstop.accounts import policy
from pitstop.accounts import queries as accounts
from pitstop.accounts.identity import Identity
from pitstop.accounts.models import Role
from pitstop.agenda import service as agenda
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.db.rows import to_struct, to_structs
from pitstop.errors import Conflict, Invalid
from pitstop.notifications import queries
from pitstop.notifications.models import Consent, Grade, Notification, Route, Screening, ScreeningIn, Status

_RANK = {Grade.STANDARD: 0, Grade.MEDIUM: 1, Grade.HIGH: 2}
_COLUMNS = (
    "id, notification_id, notification_version, grade, grade_rationale, consent, consent_reason, "
    "consent_rationale, authorised_by, victim_aware, route, route_rationale, delay_reason, screened_by, screened_at, "
    "immediate_protection"
)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


async def _errors(
    conn: asyncpg.Connection, actor: Identity, notification: Notification, form: ScreeningIn
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if _RANK[form.grade] < _RANK[notification.officer_grade] and _blank(form.grade_rationale):
        errors["grade_rationale"] = (
            f"Explain why the grade is lower than the officer's ({notification.officer_grade.value})"
        )
    if form.consent is not Consent.GIVEN:
        if form.consent_reason is None:
            errors["consent_reason"] = "Select why information is shared without consent"
        if _blank(form.consent_rationale):
            errors["consent_rationale"] = "Explain why sharing without consent is justified"
        manager = await accounts.user(conn, form.authorised_by) if form.authorised_by else None
        if (
            manager is None
            or manager.partnership_id != actor.partnership_id
            or not manager.active
            or Role.MANAGER not in manager.roles
        ):
            errors["authorised_by"] = "Select the manager who authorised sharing without consent"
    if form.route is Route.NO_FURTHER_ACTION and _blank(form.route_rationale):
        errors["route_rationale"] = "Explain why no further action is needed"
    if form.route is Route.ALLOCATED_WORKER and not notification.open_case:
        errors["route"] = "Only an open case can go to its allocated worker"
    due = notification.screening_due_at
    if due is not None and datetime.now(UTC) > due and _blank(form.delay_reason):
        errors["delay_reason"] = "This is past its screening deadline: record why"
    return errors


async def screen(
    conn: asyncpg.Connection, *, actor: Identity, notification_id: int, form: ScreeningIn, origin: audit.Origin
) -> Screening:
    policy.require(actor, policy.Permission.SCREEN_NOTIFICATIONS)
    # Before any row lock: a screening may move an item on an open agenda (pitstop.agenda).
    await agenda.lock_agendas(conn, actor.partnership_id)
    # Lock it: a police update arriving meanwhile waits, then finds it screened and flags re-screening.
    await conn.execute("SELECT 1 FROM notification WHERE id = $1 FOR UPDATE", notification_id)
    notification = await queries.get(conn, notification_id)
    policy.visible(actor, "notification", notification, notification.partnership_id if notification else None)
    assert notification is not None
    if form.version != notification.version:
        raise Conflict("the police changed this notification since it was opened", current=notification)
    if errors := await _errors(conn, actor, notification, form):
        raise Invalid(errors)
    row = await conn.fetchrow(
        f"""INSERT INTO screening (partnership_id, notification_id, notification_version, grade, grade_rationale,
                   consent, consent_reason, consent_rationale, authorised_by, victim_aware, route, route_rationale,
                   delay_reason, screened_by, immediate_protection)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            RETURNING {_COLUMNS}""",  # noqa: S608 - column names are constants
        notification.partnership_id,
        notification_id,
        notification.version,
        form.grade.value,
        form.grade_rationale,
        form.consent.value,
        form.consent_reason.value if form.consent_reason else None,
        form.consent_rationale,
        form.authorised_by if form.consent is not Consent.GIVEN else None,
        form.victim_aware,
        form.route.value,
        form.route_rationale,
        form.delay_reason,
        actor.user_id,
        form.immediate_protection,
    )
    await conn.execute(
        "UPDATE notification SET status = $2, updated_at = now() WHERE id = $1", notification_id, Status.SCREENED.value
    )
    await audit.record(
        conn,
        AuditAction.NOTIFICATION_SCREENED,
        actor=actor,
        origin=origin,
        record_type="notification",
        record_id=notification_id,
        detail={
            "grade": form.grade.value,
            "route": form.route.value,
            "consent": form.consent.value,
            "late": form.delay_reason is not None,
            "immediate_protection": form.immediate_protection,
        },
    )
    screening = to_struct(row, Screening)
    assert screening is not None
    # Routed to a meeting it waits for the next agenda; already on one, the agenda follows (pitstop.agenda).
    await agenda.screened(
        conn,
        actor=actor,
        partnership_id=notification.partnership_id,
        notification_id=notification_id,
        screening_id=screening.id,
        screened_at=screening.screened_at,
        route=form.route.value,
    )
    return screening


async def history(conn: asyncpg.Connection, notification_id: int) -> list[Screening]:
    """Every screening of a notification, the one in force first. Callers have checked visibility."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM screening WHERE notification_id = $1 ORDER BY id DESC",  # noqa: S608
        notification_id,
    )
    return to_structs(rows, Screening)

"""Need to know, in one place: may this user do this, and may they see this record?

Route handlers declare the permission they need (a guard answers 401 or 403); services call
`visible` for every record they read or change (404 outside the user's partnership or need to
know). Later features add their permissions here and their record rules with `record_rule`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.accounts.models import Role, Scope
from pitstop.errors import Forbidden, NotFound


class Permission(StrEnum):
    ADMINISTER_USERS = "administer_users"
    ADMINISTER_AGENCIES = "administer_agencies"
    ADMINISTER_TOKENS = "administer_tokens"
    VIEW_AUDIT = "view_audit"
    VIEW_CALENDAR = "view_calendar"
    MANAGE_CALENDAR = "manage_calendar"
    VIEW_NOTIFICATIONS = "view_notifications"
    RECEIVE_NOTIFICATIONS = "receive_notifications"
    SCREEN_NOTIFICATIONS = "screen_notifications"
    MANAGE_IMPORT_MAPPING = "manage_import_mapping"
    # The partnership's "potential escalation" rule (repeat incidents): configuration, like agencies.
    ADMINISTER_REPEAT_RULE = "administer_repeat_rule"
    # Meetings: agency members see the published agendas of meetings their agency is invited to.
    VIEW_MEETINGS = "view_meetings"
    # Build and adjust agendas, publish them, move, cancel or add meetings, record attendance.
    MANAGE_MEETINGS = "manage_meetings"
    # The meeting series: days, times, place, standing invitees (configuration: no case data).
    MANAGE_SERIES = "manage_series"
    # The agenda's ordering weights and time boxes.
    MANAGE_AGENDA_RULES = "manage_agenda_rules"
    # The mail outbox: what was sent, what waits, what failed (subjects and addresses, no case data).
    VIEW_OUTBOX = "view_outbox"
    # Record one's own agency's information on the items of a meeting it is invited to.
    RECORD_INFORMATION = "record_information"
    # Record the meeting's decision on an item (the chair or minute-taker: coordinators).
    RECORD_DECISIONS = "record_decisions"
    # Actions: see one's agency's (coordinators and managers: all); complete them; agree and reassign them.
    VIEW_ACTIONS = "view_actions"
    COMPLETE_ACTIONS = "complete_actions"
    MANAGE_ACTIONS = "manage_actions"
    # The partnership's list of decision outcomes (configuration: no case data).
    MANAGE_OUTCOMES = "manage_outcomes"
    # Approve a held meeting's minutes (locking them), and open a correction as a new version.
    APPROVE_MINUTES = "approve_minutes"
    # The minutes across meetings: state, deadlines, downloads (coordinators and managers).
    LIST_MINUTES = "list_minutes"
    # The dashboard: every figure (coordinators and managers); an agency's own action figures (members).
    VIEW_DASHBOARD = "view_dashboard"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.ADMINISTER_USERS,
            Permission.ADMINISTER_AGENCIES,
            Permission.ADMINISTER_TOKENS,
            Permission.ADMINISTER_REPEAT_RULE,
            Permission.VIEW_OUTBOX,
            Permission.VIEW_CALENDAR,
            Permission.MANAGE_CALENDAR,
            Permission.MANAGE_IMPORT_MAPPING,
            Permission.MANAGE_SERIES,
            Permission.MANAGE_AGENDA_RULES,
            Permission.MANAGE_OUTCOMES,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.VIEW_AUDIT,
            Permission.VIEW_NOTIFICATIONS,
            Permission.VIEW_CALENDAR,
            Permission.VIEW_MEETINGS,
            Permission.VIEW_ACTIONS,
            Permission.LIST_MINUTES,
            Permission.VIEW_DASHBOARD,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            Permission.VIEW_NOTIFICATIONS,
            Permission.RECEIVE_NOTIFICATIONS,
            Permission.SCREEN_NOTIFICATIONS,
            Permission.VIEW_CALENDAR,
            Permission.MANAGE_CALENDAR,
            Permission.MANAGE_IMPORT_MAPPING,
            Permission.VIEW_MEETINGS,
            Permission.MANAGE_MEETINGS,
            Permission.MANAGE_SERIES,
            Permission.MANAGE_AGENDA_RULES,
            Permission.RECORD_INFORMATION,
            Permission.RECORD_DECISIONS,
            Permission.VIEW_ACTIONS,
            Permission.COMPLETE_ACTIONS,
            Permission.MANAGE_ACTIONS,
            Permission.MANAGE_OUTCOMES,
            Permission.APPROVE_MINUTES,
            Permission.LIST_MINUTES,
            Permission.VIEW_DASHBOARD,
        }
    ),
    Role.AGENCY_MEMBER: frozenset(
        {
            Permission.VIEW_MEETINGS,
            Permission.RECORD_INFORMATION,
            Permission.VIEW_ACTIONS,
            Permission.COMPLETE_ACTIONS,
            Permission.VIEW_DASHBOARD,
        }
    ),
}

# An API token reaches a permission only through a scope, and only while its user's roles allow it.
SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.NOTIFICATIONS_READ: frozenset({Permission.VIEW_NOTIFICATIONS}),
    Scope.NOTIFICATIONS_WRITE: frozenset({Permission.RECEIVE_NOTIFICATIONS}),
    Scope.ACTIONS_READ: frozenset({Permission.VIEW_ACTIONS}),
    Scope.ACTIONS_WRITE: frozenset({Permission.VIEW_ACTIONS, Permission.COMPLETE_ACTIONS}),
    Scope.AUDIT_READ: frozenset({Permission.VIEW_AUDIT}),
    Scope.MEETINGS_READ: frozenset({Permission.VIEW_MEETINGS}),
}

# Which roles may hold a token with each scope (checked when a token is created).
SCOPE_ROLES: dict[Scope, frozenset[Role]] = {
    Scope.NOTIFICATIONS_READ: frozenset({Role.COORDINATOR, Role.MANAGER}),
    Scope.NOTIFICATIONS_WRITE: frozenset({Role.COORDINATOR}),
    Scope.ACTIONS_READ: frozenset({Role.COORDINATOR, Role.AGENCY_MEMBER, Role.MANAGER}),
    Scope.ACTIONS_WRITE: frozenset({Role.COORDINATOR, Role.AGENCY_MEMBER}),
    Scope.AUDIT_READ: frozenset({Role.MANAGER}),
    Scope.MEETINGS_READ: frozenset({Role.COORDINATOR, Role.AGENCY_MEMBER, Role.MANAGER}),
}


def allows(identity: Identity, permission: Permission) -> bool:
    by_role = any(permission in ROLE_PERMISSIONS[role] for role in identity.roles)
    if identity.method is AuthMethod.TOKEN:
        return by_role and any(permission in SCOPE_PERMISSIONS[scope] for scope in identity.scopes)
    return by_role


def require(identity: Identity, permission: Permission) -> None:
    if not allows(identity, permission):
        raise Forbidden(permission.value)


def scopes_allowed(roles: frozenset[Role] | set[Role]) -> set[Scope]:
    return {scope for scope, holders in SCOPE_ROLES.items() if holders & roles}


# record type -> extra rule beyond "same partnership" (e.g. an agency's restricted information).
_RECORD_RULES: dict[str, Callable[[Identity, Any], bool]] = {}


def record_rule(record_type: str) -> Callable[[Callable[[Identity, Any], bool]], Callable[[Identity, Any], bool]]:
    def register(rule: Callable[[Identity, Any], bool]) -> Callable[[Identity, Any], bool]:
        _RECORD_RULES[record_type] = rule
        return rule

    return register


def visible(identity: Identity, record_type: str, record: Any, partnership_id: int | None) -> None:
    """Raise NotFound unless the record is in the user's partnership and passes its type's rule.

    `record` may be None (it does not exist): that is the same NotFound.
    """
    if record is None or partnership_id != identity.partnership_id:
        raise NotFound(record_type)
    rule = _RECORD_RULES.get(record_type)
    if rule is not None and not rule(identity, record):
        raise NotFound(record_type)

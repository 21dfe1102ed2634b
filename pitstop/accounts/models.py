"""Structs and enums for partnerships, agencies, users, roles and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class Role(StrEnum):
    """What a user may do; matches app_user_roles_known in 0002_accounts.sql."""

    COORDINATOR = "coordinator"  # screens notifications, builds agendas, chairs or takes minutes
    AGENCY_MEMBER = "agency_member"  # records its agency's information and actions
    MANAGER = "manager"  # reads what a coordinator reads, downloads minutes and reports, authorises overrides
    ADMIN = "admin"  # manages users and settings; no case data unless also given another role

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.COORDINATOR: "Coordinator",
    Role.AGENCY_MEMBER: "Agency member",
    Role.MANAGER: "Manager",
    Role.ADMIN: "Administrator",
}


class Scope(StrEnum):
    """What an API token may be used for; matches api_token_scopes_known in 0002_accounts.sql."""

    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_WRITE = "notifications:write"
    ACTIONS_READ = "actions:read"
    ACTIONS_WRITE = "actions:write"
    AUDIT_READ = "audit:read"
    MEETINGS_READ = "meetings:read"


class Partnership(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    slug: str
    name: str
    council_area: str
    police_force: str
    created_at: datetime


class NewPartnership(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    council_area: str
    police_force: str


class AgencyType(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str


class Agency(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int
    name: str
    agency_type: str
    agency_type_label: str
    active: bool
    version: int


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A user as administrators and the user see them (never the password hash)."""

    id: int
    partnership_id: int
    agency_id: int
    agency_name: str
    email: str
    name: str
    roles: list[Role]
    must_change_password: bool
    active: bool
    version: int
    created_at: datetime
    password_changed_at: datetime | None = None
    deactivated_at: datetime | None = None


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    user_id: int
    user_name: str
    name: str
    token_prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"

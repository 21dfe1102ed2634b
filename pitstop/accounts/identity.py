"""Who is making this request: the signed-in user (by session or API token) and how."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from pitstop.accounts.models import Role, Scope


class AuthMethod(StrEnum):
    SESSION = "session"
    TOKEN = "token"


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    user_id: int
    partnership_id: int
    agency_id: int
    name: str
    email: str
    roles: frozenset[Role]
    must_change_password: bool
    method: AuthMethod
    # Session: the stored hash of the cookie's token. Token: the api_token id.
    credential: str
    # Token requests only: what the token allows, on top of the roles.
    scopes: frozenset[Scope] = frozenset()

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

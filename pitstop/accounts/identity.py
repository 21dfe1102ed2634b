"""Who is making this request: the signed-in user (by session or API token) and how."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

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


def from_row(
    row: Mapping[str, Any], method: AuthMethod, credential: str, scopes: frozenset[Scope] = frozenset()
) -> Identity:
    """An Identity from a row with the user's columns (sessions.py and tokens.py select the same ones)."""
    return Identity(
        user_id=row["user_id"],
        partnership_id=row["partnership_id"],
        agency_id=row["agency_id"],
        name=row["name"],
        email=row["email"],
        roles=frozenset(Role(r) for r in row["roles"]),
        # A system has no one to change a password: a token is not held up by it.
        must_change_password=row["must_change_password"] and method is AuthMethod.SESSION,
        method=method,
        credential=credential,
        scopes=scopes,
    )

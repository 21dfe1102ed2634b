"""Structs for partnerships (and, from the accounts issue, agencies and users)."""

from __future__ import annotations

from datetime import datetime

import msgspec


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

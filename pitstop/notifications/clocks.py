"""Screening deadlines: counted in the partnership's working hours from receipt."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from pitstop.notifications.models import Grade


async def screening_due(conn: asyncpg.Connection, partnership_id: int, received_at: datetime, grade: Grade) -> datetime:
    from pitstop.calendar import service as calendar

    return await calendar.screening_due(conn, partnership_id, received_at, grade.value)

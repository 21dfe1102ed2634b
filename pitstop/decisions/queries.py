"""SQL for decisions and the partnership's outcomes. Callers check who may do what."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

from pitstop.db.rows import to_structs
from pitstop.decisions.models import DEFAULT_OUTCOMES, Decision, DecisionIn, Dissent, Outcome


async def outcomes(conn: asyncpg.Connection, partnership_id: int) -> list[Outcome]:
    """The partnership's outcomes in order; DOMAIN.md's defaults the first time it has none."""
    rows = await conn.fetch(
        "SELECT code, label FROM outcome_type WHERE partnership_id = $1 AND active ORDER BY position", partnership_id
    )
    if rows or await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM outcome_type WHERE partnership_id = $1)", partnership_id
    ):
        return to_structs(rows, Outcome)
    await conn.executemany(
        "INSERT INTO outcome_type (partnership_id, code, label, position) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (partnership_id, code) DO NOTHING",
        [(partnership_id, code, label, n) for n, (code, label) in enumerate(DEFAULT_OUTCOMES, start=1)],
    )
    return await outcomes(conn, partnership_id)


async def decisions(conn: asyncpg.Connection, item_ids: Sequence[int]) -> list[Decision]:
    rows = await conn.fetch(
        """SELECT d.id, d.agenda_item_id, d.meeting_id, d.outcomes, d.rationale, d.regrade, d.regrade_rationale,
                  d.marac_criterion, d.deferred, u.name AS recorded_by_name, d.recorded_at, d.version,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('agency_id', s.agency_id, 'agency_name', a.name,
                                                                'reason', s.reason) ORDER BY a.name)
                              FROM decision_dissent s JOIN agency a ON a.id = s.agency_id
                             WHERE s.decision_id = d.id), '[]'::jsonb)::text AS dissents
             FROM decision d JOIN app_user u ON u.id = d.recorded_by
            WHERE d.agenda_item_id = ANY($1::bigint[])""",
        list(item_ids),
    )
    return [
        msgspec.convert({**dict(r), "dissents": msgspec.json.decode(r["dissents"], type=list[Dissent])}, Decision)
        for r in rows
    ]


async def lock(conn: asyncpg.Connection, item_id: int) -> int | None:
    """The item's decision's version, locked; None when it has none."""
    return await conn.fetchval("SELECT version FROM decision WHERE agenda_item_id = $1 FOR UPDATE", item_id)


async def insert(
    conn: asyncpg.Connection, partnership_id: int, meeting_id: int, item_id: int, form: DecisionIn, user_id: int
) -> int | None:
    return await conn.fetchval(
        """INSERT INTO decision (partnership_id, agenda_item_id, meeting_id, outcomes, rationale, regrade,
                                 regrade_rationale, marac_criterion, deferred, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (agenda_item_id) DO NOTHING RETURNING id""",
        partnership_id,
        item_id,
        meeting_id,
        form.outcomes,
        form.rationale,
        form.regrade,
        form.regrade_rationale,
        form.marac_criterion.value if form.marac_criterion else None,
        form.defer,
        user_id,
    )


async def update(conn: asyncpg.Connection, item_id: int, version: int, form: DecisionIn, user_id: int) -> int | None:
    return await conn.fetchval(
        """UPDATE decision SET outcomes = $3, rationale = $4, regrade = $5, regrade_rationale = $6,
                  marac_criterion = $7, deferred = $8, recorded_by = $9, recorded_at = now(), version = version + 1
            WHERE agenda_item_id = $1 AND version = $2 RETURNING id""",
        item_id,
        version,
        form.outcomes,
        form.rationale,
        form.regrade,
        form.regrade_rationale,
        form.marac_criterion.value if form.marac_criterion else None,
        form.defer,
        user_id,
    )


async def replace_dissents(conn: asyncpg.Connection, partnership_id: int, decision_id: int, form: DecisionIn) -> None:
    await conn.execute("DELETE FROM decision_dissent WHERE decision_id = $1", decision_id)
    await conn.executemany(
        "INSERT INTO decision_dissent (partnership_id, decision_id, agency_id, reason) VALUES ($1, $2, $3, $4)",
        [(partnership_id, decision_id, d.agency_id, d.reason) for d in form.dissents],
    )


async def keep_version(conn: asyncpg.Connection, decision: Decision, partnership_id: int, user_id: int) -> None:
    await conn.execute(
        """INSERT INTO decision_version (decision_id, version, partnership_id, snapshot, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        decision.id,
        decision.version,
        partnership_id,
        msgspec.to_builtins(decision),
        user_id,
        decision.recorded_at,
    )


async def all_outcomes(conn: asyncpg.Connection, partnership_id: int) -> list[asyncpg.Record]:
    """Every outcome of the partnership, retired ones too (past decisions still name them), in order."""
    await outcomes(conn, partnership_id)  # the defaults, the first time
    return await conn.fetch(
        "SELECT id, code, label, position, active FROM outcome_type WHERE partnership_id = $1 ORDER BY position, id",
        partnership_id,
    )


async def set_outcome(conn: asyncpg.Connection, outcome_id: int, label: str, active: bool) -> None:
    await conn.execute("UPDATE outcome_type SET label = $2, active = $3 WHERE id = $1", outcome_id, label, active)


async def add_outcome(conn: asyncpg.Connection, partnership_id: int, code: str, label: str) -> bool:
    added = await conn.fetchval(
        """INSERT INTO outcome_type (partnership_id, code, label, position)
           SELECT $1, $2, $3, coalesce(max(position), 0) + 1 FROM outcome_type WHERE partnership_id = $1
           ON CONFLICT (partnership_id, code) DO NOTHING RETURNING true""",
        partnership_id,
        code,
        label,
    )
    return bool(added)

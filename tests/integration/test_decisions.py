"""Decisions on agenda items, against PostgreSQL as the app's role: recorded by coordinators once the
meeting has started; a rationale always, a re-grade's own rationale, a MARAC referral's criterion and
each dissent's reason required; outcomes from the partnership's list, in its order; a stale save is a
409 with both; every version kept; a deferral sends the item to the next meeting; audited."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

import asyncpg
import msgspec
import pytest

from pitstop.decisions import service as decisions
from pitstop.decisions.models import DEFAULT_OUTCOMES, DecisionIn, MaracCriterion
from pitstop.errors import Conflict, Forbidden, Invalid
from pitstop.meetings import service as meetings
from tests import factories
from tests.integration.test_agency_information import Meeting, published_meeting
from tests.integration.test_mail_outbox import app_conn  # noqa: F401

CLI = factories.CLI


async def start(conn: asyncpg.Connection, m: Meeting) -> None:
    version = await conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await meetings.advance(conn, actor=m.coordinator, meeting_id=m.id, version=version, step="start", origin=CLI)


async def decide(conn: asyncpg.Connection, m: Meeting, item: int, who: object = None, **fields: object) -> object:
    form = msgspec.convert({"outcomes": ["section_47"], "rationale": "Threshold met.", **fields}, DecisionIn)
    return await decisions.record(
        conn, actor=who or m.coordinator, meeting_id=m.id, item_id=item, form=form, origin=CLI
    )


async def errors_of(conn: asyncpg.Connection, m: Meeting, item: int, **fields: object) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        await decide(conn, m, item, **fields)
    return refused.value.errors


async def test_a_decision_needs_its_reasons_and_keeps_every_version(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    first = m.items[0]  # graded high
    assert await errors_of(app_conn, m, first) == {"rationale": "Decisions are recorded once the meeting has started"}
    await start(app_conn, m)
    assert await errors_of(app_conn, m, first, outcomes=[]) == {
        "outcomes": "Select at least one outcome, or defer the item"
    }
    assert await errors_of(app_conn, m, first, outcomes=["tea_and_biscuits"]) == {
        "outcomes": "Select outcomes from the partnership's list"
    }
    assert await errors_of(app_conn, m, first, rationale="   ") == {"rationale": "Enter the reasons for the decision"}
    assert await errors_of(app_conn, m, first, regrade="medium") == {
        "regrade_rationale": "Enter why the meeting changed the risk grade"
    }
    assert "regrade" in await errors_of(app_conn, m, first, regrade="high", regrade_rationale="Same.")
    assert await errors_of(app_conn, m, first, outcomes=["marac_referral"]) == {
        "marac_criterion": "Select the criterion for the MARAC referral"
    }
    assert "marac_criterion" in await errors_of(app_conn, m, first, marac_criterion="professional_judgement")
    assert "dissents" in await errors_of(
        app_conn, m, first, dissents=[{"agency_id": m.agencies["housing"], "reason": "Not invited."}]
    )
    assert "dissents" in await errors_of(
        app_conn, m, first, dissents=[{"agency_id": m.agencies["health"], "reason": " "}]
    )
    assert not await owner.fetchval("SELECT count(*) FROM decision")

    with pytest.raises(Forbidden):
        await decide(app_conn, m, first, who=m.police)
    saved = await decide(
        app_conn,
        m,
        first,
        outcomes=["marac_referral", "section_47"],
        marac_criterion="visible_high_risk",
        regrade="medium",
        regrade_rationale="Perpetrator remanded in custody.",
        dissents=[{"agency_id": m.agencies["health"], "reason": "We would keep it high."}],
    )
    assert saved.outcomes == ["section_47", "marac_referral"]  # the partnership's order
    assert saved.marac_criterion is MaracCriterion.VISIBLE_HIGH_RISK
    assert [(d.agency_name, d.reason) for d in saved.dissents] == [("North Health", "We would keep it high.")]
    assert [o.code for o in await decisions.outcomes(app_conn, m.coordinator.partnership_id)] == [
        code for code, _ in DEFAULT_OUTCOMES
    ]

    # Another coordinator's form drawn before the save: refused with both; then a change, kept as version 2.
    with pytest.raises(Conflict) as stale:
        await decide(app_conn, m, first, rationale="My view.")
    assert stale.value.current.version == 1
    assert stale.value.submitted.rationale == "My view."
    second = await decide(app_conn, m, first, rationale="Threshold met; MARAC not needed.", version=1)
    assert (second.version, second.dissents, second.regrade) == (2, [], None)
    snapshots = await owner.fetch("SELECT version, snapshot->>'rationale' AS r FROM decision_version ORDER BY version")
    assert [(s["version"], s["r"]) for s in snapshots] == [
        (1, "Threshold met."),
        (2, "Threshold met; MARAC not needed."),
    ]
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'decision_recorded'") == 2


async def test_a_deferral_sends_the_item_to_the_next_meeting_with_its_reason(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    await start(app_conn, m)
    second = m.items[1]
    saved = await decide(app_conn, m, second, outcomes=[], defer=True, rationale="Waiting for health's records.")
    assert saved.deferred
    row = await app_conn.fetchrow("SELECT state, reason FROM agenda_item WHERE id = $1", second)
    assert (row["state"], row["reason"]) == ("deferred", "Waiting for health's records.")
    carried = await app_conn.fetchval("SELECT meeting_id FROM agenda_item WHERE carried_from = $1", second)
    assert carried is not None
    assert carried != m.id
    # Once the meeting is held, decisions can still be corrected, but nothing can be deferred.
    version = await app_conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await meetings.advance(app_conn, actor=m.coordinator, meeting_id=m.id, version=version, step="end", origin=CLI)
    first = m.items[0]
    assert "defer" in await errors_of(app_conn, m, first, defer=True)
    assert (await decide(app_conn, m, first)).version == 1


async def test_a_deferral_with_no_meeting_to_go_to_saves_nothing(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    await start(app_conn, m)
    await owner.execute(
        "UPDATE meeting SET state = 'cancelled', cancelled_reason = 'Closed' WHERE starts_at > $1", m.starts_at
    )
    assert await errors_of(app_conn, m, m.items[0], defer=True) == {
        "defer": "There is no later meeting to defer to: add a meeting first"
    }
    assert not await owner.fetchval("SELECT count(*) FROM decision")
    assert await owner.fetchval("SELECT state FROM agenda_item WHERE id = $1", m.items[0]) == "open"

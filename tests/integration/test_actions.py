"""Actions, against PostgreSQL as the app's role: agreed by coordinators once the meeting has started,
for an invited agency, due after the meeting; seen by the owning agency, coordinators and managers only;
closed as done or not possible by the owner (with why), not done or reopened by a coordinator; a stale
change is a 409; reassigned with history; overdue flagged; open ones due by a later meeting come back
on it for review."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest

from pitstop.actions import service as actions
from pitstop.actions.models import ActionIn, ActionStatus, CompletionIn, ReassignIn
from pitstop.errors import Conflict, Forbidden, Invalid, NotFound
from pitstop.meetings import queries as meeting_queries
from tests import factories
from tests.integration.test_agency_information import Meeting, published_meeting
from tests.integration.test_decisions import start
from tests.integration.test_mail_outbox import app_conn  # noqa: F401

CLI = factories.CLI


async def agree(conn: asyncpg.Connection, m: Meeting, owner: str, due: timedelta = timedelta(days=2), **fields: object):
    """An action on the meeting's first item, due `due` after the meeting starts (never a fixed time from
    now: the meeting may be next Monday)."""
    form = msgspec.convert(
        {
            "description": f"Visit for {owner}",
            "owner_agency_id": m.agencies[owner],
            "due_at": (m.starts_at + due).isoformat(),
            **fields,
        },
        ActionIn,
    )
    return await actions.create(conn, actor=m.coordinator, meeting_id=m.id, item_id=m.items[0], form=form, origin=CLI)


async def close(conn: asyncpg.Connection, who: object, action: object, status: str, note: str | None = None):
    form = CompletionIn(status=ActionStatus(status), note=note, version=action.version)  # type: ignore[attr-defined]
    return await actions.close(conn, actor=who, action_id=action.id, form=form, origin=CLI)  # type: ignore[attr-defined,arg-type]


async def test_actions_are_agreed_seen_and_closed_by_who_may(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    with pytest.raises(Invalid) as early:
        await agree(app_conn, m, "health")
    assert early.value.errors == {"description": "Actions are agreed once the meeting has started"}
    await start(app_conn, m)
    with pytest.raises(Invalid) as wrong:
        await agree(app_conn, m, "housing", due=timedelta(days=-30))
    assert wrong.value.errors == {
        "owner_agency_id": "Select an agency invited to the meeting",
        "due_at": "The action must be due after the meeting",
    }
    with pytest.raises(Forbidden):
        await actions.create(
            app_conn,
            actor=m.health,
            meeting_id=m.id,
            item_id=m.items[0],
            form=ActionIn(
                description="x", owner_agency_id=m.agencies["health"], due_at=datetime.now(UTC) + timedelta(days=1)
            ),
            origin=CLI,
        )
    visit = await agree(app_conn, m, "health", owner_name="Hana, health visitor")
    check = await agree(app_conn, m, "health", description="Check the GP record")
    refer = await agree(app_conn, m, "care", description="Strategy discussion")
    assert (visit.status, visit.owner_name, visit.overdue) == (ActionStatus.OPEN, "Hana, health visitor", False)
    assert visit.police_reference == "NF/1"

    # Need to know: an agency sees its own; coordinators and managers see all.
    assert [a.id for a in await actions.listing(app_conn, m.health, CLI)] == [visit.id, check.id]
    assert [a.id for a in await actions.listing(app_conn, m.health, CLI, agency_id=m.agencies["care"])] == [
        visit.id,
        check.id,
    ]  # asking for another agency's gets your own
    assert await actions.listing(app_conn, m.police, CLI) == []
    assert len(await actions.listing(app_conn, m.manager, CLI)) == 3
    with pytest.raises(NotFound):
        await actions.action(app_conn, m.police, visit.id, CLI)
    with pytest.raises(NotFound):
        await close(app_conn, m.police, visit, "done")

    # The owner closes its own: done; not possible needs why; "not done" is a coordinator's to record.
    with pytest.raises(Invalid) as why:
        await close(app_conn, m.health, check, "not_possible")
    assert why.value.errors == {"note": "Enter why the action was not done"}
    with pytest.raises(Invalid) as theirs:
        await close(app_conn, m.health, check, "not_done", "We did not.")
    assert theirs.value.errors == {"status": "Select done, or not possible"}
    done = await close(app_conn, m.health, visit, "done", "Visited on Tuesday.")
    assert (done.status, done.completed_by_name) == (ActionStatus.DONE, m.health.name)
    with pytest.raises(Conflict):
        await close(app_conn, m.health, visit, "not_possible", "Stale form.")  # drawn from version 1
    moved = await close(app_conn, m.health, check, "not_possible", "Family moved out of area.")
    not_done = await close(app_conn, m.coordinator, refer, "not_done", "No strategy discussion held.")
    assert [moved.status, not_done.status] == [ActionStatus.NOT_POSSIBLE, ActionStatus.NOT_DONE]
    reopened = await close(app_conn, m.coordinator, not_done, "open")
    assert (reopened.status, reopened.completed_at) == (ActionStatus.OPEN, None)
    by_status = await actions.listing(app_conn, m.coordinator, CLI, statuses=[ActionStatus.NOT_POSSIBLE])
    assert [a.id for a in by_status] == [check.id]

    # Reassigned by a coordinator, with its history.
    with pytest.raises(Forbidden):
        await actions.reassign(
            app_conn,
            actor=m.care,
            action_id=refer.id,
            form=ReassignIn(
                owner_agency_id=m.agencies["police"], due_at=datetime.now(UTC) + timedelta(days=3), version=3
            ),
            origin=CLI,
        )
    later = m.starts_at + timedelta(days=5)
    with pytest.raises(Invalid) as outsider:  # an agency that was not at the meeting has no need to know
        await actions.reassign(
            app_conn,
            actor=m.coordinator,
            action_id=refer.id,
            form=ReassignIn(owner_agency_id=m.agencies["housing"], due_at=later, version=3),
            origin=CLI,
        )
    assert outsider.value.errors == {
        "owner_agency_id": "Select an agency invited to the meeting that agreed the action"
    }
    moved_on = await actions.reassign(
        app_conn,
        actor=m.coordinator,
        action_id=refer.id,
        form=ReassignIn(
            owner_agency_id=m.agencies["police"], owner_name="DS Patel", due_at=later, note="Police lead", version=3
        ),
        origin=CLI,
    )
    assert (moved_on.owner_agency_name, moved_on.owner_name) == ("North Police", "DS Patel")
    _, history = await actions.action(app_conn, m.police, refer.id, CLI)  # the police own it now
    assert [(e.kind, e.status) for e in history] == [
        ("created", ActionStatus.OPEN),
        ("completed", ActionStatus.NOT_DONE),
        ("reopened", ActionStatus.OPEN),
        ("reassigned", ActionStatus.OPEN),
    ]
    assert history[-1].note == "Police lead"
    audited = await owner.fetch(
        "SELECT action, count(*) AS n FROM audit_event WHERE record_type = 'action' GROUP BY action"
    )
    counts = {r["action"]: r["n"] for r in audited}
    assert (counts["action_created"], counts["action_completed"], counts["action_reassigned"]) == (3, 4, 1)
    assert counts["actions_listed"] == 5
    assert counts["action_viewed"] == 1


async def test_overdue_actions_are_flagged_and_come_back_on_the_next_meeting_for_review(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, app_conn)
    await start(app_conn, m)
    this = await meeting_queries.meeting(app_conn, m.id)
    assert this is not None
    following = await app_conn.fetchval(
        "SELECT id FROM meeting WHERE series_id = (SELECT series_id FROM meeting WHERE id = $1) AND starts_at > $2 "
        "ORDER BY starts_at LIMIT 1",
        m.id,
        this.starts_at,
    )
    nxt = await meeting_queries.meeting(app_conn, following)
    assert nxt is not None
    due_before_next = nxt.starts_at - timedelta(hours=1) - m.starts_at
    chase = await agree(app_conn, m, "health", due=due_before_next, description="Chase the midwife")
    finished = await agree(app_conn, m, "health", due=due_before_next, description="Send the referral")
    await close(app_conn, m.health, finished, "done")
    await agree(app_conn, m, "care", due=timedelta(days=20), description="Review in three weeks")
    police = await agree(app_conn, m, "police", due=due_before_next, description="Serve the notice")

    reviewed, history = await actions.review(app_conn, m.coordinator, nxt, CLI)
    assert [a.description for a in reviewed] == ["Chase the midwife", "Serve the notice"]
    assert [e.kind for e in history[chase.id]] == ["created"]
    health_view, _ = await actions.review(app_conn, m.health, nxt, CLI)
    assert [a.description for a in health_view] == ["Chase the midwife"]  # its own only
    assert (await actions.review(app_conn, m.coordinator, this, CLI))[0] == []  # not the meeting that agreed them

    # Past its due time: overdue, everywhere it is listed.
    await owner.execute("UPDATE action SET due_at = now() - interval '1 hour' WHERE id = $1", police.id)
    [overdue] = await actions.listing(app_conn, m.coordinator, CLI, overdue_only=True)
    assert (overdue.id, overdue.overdue) == (police.id, True)

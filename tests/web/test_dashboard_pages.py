"""The dashboard through the app: a manager sees every figure as a chart with its table and the counts
linked to their lists, filters by dates and grade (a bad date is the error summary), downloads the figures
as CSV; the figures fragment htmx reads every minute; an agency member sees its own agency's actions only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.dashboard import facts
from pitstop.meetings.schedule import LONDON
from tests import factories
from tests.integration.test_minutes import held_meeting
from tests.web.test_notification_pages import error_links


async def test_a_manager_reads_filters_and_downloads_the_figures(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)  # two notifications (high, medium) received five minutes ago
    day = m.starts_at.astimezone(LONDON).date()
    window = f"from={(day - timedelta(days=7)).isoformat()}&to={day.isoformat()}"
    await factories.sign_in(client, m.manager.email)
    page = await client.get(f"/dashboard?{window}")
    assert page.status_code == 200
    assert page.text.count('role="img"') == 3  # screening, volumes, actions: each with its table
    for table in ("screening-table", "overdue", "durations-table", "minutes-figures", "weeks-table", "outcomes-table"):
        assert f'id="{table}"' in page.text
    assert 'hx-get="/dashboard/figures?' in page.text
    assert 'hx-trigger="every 60s"' in page.text
    received = page.text.split('id="volume-figures"', 1)[1].split("</dl>", 1)[0]
    assert ">2</a>" in received  # linked to the notifications received in the range
    assert "/notifications?received_from=" in received
    health = m.agencies["health"]
    assert f'href="/actions?agency={health}&showing=open">1<span' in page.text

    high = await client.get(f"/dashboard?{window}&grade=high")
    assert ">1</a>" in high.text.split('id="volume-figures"', 1)[1].split("</dl>", 1)[0]
    bad = await client.get("/dashboard?from=2026-13-01")
    assert bad.status_code == 400
    assert error_links(bad.text) == ["from"]

    fragment = await client.get(f"/dashboard/figures?{window}")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="screening-table"' in fragment.text

    download = await client.get(f"/dashboard.csv?{window}")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    figures = {(r["section"], r["figure"], r["group"]): r["value"] for r in rows}
    assert figures[("volumes", "notifications", "")] == "2"
    assert figures[("outcomes", "decisions", "")] == "1"
    health_name = await owner.fetchval("SELECT name FROM agency WHERE id = $1", health)
    assert figures[("agencies", "actions_agreed", health_name)] == "1"
    for secret in ("NF/1", "Kelly", "Marsh"):
        assert secret not in download.text  # counts, no personal data


async def test_an_agency_member_sees_only_its_own_agency_s_actions(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    await factories.sign_in(client, m.health.email)
    day = m.starts_at.astimezone(LONDON).date()
    page = await client.get(f"/dashboard?from={(day - timedelta(days=7)).isoformat()}&to={day.isoformat()}")
    assert page.status_code == 200
    assert "Your agency&#39;s actions" in page.text or "Your agency's actions" in page.text
    assert 'id="screening-table"' not in page.text
    assert 'id="volume-figures"' not in page.text
    assert f'id="actions-{m.agencies["health"]}"' in page.text
    assert f'id="actions-{m.agencies["police"]}"' not in page.text
    rows = list(csv.DictReader(io.StringIO((await client.get("/dashboard.csv")).text)))
    assert {r["section"] for r in rows} <= {"agencies"}


async def test_the_figures_count_new_changes_in_the_view_and_say_when_the_counter_has_more(
    client: AsyncTestClient, owner: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = await held_meeting(owner, owner)
    day = m.starts_at.astimezone(LONDON).date()
    window = f"from={(day - timedelta(days=7)).isoformat()}&to={day.isoformat()}"
    await factories.sign_in(client, m.manager.email)
    page = await client.get(f"/dashboard?{window}")  # the changes queued by the meeting, counted by the view
    assert await owner.fetchval("SELECT count(*) FROM notification_fact_stale") == 0
    assert 'id="still-counting"' not in page.text

    # A new repeat-incident rule: every notification to count again, more than a view takes on (here: any).
    await owner.execute(
        "INSERT INTO repeat_incident_rule (partnership_id, threshold, window_months) VALUES ($1, 2, 12) "
        "ON CONFLICT (partnership_id) DO UPDATE SET threshold = 2",
        m.world.partnerships["north"].id,
    )
    monkeypatch.setattr(facts, "IN_A_VIEW", 0)
    waiting = await client.get(f"/dashboard/figures?{window}")
    notice = waiting.text.split('id="still-counting">', 1)[1].split("</div>", 1)[0]
    assert "2 to count" in notice  # the partnership's two notifications
    assert await owner.fetchval("SELECT count(*) FROM notification_fact_stale") == 1  # left to the counter

    monkeypatch.setattr(facts, "IN_A_VIEW", facts.BATCH)
    counted = await client.get(f"/dashboard/figures?{window}")
    assert 'id="still-counting"' not in counted.text

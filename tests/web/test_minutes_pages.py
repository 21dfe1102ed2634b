"""Minutes through the app: the held meeting's page shows the draft and approves it (a second approval
from the same page is 409), a correction needs its reason (the error summary) and opens version 2; an
agency member sees nothing to download until approval, then downloads their agency's copy as a Word file
that is never cached."""

from __future__ import annotations

import re
from datetime import timedelta

import asyncpg
from litestar.testing import AsyncTestClient

from pitstop.meetings.schedule import LONDON
from pitstop.minutes import service as minutes
from tests import factories
from tests.integration.test_minutes import RESTRICTED, SHARED, held_meeting, text_of
from tests.web.test_live_pages import hidden
from tests.web.test_notification_pages import error_links

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def test_a_coordinator_approves_and_corrects_the_minutes_from_the_meeting_page(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    await factories.sign_in(client, m.coordinator.email)
    page = await client.get(f"/meetings/{m.id}")
    section = page.text.split('id="minutes"', 1)[1]
    assert "Draft</strong> version 1" in section
    draft = await client.get(f"/meetings/{m.id}/minutes.docx")
    assert draft.status_code == 200
    assert draft.headers["content-type"] == DOCX
    assert "DRAFT" in text_of(draft.content)

    form = hidden(page.text, f"/meetings/{m.id}/minutes/approve", "Approve the minutes (version 1)")
    approved = await client.post(f"/meetings/{m.id}/minutes/approve", data=form, follow_redirects=False)
    assert approved.headers["location"] == f"/meetings/{m.id}?done=minutes_approved#minutes"
    again = await client.post(f"/meetings/{m.id}/minutes/approve", data=form)
    assert again.status_code == 409

    item = await client.get(f"/meetings/{m.id}/items/{m.items[0]}")
    assert 'id="record-closed"' in item.text  # the record is read-only now
    assert "Save the decision" not in item.text
    assert "Add the action" not in item.text
    assert "Save your agency" not in item.text
    page = await client.get(f"/meetings/{m.id}")
    assert "The minutes have been approved" not in page.text  # the notice is for the redirect only
    assert "Approved</strong> version 1" in page.text
    correct = hidden(page.text, f"/meetings/{m.id}/minutes/correct", "Open a correction")
    bare = await client.post(f"/meetings/{m.id}/minutes/correct", data={**correct, "reason": ""})
    assert bare.status_code == 400
    assert error_links(bare.text) == ["reason"]
    opened = await client.post(f"/meetings/{m.id}/minutes/correct", data={**correct, "reason": "A typo in item 1"})
    assert opened.status_code == 200
    assert "Draft</strong> version 2: a correction of version 1 (A typo in item 1)" in opened.text
    assert re.search(r'href="/meetings/\d+/minutes.docx\?version=1"', opened.text)  # version 1 stays


async def test_an_agency_member_downloads_only_their_agency_s_copy_once_approved(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    await factories.sign_in(client, m.health.email)
    page = await client.get(f"/meetings/{m.id}")
    assert "The minutes are not approved yet." in page.text
    assert (await client.get(f"/meetings/{m.id}/minutes.docx")).status_code == 404
    assert "Approve the minutes" not in page.text

    await minutes.approve(owner, actor=m.coordinator, meeting_id=m.id, version=1, origin=factories.CLI)
    page = await client.get(f"/meetings/{m.id}")
    assert "Download your agency's copy (version 1, Word)" in page.text
    copy = await client.get(f"/meetings/{m.id}/minutes.docx")
    assert copy.status_code == 200
    assert copy.headers["cache-control"] == "no-store"
    assert f'-v1-agency-{m.agencies["health"]}.docx"' in copy.headers["content-disposition"]
    text = text_of(copy.content)
    assert SHARED in text
    assert RESTRICTED not in text  # restricted by care to the police
    other = await client.get(f"/meetings/{m.id}/minutes.docx?agency={m.agencies['police']}")
    assert other.status_code == 404


async def test_managers_list_the_minutes_across_meetings_with_their_deadlines(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    # Held a fortnight ago and never approved: overdue.
    await owner.execute(
        """UPDATE meeting SET starts_at = starts_at - interval '14 days', cut_off_at = cut_off_at - interval
           '14 days', publish_at = publish_at - interval '14 days' WHERE id = $1""",
        m.id,
    )
    held_on = (await owner.fetchval("SELECT starts_at FROM meeting WHERE id = $1", m.id)).astimezone(LONDON).date()
    await factories.sign_in(client, m.manager.email)
    page = await client.get("/minutes")
    assert page.status_code == 200
    row = page.text.split(f'id="meeting-{m.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Draft version 1" in row
    assert ">Overdue</strong>" in row
    assert f'href="/meetings/{m.id}/minutes.docx"' in row
    overdue = await client.get("/minutes?overdue=yes&state=draft")
    assert f'id="meeting-{m.id}"' in overdue.text
    await minutes.approve(owner, actor=m.coordinator, meeting_id=m.id, version=1, origin=factories.CLI)
    approved = await client.get("/minutes?state=approved")
    row = approved.text.split(f'id="meeting-{m.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Approved, version 1" in row
    assert ">Approved late</strong>" in row
    assert f'id="meeting-{m.id}"' not in (await client.get("/minutes?overdue=yes")).text
    before = (held_on - timedelta(days=1)).isoformat()
    assert f'id="meeting-{m.id}"' not in (await client.get(f"/minutes?to={before}")).text
    bad = await client.get(f"/minutes?from={held_on.isoformat()}&to={before}")
    assert bad.status_code == 400
    assert error_links(bad.text) == ["to"]

    await factories.sign_in(client, m.police.email)
    assert (await client.get("/minutes")).status_code == 403  # across meetings: not an agency's view


async def test_the_api_reads_approves_and_corrects_the_minutes(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, owner)
    await factories.sign_in(client, m.coordinator.email)
    headers = {"X-CSRF-Token": await factories.form_token(client)}
    url = f"/api/v1/meetings/{m.id}/minutes"
    read = (await client.get(url)).json()
    assert (read["open_version"], read["approved"], read["versions"]) == (1, None, [])
    stale = await client.post(f"{url}/approval", json={"version": 2}, headers=headers)
    assert stale.status_code == 409
    approved = await client.post(f"{url}/approval", json={"version": 1}, headers=headers)
    assert approved.status_code == 200
    assert (approved.json()["version"], approved.json()["state"]) == (1, "approved")
    bare = await client.post(f"{url}/corrections", json={"version": 1, "reason": ""}, headers=headers)
    assert bare.status_code == 422
    assert [e["field"] for e in bare.json()["errors"]] == ["body.reason"]
    opened = await client.post(f"{url}/corrections", json={"version": 1, "reason": "Wrong date"}, headers=headers)
    assert opened.status_code == 201
    assert opened.json()["correction_reason"] == "Wrong date"
    after = (m.starts_at.astimezone(LONDON) + timedelta(days=1)).date().isoformat()  # the meeting may be tomorrow's
    listed = (await client.get(f"/api/v1/minutes?to={after}")).json()
    [row] = [r for r in listed if r["meeting_id"] == m.id]
    assert (row["approved"], row["draft"]) == (1, 2)

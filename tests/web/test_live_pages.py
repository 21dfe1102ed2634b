"""The item being discussed, through the app: the chair starts the meeting and lands on the first item,
moves on with Next (a page drawn before someone else moved it is answered 409 with the error summary),
the meeting page says where the meeting is; an agency member's bar follows without chairing and counts
the agencies that recorded without naming them; the JSON API reads and moves it (422 by field, 409)."""

from __future__ import annotations

import re

import asyncpg
from litestar.testing import AsyncTestClient

from tests import factories
from tests.integration.test_agency_information import published_meeting, save
from tests.integration.test_decisions import start
from tests.web.test_notification_pages import error_links


def hidden(html: str, form_action: str, button: str) -> dict[str, str]:
    """The fields of the form on the page whose button says `button`."""
    for form in re.findall(r"<form method=\"post\" action=\"" + re.escape(form_action) + r"\".*?</form>", html, re.S):
        if button in form:
            return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    raise AssertionError(f"no form with {button!r}")


async def test_the_chair_starts_the_meeting_and_moves_it_on_and_a_stale_move_is_refused(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first, second = m.items
    await factories.sign_in(client, m.coordinator.email)
    meeting = await client.get(f"/meetings/{m.id}")
    form = hidden(meeting.text, f"/meetings/{m.id}/state", "Start the meeting")
    started = await client.post(f"/meetings/{m.id}/state", data=form, follow_redirects=False)
    assert started.headers["location"] == f"/meetings/{m.id}/now"
    joined = await client.get(started.headers["location"], follow_redirects=False)
    assert joined.headers["location"] == f"/meetings/{m.id}/items/{first}"

    page = await client.get(joined.headers["location"])
    assert "This item is being discussed: item 1 of 2." in page.text
    assert "Back to item" not in page.text  # nothing before the first item
    assert f'<a class="govuk-link" href="/meetings/{m.id}#end">End the meeting</a>' in page.text
    move = hidden(page.text, f"/meetings/{m.id}/now", "Next: item 2 of 2")
    assert (move["from"], move["item"]) == (str(first), str(second))
    moved = await client.post(f"/meetings/{m.id}/now", data=move, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/meetings/{m.id}/items/{second}"

    # The first item's page now says the meeting is elsewhere, and offers to bring it back.
    page = await client.get(f"/meetings/{m.id}/items/{first}")
    assert f'discussing <a class="govuk-link" href="/meetings/{m.id}/items/{second}">item 2 of 2</a>' in page.text
    assert "Discuss this item now" in page.text
    meeting = await client.get(f"/meetings/{m.id}")
    assert f'href="/meetings/{m.id}/now"' in meeting.text
    row = meeting.text.split(f'id="item-{second}"', 1)[1].split("</td>", 1)[0]
    assert ">Now</strong>" in row

    # The same Next form again: the meeting already moved on, so nothing changes and the page says why.
    stale = await client.post(f"/meetings/{m.id}/now", data=move)
    assert stale.status_code == 409
    assert error_links(stale.text) == ["now"]
    assert "Someone else moved the meeting on" in stale.text
    assert await owner.fetchval("SELECT current_item_id FROM meeting WHERE id = $1", m.id) == second


async def test_an_agency_member_follows_the_meeting_but_does_not_chair_it(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first = m.items[0]
    await start(owner, m)
    await save(
        owner,
        m,
        m.care,
        first,
        summary="Child protection plan.",
        visibility="restricted",
        restricted_to=[m.agencies["police"]],
    )
    await factories.sign_in(client, m.health.email)
    page = await client.get(f"/meetings/{m.id}/items/{first}")
    assert "This item is being discussed" in page.text
    assert "Next:" not in page.text
    assert "End the meeting" not in page.text
    assert "1 of 3 agencies have recorded information on item 1 of 2." in page.text
    assert "Recorded:" not in page.text  # which agency: not for another agency to know
    assert "Child protection plan" not in page.text

    bar = await client.get(f"/meetings/{m.id}/now/bar?item={first}")
    assert bar.status_code == 200
    assert "<html" not in bar.text  # a fragment for htmx
    assert "NF/1" not in bar.text  # no case data in the bar
    assert "1 of 3 agencies have recorded" in bar.text

    token = await factories.form_token(client)
    refused = await client.post(
        f"/meetings/{m.id}/now", data={"csrf_token": token, "item": str(m.items[1]), "from": str(first)}
    )
    assert refused.status_code == 403
    assert await owner.fetchval("SELECT current_item_id FROM meeting WHERE id = $1", m.id) == first


async def test_the_api_reads_where_the_meeting_is_and_the_chair_moves_it(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first, second = m.items
    await factories.sign_in(client, m.coordinator.email)
    headers = {"X-CSRF-Token": await factories.form_token(client)}
    url = f"/api/v1/meetings/{m.id}/now"
    early = await client.put(url, json={"item_id": second, "from_item_id": None}, headers=headers)
    assert early.status_code == 422
    assert [e["field"] for e in early.json()["errors"]] == ["body.item_id"]

    await start(owner, m)
    read = (await client.get(url)).json()
    assert read["state"] == "in_progress"
    assert read["current"] == {"item_id": first, "number": 1, "of": 2, "for_information": False}
    assert read["following"]["item_id"] == second
    missing = await client.put(url, json={"from_item_id": first}, headers=headers)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["body.item_id"]
    moved = await client.put(url, json={"item_id": second, "from_item_id": first}, headers=headers)
    assert moved.status_code == 200
    assert moved.json()["current"]["item_id"] == second
    stale = await client.put(url, json={"item_id": second, "from_item_id": first}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["current"]["current_item_id"] == second

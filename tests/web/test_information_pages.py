"""Agency information through the app: the item page's form (field errors in the error summary, a stale
save answered 409 with both versions), the preparation page's "not known" for many items, and the JSON
API (201, 409 with `current` and `submitted`, 422 naming the field, nothing restricted to others)."""

from __future__ import annotations

import re

import asyncpg
from litestar.testing import AsyncTestClient

from pitstop.information import service as information
from pitstop.information.models import InformationIn, Knowledge, Visibility
from tests import factories
from tests.integration.test_agency_information import published_meeting
from tests.web.test_notification_pages import error_links


def csrf(html: str) -> str:
    return factories.csrf_from(html)


async def test_an_agency_member_records_on_the_item_page_and_a_stale_save_shows_both_versions(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first = m.items[0]
    await factories.sign_in(client, m.police.email)
    meeting = await client.get(f"/meetings/{m.id}")
    assert f'href="/meetings/{m.id}/prepare"' in meeting.text
    assert f'href="/meetings/{m.id}/items/{first}"' in meeting.text
    page = await client.get(f"/meetings/{m.id}/items/{first}")
    assert page.status_code == 200
    assert "No agency information yet." in page.text
    action = f"/meetings/{m.id}/items/{first}/information"
    form = {
        "csrf_token": csrf(page.text),
        "knowledge": "known",
        "summary": "",
        "visibility": "shared",
        "checked-day": "1",
        "checked-month": "1",
        "checked-year": "2026",
        "checked-time": "09:00",
    }
    missing = await client.post(action, data=form)
    assert missing.status_code == 400
    assert error_links(missing.text) == ["summary"]
    saved = await client.post(action, data={**form, "summary": "Two call-outs this year."}, follow_redirects=False)
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Your agency&#39;s information has been saved." in page.text or "information has been saved" in page.text
    assert "Two call-outs this year." in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    assert version.group(1) == "1"

    # A colleague saves version 2 meanwhile; this form, drawn from version 1, is refused with both.
    await information.record(
        owner,
        actor=m.police_colleague,
        meeting_id=m.id,
        item_id=first,
        form=InformationIn(knowledge=Knowledge.KNOWN, summary="A caution in 2023.", version=1),
        origin=factories.CLI,
    )
    stale = await client.post(action, data={**form, "summary": "My newer view.", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else saved your agency" in stale.text
    assert "A caution in 2023." in stale.text  # theirs
    assert "My newer view." in stale.text  # yours, still in the form
    assert re.search(r'name="version" value="2"', stale.text)  # saving again replaces theirs knowingly
    again = await client.post(
        action, data={**form, "summary": "My newer view.", "version": "2", "csrf_token": csrf(stale.text)}
    )
    assert again.status_code == 200  # followed the redirect
    assert "My newer view." in again.text


async def test_the_preparation_page_records_not_known_for_the_items_chosen(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    await factories.sign_in(client, m.health.email)
    page = await client.get(f"/meetings/{m.id}/prepare")
    assert "Your agency has checked 0 of 2 items" in page.text
    nothing = await client.post(f"/meetings/{m.id}/prepare", data={"csrf_token": csrf(page.text)})
    assert nothing.status_code == 400
    assert error_links(nothing.text) == ["items"]
    done = await client.post(
        f"/meetings/{m.id}/prepare",
        data={"csrf_token": csrf(page.text), "items": [str(i) for i in m.items], "source_system": "SystmOne"},
    )
    assert '2 items recorded as "not known".' in done.text.replace("&#34;", '"')
    assert "Your agency has checked 2 of 2 items" in done.text


async def test_the_api_records_refuses_stale_saves_and_never_shows_restricted_information(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    m = await published_meeting(owner, owner)
    first = m.items[0]
    await information.record(
        owner,
        actor=m.care,
        meeting_id=m.id,
        item_id=first,
        form=InformationIn(
            knowledge=Knowledge.KNOWN,
            summary="Child protection plan.",
            visibility=Visibility.RESTRICTED,
            restricted_to=[m.agencies["police"]],
        ),
        origin=factories.CLI,
    )
    await factories.sign_in(client, m.health.email)
    token = await factories.form_token(client)
    url = f"/api/v1/meetings/{m.id}/items/{first}/information"
    read = await client.get(url)
    assert read.status_code == 200
    assert "Child protection plan" not in read.text
    assert read.json()["checked"] == [m.agencies["care"]]
    headers = {"X-CSRF-Token": token}
    made = await client.put(url, json={"knowledge": "known", "summary": "Midwife visit due."}, headers=headers)
    assert made.status_code == 201
    assert made.json()["version"] == 1
    stale = await client.put(url, json={"knowledge": "no_trace"}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["current"]["summary"] == "Midwife visit due."
    assert stale.json()["submitted"]["knowledge"] == "no_trace"
    bad = await client.put(url, json={"knowledge": "known", "version": 1}, headers=headers)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["body.summary"]
    changed = await client.put(url, json={"knowledge": "no_trace", "version": 1}, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    bulk = await client.post(f"/api/v1/meetings/{m.id}/information/not-known", json={"items": m.items}, headers=headers)
    assert bulk.json() == {"recorded": 1}

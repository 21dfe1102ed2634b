"""The import pages: upload (read as a stream, CSRF checked first), the report, the import settings."""

from __future__ import annotations

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role
from tests import factories
from tests.web.test_import_api import HEADER, incident


@pytest.fixture
async def browsers(client: AsyncTestClient, owner: asyncpg.Connection) -> factories.Browsers:
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police")
    await factories.user(owner, p.id, police.id, Role.COORDINATOR, email="coord@north.example", name="Sam Coordinator")
    await factories.user(owner, p.id, police.id, Role.ADMIN, email="admin@north.example")
    browsers = factories.Browsers(client)
    await browsers.sign_in("coordinator", "coord@north.example")
    await browsers.sign_in("admin", "admin@north.example")
    return browsers


async def upload(
    client: AsyncTestClient, content: str, *, name: str = "extract.csv", mode: str = "all_or_nothing", token: str = ""
) -> object:
    token = token or await factories.form_token(client, "/notifications/import")
    return await client.post(
        "/notifications/import",
        data={"csrf_token": token, "mode": mode},
        files={"file": (name, content.encode(), "text/csv")},
        follow_redirects=False,
    )


async def test_a_bad_row_is_reported_then_the_corrected_file_imports(
    browsers: factories.Browsers, owner: asyncpg.Connection
) -> None:
    coordinator = browsers.use("coordinator")
    bad = HEADER + incident("14/1/26") + incident("14/2/26", dob="30/13/1994")
    response = await upload(coordinator, bad, name="monday.csv")
    assert response.status_code == 303
    report = await coordinator.get(response.headers["location"])
    assert report.status_code == 200
    assert "Nothing was imported" in report.text
    assert "monday.csv" in report.text
    # The problem, by line and column, in the table.
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">6</td>' in report.text
    assert "Date of birth" in report.text
    assert "&#39;30/13/1994&#39; is not a real date" in report.text
    assert await owner.fetchval("SELECT count(*) FROM notification") == 0

    good = HEADER + incident("14/1/26") + incident("14/2/26")
    response = await upload(coordinator, good, name="monday.csv")
    report = await coordinator.get(response.headers["location"])
    assert "Imported" in report.text
    assert "2 new, 0 updated, 0 unchanged" in report.text
    assert await owner.fetchval("SELECT count(*) FROM notification") == 2
    listing = await coordinator.get("/notifications/import")
    assert listing.text.count("monday.csv") == 2
    assert "Sam Coordinator" in listing.text


async def test_good_incidents_mode_from_the_page(browsers: factories.Browsers, owner: asyncpg.Connection) -> None:
    coordinator = browsers.use("coordinator")
    content = HEADER + incident("14/1/26") + incident("14/2/26", grade="Critical")
    response = await upload(coordinator, content, mode="good_incidents")
    report = await coordinator.get(response.headers["location"])
    assert "Partly imported" in report.text
    assert "1 incident was not imported" in report.text
    assert await owner.fetchval("SELECT count(*) FROM notification") == 1


async def test_an_upload_without_the_csrf_token_is_refused_before_the_file_is_read(
    browsers: factories.Browsers, owner: asyncpg.Connection
) -> None:
    coordinator = browsers.use("coordinator")
    response = await upload(coordinator, HEADER + incident("14/1/26"), token="forged")
    assert response.status_code == 403
    assert await owner.fetchval("SELECT count(*) FROM notification") == 0
    assert await owner.fetchval("SELECT count(*) FROM notification_import") == 0


async def test_no_file_or_the_wrong_kind_is_a_field_error(browsers: factories.Browsers) -> None:
    coordinator = browsers.use("coordinator")
    token = await factories.form_token(coordinator, "/notifications/import")
    response = await coordinator.post(
        "/notifications/import",
        data={"csrf_token": token, "mode": "all_or_nothing"},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert '<a href="#file">Select the police&#39;s CSV file</a>' in response.text
    response = await upload(coordinator, "not a spreadsheet", name="notes.docx")
    assert response.status_code == 400
    assert "must be a CSV file" in response.text


async def test_the_import_settings_page_saves_checks_and_refuses_a_stale_form(
    browsers: factories.Browsers, owner: asyncpg.Connection
) -> None:
    admin = browsers.use("admin")
    page = await admin.get("/admin/import-settings")
    assert page.status_code == 200
    assert 'value="Police reference"' in page.text
    token = factories.csrf_from(page.text)
    form = {
        "csrf_token": token,
        "version": "0",
        "column-police_reference": "Occurrence No",
        "column-circumstances": "Brief Circumstances",
        "column-risk.tool": "Risk Tool",
        "column-risk.grade": "Risk Level",
        "column-people.role": "Role",
        "column-people.family_name": "Surname",
        "column-people.given_names": "Forename(s)",
        "roles": "Suspect = Alleged perpetrator\nInformant = Other adult",
        "grades": "H = High",
        "risk_tools": "DASH 2009 = dash",
        "withheld_address": "Address withheld",
    }
    saved = await admin.post("/admin/import-settings", data=form, follow_redirects=False)
    assert saved.status_code == 303
    page = await admin.get(saved.headers["location"])
    assert "The import settings have been saved." in page.text
    assert 'value="Occurrence No"' in page.text
    assert "Suspect = Alleged perpetrator" in page.text
    stored = await owner.fetchval("SELECT mapping FROM import_mapping")
    assert stored["roles"] == {"Suspect": "alleged_perpetrator", "Informant": "other_adult"}
    assert stored["grades"] == {"H": "high"}

    stale = await admin.post("/admin/import-settings", data=form, follow_redirects=False)
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text

    wrong = {**form, "version": "1", "column-police_reference": "", "column-people.given_names": "surname"}
    wrong["roles"] = "Suspect = Accomplice"
    response = await admin.post("/admin/import-settings", data=wrong, follow_redirects=False)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Suspect = Accomplice" in response.text  # the form keeps what was entered
    wrong["roles"] = ""
    response = await admin.post("/admin/import-settings", data=wrong, follow_redirects=False)
    assert '<a href="#column-police_reference">' in response.text
    assert '<a href="#column-people.given_names">' in response.text
    assert "is already the column for Family name" in response.text


async def test_a_broken_upload_without_a_token_does_nothing(
    browsers: factories.Browsers, owner: asyncpg.Connection
) -> None:
    coordinator = browsers.use("coordinator")
    before = await owner.fetchval("SELECT count(*) FROM audit_event")
    response = await coordinator.post(
        "/notifications/import",
        content=b"--x\r\nnot a form part",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 403
    assert await owner.fetchval("SELECT count(*) FROM audit_event") == before

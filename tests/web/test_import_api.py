"""POST /api/v1/notifications/import: the police's daily extract, its report, the two modes, the mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role, Scope
from pitstop.demo_import import NORTHFIELD_MAPPING
from tests import factories

# The invented example of one force's layout from shared/samples (Northfield, postcodes NF).
SAMPLE = (Path(__file__).parents[1] / "fixtures" / "police-extract-example.csv").read_bytes()
CSV = {"content-type": "text/csv"}

# Pitstop's own layout (the default mapping): one incident, a victim, an alleged perpetrator, a child.
HEADER = (
    "Police reference,Date reported,Date of incident,Incident address,Circumstances,Risk tool,Grade,"
    "Arrest made,Reason no arrest,Role,Family name,Given names,Date of birth,School or nursery,Present\r\n"
)


def incident(reference: str, *, grade: str = "High", dob: str = "03/02/1994", child_dob: str = "11/05/2017") -> str:
    return (
        f'{reference},24/11/2026 08:15,24/11/2026 01:35,"12 Quillon Close, Northfield",'
        f'"Shouting, items thrown.\nNeighbour called police.",DASH,{grade},Y,,Victim,Marsh,Kelly,{dob},,\r\n'
        f"{reference},,,,,,,,,Alleged perpetrator,Dunmore,Craig,17/09/1990,,\r\n"
        f'{reference},,,,,,,,,Child,Marsh,Tyler,{child_dob},"Larchwood Primary School",Y\r\n'
    )


class Feed(msgspec.Struct):
    partnership_id: int
    headers: dict[str, str]
    coordinator_email: str
    admin_email: str


@pytest.fixture
async def feed(owner: asyncpg.Connection) -> Feed:
    p = await factories.partnership(owner, "north")
    police = await factories.agency(owner, p.id, "North Police")
    sender = await factories.user(owner, p.id, police.id, Role.COORDINATOR, email="feed@north.example")
    secret = await factories.token(owner, sender.id, Scope.NOTIFICATIONS_WRITE, Scope.NOTIFICATIONS_READ)
    await factories.user(owner, p.id, police.id, Role.COORDINATOR, email="coord@north.example")
    await factories.user(owner, p.id, police.id, Role.ADMIN, email="admin@north.example")
    return Feed(
        partnership_id=p.id,
        headers={"authorization": f"Bearer {secret}", **CSV},
        coordinator_email="coord@north.example",
        admin_email="admin@north.example",
    )


async def send(client: AsyncTestClient, feed: Feed, content: str | bytes, **params: str) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return await client.post("/api/v1/notifications/import", content=data, headers=feed.headers, params=params)


async def use_northfield_mapping(owner: asyncpg.Connection, partnership_id: int) -> None:
    await owner.execute(
        "INSERT INTO import_mapping (partnership_id, mapping) VALUES ($1, $2)",
        partnership_id,
        msgspec.to_builtins(NORTHFIELD_MAPPING),
    )


async def test_the_forces_sample_extract_imports_with_its_mapping(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    await use_northfield_mapping(owner, feed.partnership_id)
    response = await send(client, feed, SAMPLE, file_name="northfield-24-11.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["outcome"] == "imported"
    assert (report["rows_read"], report["incidents_read"], report["created"]) == (10, 3, 3)
    assert report["errors"] == []
    assert report["file_name"] == "northfield-24-11.csv"
    first = await owner.fetchrow(
        """SELECT id, source, officer_grade, risk_tool, risk_yes_count, previous_incidents_12m, consent_to_share,
                  victim_aware, safe_contact_notes, safe_to_contact, received_at, incident_at
             FROM notification WHERE police_reference = '14/7781/26'"""
    )
    assert first["source"] == "csv"
    assert (first["officer_grade"], first["risk_tool"], first["risk_yes_count"]) == ("high", "dash", 15)
    assert first["previous_incidents_12m"] == 3
    assert (first["consent_to_share"], first["victim_aware"]) == (True, True)
    # The officer's words are kept; they never make contact "safe".
    assert first["safe_contact_notes"] == "Safe to call 10:00-14:00 on mobile"
    assert first["safe_to_contact"] is None
    # 24/11/2026 02:10 in London (GMT in November) is 02:10 UTC.
    assert first["received_at"].isoformat() == "2026-11-24T02:10:00+00:00"
    people = await owner.fetch(
        "SELECT role, family_name, given_names, date_of_birth, school, present FROM notification_person "
        "WHERE notification_id = $1 ORDER BY position",
        first["id"],
    )
    assert [p["role"] for p in people] == ["victim", "alleged_perpetrator", "child", "child"]
    assert people[2]["school"] == "Larchwood Primary School"
    assert str(people[3]["date_of_birth"]) == "2025-08-02"
    refuge = await owner.fetchrow(
        "SELECT id, address, address_withheld, risk_yes_count FROM notification WHERE police_reference = '14/7795/26'"
    )
    assert (refuge["address"], refuge["address_withheld"]) == (None, True)
    withheld = await owner.fetch(
        "SELECT role, address_withheld FROM notification_person WHERE notification_id = $1 ORDER BY position",
        refuge["id"],
    )
    # The refuge protects the victim and the child; the alleged perpetrator's address is simply not known.
    assert [(p["role"], p["address_withheld"]) for p in withheld] == [
        ("victim", True),
        ("alleged_perpetrator", False),
        ("child", True),
    ]
    dara = await owner.fetchrow(
        "SELECT risk_tool, risk_yes_count FROM notification WHERE police_reference = '14/7802/26'"
    )
    assert (dara["risk_tool"], dara["risk_yes_count"]) == ("dara", None)
    kept = await owner.fetchrow("SELECT * FROM notification_import WHERE id = $1", report["id"])
    assert (kept["created"], kept["outcome"], kept["imported_by"]) == (3, "imported", report["imported_by"])
    assert await owner.fetchval("SELECT count(*) FROM notification_version WHERE import_id = $1", report["id"]) == 3
    actions = await owner.fetch("SELECT action FROM audit_event WHERE action LIKE 'notification%' ORDER BY id")
    assert [a["action"] for a in actions].count("notification_received") == 3
    assert [a["action"] for a in actions][-1] == "notifications_imported"


async def test_the_same_file_twice_changes_nothing(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    content = HEADER + incident("14/1/26") + incident("14/2/26", grade="Medium")
    first = await send(client, feed, content)
    assert first.json()["created"] == 2
    again = await send(client, feed, content)
    assert again.status_code == 200
    report = again.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2)
    assert report["outcome"] == "imported"
    assert await owner.fetchval("SELECT count(*) FROM notification") == 2
    assert await owner.fetchval("SELECT count(*) FROM notification_version") == 2
    assert await owner.fetchval("SELECT count(*) FROM notification_person") == 6
    assert await owner.fetchval("SELECT count(*) FROM notification_import") == 2


async def test_a_changed_incident_is_an_update_with_its_history(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    await send(client, feed, HEADER + incident("14/1/26", grade="Medium"))
    response = await send(client, feed, HEADER + incident("14/1/26", grade="High"))
    report = response.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 0)
    row = await owner.fetchrow("SELECT officer_grade, version FROM notification")
    assert (row["officer_grade"], row["version"]) == ("high", 2)
    imports = await owner.fetch("SELECT import_id FROM notification_version ORDER BY version")
    assert imports[1]["import_id"] == report["id"]


async def test_by_default_one_bad_row_imports_nothing_and_says_where(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    content = HEADER + incident("14/1/26") + incident("14/2/26", child_dob="31/02/2017") + incident("14/3/26")
    response = await send(client, feed, content)
    assert response.status_code == 422
    report = response.json()
    assert report["outcome"] == "rejected"
    assert (report["created"], report["incidents_read"], report["incidents_rejected"]) == (0, 3, 3)
    # Line 1 is the header; each incident takes four lines (its first row has a line break in a quoted field).
    assert report["errors"] == [
        {"line": 9, "column": "Date of birth", "reference": "14/2/26", "message": "'31/02/2017' is not a real date"}
    ]
    assert await owner.fetchval("SELECT count(*) FROM notification") == 0
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'notification_received'") == 0
    kept = await owner.fetchrow("SELECT outcome, errors_total FROM notification_import")
    assert (kept["outcome"], kept["errors_total"]) == ("rejected", 1)


async def test_good_incidents_mode_imports_the_rest_and_reports_the_bad(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    content = HEADER + incident("14/1/26") + incident("14/2/26", grade="Severe") + incident("14/3/26")
    response = await send(client, feed, content, mode="good_incidents")
    assert response.status_code == 200
    report = response.json()
    assert report["outcome"] == "partly_imported"
    assert (report["created"], report["incidents_rejected"]) == (2, 1)
    [error] = report["errors"]
    assert (error["line"], error["column"], error["reference"]) == (6, "Grade", "14/2/26")
    assert "'Severe' is not a grade" in error["message"]
    references = await owner.fetch("SELECT police_reference FROM notification ORDER BY police_reference")
    assert [r["police_reference"] for r in references] == ["14/1/26", "14/3/26"]


async def test_rules_are_checked_per_incident(client: AsyncTestClient, feed: Feed) -> None:
    no_reason = HEADER + incident("14/1/26").replace(",DASH,High,Y,,", ",DASH,High,N,,", 1)
    report = (await send(client, feed, no_reason)).json()
    assert report["errors"] == [
        {"line": 2, "column": "Reason no arrest", "reference": "14/1/26", "message": "Say why no arrest was made"}
    ]
    no_victim = HEADER + "14/5/26,24/11/2026,,,Argument,DASH,Standard,Y,,Child,Marsh,Tyler,11/05/2017,,\r\n"
    report = (await send(client, feed, no_victim)).json()
    assert report["errors"][0]["message"] == "Add the victim: a notification names at least one"
    unknown_tool = HEADER + incident("14/6/26").replace(",DASH,", ",ODARA,", 1)
    report = (await send(client, feed, unknown_tool)).json()
    assert report["errors"][0]["column"] == "Risk tool"


async def test_a_missing_required_column_is_one_error_on_the_header(client: AsyncTestClient, feed: Feed) -> None:
    content = HEADER.replace("Family name,", "Surname,") + incident("14/1/26")
    response = await send(client, feed, content)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["line"] == 1
    assert "Family name" in error["message"]
    assert "'Family name'" in error["message"]


async def test_a_file_that_is_not_utf8_is_refused_whole(client: AsyncTestClient, feed: Feed) -> None:
    content = (HEADER + incident("14/1/26").replace("Kelly", "Zoë")).encode("cp1252")
    response = await send(client, feed, content)
    assert response.status_code == 422
    assert "not UTF-8" in response.json()["errors"][0]["message"]


async def test_rows_of_one_reference_must_be_together(client: AsyncTestClient, feed: Feed) -> None:
    content = HEADER + incident("14/1/26") + incident("14/2/26") + incident("14/1/26")
    report = (await send(client, feed, content)).json()
    assert report["errors"][0]["reference"] == "14/1/26"
    assert "also appears at line 2" in report["errors"][0]["message"]


async def test_only_csv_is_accepted(client: AsyncTestClient, feed: Feed) -> None:
    headers = {**feed.headers, "content-type": "application/json"}
    response = await client.post("/api/v1/notifications/import", content=b"{}", headers=headers)
    assert response.status_code == 415


async def test_the_template_has_the_mapped_headers_and_one_example_row(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    response = await client.get("/api/v1/notifications/import/template", headers=feed.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Police reference,Crime reference,Date reported")
    # The template imports as it is.
    imported = await send(client, feed, response.content)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1
    await use_northfield_mapping(owner, feed.partnership_id)
    theirs = await client.get("/api/v1/notifications/import/template", headers=feed.headers)
    assert theirs.text.startswith("Occurrence No,Date/Time Reported,")
    assert ",Victim," in theirs.text


async def test_the_mapping_is_changed_with_a_version_and_checked(
    client: AsyncTestClient, feed: Feed, owner: asyncpg.Connection
) -> None:
    admin = factories.Browsers(client)
    session = await admin.sign_in("admin", feed.admin_email)
    token = await factories.form_token(session)
    current = (await session.get("/api/v1/notifications/import/mapping")).json()
    assert current["version"] == 0
    mapping = current["mapping"]
    mapping["columns"]["people.family_name"] = "Surname"
    mapping["roles"] = {"Suspect": "alleged_perpetrator"}
    saved = await session.put(
        "/api/v1/notifications/import/mapping",
        json={"mapping": mapping, "version": 0},
        headers={"x-csrf-token": token},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    stale = await session.put(
        "/api/v1/notifications/import/mapping",
        json={"mapping": mapping, "version": 0},
        headers={"x-csrf-token": token},
    )
    assert stale.status_code == 409
    mapping["columns"]["people.given_names"] = "surname"  # a header already used, in another case
    mapping["columns"]["police_reference"] = ""
    bad = await session.put(
        "/api/v1/notifications/import/mapping",
        json={"mapping": mapping, "version": 1},
        headers={"x-csrf-token": token},
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"body.columns.police_reference", "body.columns.people.given_names"} <= fields
    # The file now uses the force's words.
    content = (HEADER + incident("14/1/26")).replace("Family name", "Surname").replace("Alleged perpetrator", "suspect")
    report = (await send(client, feed, content)).json()
    assert report["created"] == 1, report
    assert await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'import_mapping_updated'") == 1

"""Minutes (pitstop.minutes), against PostgreSQL as the app's role, with the real document drawn: a held
meeting's draft is approved as version 1 and locked (the meeting's record closes, a second approval is a
409), each invited agency's representatives are emailed a link and nothing else; a correction opens
version 2 with its reason, reopens the record, and version 1 still downloads as approved; the full minutes
hold restricted information marked to whom and never what was "not for the minutes"; every agency's copy,
read back from the file's every part (body, tables, headers, footers, properties), holds no other agency's
restricted or third-party text and no other agency's actions; every download is in the disclosure log;
the approval deadline counts working days past weekends and bank holidays."""

# ruff: noqa: F811 - the app's connection fixture is imported from the outbox tests

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from datetime import datetime, timedelta

import asyncpg
import msgspec
import pytest

from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.meetings import queries as meeting_queries
from pitstop.meetings import service as meetings
from pitstop.meetings.schedule import LONDON
from pitstop.minutes import document
from pitstop.minutes import service as minutes
from pitstop.minutes.queries import RECORD_CLOSED
from tests import factories
from tests.integration.test_actions import agree
from tests.integration.test_agency_information import Meeting, published_meeting, save
from tests.integration.test_decisions import decide, start
from tests.integration.test_mail_outbox import app_conn  # noqa: F401

CLI = factories.CLI
SHARED = "Two call-outs this year; the family is known."
RESTRICTED = "Child protection plan since March, for the police only."
NOT_FOR_MINUTES = "Midwife's private concern, not for the minutes."
THIRD_PARTY = "GP letter about the mother's health."
DISSENT = "Housing disagrees: no tenancy concern."


async def render(snapshot: bytes) -> bytes:
    return await asyncio.to_thread(document.render_encoded, snapshot)


def text_of(docx: bytes) -> str:
    """Every word in every part of the file: body, tables, headers, footers, properties."""
    with zipfile.ZipFile(io.BytesIO(docx)) as parts:
        xml = " ".join(parts.read(name).decode("utf-8") for name in parts.namelist() if name.endswith(".xml"))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", xml))


async def held_meeting(owner: asyncpg.Connection, conn: asyncpg.Connection) -> Meeting:
    """A meeting held with every kind of record: shared, restricted (care, for the police), not for the
    minutes (health), third-party (care, shared); a decision with a dissent; actions for health and police."""
    m = await published_meeting(owner, conn)
    first = m.items[0]
    await save(conn, m, m.police, first, summary=SHARED)
    await save(
        conn, m, m.care, first, summary=RESTRICTED, visibility="restricted", restricted_to=[m.agencies["police"]]
    )
    await save(conn, m, m.health, first, summary=NOT_FOR_MINUTES, visibility="not_for_minutes")
    await save(conn, m, m.care, m.items[1], summary=THIRD_PARTY, third_party=True)
    await start(conn, m)
    await decide(conn, m, first, dissents=[{"agency_id": m.agencies["police"], "reason": DISSENT}])
    await agree(conn, m, "health", description="Health visitor to see the family")
    await agree(conn, m, "police", description="Police to check the bail conditions")
    version = await conn.fetchval("SELECT version FROM meeting WHERE id = $1", m.id)
    await meetings.advance(conn, actor=m.coordinator, meeting_id=m.id, version=version, step="end", origin=CLI)
    return m


async def download(conn: asyncpg.Connection, m: Meeting, who: object, **kwargs: object) -> minutes.Document:
    return await minutes.document(
        conn,
        actor=who,  # type: ignore[arg-type]
        meeting_id=m.id,
        version=kwargs.get("version"),  # type: ignore[arg-type]
        agency_id=kwargs.get("agency"),  # type: ignore[arg-type]
        origin=CLI,
        render=render,
    )


async def test_approval_locks_the_minutes_closes_the_record_and_tells_the_agencies(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, app_conn)
    standing = await minutes.standing(app_conn, m.coordinator, m.id)
    assert (standing.open_version, standing.approved, standing.versions) == (1, None, [])
    with pytest.raises(NotFound):  # nothing approved: no copy for an agency yet
        await download(app_conn, m, m.police)
    draft = await download(app_conn, m, m.coordinator)
    assert draft.filename.endswith("-v1-draft.docx")
    assert "DRAFT" in text_of(draft.content)

    approved = await minutes.approve(app_conn, actor=m.coordinator, meeting_id=m.id, version=1, origin=CLI)
    assert (approved.version, approved.state.value, approved.approved_by_name) == (1, "approved", m.coordinator.name)
    with pytest.raises(Conflict):  # approved already: a second approval from the same page is refused
        await minutes.approve(app_conn, actor=m.coordinator, meeting_id=m.id, version=1, origin=CLI)

    # The record is closed: no information, decision or action on the meeting's items.
    with pytest.raises(Invalid) as closed:
        await save(app_conn, m, m.police, m.items[0], summary="Too late.", version=1)
    assert closed.value.errors == {"knowledge": RECORD_CLOSED}
    with pytest.raises(Invalid):
        await decide(app_conn, m, m.items[1])
    with pytest.raises(Invalid):
        await agree(app_conn, m, "care")
    with pytest.raises(Invalid) as attendance:  # attendance and observers are in the minutes too
        await meetings.record_attendance(app_conn, actor=m.coordinator, meeting_id=m.id, rows=[], origin=CLI)
    assert attendance.value.errors == {"attendance": RECORD_CLOSED}

    # Each invited agency's representatives: a link, no case data, no attachment.
    mail = await owner.fetch(
        "SELECT recipient, subject, body_text, calendar FROM mail_outbox WHERE kind = 'minutes_ready'"
    )
    invitees = await owner.fetch(
        "SELECT DISTINCT email FROM series_invitee i JOIN meeting m ON m.series_id = i.series_id WHERE m.id = $1", m.id
    )
    assert sorted(r["recipient"] for r in mail) == sorted(r["email"] for r in invitees)
    for message in mail:
        assert f"/meetings/{m.id}#minutes" in message["body_text"]
        assert message["calendar"] is None
        for secret in ("NF/1", "Kelly", "Marsh", SHARED, RESTRICTED):
            assert secret not in message["subject"] + message["body_text"]
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM audit_event WHERE action = 'minutes_approved' AND record_id = $1", str(m.id)
        )
        == 1
    )
    # What was approved is kept as approved, even against a direct change in the database.
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await owner.execute("UPDATE minutes SET snapshot = '{}'::jsonb WHERE meeting_id = $1", m.id)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await owner.execute("DELETE FROM minutes WHERE meeting_id = $1", m.id)


async def test_a_correction_is_a_new_version_and_every_version_downloads_as_approved(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, app_conn)
    await minutes.approve(app_conn, actor=m.coordinator, meeting_id=m.id, version=1, origin=CLI)
    with pytest.raises(Invalid) as bare:
        await minutes.correct(app_conn, actor=m.coordinator, meeting_id=m.id, version=1, reason=" ", origin=CLI)
    assert list(bare.value.errors) == ["reason"]
    with pytest.raises(Conflict):  # drawn from a version that is not the latest approved
        await minutes.correct(app_conn, actor=m.coordinator, meeting_id=m.id, version=2, reason="x", origin=CLI)
    opened = await minutes.correct(
        app_conn, actor=m.coordinator, meeting_id=m.id, version=1, reason="The police summary was wrong", origin=CLI
    )
    assert (opened.version, opened.state.value) == (2, "draft")
    # The record reopens for the correction.
    await save(app_conn, m, m.police, m.items[0], summary="Three call-outs this year.", version=1)
    await minutes.approve(app_conn, actor=m.coordinator, meeting_id=m.id, version=2, origin=CLI)

    first, second = [text_of((await download(app_conn, m, m.manager, version=v)).content) for v in (1, 2)]
    assert SHARED in first  # as approved, whatever changed since
    assert "Three call-outs" not in first
    assert "Version 1, replaced by version 2" in first  # whoever downloads it knows it is not the latest
    assert "Three call-outs this year." in second
    assert "The police summary was wrong" in second
    latest = await download(app_conn, m, m.police)  # an agency member's newest: version 2, their copy
    assert latest.filename.endswith(f"-v2-agency-{m.agencies['police']}.docx")


async def test_the_full_minutes_and_each_agency_s_copy_hold_only_what_they_may(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, app_conn)
    await minutes.approve(app_conn, actor=m.coordinator, meeting_id=m.id, version=1, origin=CLI)
    full = text_of((await download(app_conn, m, m.coordinator)).content)
    for shown in (SHARED, RESTRICTED, THIRD_PARTY, DISSENT, "Health visitor to see the family", "OFFICIAL-SENSITIVE"):
        assert shown in full
    assert NOT_FOR_MINUTES not in full
    care = await app_conn.fetchval("SELECT name FROM agency WHERE id = $1", m.agencies["care"])
    police = await app_conn.fetchval("SELECT name FROM agency WHERE id = $1", m.agencies["police"])
    assert f"Restricted to: {police}" in full

    invited = [r.agency_id for r in await meeting_queries.attendance(app_conn, m.id)]
    members = {m.agencies["police"]: m.police, m.agencies["care"]: m.care, m.agencies["health"]: m.health}
    assert sorted(invited) == sorted(members)
    for agency_id, member in members.items():
        own = text_of((await download(app_conn, m, member)).content)
        by_coordinator = text_of((await download(app_conn, m, m.coordinator, agency=agency_id)).content)
        for copy in (own, by_coordinator):
            assert NOT_FOR_MINUTES not in copy
            assert SHARED in copy
            assert DISSENT in copy  # decisions in full
            assert (RESTRICTED in copy) == (agency_id in (m.agencies["care"], m.agencies["police"]))
            assert (THIRD_PARTY in copy) == (agency_id == m.agencies["care"])
            assert ("Health visitor to see the family" in copy) == (agency_id == m.agencies["health"])
            assert ("Police to check the bail conditions" in copy) == (agency_id == m.agencies["police"])
        if agency_id != m.agencies["care"]:
            assert f"{care} shared third-party information" in own  # said, not shown
    with pytest.raises(NotFound):  # another agency's copy is not an agency member's to ask for
        await download(app_conn, m, m.police, agency=m.agencies["care"])

    log = await owner.fetch(
        """SELECT user_id, version, state, copy_agency_id FROM minutes_disclosure WHERE meeting_id = $1 ORDER BY id""",
        m.id,
    )
    assert len(log) == 1 + 2 * len(members)
    assert (log[0]["user_id"], log[0]["version"], log[0]["state"], log[0]["copy_agency_id"]) == (
        m.coordinator.user_id,
        1,
        "approved",
        None,
    )
    assert {(r["user_id"], r["copy_agency_id"]) for r in log[1:]} >= {(m.police.user_id, m.agencies["police"])}
    assert await owner.fetchval(
        "SELECT count(*) FROM audit_event WHERE action = 'minutes_downloaded' AND record_id = $1", str(m.id)
    ) == len(log)


async def test_minutes_are_due_three_working_days_after_the_meeting(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    m = await held_meeting(owner, app_conn)
    meeting = await meeting_queries.meeting(app_conn, m.id)
    assert meeting is not None
    christmas_eve = msgspec.structs.replace(meeting, starts_at=datetime(2026, 12, 24, 9, 30, tzinfo=LONDON))
    # Christmas Day (Friday), the weekend and Boxing Day's substitute (Monday 28th) are not working days.
    assert await minutes.due_on(app_conn, christmas_eve) == datetime(2026, 12, 31).date()
    tuesday = msgspec.structs.replace(meeting, starts_at=datetime(2026, 11, 24, 9, 30, tzinfo=LONDON))
    assert await minutes.due_on(app_conn, tuesday) == datetime(2026, 11, 27).date()
    # This meeting, not approved: overdue only once its third working day has passed.
    standing = await minutes.standing(app_conn, m.coordinator, m.id)
    assert standing.overdue == (datetime.now(LONDON).date() > standing.due_on)
    await app_conn.execute(
        """UPDATE meeting SET starts_at = starts_at - interval '14 days', cut_off_at = cut_off_at - interval
           '14 days', publish_at = publish_at - interval '14 days' WHERE id = $1""",
        m.id,
    )
    assert (await minutes.standing(app_conn, m.coordinator, m.id)).overdue
    await minutes.approve(app_conn, actor=m.coordinator, meeting_id=m.id, version=1, origin=CLI)
    late = await minutes.standing(app_conn, m.coordinator, m.id)
    assert (late.overdue, late.late) == (False, True)
    assert timedelta(0) < datetime.now(LONDON) - late.versions[0].approved_at.astimezone(LONDON) < timedelta(minutes=5)

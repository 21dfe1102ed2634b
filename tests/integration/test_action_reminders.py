"""The morning action reminder, through the outbox to a real SMTP server on loopback: one email to each
of an agency's representatives counting its new, due-today and overdue actions, with a link and no case
data; none for an agency with nothing to chase, none before 07:00 or on a weekend, and never twice a day."""

# ruff: noqa: F811 - the SMTP server and connection fixtures are imported from the outbox tests

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from pitstop.actions import reminders
from pitstop.meetings import service as meetings
from pitstop.meetings.schedule import LONDON
from tests.integration.test_actions import agree
from tests.integration.test_agency_information import published_meeting
from tests.integration.test_decisions import start
from tests.integration.test_mail_outbox import Inbox, app_conn, config, deliver_all, smtp  # noqa: F401
from tests.integration.test_series_invites import site  # noqa: F401


def next_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.isoweekday()) % 7 or 7)


async def test_each_agency_gets_one_morning_email_counting_its_actions(
    site: None, owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    m = await published_meeting(owner, app_conn)
    await start(app_conn, m)
    await deliver_all(app_conn, config(port))  # the series' invitations
    sent_before = len(inbox.messages)
    # A Tuesday morning that is not a bank holiday, a few weeks on.
    tuesday = next_weekday(datetime.now(LONDON).date() + timedelta(days=21), 2)
    holidays = {d for d, _ in reminders.calendar.bank_holidays([tuesday.year, tuesday.year + 1])}
    while {tuesday, tuesday + timedelta(days=1), tuesday + timedelta(days=2)} & holidays:
        tuesday += timedelta(days=7)  # Tuesday to Thursday all working days
    morning = datetime.combine(tuesday, time(7, 30), LONDON)
    due_today = morning + timedelta(hours=3) - datetime.now(UTC)
    overdue = morning - timedelta(days=2) - datetime.now(UTC)
    for due in (due_today, due_today, overdue):
        made = await agree(app_conn, m, "health", due=timedelta(days=30))
        await owner.execute("UPDATE action SET due_at = now() + $2::interval WHERE id = $1", made.id, due)
    await owner.execute("UPDATE action SET created_at = $1", morning - timedelta(days=10))  # not new any more
    await agree(app_conn, m, "care", due=timedelta(days=60))
    await owner.execute(
        "UPDATE action SET created_at = $1 WHERE owner_agency_id = $2",
        morning - timedelta(hours=12),
        m.agencies["care"],
    )

    partnership = m.coordinator.partnership_id
    assert await reminders.send_due(app_conn, partnership, morning.replace(hour=6, minute=59)) == 0
    assert await reminders.send_due(app_conn, partnership, morning + timedelta(days=4)) == 0  # Saturday
    assert await reminders.send_due(app_conn, partnership, morning) == 2  # one representative each
    assert await reminders.send_due(app_conn, partnership, morning + timedelta(hours=2)) == 0  # once a day
    await deliver_all(app_conn, config(port))
    health, care = sorted(inbox.messages[sent_before:], key=lambda msg: msg["To"])
    assert health["To"] == "Hana Health <hana@north.example>"
    assert health["Subject"] == "Pitstop: North Health's actions this morning"
    text = health.get_payload(decode=True).decode()
    assert "- 0 new actions since the last reminder" in text
    assert "- 2 actions due today" in text
    assert "- 1 overdue action" in text
    assert "https://pitstop.northfield.example/actions" in text
    assert "- 1 new action since the last reminder" in care.get_payload(decode=True).decode()
    for message in inbox.messages[sent_before:]:
        raw = message.as_string()
        assert "NF/1" not in raw
        assert "Visit for" not in raw  # the actions' descriptions
        assert "Marsh" not in raw
    # The police have no actions: no email to Pat.
    assert not [msg for msg in inbox.messages[sent_before:] if "police" in msg["To"]]
    # The next working day it is sent again, to health (still overdue); care's action is no longer new.
    assert await reminders.send_due(app_conn, partnership, morning + timedelta(days=1)) == 1
    # The meeting clock queues them by itself.
    done = await meetings.tick(app_conn, now=morning + timedelta(days=2))
    assert done["reminded"] == 1


async def test_friday_s_actions_are_new_on_monday(owner: asyncpg.Connection, app_conn: asyncpg.Connection) -> None:
    m = await published_meeting(owner, app_conn)
    await start(app_conn, m)
    made = await agree(app_conn, m, "health", due=timedelta(days=60))
    monday = next_weekday(datetime.now(LONDON).date() + timedelta(days=21), 1)
    holidays = {d for d, _ in reminders.calendar.bank_holidays([monday.year - 1, monday.year])}
    while {monday, monday - timedelta(days=3)} & holidays:
        monday += timedelta(days=7)
    friday_meeting = datetime.combine(monday - timedelta(days=3), time(10), LONDON)
    await owner.execute("UPDATE action SET created_at = $2 WHERE id = $1", made.id, friday_meeting)
    [health] = await reminders.counts(
        app_conn, m.coordinator.partnership_id, datetime.combine(monday, time(7, 30), LONDON)
    )
    assert (health.agency_name, health.new) == ("North Health", 1)

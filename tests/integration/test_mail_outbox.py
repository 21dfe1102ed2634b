"""The mail outbox against a real PostgreSQL and a real SMTP server on loopback (aiosmtpd): what arrives
(headers, parts, the calendar inline and attached), retries after a refused connection with the same
Message-ID, a permanent refusal, and nothing sent when no server is configured."""

from __future__ import annotations

import email
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session
from icalendar import Calendar

from pitstop.db.pool import connect, create_pool
from pitstop.mail import outbox
from tests import factories
from tests.conftest import TestDatabase, free_port

REFUSED = "nobody@refused.example"


class Inbox:
    """What the SMTP server received; it refuses one address for good (550)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_RCPT(
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def app_conn(database: TestDatabase) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(database.app_url)
    yield conn
    await conn.close()


def config(port: int) -> outbox.SmtpConfig:
    return outbox.SmtpConfig(host="127.0.0.1", port=port, starttls=False, sender="pitstop@northfield.example")


INVITE = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:series-1@pitstop.example\r\nSEQUENCE:2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"  # noqa: E501


def invite(to: str, name: str = "Pat Police") -> outbox.Outgoing:
    return outbox.Outgoing(
        kind="invite",
        recipient=to,
        recipient_name=name,
        subject="Invitation: Northfield daily pitstop",
        body_text="You are invited to the daily pitstop.",
        calendar=INVITE,
        calendar_method="REQUEST",
    )


async def partnership(owner: asyncpg.Connection) -> int:
    return (await factories.partnership(owner)).id


async def state(conn: asyncpg.Connection) -> list[tuple[str, str, int]]:
    rows = await conn.fetch("SELECT recipient, state, attempts FROM mail_outbox ORDER BY id")
    return [(r["recipient"], r["state"], r["attempts"]) for r in rows]


async def deliver_all(conn: asyncpg.Connection, settings: outbox.SmtpConfig) -> int:
    tried = 0
    while await outbox.deliver_one(conn, settings):
        tried += 1
    return tried


async def test_queued_mail_arrives_with_the_calendar_inline_and_attached(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    pid = await partnership(owner)
    async with app_conn.transaction():
        ids = await outbox.queue(
            app_conn,
            pid,
            [
                invite("pat@police.example"),
                outbox.Outgoing(kind="notice", recipient="sam@care.example", subject="Hello", body_text="Plain."),
            ],
            "pitstop.northfield.example",
        )
    assert len(ids) == 2
    assert await deliver_all(app_conn, config(port)) == 2
    assert await state(app_conn) == [("pat@police.example", "sent", 1), ("sam@care.example", "sent", 1)]
    first, second = inbox.messages
    stored = await app_conn.fetchval("SELECT message_id FROM mail_outbox WHERE id = $1", ids[0])
    assert first["Message-ID"] == stored
    assert stored.endswith("@pitstop.northfield.example>")
    assert first["To"] == "Pat Police <pat@police.example>"
    assert first["From"] == "Pitstop <pitstop@northfield.example>"
    assert first.get_content_type() == "multipart/mixed"
    alternative, attachment = first.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    text, inline = alternative.get_payload()
    assert text.get_content_type() == "text/plain"
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    for part in (inline, attachment):
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        [event] = calendar.walk("VEVENT")
        assert (str(event["uid"]), int(event["sequence"])) == ("series-1@pitstop.example", 2)
    assert second.get_content_type() == "text/plain"


async def test_a_refused_connection_is_retried_later_with_the_same_message_id(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    pid = await partnership(owner)
    await outbox.queue(app_conn, pid, [invite("pat@police.example")], "pitstop.example")
    closed = free_port()  # nothing listens there
    assert await deliver_all(app_conn, config(closed)) == 1
    row = await app_conn.fetchrow("SELECT state, attempts, last_error, next_attempt_at, message_id FROM mail_outbox")
    assert (row["state"], row["attempts"]) == ("queued", 1)
    assert row["last_error"].startswith("SMTPConnect")
    assert row["next_attempt_at"] > datetime.now(UTC) + timedelta(seconds=20)
    # Not due yet: the working server gets nothing until the backoff has passed.
    assert await deliver_all(app_conn, config(port)) == 0
    await owner.execute("UPDATE mail_outbox SET next_attempt_at = now()")
    assert await deliver_all(app_conn, config(port)) == 1
    [arrived] = inbox.messages
    assert arrived["Message-ID"] == row["message_id"]
    assert await state(app_conn) == [("pat@police.example", "sent", 2)]


async def test_a_permanent_refusal_is_given_up_without_the_servers_words(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    _, port = smtp
    pid = await partnership(owner)
    await outbox.queue(app_conn, pid, [invite(REFUSED)], "pitstop.example")
    await deliver_all(app_conn, config(port))
    row = await app_conn.fetchrow("SELECT state, last_error FROM mail_outbox")
    assert row["state"] == "failed"
    assert "550" in row["last_error"]
    assert "No such user" not in row["last_error"]


async def test_backoff_doubles_to_an_hour_and_gives_up_after_the_last_attempt() -> None:
    assert [outbox.retry_after(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.retry_after(30) == timedelta(hours=1)


async def test_without_an_smtp_server_nothing_is_sent_and_the_message_waits(
    database: TestDatabase, owner: asyncpg.Connection, app_conn: asyncpg.Connection
) -> None:
    pid = await partnership(owner)
    await outbox.queue(app_conn, pid, [invite("pat@police.example")], "pitstop.example")
    disabled = outbox.SmtpConfig(host=None, sender="pitstop@northfield.example")
    pool = await create_pool(database.app_url, min_size=1, max_size=1)
    try:
        assert await outbox.deliver_due(pool, disabled) == 0
    finally:
        await pool.close()
    assert await state(app_conn) == [("pat@police.example", "queued", 0)]


async def test_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(
    owner: asyncpg.Connection, app_conn: asyncpg.Connection, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    pid = await partnership(owner)
    transaction = app_conn.transaction()
    await transaction.start()
    await outbox.queue(app_conn, pid, [invite("pat@police.example")], "pitstop.example")
    await transaction.rollback()  # the change that caused it failed
    assert await deliver_all(app_conn, config(port)) == 0
    assert inbox.messages == []

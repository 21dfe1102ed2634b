"""Queueing mail in the caller's transaction, and delivering it over SMTP.

- `queue` writes messages in the caller's transaction: they exist exactly when the change that caused
  them is committed.
- `deliver_due` takes one due message at a time with `FOR UPDATE SKIP LOCKED` (several processes share
  the work, never a message), sends it while holding that lock, and records the result in the same
  transaction. A crash while sending leaves the message queued: it is sent again, with the same
  Message-ID, and it is the only one that can repeat.
- A refused connection or a temporary SMTP error retries with backoff (30 s, doubling, at most an
  hour); after the last attempt the message is marked failed. The error kept is its kind and SMTP
  code, never the server's text (which may quote the address).
- With no SMTP server configured nothing is sent: messages stay queued and visible on the outbox page.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib
import asyncpg
import msgspec

from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """A message to one recipient. `calendar` is an iTIP payload (pitstop.invites.ics) or None."""

    kind: str
    recipient: str
    recipient_name: str | None = None
    subject: str
    body_text: str
    calendar: bytes | None = None
    calendar_method: str | None = None


class SmtpConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str | None
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str  # the From address: the partnership's mailbox
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)


class Queued(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partnership_id: int
    message_id: str
    kind: str
    recipient_name: str | None
    recipient: str
    subject: str
    body_text: str
    calendar: str | None
    calendar_method: str | None
    attempts: int


class Listed(msgspec.Struct, frozen=True, kw_only=True):
    """A line of the outbox page."""

    id: int
    kind: str
    recipient_name: str | None
    recipient: str
    subject: str
    calendar_method: str | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


async def listing(
    conn: asyncpg.Connection, partnership_id: int, *, state: str | None = None, most: int = 200
) -> list[Listed]:
    """The partnership's latest messages, newest first."""
    rows = await conn.fetch(
        """SELECT id, kind, recipient_name, recipient, subject, calendar_method, state, attempts, next_attempt_at,
                  last_error, created_at, sent_at
             FROM mail_outbox
            WHERE partnership_id = $1 AND ($2::text IS NULL OR state = $2)
            ORDER BY id DESC LIMIT $3""",
        partnership_id,
        state,
        most,
    )
    return [msgspec.convert(dict(r), Listed) for r in rows]


async def counts(conn: asyncpg.Connection, partnership_id: int) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT state, count(*) AS n FROM mail_outbox WHERE partnership_id = $1 GROUP BY state", partnership_id
    )
    return {"queued": 0, "sent": 0, "failed": 0} | {r["state"]: r["n"] for r in rows}


def message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


async def queue(conn: asyncpg.Connection, partnership_id: int, messages: Sequence[Outgoing], domain: str) -> list[int]:
    """Queue messages in the caller's transaction; their ids."""
    if not messages:
        return []
    rows = await conn.fetch(
        """INSERT INTO mail_outbox (partnership_id, message_id, kind, recipient_name, recipient, subject, body_text,
                                    calendar, calendar_method)
           SELECT $1, m.message_id, m.kind, m.recipient_name, m.recipient, m.subject, m.body_text, m.calendar,
                  m.calendar_method
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                         $9::text[]) WITH ORDINALITY
                  AS m (message_id, kind, recipient_name, recipient, subject, body_text, calendar, calendar_method, n)
            ORDER BY m.n
           RETURNING id""",
        partnership_id,
        [message_id(domain) for _ in messages],
        [m.kind for m in messages],
        [m.recipient_name for m in messages],
        [m.recipient for m in messages],
        [m.subject for m in messages],
        [m.body_text for m in messages],
        [m.calendar.decode() if m.calendar is not None else None for m in messages],
        [m.calendar_method for m in messages],
    )
    return [r["id"] for r in rows]


def build(message: Queued, sender: str, sender_name: str = "Pitstop") -> EmailMessage:
    """The email: text, and the calendar part both inline (what Outlook and Gmail act on) and attached
    as invite.ics (what other clients open)."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender))
    mail["To"] = formataddr((message.recipient_name or "", message.recipient))
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body_text)
    if message.calendar is not None and message.calendar_method is not None:
        payload = message.calendar.encode()
        mail.add_alternative(
            payload,
            maintype="text",
            subtype="calendar",
            params={"method": message.calendar_method, "charset": "utf-8"},
            cte="base64",
        )
        mail.make_mixed()
        mail.add_attachment(
            payload,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
            params={"method": message.calendar_method},
        )
    return mail


def _codes(exc: BaseException) -> list[int]:
    """The SMTP reply codes an error carries (a refused recipient's are inside it)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return [r.code for r in exc.recipients if isinstance(r.code, int)]
    code = getattr(exc, "code", None)
    return [code] if isinstance(code, int) else []


def _error(exc: BaseException) -> str:
    return " ".join([type(exc).__name__, *(str(code) for code in _codes(exc))])


def _permanent(exc: BaseException) -> bool:
    """An SMTP 5xx about the message or recipient: retrying will not help."""
    codes = _codes(exc)
    return (
        isinstance(exc, aiosmtplib.SMTPResponseException | aiosmtplib.SMTPRecipientsRefused)
        and bool(codes)
        and all(500 <= code < 600 for code in codes)
    )


def retry_after(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


async def send(config: SmtpConfig, mail: EmailMessage) -> None:
    await aiosmtplib.send(
        mail,
        hostname=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        start_tls=config.starttls,
        timeout=config.timeout,
    )


async def deliver_one(conn: asyncpg.Connection, config: SmtpConfig) -> bool:
    """Send the next due message, if any; whether there was one. Runs in its own transaction."""
    async with conn.transaction():
        row = await conn.fetchrow(
            """SELECT id, partnership_id, message_id, kind, recipient_name, recipient, subject, body_text, calendar,
                      calendar_method, attempts
                 FROM mail_outbox
                WHERE state = 'queued' AND next_attempt_at <= now()
                ORDER BY next_attempt_at, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED"""
        )
        if row is None:
            return False
        message = msgspec.convert(dict(row), Queued)
        try:
            await send(config, build(message, config.sender))
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            attempts = message.attempts + 1
            failed = attempts >= MAX_ATTEMPTS or _permanent(exc)
            await conn.execute(
                """UPDATE mail_outbox SET attempts = $2, last_error = $3, state = $4,
                          next_attempt_at = now() + $5::interval
                    WHERE id = $1""",
                message.id,
                attempts,
                _error(exc),
                "failed" if failed else "queued",
                retry_after(attempts),
            )
            log.warning("mail not delivered", extra={"outbox_id": message.id, "error": _error(exc), "gave_up": failed})
            if failed:
                await _audit(conn, AuditAction.MAIL_GIVEN_UP, message)
            return True
        await conn.execute(
            "UPDATE mail_outbox SET state = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL "
            "WHERE id = $1",
            message.id,
        )
        await _audit(conn, AuditAction.MAIL_SENT, message)
        return True


async def _audit(conn: asyncpg.Connection, action: AuditAction, message: Queued) -> None:
    """Sent by Pitstop (no user): the outbox row says to whom; the audit row names only the row and its kind."""
    await audit.record(
        conn,
        action,
        actor=None,
        origin=audit.Origin(),
        partnership_id=message.partnership_id,
        record_type="mail_outbox",
        record_id=message.id,
        detail={"kind": message.kind, "attempts": message.attempts + 1},
    )


async def deliver_due(pool: asyncpg.Pool, config: SmtpConfig, *, most: int = 100) -> int:
    """Deliver due messages until none is due (or `most` were tried); how many were tried."""
    if not config.enabled:
        return 0
    tried = 0
    async with pool.acquire() as conn:
        while tried < most and await deliver_one(conn, config):
            tried += 1
    return tried


async def run_sender(pool: asyncpg.Pool, config: SmtpConfig, every: float = 5.0) -> None:
    """The sender inside the service: every few seconds, deliver what is due. Never stops on an error."""
    if not config.enabled:
        return
    while True:
        try:
            await deliver_due(pool, config)
        except Exception as exc:  # a dead sender would lose no mail but send none: log and carry on
            log.warning("mail sender failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(every)

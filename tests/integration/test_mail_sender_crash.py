"""The mail sender killed in the middle of a batch: real `pitstop serve` processes on the embedded database,
a real SMTP server on loopback (aiosmtpd) in the test process.

Requirement: killing the sender in the middle of a batch and restarting it delivers every queued message,
with at most the in-flight one repeated (same Message-ID).

No timing guesses: the SMTP server holds its reply to one message's DATA until the test has killed the
service, so the kill lands while that message is in flight, after the ones before it were answered."""

from __future__ import annotations

import asyncio
import contextlib
import email
import signal
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from email.message import Message
from pathlib import Path

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

from pitstop.db import embedded
from tests.conftest import free_port
from tests.integration.test_service_process import Service, run_demo, services  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

ANSWERED_BEFORE_KILL = 3  # messages the first process gets through; the next one is in flight at the kill
WAIT_SECONDS = 30.0
SENDER = "pitstop@northfield.example"


class HoldingInbox:
    """Records every message whose DATA arrives, in order; holds the reply to the `hold`-th (1-based)
    until `release` is set, so that message stays in flight for as long as the test needs."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._arrived: list[Message] = []

    @property
    def arrived(self) -> list[Message]:
        with self._lock:
            return list(self._arrived)

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self._arrived.append(email.message_from_bytes(envelope.content))
            number = len(self._arrived)
        if number == self.hold:
            deadline = time.monotonic() + 2 * WAIT_SECONDS
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return "250 Message accepted"


@pytest.fixture
def holding_smtp() -> Iterator[tuple[HoldingInbox, int]]:
    inbox = HoldingInbox(hold=ANSWERED_BEFORE_KILL + 1)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.release.set()
        controller.stop()


def mailing_service(data_dir: Path, log: Path, smtp_port: int) -> Service:
    """`pitstop serve` with its mail sender pointed at the test's SMTP server. The meeting clock is off so
    that nothing but the demo's invitations is queued while the test runs."""
    return Service(
        data_dir,
        log,
        {
            "PITSTOP_SMTP_HOST": "127.0.0.1",
            "PITSTOP_SMTP_PORT": str(smtp_port),
            "PITSTOP_SMTP_STARTTLS": "false",
            "PITSTOP_MAIL_FROM": SENDER,
            "PITSTOP_MEETING_CLOCK_SECONDS": "0",
        },
    )


@contextlib.asynccontextmanager
async def owner_connection(data_dir: Path) -> AsyncIterator[asyncpg.Connection]:
    """An owner connection to the embedded database under data_dir (started, or joined if running)."""
    server = embedded.start(data_dir)
    try:
        conn = await asyncpg.connect(server.owner_url)
        try:
            yield conn
        finally:
            await conn.close()
    finally:
        server.stop()


async def outbox_states(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT state, count(*) AS n FROM mail_outbox GROUP BY state")
    return {r["state"]: r["n"] for r in rows}


def part_types(message: Message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def calendar_of(message: Message) -> bytes:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


async def test_a_sender_killed_mid_batch_delivers_everything_after_restart_repeating_only_the_one_in_flight(
    tmp_path: Path,
    pg_dir: Path,
    services: list[Service],  # noqa: F811 - fixture
    holding_smtp: tuple[HoldingInbox, int],
) -> None:
    inbox, smtp_port = holding_smtp
    data_dir = pg_dir / "data"
    run_demo(data_dir)  # no service is running yet: the invitations wait in the outbox

    async with owner_connection(data_dir) as conn:
        queued = await conn.fetch("SELECT message_id, recipient, kind FROM mail_outbox ORDER BY id")
        assert await outbox_states(conn) == {"queued": len(queued)}
        # A batch with messages both before and after the one in flight at the kill.
        assert len(queued) >= ANSWERED_BEFORE_KILL + 2, queued
        assert {r["kind"] for r in queued} == {"invite"}
        recipients = {r["message_id"]: r["recipient"] for r in queued}

        first = mailing_service(data_dir, tmp_path / "first.log", smtp_port)
        services.append(first)
        deadline = time.monotonic() + WAIT_SECONDS
        while len(inbox.arrived) <= ANSWERED_BEFORE_KILL:
            if first.process.poll() is not None:
                raise AssertionError(f"pitstop serve exited with {first.process.returncode}:\n{first.log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"only {len(inbox.arrived)} messages reached the SMTP server in {WAIT_SECONDS}s:\n"
                    + first.log.read_text()
                )
            await asyncio.sleep(0.05)

        before_kill = inbox.arrived
        assert len(before_kill) == ANSWERED_BEFORE_KILL + 1  # the held one stops the sender going further
        assert len({m["Message-ID"] for m in before_kill}) == len(before_kill)
        in_flight = before_kill[-1]["Message-ID"]
        assert await conn.fetchval("SELECT state FROM mail_outbox WHERE message_id = $1", in_flight) == "queued"
        # Mid-batch: the answered messages are marked sent, the one in flight and the rest are not.
        assert await outbox_states(conn) == {"sent": ANSWERED_BEFORE_KILL, "queued": len(queued) - ANSWERED_BEFORE_KILL}
        first.stop(signal.SIGKILL)  # in the middle of the in-flight message's DATA: no 250 was ever read
        assert first.process.returncode == -signal.SIGKILL
        inbox.release.set()

        second = mailing_service(data_dir, tmp_path / "second.log", smtp_port)
        services.append(second)
        deadline = time.monotonic() + WAIT_SECONDS
        while (states := await outbox_states(conn)) != {"sent": len(queued)}:
            if second.process.poll() is not None:
                raise AssertionError(
                    f"pitstop serve exited with {second.process.returncode}:\n{second.log.read_text()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"outbox not all sent in {WAIT_SECONDS}s: {states}\n{second.log.read_text()}")
            await asyncio.sleep(0.1)

        rows = await conn.fetch("SELECT message_id, state, last_error FROM mail_outbox ORDER BY id")

    # Nothing queued or failed is left, and no message was added while the test ran.
    assert [(r["message_id"], r["state"], r["last_error"]) for r in rows] == [(m, "sent", None) for m in recipients]
    arrived = inbox.arrived
    times = Counter(m["Message-ID"] for m in arrived)
    # Every queued message arrived, and nothing else did.
    assert set(times) == set(recipients)
    # At most one message arrived twice, and only the one that was in flight at the kill.
    repeated = {mid: n for mid, n in times.items() if n > 1}
    assert set(repeated) <= {in_flight}, repeated
    assert max(times.values()) <= 2, times

    # They really are the demo's invitations, each to the recipient its outbox row names.
    for message in arrived:
        assert message["To"].endswith(f"<{recipients[message['Message-ID']]}>"), message["To"]
        assert message["From"] == f"Pitstop <{SENDER}>"
        assert message["Subject"].startswith("Invitation: ")
        assert {"text/plain", "text/calendar", "application/ics"} <= set(part_types(message))
        calendar = calendar_of(message)
        assert b"METHOD:REQUEST" in calendar
        assert b"BEGIN:VEVENT" in calendar
    # A repeat is the same message again, not a new one under the old id.
    for mid in repeated:
        copies = [m for m in arrived if m["Message-ID"] == mid]
        assert len({(m["To"], m["Subject"], calendar_of(m)) for m in copies}) == 1

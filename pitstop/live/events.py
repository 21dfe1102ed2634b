"""Meeting events: a durable log of what changed in a meeting (ids only) and its NOTIFY to every process.

`publish` runs in the transaction of the change: the row and the notification both exist exactly when
the change is committed (PostgreSQL delivers NOTIFY on commit), and never for a change rolled back. The
notification's payload is the row's id and the meeting's; a listener reads nothing else from it, and each
stream re-reads what changed through the need-to-know policy as its own user. A stream that reconnects
asks for the events after the last id it had (`since`): the log, not the notifications, is the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum

import asyncpg
import msgspec

from pitstop.db.rows import to_structs

log = logging.getLogger(__name__)

CHANNEL = "pitstop_meeting"
WAKE = 0  # not an event: "read the log" (after the hub listened again)


class Kind(StrEnum):
    MEETING = "meeting"  # its state, or the item being discussed
    ITEM = "item"  # the agenda changed
    INFORMATION = "information"
    DECISION = "decision"
    ACTION = "action"


class Event(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    meeting_id: int
    kind: Kind
    item_id: int | None
    record_id: int | None
    at: datetime


class _Note(msgspec.Struct, frozen=True):
    id: int
    meeting_id: int


async def publish(
    conn: asyncpg.Connection,
    partnership_id: int,
    meeting_id: int,
    kind: Kind,
    *,
    item_id: int | None = None,
    record_id: int | None = None,
) -> int:
    """Log that something changed in a meeting and tell every process, on commit. The event's id.

    A meeting's events are written one transaction at a time (a lock held to commit): an id is drawn at
    insert but seen at commit, so two saves at once could otherwise commit 11 before 10, and a stream
    that had read 11 would never ask for 10. In turn, a meeting's ids become visible in order. A caller
    must not lock the meeting's row FOR UPDATE after publishing (take it before)."""
    # The meeting's row first, as every path that locks it FOR UPDATE has (the event's foreign key would
    # take it anyway, after the event lock: the other order, and a deadlock with the chair's Next).
    await conn.execute("SELECT 1 FROM meeting WHERE id = $1 FOR KEY SHARE", meeting_id)
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('pitstop.meeting_event'), ($1::bigint % 2147483647)::int)",
        meeting_id,
    )
    event_id = await conn.fetchval(
        """INSERT INTO meeting_event (partnership_id, meeting_id, kind, item_id, record_id)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        partnership_id,
        meeting_id,
        kind.value,
        item_id,
        record_id,
    )
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, msgspec.json.encode(_Note(event_id, meeting_id)).decode())
    return event_id


async def since(conn: asyncpg.Connection, meeting_id: int, after: int, *, limit: int = 1000) -> list[Event]:
    """The meeting's events after `after`, oldest first: what a stream that reconnects has missed."""
    rows = await conn.fetch(
        """SELECT id, meeting_id, kind, item_id, record_id, at FROM meeting_event
            WHERE meeting_id = $1 AND id > $2 ORDER BY id LIMIT $3""",
        meeting_id,
        after,
        limit,
    )
    return to_structs(rows, Event)


async def latest(conn: asyncpg.Connection, meeting_id: int) -> int:
    """The id of the meeting's last event (0 if none): where a new stream starts."""
    return await conn.fetchval("SELECT coalesce(max(id), 0) FROM meeting_event WHERE meeting_id = $1", meeting_id)


class Hub:
    """One LISTEN connection per process, fanning each meeting's event ids out to its subscribers.

    A subscriber gets event ids (never content) on its own queue; a slow one is not waited for: when its
    queue is full the oldest ids are dropped and it re-reads from the log, which it must do anyway."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._subscribers: dict[int, set[asyncio.Queue[int]]] = defaultdict(set)
        self._stopping = False
        self._reconnecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stopping = False
        await self._connect()

    async def stop(self) -> None:
        self._stopping = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn)
        await conn.add_listener(CHANNEL, self._heard)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _lost(self, _conn: object) -> None:
        """The LISTEN connection went (a restart, a network fault): listen again, then wake every stream to
        read the log, which holds whatever was NOTIFYed while nobody listened."""
        if self._stopping:
            return
        self._conn = None
        log.warning("meeting events: the listening connection was lost; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self, *, first_wait: float = 0.2, longest_wait: float = 30.0) -> None:
        wait = first_wait
        while not self._stopping:
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest_wait)
                continue
            log.info("meeting events: listening again")
            for queues in self._subscribers.values():
                for queue in queues:
                    self._put(queue, WAKE)
            return

    @staticmethod
    def _put(queue: asyncio.Queue[int], event_id: int) -> None:
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait(event_id)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            note = msgspec.json.decode(payload, type=_Note)
        except msgspec.DecodeError:
            log.warning("meeting event not understood")
            return
        for queue in self._subscribers.get(note.meeting_id, ()):
            self._put(queue, note.id)

    @contextlib.asynccontextmanager
    async def subscribe(self, meeting_id: int, *, size: int = 100) -> AsyncIterator[asyncio.Queue[int]]:
        """A queue of the meeting's new event ids (or WAKE) while the block runs."""
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=size)
        self._subscribers[meeting_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[meeting_id].discard(queue)
            if not self._subscribers[meeting_id]:
                del self._subscribers[meeting_id]

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

"""A meeting's live stream (server-sent events) for one signed-in user.

Each message is an event of the meeting's log: its id (the SSE id, so a browser that reconnects sends
Last-Event-ID and gets what it missed from the log), its kind as the SSE event name, and the agenda item
it concerns as data. Ids only: the page re-reads what changed through the need-to-know policy as its
user. The stream checks every few seconds, without prolonging it, that the user's session (or token) is
still good, and ends when it is not; it sends a comment now and then so proxies keep it open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
from litestar.response.sse import ServerSentEventMessage

from pitstop.accounts import queries as account_queries
from pitstop.accounts import sessions
from pitstop.accounts.identity import AuthMethod, Identity
from pitstop.accounts.sessions import SessionPolicy
from pitstop.live import events

CHECK_EVERY = 5.0  # seconds between checks that the session still stands
KEEP_OPEN_EVERY = 15.0  # seconds between comments when nothing happens


async def still_signed_in(pool: asyncpg.Pool, identity: Identity, policy: SessionPolicy) -> bool:
    """Whether the stream's credential still stands, without prolonging it."""
    if identity.method is AuthMethod.SESSION:
        return await sessions.still_valid(pool, identity.credential, policy)
    return await account_queries.token_in_force(pool, int(identity.credential))


def _message(event: events.Event) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=str(event.item_id or ""), event=event.kind.value, id=event.id)


async def messages(
    pool: asyncpg.Pool,
    hub: events.Hub,
    identity: Identity,
    policy: SessionPolicy,
    meeting_id: int,
    after: int,
) -> AsyncIterator[ServerSentEventMessage]:
    """The meeting's events after `after`, then each new one as it is committed, until the user's
    session ends (or the client goes away)."""
    last = after
    async with hub.subscribe(meeting_id) as woken:
        checked = quiet_since = time.monotonic()
        while True:
            async with pool.acquire() as conn:
                missed = await events.since(conn, meeting_id, last)
            for event in missed:
                yield _message(event)
                last = event.id
                quiet_since = time.monotonic()
            now = time.monotonic()
            if now - checked >= CHECK_EVERY or not missed:
                if not await still_signed_in(pool, identity, policy):
                    return
                checked = now
            if now - quiet_since >= KEEP_OPEN_EVERY:
                yield ServerSentEventMessage(comment="still here", data=None)  # no empty event
                quiet_since = now
            try:
                await asyncio.wait_for(woken.get(), timeout=CHECK_EVERY)
            except TimeoutError:
                continue

"""The outbox page: an administrator sees the partnership's messages with their state and last error,
and only their partnership's; with no mail server configured it says that mail waits there."""

from __future__ import annotations

import asyncpg
from litestar.testing import AsyncTestClient

from pitstop.mail import outbox
from tests import factories


def message(to: str, subject: str) -> outbox.Outgoing:
    return outbox.Outgoing(kind="invite", recipient=to, recipient_name="Pat Police", subject=subject, body_text="Hi")


async def test_an_administrator_sees_what_waits_what_was_sent_and_what_failed(
    client: AsyncTestClient, owner: asyncpg.Connection
) -> None:
    world = await factories.world(owner)
    north, south = world.partnerships["north"].id, world.partnerships["south"].id
    await outbox.queue(owner, north, [message("pat@police.example", "Invitation: daily pitstop")], "pitstop.example")
    await outbox.queue(owner, north, [message("sam@care.example", "Cancelled: daily pitstop")], "pitstop.example")
    await owner.execute(
        "UPDATE mail_outbox SET state = 'failed', attempts = 1, last_error = 'SMTPRecipientsRefused 550' "
        "WHERE recipient = 'sam@care.example'"
    )
    await outbox.queue(owner, south, [message("lee@south.example", "Invitation: south pitstop")], "pitstop.example")
    await factories.sign_in(client, world.users["north.admin"].email)
    page = await client.get("/admin/outbox")
    assert page.status_code == 200
    assert "No mail server is configured" in page.text
    assert "Invitation: daily pitstop" in page.text
    assert "Waiting to be sent" in page.text
    assert "SMTPRecipientsRefused 550" in page.text
    assert "south pitstop" not in page.text  # another partnership's mail
    failed = await client.get("/admin/outbox", params={"state": "failed"})
    assert "Cancelled: daily pitstop" in failed.text
    assert "Invitation: daily pitstop" not in failed.text
    viewed = await owner.fetchval("SELECT count(*) FROM audit_event WHERE action = 'outbox_viewed'")
    assert viewed == 2

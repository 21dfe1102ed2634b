"""The live stream across two `pitstop serve` processes on one database: an agency member's stream from
one process hears, within two seconds, a save another user makes through the other; it carries ids only
(never the restricted text saved); a stream that reconnects with Last-Event-ID gets what it missed; and
it ends when its session is revoked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests import factories
from tests.conftest import TestDatabase, free_port
from tests.integration.test_agency_information import published_meeting

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, database: TestDatabase, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")} | {
            "PITSTOP_ENV": "test",
            "PITSTOP_DATABASE_URL": database.app_url,
            "PITSTOP_MIGRATION_DATABASE_URL": database.owner_url,
            "PITSTOP_MIGRATE_ON_START": "false",
            "PITSTOP_DATA_DIR": str(data_dir),
            "PITSTOP_PORT": str(self.port),
            "PITSTOP_MEETING_CLOCK_SECONDS": "0",
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "serve.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pitstop.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.log.read_text())
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(self.log.read_text())


@pytest.fixture
def servers(database: TestDatabase, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    pair = (Server(database, tmp_path / "a"), Server(database, tmp_path / "b"))
    try:
        for server in pair:
            server.wait_ready()
        yield pair
    finally:
        for server in pair:
            server.process.terminate()
            server.process.wait(timeout=30)


class Visitor:
    """An HTTP client that keeps its cookies itself: Pitstop's are Secure (`__Host-`), and httpx would
    not send them back over plain HTTP to a server on loopback, as a browser does for localhost."""

    def __init__(self, url: str) -> None:
        self.client = httpx.AsyncClient(base_url=url, timeout=10)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"Cookie": jar} if jar else {}), **(extra or {})}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    async def get(self, path: str) -> httpx.Response:
        return self._keep(await self.client.get(path, headers=self._headers()))

    async def send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = self._headers({"X-CSRF-Token": self.token} if self.token else {})
        return self._keep(await self.client.request(method, path, headers=headers, **kwargs))  # type: ignore[arg-type]

    def stream(self, path: str, headers: dict[str, str] | None = None) -> object:
        return self.client.stream("GET", path, headers=self._headers(headers))

    async def aclose(self) -> None:
        await self.client.aclose()


async def signed_in(url: str, email: str) -> Visitor:
    visitor = Visitor(url)
    page = await visitor.get("/sign-in")
    done = await visitor.send(
        "POST",
        "/sign-in",
        data={"email": email, "password": factories.PASSWORD, "csrf_token": factories.csrf_from(page.text)},
    )
    assert done.status_code == 303, done.text
    visitor.token = factories.csrf_from((await visitor.get("/account")).text)
    return visitor


async def next_message(lines: object, seconds: float) -> dict[str, str]:
    """The next SSE message (not a comment) from an aiter_lines(), within `seconds`."""
    message: dict[str, str] = {}

    async def read() -> dict[str, str]:
        async for line in lines:  # type: ignore[attr-defined]
            if not line:
                if message:
                    return message
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            message[field] = value.strip()
        return message

    return await asyncio.wait_for(read(), timeout=seconds)


async def test_a_save_through_one_process_reaches_a_stream_on_the_other(
    servers: tuple[Server, Server], owner: asyncpg.Connection
) -> None:
    a, b = servers
    m = await published_meeting(owner, owner)
    watcher = await signed_in(a.url, m.health.email)
    writer = await signed_in(b.url, m.care.email)
    secret = "Child protection plan, restricted to the police"
    try:
        async with watcher.stream(f"/meetings/{m.id}/live") as live:
            assert live.status_code == 200
            assert live.headers["content-type"].startswith("text/event-stream")
            lines = live.aiter_lines()
            saved = await writer.send(
                "PUT",
                f"/api/v1/meetings/{m.id}/items/{m.items[0]}/information",
                json={
                    "knowledge": "known",
                    "summary": secret,
                    "visibility": "restricted",
                    "restricted_to": [m.agencies["police"]],
                },
            )
            assert saved.status_code == 201
            started = time.monotonic()
            message = await next_message(lines, 2)
            assert time.monotonic() - started < 2
            assert message["event"] == "information"
            assert message["data"] == str(m.items[0])
            assert secret not in str(message)  # ids only: the page re-reads as its user
            first_id = int(message["id"])

        # Two more saves while the watcher is away; reconnecting with Last-Event-ID gets both.
        changed = await writer.send(
            "PUT",
            f"/api/v1/meetings/{m.id}/items/{m.items[0]}/information",
            json={"knowledge": "no_trace", "version": 1},
        )
        assert changed.status_code == 200
        done = await writer.send("POST", f"/api/v1/meetings/{m.id}/information/not-known", json={"items": [m.items[1]]})
        assert done.json() == {"recorded": 1}
        async with watcher.stream(f"/meetings/{m.id}/live", headers={"Last-Event-ID": str(first_id)}) as live:
            lines = live.aiter_lines()
            missed = [await next_message(lines, 2), await next_message(lines, 2)]
            assert [x["event"] for x in missed] == ["information", "information"]
            assert all(int(x["id"]) > first_id for x in missed)

        # The session is revoked (signed out elsewhere, or by an administrator): the stream ends.
        async with watcher.stream(f"/meetings/{m.id}/live") as live:
            lines = live.aiter_lines()
            await owner.execute("DELETE FROM web_session WHERE user_id = $1", m.health.user_id)
            started = time.monotonic()
            ended = False
            try:
                async with asyncio.timeout(12):
                    async for _ in lines:
                        pass
                ended = True  # the server closed the stream
            except (httpx.ReadError, httpx.RemoteProtocolError):
                ended = True
            assert ended
            assert time.monotonic() - started < 12
    finally:
        await watcher.aclose()
        await writer.aclose()

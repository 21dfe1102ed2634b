"""Request logs: one structured line per request, with its id, and no query strings."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient

from pitstop.logs import access_log, configure


@pytest.fixture
def access_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    previous = access_log.stream
    access_log.stream = stream
    yield stream
    access_log.stream = previous


async def test_each_request_is_logged_with_its_id_and_without_the_query(
    client: AsyncTestClient, access_lines: io.StringIO
) -> None:
    response = await client.get("/healthz?search=Kelly+Marsh")
    lines = [json.loads(line) for line in access_lines.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["logger"] == "pitstop.access"
    assert line["level"] == "INFO"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["ts"].endswith("Z")
    assert "Kelly" not in access_lines.getvalue()


async def test_static_assets_are_not_logged_unless_they_fail(
    client: AsyncTestClient, access_lines: io.StringIO
) -> None:
    await client.get("/static/pitstop.css")
    await client.get("/static/no-such-file.css")
    paths = [json.loads(line)["path"] for line in access_lines.getvalue().splitlines()]
    assert paths == ["/static/no-such-file.css"]


def test_the_access_log_follows_the_log_level() -> None:
    root = logging.getLogger()
    handlers, level, previous = root.handlers[:], root.level, access_log.stream
    try:
        configure("WARNING")
        assert access_log.stream is None
        configure("INFO")
        assert access_log.stream is not None
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        access_log.stream = previous


async def test_a_calendar_feeds_secret_address_is_not_logged(
    client: AsyncTestClient, access_lines: io.StringIO
) -> None:
    secret = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    for path in (
        f"/calendar/{secret}.ics",
        f"/calendar/{secret}.ics/",
        f"/calendar//{secret}.ics",
        f"/calendar/{secret}",
    ):
        await client.get(path)
    lines = [json.loads(line) for line in access_lines.getvalue().splitlines()]
    assert [line["path"] for line in lines] == ["/calendar/{secret}"] * 4
    assert secret[:8] not in access_lines.getvalue()

"""Request logs: one structured line per request, with its id, and no query strings."""

from __future__ import annotations

import json
import logging

import pytest
from litestar.testing import AsyncTestClient

from pitstop.logs import JsonFormatter


async def test_each_request_is_logged_with_its_id_and_without_the_query(
    client: AsyncTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pitstop.access"):
        response = await client.get("/healthz?search=Kelly+Marsh")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "pitstop.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["request_id"] == response.headers["x-request-id"]
    assert "Kelly" not in json.dumps(line)

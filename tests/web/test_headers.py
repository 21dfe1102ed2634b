"""Security headers and caching on every kind of response."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from pitstop.resources import STATIC_DIR


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page", "/api/v1/none", "/schema/openapi.json"])
async def test_security_headers_on_every_response(client: AsyncTestClient, path: str) -> None:
    response = await client.get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["strict-transport-security"].startswith("max-age=")
    # Pages and API answers may carry case data: never stored by a browser or proxy.
    assert headers["cache-control"] == "no-store"
    assert len(headers["x-request-id"]) >= 8


async def test_request_ids_are_always_ours(client: AsyncTestClient) -> None:
    # They go into audit rows: a client must not be able to choose one.
    first = await client.get("/healthz", headers={"x-request-id": "lb-0123456789abcdef"})
    second = await client.get("/healthz", headers={"x-request-id": "lb-0123456789abcdef"})
    assert first.headers["x-request-id"] != "lb-0123456789abcdef"
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_versioned_static_assets_may_be_cached_long_and_others_briefly(client: AsyncTestClient) -> None:
    if not (STATIC_DIR / "pitstop.css").is_file():
        pytest.fail("front-end assets are not built: run `make assets` (make test does)")
    response = await client.get("/static/pitstop.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["x-content-type-options"] == "nosniff"
    versioned = await client.get("/static/pitstop.css?v=abc")
    assert "max-age=31536000" in versioned.headers["cache-control"]


async def test_javascript_modules_are_served_as_javascript(client: AsyncTestClient) -> None:
    response = await client.get("/static/pitstop.mjs")
    assert response.status_code == 200
    # Browsers refuse to run a module served with any other type.
    assert response.headers["content-type"].startswith("text/javascript")

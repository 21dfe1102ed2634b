"""Error answers: GOV.UK pages for people, problem details for the API, nothing leaked in logs."""

from __future__ import annotations

import logging

import asyncpg
import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from pitstop.accounts.models import Role, Scope
from tests import factories

PERSONAL = "Kelly Anne Marsh"


class Victim(msgspec.Struct):
    name: str
    date_of_birth: str


class Notification(msgspec.Struct):
    police_reference: str
    victim: Victim


@post("/api/v1/test-only/notifications", sync_to_thread=False)
def accept(data: JSONBody[Notification]) -> dict:
    return {"ok": True}


@get("/boom", sync_to_thread=False)
def boom() -> str:
    raise RuntimeError(f"database said: duplicate key ({PERSONAL})")


@get("/api/v1/test-only/boom", sync_to_thread=False)
def api_boom() -> str:
    raise RuntimeError(f"database said: duplicate key ({PERSONAL})")


@pytest.fixture
def app(app: Litestar) -> Litestar:
    # Routes that exist only in these tests, to provoke each kind of error.
    for handler in (accept, boom, api_boom):
        app.register(handler)
    return app


async def test_unknown_page_is_a_govuk_404_page(client: AsyncTestClient) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "OFFICIAL-SENSITIVE" in response.text
    # The reference a user can quote to support is the request id we logged.
    assert response.headers["x-request-id"] in response.text


async def test_unknown_api_path_is_problem_json(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Page not found"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_405(client: AsyncTestClient) -> None:
    response = await client.delete("/healthz")
    assert response.status_code == 405


@pytest.fixture
async def system(owner: asyncpg.Connection) -> dict[str, str]:
    """Headers of a system posting with an API token (no CSRF: it is not a browser)."""
    p = await factories.partnership(owner)
    police = await factories.agency(owner, p.id, "Police")
    coordinator = await factories.user(owner, p.id, police.id, Role.COORDINATOR)
    return {"authorization": "Bearer " + await factories.token(owner, coordinator.id, Scope.NOTIFICATIONS_WRITE)}


async def test_invalid_api_body_is_422_naming_each_field(client: AsyncTestClient, system: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/test-only/notifications",
        json={"police_reference": "14/7781/26", "victim": {"name": "A", "date_of_birth": 3}},
        headers=system,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "The request has invalid fields"
    assert [e["field"] for e in body["errors"]] == ["body.victim.date_of_birth"]
    assert "str" in body["errors"][0]["message"]


async def test_missing_field_is_named_too(client: AsyncTestClient, system: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/test-only/notifications", json={"victim": {"name": "A", "date_of_birth": ""}}, headers=system
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.police_reference"


async def test_malformed_json_is_a_client_error(client: AsyncTestClient, system: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/test-only/notifications",
        content=b"{not json",
        headers={"content-type": "application/json", **system},
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


async def test_unexpected_error_is_a_500_page_and_the_log_has_no_personal_data(
    client: AsyncTestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await client.get("/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert PERSONAL not in response.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "a 500 must be logged"
    from pitstop.logs import JsonFormatter

    formatted = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "builtins.RuntimeError" in formatted
    assert "test_errors.py" in formatted  # where it happened
    assert PERSONAL not in formatted


async def test_unexpected_api_error_is_problem_json_without_detail(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/test-only/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["title"] == "Sorry, there is a problem with the service"
    assert "detail" not in body
    assert PERSONAL not in response.text


async def test_missing_nested_field_is_named_by_its_full_path(client: AsyncTestClient, system: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/test-only/notifications",
        json={"police_reference": "1", "victim": {"date_of_birth": "x"}},
        headers=system,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body.victim.name", "message": "is required"}]

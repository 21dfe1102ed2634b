"""The OpenAPI document, served without any page that loads scripts from the internet."""

from __future__ import annotations

from litestar.testing import AsyncTestClient


async def test_openapi_document_lists_the_operations_routes(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Pitstop API"
    assert {"/healthz", "/readyz"} <= set(document["paths"])


async def test_no_schema_page_pulls_scripts_from_elsewhere(client: AsyncTestClient) -> None:
    for path in ("/schema", "/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        response = await client.get(path)
        assert "cdn" not in response.text.lower()
        assert '<script src="http' not in response.text

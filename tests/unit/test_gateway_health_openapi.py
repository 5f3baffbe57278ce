"""Probes (/healthz, /readyz), the OpenAPI document and the docs page."""

from __future__ import annotations

import re
from typing import Any

from tests.unit.gateway_support import Harness


async def test_healthz_is_always_ok(gw: Harness) -> None:
    gw.checks = {"database": False}
    resp = await gw.client.get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "ok"})


async def test_readyz_ready(gw: Harness) -> None:
    resp = await gw.client.get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {"ready": True, "checks": {"database": True, "grpc": True}}


async def test_readyz_not_ready_is_503_with_the_checks(gw: Harness) -> None:
    gw.checks = {"database": False, "grpc": True}
    resp = await gw.client.get("/readyz")
    assert resp.status == 503
    assert await resp.json() == {"ready": False, "checks": {"database": False, "grpc": True}}


async def test_readyz_failing_check_is_not_ready(gw: Harness) -> None:
    gw.readiness_error = RuntimeError("pool closed")
    resp = await gw.client.get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["ready"] is False


async def _openapi(gw: Harness) -> dict[str, Any]:
    resp = await gw.client.get("/openapi.json")
    assert resp.status == 200
    return await resp.json()


async def test_openapi_document_is_valid_openapi_3(gw: Harness) -> None:
    import openapi_spec_validator as validator  # a dev dependency: missing means broken setup, not a skip

    doc = await _openapi(gw)
    assert doc["openapi"].startswith("3.0")
    validator.validate(doc)


async def test_openapi_paths_operations_and_success_codes(gw: Harness) -> None:
    paths = (await _openapi(gw))["paths"]
    assert set(paths["/api/v1/syncs/{sync_id}"]) == {"get", "patch", "delete"}
    assert "201" in paths["/api/v1/syncs"]["post"]["responses"]
    assert paths["/api/v1/syncs/{sync_id}"]["delete"]["responses"]["204"] == {"description": "No Content"}
    assert "/probe/v1/{id}:inspect" in paths
    assert paths["/api/v1/syncs"]["get"]["tags"] == ["SyncsService"]


async def test_openapi_parameters_have_types(gw: Harness) -> None:
    paths = (await _openapi(gw))["paths"]
    params = {p["name"]: p for p in paths["/api/v1/syncs"]["get"]["parameters"]}
    assert params["status"]["schema"] == {
        "type": "array", "items": {"type": "string", "enum": ["draft", "active", "paused", "error", "archived"]}
    }
    assert params["limit"]["schema"] == {"type": "integer", "format": "int32"}
    assert params["limit"]["in"] == "query"
    runs = {p["name"]: p for p in paths["/api/v1/syncs/{sync_id}/runs"]["get"]["parameters"]}
    assert runs["sync_id"]["in"] == "path" and runs["sync_id"]["required"] is True
    assert "syncId" not in runs  # bound by the path, not a query parameter
    probe = {p["name"] for p in paths["/probe/v1/echo"]["get"]["parameters"]}
    assert {"display_name", "inner.label", "inner.child.rank", "tags", "labels", "at"} <= probe


async def test_openapi_schemas_follow_the_json_output(gw: Harness) -> None:
    doc = await _openapi(gw)
    schemas = doc["components"]["schemas"]
    sync = schemas["Sync"]["properties"]
    assert sync["slug"] == {"type": "string", "nullable": True}
    assert sync["lastSuccessAt"] == {"type": "string", "format": "date-time", "nullable": True}
    assert sync["sourceConfig"] == {"type": "object", "additionalProperties": True, "nullable": True}
    assert sync["tableBindings"] == {"type": "array", "items": {"$ref": "#/components/schemas/TableBinding"}}
    assert sync["name"] == {"type": "string"}
    # Probe is served by a snake_case dialect and a camelCase one: one component per naming.
    assert "display_name" in schemas["Probe_snake"]["properties"]
    assert "displayName" in schemas["Probe"]["properties"]
    assert schemas["Inner"]["properties"]["child"] == {
        "allOf": [{"$ref": "#/components/schemas/Inner"}],
        "nullable": True,
    }
    body = doc["paths"]["/api/v1/syncs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SyncInput"}


async def test_openapi_error_shapes_per_dialect(gw: Harness) -> None:
    paths = (await _openapi(gw))["paths"]

    def error_ref(path: str, method: str, code: str) -> str:
        return paths[path][method]["responses"][code]["content"]["application/json"]["schema"]["$ref"]

    assert error_ref("/api/v1/syncs", "post", "422").endswith("/HTTPValidationError")
    assert error_ref("/api/v1/syncs", "post", "default").endswith("/DetailError")
    assert error_ref("/api/v1/admin/api-keys", "post", "default").endswith("/GoogleRpcStatus")
    assert error_ref("/probe/v1/fail", "post", "default").endswith("/StatusCodeError")
    assert error_ref("/idp/v1/fail", "post", "default").endswith("/IdentityError")
    assert "422" not in paths["/api/v1/admin/api-keys"]["post"]["responses"]


async def test_openapi_security_schemes(gw: Harness) -> None:
    doc = await _openapi(gw)
    schemes = doc["components"]["securitySchemes"]
    def shape(name: str) -> dict[str, str]:
        return {k: v for k, v in schemes[name].items() if k != "description"}

    assert shape("bearerAuth") == {"type": "http", "scheme": "bearer"}
    assert shape("apiKeyHeader") == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert shape("cookie_vai_token") == {"type": "apiKey", "in": "cookie", "name": "vai_token"}
    syncs_security = doc["paths"]["/api/v1/syncs"]["get"]["security"]
    admin_security = doc["paths"]["/api/v1/admin/api-keys"]["get"]["security"]
    assert {"cookie_vai_token": []} in syncs_security
    assert {"cookie_vai_token": []} not in admin_security


async def test_openapi_streaming_operation_documents_ndjson_and_sse(gw: Harness) -> None:
    paths = (await _openapi(gw))["paths"]
    content = paths["/api/v1/syncs/runs/{run_id}/watch"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/x-ndjson", "text/event-stream"}


async def test_docs_page_is_self_contained(gw: Harness) -> None:
    resp = await gw.client.get("/docs")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    page = await resp.text()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/docs/swagger-ui-bundle.js" in sources
    assert all(s.startswith("/docs/") for s in sources), sources  # nothing fetched from elsewhere
    for source in sources:  # each is served by the gateway itself, from the bundled package
        asset = await gw.client.get(source)
        assert asset.status == 200, source
        assert len(await asset.read()) > 0
    init = await (await gw.client.get("/docs/syncplane-init.js")).text()
    assert '"/openapi.json"' in init

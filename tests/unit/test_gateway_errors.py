"""gRPC errors rendered in each dialect's error style."""

from __future__ import annotations

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer

from syncplane.server.gateway import build_gateway_app
from syncplane.server.gateway.marshal import Marshaller
from tests.unit.gateway_support import Harness, syncs_services

# --- ERROR_STYLE_DETAIL (the syncs dialect) ---


async def test_detail_violations_under_the_body_field_lose_its_prefix(gw: Harness) -> None:
    body = {"connectionId": "c1", "tableBindings": [{"entityKey": "ok"}, {"entityKey": ""}]}
    resp = await gw.client.post("/api/v1/syncs", json=body)
    assert resp.status == 422
    assert (await resp.json())["detail"] == [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
        {
            "loc": ["body", "tableBindings", 1, "entityKey"],
            "msg": "String should have at least 1 character",
            "type": "string_too_short",
        },
    ]


async def test_detail_violation_of_a_query_field(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs?limit=500")
    assert resp.status == 422
    assert (await resp.json())["detail"] == [
        {"loc": ["query", "limit"], "msg": "Input should be less than or equal to 100", "type": "less_than_equal"}
    ]


async def test_detail_violation_of_a_repeated_query_value_names_its_index(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs?status=draft&status=running")
    assert resp.status == 422
    assert (await resp.json())["detail"] == [
        {"loc": ["query", "status", 1], "msg": "Input should be ...", "type": "literal_error"}
    ]


async def test_detail_violation_of_a_path_variable_uses_the_template_name(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/bad%20id")
    assert resp.status == 422
    assert (await resp.json())["detail"] == [
        {"loc": ["path", "sync_id"], "msg": "String should match pattern", "type": "string_pattern_mismatch"}
    ]


async def test_detail_invalid_argument_without_violations(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/nomsg")
    assert resp.status == 422
    assert (await resp.json())["detail"] == [{"loc": ["body"], "msg": "sync id is malformed", "type": "value_error"}]


async def test_detail_not_found(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/nope")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Sync not found"}


async def test_detail_unauthenticated_sets_www_authenticate(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/s1", headers={"X-API-Key": "bad"})
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert await resp.json() == {"detail": "Invalid API key"}


async def test_detail_permission_denied_and_already_exists(gw: Harness) -> None:
    forbidden = await gw.client.get("/api/v1/syncs/forbidden")
    taken = await gw.client.get("/api/v1/syncs/taken")
    assert (forbidden.status, await forbidden.json()) == (403, {"detail": "Administrator role required"})
    assert (taken.status, await taken.json()) == (409, {"detail": "Sync already exists"})


async def test_servicer_exception_is_a_500_in_the_dialect_shape(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/boom")
    assert resp.status == 500
    body = await resp.json()
    assert set(body) == {"detail"}
    assert "Traceback" not in body["detail"]


# --- ERROR_STYLE_GOOGLE_RPC (the admin service) ---


async def test_google_rpc_status_with_bad_request_details(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/admin/api-keys", json={"role": "viewer"})
    assert resp.status == 400
    assert await resp.json() == {
        "code": 3,
        "message": "invalid API key",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "name", "description": "Field required", "reason": "missing"}],
            }
        ],
    }


async def test_google_rpc_not_found(gw: Harness) -> None:
    resp = await gw.client.delete("/api/v1/admin/api-keys/k9")
    assert resp.status == 404
    assert await resp.json() == {"code": 5, "message": "API key not found", "details": []}


async def test_google_rpc_success_keeps_nulls_and_201(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/admin/api-keys", json={"name": "ci", "role": "viewer"})
    assert resp.status == 201
    body = await resp.json()
    assert body["apiKey"]["revokedAt"] is None and body["secret"] == "sk_secret"


# --- ERROR_STYLE_STATUS_CODE (the snake_case probe service) ---


async def test_status_code_style_validation(gw: Harness) -> None:
    resp = await gw.client.post("/probe/v1/fail", json={"id": "bad probe", "count": 3, "note": "display_name"})
    assert resp.status == 400
    assert await resp.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "bad probe",
        "details": {"display_name": "is wrong"},
    }


async def test_status_code_style_not_found(gw: Harness) -> None:
    resp = await gw.client.post("/probe/v1/fail", json={"id": "no probe", "count": 5})
    assert resp.status == 404
    assert await resp.json() == {"statusCode": 404, "error": "Not Found", "message": "no probe", "details": {}}


async def test_gateway_internal_failure_is_a_500_in_the_dialect_shape(
    gw: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug in the gateway itself, after the call succeeded (NaN, which once did this, is now a 4xx).
    def broken(self: Marshaller, message: object) -> bytes:
        raise RuntimeError("a gateway bug")

    monkeypatch.setattr(Marshaller, "to_json", broken)
    resp = await gw.client.post("/probe/v1/echo", json={"id": "x"})
    assert resp.status == 500
    assert await resp.json() == {
        "statusCode": 500,
        "error": "Internal Server Error",
        "message": "Internal Server Error",
        "details": {},
    }


async def test_too_large_body_is_413_in_the_dialect_shape(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", data=b" " * (5 * 1024 * 1024))
    assert resp.status == 413
    assert set(await resp.json()) == {"detail"}


# --- ERROR_STYLE_IDENTITY ---


async def test_identity_style_validation(gw: Harness) -> None:
    resp = await gw.client.post("/idp/v1/fail", json={"id": "bad", "count": 3, "note": "displayName"})
    assert resp.status == 400
    body = await resp.json()
    assert set(body) == {"code", "message", "details", "validationErrors", "timestamp"}
    assert (body["code"], body["message"], body["details"]) == ("VALIDATION_ERROR", "bad", None)
    assert body["validationErrors"] == {"displayName": ["is wrong"]}
    assert body["timestamp"].endswith("Z")


async def test_identity_style_bad_request_without_fields(gw: Harness) -> None:
    resp = await gw.client.post("/idp/v1/fail", json={"id": "refused", "count": 9})  # FAILED_PRECONDITION
    assert resp.status == 400
    body = await resp.json()
    assert (body["code"], body["message"], body["validationErrors"]) == ("BAD_REQUEST", "refused", None)


async def test_identity_style_other_codes(gw: Harness) -> None:
    expected = {5: (404, "NOT_FOUND"), 6: (409, "CONFLICT"), 16: (401, "UNAUTHORISED"), 7: (403, "FORBIDDEN"),
                13: (500, "INTERNAL_ERROR")}
    for count, (status, code) in expected.items():
        resp = await gw.client.post("/idp/v1/fail", json={"id": "x", "count": count})
        assert (resp.status, (await resp.json())["code"]) == (status, code)


async def test_identity_style_retry_after_on_503_and_429(gw: Harness) -> None:
    unavailable = await gw.client.post("/idp/v1/fail", json={"id": "x", "count": 14})
    exhausted = await gw.client.post("/idp/v1/fail", json={"id": "x", "count": 8})
    assert (unavailable.status, (await unavailable.json())["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert (exhausted.status, (await exhausted.json())["code"]) == (429, "TOO_MANY_REQUESTS")
    assert unavailable.headers["Retry-After"] and exhausted.headers["Retry-After"]


async def test_identity_style_gateway_parse_error(gw: Harness) -> None:
    resp = await gw.client.post("/idp/v1/fail", json={"inner": {"rank": "high"}})
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["validationErrors"] == {
        "inner.rank": ["Input should be a valid integer, unable to parse string as an integer"]
    }


async def test_identity_style_refuses_duplicate_json_properties(gw: Harness) -> None:
    resp = await gw.client.post(
        "/idp/v1/fail", data=b'{"id": "a", "id": "b"}', headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] == "VALIDATION_ERROR" and list(body["validationErrors"]) == ["id"]


async def test_other_dialects_keep_the_last_duplicate_property(gw: Harness) -> None:
    resp = await gw.client.post(
        "/probe/v1/echo", data=b'{"id": "a", "id": "b"}', headers={"Content-Type": "application/json"}
    )
    assert resp.status == 200 and (await resp.json())["id"] == "b"


# --- the server is down ---


async def test_unavailable_server_is_503_with_retry_after() -> None:
    async def readiness() -> dict[str, bool]:
        return {}

    # Nothing listens on port 1: every call fails with UNAVAILABLE.
    channel = grpc.aio.insecure_channel("127.0.0.1:1")
    client = TestClient(TestServer(build_gateway_app(channel, syncs_services(), readiness)))
    await client.start_server()
    try:
        syncs = await client.get("/api/v1/syncs/s1")
        admin = await client.get("/api/v1/admin/api-keys")
        assert syncs.status == 503 and syncs.headers["Retry-After"] == "1"
        assert set(await syncs.json()) == {"detail"}
        assert admin.status == 503 and (await admin.json())["code"] == 14
    finally:
        await client.close()
        await channel.close()

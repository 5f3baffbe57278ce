"""JSON output (naming, nulls for unset presence fields), success codes, metadata both ways."""

from __future__ import annotations

from syncplane.server.gateway.marshal import Marshaller
from syncplane.syncs.v1 import messages_pb2
from tests.unit.gateway_support import Harness, probe_class


async def test_output_is_camel_case_with_nulls_for_unset_presence_fields(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/s1")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    sync = await resp.json()
    assert sync["connectionId"] == "c1"
    assert sync["createdAt"] == "2023-11-14T22:13:20Z"
    # proto3 optional scalars and message fields that are unset: present as null
    assert sync["slug"] is None
    assert sync["freshnessSlaSeconds"] is None
    assert sync["lastSuccessAt"] is None
    assert sync["sourceConfig"] is None
    # fields without presence: their defaults
    assert sync["lastError"] is None and sync["providerKey"] == "shopify"
    assert sync["entities"] == ["orders"]
    binding = sync["tableBindings"][0]
    assert binding["cursorField"] is None and binding["updatedAt"] is None
    assert binding["primaryKeyColumns"] == []
    assert "connection_id" not in sync


async def test_nulls_reach_into_nested_and_repeated_messages(gw: Harness) -> None:
    resp = await gw.client.post("/probe/v1/echo", json={"inner": {"child": {}}, "items": [{"label": "a"}]})
    body = await resp.json()
    assert body["inner"] == {"label": "", "rank": None, "child": {"label": "", "rank": None, "child": None}}
    assert body["items"] == [{"label": "a", "rank": None, "child": None}]


async def test_snake_case_dialect_uses_proto_names(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/echo?displayName=x&big=5")
    body = await resp.json()
    assert body["display_name"] == "x"
    assert body["big"] == "5"  # int64 is a string in proto3 JSON
    assert body["at"] is None and body["note"] is None and body["maybe"] is None
    assert "displayName" not in body


async def test_response_body_field_is_the_whole_answer(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/inner/p1?inner.label=only")
    assert resp.status == 200
    assert await resp.json() == {"label": "only", "rank": None, "child": None}


async def test_create_answers_201(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", json={"name": "n"})
    assert resp.status == 201
    assert (await resp.json())["id"] == "s-new"


async def test_delete_answers_204_with_an_empty_body(gw: Harness) -> None:
    resp = await gw.client.delete("/api/v1/syncs/s1")
    assert resp.status == 204
    assert await resp.read() == b""
    assert gw.syncs.requests["DeleteSync"].sync_id == "s1"


async def test_credentials_and_forwarding_headers_become_metadata(gw: Harness) -> None:
    headers = {
        "X-API-Key": "key-123",
        "Authorization": "Bearer tok",
        "Cookie": "vai_token=abc",
        "Grpc-Metadata-Tenant": "acme",
        "Grpc-Metadata-grpc-internal": "dropped",
        "X-Forwarded-For": "10.1.2.3",
        "X-Unrelated": "not forwarded",
    }
    resp = await gw.client.get("/api/v1/syncs/s1", headers=headers)
    assert resp.status == 200
    # the servicer echoes the key it received as response header metadata
    assert resp.headers["Grpc-Metadata-x-echo-api-key"] == "key-123"
    metadata = gw.syncs.metadata["GetSync"]
    assert metadata["x-api-key"] == "key-123"
    assert metadata["authorization"] == "Bearer tok"
    assert metadata["cookie"] == "vai_token=abc"
    assert metadata["tenant"] == "acme"
    assert "grpc-internal" not in metadata and "x-unrelated" not in metadata
    assert metadata["x-forwarded-for"] == "10.1.2.3, 127.0.0.1"
    assert metadata["x-forwarded-host"] == f"127.0.0.1:{gw.client.port}"


async def test_grpc_timeout_header_becomes_the_deadline(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/slow", headers={"Grpc-Timeout": "100m"})
    assert resp.status == 504


def test_marshaller_fills_nulls_in_map_values() -> None:
    probe = probe_class()()
    probe.items.add(label="x")
    out = Marshaller(snake_case=False).to_dict(probe)
    assert out["items"] == [{"label": "x", "rank": None, "child": None}]
    assert out["displayName"] == "" and out["maybe"] is None


def test_marshaller_keeps_set_optional_values() -> None:
    run = messages_pb2.SyncRun(id="r", error="", executor_id="e1")
    out = Marshaller(snake_case=True).to_dict(run)
    # set to the default value is still set: "" not null
    assert out["error"] == "" and out["executor_id"] == "e1" and out["trigger_ref"] is None

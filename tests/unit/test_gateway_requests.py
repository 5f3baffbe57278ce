"""Request building: body, path variables, query parameters, the PATCH mask, and parse errors."""

from __future__ import annotations

from tests.unit.gateway_support import Harness


async def test_body_field_becomes_that_request_field(gw: Harness) -> None:
    body = {"connectionId": "c1", "name": "Orders", "tableBindings": [{"entityKey": "orders", "loadMode": "upsert"}]}
    resp = await gw.client.post("/api/v1/syncs", json=body)
    assert resp.status == 201
    request = gw.syncs.requests["CreateSync"]
    assert request.sync.name == "Orders"
    assert request.sync.table_bindings[0].load_mode == "upsert"


async def test_body_accepts_proto_field_names_too(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", json={"name": "n", "connection_id": "c9"})
    assert resp.status == 201
    assert gw.syncs.requests["CreateSync"].sync.connection_id == "c9"


async def test_body_null_means_not_set(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", json={"name": "n", "slug": None, "sourceConfig": None})
    assert resp.status == 201
    sync = gw.syncs.requests["CreateSync"].sync
    assert not sync.HasField("slug")
    assert not sync.HasField("source_config")


async def test_unknown_body_keys_are_ignored(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", json={"name": "n", "noSuchField": 1})
    assert resp.status == 201


async def test_path_variable_overrides_the_body(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs/s1/trigger", json={"syncId": "other", "runMode": "full"})
    assert resp.status == 200
    request = gw.syncs.requests["TriggerSync"]
    assert (request.sync_id, request.run_mode) == ("s1", "full")


async def test_body_star_route_takes_nothing_from_the_query(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs/runs/r1/cancel?reason=from-query", json={})
    assert resp.status == 200
    assert not gw.syncs.requests["CancelSyncRun"].HasField("reason")


async def test_empty_body_is_an_empty_message(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs/runs/r1/cancel")
    assert resp.status == 200
    assert gw.syncs.requests["CancelSyncRun"].run_id == "r1"


async def test_query_fills_scalars_and_repeated_fields(gw: Harness) -> None:
    resp = await gw.client.get(
        "/api/v1/syncs?status=active&status=paused&provider=shopify&limit=10&offset=5&q=ord%20ers&bogus=1"
    )
    assert resp.status == 200
    request = gw.syncs.requests["ListSyncs"]
    assert list(request.status) == ["active", "paused"]
    assert list(request.provider) == ["shopify"]
    assert (request.limit, request.offset, request.q) == (10, 5, "ord ers")


async def test_query_value_with_comma_is_not_split(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs?provider=a,b")
    assert resp.status == 200
    assert list(gw.syncs.requests["ListSyncs"].provider) == ["a,b"]


async def test_query_cannot_override_a_path_variable(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/s1/runs?syncId=other&sync_id=other&limit=3")
    assert resp.status == 200
    request = gw.syncs.requests["ListSyncRuns"]
    assert (request.sync_id, request.limit) == ("s1", 3)


async def test_two_values_for_a_non_repeated_field_is_a_422(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs?limit=1&limit=2")
    assert resp.status == 422
    (item,) = (await resp.json())["detail"]
    assert item["loc"] == ["query", "limit"]
    assert item["type"] == "value_error"
    assert "ListSyncs" not in gw.syncs.requests


async def test_query_integer_that_does_not_parse(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs?limit=ten")
    assert resp.status == 422
    assert (await resp.json())["detail"] == [
        {
            "loc": ["query", "limit"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        }
    ]


async def test_query_well_known_types_enums_maps_and_nested_fields(gw: Harness) -> None:
    query = (
        "count=3&big=9007199254740993&flag=true&ratio=0.5&color=COLOR_BLUE&tags=a&tags=b"
        "&numbers=1&numbers=2&labels[team]=data&inner.label=x&inner.child.rank=4"
        "&at=2024-01-02T03:04:05Z&wait=1.5s&maybe=7&mask=displayName,inner.label&note=hi&displayName=n"
    )
    resp = await gw.client.get(f"/probe/v1/echo?{query}")
    assert resp.status == 200
    probe = gw.probe.last
    assert probe is not None
    assert (probe.count, probe.big, probe.flag, probe.ratio, probe.color) == (3, 9007199254740993, True, 0.5, 2)
    assert (list(probe.tags), list(probe.numbers), dict(probe.labels)) == (["a", "b"], [1, 2], {"team": "data"})
    assert (probe.inner.label, probe.inner.child.rank) == ("x", 4)
    assert probe.at.ToJsonString() == "2024-01-02T03:04:05Z"
    assert probe.wait.ToJsonString() == "1.500s"
    assert probe.HasField("maybe") and probe.maybe.value == 7
    assert list(probe.mask.paths) == ["display_name", "inner.label"]
    assert (probe.note, probe.display_name) == ("hi", "n")


async def test_query_error_in_a_repeated_or_nested_field_names_its_place(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/echo?numbers=1&numbers=two&inner.rank=x")
    assert resp.status == 400
    assert (await resp.json())["details"] == {
        "numbers.1": "Input should be a valid integer, unable to parse string as an integer",
        "inner.rank": "Input should be a valid integer, unable to parse string as an integer",
    }


async def test_query_enum_by_number(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/echo?color=1")
    assert resp.status == 200
    assert (await resp.json())["color"] == "COLOR_RED"


async def test_query_enum_with_unknown_name_is_an_error(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/echo?color=GREEN")
    assert resp.status == 400
    body = await resp.json()
    assert body["details"] == {"color": "Input should be 'COLOR_UNSPECIFIED', 'COLOR_RED' or 'COLOR_BLUE'"}


async def test_query_bad_timestamp_is_an_error(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/echo?at=yesterday")
    assert resp.status == 400
    assert list((await resp.json())["details"]) == ["at"]


async def test_patch_fills_the_update_mask_from_body_keys_including_nulls(gw: Harness) -> None:
    body: dict[str, object] = {"name": "Renamed", "slug": None, "tableBindings": [], "unknownKey": 1}
    resp = await gw.client.patch("/api/v1/syncs/s1", json=body)
    assert resp.status == 200
    request = gw.syncs.requests["UpdateSync"]
    assert list(request.update_mask.paths) == ["name", "slug", "table_bindings"]
    assert not request.sync.HasField("slug")
    assert (await resp.json())["name"] == "Renamed"


async def test_patch_keeps_an_explicit_update_mask(gw: Harness) -> None:
    resp = await gw.client.patch("/api/v1/syncs/s1?updateMask=name", json={"name": "N", "slug": "x"})
    assert resp.status == 200
    assert list(gw.syncs.requests["UpdateSync"].update_mask.paths) == ["name"]


async def test_wrong_body_types_are_422_with_exact_locations(gw: Harness) -> None:
    body = {
        "name": 5,
        "entities": "orders",
        "freshnessSlaSeconds": "soon",
        "tableBindings": [{"entityKey": "ok"}, {"entityKey": 3, "primaryKeyColumns": [1]}],
        "sourceConfig": [],
    }
    resp = await gw.client.post("/api/v1/syncs", json=body)
    assert resp.status == 422
    detail = (await resp.json())["detail"]
    assert detail == [
        {"loc": ["body", "name"], "msg": "Input should be a valid string", "type": "string_type"},
        {"loc": ["body", "entities"], "msg": "Input should be a valid list", "type": "list_type"},
        {
            "loc": ["body", "freshnessSlaSeconds"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        },
        {
            "loc": ["body", "tableBindings", 1, "entityKey"],
            "msg": "Input should be a valid string",
            "type": "string_type",
        },
        {
            "loc": ["body", "tableBindings", 1, "primaryKeyColumns", 0],
            "msg": "Input should be a valid string",
            "type": "string_type",
        },
        {"loc": ["body", "sourceConfig"], "msg": "Input should be a valid dictionary", "type": "dict_type"},
    ]
    assert "CreateSync" not in gw.syncs.requests


async def test_wrong_nested_object_type(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", json={"tableBindings": ["orders"]})
    assert (await resp.json())["detail"] == [
        {
            "loc": ["body", "tableBindings", 0],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "type": "model_attributes_type",
        }
    ]


async def test_scalar_types_bool_and_float(gw: Harness) -> None:
    resp = await gw.client.post("/probe/v1/echo", json={"flag": "maybe", "ratio": "fast", "count": 1.5})
    assert resp.status == 400
    assert (await resp.json())["details"] == {
        "flag": "Input should be a valid boolean, unable to interpret input",
        "ratio": "Input should be a valid number, unable to parse string as a number",
        "count": "Input should be a valid integer, got a number with a fractional part",
    }


async def test_integer_out_of_range(gw: Harness) -> None:
    resp = await gw.client.post("/probe/v1/echo", json={"count": 2**31})
    assert (await resp.json())["details"] == {"count": "Input should be less than or equal to 2147483647"}


async def test_malformed_json_is_json_invalid(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs", data=b'{"name": ', headers={"Content-Type": "application/json"})
    assert resp.status == 422
    assert (await resp.json())["detail"] == [{"loc": ["body", 9], "msg": "JSON decode error", "type": "json_invalid"}]


async def test_body_that_is_not_an_object(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs/runs/r1/cancel", json=[1, 2])
    assert resp.status == 422
    assert (await resp.json())["detail"] == [
        {
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "type": "model_attributes_type",
        }
    ]


async def test_body_star_wrong_type_location_is_the_field(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs/runs/r1/cancel", json={"reason": True})
    assert (await resp.json())["detail"] == [
        {"loc": ["body", "reason"], "msg": "Input should be a valid string", "type": "string_type"}
    ]


async def test_google_rpc_dialect_reports_gateway_parse_errors_as_bad_request(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/admin/api-keys", json={"name": ["x"]})
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] == 3
    assert body["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [
                {
                    "field": "name",
                    "description": "Input should be a valid string",
                    "reason": "string_type",
                }
            ],
        }
    ]

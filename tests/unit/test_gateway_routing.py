"""Routing: templates from the google.api.http annotations, precedence, 404 and 405."""

from __future__ import annotations

import pytest

from syncplane.server.gateway.router import NoMatch, RouteMatch, Router
from syncplane.server.gateway.templates import TemplateError, parse_template
from tests.unit.gateway_support import Harness


async def test_literal_segment_beats_variable_for_provider_catalog(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/providers/shopify/catalog")
    assert resp.status == 200
    assert (await resp.json())["provider"] == "shopify"
    assert gw.syncs.requests["GetSyncProviderCatalog"].provider == "shopify"
    assert "GetSync" not in gw.syncs.requests


async def test_literal_providers_is_not_a_sync_id(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/providers")
    assert resp.status == 200
    assert "ListSyncProviders" in gw.syncs.requests
    assert "GetSync" not in gw.syncs.requests


async def test_runs_literal_routes_to_get_sync_run(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/runs/r9")
    assert resp.status == 200
    assert gw.syncs.requests["GetSyncRun"].run_id == "r9"
    assert "ListSyncRuns" not in gw.syncs.requests


async def test_variable_then_runs_routes_to_list_sync_runs(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/s1/runs")
    assert resp.status == 200
    assert gw.syncs.requests["ListSyncRuns"].sync_id == "s1"
    assert "GetSyncRun" not in gw.syncs.requests


async def test_path_matching_both_templates_takes_the_literal_first(gw: Harness) -> None:
    # /syncs/runs/runs matches runs/{run_id} and {sync_id}/runs: the earlier literal wins.
    resp = await gw.client.get("/api/v1/syncs/runs/runs")
    assert resp.status == 200
    assert gw.syncs.requests["GetSyncRun"].run_id == "runs"


async def test_single_segment_variable_is_percent_decoded(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/a%2Fb%20c")
    assert resp.status == 404  # the servicer has no such sync
    assert gw.syncs.requests["GetSync"].sync_id == "a/b c"


async def test_multi_segment_capture_with_verb_keeps_encoded_slash(gw: Harness) -> None:
    resp = await gw.client.get("/probe/v1/things/t1/parts/a/b%2Fc:inspect")
    assert resp.status == 200
    assert (await resp.json())["id"] == "things/t1/parts/a/b%2Fc"


async def test_unknown_path_is_404_in_the_prefix_dialect(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/s1/nothing/here")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Not Found"}


async def test_unknown_path_outside_every_route_is_404_google_rpc(gw: Harness) -> None:
    resp = await gw.client.get("/nowhere")
    assert resp.status == 404
    assert await resp.json() == {"code": 5, "message": "Not Found", "details": []}


async def test_wrong_method_is_405_with_allow(gw: Harness) -> None:
    resp = await gw.client.put("/api/v1/syncs")
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET, POST"
    assert await resp.json() == {"detail": "Method Not Allowed"}


async def test_wrong_method_on_variable_route_lists_every_method(gw: Harness) -> None:
    resp = await gw.client.post("/api/v1/syncs/s1")
    assert resp.status == 405
    assert resp.headers["Allow"] == "DELETE, GET, PATCH"


async def test_wrong_method_on_healthz_is_405(gw: Harness) -> None:
    resp = await gw.client.post("/healthz")
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET"


async def test_additional_binding_is_routed(gw: Harness) -> None:
    resp = await gw.client.post("/probe/v1/echo", json={"id": "x", "count": 2})
    assert resp.status == 200
    assert (await resp.json())["count"] == 2


def test_double_star_must_be_last() -> None:
    with pytest.raises(TemplateError):
        parse_template("/v1/{name=**}/tail")


def test_template_variables_and_verb_are_parsed() -> None:
    template = parse_template("/v1/{book.name=shelves/*/books/*}:publish")
    assert template.verb == "publish"
    assert template.segments == ("v1", "shelves", "*", "books", "*")
    (var,) = template.variables
    assert (var.field_path, var.start, var.end) == (("book", "name"), 1, 5)
    assert template.openapi_path() == "/v1/{book.name}:publish"


def test_router_colon_without_declared_verb_stays_in_the_segment() -> None:
    router: Router[str] = Router()
    router.add("GET", parse_template("/v1/items/{id}"), "get")
    found = router.match("GET", "/v1/items/a:b")
    assert isinstance(found, RouteMatch)
    assert found.params == {"id": "a:b"}


def test_router_duplicate_route_is_refused() -> None:
    router: Router[str] = Router()
    router.add("GET", parse_template("/v1/items/{id}"), "a")
    with pytest.raises(ValueError):
        router.add("GET", parse_template("/v1/items/{other}"), "b")


def test_router_empty_segment_does_not_match_a_variable() -> None:
    router: Router[str] = Router()
    router.add("GET", parse_template("/v1/items/{id}"), "get")
    assert router.match("GET", "/v1/items/") == NoMatch(())

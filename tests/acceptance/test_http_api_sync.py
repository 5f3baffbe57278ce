"""A sync from a (locally played) JSON API into PostgreSQL, through the REST API
and real server and executor processes, with bearer auth from write-only secrets."""

from __future__ import annotations

import pytest

from tests.acceptance.conftest import table_rows
from tests.acceptance.harness import Stack
from tests.integration.http_api_support import FakeApi, customer

pytestmark = pytest.mark.acceptance


async def test_http_api_sync_end_to_end(stack: Stack, fresh_dsn: str) -> None:
    async with FakeApi() as api:
        api.auth = ("Authorization", "Bearer t0ken-for-api")
        api.orders = {str(i): [{"id": i * 100 + k, "customer_id": i, "total": k * 1.5} for k in range(3)] for i in (1, 2, 3)}
        api.customers = [customer(i) for i in (1, 2, 3)]
        connection = await stack.post(
            "/api/v1/connections",
            {"name": "shop api", "providerKey": "http_api",
             "config": {"baseUrl": api.base_url, "auth": {"type": "bearer"}},
             "secrets": {"token": "t0ken-for-api"}},
            expect=201,
        )
        assert connection["secretKeys"] == ["token"]
        sync = await stack.post(
            "/api/v1/syncs",
            {"connectionId": connection["id"], "name": "customers and orders", "entities": ["customers", "orders"],
             "sourceConfig": {"entities": {
                 "customers": {"path": "/page/customers", "recordPath": "data.items", "primaryKey": ["id"],
                               "pagination": {"type": "page", "pageParam": "page", "sizeParam": "per_page", "size": 2}},
                 "orders": {"path": "/customers/{customer_id}/orders", "recordPath": "orders", "primaryKey": ["id"],
                            "dependsOn": "customers", "parentFields": {"customer_id": "id"},
                            "pagination": {"type": "page", "pageParam": "page"}}}},
             "tableBindings": [{"entityKey": "customers", "tableName": "api_customers", "primaryKeyColumns": ["id"]},
                               {"entityKey": "orders", "tableName": "api_orders", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        final = await stack.wait_chain(run["id"])
        assert final["status"] == "succeeded", final
        assert final["summary"]["entities"]["orders"]["rowsWritten"] == 9
        assert await table_rows(fresh_dsn, "SELECT id FROM public.api_customers ORDER BY id") == [(1,), (2,), (3,)]
        orders = await table_rows(fresh_dsn, "SELECT id, customer_id FROM public.api_orders ORDER BY id")
        assert orders == [(i * 100 + k, i) for i in (1, 2, 3) for k in range(3)]
        for proc in [stack.server, *stack.executors]:
            assert proc is not None and "t0ken-for-api" not in proc.log()


async def test_http_api_source_config_is_validated(api_stack: Stack) -> None:
    connection = await api_stack.post(
        "/api/v1/connections",
        {"name": "api", "providerKey": "http_api", "config": {"baseUrl": "http://127.0.0.1:1/api"}}, expect=201,
    )
    err = await api_stack.post(
        "/api/v1/syncs",
        {"connectionId": connection["id"], "name": "x",
         "sourceConfig": {"entities": {"customers": {"recordPath": "items", "pagination": {"type": "sideways"}}}}},
        expect=422,
    )
    locs = {tuple(d["loc"]) for d in err["detail"]}
    assert ("body", "sourceConfig", "entities", "customers") in locs  # path is required
    assert ("body", "sourceConfig", "entities", "customers", "pagination", "type") in locs
    bad_conn = await api_stack.post(
        "/api/v1/connections", {"name": "api", "providerKey": "http_api", "config": {"baseUrl": "ftp://x"}}, expect=422
    )
    assert bad_conn["detail"][0]["loc"] == ["body", "config", "baseUrl"]

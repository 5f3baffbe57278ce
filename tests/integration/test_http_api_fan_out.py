"""executionMode fan_out_entity for the http_api connector: independent entities
load at once (bounded by maxParallelism), a dependsOn child only after its parent."""

from __future__ import annotations

from syncplane.executor.connectors import http_api
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    FakeApi,
    Fault,
    api,
    customer,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import close_pools, fetch  # noqa: F401

OFFSET_CUSTOMERS = {
    "path": "/offset/customers",
    "recordPath": "results",
    "primaryKey": ["id"],
    "pagination": {"type": "offset", "offsetParam": "offset", "limitParam": "limit", "limit": 10},
}
ORDERS = {
    "path": "/customers/{customer_id}/orders",
    "dependsOn": "customers",
    "parentFields": {"customer_id": "id"},
    "recordPath": "orders",
    "primaryKey": ["id"],
    "pagination": {"type": "page", "pageParam": "page", "size": 2},
}


async def test_independent_entities_load_at_once_and_children_after_parents(fresh_dsn: str, api: FakeApi) -> None:
    api.customers = [customer(i) for i in range(1, 31)]
    api.orders = {str(i): [{"id": i * 10 + k, "total": k} for k in range(3)] for i in range(1, 31)}
    # Each independent entity's first page is slow: loaded one after the other
    # they would never be in flight together.
    api.fail_next(2, Fault(status=200, delay=0.5), paths=("/api/page/customers", "/api/offset/customers"))
    ctx = make_ctx(
        api, fresh_dsn,
        [http_entity("customers"), http_entity("contacts"), http_entity("orders")],
        {"customers": PAGE_CUSTOMERS, "contacts": OFFSET_CUSTOMERS, "orders": ORDERS},
    )
    ctx.spec.update(executionMode="fan_out_entity", maxParallelism=3)

    await http_api.run(ctx)

    assert api.max_in_flight >= 2
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM customers"))[0][0] == 30
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM contacts"))[0][0] == 30
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM orders"))[0][0] == 90
    # The child read its parent's rows: no order request before the last customers page.
    paths = [s.path for s in api.seen]
    last_parent = max(i for i, p in enumerate(paths) if p == "/api/page/customers")
    first_child = min(i for i, p in enumerate(paths) if p.endswith("/orders"))
    assert first_child > last_parent
    assert set(ctx.summary()["entities"]) == {"customers", "contacts", "orders"}


async def test_a_parallelism_of_one_loads_one_entity_at_a_time(fresh_dsn: str, api: FakeApi) -> None:
    api.customers = [customer(i) for i in range(1, 21)]
    api.fail_next(2, Fault(status=200, delay=0.3), paths=("/api/page/customers", "/api/offset/customers"))
    ctx = make_ctx(
        api, fresh_dsn, [http_entity("customers"), http_entity("contacts")],
        {"customers": PAGE_CUSTOMERS, "contacts": OFFSET_CUSTOMERS},
    )
    ctx.spec.update(executionMode="fan_out_entity", maxParallelism=1)

    await http_api.run(ctx)

    assert api.max_in_flight == 1
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM contacts"))[0][0] == 20

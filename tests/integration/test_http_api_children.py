"""dependsOn: a child entity is fetched per parent record, after its parent, with
the parent's fields in its path (URL-encoded) or query."""

from __future__ import annotations

from typing import Any

from syncplane.executor.connectors import http_api
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    FakeApi,
    api,
    customer,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import RecordingReporter, close_pools, fetch  # noqa: F401

ORDERS_BY_PATH = {
    "path": "/customers/{customer_id}/orders",
    "dependsOn": "customers",
    "parentFields": {"customer_id": "id"},
    "recordPath": "orders",
    "primaryKey": ["id"],
    "pagination": {"type": "page", "pageParam": "page", "size": 2},  # the API's fixed page size
}


def _orders(api: FakeApi, per_customer: dict[Any, int]) -> None:
    next_id = 1
    for key, n in per_customer.items():
        api.orders[str(key)] = []
        for _ in range(n):
            api.orders[str(key)].append({"id": next_id, "total": next_id * 1.5})
            next_id += 1


async def test_children_are_fetched_per_parent_after_the_parent(fresh_dsn: str, api: FakeApi) -> None:
    api.customers = [customer(i) for i in (1, 2, 3)]
    _orders(api, {1: 3, 2: 0, 3: 5})
    # The plan lists the child first: the connector still loads customers first.
    ctx = make_ctx(
        api,
        fresh_dsn,
        [http_entity("orders"), http_entity("customers")],
        {"customers": PAGE_CUSTOMERS, "orders": ORDERS_BY_PATH},
    )
    await http_api.run(ctx)

    rows = [tuple(r) for r in await fetch(fresh_dsn, "SELECT customer_id, id FROM orders ORDER BY id")]
    assert rows == [(1, 1), (1, 2), (1, 3), (3, 4), (3, 5), (3, 6), (3, 7), (3, 8)]
    paths = [s.path for s in api.seen]
    assert paths.index("/api/customers/1/orders") > max(i for i, p in enumerate(paths) if p == "/api/page/customers")
    # Pages of 2 per parent: 1 -> pages 1, 2 (short); 2 -> page 1 (empty); 3 -> pages 1, 2, 3 (short).
    per_parent = [(s.path.split("/")[3], s.query["page"]) for s in api.seen if s.path.endswith("/orders")]
    assert per_parent == [("1", "1"), ("1", "2"), ("2", "1"), ("3", "1"), ("3", "2"), ("3", "3")]
    assert list(ctx.entities) == ["customers", "orders"]


async def test_parent_values_are_url_encoded_into_the_path(fresh_dsn: str, api: FakeApi) -> None:
    keys = ["acme corp", "über&co?x=1", "50% off"]
    api.customers = [customer(0, id=k, updated_at="2024-01-01T00:00:00Z") for k in keys]
    _orders(api, {k: 1 for k in keys})
    ctx = make_ctx(
        api,
        fresh_dsn,
        [http_entity("customers"), http_entity("orders")],
        {"customers": PAGE_CUSTOMERS, "orders": ORDERS_BY_PATH},
    )
    await http_api.run(ctx)

    rows = [tuple(r) for r in await fetch(fresh_dsn, "SELECT customer_id, id FROM orders ORDER BY id")]
    assert sorted(r[0] for r in rows) == sorted(keys)
    assert all(len(api.requests_to(f"/api/customers/{k}/orders")) == 1 for k in keys)


async def test_parent_fields_not_in_the_path_go_in_the_query(fresh_dsn: str, api: FakeApi) -> None:
    api.customers = [customer(i) for i in (7, 8)]
    _orders(api, {7: 2, 8: 1})
    config = {**ORDERS_BY_PATH, "path": "/orders", "pagination": {"type": "none"}}
    await http_api.run(
        make_ctx(
            api,
            fresh_dsn,
            [http_entity("customers"), http_entity("orders")],
            {"customers": PAGE_CUSTOMERS, "orders": config},
        )
    )

    assert [s.query["customer_id"] for s in api.requests_to("/api/orders")] == ["7", "8"]
    rows = [tuple(r) for r in await fetch(fresh_dsn, "SELECT customer_id, id FROM orders ORDER BY id")]
    assert rows == [(7, 1), (7, 2), (8, 3)]


async def test_a_parent_the_api_no_longer_knows_is_skipped(fresh_dsn: str, api: FakeApi) -> None:
    api.customers = [customer(i) for i in (1, 2, 3)]
    _orders(api, {1: 1, 3: 1})  # customer 2 answers 404
    ctx = make_ctx(
        api,
        fresh_dsn,
        [http_entity("customers"), http_entity("orders")],
        {"customers": PAGE_CUSTOMERS, "orders": ORDERS_BY_PATH},
    )
    await http_api.run(ctx)

    assert [r[0] for r in await fetch(fresh_dsn, "SELECT customer_id FROM orders ORDER BY id")] == [1, 3]


async def test_children_resume_inside_a_parent_after_the_last_committed_batch(fresh_dsn: str, api: FakeApi) -> None:
    api.customers = [customer(i) for i in (1, 2, 3)]
    _orders(api, {1: 3, 2: 4, 3: 3})
    plan = [http_entity("customers"), http_entity("orders", mode="append_event", pk=[])]
    configs = {"customers": PAGE_CUSTOMERS, "orders": ORDERS_BY_PATH}
    # Stop after customers and 2 batches of 3 orders: inside customer 2's children.
    first = make_ctx(api, fresh_dsn, plan, configs, page_size=3, reporter=RecordingReporter(cancel_after_checkpoints=3))
    try:
        await http_api.run(first)
    except Exception as exc:  # noqa: BLE001 - the cancel
        assert type(exc).__name__ == "Cancelled"
    committed = (await fetch(fresh_dsn, "SELECT count(*) FROM orders"))[0][0]
    assert 0 < committed < 10

    second = make_ctx(api, fresh_dsn, plan, configs, page_size=3, root_run_id=first.root_run_id, token=2, attempt=2)
    await http_api.run(second)

    # append_event: a repeat would show as a duplicate id.
    ids = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM orders ORDER BY id")]
    assert ids == list(range(1, 11))

"""Each preset's plan, run by the executor's http_api connector against a local
server speaking that provider's API shape, loads exactly the served records,
and an incremental run asks for (and loads) only what changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.pg_support import close_pools, fetch  # noqa: F401 (fixture)
from tests.integration.preset_support import plan, run_plan
from tests.integration.saas_api_support import (
    GORGIAS_KEY,
    GORGIAS_USER,
    KLAVIYO_KEY,
    REDO_TOKEN,
    SHOPIFY_TOKEN,
    STORE_ID,
    SaasApi,
    gorgias_record,
    klaviyo_record,
    shopify_record,
)


@pytest.fixture
async def saas() -> AsyncIterator[SaasApi]:
    async with SaasApi() as server:
        yield server


def _shopify(saas: SaasApi, entities: list[str], run_mode: str = "full") -> Any:
    connection = {"shopDomain": "acme.myshopify.com", "apiVersion": "2025-01", "baseUrl": saas.base_url}
    return plan("shopify", entities, connection, run_mode=run_mode)


async def test_shopify_follows_link_pages_that_carry_only_page_info(fresh_dsn: str, saas: SaasApi) -> None:
    saas.shopify["orders"] = [shopify_record(i, status="closed" if i % 5 == 0 else "open") for i in range(1, 261)]
    saas.shopify_transactions = {1001: [{"id": 9001, "order_id": 1001, "amount": "5.00"}], 1002: []}

    ctx = await run_plan(_shopify(saas, ["orders", "order_transactions"]), {"accessToken": SHOPIFY_TOKEN}, fresh_dsn)

    ids = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM shopify_orders ORDER BY id")]
    assert ids == [1000 + i for i in range(1, 261)]  # closed orders too: status=any
    first, second = saas.requests_to("/admin/api/2025-01/orders.json")
    assert first.query == {"limit": "250", "status": "any"}
    assert set(second.query) == {"limit", "page_info"}  # Shopify refuses anything else beside page_info
    assert first.headers["X-Shopify-Access-Token"] == SHOPIFY_TOKEN
    assert await fetch(fresh_dsn, "SELECT id, order_id FROM shopify_order_transactions") == [(9001, 1001)]
    assert ctx.entities["orders"].rows_written == 260


async def test_shopify_incremental_run_sends_updated_at_min_and_loads_changed_orders(
    fresh_dsn: str, saas: SaasApi
) -> None:
    saas.shopify["orders"] = [shopify_record(i) for i in range(1, 11)]
    await run_plan(_shopify(saas, ["orders"], "incremental"), {"accessToken": SHOPIFY_TOKEN}, fresh_dsn)
    mark = max(o["updated_at"] for o in saas.shopify["orders"])

    saas.seen.clear()
    saas.shopify["orders"][2].update(name="changed", updated_at="2024-01-02T09:00:00-05:00")
    saas.shopify["orders"].append(shopify_record(11, updated="2024-01-02T09:30:00-05:00"))
    ctx = await run_plan(_shopify(saas, ["orders"], "incremental"), {"accessToken": SHOPIFY_TOKEN}, fresh_dsn)

    [seen] = saas.requests_to("/admin/api/2025-01/orders.json")
    assert seen.query["updated_at_min"] == mark
    assert ctx.rows_read == 3  # the changed order, the new one, and the one at the mark (inclusive filter)
    rows = await fetch(fresh_dsn, "SELECT id, name FROM shopify_orders ORDER BY id")
    assert [tuple(r) for r in rows] == sorted((o["id"], o["name"]) for o in saas.shopify["orders"])


def _klaviyo(saas: SaasApi, entities: list[str], run_mode: str = "full") -> Any:
    return plan("klaviyo", entities, {"revision": "2024-10-15", "baseUrl": saas.base_url}, run_mode=run_mode)


async def test_klaviyo_follows_links_next_and_filters_on_the_nested_updated(fresh_dsn: str, saas: SaasApi) -> None:
    saas.klaviyo["profiles"] = [klaviyo_record("profile", i) for i in range(1, 251)]
    await run_plan(_klaviyo(saas, ["profiles"], "incremental"), {"apiKey": KLAVIYO_KEY}, fresh_dsn)

    pages = saas.requests_to("/api/profiles")
    assert [p.query.get("page[cursor]") for p in pages] == [None, "100", "200"]
    assert all(p.headers["revision"] == "2024-10-15" for p in pages)
    assert all(p.query["sort"] == "updated" and p.query["page[size]"] == "100" for p in pages)
    count = await fetch(fresh_dsn, "SELECT count(*), count(DISTINCT id) FROM klaviyo_profiles")
    assert tuple(count[0]) == (250, 250)

    saas.seen.clear()
    mark = saas.klaviyo["profiles"][-1]["attributes"]["updated"]
    saas.klaviyo["profiles"][0]["attributes"].update(email="new@example.com", updated="2024-02-02T00:00:00+00:00")
    ctx = await run_plan(_klaviyo(saas, ["profiles"], "incremental"), {"apiKey": KLAVIYO_KEY}, fresh_dsn)

    [seen] = saas.requests_to("/api/profiles")
    assert seen.query["filter"] == f"greater-than(updated,{mark})"
    assert ctx.rows_read == 1
    email = await fetch(fresh_dsn, "SELECT attributes->>'email' FROM klaviyo_profiles WHERE id = 'PR00001'")
    assert email[0][0] == "new@example.com"


async def test_klaviyo_events_append_once_across_the_inclusive_boundary(fresh_dsn: str, saas: SaasApi) -> None:
    events = [klaviyo_record("event", i, stamp_field="datetime") for i in range(1, 6)]
    saas.klaviyo["events"] = events
    await run_plan(_klaviyo(saas, ["events"], "incremental"), {"apiKey": KLAVIYO_KEY}, fresh_dsn)
    saas.klaviyo["events"] = events + [klaviyo_record("event", 6, stamp_field="datetime")]
    saas.seen.clear()
    await run_plan(_klaviyo(saas, ["events"], "incremental"), {"apiKey": KLAVIYO_KEY}, fresh_dsn)

    [seen] = saas.requests_to("/api/events")
    assert seen.query["filter"] == f"greater-or-equal(datetime,{events[-1]['attributes']['datetime']})"
    ids = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM klaviyo_events ORDER BY id")]
    assert ids == [f"EV{i:05d}" for i in range(1, 7)]  # the boundary event re-read is not appended twice


def _gorgias(saas: SaasApi, entities: list[str], run_mode: str = "full") -> Any:
    connection = {"domain": "acme", "username": GORGIAS_USER, "baseUrl": saas.base_url}
    return plan("gorgias", entities, connection, run_mode=run_mode)


async def test_gorgias_pages_by_cursor_and_an_incremental_run_stops_at_the_mark(fresh_dsn: str, saas: SaasApi) -> None:
    saas.gorgias["tickets"] = [gorgias_record(i) for i in range(1, 251)]
    await run_plan(_gorgias(saas, ["tickets"], "incremental"), {"apiKey": GORGIAS_KEY}, fresh_dsn)
    first = saas.requests_to("/api/tickets")
    assert len(first) == 3 and first[0].query == {"limit": "100", "order_by": "updated_datetime:desc"}
    assert "cursor" in first[1].query
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM gorgias_tickets"))[0][0] == 250

    saas.seen.clear()
    saas.gorgias["tickets"][9].update(subject="reopened", updated_datetime="2024-03-02T00:00:00.000000+00:00")
    ctx = await run_plan(_gorgias(saas, ["tickets"], "incremental"), {"apiKey": GORGIAS_KEY}, fresh_dsn)

    # Newest first: the first page reaches below the mark, so no second page is asked for.
    assert len(saas.requests_to("/api/tickets")) == 1
    assert ctx.rows_read == 2  # the reopened ticket and the one at the mark
    subject = await fetch(fresh_dsn, "SELECT subject FROM gorgias_tickets WHERE id = 10")
    assert subject[0][0] == "reopened"


async def test_redo_pages_by_the_x_page_next_header(fresh_dsn: str, saas: SaasApi) -> None:
    saas.redo_returns = [{"id": f"ret_{i}", "createdAt": "2024-01-01T00:00:00Z", "status": "open"} for i in range(150)]
    run = plan("redo", ["returns"], {"storeId": STORE_ID, "baseUrl": saas.base_url})
    await run_plan(run, {"token": REDO_TOKEN}, fresh_dsn)

    pages = saas.requests_to(f"/v2.2/stores/{STORE_ID}/returns")
    assert [set(p.query) for p in pages] == [{"page-size"}, {"page-size", "page-continue"}]
    assert (await fetch(fresh_dsn, "SELECT count(DISTINCT id) FROM redo_returns"))[0][0] == 150

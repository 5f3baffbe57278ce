"""SaaS presets end to end: a connection and a sync through the REST API, runs
on real server and executor processes against a local server speaking the
provider's API shape, exactly the served records in PostgreSQL, and an
incremental run that sends the provider's filter and loads only changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.conftest import table_rows
from tests.acceptance.harness import Stack
from tests.integration.saas_api_support import (
    GORGIAS_KEY,
    GORGIAS_USER,
    KLAVIYO_KEY,
    SHOPIFY_TOKEN,
    SaasApi,
    gorgias_record,
    klaviyo_record,
    shopify_record,
)

pytestmark = pytest.mark.acceptance


async def _sync(stack: Stack, provider: str, config: dict[str, Any], secrets: dict[str, str], entities: list[str]) -> str:
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"{provider} account", "providerKey": provider, "config": config, "secrets": secrets},
        expect=201,
    )
    assert connection["secretKeys"] == sorted(secrets)
    sync = await stack.post(
        "/api/v1/syncs", {"connectionId": connection["id"], "name": f"{provider} sync", "entities": entities}, expect=201
    )
    return str(sync["id"])


async def _run(stack: Stack, sync_id: str, mode: str = "incremental") -> dict[str, Any]:
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": mode})
    final = await stack.wait_chain(run["id"])
    assert final["status"] == "succeeded", final
    return final


def _no_secret_in_logs(stack: Stack, secret: str) -> None:
    for proc in [stack.server, *stack.executors]:
        assert proc is not None and secret not in proc.log()


async def test_shopify_sync_pages_by_link_and_reads_changes_by_updated_at_min(stack: Stack, fresh_dsn: str) -> None:
    async with SaasApi() as api:
        api.shopify["orders"] = [shopify_record(i, status="closed" if i % 7 == 0 else "open") for i in range(1, 301)]
        api.shopify["customers"] = [shopify_record(i, email=f"c{i}@example.com") for i in range(1, 6)]
        config = {"shopDomain": "acme.myshopify.com", "apiVersion": "2025-01", "baseUrl": api.base_url}
        sync_id = await _sync(stack, "shopify", config, {"accessToken": SHOPIFY_TOKEN}, ["orders", "customers"])

        await _run(stack, sync_id)
        orders = await table_rows(fresh_dsn, "SELECT id, name, updated_at FROM public.shopify_orders ORDER BY id")
        assert orders == sorted((o["id"], o["name"], o["updated_at"]) for o in api.shopify["orders"])
        assert len(api.requests_to("/admin/api/2025-01/orders.json")) == 2  # 250 + 50, by Link page_info
        assert len(await table_rows(fresh_dsn, "SELECT id FROM public.shopify_customers")) == 5

        mark = max(o["updated_at"] for o in api.shopify["orders"])
        api.seen.clear()
        api.shopify["orders"][0].update(name="#1001-edited", updated_at="2024-01-03T08:00:00-05:00")
        api.shopify["orders"].append(shopify_record(301, updated="2024-01-03T08:30:00-05:00"))
        final = await _run(stack, sync_id)

        [seen] = api.requests_to("/admin/api/2025-01/orders.json")
        assert seen.query == {"limit": "250", "status": "any", "updated_at_min": mark}
        assert final["summary"]["entities"]["orders"]["rowsRead"] == 3  # edited, new, and the one at the mark
        orders = await table_rows(fresh_dsn, "SELECT id, name, updated_at FROM public.shopify_orders ORDER BY id")
        assert orders == sorted((o["id"], o["name"], o["updated_at"]) for o in api.shopify["orders"])
        _no_secret_in_logs(stack, SHOPIFY_TOKEN)


async def test_klaviyo_sync_follows_links_next_and_filters_by_updated(stack: Stack, fresh_dsn: str) -> None:
    async with SaasApi() as api:
        api.klaviyo["profiles"] = [klaviyo_record("profile", i) for i in range(1, 231)]
        api.klaviyo["events"] = [klaviyo_record("event", i, stamp_field="datetime") for i in range(1, 8)]
        sync_id = await _sync(
            stack, "klaviyo", {"revision": "2024-10-15", "baseUrl": api.base_url}, {"apiKey": KLAVIYO_KEY},
            ["profiles", "events"],
        )

        await _run(stack, sync_id)
        profiles = await table_rows(fresh_dsn, "SELECT id, attributes->>'updated' FROM public.klaviyo_profiles ORDER BY id")
        assert profiles == [(p["id"], p["attributes"]["updated"]) for p in api.klaviyo["profiles"]]
        cursors = [s.query.get("page[cursor]") for s in api.requests_to("/api/profiles")]
        assert cursors == [None, "100", "200"]  # the links.next URLs

        mark = api.klaviyo["profiles"][-1]["attributes"]["updated"]
        api.seen.clear()
        api.klaviyo["profiles"][4]["attributes"].update(email="moved@example.com", updated="2024-02-05T00:00:00+00:00")
        api.klaviyo["events"].append(klaviyo_record("event", 8, stamp_field="datetime"))
        final = await _run(stack, sync_id)

        [seen] = api.requests_to("/api/profiles")
        assert seen.query["filter"] == f"greater-than(updated,{mark})"
        assert final["summary"]["entities"]["profiles"]["rowsRead"] == 1
        email = await table_rows(fresh_dsn, "SELECT attributes->>'email' FROM public.klaviyo_profiles WHERE id = 'PR00005'")
        assert email == [("moved@example.com",)]
        events = await table_rows(fresh_dsn, "SELECT id FROM public.klaviyo_events ORDER BY id")
        assert events == [(f"EV{i:05d}",) for i in range(1, 9)]  # appended once each
        _no_secret_in_logs(stack, KLAVIYO_KEY)


async def test_gorgias_sync_pages_by_cursor_and_stops_at_the_mark(stack: Stack, fresh_dsn: str) -> None:
    async with SaasApi() as api:
        api.gorgias["tickets"] = [gorgias_record(i) for i in range(1, 221)]
        api.gorgias["customers"] = [{"id": i, "name": f"customer {i}", "updated_datetime": "2024-01-01T00:00:00"} for i in range(1, 4)]
        config = {"domain": "acme", "username": GORGIAS_USER, "baseUrl": api.base_url}
        sync_id = await _sync(stack, "gorgias", config, {"apiKey": GORGIAS_KEY}, ["tickets", "customers"])

        await _run(stack, sync_id)
        tickets = await table_rows(fresh_dsn, "SELECT id, subject FROM public.gorgias_tickets ORDER BY id")
        assert tickets == [(t["id"], t["subject"]) for t in api.gorgias["tickets"]]
        assert len(api.requests_to("/api/tickets")) == 3  # meta.next_cursor, 100 a page

        api.seen.clear()
        api.gorgias["tickets"][0].update(subject="reopened", updated_datetime="2024-03-09T00:00:00.000000+00:00")
        final = await _run(stack, sync_id)

        [seen] = api.requests_to("/api/tickets")  # newest first: the mark is on the first page
        assert seen.query == {"limit": "100", "order_by": "updated_datetime:desc"}
        assert final["summary"]["entities"]["tickets"]["rowsRead"] == 2  # the reopened ticket and the mark's
        tickets = await table_rows(fresh_dsn, "SELECT id, subject FROM public.gorgias_tickets ORDER BY id")
        assert tickets == [(t["id"], t["subject"]) for t in api.gorgias["tickets"]]
        _no_secret_in_logs(stack, GORGIAS_KEY)


async def test_catalog_shows_presets_runnable_and_refuses_what_they_cannot_run(api_stack: Stack) -> None:
    listing = {p["provider"]: p for p in (await api_stack.get("/api/v1/syncs/providers"))["providers"]}
    for key, entity in (("shopify", "orders"), ("klaviyo", "profiles"), ("gorgias", "tickets"), ("redo", "returns")):
        assert listing[key]["runnable"] is True and listing[key]["dynamicResources"] is False
        assert entity in listing[key]["availableResources"]
    shopify = await api_stack.get("/api/v1/syncs/providers/shopify/catalog")
    orders = next(r for r in shopify["resources"] if r["entityKey"] == "orders")
    assert (orders["cursorField"], orders["loadMode"], orders["sizeClass"]) == ("updated_at", "upsert", "l")
    assert shopify["configSchema"]["properties"]["startDate"]["type"] == "string"
    salesforce = listing["salesforce"]
    assert salesforce["runnable"] is False and "OAuth" in salesforce["unavailableReason"]

    crm = await api_stack.post("/api/v1/connections", {"name": "crm", "providerKey": "salesforce"}, expect=201)
    err = await api_stack.post("/api/v1/syncs", {"connectionId": crm["id"], "name": "accounts"}, expect=422)
    assert err["detail"][0]["loc"] == ["body", "connectionId"] and err["detail"][0]["type"] == "provider_not_runnable"

    bad = await api_stack.post(
        "/api/v1/connections", {"name": "shop", "providerKey": "shopify", "config": {"shopDomain": "acme.com"}}, expect=422
    )
    assert {tuple(d["loc"]) for d in bad["detail"]} >= {("body", "config", "shopDomain"), ("body", "config")}
    shop = await api_stack.post(
        "/api/v1/connections",
        {"name": "shop", "providerKey": "shopify", "config": {"shopDomain": "acme.myshopify.com", "apiVersion": "2025-01"},
         "secrets": {"accessToken": "x"}},
        expect=201,
    )
    err = await api_stack.post(
        "/api/v1/syncs",
        {"connectionId": shop["id"], "name": "s", "entities": ["orders", "refunds"],
         "sourceConfig": {"startDate": "last week"}},
        expect=422,
    )
    locs = {tuple(d["loc"]): d["type"] for d in err["detail"]}
    assert locs[("body", "entities", 1)] == "unknown_entity"
    assert ("body", "sourceConfig", "startDate") in locs

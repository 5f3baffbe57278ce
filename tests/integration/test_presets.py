"""SaaS presets expand, at trigger time, into complete http_api plans the
executor accepts; their catalogs validate what a sync may select and tune."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from syncplane.executor.sources.http_config import parse_spec
from syncplane.server.dialects.syncs import presets, providers, sync_input
from syncplane.server.errors import InvalidArgument
from tests.integration.preset_support import plan

CONNECTIONS: dict[str, dict[str, Any]] = {
    "shopify": {"shopDomain": "acme.myshopify.com", "apiVersion": "2025-01"},
    "klaviyo": {"revision": "2024-10-15"},
    "gorgias": {"domain": "acme", "username": "ops@acme.test"},
    "redo": {"storeId": "store_123"},
}


def _entities(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["source"]["config"]["entities"]


@pytest.mark.parametrize("key", sorted(presets.PRESETS))
def test_every_preset_expands_into_a_plan_the_http_api_connector_accepts(key: str) -> None:
    preset = presets.PRESETS[key]
    run = plan(key, [e.key for e in preset.entities], CONNECTIONS[key])

    assert run.connector == "http_api"  # the executor registry's key: no connector of its own
    assert run.spec["source"]["provider"] == "http_api" and run.spec["source"]["preset"] == key
    parsed = parse_spec(run.spec)  # the executor's own validation
    assert {e.key for e in parsed.entities} == {e.key for e in preset.entities}
    for entity in parsed.entities:
        if entity.depends_on is not None:
            keys = [e.key for e in parsed.entities]
            assert keys.index(entity.depends_on) < keys.index(entity.key)
        assert "$" not in entity.path  # every connection setting was filled in
    assert parsed.client.base_url.startswith("https://") and "$" not in parsed.client.base_url


def test_shopify_plan_reads_the_admin_api_of_the_pinned_version() -> None:
    run = plan("shopify", ["orders", "order_transactions"], CONNECTIONS["shopify"])
    config = run.spec["source"]["config"]
    orders = _entities(run.spec)["orders"]

    assert config["baseUrl"] == "https://acme.myshopify.com"
    assert config["auth"] == {"type": "api_key_header", "header": "X-Shopify-Access-Token", "secretKey": "accessToken"}
    assert orders["path"] == "/admin/api/2025-01/orders.json" and orders["recordPath"] == "orders"
    assert orders["pagination"] == {"type": "link"}
    assert orders["query"] == {"limit": 250, "status": "any"}
    assert (orders["cursorField"], orders["cursorParam"]) == ("updated_at", "updated_at_min")
    transactions = _entities(run.spec)["order_transactions"]
    assert transactions["path"] == "/admin/api/2025-01/orders/{order_id}/transactions.json"
    assert (transactions["dependsOn"], transactions["parentFields"]) == ("orders", {"order_id": "id"})
    bindings = {e["entityKey"]: e["binding"] for e in run.spec["entities"]}
    # Default tables are prefixed by the provider, so two providers' "customers" never collide.
    assert bindings["orders"]["tableName"] == "shopify_orders" and bindings["orders"]["loadMode"] == "upsert"


def test_klaviyo_plan_pins_the_revision_and_follows_links_next() -> None:
    run = plan("klaviyo", ["profiles", "events"], CONNECTIONS["klaviyo"])
    config = run.spec["source"]["config"]
    profiles, events = _entities(run.spec)["profiles"], _entities(run.spec)["events"]

    assert config["headers"]["revision"] == "2024-10-15"
    assert config["auth"]["prefix"] == "Klaviyo-API-Key " and config["auth"]["secretKey"] == "apiKey"
    assert profiles["pagination"] == {"type": "next_url", "nextUrlPath": "links.next"}
    assert (profiles["cursorField"], profiles["cursorFormat"]) == ("attributes.updated", "greater-than(updated,{value})")
    assert events["cursorFormat"] == "greater-or-equal(datetime,{value})"
    bindings = {e["entityKey"]: e["binding"] for e in run.spec["entities"]}
    assert bindings["events"]["loadMode"] == "append_event"  # the resource's default, not the provider's
    assert bindings["profiles"]["loadMode"] == "upsert"


def test_gorgias_plan_reads_tickets_newest_first_with_basic_auth() -> None:
    run = plan("gorgias", ["tickets", "customers"], CONNECTIONS["gorgias"])
    config = run.spec["source"]["config"]
    tickets = _entities(run.spec)["tickets"]

    assert config["baseUrl"] == "https://acme.gorgias.com"
    assert config["auth"] == {"type": "basic", "username": "ops@acme.test", "secretKey": "apiKey"}
    assert tickets["pagination"] == {"type": "cursor", "cursorParam": "cursor", "nextCursorPath": "meta.next_cursor"}
    assert tickets["query"]["order_by"] == "updated_datetime:desc" and tickets["cursorOrder"] == "desc"
    assert "cursorParam" not in tickets  # Gorgias cannot filter by update time


def test_base_url_override_start_date_and_entity_overrides_reach_the_plan() -> None:
    connection = {**CONNECTIONS["shopify"], "baseUrl": "http://127.0.0.1:9999", "timeoutSeconds": 7}
    source = {"startDate": "2024-01-01T00:00:00Z",
              "entities": {"customers": {"startDate": "2024-06-01T00:00:00Z", "query": {"fields": "id,email,updated_at"}}}}
    run = plan("shopify", ["orders", "customers"], connection, source_config=source)
    config = run.spec["source"]["config"]

    assert config["baseUrl"] == "http://127.0.0.1:9999" and config["timeoutSeconds"] == 7
    assert _entities(run.spec)["orders"]["cursorStart"] == "2024-01-01T00:00:00Z"
    customers = _entities(run.spec)["customers"]
    assert customers["cursorStart"] == "2024-06-01T00:00:00Z"  # the entity's own beats the sync's
    assert customers["query"] == {"limit": 250, "fields": "id,email,updated_at"}


def _violations(provider: str, **values: Any) -> dict[str, str]:
    full = {**sync_input.defaults(), "name": "x", **values}
    with pytest.raises(InvalidArgument) as err:
        sync_input.validate(full, provider)
    return {v.field: f"{v.reason}: {v.message}" for v in err.value.violations}


def test_source_config_is_validated_against_the_preset_schema() -> None:
    found = _violations(
        "shopify",
        entities=["orders"],
        source_config={"startDate": "yesterday", "pageLimit": 3,
                       "entities": {"orders": {"query": {"page_info": "x", "updated_at_min": "y"}}, "refunds": {}}},
    )
    assert "sync.sourceConfig.startDate" in found
    assert "sync.sourceConfig" in found  # pageLimit: no such setting
    assert "sync.sourceConfig.entities" in found  # refunds: no such entity
    # The preset's own paging and incremental parameters cannot be overridden.
    assert "sync.sourceConfig.entities.orders.query" in found


def test_unknown_entities_and_children_without_their_parent_are_refused() -> None:
    found = _violations("shopify", entities=["refunds", "order_transactions"])
    assert found["sync.entities.0"].startswith("unknown_entity: unknown entity 'refunds'")
    assert found["sync.entities.1"].startswith("missing_dependency:") and "select ['orders'] too" in found["sync.entities.1"]
    bindings = [{"entityKey": "abandoned_checkouts", "primaryKeyColumns": [], "loadMode": None,
                 "tableNamingVersion": "legacy"}]
    assert "sync.tableBindings.0.entityKey" in _violations("klaviyo", table_bindings=bindings)
    sync_input.validate({**sync_input.defaults(), "name": "x", "entities": ["orders", "order_transactions"]}, "shopify")


@pytest.mark.parametrize(
    ("provider", "config", "wrong"),
    [
        ("shopify", {"shopDomain": "acme.com", "apiVersion": "2025-01"}, "shopDomain"),
        ("shopify", {"shopDomain": "acme.myshopify.com"}, "apiVersion"),
        ("shopify", {"shopDomain": "acme.myshopify.com", "apiVersion": "2025-01", "baseUrl": "ftp://x"}, "baseUrl"),
        ("klaviyo", {"revision": "2024-10-15", "apiKey": "pk_secret"}, "apiKey"),
        ("gorgias", {"domain": "acme.gorgias.com", "username": "ops@acme.test"}, "domain"),
    ],
)
def test_connection_config_is_validated_against_the_preset(provider: str, config: dict[str, Any], wrong: str) -> None:
    schema = providers.CATALOG[provider].connection_schema
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(config))
    assert errors and any(wrong in (list(e.path) + [e.message]).__str__() for e in errors)


def test_catalog_lists_presets_as_runnable_with_real_entities() -> None:
    for key, preset in presets.PRESETS.items():
        entry = providers.CATALOG[key]
        assert entry.runnable and not entry.dynamic_resources
        assert [r["entityKey"] for r in entry.resources] == [e.key for e in preset.entities]
        assert entry.defaults["secret"] == preset.secret
    klaviyo = {r["entityKey"]: r for r in providers.CATALOG["klaviyo"].resources}
    assert klaviyo["list_profiles"]["dependsOn"] == ["lists"] and klaviyo["list_profiles"]["defaultSelected"] is False
    assert klaviyo["events"]["loadMode"] == "append_event" and klaviyo["events"]["sizeClass"] == "xl"
    for key in ("salesforce", "bullhorn", "rydership", "netsuite"):
        assert not providers.CATALOG[key].runnable and "connector is installed" not in providers.CATALOG[key].unavailable_reason

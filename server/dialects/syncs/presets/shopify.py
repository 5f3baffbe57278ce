"""Shopify: the REST Admin API of one shop.

https://shopify.dev/docs/api/admin-rest - JSON lists under the resource's
name (`{"orders": [...]}`), cursor pagination in the `Link` header (`rel="next"`
URLs carry `page_info` and `limit`, and keep the first request's filters), at
most 250 records a page, and `updated_at_min` (inclusive) for incremental
reads. A custom app's Admin API access token authenticates, sent as
`X-Shopify-Access-Token`. Shopify calls REST "legacy" since 2024-10 but keeps
serving it for custom apps; the API version is pinned per connection.
"""

from __future__ import annotations

from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity

_LINK = {"type": "link"}
_API = "/admin/api/$apiVersion"


def _top_level(key: str, name: str, description: str, *, size: str, query: dict[str, str | int | bool] | None = None) -> PresetEntity:
    return PresetEntity(
        key=key,
        display_name=name,
        description=description,
        path=f"{_API}/{key}.json",
        record_path=key,
        primary_key=("id",),
        pagination=_LINK,
        query={"limit": 250, **(query or {})},
        cursor_field="updated_at",
        cursor_param="updated_at_min",
        size_class=size,
    )


PRESET = Preset(
    key="shopify",
    display_name="Shopify",
    docs_url="https://shopify.dev/docs/api/admin-rest",
    base_url="https://$shopDomain",
    settings={
        "shopDomain": {
            "type": "string",
            "pattern": r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
            "description": "The shop's myshopify.com domain, e.g. my-shop.myshopify.com",
        },
        "apiVersion": {
            "type": "string",
            "pattern": r"^\d{4}-(01|04|07|10)$",
            "description": "A supported REST Admin API version, e.g. 2025-01 (versions are retired after a year)",
        },
    },
    required_settings=("shopDomain", "apiVersion"),
    secret="accessToken",
    auth={"type": "api_key_header", "header": "X-Shopify-Access-Token"},
    headers={},
    entities=(
        # Without status=any the API lists open orders only.
        _top_level("orders", "Orders", "Orders of every status, with line items", size="l", query={"status": "any"}),
        _top_level("customers", "Customers", "Customer accounts", size="m"),
        _top_level("products", "Products", "Products with their variants and images", size="s"),
        PresetEntity(
            key="order_transactions",
            display_name="Order transactions",
            description="Payment transactions, fetched per order (one request per loaded order)",
            path=f"{_API}/orders/{{order_id}}/transactions.json",
            record_path="transactions",
            primary_key=("id",),
            # The endpoint answers every transaction of an order at once.
            pagination={"type": "none"},
            depends_on="orders",
            parent_fields={"order_id": "id"},
            size_class="l",
            default_selected=False,
        ),
    ),
)

__all__ = ["PRESET"]

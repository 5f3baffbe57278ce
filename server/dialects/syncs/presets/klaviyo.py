"""Klaviyo: the JSON:API of one account.

https://developers.klaviyo.com/en/reference/api_overview - records under
`data` as JSON:API resources (`{"type", "id", "attributes": {...}}`, so
cursors are nested: `attributes.updated`), cursor pagination by the full URL
in `links.next`, filters as `filter=<op>(<field>,<value>)`, a `revision`
header pinning the API version, and a private API key sent as
`Authorization: Klaviyo-API-Key <key>`.

Profiles and lists only support `greater-than` on `updated`, so a record
updated again within the same second as the last run's mark is picked up by
the run after its next change; events support `greater-or-equal`.
"""

from __future__ import annotations

from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity

_NEXT = {"type": "next_url", "nextUrlPath": "links.next"}

PRESET = Preset(
    key="klaviyo",
    display_name="Klaviyo",
    docs_url="https://developers.klaviyo.com/en/reference/api_overview",
    base_url="https://a.klaviyo.com",
    settings={
        "revision": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$",
            "description": "The API revision the requests pin, e.g. 2024-10-15",
        },
    },
    required_settings=("revision",),
    secret="apiKey",
    auth={"type": "api_key_header", "header": "Authorization", "prefix": "Klaviyo-API-Key "},
    headers={"revision": "$revision", "Accept": "application/vnd.api+json"},
    entities=(
        PresetEntity(
            key="profiles",
            display_name="Profiles",
            description="Profiles (people) with their attributes; incremental on attributes.updated",
            path="/api/profiles",
            record_path="data",
            primary_key=("id",),
            pagination=_NEXT,
            query={"page[size]": 100, "sort": "updated"},
            cursor_field="attributes.updated",
            cursor_param="filter",
            cursor_format="greater-than(updated,{value})",
            size_class="l",
        ),
        PresetEntity(
            key="events",
            display_name="Events",
            description="Activity events (opened email, placed order, ...); append-only, incremental on attributes.datetime",
            path="/api/events",
            record_path="data",
            primary_key=("id",),
            pagination=_NEXT,
            query={"sort": "datetime"},
            cursor_field="attributes.datetime",
            cursor_param="filter",
            cursor_format="greater-or-equal(datetime,{value})",
            load_mode="append_event",
            size_class="xl",
        ),
        PresetEntity(
            key="lists",
            display_name="Lists",
            description="Subscriber lists; incremental on attributes.updated",
            path="/api/lists",
            record_path="data",
            primary_key=("id",),
            pagination=_NEXT,
            cursor_field="attributes.updated",
            cursor_param="filter",
            cursor_format="greater-than(updated,{value})",
            size_class="xs",
        ),
        PresetEntity(
            key="list_profiles",
            display_name="List members",
            description="The profiles of each list, fetched per list (a full read every run)",
            path="/api/lists/{list_id}/profiles",
            record_path="data",
            primary_key=("list_id", "id"),
            pagination=_NEXT,
            query={"page[size]": 100},
            depends_on="lists",
            parent_fields={"list_id": "id"},
            size_class="l",
            default_selected=False,
        ),
        PresetEntity(
            key="metrics",
            display_name="Metrics",
            description="The account's metrics (event types); a full read every run",
            path="/api/metrics",
            record_path="data",
            primary_key=("id",),
            pagination=_NEXT,
            size_class="xs",
        ),
    ),
)

__all__ = ["PRESET"]

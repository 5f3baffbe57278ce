"""A preset as the catalog shows it: JSON Schemas of its connection and
sourceConfig, and its resources (real entities, not dynamic)."""

from __future__ import annotations

from typing import Any

from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity

#: An RFC 3339 date-time, as every preset's API accepts in its filters.
DATE_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
    "description": "RFC 3339 date-time, e.g. 2024-01-01T00:00:00Z",
}

#: Connection settings every preset has beside its own: HTTP tuning and the base URL override.
_COMMON_SETTINGS: dict[str, dict[str, Any]] = {
    "baseUrl": {
        "type": "string",
        "pattern": "^https?://[^/?#]+(/[^?#]*)?$",
        "description": "Overrides the provider's API URL: for a proxy, or a test server speaking the same API",
    },
    "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0},
    "maxRetries": {"type": "integer", "minimum": 0},
    "retryBackoffSeconds": {"type": "number", "minimum": 0},
    "maxBackoffSeconds": {"type": "number", "minimum": 0},
}

#: Connection settings copied as they are into the http_api source config.
CLIENT_SETTINGS = tuple(k for k in _COMMON_SETTINGS if k != "baseUrl")


def connection_schema(preset: Preset) -> dict[str, Any]:
    """The connection's config; the secret (`preset.secret`) goes in its write-only secrets."""
    return {
        "type": "object",
        "properties": {**preset.settings, **_COMMON_SETTINGS},
        "required": list(preset.required_settings),
        # A misspelt setting would otherwise be ignored silently and the sync fail at run time.
        "additionalProperties": False,
    }


def entity_schema(entity: PresetEntity) -> dict[str, Any]:
    """What a sync may tune per entity: extra query filters, and a start date where one applies."""
    properties: dict[str, Any] = {
        "query": {
            "type": "object",
            "description": "Extra query parameters of the API's list endpoint (filters)",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
            # Pagination and the incremental filter are the preset's; overriding them would break paging.
            "propertyNames": {"not": {"enum": list(entity.reserved_params)}},
        }
    }
    if entity.start_date_applies:
        properties["startDate"] = {**DATE_TIME, "description": f"Read only records with {entity.cursor_field} at or after this"}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def source_schema(preset: Preset) -> dict[str, Any]:
    """A sync's sourceConfig for this provider."""
    return {
        "type": "object",
        "properties": {
            "startDate": {
                **DATE_TIME,
                "description": "Lower bound of the first read of every entity that can filter by its cursor",
            },
            "entities": {
                "type": "object",
                "properties": {e.key: entity_schema(e) for e in preset.entities},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }


def resource(entity: PresetEntity) -> dict[str, Any]:
    """A catalog resource (the proto's ProviderResource fields only)."""
    out: dict[str, Any] = {
        "entityKey": entity.key,
        "displayName": entity.display_name,
        "description": entity.description,
        "loadMode": entity.load_mode,
        "dependsOn": [entity.depends_on] if entity.depends_on else [],
        "defaultSelected": entity.default_selected,
        "sizeClass": entity.size_class,
        "storageKind": "postgres",
        "storageDescription": f"a table keyed by {', '.join(entity.primary_key)}",
        "configSchema": entity_schema(entity),
    }
    if entity.cursor_field is not None:
        out["cursorField"] = entity.cursor_field
    return out


def provider_fields(preset: Preset) -> dict[str, Any]:
    """The keyword arguments of the preset's `providers.Provider`."""
    return {
        "key": preset.key,
        "display_name": preset.display_name,
        "runnable": True,
        "config_schema": source_schema(preset),
        "connection_schema": connection_schema(preset),
        "defaults": {
            "loadMode": "upsert",
            "runMode": "incremental",
            "pageSize": 10_000,
            "tableNamePrefix": preset.table_prefix,
            "secret": preset.secret,
            "docsUrl": preset.docs_url,
        },
        "resources": tuple(resource(e) for e in preset.entities),
        "dynamic_resources": False,
        # A preset runs on the http_api connector, which honours both.
        "execution_modes": ("sequential", "fan_out_entity"),
    }


__all__ = ["CLIENT_SETTINGS", "DATE_TIME", "connection_schema", "entity_schema", "provider_fields", "resource", "source_schema"]

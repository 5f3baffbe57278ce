"""The provider catalog of the syncs dialect.

Every provider of the seed's enum is listed. Only those with a connector in
the executors are runnable; the others answer honestly that they are not,
and creating a sync for them is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROVIDERS: tuple[str, ...] = (
    "shopify", "http_api", "flexiroam", "starlink", "s3", "google_drive", "msft_sharepoint",
    "klaviyo", "amazon_sp", "salesforce", "netsuite", "sqlserver", "postgres", "mlflow", "sftp",
    "gmail_inbox", "dropbox", "rydership", "gorgias", "redo", "bullhorn",
)

_DISPLAY = {
    "shopify": "Shopify", "http_api": "HTTP API", "flexiroam": "Flexiroam", "starlink": "Starlink",
    "s3": "Amazon S3", "google_drive": "Google Drive", "msft_sharepoint": "Microsoft SharePoint",
    "klaviyo": "Klaviyo", "amazon_sp": "Amazon Selling Partner", "salesforce": "Salesforce",
    "netsuite": "NetSuite", "sqlserver": "SQL Server", "postgres": "PostgreSQL", "mlflow": "MLflow",
    "sftp": "SFTP", "gmail_inbox": "Gmail inbox", "dropbox": "Dropbox", "rydership": "Rydership",
    "gorgias": "Gorgias", "redo": "Redo", "bullhorn": "Bullhorn",
}

LOAD_MODES = ("append_event", "upsert", "replace")


@dataclass(frozen=True)
class Provider:
    key: str
    display_name: str
    runnable: bool
    unavailable_reason: str | None = None
    #: JSON Schema of a sync's sourceConfig.
    config_schema: dict[str, Any] = field(default_factory=dict)
    #: JSON Schema of a connection's config (its secrets are not described).
    connection_schema: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    resources: tuple[dict[str, Any], ...] = ()
    dynamic_resources: bool = False
    #: The executionModes its connector honours (others are refused at create).
    execution_modes: tuple[str, ...] = ("sequential",)


_POSTGRES_CONNECTION = {
    "type": "object",
    "properties": {
        "dsn": {"type": "string", "pattern": "^postgres(ql)?://", "description": "Connection URL; put the password in secrets.password"},
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "database": {"type": "string", "minLength": 1},
        "user": {"type": "string", "minLength": 1},
        "sslmode": {"enum": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]},
    },
    "anyOf": [{"required": ["dsn"]}, {"required": ["host", "database"]}],
}

_POSTGRES_SOURCE = {
    "type": "object",
    "properties": {
        "schema": {"type": "string", "minLength": 1, "description": "Schema of bare table names"},
        "tables": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "entityKey -> schema.table",
        },
        "queries": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "entityKey -> SELECT statement",
        },
    },
}

_POSTGRES = Provider(
    key="postgres",
    display_name="PostgreSQL",
    runnable=True,
    config_schema=_POSTGRES_SOURCE,
    connection_schema=_POSTGRES_CONNECTION,
    defaults={"loadMode": "upsert", "runMode": "incremental", "pageSize": 10000},
    # Entities are the source's tables (or named queries): discovered, not fixed.
    dynamic_resources=True,
    execution_modes=("sequential", "fan_out_entity", "fan_out_window"),
)


_PAGINATION = {
    "type": "object",
    "properties": {
        "type": {"enum": ["page", "offset", "cursor", "link", "next_url", "none"]},
        "pageParam": {"type": "string"}, "sizeParam": {"type": "string"}, "size": {"type": "integer", "minimum": 1},
        "startPage": {"type": "integer"}, "offsetParam": {"type": "string"}, "limitParam": {"type": "string"},
        "limit": {"type": "integer", "minimum": 1}, "startOffset": {"type": "integer", "minimum": 0},
        "cursorParam": {"type": "string"}, "nextCursorPath": {"type": "string"},
        "nextCursorHeader": {"type": "string"}, "nextUrlPath": {"type": "string"},
    },
    "required": ["type"],
}

_HTTP_ENTITY = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "minLength": 1, "description": "path under baseUrl; {field} takes a parent's field"},
        "recordPath": {"type": "string", "description": "dotted path of the record list in a response"},
        "primaryKey": {"type": "array", "items": {"type": "string"}},
        "cursorField": {"type": "string"},
        "cursorParam": {"type": "string", "description": "query parameter that receives the last cursor (>=)"},
        "cursorFormat": {"type": "string", "pattern": "\\{value\\}", "description": "filter text around the cursor, e.g. greater-than(updated,{value})"},
        "cursorOrder": {"enum": ["asc", "desc"], "description": "desc: the API lists newest first; stop at the last run's mark"},
        "cursorStart": {"type": ["string", "number"], "description": "cursor value of the first incremental read"},
        "pagination": _PAGINATION,
        "query": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "dependsOn": {"type": "string", "description": "parent entity: fetched once per parent record"},
        "parentFields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["path"],
}

# Connection-level settings of a generic JSON API; its secrets (token,
# apiKey, password) go in the connection's write-only secrets.
_HTTP_CONNECTION = {
    "type": "object",
    "properties": {
        "baseUrl": {"type": "string", "pattern": "^https?://"},
        "auth": {
            "type": "object",
            "properties": {
                "type": {"enum": ["none", "bearer", "api_key_header", "basic"]},
                "header": {"type": "string"},
                "username": {"type": "string"},
                "secretKey": {"type": "string", "description": "which connection secret holds the token or key"},
                "prefix": {"type": "string", "description": "text before the key in the API-key header"},
            },
            "required": ["type"],
        },
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0},
        "maxRetries": {"type": "integer", "minimum": 0},
        "retryBackoffSeconds": {"type": "number", "minimum": 0},
        "maxBackoffSeconds": {"type": "number", "minimum": 0},
    },
    "required": ["baseUrl"],
}

_HTTP_API = Provider(
    key="http_api",
    display_name="HTTP API",
    runnable=True,
    config_schema={
        "type": "object",
        "properties": {**_HTTP_CONNECTION["properties"], "entities": {"type": "object", "additionalProperties": _HTTP_ENTITY}},
    },
    connection_schema=_HTTP_CONNECTION,
    defaults={"loadMode": "upsert", "runMode": "incremental", "pageSize": 20000},
    # Entities are whatever the API serves, declared in sourceConfig.entities.
    dynamic_resources=True,
    execution_modes=("sequential", "fan_out_entity"),
)


def _not_runnable(key: str) -> Provider:
    return Provider(
        key=key,
        display_name=_DISPLAY[key],
        runnable=False,
        unavailable_reason=f"no {_DISPLAY[key]} connector is installed on this server's executors",
    )


CATALOG: dict[str, Provider] = {key: _not_runnable(key) for key in PROVIDERS}
CATALOG["postgres"] = _POSTGRES
CATALOG["http_api"] = _HTTP_API

# SaaS providers whose public API is a plain paginated JSON API are presets of
# http_api (server/dialects/syncs/presets): http_api with a fixed catalog. The
# other SaaS providers stay not runnable, with the reason their API is not one.
from dataclasses import replace as _replace  # noqa: E402

from syncplane.server.dialects.syncs import presets as _presets  # noqa: E402 - it imports nothing from here

for _preset in _presets.PRESETS.values():
    CATALOG[_preset.key] = _replace(_HTTP_API, **_presets.provider_fields(_preset))
for _key, _reason in _presets.NOT_RUNNABLE.items():
    CATALOG[_key] = _replace(CATALOG[_key], unavailable_reason=_reason)

# File sources (sftp, s3): CSV and JSON Lines files, incremental by modification time.
from syncplane.server.dialects.syncs.providers_files import file_providers  # noqa: E402 - it imports this module lazily

CATALOG.update(file_providers())


def get(key: str) -> Provider | None:
    return CATALOG.get(key)

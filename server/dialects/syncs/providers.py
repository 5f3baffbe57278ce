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


def get(key: str) -> Provider | None:
    return CATALOG.get(key)

"""The file providers of the syncs catalog: `sftp` and `s3`.

Both read CSV and JSON Lines files. A connection says where the server is
(its secrets — an SFTP password or private key, S3 access keys — go in the
connection's write-only `secrets`); a sync's `sourceConfig.entities` says
which files each entity reads and how they are spelled. Entities are
whatever the sync declares, so the catalog lists none; every entity is
incremental by file modification time (`_file_modified_at`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncplane.server.dialects.syncs.providers import Provider

#: The cursor of every file entity: its files' modification time.
FILE_CURSOR = "_file_modified_at"

_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}

_CSV_OPTIONS = {
    "type": "object",
    "properties": {
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "quoteChar": {"type": "string", "minLength": 1, "maxLength": 1},
        "header": {"type": "boolean", "description": "the first record names the columns (default true)"},
        "columns": {**_NAMES, "description": "column names (required when header is false; else they replace the header's)"},
        "nullValues": {"type": "array", "items": {"type": "string"}, "description": "field texts loaded as NULL (default [\"\"])"},
        "columnTypes": {
            "type": "object",
            "additionalProperties": {"enum": ["string", "integer", "number", "boolean", "json"]},
            "description": "column -> type; other columns load as text",
        },
    },
    "additionalProperties": False,
}

_FILE_ENTITY = {
    "type": "object",
    "properties": {
        "path": {
            "type": "string",
            "minLength": 1,
            # Relative, and never above the connection's root or prefix.
            "pattern": r"^(?!/)(?!(.*/)?\.\.(/|$))",
            "description": "glob (*, ?, [..] within a directory, ** across directories) or, without wildcards, a path prefix",
        },
        "format": {"enum": ["csv", "jsonl"]},
        "csv": _CSV_OPTIONS,
        "encoding": {"type": "string", "minLength": 1, "description": "text encoding (default utf-8)"},
        "primaryKey": _NAMES,
        "incremental": {"type": "boolean", "description": "incremental runs read files modified since the last run (default true)"},
        "fileColumns": {"type": "boolean", "description": "add _file_path and _file_modified_at to every row (default false)"},
    },
    "required": ["path", "format"],
    "additionalProperties": False,
}

_SOURCE = {
    "type": "object",
    "properties": {"entities": {"type": "object", "additionalProperties": _FILE_ENTITY, "description": "entityKey -> files"}},
    "additionalProperties": False,
}

_TIMEOUT = {"type": "number", "exclusiveMinimum": 0, "description": "connect and read timeout in seconds (default 30)"}

_SFTP_CONNECTION = {
    "type": "object",
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "username": {"type": "string", "minLength": 1},
        "root": {"type": "string", "description": "directory entity paths are relative to (default: the login directory)"},
        "hostKey": {
            "type": "string",
            "pattern": r"^(ssh-|ecdsa-|sk-)",
            "description": "the server's public host key (OpenSSH format); without it the host key is not verified",
        },
        "timeoutSeconds": _TIMEOUT,
    },
    "required": ["host", "username"],
    "additionalProperties": False,
}

_S3_CONNECTION = {
    "type": "object",
    "properties": {
        "bucket": {"type": "string", "minLength": 3, "maxLength": 63},
        "prefix": {"type": "string", "description": "key prefix entity paths are relative to"},
        "region": {"type": "string", "minLength": 1},
        "endpointUrl": {"type": "string", "pattern": "^https?://", "description": "an S3-compatible server instead of AWS"},
        "addressingStyle": {"enum": ["auto", "path", "virtual"]},
        "anonymous": {"type": "boolean", "description": "unsigned requests (a public bucket); else secrets are required"},
        "timeoutSeconds": _TIMEOUT,
    },
    "required": ["bucket"],
    "additionalProperties": False,
}

_DEFAULTS: dict[str, Any] = {
    "loadMode": "upsert",
    "runMode": "incremental",
    "pageSize": 10000,
    "cursorField": FILE_CURSOR,
    "formats": ["csv", "jsonl"],
}


def file_providers() -> dict[str, Provider]:
    """The `sftp` and `s3` providers, for the catalog (`providers.CATALOG`)."""
    # Imported here: the catalog module imports this one at its end.
    from syncplane.server.dialects.syncs.providers import Provider

    sftp = Provider(
        key="sftp",
        display_name="SFTP",
        runnable=True,
        config_schema=_SOURCE,
        connection_schema=_SFTP_CONNECTION,
        defaults={**_DEFAULTS, "secrets": ["password", "privateKey", "passphrase"]},
        dynamic_resources=True,
        execution_modes=("sequential", "fan_out_entity"),
    )
    s3 = Provider(
        key="s3",
        display_name="Amazon S3",
        runnable=True,
        config_schema=_SOURCE,
        connection_schema=_S3_CONNECTION,
        defaults={**_DEFAULTS, "secrets": ["accessKeyId", "secretAccessKey", "sessionToken"]},
        dynamic_resources=True,
        execution_modes=("sequential", "fan_out_entity"),
    )
    return {"sftp": sftp, "s3": s3}


__all__ = ["FILE_CURSOR", "file_providers"]

"""The plan of an `sftp` or `s3` sync attempt, parsed from `ctx.spec`.

The source config is the connection's config (where the server is) merged
with the sync's sourceConfig, whose `entities` maps each entity key to the
files it reads: a `path` (glob or prefix, relative to the connection's root
or prefix), a `format` ("csv" or "jsonl") with its options, and a
`primaryKey`. The server validated both against the provider's JSON
Schemas; this module checks what the connector relies on, so a plan made
some other way fails as config_error rather than half-way through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncplane.executor.destinations.bindings import TableBinding, column_names, entity_key, parse_binding
from syncplane.executor.plan import config_error, parse_envelope
from syncplane.executor.sources import s3_store, sftp_store
from syncplane.executor.sources.file_formats import COLUMN_TYPES, FORMATS, CsvOptions, FileFormat
from syncplane.executor.sources.file_store import PathPattern

#: The one cursor of a file entity: its files' modification time (also the
#: name of the column `fileColumns` adds).
CURSOR_FIELD = "_file_modified_at"
PATH_COLUMN = "_file_path"


@dataclass(frozen=True)
class FileEntity(TableBinding):
    """One entity: where it loads (its `TableBinding`; the key is the binding's,
    else the source config's; the cursor is always the files' modification
    time), which files, and how they are spelled.

    Attributes:
        pattern: which files.
        format: how their records are spelled.
        incremental: incremental runs read only files modified since the last run.
        file_columns: add `_file_path` and `_file_modified_at` to every record.
    """

    pattern: PathPattern
    format: FileFormat
    incremental: bool
    file_columns: bool


@dataclass(frozen=True)
class FileSyncSpec:
    """Attributes:
    provider: "sftp" or "s3".
    sync_id, run_mode, page_size, dest_schema: from the plan's envelope.
    store: where the files are (SftpConfig or S3Config).
    entities: in plan order.
    """

    provider: str
    sync_id: str
    run_mode: str
    page_size: int
    dest_schema: str
    store: sftp_store.SftpConfig | s3_store.S3Config
    entities: tuple[FileEntity, ...]


def _str(value: Any, what: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise config_error(f"{what} is required")
        return None
    if not isinstance(value, str):
        raise config_error(f"{what} must be a string")
    return value


def _bool(value: Any, what: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise config_error(f"{what} must be true or false")
    return value


def _number(value: Any, what: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise config_error(f"{what} must be a number > 0")
    return float(value)


def _path(value: Any, what: str) -> PathPattern:
    text = _str(value, what, required=True)
    assert text is not None
    if text.startswith("/") or ".." in text.split("/"):
        raise config_error(f"{what} must be relative, without '..' ({text!r})")
    return PathPattern.parse(text)


def _char(value: Any, what: str, default: str) -> str:
    text = _str(value, what) or default
    if len(text) != 1 or text in "\r\n":
        raise config_error(f"{what} must be one character (not a newline)")
    return text


def _csv_options(raw: Any, key: str) -> CsvOptions:
    what = f"entity {key!r}: csv"
    if raw is None:
        return CsvOptions()
    if not isinstance(raw, dict):
        raise config_error(f"{what} must be an object")
    header = _bool(raw.get("header"), f"{what}.header", True)
    columns = column_names(raw.get("columns"), f"{what}.columns")
    if not header and not columns:
        raise config_error(f"{what}: a file without a header needs columns")
    nulls = raw.get("nullValues", [""])
    if not isinstance(nulls, list) or not all(isinstance(v, str) for v in nulls):
        raise config_error(f"{what}.nullValues must be a list of strings")
    types = raw.get("columnTypes") or {}
    if not isinstance(types, dict) or not all(v in COLUMN_TYPES for v in types.values()):
        raise config_error(f"{what}.columnTypes must map columns to one of {list(COLUMN_TYPES)}")
    options = CsvOptions(
        delimiter=_char(raw.get("delimiter"), f"{what}.delimiter", ","),
        quote_char=_char(raw.get("quoteChar"), f"{what}.quoteChar", '"'),
        header=header,
        columns=columns,
        null_values=frozenset(nulls),
        column_types=tuple((str(k), str(v)) for k, v in types.items()),
    )
    if options.delimiter == options.quote_char:
        raise config_error(f"{what}: delimiter and quoteChar must differ")
    return options


def _format(config: dict[str, Any], key: str) -> FileFormat:
    kind = config.get("format")
    if kind not in FORMATS:
        raise config_error(f"entity {key!r}: format must be one of {list(FORMATS)}")
    encoding = _str(config.get("encoding"), f"entity {key!r}: encoding") or "utf-8"
    try:
        "".encode(encoding)
    except LookupError:
        raise config_error(f"entity {key!r}: unknown encoding {encoding!r}") from None
    csv = _csv_options(config.get("csv"), key) if kind == "csv" else CsvOptions()
    return FileFormat(kind=str(kind), encoding=encoding, csv=csv)


def _entity(raw: Any, configs: dict[str, Any]) -> FileEntity:
    key = entity_key(raw)
    config = configs.get(key)
    if not isinstance(config, dict):
        raise config_error(f"entity {key!r} is not described in the source config's entities")
    binding = parse_binding(raw, default_key=config.get("primaryKey"))
    if binding.cursor_field not in (None, CURSOR_FIELD):
        raise config_error(
            f"entity {key!r}: file sources advance by file modification time; cursorField must be unset or {CURSOR_FIELD!r}"
        )
    return FileEntity(
        **binding.fields(),
        pattern=_path(config.get("path"), f"entity {key!r}: path"),
        format=_format(config, key),
        incremental=_bool(config.get("incremental"), f"entity {key!r}: incremental", True),
        file_columns=_bool(config.get("fileColumns"), f"entity {key!r}: fileColumns", False),
    )


def _sftp(config: dict[str, Any]) -> sftp_store.SftpConfig:
    port = config.get("port", sftp_store.DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise config_error("port must be an integer from 1 to 65535")
    root = _str(config.get("root"), "root") or ""
    return sftp_store.SftpConfig(
        host=_str(config.get("host"), "host", required=True) or "",
        port=port,
        username=_str(config.get("username"), "username", required=True) or "",
        root=root,
        host_key=_str(config.get("hostKey"), "hostKey"),
        timeout_seconds=_number(config.get("timeoutSeconds"), "timeoutSeconds", sftp_store.DEFAULT_TIMEOUT_SECONDS),
    )


def _s3(config: dict[str, Any]) -> s3_store.S3Config:
    prefix = (_str(config.get("prefix"), "prefix") or "").lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # a prefix names a folder: "exports" is "exports/"
    style = config.get("addressingStyle") or "auto"
    if style not in ("auto", "path", "virtual"):
        raise config_error("addressingStyle must be auto, path or virtual")
    return s3_store.S3Config(
        bucket=_str(config.get("bucket"), "bucket", required=True) or "",
        prefix=prefix,
        region=_str(config.get("region"), "region") or s3_store.DEFAULT_REGION,
        endpoint_url=_str(config.get("endpointUrl"), "endpointUrl"),
        addressing_style=str(style),
        anonymous=_bool(config.get("anonymous"), "anonymous", False),
        timeout_seconds=_number(config.get("timeoutSeconds"), "timeoutSeconds", s3_store.DEFAULT_TIMEOUT_SECONDS),
    )


def parse_spec(spec: dict[str, Any], provider: str) -> FileSyncSpec:
    """Validates a sync plan of `provider` ("sftp" or "s3"); anything wrong is RunFailed(config_error)."""
    envelope = parse_envelope(spec, provider)
    config = envelope.source_config
    configs = config.get("entities") or {}
    if not isinstance(configs, dict):
        raise config_error("source config entities must be an object of entity key -> settings")
    entities = tuple(_entity(e, configs) for e in envelope.entities)
    if len({e.key for e in entities}) != len(entities):
        raise config_error("entity keys must be unique")
    return FileSyncSpec(
        provider=provider,
        sync_id=envelope.sync_id,
        run_mode=envelope.run_mode,
        page_size=envelope.page_size,
        dest_schema=envelope.dest_schema,
        store=_sftp(config) if provider == "sftp" else _s3(config),
        entities=entities,
    )


__all__ = ["CURSOR_FIELD", "PATH_COLUMN", "FileEntity", "FileSyncSpec", "parse_spec"]

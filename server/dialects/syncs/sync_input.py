"""Validation of a sync's writable fields, for create and update alike.

Violations name fields as the request message does ("sync.name"), in the
dialect's camelCase, so the gateway can place them in the body.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf import json_format

from syncplane.server.dialects import reserved
from syncplane.server.dialects.syncs import providers
from syncplane.server.dialects.validation import Checker
from syncplane.server.engine import cron
from syncplane.syncs.v1 import messages_pb2 as pb

EXECUTION_BACKENDS = ("native", "prefect", "temporal", "external")
EXECUTION_MODES = ("sequential", "fan_out_entity", "fan_out_window")
STATUSES = ("draft", "active", "paused", "error", "archived")
TRIGGER_MODES = ("manual", "scheduled", "on_create")
NAMING_VERSIONS = ("legacy", "v2")
RUN_MODES = ("incremental", "full")


_EXECUTION_CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "pageSize": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "executorGroup": {"type": "string", "minLength": 1, "maxLength": 100},
        # Which workers take the sync's runs, whichever backend runs them (the
        # engine's executor group: native executors of that group, outside
        # workers claiming that queue); executorGroup wins when both are set.
        "queue": {"type": "string", "minLength": 1, "maxLength": 100},
        "maxAutoResumeAttempts": {"type": "integer", "minimum": 0, "maximum": 20},
        "maxParallelism": {"type": "integer", "minimum": 1, "maximum": 16},
        "windowSize": {
            "description": "fan_out_window: window width in key units, or seconds / an interval text for date-time keys",
            "oneOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": "^\\s*\\d+(\\.\\d+)?\\s*[a-z]+(\\s+\\d+(\\.\\d+)?\\s*[a-z]+)*\\s*$"}],
        },
    },
}
_DESTINATION_SCHEMA = {
    "type": "object",
    "properties": {
        "schema": {"type": "string"},
        "dsn": {"type": "string", "pattern": "^postgres(ql)?://"},
    },
}

# SyncInput field -> column, for the fields an update mask may name.
MASKABLE = {
    "name": "name", "slug": "slug", "entities": "entities", "source_config": "source_config",
    "destination_config": "destination_config", "execution_backend": "execution_backend",
    "execution_config": "execution_config", "execution_mode": "execution_mode",
    "freshness_sla_seconds": "freshness_sla_seconds", "schedule": "schedule", "status": "status",
    "table_bindings": "table_bindings", "trigger_mode": "trigger_mode",
}


def _dict(msg: Any) -> dict[str, Any]:
    return json_format.MessageToDict(msg)


def defaults() -> dict[str, Any]:
    return {
        "name": None, "slug": None, "entities": [], "source_config": {}, "destination_config": {},
        "execution_backend": "native", "execution_config": {}, "execution_mode": "sequential",
        "status": "draft", "trigger_mode": "manual", "schedule": None, "freshness_sla_seconds": None,
        "table_bindings": [],
    }


def apply(values: dict[str, Any], inp: pb.SyncInput, fields: set[str], previous_bindings: list[dict[str, Any]]) -> dict[str, Any]:
    """Copies the named fields of `inp` over `values` (a field present with no
    value clears it to its default)."""
    out = dict(values)
    base = defaults()
    for field in fields:
        column = MASKABLE[field]
        descriptor = pb.SyncInput.DESCRIPTOR.fields_by_name[field]
        if field == "table_bindings":
            out[column] = _bindings(inp, previous_bindings)
        elif descriptor.message_type is not None:
            out[column] = _dict(getattr(inp, field)) if inp.HasField(field) else (None if field == "schedule" else {})
        elif descriptor.is_repeated:
            out[column] = list(getattr(inp, field))
        elif inp.HasField(field):
            out[column] = getattr(inp, field)
        else:
            out[column] = base[column]
    return out


def _bindings(inp: pb.SyncInput, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    kept = {b["entityKey"]: b for b in previous}
    out = []
    for b in inp.table_bindings:
        old = kept.get(b.entity_key, {})
        item = {
            "id": old.get("id") or str(uuid.uuid4()),
            "entityKey": b.entity_key,
            "primaryKeyColumns": list(b.primary_key_columns),
            "loadMode": b.load_mode if b.HasField("load_mode") else None,
            "tableNamingVersion": b.table_naming_version if b.HasField("table_naming_version") else "legacy",
            "createdAt": old.get("createdAt") or now,
            "updatedAt": now,
        }
        for attr, key in (
            ("logical_table_name", "logicalTableName"),
            ("physical_table_name", "physicalTableName"),
            ("table_name", "tableName"),
            ("cursor_field", "cursorField"),
            ("source_instance_key", "sourceInstanceKey"),
        ):
            item[key] = getattr(b, attr) if b.HasField(attr) else None
        out.append(item)
    return out


def validate(
    values: dict[str, Any],
    provider_key: str,
    prefix: str = "sync",
    *,
    offered: Sequence[str] = ("native",),
    backend_setting: Callable[[str], str] = lambda name: "",
) -> None:
    """Checks a complete set of sync values; raises InvalidArgument.

    `offered` are the execution backends this server runs; `backend_setting`
    names what configures one that is not (the engine knows both)."""
    c = Checker()
    p = prefix + "."
    if c.required(p + "name", values["name"]):
        c.length(p + "name", values["name"], 1, 255)
    if values["slug"] is not None:
        c.length(p + "slug", values["slug"], 1, 255)
    for i, entity in enumerate(values["entities"]):
        if not entity:
            c.add(f"{p}entities.{i}", "String should have at least 1 character", "string_too_short")
    for field, key, allowed in (
        ("executionBackend", "execution_backend", EXECUTION_BACKENDS),
        ("executionMode", "execution_mode", EXECUTION_MODES),
        ("status", "status", STATUSES),
        ("triggerMode", "trigger_mode", TRIGGER_MODES),
    ):
        c.choice(p + field, values[key], allowed)
    backend = values["execution_backend"]
    if backend in EXECUTION_BACKENDS and backend not in offered:
        # Accepting it would store a sync whose runs nothing here would take.
        setting = backend_setting(backend)
        c.add(
            p + "executionBackend",
            f"executionBackend '{backend}' is not configured on this server"
            + (f"; set {setting} to offer it" if setting else "")
            + f" (offered here: {', '.join(repr(b) for b in offered)})",
            "not_supported",
        )
    if values["freshness_sla_seconds"] is not None:
        c.int_range(p + "freshnessSlaSeconds", values["freshness_sla_seconds"], 1)
    provider = providers.get(provider_key)
    if provider is not None:
        c.json_schema(p + "sourceConfig", values["source_config"], provider.config_schema)
        _validate_entities(c, p, values, provider)
        mode = values["execution_mode"]
        if mode in EXECUTION_MODES and mode not in provider.execution_modes:
            # Accepting it would store a sync that silently runs another way.
            c.add(
                p + "executionMode",
                f"executionMode '{mode}' is not supported by the {provider.display_name} source;"
                f" use one of {list(provider.execution_modes)}",
                "not_supported",
            )
    c.json_schema(p + "executionConfig", values["execution_config"], _EXECUTION_CONFIG_SCHEMA)
    c.json_schema(p + "destinationConfig", values["destination_config"], _DESTINATION_SCHEMA)
    schema = values["destination_config"].get("schema")
    if isinstance(schema, str):
        if not reserved.is_identifier(schema):
            c.add(p + "destinationConfig.schema", f"'{schema}' is not a usable schema name", "value_error")
        elif (problem := reserved.schema_problem(schema)) is not None:
            c.add(p + "destinationConfig.schema", f"{problem}; choose another schema", "reserved_name")
    _validate_bindings(c, p, values["table_bindings"])
    _validate_schedule(c, p, values)
    c.raise_if_any()


SCHEDULE_OVERLAP = ("skip", "wait")


def _validate_schedule(c: Checker, p: str, values: dict[str, Any]) -> None:
    schedule = values["schedule"]
    if values["trigger_mode"] == "scheduled" and not schedule:
        c.add(p + "schedule", "a scheduled sync needs a schedule: {\"cron\": \"...\", \"timezone\": \"UTC\"}", "missing")
        return
    if not schedule:
        return
    f = p + "schedule."
    if not cron.valid_cron(schedule.get("cron", "")):
        c.add(f + "cron", "not a valid cron expression (5 fields, or 6 with seconds last, firing at least once every 5 years)", "value_error")
    tz = schedule.get("timezone", "UTC")
    if not isinstance(tz, str) or not cron.valid_timezone(tz):
        c.add(f + "timezone", f"unknown timezone {tz!r}", "value_error")
    overlap = schedule.get("overlap", "skip")
    if not isinstance(overlap, str):
        c.add(f + "overlap", "Input should be a valid string", "string_type")
    else:
        c.choice(f + "overlap", overlap, SCHEDULE_OVERLAP)


def _validate_bindings(c: Checker, p: str, bindings: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, b in enumerate(bindings):
        f = f"{p}tableBindings.{i}."
        if c.required(f + "entityKey", b["entityKey"], empty_is_missing=True):
            if b["entityKey"] in seen:
                c.add(f + "entityKey", f"entityKey '{b['entityKey']}' is bound twice", "value_error")
            seen.add(b["entityKey"])
        if b["loadMode"] is not None:
            c.choice(f + "loadMode", b["loadMode"], providers.LOAD_MODES)
        c.choice(f + "tableNamingVersion", b["tableNamingVersion"], NAMING_VERSIONS)
        for key in ("tableName", "physicalTableName", "cursorField"):
            if b.get(key) is not None and not reserved.is_identifier(b[key]):
                c.add(f + key, f"'{b[key]}' is not a valid PostgreSQL identifier", "value_error")
            elif key != "cursorField" and b.get(key) is not None and (problem := reserved.table_problem(b[key])):
                c.add(f + key, f"{problem}; choose another table name", "reserved_name")
        for j, col in enumerate(b["primaryKeyColumns"]):
            if not reserved.is_identifier(col):
                c.add(f"{f}primaryKeyColumns.{j}", f"'{col}' is not a valid PostgreSQL identifier", "value_error")


def _validate_entities(c: Checker, p: str, values: dict[str, Any], provider: providers.Provider) -> None:
    """A provider with a fixed catalog (a preset) syncs only its entities, parents included."""
    if provider.dynamic_resources or not provider.resources:
        return
    known = {r["entityKey"]: r for r in provider.resources}
    names = ", ".join(known)
    for i, key in enumerate(values["entities"]):
        if key and key not in known:
            c.add(f"{p}entities.{i}", f"unknown entity '{key}' for provider {provider.key}; one of: {names}", "unknown_entity")
    for i, b in enumerate(values["table_bindings"]):
        key = b["entityKey"]
        if key and key not in known:
            c.add(f"{p}tableBindings.{i}.entityKey", f"unknown entity '{key}' for provider {provider.key}; one of: {names}", "unknown_entity")
    selected = values["entities"] or [b["entityKey"] for b in values["table_bindings"]]
    for i, key in enumerate(selected):
        # A child is fetched per record of its parent's table: without the parent it has nothing to read.
        missing = [d for d in (known.get(key) or {}).get("dependsOn", []) if d not in selected]
        if missing:
            where = f"{p}entities.{i}" if values["entities"] else f"{p}tableBindings.{i}.entityKey"
            c.add(where, f"entity '{key}' is fetched per record of {missing}; select {missing} too", "missing_dependency")

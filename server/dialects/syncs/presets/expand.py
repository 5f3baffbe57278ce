"""A preset + a connection + a sync's sourceConfig -> the complete `http_api`
source config an executor runs (built at trigger time, so a fixed preset
applies to the next run of every sync)."""

from __future__ import annotations

from string import Template
from typing import Any

import structlog

from syncplane.server.dialects.syncs.presets.catalog import CLIENT_SETTINGS
from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity

log = structlog.get_logger(__name__)


def _fill(template: str, settings: dict[str, Any]) -> str:
    # substitute, not safe_substitute: a missing setting must fail here, not
    # become a literal "$apiVersion" in a request path.
    return Template(template).substitute({k: str(v) for k, v in settings.items()})


def _entity(
    entity: PresetEntity, settings: dict[str, Any], override: dict[str, Any], start: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": _fill(entity.path, settings),
        "recordPath": entity.record_path,
        "primaryKey": list(entity.primary_key),
        "pagination": dict(entity.pagination),
        "query": {**entity.query, **(override.get("query") or {})},
    }
    if entity.cursor_field is not None:
        out["cursorField"] = entity.cursor_field
        out["cursorOrder"] = entity.cursor_order
    if entity.cursor_param is not None:
        out["cursorParam"] = entity.cursor_param
    if entity.cursor_format is not None:
        out["cursorFormat"] = entity.cursor_format
    start = override.get("startDate") or start
    if start is not None and entity.start_date_applies:
        out["cursorStart"] = start
    if entity.depends_on is not None:
        out["dependsOn"] = entity.depends_on
        out["parentFields"] = dict(entity.parent_fields)
    return out


def source_config(
    preset: Preset, connection: dict[str, Any], source: dict[str, Any], entity_keys: list[str]
) -> dict[str, Any]:
    """The http_api source config for the selected entities (validated earlier against the catalog).

    Raises:
        KeyError: a setting a template needs is missing (the connection schema requires them).
    """
    settings = {**connection}
    auth = {k: _fill(v, settings) for k, v in preset.auth.items()}
    auth["secretKey"] = preset.secret
    overrides = source.get("entities") or {}
    entities: dict[str, Any] = {}
    for key in entity_keys:
        entity = preset.entity(key)
        if entity is None:
            # Validation keeps unknown entities out; one left in an old sync fails its run clearly.
            log.warning("preset.unknown_entity", provider=preset.key, entity=key)
            continue
        entities[key] = _entity(entity, settings, overrides.get(key) or {}, source.get("startDate"))
    out: dict[str, Any] = {
        "baseUrl": connection.get("baseUrl") or _fill(preset.base_url, settings),
        "auth": auth,
        "headers": {k: _fill(v, settings) for k, v in preset.headers.items()},
        "entities": entities,
    }
    out.update({k: connection[k] for k in CLIENT_SETTINGS if k in connection})
    log.info(
        "preset.expanded",
        provider=preset.key,
        entities=list(entities),
        base_url_override="baseUrl" in connection,
    )
    return out


__all__ = ["source_config"]

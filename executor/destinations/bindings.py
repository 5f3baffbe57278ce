"""Table bindings: where each entity of a sync plan loads, and how. Defined once for every connector.

An entity of a sync plan is `{"entityKey": ..., "binding": {...}}`; the
binding names the destination table (`tableName`, default: the key's last
dotted part), its key (`primaryKeyColumns`), the field incremental runs
advance on (`cursorField`) and the load mode (`loadMode`):

- upsert: rows replace the rows with the same key (the default);
- append_event: rows are appended, each with the attempt that loaded it;
- replace: the run loads a table of its own, swapped in for the target at the end.

A connector whose source describes its entities (an API, files) may supply a
default key and cursor from there; the binding's own win.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from syncplane.executor.plan import config_error

LOAD_MODES = ("upsert", "append_event", "replace")


@dataclass(frozen=True)
class TableBinding:
    """One entity's binding.

    Attributes:
        key: the entity key.
        table_name: destination table (bare name, in the destination schema).
        primary_key: key columns; empty when neither the binding nor the source names any.
        cursor_field: the field incremental runs advance on, if any.
        load_mode: one of LOAD_MODES.
    """

    key: str
    table_name: str
    primary_key: tuple[str, ...]
    cursor_field: str | None
    load_mode: str

    def fields(self) -> dict[str, Any]:
        """The binding's fields, to build a connector's entity type that extends it."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(TableBinding)}


def entity_key(raw: Any) -> str:
    """The key of one of the plan's entities (config_error if it has none)."""
    if not isinstance(raw, dict) or not raw.get("entityKey"):
        raise config_error("every entity needs an entityKey")
    return str(raw["entityKey"])


def column_names(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise config_error(f"{what} must be a list of column names")
    return tuple(value)


def _name_or_none(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise config_error(f"{what} must be a column name")
    return value


def parse_binding(
    raw: Any, *, default_key: Any = None, default_cursor: Any = None, upsert_needs_key: bool = True
) -> TableBinding:
    """Validates one entity's binding; anything wrong is RunFailed(config_error).

    `default_key` and `default_cursor` come from the source's description of the
    entity; `upsert_needs_key=False` when the connector finds the key at the
    source (a table's primary key).
    """
    key = entity_key(raw)
    binding = raw.get("binding") or {}
    if not isinstance(binding, dict):
        raise config_error(f"entity {key!r}: binding must be an object")
    load_mode = str(binding.get("loadMode") or "upsert")
    if load_mode not in LOAD_MODES:
        raise config_error(f"entity {key!r}: loadMode {load_mode!r} is not one of {list(LOAD_MODES)}")
    pk = column_names(binding.get("primaryKeyColumns"), f"entity {key!r}: primaryKeyColumns") or column_names(
        default_key, f"entity {key!r}: primaryKey"
    )
    if upsert_needs_key and load_mode == "upsert" and not pk:
        raise config_error(f"entity {key!r}: upsert needs primaryKeyColumns")
    cursor = _name_or_none(binding.get("cursorField"), f"entity {key!r}: cursorField") or _name_or_none(
        default_cursor, f"entity {key!r}: cursorField"
    )
    return TableBinding(
        key=key,
        table_name=str(binding.get("tableName") or key.rpartition(".")[2]),
        primary_key=pk,
        cursor_field=cursor,
        load_mode=load_mode,
    )


__all__ = ["LOAD_MODES", "TableBinding", "column_names", "entity_key", "parse_binding"]

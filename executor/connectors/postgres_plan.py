"""The plan of a `postgres` sync attempt, parsed and validated from `ctx.spec`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncplane.executor.destinations.bindings import LOAD_MODES, TableBinding, parse_binding
from syncplane.executor.plan import (
    DEFAULT_PAGE_SIZE,
    EXECUTION_MODES,
    MAX_PAGE_SIZE,
    RUN_MODES,
    config_error,
    parse_envelope,
    parse_execution,
)
from syncplane.executor.sources.pg_source import Column, Lower, SourceRelation

#: Rows per batch when the plan names none. Large enough that per-batch round
#: trips and commits (fsync) are noise, small enough that one batch's
#: transaction stays short and a resume repeats little (see bench/README.md).

#: One entity of the plan: a source table or query loaded into one destination
#: table; an empty primary key means the source table's.
EntitySpec = TableBinding


@dataclass(frozen=True)
class SyncSpec:
    """The parts of a sync plan this connector uses.

    Attributes:
        sync_id: the sync; the key of its fence and cursor state.
        run_mode: "full" or "incremental".
        page_size: rows per batch.
        source_config: the source provider's config (no secrets).
        dest_schema: destination schema for targets and state tables.
        entities: in load order.
    """

    sync_id: str
    run_mode: str
    page_size: int
    source_config: dict[str, Any]
    dest_schema: str
    entities: tuple[EntitySpec, ...]
    #: "sequential", "fan_out_entity" or "fan_out_window".
    execution_mode: str = "sequential"
    #: Entities (fan_out_entity) or windows (fan_out_window) loaded at once.
    max_parallelism: int = 4
    #: fan_out_window: the width of a window in key units (seconds or an
    #: interval for date/time keys); None cuts windows of equal row counts.
    window_size: int | float | str | None = None


_config_error = config_error


def _parse_entity(raw: Any) -> EntitySpec:
    # The key may come from the source table (found when the entity loads).
    return parse_binding(raw, upsert_needs_key=False)


def parse_spec(spec: dict[str, Any]) -> SyncSpec:
    """Validates a sync plan; anything wrong is RunFailed(config_error)."""
    envelope = parse_envelope(spec, "postgres")
    parsed = tuple(_parse_entity(e) for e in envelope.entities)
    keys = [e.key for e in parsed]
    if len(set(keys)) != len(keys):
        raise _config_error("entity keys must be unique")
    mode, parallelism = parse_execution(spec)
    window_size = spec.get("windowSize")
    if window_size is not None and (
        isinstance(window_size, bool)
        or not isinstance(window_size, (int, float, str))
        or (not isinstance(window_size, str) and window_size <= 0)
        or (isinstance(window_size, str) and not window_size.strip())
    ):
        raise _config_error("windowSize must be a positive number or an interval such as '1 day'")
    return SyncSpec(
        execution_mode=mode,
        max_parallelism=parallelism,
        window_size=window_size,
        sync_id=envelope.sync_id,
        run_mode=envelope.run_mode,
        page_size=envelope.page_size,
        source_config=envelope.source_config,
        dest_schema=envelope.dest_schema,
        entities=parsed,
    )



@dataclass(frozen=True)
class ReadPlan:
    """How one entity is read in this run chain.

    Attributes:
        kind: "full" or "incremental".
        keyset: the columns batches are ordered and bounded by (empty: one pass).
        start: where the read starts before any batch committed.
        high_water: how the cursor for the next incremental run is found:
            "start_max" (largest cursor when a full upsert read began: rows
            updated during the read are read again next time), "max_seen"
            (largest (cursor, key) the read loaded, for full append_event
            reads), "last" (the last key read, when the keyset starts with the
            cursor) or None.
        high_water_columns: the columns that mark is made of.
        null_pass: a full read whose keyset can be NULL ends with one batch of
            the rows a key range cannot reach.
    """

    kind: str
    keyset: tuple[Column, ...]
    start: Lower | None
    high_water: str | None
    high_water_columns: tuple[Column, ...]
    null_pass: bool


def key_names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]


def key_and_cursor(entity: EntitySpec, rel: SourceRelation) -> tuple[tuple[str, ...], Column | None]:
    """The entity's key (the binding's, else the source table's primary key) and cursor column."""
    pk = entity.primary_key or (rel.primary_key if rel.ref.table is not None else ())
    missing = [c for c in pk if rel.column(c) is None]
    if missing:
        raise _config_error(f"entity {entity.key}: key columns {missing} are not in the source")
    cursor = None
    if entity.cursor_field:
        cursor = rel.column(entity.cursor_field)
        if cursor is None:
            raise _config_error(f"entity {entity.key}: cursor field {entity.cursor_field!r} is not in the source")
    if entity.load_mode == "upsert" and not pk:
        raise _config_error(f"entity {entity.key}: upsert needs primaryKeyColumns (the source has no primary key)")
    return pk, cursor


def wants_incremental(spec: SyncSpec, entity: EntitySpec) -> bool:
    """Whether this run reads the entity incrementally (when a high-water mark exists).

    replace always reads everything; an incremental run of an entity without a
    cursor reads in full, except append_event, where that would duplicate
    every event.
    """
    if spec.run_mode != "incremental" or entity.load_mode == "replace":
        return False
    if entity.cursor_field is None:
        if entity.load_mode == "append_event":
            raise _config_error(f"entity {entity.key}: an incremental append_event load needs a cursorField")
        return False
    return True


def plan_read(
    entity: EntitySpec,
    rel: SourceRelation,
    pk: tuple[str, ...],
    cursor: Column | None,
    *,
    saved: dict[str, Any] | None,
    mark: dict[str, Any] | None,
) -> ReadPlan:
    """How to read the entity.

    `saved` is the run chain's state (a resumed attempt keeps the first
    attempt's kind and start); `mark` the high-water mark from the last run,
    present only when this run is incremental.
    """
    mode = entity.load_mode
    key_cols = tuple(sorted((c for c in rel.columns if c.name in pk), key=lambda c: pk.index(c.name)))
    after_cursor = tuple(c for c in key_cols if cursor is None or c.name != cursor.name)

    if saved is not None:
        kind = saved["read"]
        start = Lower(tuple(saved["from"]["values"]), saved["from"]["closed"]) if saved.get("from") else None
    elif mark is not None and cursor is not None:
        kind = "incremental"
        if mode == "upsert":
            start = Lower((mark["values"][0],), closed=True)
        elif mark.get("keyColumns") == [cursor.name] + key_names(after_cursor):
            start = Lower(tuple(mark["values"]))
        else:
            # A mark without the key (it came from another load mode): strictly
            # after the cursor value, the closest to no duplicates.
            start = Lower((mark["values"][0],))
    else:
        kind, start = "full", None

    if kind == "incremental":
        assert cursor is not None
        keyset = (cursor,) + after_cursor
        high_water, hw_cols = "last", keyset
    else:
        keyset = key_cols or ((cursor,) if cursor else ())
        high_water, hw_cols = None, ()
        if cursor is not None and mode == "upsert":
            high_water, hw_cols = "start_max", (cursor,)
        elif cursor is not None and mode == "append_event":
            hw_cols = (cursor,) + after_cursor
            high_water = "last" if hw_cols == keyset else "max_seen"
    null_pass = kind == "full" and any(not c.not_null for c in keyset)
    return ReadPlan(kind, keyset, start, high_water, hw_cols, null_pass)


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "EXECUTION_MODES",
    "EntitySpec",
    "LOAD_MODES",
    "MAX_PAGE_SIZE",
    "RUN_MODES",
    "ReadPlan",
    "SyncSpec",
    "key_and_cursor",
    "key_names",
    "parse_spec",
    "plan_read",
    "wants_incremental",
]

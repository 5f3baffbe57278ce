"""The envelope every sync plan shares, whatever its source: sync id, run
mode, page size, source config, entities and destination schema. Connectors
parse their own entity settings on top of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncplane.executor.context import RunFailed

DEFAULT_PAGE_SIZE = 20_000
MAX_PAGE_SIZE = 1_000_000
RUN_MODES = ("full", "incremental")
EXECUTION_MODES = ("sequential", "fan_out_entity", "fan_out_window")
DEFAULT_PARALLELISM = 4


def config_error(message: str) -> RunFailed:
    return RunFailed(message, "config_error")


@dataclass(frozen=True)
class Envelope:
    sync_id: str
    run_mode: str
    page_size: int
    #: The source provider's config (connection config + sourceConfig), no secrets.
    source_config: dict[str, Any]
    #: The plan's entities, unparsed, in plan order.
    entities: list[Any]
    dest_schema: str


def parse_envelope(spec: dict[str, Any], provider: str) -> Envelope:
    """Validates the shared part of a sync plan; anything wrong is RunFailed(config_error)."""
    if not spec.get("syncId"):
        raise config_error("plan has no syncId")
    run_mode = str(spec.get("runMode") or "full")
    if run_mode not in RUN_MODES:
        raise config_error(f"runMode {run_mode!r} is not one of {list(RUN_MODES)}")
    page_size = spec.get("pageSize") or DEFAULT_PAGE_SIZE
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise config_error(f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}")
    source = spec.get("source") or {}
    if source.get("provider", provider) != provider:
        raise config_error(f"source provider {source.get('provider')!r} is not {provider}")
    config = source.get("config") or {}
    if not isinstance(config, dict):
        raise config_error("source config must be an object")
    entities = spec.get("entities") or []
    if not isinstance(entities, list):
        raise config_error("entities must be a list")
    return Envelope(
        sync_id=str(spec["syncId"]),
        run_mode=run_mode,
        page_size=page_size,
        source_config=config,
        entities=entities,
        dest_schema=str((spec.get("destination") or {}).get("schema") or "public"),
    )


def parse_execution(spec: dict[str, Any]) -> tuple[str, int]:
    """The plan's executionMode and maxParallelism (entities or windows loaded at once)."""
    mode = str(spec.get("executionMode") or "sequential")
    if mode not in EXECUTION_MODES:
        raise config_error(f"executionMode {mode!r} is not one of {list(EXECUTION_MODES)}")
    parallelism = spec.get("maxParallelism") or DEFAULT_PARALLELISM
    if not isinstance(parallelism, int) or isinstance(parallelism, bool) or not 1 <= parallelism <= 64:
        raise config_error("maxParallelism must be an integer from 1 to 64")
    return mode, parallelism

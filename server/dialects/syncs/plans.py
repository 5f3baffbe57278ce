"""What an executor runs for a sync: the plan built at trigger time, and the
engine hooks of the "sync" subject kind."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from syncplane.server.db import schedules as schedules_db
from syncplane.server.db import syncs as db
from syncplane.server.db.models import Run
from syncplane.server.db.runs import NewRun
from syncplane.server.db.sync_models import Connection, Sync
from syncplane.server.dialects import secret_fields
from syncplane.server.dialects.syncs import presets, providers
from syncplane.server.engine import cron
from syncplane.server.engine.hooks import BaseKindHooks

KIND = "sync"
DEFAULT_PAGE_SIZE = 10_000
DEFAULT_AUTO_RESUMES = 3
# After this many failed runs in a row an active sync shows status "error".
ERROR_AFTER_FAILURES = 3

_IDENT = re.compile(r"[^a-z0-9_]+")


def default_table_name(entity_key: str) -> str:
    """A PostgreSQL identifier for an entity ("public.Orders" -> "orders")."""
    name = _IDENT.sub("_", entity_key.rsplit(".", 1)[-1].lower()).strip("_")
    return (name or "entity")[:63]


def entity_keys(sync: Sync) -> list[str]:
    if sync.entities:
        return list(sync.entities)
    return [b["entityKey"] for b in sync.table_bindings]


def binding_plan(sync: Sync, entity_key: str) -> dict[str, Any]:
    provider = providers.get(sync.provider_key)
    defaults = provider.defaults if provider else {}
    # A catalog resource's own default (e.g. append_event for events) beats the provider's.
    resource = next((r for r in (provider.resources if provider else ()) if r["entityKey"] == entity_key), {})
    found = next((b for b in sync.table_bindings if b["entityKey"] == entity_key), {})
    default_table = default_table_name(defaults.get("tableNamePrefix", "") + entity_key)
    return {
        "tableName": found.get("tableName") or found.get("physicalTableName") or default_table,
        "primaryKeyColumns": list(found.get("primaryKeyColumns") or []),
        "cursorField": found.get("cursorField"),
        "loadMode": found.get("loadMode") or resource.get("loadMode") or defaults.get("loadMode", "upsert"),
    }


def source_plan(sync: Sync, connection: Connection) -> tuple[str, dict[str, Any]]:
    """The connector that runs a sync and the plan's source.

    A preset provider runs on the http_api connector with its preset expanded
    into a complete http_api config; the preset's key stays beside it for logs.
    """
    config = connection.config or {}
    preset = presets.get(sync.provider_key)
    if preset is None:
        return sync.provider_key, {"provider": sync.provider_key, "config": {**config, **(sync.source_config or {})}}
    expanded = presets.source_config(preset, config, sync.source_config or {}, entity_keys(sync))
    return presets.CONNECTOR, {"provider": presets.CONNECTOR, "preset": preset.key, "config": expanded}


def build_run(
    sync: Sync, connection: Connection, run_mode: str, triggered_by: str, trigger_ref: str | None
) -> NewRun:
    execution = sync.execution_config or {}
    destination = sync.destination_config or {}
    connector, source = source_plan(sync, connection)
    spec = {
        "syncId": str(sync.id),
        "pageSize": int(execution.get("pageSize", DEFAULT_PAGE_SIZE)),
        "executionMode": sync.execution_mode,
        "maxParallelism": int(execution.get("maxParallelism", 4)),
        "windowSize": execution.get("windowSize"),
        "source": source,
        "entities": [{"entityKey": key, "binding": binding_plan(sync, key)} for key in entity_keys(sync)],
        "destination": {"schema": destination.get("schema", "public"), "dsn": destination.get("dsn")},
    }
    if execution.get("taskQueue"):
        # Where an outside backend runs it (the `temporal` backend's task queue).
        spec["taskQueue"] = str(execution["taskQueue"])
    credentials = {"source": str(connection.credential_id)}
    if sync.credential_id is not None:
        credentials["destination"] = str(sync.credential_id)
    return NewRun(
        subject_kind=KIND,
        subject_id=sync.id,
        connector=connector,
        spec=spec,
        triggered_by=triggered_by,
        run_mode=run_mode,
        concurrency_key=f"sync:{sync.id}",
        trigger_ref=trigger_ref,
        execution_backend=sync.execution_backend,
        execution_mode=sync.execution_mode,
        executor_group=str(execution.get("executorGroup") or execution.get("queue") or "default"),
        credential_ids=credentials,
        max_auto_resume_attempts=int(execution.get("maxAutoResumeAttempts", DEFAULT_AUTO_RESUMES)),
    )


# "error" keeps running on schedule: the next success clears it.
SCHEDULED_STATUSES = ("active", "error")


async def sync_schedule(conn: asyncpg.Connection, sync: Sync) -> None:
    """Keeps the engine's schedule row in step with the sync (after create/update)."""
    schedule = sync.schedule or {}
    if sync.trigger_mode != "scheduled" or not schedule.get("cron"):
        await schedules_db.delete_schedule(conn, KIND, sync.id)
        return
    tz = schedule.get("timezone", "UTC")
    first = cron.next_after(schedule["cron"], tz, datetime.now(UTC))
    await schedules_db.upsert_schedule(
        conn, KIND, sync.id, schedule["cron"], tz, schedule.get("overlap", "skip"),
        sync.status in SCHEDULED_STATUSES, first,
    )


def with_password(dsn: str, password: str | None) -> str:
    if not password:
        return dsn
    parts = urlsplit(dsn)
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0] or "postgres"
    return urlunsplit((parts.scheme, f"{user}:{quote(password, safe='')}@{host}", parts.path, parts.query, parts.fragment))


class SyncHooks(BaseKindHooks):
    """The engine's view of the "sync" subject kind."""

    def __init__(self, data_store_url: str) -> None:
        self._data_store_url = data_store_url

    def prepare_assignment(self, run: Run, secrets: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        # The run mode is the engine's (a column a retry may change); the
        # executor's plan carries it.
        spec = {**run.spec, "runMode": run.run_mode}
        destination = dict(spec.get("destination") or {})
        dsn = destination.pop("dsn", None)
        spec["destination"] = destination
        dest_secrets = secrets.get("destination") or {}
        out = {
            "source": secrets.get("source") or {},
            "destinationDsn": with_password(dsn, dest_secrets.get("password")) if dsn else self._data_store_url,
        }
        return spec, out

    async def scheduled_run(self, conn: asyncpg.Connection, subject_id: object, slot: datetime) -> NewRun | None:
        """The run a schedule slot starts; None when the sync may not run now."""
        sync = await db.get_sync(conn, subject_id)  # type: ignore[arg-type]  # the hook protocol passes the subject id untyped
        if sync is None or sync.trigger_mode != "scheduled" or sync.status not in SCHEDULED_STATUSES:
            return None
        connection = await db.get_connection(conn, sync.connection_id)
        if connection is None or not entity_keys(sync):
            return None
        return build_run(sync, connection, "incremental", "schedule", slot.isoformat())

    async def slot_refused(self, conn: asyncpg.Connection, subject_id: object, slot: datetime, reason: str) -> None:
        """A slot that queued nothing (its backend is not offered) shows as the sync's lastError."""
        await db.sync_slot_refused(conn, subject_id, f"scheduled run at {slot.isoformat()} not started: {reason}")  # type: ignore[arg-type]  # the hook protocol passes the subject id untyped

    async def on_terminal(self, conn: asyncpg.Connection, run: Run) -> None:
        if run.status == "succeeded":
            await db.sync_succeeded(conn, run.subject_id, run.completed_at)
        elif run.status == "failed":
            await db.sync_failed(conn, run.subject_id, run.error or "failed", ERROR_AFTER_FAILURES)


def split_destination(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Moves a password out of destinationConfig.dsn (userinfo or ?password=) into write-only secrets."""
    dsn = config.get("dsn")
    if not isinstance(dsn, str):
        return config, {}
    clean, password = secret_fields.split_dsn(dsn)
    if password is None:
        return config, {}
    return {**config, "dsn": clean}, {"password": password}

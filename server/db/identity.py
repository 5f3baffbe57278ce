"""The identity dialect's rows: connector definitions, connected systems,
partitions, run profiles, synchronisation rules, activities and worker tasks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db import credentials
from syncplane.server.db.connection import Conn
from syncplane.server.db.identity_models import (
    Activity,
    ActivityDetail,
    ActivityView,
    ConnectedSystem,
    ConnectedSystemHeader,
    ConnectedSystemView,
    ConnectorDefinition,
    Partition,
    RunProfile,
    SyncRule,
    WorkerTask,
)
from syncplane.server.db.queries import load

Q = load("identity")
Executor = Conn | asyncpg.Pool


# -- connector definitions -------------------------------------------------------
async def list_connector_definitions(db: Executor) -> list[ConnectorDefinition]:
    return ConnectorDefinition.many(await db.fetch(Q["list_connector_definitions"]))


async def get_connector_definition(db: Executor, definition_id: int) -> ConnectorDefinition | None:
    return ConnectorDefinition.maybe(await db.fetchrow(Q["get_connector_definition"], definition_id))


# -- connected systems -----------------------------------------------------------
async def insert_connected_system(
    db: Executor, name: str, description: str | None, definition_id: int, settings: dict[str, Any],
    credential_id: uuid.UUID,
) -> int:
    return await db.fetchval(Q["insert_connected_system"], name, description, definition_id, settings, credential_id)


async def get_connected_system(db: Executor, cs_id: int) -> ConnectedSystemView | None:
    return ConnectedSystemView.maybe(await db.fetchrow(Q["get_connected_system"], cs_id))


async def lock_connected_system(conn: Conn, cs_id: int) -> ConnectedSystem | None:
    return ConnectedSystem.maybe(await conn.fetchrow(Q["get_connected_system_for_update"], cs_id))


async def connected_system_id_by_name(db: Executor, name: str) -> int | None:
    return await db.fetchval(Q["connected_system_id_by_name"], name)


async def list_connected_systems(
    db: Executor, search: str | None, sort_by: str, direction: str, limit: int, offset: int
) -> tuple[list[ConnectedSystemHeader], int]:
    rows = await db.fetch(Q["list_connected_systems"], search, sort_by, direction, limit, offset)
    total = rows[0]["total_count"] if rows else await db.fetchval(Q["count_connected_systems"], search)
    return ConnectedSystemHeader.many(rows), total


async def update_connected_system(
    db: Executor, cs_id: int, name: str, description: str | None, settings: dict[str, Any], status: str
) -> None:
    await db.execute(Q["update_connected_system"], cs_id, name, description, settings, status)


async def delete_connected_system(db: Executor, cs_id: int) -> uuid.UUID | None:
    """Deletes a connected system; its sealed credential's id (to delete with it), None when it was gone."""
    return await db.fetchval(Q["delete_connected_system"], cs_id)


async def save_schema(db: Executor, cs_id: int, object_types: list[Any], containers: list[Any]) -> None:
    await db.execute(Q["save_schema"], cs_id, object_types, containers)


async def set_object_count(db: Executor, cs_id: int, count: int) -> None:
    await db.execute(Q["set_object_count"], cs_id, count)


async def set_pending_exports(db: Executor, counts: dict[int, int]) -> None:
    if counts:
        await db.execute(Q["set_pending_exports"], list(counts), list(counts.values()))


async def connected_system_names(db: Executor, ids: Sequence[int]) -> list[asyncpg.Record]:
    return await db.fetch(Q["connected_system_names"], list(ids))


async def merge_secrets(db: Conn, credential_id: uuid.UUID, changes: dict[str, str]) -> None:
    """Sets the secrets with a value and removes those given as ""."""
    keep = {k: v for k, v in changes.items() if v}
    await credentials.merge_credential(db, credential_id, keep, [k for k, v in changes.items() if not v])


# -- partitions ------------------------------------------------------------------
async def list_partitions(db: Executor, cs_id: int) -> list[Partition]:
    return Partition.many(await db.fetch(Q["list_partitions"], cs_id))


async def get_partition(db: Executor, cs_id: int, partition_id: int) -> Partition | None:
    return Partition.maybe(await db.fetchrow(Q["get_partition"], cs_id, partition_id))


async def replace_partitions(conn: Conn, cs_id: int, found: Sequence[tuple[str, str]]) -> None:
    """Keeps exactly the (name, externalId) partitions a schema import found."""
    for name, external_id in found:
        await conn.execute(Q["upsert_partition"], cs_id, name, external_id)
    await conn.execute(Q["drop_partitions_except"], cs_id, [e for _, e in found])


async def set_partition_selected(db: Executor, cs_id: int, partition_id: int, selected: bool) -> Partition | None:
    return Partition.maybe(await db.fetchrow(Q["set_partition_selected"], cs_id, partition_id, selected))


# -- run profiles ----------------------------------------------------------------
async def list_run_profiles(db: Executor, cs_id: int) -> list[RunProfile]:
    return RunProfile.many(await db.fetch(Q["list_run_profiles"], cs_id))


async def get_run_profile(db: Executor, cs_id: int, rp_id: int) -> RunProfile | None:
    return RunProfile.maybe(await db.fetchrow(Q["get_run_profile"], cs_id, rp_id))


async def run_profile_id_by_name(db: Executor, cs_id: int, name: str) -> int | None:
    return await db.fetchval(Q["run_profile_id_by_name"], cs_id, name)


async def insert_run_profile(
    db: Executor, cs_id: int, name: str, run_type: str, page_size: int, partition_id: int | None, file_path: str | None
) -> int:
    return await db.fetchval(Q["insert_run_profile"], cs_id, name, run_type, page_size, partition_id, file_path)


async def update_run_profile(
    db: Executor, cs_id: int, rp_id: int, name: str, page_size: int, partition_id: int | None, file_path: str | None
) -> None:
    await db.execute(Q["update_run_profile"], cs_id, rp_id, name, page_size, partition_id, file_path)


async def delete_run_profile(db: Executor, cs_id: int, rp_id: int) -> bool:
    return await db.fetchval(Q["delete_run_profile"], cs_id, rp_id) is not None


# -- synchronisation rules ---------------------------------------------------------
async def insert_sync_rule(
    db: Executor, cs_id: int, name: str, direction: str, enabled: bool, precedence: int, rule: dict[str, Any]
) -> SyncRule:
    row = await db.fetchrow(Q["insert_sync_rule"], cs_id, name, direction, enabled, precedence, rule)
    return SyncRule.from_record(row)


async def get_sync_rule(db: Executor, rule_id: int) -> SyncRule | None:
    return SyncRule.maybe(await db.fetchrow(Q["get_sync_rule"], rule_id))


async def list_sync_rules(
    db: Executor, cs_id: int | None, sort_by: str, direction: str, limit: int, offset: int
) -> tuple[list[SyncRule], int]:
    rows = await db.fetch(Q["list_sync_rules"], cs_id, sort_by, direction, limit, offset)
    total = rows[0]["total_count"] if rows else await db.fetchval(Q["count_sync_rules"], cs_id)
    return SyncRule.many(rows), total


async def update_sync_rule(
    db: Executor, rule_id: int, name: str, direction: str, enabled: bool, precedence: int, rule: dict[str, Any]
) -> SyncRule | None:
    row = await db.fetchrow(Q["update_sync_rule"], rule_id, name, direction, enabled, precedence, rule)
    return SyncRule.maybe(row)


async def delete_sync_rule(db: Executor, rule_id: int) -> bool:
    return await db.fetchval(Q["delete_sync_rule"], rule_id) is not None


async def enabled_sync_rules(db: Executor) -> list[SyncRule]:
    return SyncRule.many(await db.fetch(Q["enabled_sync_rules"]))


# -- activities and worker tasks ---------------------------------------------------
async def insert_activity(db: Executor, activity_id: uuid.UUID, root_run_id: uuid.UUID, values: dict[str, Any]) -> None:
    await db.execute(
        Q["insert_activity"], activity_id, root_run_id, values["target_type"], values["target_operation_type"],
        values["target_name"], values["target_context"], values["connected_system_id"], values["run_profile_id"],
        values["run_type"], values["initiated_by_type"], values["initiated_by_id"], values["initiated_by_name"],
        values["warnings"], values["message"],
    )


async def get_activity(db: Executor, activity_id: uuid.UUID) -> ActivityDetail | None:
    return ActivityDetail.maybe(await db.fetchrow(Q["get_activity"], activity_id))


async def lock_activity(conn: Conn, activity_id: uuid.UUID) -> Activity | None:
    return Activity.maybe(await conn.fetchrow(Q["activity_by_id_for_update"], activity_id))


async def list_activities(
    db: Executor, filters: dict[str, Any], sort_by: str, direction: str, limit: int, offset: int
) -> tuple[list[ActivityView], int]:
    rows = await db.fetch(
        Q["list_activities"], filters["statuses"], filters["cs_id"], filters["cs_name"], filters["rp_id"],
        filters["rp_name"], filters["created_from"], filters["created_to"], filters["search"],
        sort_by, direction, limit, offset, filters.get("scheduled_only", False), filters.get("schedule_id"),
    )
    if rows:
        return ActivityView.many(rows), rows[0]["total_count"]
    if offset == 0:
        return [], 0
    # Past the last page: count without the page.
    everything = await db.fetch(
        Q["list_activities"], filters["statuses"], filters["cs_id"], filters["cs_name"], filters["rp_id"],
        filters["rp_name"], filters["created_from"], filters["created_to"], filters["search"],
        sort_by, direction, 1, 0, filters.get("scheduled_only", False), filters.get("schedule_id"),
    )
    return [], everything[0]["total_count"] if everything else 0


async def finish_activity(
    conn: Conn,
    activity_id: uuid.UUID,
    *,
    status: str,
    executed_at: datetime | None,
    ended_at: datetime | None,
    message: str | None,
    error_message: str | None,
    warning_message: str | None,
    detail: dict[str, Any],
) -> None:
    await conn.execute(
        Q["finish_activity"], activity_id, status, executed_at, ended_at, message, error_message, warning_message, detail
    )


async def list_worker_tasks(db: Executor, limit: int, offset: int) -> tuple[list[WorkerTask], int]:
    rows = await db.fetch(Q["list_worker_tasks"], limit, offset)
    total = rows[0]["total_count"] if rows else await db.fetchval(Q["count_worker_tasks"])
    return WorkerTask.many(rows), total


async def get_worker_task(db: Executor, task_id: uuid.UUID) -> WorkerTask | None:
    return WorkerTask.maybe(await db.fetchrow(Q["get_worker_task"], task_id))


async def active_runs_of_connected_system(db: Executor, cs_id: int) -> int:
    return await db.fetchval(Q["active_runs_of_connected_system"], cs_id)

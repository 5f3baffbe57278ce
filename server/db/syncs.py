"""Connections, syncs and their write-only credentials."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn

# The credential functions live in server.db.credentials (sealed at rest); the
# dialects have long reached them through this module.
from syncplane.server.db.credentials import delete_credential, insert_credential, secret_keys, update_credential  # noqa: F401
from syncplane.server.db.queries import load
from syncplane.server.db.sync_models import Connection, Deleted, Sync

Q = load("syncs")
Executor = Conn | asyncpg.Pool


async def insert_connection(
    db: Executor, name: str, provider: str, config: dict[str, Any], credential_id: uuid.UUID, by: str | None
) -> Connection:
    return Connection.from_record(
        await db.fetchrow(Q["insert_connection"], uuid.uuid4(), name, provider, config, credential_id, by)
    )


async def get_connection(db: Executor, connection_id: uuid.UUID) -> Connection | None:
    return Connection.maybe(await db.fetchrow(Q["get_connection"], connection_id))


async def list_connections(
    db: Executor, providers: Sequence[str], limit: int, offset: int
) -> tuple[list[Connection], int]:
    rows = await db.fetch(Q["list_connections"], list(providers), limit, offset)
    total = rows[0]["total_count"] if rows else await db.fetchval(Q["count_connections"], list(providers))
    return Connection.many(rows), total


async def update_connection(
    db: Executor, connection_id: uuid.UUID, name: str, config: dict[str, Any], by: str | None
) -> Connection | None:
    return Connection.maybe(await db.fetchrow(Q["update_connection"], connection_id, name, config, by))


async def delete_connection(db: Executor, connection_id: uuid.UUID) -> Deleted | None:
    """None when it was not deleted (absent, or a sync still uses it)."""
    row = await db.fetchrow(Q["delete_connection"], connection_id)
    return None if row is None else Deleted(row["credential_id"])


async def syncs_using_connection(db: Executor, connection_id: uuid.UUID) -> int:
    return await db.fetchval(Q["syncs_using_connection"], connection_id)


SYNC_FIELDS = (
    "name", "slug", "entities", "source_config", "destination_config", "execution_backend",
    "execution_config", "execution_mode", "status", "trigger_mode", "schedule",
    "freshness_sla_seconds", "table_bindings", "credential_id",
)


async def insert_sync(db: Executor, connection_id: uuid.UUID, provider: str, values: dict[str, Any], by: str | None) -> Sync:
    return Sync.from_record(await db.fetchrow(
        Q["insert_sync"], uuid.uuid4(), connection_id, values["name"], values["slug"], provider,
        values["entities"], values["source_config"], values["destination_config"],
        values["execution_backend"], values["execution_config"], values["execution_mode"],
        values["status"], values["trigger_mode"], values["schedule"], values["freshness_sla_seconds"],
        values["table_bindings"], values["credential_id"], by,
    ))


async def get_sync(db: Executor, sync_id: uuid.UUID, *, for_update: bool = False) -> Sync | None:
    return Sync.maybe(await db.fetchrow(Q["get_sync_for_update" if for_update else "get_sync"], sync_id))


async def list_syncs(
    db: Executor,
    statuses: Sequence[str],
    providers: Sequence[str],
    q: str | None,
    limit: int,
    offset: int,
    fresh: bool | None = None,
) -> tuple[list[Sync], int]:
    args = (list(statuses), list(providers), q)
    rows = await db.fetch(Q["list_syncs"], *args, limit, offset, fresh)
    total = rows[0]["total_count"] if rows else await db.fetchval(Q["count_syncs"], *args, fresh)
    return Sync.many(rows), total


async def update_sync(db: Executor, sync_id: uuid.UUID, values: dict[str, Any], by: str | None) -> Sync:
    return Sync.from_record(await db.fetchrow(Q["update_sync"], sync_id, *(values[f] for f in SYNC_FIELDS), by))


async def delete_sync(db: Executor, sync_id: uuid.UUID) -> Deleted | None:
    """None when it was not there."""
    row = await db.fetchrow(Q["delete_sync"], sync_id)
    return None if row is None else Deleted(row["credential_id"])


async def sync_succeeded(db: Executor, sync_id: uuid.UUID, at: datetime) -> None:
    await db.execute(Q["sync_succeeded"], sync_id, at)


async def sync_slot_refused(db: Executor, sync_id: uuid.UUID, error: str) -> None:
    await db.execute(Q["sync_slot_refused"], sync_id, error)


async def sync_failed(db: Executor, sync_id: uuid.UUID, error: str, threshold: int) -> None:
    await db.execute(Q["sync_failed"], sync_id, error, threshold)

"""Rows whose readable config may still hold a secret stored before secrets
were moved out of config on input (server/dialects/stored_secrets.py moves them)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("config_secrets")
Executor = Conn | asyncpg.Pool


async def connections_with_dsn_or_headers(db: Executor) -> list[asyncpg.Record]:
    return await db.fetch(Q["connections_with_dsn_or_headers"])


async def set_connection_config(db: Executor, row_id: uuid.UUID, config: dict[str, Any], was: dict[str, Any]) -> bool:
    return await db.fetchval(Q["set_connection_config"], row_id, config, was) is not None


async def syncs_with_destination_dsn(db: Executor) -> list[asyncpg.Record]:
    return await db.fetch(Q["syncs_with_destination_dsn"])


async def set_sync_destination(
    db: Executor, row_id: uuid.UUID, config: dict[str, Any], credential_id: uuid.UUID, was: dict[str, Any]
) -> bool:
    return await db.fetchval(Q["set_sync_destination"], row_id, config, credential_id, was) is not None


async def connected_systems_with_settings(db: Executor) -> list[asyncpg.Record]:
    return await db.fetch(Q["connected_systems_with_settings"])


async def set_connected_system_settings(db: Executor, row_id: int, settings: dict[str, Any], was: dict[str, Any]) -> bool:
    return await db.fetchval(Q["set_connected_system_settings"], row_id, settings, was) is not None

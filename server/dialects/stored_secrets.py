"""Secrets stored in readable config before they were moved on input: moved now.

Run at server start, after clear credentials are sealed. Each row changes in
its own transaction, only if it still holds what was read (replicas starting
together move a row once); a row with nothing to move is left alone, so a
second start changes nothing.
"""

from __future__ import annotations

import asyncpg
import structlog

from syncplane.server.db import config_secrets as db
from syncplane.server.db import credentials
from syncplane.server.dialects import secret_fields

log = structlog.get_logger(__name__)


async def move_stored_config_secrets(pool: asyncpg.Pool) -> int:
    moved = 0
    for row in await db.connections_with_dsn_or_headers(pool):
        config, secrets = secret_fields.split_config(row["config"])
        if secrets:
            async with pool.acquire() as conn, conn.transaction():
                if await db.set_connection_config(conn, row["id"], config, row["config"]):
                    await credentials.merge_credential(conn, row["credential_id"], secrets)
                    moved += 1
    for row in await db.syncs_with_destination_dsn(pool):
        dsn = row["destination_config"].get("dsn")
        clean, password = secret_fields.split_dsn(dsn) if isinstance(dsn, str) else (dsn, None)
        if password:
            try:
                async with pool.acquire() as conn, conn.transaction():
                    config = {**row["destination_config"], "dsn": clean}
                    credential_id = row["credential_id"]
                    if credential_id is None:
                        credential_id = await credentials.insert_credential(conn, {"password": password})
                    else:
                        await credentials.merge_credential(conn, credential_id, {"password": password})
                    if not await db.set_sync_destination(conn, row["id"], config, credential_id, row["destination_config"]):
                        raise _Raced()
                moved += 1
            except _Raced:
                pass  # the sync changed meanwhile (its new config went through the dialect)
    for row in await db.connected_systems_with_settings(pool):
        settings, password = dict(row["settings"]), None
        for key, value in row["settings"].items():
            if isinstance(value, str):
                clean, found = secret_fields.split_dsn(value)
                if found:
                    settings[key], password = clean, found
        if password:
            async with pool.acquire() as conn, conn.transaction():
                if await db.set_connected_system_settings(conn, row["id"], settings, row["settings"]):
                    await credentials.merge_credential(conn, row["credential_id"], {"password": password})
                    moved += 1
    if moved:
        log.info("secrets.moved_from_stored_config", rows=moved)
    return moved


class _Raced(Exception):
    """A sync changed under us: its transaction is rolled back (the change won)."""

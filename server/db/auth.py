"""API keys and executor tokens (hashes only)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from syncplane.server.db.auth_models import ApiKey, ExecutorToken
from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("auth")
Executor = Conn | asyncpg.Pool


async def insert_api_key(db: Executor, name: str, role: str, prefix: str, key_hash: bytes) -> ApiKey:
    return ApiKey.from_record(await db.fetchrow(Q["insert_api_key"], uuid.uuid4(), name, role, prefix, key_hash))


async def find_api_key(db: Executor, key_hash: bytes) -> asyncpg.Record | None:
    return await db.fetchrow(Q["find_api_key"], key_hash)


async def list_api_keys(db: Executor) -> list[ApiKey]:
    return ApiKey.many(await db.fetch(Q["list_api_keys"]))


async def find_api_key_any(db: Executor, key_hash: bytes) -> asyncpg.Record | None:
    return await db.fetchrow(Q["find_api_key_any"], key_hash)


async def revoke_api_key(db: Executor, key_id: uuid.UUID) -> bool:
    return await db.fetchval(Q["revoke_api_key"], key_id) is not None


async def count_admin_keys(db: Executor) -> int:
    return await db.fetchval(Q["count_admin_keys"])


async def insert_executor_token(db: Executor, name: str, token_hash: bytes) -> uuid.UUID | None:
    return await db.fetchval(Q["insert_executor_token"], uuid.uuid4(), name, token_hash)


async def find_executor_token(db: Executor, token_hash: bytes) -> asyncpg.Record | None:
    return await db.fetchrow(Q["find_executor_token"], token_hash)


async def list_executor_tokens(db: Executor) -> list[ExecutorToken]:
    return ExecutorToken.many(await db.fetch(Q["list_executor_tokens"]))


async def revoke_executor_token(db: Executor, token_id: uuid.UUID) -> bool:
    return await db.fetchval(Q["revoke_executor_token"], token_id) is not None


async def revoked_since(db: Executor, since: datetime) -> tuple[datetime, list[str]]:
    """The database's clock now, and every key/token revoked at or after `since` ('k'/'x' + hex hash)."""
    row = await db.fetchrow(Q["revoked_since"], since)
    return row["polled_at"], list(row["revoked"])


async def database_now(db: Executor) -> datetime:
    return await db.fetchval(Q["database_now"])

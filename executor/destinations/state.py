"""Fence and cursor state kept in the destination database itself.

Keeping state beside the data lets a batch commit its rows and the cursor that
covers them in one transaction: a resumed attempt continues exactly after the
last committed batch, whatever the server recorded.

- `_syncplane_fences`: one row per sync with the newest attempt's token. Every
  batch transaction reads it FOR SHARE first, so a newer attempt's claim waits
  for an in-flight batch to commit, and an older attempt's next batch sees the
  newer token and stops before writing.
- `_syncplane_cursors`: per (sync, scope, entity) JSON state; scope is the root
  run id for progress inside a run chain, or "sync" for the cursor across runs.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from executor.context import Fenced
from executor.sources.pg_source import quote_ident

#: Scope of the cursor that carries across runs (the high-water mark).
SYNC_SCOPE = "sync"

FENCES_TABLE = "_syncplane_fences"
CURSORS_TABLE = "_syncplane_cursors"


def _table(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


async def ensure_state_tables(conn: asyncpg.Connection, schema: str) -> None:
    """Creates the schema and both state tables if missing.

    Cheap when they exist: one catalog lookup, no lock and no DDL (every run
    calls this, and runs of one destination may start by the hundred)."""
    exists = await conn.fetchval(
        "SELECT count(*) = 2 FROM pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[])",
        schema,
        [FENCES_TABLE, CURSORS_TABLE],
    )
    if exists:
        return
    async with conn.transaction():
        # Two first attempts creating the same tables at once would race on the
        # catalog; the lock serialises creation (and is free afterwards).
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('syncplane.destination_state'))")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_table(schema, FENCES_TABLE)} ("
            " state_key text PRIMARY KEY, token bigint NOT NULL, run_id uuid,"
            " updated_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_table(schema, CURSORS_TABLE)} ("
            " state_key text NOT NULL, scope text NOT NULL, entity text NOT NULL,"
            " state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (state_key, scope, entity))"
        )


async def claim_fence(conn: asyncpg.Connection, schema: str, state_key: str, token: int, run_id: str) -> None:
    """Makes `token` the current fence of `state_key`, or raises Fenced if a newer one holds it.

    Claiming waits for a batch that an older attempt has in flight (it holds
    the row FOR SHARE) and so never interleaves with it.
    """
    claimed = await conn.fetchval(
        f"INSERT INTO {_table(schema, FENCES_TABLE)} AS f (state_key, token, run_id, updated_at)"
        " VALUES ($1, $2, $3::uuid, now())"
        " ON CONFLICT (state_key) DO UPDATE"
        " SET token = EXCLUDED.token, run_id = EXCLUDED.run_id, updated_at = now()"
        " WHERE f.token <= EXCLUDED.token"
        " RETURNING token",
        state_key,
        token,
        run_id,
    )
    if claimed is None:
        raise Fenced(f"a newer attempt holds the destination of sync {state_key}")


async def check_fence(conn: asyncpg.Connection, schema: str, state_key: str, token: int) -> None:
    """Inside a batch transaction: locks the fence row (FOR SHARE) and raises Fenced unless it is ours."""
    current = await conn.fetchval(
        f"SELECT token FROM {_table(schema, FENCES_TABLE)} WHERE state_key = $1 FOR SHARE",
        state_key,
    )
    if current != token:
        raise Fenced(f"attempt token {token} was superseded by {current} for sync {state_key}")


async def load_cursor(
    conn: asyncpg.Connection, schema: str, state_key: str, scope: str, entity: str
) -> dict[str, Any] | None:
    """The stored state of one entity in one scope, or None."""
    raw = await conn.fetchval(
        f"SELECT state::text FROM {_table(schema, CURSORS_TABLE)}"
        " WHERE state_key = $1 AND scope = $2 AND entity = $3",
        state_key,
        scope,
        entity,
    )
    return None if raw is None else dict(json.loads(raw))


async def save_cursor(
    conn: asyncpg.Connection, schema: str, state_key: str, scope: str, entity: str, state: dict[str, Any]
) -> None:
    """Upserts the state of one entity in one scope (call inside the batch transaction)."""
    await conn.execute(
        f"INSERT INTO {_table(schema, CURSORS_TABLE)} (state_key, scope, entity, state, updated_at)"
        " VALUES ($1, $2, $3, $4::text::jsonb, now())"
        " ON CONFLICT (state_key, scope, entity) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
        state_key,
        scope,
        entity,
        json.dumps(state),
    )


async def delete_scope(conn: asyncpg.Connection, schema: str, state_key: str, scope: str) -> None:
    """Forgets every entity's state in one scope (a finished run chain's progress)."""
    await conn.execute(
        f"DELETE FROM {_table(schema, CURSORS_TABLE)} WHERE state_key = $1 AND scope = $2",
        state_key,
        scope,
    )


__all__ = [
    "CURSORS_TABLE",
    "FENCES_TABLE",
    "SYNC_SCOPE",
    "check_fence",
    "claim_fence",
    "delete_scope",
    "ensure_state_tables",
    "load_cursor",
    "save_cursor",
]

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
import structlog

from syncplane.executor.context import Fenced
from syncplane.executor.sources.pg_source import quote_ident

log = structlog.get_logger(__name__)

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


async def end_older_attempts(conn: asyncpg.Connection, state_key: str, token: int) -> int:
    """Ends the sessions of older attempts of this sync that are inside a batch.

    The engine starts a new attempt only after the old one's lease ran out: it
    is frozen, cut off or gone. A frozen one may hold its batch transaction, and
    with it the fence row, for as long as it stays frozen; ending its session
    rolls that uncommitted batch back, which is exactly what the fence is for.
    """
    prefix = f"sp:{state_key}:"
    ended = await conn.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND starts_with(application_name, $1)"
        " AND split_part(application_name, ':', 3)::bigint < $2",
        prefix,
        token,
    )
    return int(ended or 0)


async def claim_fence(conn: asyncpg.Connection, schema: str, state_key: str, token: int, run_id: str) -> None:
    """Makes `token` the current fence of `state_key`, or raises Fenced if a newer one holds it.

    Call inside a transaction. Claiming waits for a batch that an older attempt
    has in flight (it holds the row FOR SHARE) and so never interleaves with
    it. A live batch commits within a second or two; if the row is still held after
    that, the older attempt is frozen mid-batch and its session is ended
    (`end_older_attempts`) before claiming again.
    """
    try:
        async with conn.transaction():  # a savepoint: a lock timeout leaves the caller's transaction usable
            await conn.execute("SET LOCAL lock_timeout = '2s'")
            claimed = await _claim(conn, schema, state_key, token, run_id)
    except asyncpg.LockNotAvailableError:
        ended = await end_older_attempts(conn, state_key, token)
        log.warning("state.fence_forced", state_key=state_key, token=token, sessions_ended=ended)
        # The backstop: fail (resumable) rather than wait forever.
        await conn.execute("SET LOCAL lock_timeout = '30s'")
        claimed = await _claim(conn, schema, state_key, token, run_id)
    if claimed is None:
        raise Fenced(f"a newer attempt holds the destination of sync {state_key}")


async def _claim(conn: asyncpg.Connection, schema: str, state_key: str, token: int, run_id: str) -> int | None:
    return await conn.fetchval(
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


def _session_tag(state_key: str, token: int) -> str:
    """application_name of a session inside an attempt's batch (<= 63 chars)."""
    return f"sp:{state_key}:{token}"


async def check_fence(conn: asyncpg.Connection, schema: str, state_key: str, token: int) -> None:
    """Inside a batch transaction: locks the fence row (FOR SHARE) and raises Fenced unless it is ours.

    It also tags the session (for this transaction only) with the sync and the
    token, so a newer attempt can find and end it should this attempt freeze
    mid-batch (see `end_older_attempts`)."""
    current = await conn.fetchval(
        f"SELECT token FROM {_table(schema, FENCES_TABLE)}, set_config('application_name', $2, true)"
        " WHERE state_key = $1 FOR SHARE OF " + quote_ident(FENCES_TABLE),
        state_key,
        _session_tag(state_key, token),
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


async def delete_other_scopes(conn: asyncpg.Connection, schema: str, state_key: str, keep: str) -> None:
    """Forgets the in-run progress of every run chain but `keep`.

    A chain keeps its own progress (entities marked done) after it finishes:
    should its last attempt be failed by a sweeper that never heard the result
    (the server was down), the resumed attempt finds everything done and loads
    nothing twice. The next chain's first attempt clears it here.
    """
    await conn.execute(
        f"DELETE FROM {_table(schema, CURSORS_TABLE)} WHERE state_key = $1 AND scope <> $2 AND scope <> $3",
        state_key,
        keep,
        SYNC_SCOPE,
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

"""The identity store: schema `idm` in the data-store database.

- `cs_objects`: the connector spaces, one row per external object per connected
  system (anchor, object type, attributes as jsonb, status normal | deleted |
  provisioning, the join link `mv_id`). `change_seq > synced_seq` marks an
  object a delta synchronisation still has to see: an import bumps
  `change_seq` from one sequence, a sync sets `synced_seq` to the value it
  read, so an import racing a sync never loses a change.
- `mv_objects`: the metaverse (attributes, and per attribute the precedence of
  the rule that set it, so a lower-precedence rule cannot overwrite it).
- `pending_exports`: at most one per target connector-space object; `version`
  grows on every change, so an export confirms only the version it exported.
- `watermarks`: the delta-import position per (system, partition).

Runs that touch the metaverse are serialised by advisory locks (see `hold`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import structlog

from executor.context import RunContext

log = structlog.get_logger(__name__)

SCHEMA_VERSION_TABLE = "idm.watermarks"

_DDL = """
CREATE SCHEMA IF NOT EXISTS idm;
CREATE SEQUENCE IF NOT EXISTS idm.change_seq;
CREATE TABLE IF NOT EXISTS idm.mv_objects (
  id bigserial PRIMARY KEY,
  object_type text NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}',
  contributors jsonb NOT NULL DEFAULT '{}',
  projected_by int,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS idm.cs_objects (
  id bigserial PRIMARY KEY,
  cs_id int NOT NULL,
  object_type text NOT NULL,
  anchor text,
  external_id text,
  partition text,
  attributes jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'deleted', 'provisioning')),
  mv_id bigint REFERENCES idm.mv_objects (id) ON DELETE SET NULL,
  change_seq bigint NOT NULL DEFAULT nextval('idm.change_seq'),
  synced_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS cs_objects_anchor ON idm.cs_objects (cs_id, object_type, anchor);
CREATE INDEX IF NOT EXISTS cs_objects_system ON idm.cs_objects (cs_id, id);
CREATE INDEX IF NOT EXISTS cs_objects_mv ON idm.cs_objects (mv_id) WHERE mv_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS cs_objects_unsynced ON idm.cs_objects (cs_id, id) WHERE change_seq > synced_seq;
CREATE TABLE IF NOT EXISTS idm.pending_exports (
  id bigserial PRIMARY KEY,
  cs_id int NOT NULL,
  cs_object_id bigint NOT NULL UNIQUE REFERENCES idm.cs_objects (id) ON DELETE CASCADE,
  operation text NOT NULL CHECK (operation IN ('Add', 'Update', 'Delete')),
  attributes jsonb NOT NULL DEFAULT '{}',
  version int NOT NULL DEFAULT 1,
  attempts int NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pending_exports_system ON idm.pending_exports (cs_id, id);
CREATE TABLE IF NOT EXISTS idm.watermarks (
  cs_id int NOT NULL,
  partition text NOT NULL DEFAULT '',
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cs_id, partition)
);
"""

#: Advisory lock keys (two-int form): the metaverse as a whole, and one per connected system.
_LOCK_CLASS_METAVERSE = 0x1D4D0001
_LOCK_CLASS_SYSTEM = 0x1D4D0002
_LOCK_POLL_SECONDS = 0.25


async def ensure_schema(conn: asyncpg.Connection) -> None:
    """Creates schema `idm` if missing; cheap (one lookup) when it exists."""
    if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", SCHEMA_VERSION_TABLE):
        return
    async with conn.transaction():
        # Two first runs creating the schema at once would race on the catalog.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('syncplane.idm_schema'))")
        await conn.execute(_DDL)
    log.info("identity.store_created")


def metaverse_lock() -> tuple[int, int]:
    return (_LOCK_CLASS_METAVERSE, 0)


def system_lock(cs_id: int) -> tuple[int, int]:
    return (_LOCK_CLASS_SYSTEM, cs_id)


@asynccontextmanager
async def hold(conn: asyncpg.Connection, ctx: RunContext, key: tuple[int, int], what: str) -> AsyncIterator[None]:
    """Holds a session advisory lock for the block; a second run waits (cancellably), it does not fail."""
    waited = False
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *key):
        if not waited:
            log.info("identity.lock_wait", run_id=ctx.run_id, lock=what)
            ctx.progress(message=f"waiting for another run holding the {what} lock")
            waited = True
        ctx.raise_if_cancelled()
        await asyncio.sleep(_LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", *key)


async def load_watermark(conn: asyncpg.Connection, cs_id: int, partition: str | None) -> str | None:
    value: str | None = await conn.fetchval(
        "SELECT value FROM idm.watermarks WHERE cs_id = $1 AND partition = $2", cs_id, partition or ""
    )
    return value


async def save_watermark(conn: asyncpg.Connection, cs_id: int, partition: str | None, value: str) -> None:
    await conn.execute(
        "INSERT INTO idm.watermarks (cs_id, partition, value) VALUES ($1, $2, $3)"
        " ON CONFLICT (cs_id, partition) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        cs_id,
        partition or "",
        value,
    )


async def object_count(conn: asyncpg.Connection, cs_id: int) -> int:
    """This system's connector-space objects that exist (not deleted, not awaiting provisioning)."""
    return int(
        await conn.fetchval("SELECT count(*) FROM idm.cs_objects WHERE cs_id = $1 AND status = 'normal'", cs_id) or 0
    )


async def pending_export_counts(conn: asyncpg.Connection, cs_ids: list[int]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT c, (SELECT count(*) FROM idm.pending_exports WHERE cs_id = c)"
        " FROM unnest($1::int[]) AS c",
        sorted(set(cs_ids)),
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def prefer_index_joins(conn: asyncpg.Connection) -> None:
    """For this transaction: join a page's keys (unnest arrays) by index lookups.

    A page is at most a few thousand keys against tables that grow during the
    very run that writes them, so statistics lag and the planner may pick a
    hash join over a whole table per page; nested loops over the indexes are
    what these statements want whatever the statistics say.
    """
    await conn.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")


def dumps(value: Any) -> str:
    """JSON for jsonb parameters (compact, keys as given)."""
    return json.dumps(value, separators=(",", ":"), default=str)


__all__ = [
    "dumps",
    "ensure_schema",
    "hold",
    "load_watermark",
    "metaverse_lock",
    "object_count",
    "pending_export_counts",
    "prefer_index_joins",
    "save_watermark",
    "system_lock",
]

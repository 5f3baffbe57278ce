"""The identity store: schema `idm` in the data-store database.

- `cs_objects`: the connector spaces, one row per external object per connected
  system (anchor, object type, attributes as jsonb, status normal | deleted |
  provisioning, the join link `mv_id`). `change_seq > synced_seq` marks an
  object a delta synchronisation still has to see: an import bumps
  `change_seq` from one sequence, a sync sets `synced_seq` to the value it
  read, so an import racing a sync never loses a change.
- `mv_objects`: the metaverse (attributes, and per attribute the precedence of
  the rule that set it, so a lower-precedence rule cannot overwrite it).
  `cs_objects.mv_id` has no foreign key: only synchronisations write links and
  delete metaverse objects, under the metaverse lock, and they unlink before
  they delete (`unlink_and_delete_metaverse`). The per-row key check and the row
  lock it takes on the metaverse object cost about a sixth of the time of
  a full synchronisation's write statements (EXPLAIN ANALYZE, 100k objects).
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

from syncplane.executor.context import RunContext

log = structlog.get_logger(__name__)

#: Present: the store needs an upgrade (stores created before links lost their foreign key).
_OUTDATED = """
SELECT to_regclass('idm.watermarks') IS NULL
    OR EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'cs_objects_mv_id_fkey'
               AND conrelid = to_regclass('idm.cs_objects'))
"""
_UPGRADE = "ALTER TABLE idm.cs_objects DROP CONSTRAINT IF EXISTS cs_objects_mv_id_fkey"

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
  mv_id bigint,
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
    """Creates or upgrades schema `idm`; cheap (one lookup) when it is current."""
    if not await conn.fetchval(_OUTDATED):
        return
    async with conn.transaction():
        # Two first runs creating the schema at once would race on the catalog.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('syncplane.idm_schema'))")
        await conn.execute(_DDL)
        await conn.execute(_UPGRADE)
    log.info("identity.store_ready")


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


#: One encoder for the process: `json.dumps` with non-default options builds a new
#: encoder on every call, which cost more than the encoding of a small object.
#: No circular check: the values are decoded JSON or built from it.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str, check_circular=False)


async def unlink_and_delete_metaverse(conn: asyncpg.Connection, mv_ids: list[int]) -> None:
    """Deletes metaverse objects, first clearing every connector-space link to them."""
    await conn.execute("UPDATE idm.cs_objects SET mv_id = NULL WHERE mv_id = ANY($1::bigint[])", mv_ids)
    await conn.execute("DELETE FROM idm.mv_objects WHERE id = ANY($1::bigint[])", mv_ids)


_DECODER = json.JSONDecoder()


def loads(text: str) -> Any:
    """A value from PostgreSQL's json/jsonb text output.

    The scanner alone: that output has no surrounding whitespace, so the
    whitespace matching `json.loads` adds (a third of its time on a small
    object) has nothing to do.
    """
    return _DECODER.raw_decode(text)[0]


def dumps(value: Any) -> str:
    """JSON for jsonb parameters (compact, keys as given)."""
    return _ENCODER.encode(value)


def records(rows: list[dict[str, Any]]) -> str:
    """A page of rows as one JSON array, for `jsonb_to_recordset($1::jsonb)`.

    One encoding per statement instead of one per object and per array element:
    asyncpg checks every element of an array parameter against the collections
    ABCs, and each `dumps` call has its own overhead; the statement reads the
    rows back with `jsonb_to_recordset` (cheaper for PostgreSQL than the `json` twin,
    which builds a hash table per row), nested objects straight into jsonb columns.
    """
    return _ENCODER.encode(rows)


__all__ = [
    "dumps",
    "ensure_schema",
    "hold",
    "load_watermark",
    "loads",
    "metaverse_lock",
    "object_count",
    "pending_export_counts",
    "prefer_index_joins",
    "records",
    "save_watermark",
    "system_lock",
    "unlink_and_delete_metaverse",
]

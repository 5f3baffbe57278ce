"""The data store of daemon runs: one table per resource, records upserted by id.

`<schema>.<api>_<resource>` (e.g. `sync_job_data.crm_contacts`), created on first
use, holds one row per (integrated account, record id): the record as jsonb,
the sync-job run that last wrote it and when. A batch is one statement (the
records as two text arrays, unnested into an `INSERT … ON CONFLICT DO
UPDATE`) in one transaction per flush: a repeated batch (a resumed attempt)
writes the same rows again, so resuming neither loses nor duplicates records.

Attempts of one run are fenced as the syncs connectors' destinations are
(`executor.destinations.state`): an attempt claims the run's fence with its
token when it opens the store, and every flush checks the fence inside its
transaction. An older attempt that wakes up after its successor took over
(frozen, cut off from the server) gets `Fenced` and writes nothing more.
"""

from __future__ import annotations

import json
import re
from typing import Any

import asyncpg
import structlog

from syncplane.executor.destinations import state
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.jobs.placeholders import as_text, lookup
from syncplane.executor.jobs.plan import JobPlan, ResourceItem
from syncplane.executor.jobs.stats import Stats
from syncplane.executor.quoting import qualified, quote_ident

log = structlog.get_logger(__name__)

_UNSAFE = re.compile(r"[^a-z0-9_]+")
_MAX_IDENTIFIER = 63


def table_name(resource: str) -> str:
    """`crm/contacts` -> `crm_contacts`: lower case, anything else an underscore, at most 63 bytes."""
    name = _UNSAFE.sub("_", resource.lower()).strip("_") or "resource"
    return name[:_MAX_IDENTIFIER]


def fence_key(run_id: str) -> str:
    """The fence of a sync-job run (shared by its attempts). No ':' in it: the
    state module's session tags split on ':'."""
    return f"sync_job.{run_id}"




_CREATE = """
CREATE TABLE IF NOT EXISTS {table} (
  integrated_account_id uuid NOT NULL,
  id text NOT NULL,
  sync_job_run_id uuid NOT NULL,
  record jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (integrated_account_id, id)
)
"""

_UPSERT = """
INSERT INTO {table} AS t (integrated_account_id, id, sync_job_run_id, record, updated_at)
SELECT $1::uuid, u.id, $2::uuid, u.record, now()
FROM ROWS FROM (unnest($3::text[]), jsonb_array_elements($4::jsonb)) AS u(id, record)
ON CONFLICT (integrated_account_id, id) DO UPDATE
SET sync_job_run_id = EXCLUDED.sync_job_run_id, record = EXCLUDED.record, updated_at = EXCLUDED.updated_at
"""


async def ensure_tables(conn: asyncpg.Connection, schema: str, tables: list[str]) -> None:
    """Creates the schema and tables if missing; concurrent runs may do so at the same time."""
    async with conn.transaction():
        # CREATE … IF NOT EXISTS still races on the catalog: serialise it per schema.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('syncplane.sync_job_store'), hashtext($1))", schema)
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
        for table in tables:
            await conn.execute(_CREATE.format(table=qualified(schema, table)))


class StoreSink:
    """Where a daemon run's records go: batches of upserts, one transaction per flush."""

    def __init__(self, conn: asyncpg.Connection, plan: JobPlan, stats: Stats, *, token: int, attempt_id: str) -> None:
        self.conn = conn
        self.plan = plan
        self.stats = stats
        #: This attempt's fencing token (a larger one supersedes it) and engine run id.
        self.token = token
        self.attempt_id = attempt_id
        self.fence = fence_key(plan.run_id)
        #: (resource, method) -> record id -> the record (the last one of an id wins)
        self._buffers: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._taken: dict[tuple[str, str], int] = {}
        self._buffered = 0

    async def start(self) -> None:
        tables = sorted({table_name(item.resource) for item in self.plan.resources if item.persist})
        schema = self.plan.store_schema
        with translating("store"):
            await ensure_tables(self.conn, schema, tables)
            await state.ensure_state_tables(self.conn, schema)
            async with self.conn.transaction():
                await state.claim_fence(self.conn, schema, self.fence, self.token, self.attempt_id)
        log.info("sync_job.store_fence_claimed", sync_job_run_id=self.plan.run_id, token=self.token)

    async def add(self, item: ResourceItem, records: list[dict[str, Any]]) -> list[str]:
        """Buffers records (flushing full batches); returns a message per record without an id."""
        key = (item.resource, item.method)
        buffer = self._buffers.setdefault(key, {})
        refused: list[str] = []
        taken = 0
        id_field = item.spec.id_field
        for record in records:
            value = lookup(record, id_field)
            if value is None or isinstance(value, (dict, list)):
                refused.append(f"{item.resource} {item.method}: a record has no {id_field!r} to upsert it by")
                continue
            buffer[as_text(value)] = record
            taken += 1
        self._taken[key] = self._taken.get(key, 0) + taken
        self._buffered += taken
        if self._buffered >= self.plan.batch_size:
            await self.flush()
        return refused

    async def flush(self) -> None:
        """Writes every buffered record in one transaction."""
        if not self._buffered:
            return
        with translating("store"):
            async with self.conn.transaction():
                # First, and FOR SHARE: a successor's claim waits for this batch, and
                # a superseded attempt stops here before writing anything.
                await state.check_fence(self.conn, self.plan.store_schema, self.fence, self.token)
                for (resource, _), rows in self._buffers.items():
                    if rows:
                        table = qualified(self.plan.store_schema, table_name(resource))
                        records = json.dumps(list(rows.values()), separators=(",", ":"), ensure_ascii=False)
                        await self.conn.execute(
                            _UPSERT.format(table=table), self.plan.account_id, self.plan.run_id, list(rows), records
                        )
        for (resource, method), taken in self._taken.items():
            if taken:
                self.stats.add(resource, method, "persisted", taken)
        self._buffers.clear()
        self._taken.clear()
        self._buffered = 0

    async def record_error(self, item: ResourceItem, message: str, number: int) -> None:
        """A daemon run has nowhere to send errors: they are counted and reported in the detail."""

    def state(self) -> dict[str, Any]:
        return {}


__all__ = ["StoreSink", "ensure_tables", "fence_key", "qualified", "table_name"]

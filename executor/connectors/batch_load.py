"""The destination side of a record-source connector: fence, batches, state.

Connectors whose sources yield records (JSON APIs, files) share this part:
an attempt claims the destination fence (`skeleton.run_sync`), then each
entity loads through an `EntityBatches`: every batch is one destination
transaction that checks the fence, writes the rows with `LoadTable` (schema
evolution, upsert / append_event / replace) and saves the entity's in-run
state (scope = the run chain's root run id) — so a killed attempt resumes
after its last committed batch with nothing lost and, for upsert, nothing
twice. The last transaction also saves the mark the next incremental run
starts from (scope "sync") and marks the entity done.

What the in-run state holds besides `rows` and `done` (the read position,
the cursor tracked so far) is the connector's business: it passes the
changes with each batch.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from syncplane.executor.context import RunContext
from syncplane.executor.destinations import pg_loader, state
from syncplane.executor.destinations.bindings import TableBinding
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.destinations.pg_loader import TableName
from syncplane.executor.destinations.record_table import LoadTable
from syncplane.failpoints import failpoint


class EntityBatches:
    """One entity of one attempt at the destination: its table and its in-run state.

    Subclasses implement `new_state()` (where a run chain starts) and `load()`
    (read the source, call `commit` per batch and `finish` at the end).

    Attributes:
        state: the committed in-run state ({"rows", "done", ...the connector's}).
        batches: batch transactions committed by this attempt.
    """

    #: Prefix of this connector's log events ("http" -> "http.entity_started").
    events = "load"

    def __init__(
        self,
        *,
        ctx: RunContext,
        dest: asyncpg.Connection,
        sync_id: str,
        dest_schema: str,
        binding: TableBinding,
    ) -> None:
        entity_key, load_mode = binding.key, binding.load_mode
        self.ctx = ctx
        self.dest = dest
        self.sync_id = sync_id
        self.dest_schema = dest_schema
        self.entity_key = entity_key
        self.load_mode = load_mode
        self.log = structlog.get_logger(type(self).__module__).bind(
            sync_id=sync_id, run_id=ctx.run_id, entity=entity_key
        )
        self.meta = pg_loader.APPEND_META if load_mode == "append_event" else pg_loader.UPSERT_META
        self.table = LoadTable(
            dest,
            entity=entity_key,
            target=TableName(dest_schema, binding.table_name),
            mode=load_mode,
            key=binding.primary_key,
            meta=self.meta,
            root_run_id=ctx.root_run_id,
            log=self.log,
        )
        self.state: dict[str, Any] = {}
        self.batches = 0

    # -- to implement ----------------------------------------------------------------------
    async def new_state(self) -> dict[str, Any]:
        """The in-run state of a run chain's first attempt (must hold "rows": 0, "done": False)."""
        raise NotImplementedError

    async def load(self) -> None:
        """Reads the source and commits it batch by batch, ending with `finish`."""
        raise NotImplementedError

    # -- the template ----------------------------------------------------------------------
    async def run(self) -> None:
        key = self.entity_key
        saved = await self.load_state(self.ctx.root_run_id)
        if saved and saved.get("done"):
            self.log.info(f"{self.events}.entity_skipped", reason="done_in_earlier_attempt")
            self.ctx.progress(key, phase="done")
            return
        self.state = saved or await self.new_state()
        with translating("destination"):
            await self.table.open(resuming=saved is not None)
        self.log.info(
            f"{self.events}.entity_started",
            read=self.state.get("read"),
            resumed=saved is not None,
            rows_committed=self.state["rows"],
        )
        self.ctx.progress(key, phase="loading")
        try:
            await self.load()
        finally:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await self.table.close()

    # -- state -----------------------------------------------------------------------------
    async def load_state(self, scope: str) -> dict[str, Any] | None:
        with translating("destination"):
            return await state.load_cursor(self.dest, self.dest_schema, self.sync_id, scope, self.entity_key)

    async def _save(self, scope: str, value: dict[str, Any]) -> None:
        await state.save_cursor(self.dest, self.dest_schema, self.sync_id, scope, self.entity_key, value)

    def meta_values(self) -> tuple[Any, ...]:
        run_id = uuid.UUID(self.ctx.root_run_id)
        now = datetime.now(UTC)
        if self.load_mode == "append_event":
            return (run_id, int(self.ctx.attempt_number), now)
        return (run_id, now)

    # -- batches ---------------------------------------------------------------------------
    async def commit(self, records: list[dict[str, Any]], changes: dict[str, Any]) -> None:
        """One batch transaction: fence, rows, and the in-run state with `changes` (the new position)."""
        with translating("destination"):
            async with self.dest.transaction():
                await state.check_fence(self.dest, self.dest_schema, self.sync_id, self.ctx.token)
                await failpoint("executor.batch.in_transaction")
                written = await self.table.write(records, self.meta_values()) if records else 0
                committed = {**self.state, **changes, "rows": self.state["rows"] + written}
                await self._save(self.ctx.root_run_id, committed)
        self.state = committed
        self.batches += 1
        self.log.info("load.batch_committed", batch=self.batches, rows=written, rows_committed=committed["rows"])
        self._report(written, phase="loading")
        await failpoint("executor.batch.committed")

    async def finish(
        self, records: list[dict[str, Any]], mark: dict[str, Any] | None, changes: dict[str, Any] | None = None
    ) -> None:
        """The last transaction: the remaining rows, the replace swap, the mark for the next run."""
        with translating("destination"):
            async with self.dest.transaction():
                await state.check_fence(self.dest, self.dest_schema, self.sync_id, self.ctx.token)
                await failpoint("executor.finish.in_transaction")
                written = await self.table.write(records, self.meta_values()) if records else 0
                await self.table.finalize()
                if mark is not None:
                    await self._save(state.SYNC_SCOPE, mark)
                committed = {**self.state, **(changes or {}), "rows": self.state["rows"] + written, "done": True}
                await self._save(self.ctx.root_run_id, committed)
        self.state = committed
        self._report(written, phase="done")
        self.log.info(f"{self.events}.entity_done", rows_committed=committed["rows"], batches=self.batches + 1)

    def _report(self, written: int, *, phase: str) -> None:
        """Progress, then the checkpoint (already committed at the destination)."""
        key = self.entity_key
        self.ctx.progress(key, rows_written=written, phase=phase)
        self.ctx.commit_checkpoint(
            {
                "entity": key,
                "position": self.state.get("position"),
                "rowsCommitted": self.state["rows"],
                "done": self.state["done"],
            }
        )


__all__ = ["EntityBatches"]

"""The batch transactions of one entity load.

Every batch is one destination transaction: check the fence (FOR SHARE), COPY
the batch's rows (the source and destination COPY run at once), apply them to
the target, and save the batch's last key as the run chain's in-run state. A
resumed attempt starts strictly after the last committed batch: nothing lost,
nothing twice.

The source side of a batch runs in one REPEATABLE READ snapshot, so the range
bound, the high-water mark and the rows all describe the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from syncplane.executor.connectors.postgres_plan import EntitySpec, ReadPlan, SyncSpec, key_names
from syncplane.executor.context import RunContext
from syncplane.executor.destinations import pg_loader, state
from syncplane.executor.destinations.copy_pipe import CopyResult, stream_copy, translating
from syncplane.executor.destinations.pg_loader import TableName, Target
from syncplane.executor.sources import pg_source
from syncplane.executor.sources.pg_source import Lower, SourceRelation
from syncplane.failpoints import failpoint

_BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


@dataclass(frozen=True)
class EntityRun:
    """What every transaction of one entity load uses.

    Attributes:
        ctx: the attempt.
        spec: the parsed plan.
        entity: the entity being loaded.
        src: the source connection.
        dest: the destination connection.
        source_secret: the source password, masked in error messages.
        log: a structlog logger bound to sync, run and entity.
    """

    ctx: RunContext
    spec: SyncSpec
    entity: EntitySpec
    src: asyncpg.Connection
    dest: asyncpg.Connection
    source_secret: str | None
    log: Any

    @property
    def schema(self) -> str:
        return self.spec.dest_schema

    @property
    def target_name(self) -> TableName:
        return TableName(self.spec.dest_schema, self.entity.table_name)

    @property
    def meta(self) -> tuple[pg_loader.ColumnDef, ...]:
        return pg_loader.APPEND_META if self.entity.load_mode == "append_event" else pg_loader.UPSERT_META

    async def check_fence(self) -> None:
        await state.check_fence(self.dest, self.schema, self.spec.sync_id, self.ctx.token)

    async def save_state(self, scope: str, value: dict[str, Any]) -> None:
        await state.save_cursor(self.dest, self.schema, self.spec.sync_id, scope, self.entity.key, value)


class BatchLoader:
    """Commits the batches of one entity and finally completes it.

    Attributes:
        state: the committed in-run state (see EntityLoad), replaced after each commit.
        last_result: rows of the last committed transaction (None: it moved none).
    """

    def __init__(
        self,
        run: EntityRun,
        rel: SourceRelation,
        pk: tuple[str, ...],
        plan: ReadPlan,
        target: Target,
        staging: TableName | None,
        committed: dict[str, Any],
        ceiling: str | None = None,
    ) -> None:
        self.run = run
        #: The end of this loader's window (first key column, inclusive), if any.
        self.ceiling = ceiling
        self.rel = rel
        self.pk = pk
        self.plan = plan
        self.target = target
        self.staging = staging
        self.state = committed
        self.batches = 0
        self.last_result: CopyResult | None = None
        self.columns = [c.name for c in rel.columns] + [name for name, _ in run.meta]

    def _lower(self) -> Lower | None:
        last = self.state["last"]
        return Lower(tuple(last)) if last else self.plan.start

    def _extra(self) -> list[tuple[str, str]]:
        """The metadata columns, as constants the source emits with every row.

        Constants in the source query keep the batch a plain COPY of exactly
        the target's columns; the run id is the root run's, so every row a run
        chain wrote carries one id (append_event adds the attempt number).
        """
        ctx = self.run.ctx
        run_id = pg_source.literal(ctx.root_run_id) + "::uuid"
        now = pg_source.literal(datetime.now(UTC).isoformat()) + "::timestamptz"
        if self.run.entity.load_mode == "append_event":
            return [
                (run_id, pg_loader.RUN_ID),
                (f"{int(ctx.attempt_number)}::integer", pg_loader.ATTEMPT),
                (now, pg_loader.INGESTED_AT),
            ]
        return [(run_id, pg_loader.RUN_ID), (now, pg_loader.SYNCED_AT)]

    async def _copy_and_apply(self, query: str) -> CopyResult:
        """COPYs one batch (inside the open destination transaction) and applies it."""
        run = self.run
        into = self.staging or self.target.table
        result = await stream_copy(
            run.src, query, run.dest, into.name, schema=into.schema, columns=self.columns, source_secret=run.source_secret
        )
        if self.staging is None:
            return result
        if run.entity.load_mode == "upsert":
            written = await pg_loader.apply_upsert(run.dest, self.staging, self.target.table, self.columns, self.pk)
        else:
            written = await pg_loader.apply_append(run.dest, self.staging, self.target.table, self.columns)
        return CopyResult(rows_read=result.rows_read, rows_written=written)

    async def _high_water(self, lower: Lower | None, upper: tuple[str, ...]) -> list[str] | None:
        """The largest (cursor, key) seen so far, for reads whose order is not the cursor's."""
        previous = self.state["highWater"]
        if self.plan.high_water != "max_seen":
            return previous
        row = await self.run.src.fetchrow(
            pg_source.max_key_query(
                self.rel,
                self.plan.keyset,
                lower,
                upper,
                self.plan.high_water_columns,
                tuple(previous) if previous else None,
            )
        )
        return list(row) if row is not None else previous

    async def next_batch(self) -> bool:
        """Commits the next key range; False when none is left."""
        run, plan = self.run, self.plan
        lower = self._lower()
        self.last_result = None
        with translating("destination"):
            async with run.dest.transaction():
                await run.check_fence()
                await failpoint("executor.batch.in_transaction")
                with translating("source", run.source_secret):
                    # No ROLLBACK on failure: a failed attempt's connections are
                    # discarded (executor.pools.connection).
                    await run.src.execute(_BEGIN_SNAPSHOT)
                    bound = await run.src.fetchrow(
                        pg_source.bound_query(self.rel, plan.keyset, lower, run.spec.page_size, self.ceiling)
                    )
                    if bound is None:
                        await run.src.execute("COMMIT")
                        return False
                    upper = tuple(bound)
                    high_water = await self._high_water(lower, upper)
                    result = await self._copy_and_apply(
                        pg_source.batch_query(self.rel, self._extra(), plan.keyset, lower, upper)
                    )
                    await run.src.execute("COMMIT")
                committed = {
                    **self.state,
                    "last": list(upper),
                    "rows": self.state["rows"] + result.rows_written,
                    "highWater": high_water,
                }
                await run.save_state(run.ctx.root_run_id, committed)
        self.state = committed
        self.batches += 1
        self.last_result = result
        run.log.info("load.batch_committed", batch=self.batches, rows=result.rows_written, rows_committed=committed["rows"])
        await failpoint("executor.batch.committed")
        return True

    async def finish(self) -> None:
        """The last transaction: rows no key range reaches, the swap, the mark for the next run."""
        run, plan = self.run, self.plan
        self.last_result = None
        with translating("destination"):
            async with run.dest.transaction():
                await run.check_fence()
                await failpoint("executor.finish.in_transaction")
                result = None
                if plan.null_pass or not plan.keyset:
                    with translating("source", run.source_secret):
                        await run.src.execute(_BEGIN_SNAPSHOT)
                        query = pg_source.batch_query(
                            self.rel, self._extra(), plan.keyset, None, None, nulls_only=bool(plan.keyset)
                        )
                        result = await self._copy_and_apply(query)
                        await run.src.execute("COMMIT")
                if run.entity.load_mode == "replace":
                    await pg_loader.swap_in(run.dest, self.target.table, run.target_name, self.pk)
                mark = self._sync_mark()
                if mark is not None:
                    await run.save_state(state.SYNC_SCOPE, mark)
                committed = {
                    **self.state,
                    "rows": self.state["rows"] + (result.rows_written if result else 0),
                    "done": True,
                }
                await run.save_state(run.ctx.root_run_id, committed)
        self.state = committed
        self.last_result = result

    def _sync_mark(self) -> dict[str, Any] | None:
        """The high-water mark the next incremental run starts from, or None to keep the old one."""
        plan = self.plan
        if plan.high_water == "last":
            values = self.state["last"]
        elif plan.high_water in ("start_max", "max_seen"):
            values = self.state["highWater"]
        else:
            return None
        if not values:
            return None
        return {
            "cursorField": plan.high_water_columns[0].name,
            "keyColumns": key_names(plan.high_water_columns),
            "values": list(values),
        }


__all__ = ["BatchLoader", "EntityRun"]

"""Loading one entity in one attempt: plan the read, prepare the destination,
then commit key-range batches (`postgres_batches`) until the source is exhausted.
Cancellation is honoured between batches.

Reads:
- full: in primary-key order (or cursor order when the source has no key);
  with neither, the whole source streams in ONE batch, so such an entity has no
  mid-entity resume (an interrupted attempt reloads it whole: its batch never
  committed).
- incremental: in (cursor, key...) order from the high-water mark the last run
  left. upsert re-reads the boundary (`cursor >= mark`), so rows that arrive
  late with the mark's cursor value are not lost; the upsert absorbs the
  re-read. append_event starts strictly after (cursor, key) instead, as a
  re-read would duplicate events. Rows with a NULL cursor are only loaded by
  full reads. An incremental run with no mark yet reads in full.

The in-run state (scope = root run id) of an entity:
    {"read": "full"|"incremental", "from": {"values": [...], "closed": bool} | null,
     "keyColumns": [...], "last": [...] | null, "rows": int, "direct": bool,
     "highWater": [...] | null, "done": bool}
"""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from syncplane.executor.connectors.postgres_batches import BatchLoader, EntityRun
from syncplane.executor.connectors.postgres_plan import (
    EntitySpec,
    ReadPlan,
    SyncSpec,
    key_and_cursor,
    key_names,
    plan_read,
    wants_incremental,
)
from syncplane.executor.connectors.postgres_windows import OpenPair, WindowedLoad, cut_windows, windowable
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.destinations import pg_loader, state
from syncplane.executor.destinations.copy_pipe import CopyResult, translating
from syncplane.executor.destinations.pg_loader import TableName, Target
from syncplane.executor.sources import pg_count, pg_source
from syncplane.executor.sources.pg_source import Column, SourceRelation

log = structlog.get_logger(__name__)


class EntityLoad:
    """One entity of one attempt (see the module docstring)."""

    def __init__(
        self,
        *,
        ctx: RunContext,
        spec: SyncSpec,
        entity: EntitySpec,
        src: asyncpg.Connection,
        dest: asyncpg.Connection,
        source_secret: str | None,
        open_pair: OpenPair | None = None,
    ) -> None:
        #: Opens more connections: set when the plan may load windows in parallel.
        self.open_pair = open_pair
        self.run = EntityRun(
            ctx=ctx,
            spec=spec,
            entity=entity,
            src=src,
            dest=dest,
            source_secret=source_secret,
            log=log.bind(sync_id=spec.sync_id, run_id=ctx.run_id, entity=entity.key),
        )

    async def run_entity(self) -> None:
        run = self.run
        key = run.entity.key
        with translating("destination"):
            saved = await state.load_cursor(run.dest, run.schema, run.spec.sync_id, run.ctx.root_run_id, key)
        if saved and saved.get("done"):
            run.log.info("pg.entity_skipped", reason="done_in_earlier_attempt")
            run.ctx.progress(key, phase="done")
            return
        with translating("source", run.source_secret):
            rel = await pg_source.discover(run.src, pg_source.resolve(run.spec.source_config, key))
        pk, cursor = key_and_cursor(run.entity, rel)
        plan = await self._plan(rel, pk, cursor, saved)
        target, direct = await self._prepare_destination(rel, pk, plan, saved)
        committed = saved or await self._new_state(rel, plan, direct)
        run.log.info(
            "pg.entity_started",
            read=plan.kind,
            keyset=key_names(plan.keyset),
            direct=direct,
            resumed=saved is not None,
            rows_committed=committed["rows"],
        )
        await self._expect(rel, plan, committed)
        if not plan.keyset:
            run.ctx.progress(key, message=f"{key}: no primary key or cursor, loading in one pass (no mid-entity resume)")
        run.ctx.progress(key, phase="loading")
        if run.spec.execution_mode == "fan_out_window" and self.open_pair is not None:
            why_not = windowable(plan)
            if why_not is None:
                await self._load_windows(rel, pk, plan, target, direct, committed)
                return
            run.log.info("pg.windows_not_used", reason=why_not)
            run.ctx.progress(key, message=f"{key}: {why_not}")
        await self._load(rel, pk, plan, target, direct, committed)

    async def _load_windows(
        self, rel: SourceRelation, pk: tuple[str, ...], plan: ReadPlan, target: Target, direct: bool, committed: dict[str, Any]
    ) -> None:
        """executionMode fan_out_window: the key range in windows loaded in parallel (`postgres_windows`)."""
        run = self.run
        assert self.open_pair is not None
        if "windows" not in committed:
            committed = {**committed, "windows": await cut_windows(run, rel, plan)}
            # Saved before any window loads: every attempt of the chain cuts the same windows.
            with translating("destination"):
                async with run.dest.transaction():
                    await run.check_fence()
                    await run.save_state(run.ctx.root_run_id, committed)
        run.log.info("pg.windows_started", windows=len(committed["windows"]), parallelism=run.spec.max_parallelism)

        def report(window: int, loader: BatchLoader) -> None:
            result = loader.last_result
            run.ctx.progress(
                run.entity.key,
                rows_read=result.rows_read if result else 0,
                rows_written=result.rows_written if result else 0,
                phase="loading",
            )
            run.ctx.commit_checkpoint(
                {
                    "entity": run.entity.key,
                    "window": window,
                    "lastKey": loader.state["last"],
                    "rowsCommitted": loader.state["rows"],
                    "done": False,
                }
            )

        windowed = WindowedLoad(run, rel, pk, plan, target, direct, committed, self.open_pair, report)
        loader = await windowed.load()
        staging = None
        if plan.null_pass and not direct:
            with translating("destination"):
                staging = await pg_loader.create_staging(run.dest, [(c.name, c.dest_type) for c in rel.columns] + list(run.meta))
            loader.staging = staging
        try:
            await loader.finish()
        finally:
            if staging is not None:
                await self._drop_quietly(staging)
        self._report(loader, loader.last_result, phase="done")
        run.log.info(
            "pg.entity_done", rows_committed=loader.state["rows"], windows=len(windowed.windows), batches=windowed.batches
        )

    async def _load(
        self, rel: SourceRelation, pk: tuple[str, ...], plan: ReadPlan, target: Target, direct: bool, committed: dict[str, Any]
    ) -> None:
        run = self.run
        staging = None
        if not direct:
            with translating("destination"):
                staging = await pg_loader.create_staging(run.dest, [(c.name, c.dest_type) for c in rel.columns] + list(run.meta))
        loader = BatchLoader(run, rel, pk, plan, target, staging, committed)
        try:
            while plan.keyset and await loader.next_batch():
                self._report(loader, loader.last_result, phase="loading")
                run.ctx.raise_if_cancelled()
            await loader.finish()
        except Exception:  # cleanup only; re-raised below
            # After Cancelled or Fenced the connection goes back to the pool, so
            # clean up; after anything else it is discarded with its temp table.
            if staging is not None:
                await self._drop_quietly(staging)
            raise
        if staging is not None:
            with translating("destination"):
                await pg_loader.drop_table(run.dest, staging)
        self._report(loader, loader.last_result, phase="done")
        run.log.info("pg.entity_done", rows_committed=loader.state["rows"], batches=loader.batches)

    async def _drop_quietly(self, table: TableName) -> None:
        try:
            await pg_loader.drop_table(self.run.dest, table)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            self.run.log.warning("pg.staging_drop_failed", error_type=type(exc).__name__)

    async def _plan(
        self, rel: SourceRelation, pk: tuple[str, ...], cursor: Column | None, saved: dict[str, Any] | None
    ) -> ReadPlan:
        run = self.run
        mark = None
        if saved is None and wants_incremental(run.spec, run.entity):
            assert cursor is not None
            with translating("destination"):
                mark = await state.load_cursor(run.dest, run.schema, run.spec.sync_id, state.SYNC_SCOPE, run.entity.key)
            if not mark or mark.get("cursorField") != cursor.name or not mark.get("values"):
                mark = None
        elif run.spec.run_mode == "incremental" and cursor is None:
            run.log.info("pg.incremental_without_cursor", action="full_read")
        plan = plan_read(run.entity, rel, pk, cursor, saved=saved, mark=mark)
        if saved and saved.get("keyColumns") != key_names(plan.keyset):
            raise RunFailed(
                f"entity {run.entity.key}: the source key changed during the run ({saved.get('keyColumns')} ->"
                f" {key_names(plan.keyset)}); start a new run",
                "config_error",
            )
        return plan

    async def _new_state(self, rel: SourceRelation, plan: ReadPlan, direct: bool) -> dict[str, Any]:
        high_water = None
        if plan.high_water == "start_max":
            with translating("source", self.run.source_secret):
                rows = await pg_source.fetch_read_only(self.run.src, pg_source.max_cursor_query(rel, plan.high_water_columns[0]))
                value = rows[0][0] if rows else None
            high_water = None if value is None else [value]
        return {
            "read": plan.kind,
            "from": None if plan.start is None else {"values": list(plan.start.values), "closed": plan.start.closed},
            "keyColumns": key_names(plan.keyset),
            "last": None,
            "rows": 0,
            "direct": direct,
            "highWater": high_water,
            "done": False,
        }

    async def _prepare_destination(
        self, rel: SourceRelation, pk: tuple[str, ...], plan: ReadPlan, saved: dict[str, Any] | None
    ) -> tuple[Target, bool]:
        """Creates or evolves the table batches go to; says whether they COPY straight into it."""
        run = self.run
        columns = [(c.name, c.dest_type) for c in rel.columns]
        mode = run.entity.load_mode
        with translating("destination"):
            async with run.dest.transaction():
                await run.check_fence()
                if mode == "replace":
                    table = pg_loader.replace_table_name(run.target_name, run.ctx.root_run_id)
                    target = await pg_loader.prepare_replace_table(
                        run.dest, table, columns + list(run.meta), resuming=saved is not None
                    )
                    return target, True
                key = pk if mode == "upsert" else ()
                target = await pg_loader.prepare_target(run.dest, run.target_name, columns, run.meta, key)
                if not target.exact:
                    return target, False
                if mode == "append_event":
                    return target, True
                # An upsert can COPY straight into the target only if no row can
                # conflict: the target was empty when this run chain began and
                # the read visits each key once (a full read in key ranges).
                if saved is not None:
                    return target, bool(saved.get("direct"))
                return target, plan.kind == "full" and await pg_loader.is_empty(run.dest, target.table)

    async def _expect(self, rel: SourceRelation, plan: ReadPlan, committed: dict[str, Any]) -> None:
        """The entity's total for this attempt: the rows of the read less those an earlier attempt
        of the chain committed (this attempt's counters start at zero)."""
        run = self.run
        with translating("source", run.source_secret):
            total = await pg_count.count_read(run.src, rel, plan.keyset, plan.start, plan.null_pass)
        if total is not None:
            run.ctx.expect(run.entity.key, rows=max(0, total.rows - int(committed["rows"])), rows_estimated=total.estimated)
            run.log.info("pg.entity_counted", rows=total.rows, estimated=total.estimated)

    def _report(self, loader: BatchLoader, result: CopyResult | None, *, phase: str) -> None:
        """Progress, then the checkpoint (already committed at the destination)."""
        key = self.run.entity.key
        self.run.ctx.progress(
            key,
            rows_read=result.rows_read if result else 0,
            rows_written=result.rows_written if result else 0,
            phase=phase,
        )
        self.run.ctx.commit_checkpoint(
            {
                "entity": key,
                "lastKey": loader.state["last"],
                "rowsCommitted": loader.state["rows"],
                "done": loader.state["done"],
            }
        )


__all__ = ["EntityLoad"]

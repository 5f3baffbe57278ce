"""fan_out_window: one large entity read as windows of its key range, in parallel.

The first key column's range is cut into windows once per run chain (at a
width of `windowSize`, or into about equal row counts), and the cut is saved
with the entity's in-run state, so every attempt of the chain sees the same
windows. Each window is an ordinary key-range batch load (`BatchLoader`)
capped at its upper boundary, on connections of its own, with its own in-run
state (entity key `<entity>@w<i>`): a resumed attempt skips finished windows
and continues the others after their last committed batch. When every window
is done, one last transaction does what a sequential load does at its end
(rows with a NULL key, the replace swap, the mark for the next run).

The windows of the last range have no upper boundary, so rows that arrive
during the run past the old maximum are read as a sequential read would.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg

from syncplane.executor.connectors.parallel import first_outcome
from syncplane.executor.connectors.postgres_batches import BatchLoader, EntityRun
from syncplane.executor.connectors.postgres_plan import ReadPlan, SyncSpec
from syncplane.executor.context import RunFailed
from syncplane.executor.destinations import pg_loader, state
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.destinations.pg_loader import TableName, Target
from syncplane.executor.sources import pg_source
from syncplane.executor.sources.pg_source import Lower, SourceRelation

#: Opens a (source, destination) connection pair for one window worker.
OpenPair = Callable[[], AbstractAsyncContextManager[tuple[asyncpg.Connection, asyncpg.Connection]]]

#: Windows per parallel worker when no windowSize is given: small enough that
#: a slow window does not leave the other workers idle at the end.
WINDOWS_PER_WORKER = 4


def windowable(plan: ReadPlan) -> str | None:
    """Why this read cannot be windowed (None: it can)."""
    if not plan.keyset:
        return "the entity has no primary key or cursor to cut into windows"
    if plan.high_water == "max_seen":
        # The next run's mark would be the largest (cursor, key) over windows
        # finished in any order; sequential reads keep it exact.
        return "a full append_event read whose key does not start with the cursor is loaded sequentially"
    return None


def window_key(entity_key: str, index: int) -> str:
    return f"{entity_key}@w{index}"


async def cut_windows(run: EntityRun, rel: SourceRelation, plan: ReadPlan) -> list[dict[str, Any]]:
    """The windows of this run chain: [{"lower": {"values", "closed"} | None, "ceiling": text | None}]."""
    spec: SyncSpec = run.spec
    column = plan.keyset[0]
    width = spec.window_size
    if width is not None:
        numeric = column.cast_type in pg_source.NUMERIC_KEY_TYPES
        if not (numeric or column.cast_type in pg_source.TIME_KEY_TYPES):
            raise RunFailed(
                f"entity {run.entity.key}: windowSize needs a numeric or date/time key; {column.name!r} is"
                f" {column.source_type} (leave windowSize out to cut windows of equal row counts)",
                "config_error",
            )
        if numeric and isinstance(width, str):
            raise RunFailed(f"entity {run.entity.key}: windowSize for a numeric key must be a number", "config_error")
    query = pg_source.window_bounds_query(
        rel, column, plan.start, count=spec.max_parallelism * WINDOWS_PER_WORKER, width=width
    )
    with translating("source", run.source_secret):
        try:
            bounds = [r["b"] for r in await pg_source.fetch_read_only(run.src, query)]
        except (asyncpg.DataError, asyncpg.SyntaxOrAccessError) as exc:
            raise RunFailed(f"entity {run.entity.key}: windowSize {width!r}: {exc}", "config_error") from exc
    if len(bounds) > pg_source.MAX_WINDOWS:
        raise RunFailed(
            f"entity {run.entity.key}: windowSize {width!r} cuts more than {pg_source.MAX_WINDOWS} windows",
            "config_error",
        )
    first = None if plan.start is None else {"values": list(plan.start.values), "closed": plan.start.closed}
    lowers: list[dict[str, Any] | None] = [first] + [{"values": [b], "closed": False} for b in bounds]
    ceilings: list[str | None] = [*bounds, None]
    return [{"lower": lo, "ceiling": hi} for lo, hi in zip(lowers, ceilings)]


class WindowedLoad:
    """The windows of one entity in one attempt (see the module docstring)."""

    def __init__(
        self,
        run: EntityRun,
        rel: SourceRelation,
        pk: tuple[str, ...],
        plan: ReadPlan,
        target: Target,
        direct: bool,
        committed: dict[str, Any],
        open_pair: OpenPair,
        report: Callable[[int, BatchLoader], None],
    ) -> None:
        self.run = run
        self.rel = rel
        self.pk = pk
        self.plan = plan
        self.target = target
        self.direct = direct
        self.committed = committed
        self.open_pair = open_pair
        #: report(window index, its loader) after each committed window batch.
        self.report = report
        self.windows: list[dict[str, Any]] = committed["windows"]
        self.window_rows = [0] * len(self.windows)
        self.window_last: list[list[str] | None] = [None] * len(self.windows)
        self.done: set[int] = set()
        self.batches = 0

    async def load(self) -> BatchLoader:
        """Loads every unfinished window; returns the loader whose `finish` completes the entity."""
        gate = asyncio.Semaphore(self.run.spec.max_parallelism)
        self._detail()
        try:
            async with asyncio.TaskGroup() as group:
                for index in range(len(self.windows)):
                    group.create_task(self._window(index, gate))
        except BaseExceptionGroup as grouped:
            raise first_outcome(grouped) from None
        # The entity's end state: rows of every window, and the key the last
        # non-empty window ended at (the mark of a read ordered by the cursor).
        last = next((w for w in reversed(self.window_last) if w is not None), None)
        final = {**self.committed, "last": last, "rows": sum(self.window_rows)}
        return BatchLoader(self.run, self.rel, self.pk, self.plan, self.target, None, final)

    async def _window(self, index: int, gate: asyncio.Semaphore) -> None:
        run = self.run
        key = window_key(run.entity.key, index)
        async with gate:
            run.ctx.raise_if_cancelled()
            async with self.open_pair() as (src, dest):
                wrun = dataclasses.replace(
                    run, src=src, dest=dest, entity=dataclasses.replace(run.entity, key=key), log=run.log.bind(window=index)
                )
                with translating("destination"):
                    saved = await state.load_cursor(dest, run.schema, run.spec.sync_id, run.ctx.root_run_id, key)
                base = {k: v for k, v in self.committed.items() if k != "windows"}
                wstate = saved or {**base, "last": None, "rows": 0, "done": False}
                self.window_rows[index] = int(wstate["rows"])
                self.window_last[index] = wstate["last"]
                if wstate.get("done"):
                    self.done.add(index)
                    self._detail()
                    return
                wrun.log.info("pg.window_started", rows_committed=self.window_rows[index], resumed=saved is not None)
                window = self.windows[index]
                lower = window["lower"]
                plan = dataclasses.replace(
                    self.plan,
                    start=None if lower is None else Lower(tuple(lower["values"]), bool(lower["closed"])),
                    null_pass=False,
                )
                async with self._staging(dest) as staging:
                    loader = BatchLoader(wrun, self.rel, self.pk, plan, self.target, staging, wstate, window["ceiling"])
                    while await loader.next_batch():
                        self.batches += 1
                        self.window_rows[index] = int(loader.state["rows"])
                        self.window_last[index] = loader.state["last"]
                        self.report(index, loader)
                        run.ctx.raise_if_cancelled()
                with translating("destination"):
                    async with dest.transaction():
                        await wrun.check_fence()
                        await wrun.save_state(run.ctx.root_run_id, {**loader.state, "done": True})
        self.done.add(index)
        wrun.log.info("pg.window_done", rows_committed=self.window_rows[index])
        self._detail()

    @contextlib.asynccontextmanager
    async def _staging(self, dest: asyncpg.Connection) -> AsyncIterator[TableName | None]:
        """A window's own staging table (temp tables belong to one connection)."""
        if self.direct:
            yield None
            return
        columns = [(c.name, c.dest_type) for c in self.rel.columns] + list(self.run.meta)
        with translating("destination"):
            table = await pg_loader.create_staging(dest, columns)
        try:
            yield table
        finally:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await pg_loader.drop_table(dest, table)

    def _detail(self) -> None:
        """Per-window progress, under detail.windows.<entity>."""
        ctx = self.run.ctx
        windows = dict(ctx.detail.get("windows") or {})
        windows[self.run.entity.key] = {
            "count": len(self.windows),
            "done": len(self.done),
            "rowsByWindow": list(self.window_rows),
        }
        ctx.report_detail(windows=windows)


__all__ = ["OpenPair", "WindowedLoad", "cut_windows", "window_key", "windowable"]

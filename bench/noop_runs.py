"""Runs that move nothing (`noop` connector), queued straight into the engine
of an in-process server: what the dispatch benches of each execution backend
measure, the same way for every backend.

`dispatch` queues a flood of runs (32 at a time) and waits for all, then a
paced phase below capacity, and reports runs/s of the flood, queue -> start of
the flood, and queue -> start and queue -> done of the paced runs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench.common import percentile
from syncplane.server.app import ServerApp
from syncplane.server.db.connection import Conn
from syncplane.server.db.models import Run
from syncplane.server.db.runs import NewRun
from syncplane.server.engine.hooks import BaseKindHooks

#: The subject kind the benches queue (register `BenchKind()` under it).
KIND = "bench"


class BenchKind(BaseKindHooks):
    """Engine hooks of a subject kind that only benchmarks use: the spec as it is, nothing at the end."""

    def prepare_assignment(self, run: Run, secrets: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        return dict(run.spec), {}

    async def on_terminal(self, conn: Conn, run: Run) -> None:
        return None


async def wait_done(app: ServerApp, ids: list[uuid.UUID]) -> None:
    """Waits until every run ended; raises if one did not succeed or the server failed."""
    assert app.pool is not None
    while await app.pool.fetchval(
        "SELECT count(*) FROM syncplane.runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND id = ANY($1::uuid[])",
        ids,
    ) < len(ids):
        if app.failed.is_set():
            raise RuntimeError(f"the server failed: {app._supervisor.error}")
        await asyncio.sleep(0.02)
    failed = await app.pool.fetch(
        "SELECT result_reason_code, error FROM syncplane.runs WHERE status <> 'succeeded' AND id = ANY($1::uuid[])", ids
    )
    if failed:
        raise RuntimeError(f"{len(failed)} runs did not succeed, e.g. {dict(failed[0])}")


async def dispatch(app: ServerApp, backend: str, runs: int, paced: int, rate: float) -> dict[str, float]:
    """A flood of `runs`, then `paced` runs at `rate` per second, on `backend` (see the module docstring)."""
    assert app.engine is not None and app.pool is not None
    engine, pool = app.engine, app.pool

    def new() -> NewRun:
        return NewRun(subject_kind=KIND, subject_id=uuid.uuid4(), connector="noop", spec={},
                      triggered_by="manual", execution_backend=backend)

    sem = asyncio.Semaphore(32)

    async def queue() -> uuid.UUID:
        async with sem:
            return (await engine.queue(new())).id

    t0 = time.perf_counter()
    flood = list(await asyncio.gather(*(queue() for _ in range(runs))))
    await wait_done(app, flood)
    elapsed = time.perf_counter() - t0
    steady: list[uuid.UUID] = []
    for _ in range(paced):
        steady.append((await engine.queue(new())).id)
        await asyncio.sleep(1 / rate)
    await wait_done(app, steady)

    async def ms(expr: str, ids: list[uuid.UUID]) -> list[float]:
        rows = await pool.fetch(f"SELECT extract(epoch FROM {expr}) * 1000 AS ms FROM syncplane.runs WHERE id = ANY($1::uuid[])", ids)
        return [float(r["ms"]) for r in rows]

    start = await ms("started_at - created_at", flood)
    paced_start, paced_done = await ms("started_at - created_at", steady), await ms("completed_at - created_at", steady)
    return {
        "runs": runs, "paced": paced, "rate": rate, "runs_per_second": runs / elapsed,
        "start_p50_ms": percentile(start, 50), "start_p99_ms": percentile(start, 99),
        "paced_start_p50_ms": percentile(paced_start, 50), "paced_start_p99_ms": percentile(paced_start, 99),
        "paced_done_p50_ms": percentile(paced_done, 50), "paced_done_p99_ms": percentile(paced_done, 99),
    }


__all__ = ["KIND", "BenchKind", "dispatch", "wait_done"]

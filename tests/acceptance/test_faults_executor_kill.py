"""Fault: an executor is SIGKILLed mid-run (real processes, random kill points).

The kill point is a failpoint, so the run is certainly going when it strikes:
just assigned (`executor.run.started`) or paused after its n-th committed
batch (`executor.batch.committed`, n random). The attempt must end
`heartbeat_timeout` within seconds, the next attempt must run on another
executor and resume, and the destination must end with exactly the source
rows (upsert, replace), or every source row exactly once (append_event). A
replace target must never be seen half-loaded.
"""

from __future__ import annotations

import time
from pathlib import Path

import asyncpg
import pytest

from tests.acceptance.faults import (
    Failpoints,
    append_rows_check,
    assert_exact_rows,
    attempts_overlap,
    create_sync,
    describe,
    executor_named,
    fault_rng,
    fault_stack,
    make_source,
    run_chain,
    table_rows,
)

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 500  # 40 batches
STALE = [(i, f"stale-{i}") for i in range(1, 11)]


async def _stale_target(dsn: str, table: str) -> None:
    """A replace target holding an older version: it must stay whole until the swap."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE TABLE public.{table} (id bigint PRIMARY KEY, customer text)")
        await conn.executemany(f"INSERT INTO public.{table} VALUES ($1, $2)", STALE)
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["upsert", "replace", "append_event"])
async def test_executor_sigkill_mid_run(mode: str, fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng(f"executor_sigkill_{mode}")
    await make_source(second_dsn, ROWS, table="orders")
    # Kill points: just assigned (nothing written yet) or after the n-th batch.
    nth = 0 if rng.random() < 0.25 else rng.randrange(2, ROWS // PAGE - 5)
    point = "executor.run.started" if nth == 0 else "executor.batch.committed"
    fp = Failpoints(tmp_path / "failpoints", {point: f"{max(nth, 1)}*pause"})
    print(f"{mode}: kill at {point} #{max(nth, 1)}")
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        dest = f"kill_{mode}"
        if mode == "replace":
            await _stale_target(fresh_dsn, dest)
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)

        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        victim = executor_named(stack, await fp.wait_hit(point))
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        assert current["status"] == "running" and current["executorId"] == victim.name, current
        await victim.kill()
        killed_at = time.monotonic()
        fp.release(point)  # the other executor, should it run the next attempt, passes

        if mode == "replace":
            # The old version stays whole until the final swap.
            seen = await table_rows(fresh_dsn, f"SELECT id, customer FROM public.{dest} ORDER BY id")
            assert seen == STALE, f"replace target changed before the swap: {len(seen)} rows"

        first = await stack.wait_run(run["id"], {"failed", "succeeded", "cancelled"}, timeout=30)
        detected = time.monotonic() - killed_at
        assert first["status"] == "failed", f"a killed attempt must not end {first['status']}: {first}"
        assert first["resultReasonCode"] == "heartbeat_timeout", first
        assert first["nextAttemptRunId"], "no next attempt was queued"
        await stack.start_executor(name="executor-r")

        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(f"  detected after {detected:.1f}s; chain: {describe(chain)}")
        assert final["status"] == "succeeded", describe(chain)
        assert all(a["executorId"] != victim.name for a in chain[1:]), describe(chain)
        assert chain[1]["triggeredBy"] == "auto_resume" and chain[1]["attemptRootRunId"] == run["id"]
        if nth > 0:
            # Resumed from the committed checkpoint, not from scratch.
            assert final["summary"]["rowsRead"] < ROWS, final["summary"]
        assert not attempts_overlap(stack.executors, chain)

        if mode == "append_event":
            missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", dest)
            assert not missing, f"{len(missing)} events lost, e.g. {missing[:5]}"
            assert dupes == 0, f"{dupes} events loaded twice after the resume"
        else:
            await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)

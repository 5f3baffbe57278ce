"""Fault: an executor is frozen (SIGSTOP) past its lease, then continued (SIGCONT).

Where it freezes is a failpoint (so the run is certainly going): between two
batches (`executor.batch.committed`) or inside a batch transaction holding the
fence row (`executor.batch.in_transaction`), after a random number of batches.
While it is frozen its attempt must be failed (`heartbeat_timeout`) and the
next attempt must take over; once it wakes up, everything it still sends for
the old attempt must be refused, it must stop that attempt, and it must not
corrupt the destination or end the run chain (exact rows at the end).
"""

from __future__ import annotations

import signal
from pathlib import Path

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
    log_events,
    make_source,
    run_chain,
    table_rows,
    wait_for,
)
from tests.acceptance.harness import Proc, Stack

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 500  # 40 batches
POINTS = ("executor.batch.committed", "executor.batch.in_transaction")


async def _fence_lock_holders(dsn: str) -> int:
    """Executor sessions inside a batch transaction (they hold the fence table FOR SHARE;
    inside a batch a session is tagged `sp:<sync>:<token>`)."""
    rows = await table_rows(
        dsn,
        "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE c.relname = '_syncplane_fences' AND l.granted"
        " AND (a.application_name = 'syncplane-executor' OR a.application_name LIKE 'sp:%')",
    )
    return int(rows[0][0])


async def _freeze_at_point(stack: Stack, fp: Failpoints, point: str) -> Proc:
    """SIGSTOPs the executor paused at `point`; the others pass it from now on."""
    who = await fp.wait_hit(point)
    fp.release(point, but=who)
    victim = executor_named(stack, who)
    victim.signal(signal.SIGSTOP)
    return victim


async def _next_attempt(stack: Stack, run_id: str, stage: str) -> dict:  # type: ignore[type-arg]
    """Waits until the run's next attempt is `queued`, `running` or `loading` (rows written)."""
    async def reached() -> dict | None:  # type: ignore[type-arg]
        chain = await run_chain(stack, run_id)
        if len(chain) < 2:
            return None
        nxt = chain[1]
        if stage == "queued" or nxt["status"] not in ("pending", "running"):
            return nxt
        if stage == "running" and nxt["status"] == "running":
            return nxt
        if stage == "loading" and (nxt.get("summary") or {}).get("rowsWritten", 0) > 0:
            return nxt
        return None
    return await wait_for(reached, 120, f"the next attempt is {stage}")


@pytest.mark.parametrize("mode", ["upsert", "replace", "append_event"])
async def test_executor_frozen_past_lease_then_continued(mode: str, fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng(f"executor_freeze_{mode}")
    await make_source(second_dsn, ROWS, table="orders")
    point = rng.choice(POINTS)
    nth = rng.randrange(2, ROWS // PAGE - 5)
    # When it wakes up, the next attempt is queued, assigned, or already loading.
    stage = rng.choice(["queued", "running", "loading"])
    print(f"{mode}: freeze at {point} #{nth}; continue once the next attempt is {stage}")
    fp = Failpoints(tmp_path / "failpoints", {point: f"{nth}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=3, failpoints=fp) as stack:
        dest = f"freeze_{mode}"
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        victim = await _freeze_at_point(stack, fp, point)
        try:
            in_batch = await _fence_lock_holders(fresh_dsn)
            if point == "executor.batch.in_transaction":
                assert in_batch == 1, f"frozen inside a batch, yet {in_batch} sessions hold the fence"
            first = await stack.wait_run(run["id"], {"failed", "succeeded", "cancelled"}, timeout=60)
            assert first["status"] == "failed" and first["resultReasonCode"] == "heartbeat_timeout", first
            nxt = await _next_attempt(stack, run["id"], stage)
            print(f"  frozen in a batch: {bool(in_batch)}; before SIGCONT: next attempt {nxt['status']},"
                  f" {(nxt.get('summary') or {}).get('rowsWritten')} rows")
        finally:
            victim.signal(signal.SIGCONT)
            fp.release(point)

        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(f"  chain: {describe(chain)}")
        assert final["status"] == "succeeded", describe(chain)
        # The frozen attempt stays what the sweeper made it.
        assert chain[0]["status"] == "failed" and chain[0]["resultReasonCode"] == "heartbeat_timeout"
        assert chain[0]["completedAt"] == first["completedAt"]
        assert not attempts_overlap(stack.executors, chain), attempts_overlap(stack.executors, chain)

        # Once awake, the old executor stopped the stale attempt: told so
        # (abandoned), fenced at the destination, or it ended by itself and
        # its result was refused (attempt 1 stays as the sweeper left it).
        async def stopped() -> list:  # type: ignore[type-arg]
            return [e for e in log_events(victim) if e.get("run_id") == run["id"]
                    and e.get("event") in ("run.abandoned", "run.fenced", "run.ended")]
        await wait_for(stopped, 60, f"{victim.name} stops the superseded attempt")
        refused = log_events(stack.server, "run.message_refused", run_id=run["id"])
        print(f"  refused after wake-up: {[(e.get('reason')) for e in refused][:3]}")

        if mode == "append_event":
            missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", dest)
            assert not missing and dupes == 0, f"missing {len(missing)}, duplicates {dupes}"
        else:
            await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)


async def test_next_attempt_is_not_blocked_by_a_frozen_batch(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng("frozen_batch_lock")
    await make_source(second_dsn, ROWS, table="orders")
    point = "executor.batch.in_transaction"
    fp = Failpoints(tmp_path / "failpoints", {point: f"{rng.randrange(2, ROWS // PAGE - 5)}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="frozen_forever", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        # Frozen inside a batch transaction, holding the fence row FOR SHARE.
        victim = await _freeze_at_point(stack, fp, point)
        assert await _fence_lock_holders(fresh_dsn) == 1
        # The executor never comes back (a paused VM, a host cut off from the
        # server but not from the database). Another executor is healthy: the
        # next attempt's fence claim must end the frozen batch, not wait on it.
        try:
            final = await stack.wait_chain(run["id"], timeout=120)
        except TimeoutError:
            sessions = await table_rows(
                fresh_dsn,
                "SELECT pid, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity"
                " WHERE application_name = 'syncplane-executor' AND state <> 'idle'",
            )
            raise AssertionError(
                f"with {victim.name} frozen in a batch the run chain is {describe(await run_chain(stack, run['id']))};"
                f" executor sessions: {sessions}"
            ) from None
        assert final["status"] == "succeeded", describe(await run_chain(stack, run["id"]))
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "frozen_forever")


async def test_frozen_executor_is_given_no_new_attempts(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng("frozen_gets_work")
    await make_source(second_dsn, ROWS, table="orders")
    point = "executor.batch.committed"
    fp = Failpoints(tmp_path / "failpoints", {point: f"{rng.randrange(2, ROWS // PAGE - 5)}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=1, slots=4, failpoints=fp) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="frozen_work", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        victim = await _freeze_at_point(stack, fp, point)
        try:
            # The lease runs out: attempt 1 is failed and attempt 2 queued while
            # the frozen executor (free slots, open stream) is the only one.
            await _next_attempt(stack, run["id"], "queued")
            chain = await run_chain(stack, run["id"])
            assert chain[0]["resultReasonCode"] == "heartbeat_timeout", describe(chain)
            # A healthy executor turns up: attempt 2 is assigned to it, not to the frozen one.
            healthy = await stack.start_executor(slots=2, name="executor-healthy")
            await _next_attempt(stack, run["id"], "running")
            chain = await run_chain(stack, run["id"])
            handed = [a for a in chain[1:] if a["executorId"] == victim.name]
            assert not handed, f"attempts handed to the frozen {victim.name}: {describe(chain)}"
            assert chain[1]["executorId"] == healthy.name, describe(chain)
        finally:
            victim.signal(signal.SIGCONT)
            fp.release(point)
        final = await stack.wait_chain(run["id"], timeout=120)
        assert final["status"] == "succeeded", describe(await run_chain(stack, run["id"]))
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "frozen_work")

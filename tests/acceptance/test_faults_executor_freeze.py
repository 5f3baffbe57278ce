"""Fault: an executor is frozen (SIGSTOP) past its lease, then continued (SIGCONT).

While it is frozen its attempt must be failed (`heartbeat_timeout`) and the
next attempt must take over; once it wakes up, everything it still sends for
the old attempt must be refused, it must stop that attempt, and it must not
corrupt the destination or end the run chain (exact rows at the end).
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from tests.acceptance.faults import (
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
    wait_rows,
)
from tests.acceptance.harness import Stack

pytestmark = pytest.mark.acceptance

ROWS = 100_000
PAGE = 1_000


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


async def test_executor_frozen_past_lease_then_continued(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = fault_rng("executor_freeze")
    await make_source(second_dsn, ROWS, table="orders")
    modes = ["upsert", "replace", "append_event"]
    rng.shuffle(modes)
    async with fault_stack(fresh_dsn, tmp_path, executors=3) as stack:
        for i, mode in enumerate(modes):
            dest = f"freeze_{i}_{mode}"
            sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)
            at_rows = int(ROWS * rng.uniform(0.05, 0.6))
            # Frozen for the lease (2 s) plus up to a few seconds: the next
            # attempt may be queued, assigned, blocked or already loading.
            extra = rng.uniform(0.5, 3.0)
            print(f"iteration {i}: {mode}, freeze at >= {at_rows} rows for lease + {extra:.1f}s")

            run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
            current = await wait_rows(stack, run["id"], at_rows)
            assert current["status"] == "running", f"fault point missed: {current}"
            victim = executor_named(stack, current["executorId"])
            victim.signal(signal.SIGSTOP)
            frozen_at = time.monotonic()
            in_batch = await _fence_lock_holders(fresh_dsn)
            try:
                first = await stack.wait_run(run["id"], {"failed", "succeeded", "cancelled"}, timeout=12)
                detected = time.monotonic() - frozen_at
                assert first["status"] == "failed" and first["resultReasonCode"] == "heartbeat_timeout", first
                assert detected < 10
                await asyncio.sleep(max(0.0, 2.0 + extra - (time.monotonic() - frozen_at)))
                mid = await run_chain(stack, run["id"])
                print(f"  frozen in a batch: {bool(in_batch)}; detected after {detected:.1f}s;"
                      f" before SIGCONT: {describe(mid)}; {mid[-1].get('summary', {}).get('rowsWritten')} rows")
            finally:
                victim.signal(signal.SIGCONT)

            final = await stack.wait_chain(run["id"], timeout=60)
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
            async def stopped() -> list:
                return [e for e in log_events(victim) if e.get("run_id") == run["id"]
                        and e.get("event") in ("run.abandoned", "run.fenced", "run.ended")]
            await wait_for(stopped, 5, f"{victim.name} stops the superseded attempt")
            refused = log_events(stack.server, "run.message_refused", run_id=run["id"])
            print(f"  refused after wake-up: {[(e.get('reason')) for e in refused][:3]}")

            if mode == "append_event":
                missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", dest)
                assert not missing and dupes == 0, f"missing {len(missing)}, duplicates {dupes}"
            else:
                await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)


async def _freeze_inside_batch(stack: Stack, dsn: str, run_id: str, rng, tries: int = 20):  # type: ignore[no-untyped-def]
    """SIGSTOPs the run's executor at a moment its destination session is inside
    a batch transaction (holding the fence row FOR SHARE); retries otherwise."""
    for _ in range(tries):
        current = await wait_rows(stack, run_id, 1)
        assert current["status"] == "running", f"fault point missed: {current}"
        victim = executor_named(stack, current["executorId"])
        victim.signal(signal.SIGSTOP)
        if await _fence_lock_holders(dsn) == 1:
            return victim
        victim.signal(signal.SIGCONT)
        await asyncio.sleep(rng.uniform(0.01, 0.1))
    raise AssertionError("could not freeze the executor inside a batch transaction")


async def test_next_attempt_is_not_blocked_by_a_frozen_batch(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = fault_rng("frozen_batch_lock")
    await make_source(second_dsn, ROWS, table="orders")
    async with fault_stack(fresh_dsn, tmp_path, executors=2) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="frozen_forever", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await wait_rows(stack, run["id"], int(ROWS * rng.uniform(0.05, 0.5)))
        victim = await _freeze_inside_batch(stack, fresh_dsn, run["id"], rng)
        # The executor never comes back (a paused VM, a host cut off from the
        # server but not from the database). Another executor is healthy.
        deadline = time.monotonic() + 8
        chain = await run_chain(stack, run["id"])
        while time.monotonic() < deadline and not (chain[-1]["status"] == "succeeded"):
            await asyncio.sleep(0.5)
            chain = await run_chain(stack, run["id"])
        sessions = await table_rows(
            fresh_dsn,
            "SELECT pid, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity"
            " WHERE application_name = 'syncplane-executor' AND state <> 'idle'",
        )
        assert chain[-1]["status"] == "succeeded", (
            f"8 s after {victim.name} froze the run chain is {describe(chain)},"
            f" last attempt progress {chain[-1].get('summary')}; executor sessions: {sessions}"
        )
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "frozen_forever")


async def test_frozen_executor_is_given_no_new_attempts(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = fault_rng("frozen_gets_work")
    await make_source(second_dsn, ROWS, table="orders")
    async with fault_stack(fresh_dsn, tmp_path, executors=1, slots=4) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="frozen_work", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        current = await wait_rows(stack, run["id"], int(ROWS * rng.uniform(0.05, 0.5)))
        assert current["status"] == "running"
        victim = executor_named(stack, current["executorId"])
        victim.signal(signal.SIGSTOP)
        try:
            # Two leases and a sweep: attempt 1 is failed, attempt 2 queued.
            await asyncio.sleep(5.5)
            chain = await run_chain(stack, run["id"])
            assert chain[0]["resultReasonCode"] == "heartbeat_timeout", describe(chain)
            handed = [a for a in chain[1:] if a["executorId"] == victim.name]
            assert not handed, f"attempts handed to the frozen {victim.name}: {describe(chain)}"
        finally:
            victim.signal(signal.SIGCONT)
        final = await stack.wait_chain(run["id"], timeout=30)
        assert final["status"] == "succeeded", describe(await run_chain(stack, run["id"]))
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "frozen_work")

"""Fault: the server is SIGKILLed mid-run and restarted on the same ports and database.

Executors must reconnect by themselves (backoff), attempts that were running
must be re-adopted or re-run, no run may stay `running`, and every destination
must end with exactly the source rows.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import pytest

from tests.acceptance.faults import (
    KNOWN_EXECUTOR_CRASH,
    append_rows_check,
    assert_exact_rows,
    attempts_overlap,
    create_sync,
    describe,
    executor_crash,
    fault_rng,
    fault_stack,
    finished_unreported,
    log_events,
    make_source,
    run_chain,
    table_rows,
    wait_for,
    wait_rows,
)

pytestmark = pytest.mark.acceptance

ROWS = 80_000
PAGE = 1_000
MODES = ("upsert", "replace", "append_event")


async def test_server_sigkill_and_restart(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = fault_rng("server_restart")
    await make_source(second_dsn, ROWS, table="orders")
    async with fault_stack(fresh_dsn, tmp_path, executors=2) as stack:
        syncs = {
            mode: await create_sync(stack, second_dsn, table="orders", dest_table=f"restart_{mode}", load_mode=mode, page_size=PAGE)
            for mode in MODES
        }
        crashes: dict[str, str] = {}  # executor -> its traceback (the known crash only)
        # Down for less than a lease (2 s: attempts may be re-adopted) and for
        # more (they must be re-run), in random order.
        downs = [rng.choice([0.0, rng.uniform(0.2, 1.2)]), rng.uniform(2.5, 4.0)]
        rng.shuffle(downs)
        for i, down in enumerate(downs):
            # Three runs at once (one per load mode); the kill lands anywhere
            # from "just queued" to "mostly loaded".
            delay = rng.uniform(0.0, 0.8)
            print(f"iteration {i}: kill the server {delay:.2f}s after the triggers, down for {down:.1f}s")
            runs = {mode: await stack.post(f"/api/v1/syncs/{sid}/trigger", {"runMode": "full"}) for mode, sid in syncs.items()}
            await asyncio.sleep(delay)
            assert stack.server is not None
            before = {mode: (await stack.get(f"/api/v1/syncs/runs/{r['id']}"))["status"] for mode, r in runs.items()}
            await stack.server.kill()
            live = [p for p in stack.executors if p.alive]
            connects_before = {p.name: len(log_events(p, "executor.connected")) for p in live}
            await asyncio.sleep(down)
            t0 = time.monotonic()
            await stack.start_server()

            # Executors come back by themselves.
            async def reconnected() -> bool:
                return all(not p.alive or len(log_events(p, "executor.connected")) > connects_before[p.name] for p in live)
            # 20 s: the executors' backoff does not reset (see
            # test_executor_reconnect_backoff_resets_after_a_connection).
            await wait_for(reconnected, 20, "both executors reconnect to the restarted server")
            for proc in live:
                crash = executor_crash(proc)
                if crash is not None:
                    assert KNOWN_EXECUTOR_CRASH in crash, crash
                    crashes[proc.name] = crash
                    await stack.start_executor(name=f"executor-{len(stack.executors)}")
                    print(f"  {proc.name} CRASHED when the server died; replaced")
            print(f"  before the kill: {before}; executors back {time.monotonic() - t0:.1f}s after the restart")

            for mode, run in runs.items():
                final = await stack.wait_chain(run["id"], timeout=40)
                chain = await run_chain(stack, run["id"])
                print(f"  {mode}: {describe(chain)}")
                assert final["status"] == "succeeded", f"{mode}: {describe(chain)}"
                assert not attempts_overlap(stack.executors, chain), attempts_overlap(stack.executors, chain)
                for attempt in chain[:-1]:
                    assert attempt["resultReasonCode"] == "heartbeat_timeout", f"{mode}: {describe(chain)}"
                dest = f"restart_{mode}"
                if mode == "append_event":
                    missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", dest)
                    assert not missing, f"{len(missing)} events lost"
                    if finished_unreported(stack.executors, chain):
                        # The known bug of test_attempt_finished_while_server_down_is_not_loaded_again.
                        print(f"  append_event: attempt #1 finished while the server was down; {dupes} duplicates")
                    else:
                        assert dupes == 0, f"{dupes} events loaded twice ({describe(chain)})"
                    # append_event keeps every run's events: start the next iteration empty.
                    await table_rows(fresh_dsn, f"DELETE FROM public.{dest} RETURNING 1")
                else:
                    await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)

        stuck = await table_rows(
            fresh_dsn, "SELECT id, status FROM syncplane.runs WHERE status IN ('pending', 'running', 'cancelling')"
        )
        assert not stuck, f"runs left active: {stuck}"
        await stack.wait_http(lambda status, body: status == 200, "/readyz", timeout=10)
        if crashes:
            pytest.xfail(
                "BUG: an executor process exited when its stream was reset (grpc call.write raised "
                f"InvalidStateError, which Executor.run does not catch): {next(iter(crashes.values()))}"
            )


async def test_attempt_finished_while_server_down_is_not_loaded_again(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = fault_rng("finished_while_server_down")
    await make_source(second_dsn, ROWS, table="orders")
    async with fault_stack(fresh_dsn, tmp_path, executors=2) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="events", load_mode="append_event", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        current = await wait_rows(stack, run["id"], int(ROWS * rng.uniform(0.05, 0.5)))
        assert current["status"] == "running"
        assert stack.server is not None
        await stack.server.kill()

        # The executor loads the rest and commits while nobody listens.
        async def ended() -> list[dict[str, Any]]:
            return [e for p in stack.executors for e in log_events(p, "run.ended", run_id=run["id"])]
        done = await wait_for(ended, 20, "the attempt ends on its executor while the server is down")
        assert done[0]["outcome"] == "OUTCOME_SUCCEEDED", done
        # The executors reconnect after the restarted server's first sweep, as
        # their backoff (up to 10 s) makes likely: hold them until then.
        for proc in stack.executors:
            proc.signal(signal.SIGSTOP)
        try:
            await stack.start_server()
            await stack.wait_run(run["id"], {"failed", "succeeded"}, timeout=10)
        finally:
            for proc in stack.executors:
                proc.signal(signal.SIGCONT)

        final = await stack.wait_chain(run["id"], timeout=40)
        chain = await run_chain(stack, run["id"])
        assert final["status"] == "succeeded", describe(chain)
        missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", "events")
        assert not missing
        per_attempt = await table_rows(
            fresh_dsn, "SELECT _syncplane_attempt, count(*) FROM public.events GROUP BY 1 ORDER BY 1"
        )
        assert dupes == 0, (
            f"{dupes} of {ROWS} events loaded twice; rows per attempt {per_attempt}; chain {describe(chain)}"
        )


async def test_executor_reconnect_backoff_resets_after_a_connection(fresh_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with fault_stack(fresh_dsn, tmp_path, executors=1) as stack:
        executor = stack.executors[0]
        latencies = []
        for _ in range(2):
            assert stack.server is not None
            connected = len(log_events(executor, "executor.connected"))
            t0 = time.monotonic()
            await stack.restart_server()

            async def back() -> bool:
                return len(log_events(executor, "executor.connected")) > connected
            await wait_for(back, 20, "the executor reconnects")
            latencies.append(round(time.monotonic() - t0, 1))
        # After every successful connection, the first retry waits the initial
        # backoff again (0.2 s), not what earlier outages grew it to.
        waits, seen_connect = [], False
        for e in log_events(executor):
            if e["event"] == "executor.connected":
                seen_connect = True
            elif e["event"] == "executor.disconnected" and seen_connect:
                waits.append(e.get("retry_in"))
                seen_connect = False
        assert waits and all(w is not None and w <= 0.2 for w in waits), (
            f"first retry after each of {len(waits)} connections waited {waits} s (x0.5-1.5 jitter);"
            f" reconnect latency after each restart: {latencies} s"
        )

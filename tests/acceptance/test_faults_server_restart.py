"""Fault: the server is SIGKILLed mid-run and restarted on the same ports and database.

The kill comes while an executor is paused at a failpoint (after a random
number of committed batches), so at least one run is certainly going.
Executors must reconnect by themselves (backoff) and stay alive (a crash fails
the test), attempts that were running must be re-adopted or re-run, no run may
stay `running`, and every destination must end with exactly the source rows.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.faults import (
    Failpoints,
    append_rows_check,
    assert_exact_rows,
    attempts_overlap,
    create_sync,
    describe,
    executor_crash,
    fault_rng,
    fault_stack,
    log_events,
    make_source,
    run_chain,
    table_rows,
    wait_for,
)

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 500  # 40 batches
POINT = "executor.batch.committed"
MODES = ("upsert", "replace", "append_event")


@pytest.mark.parametrize("outage", ["within_a_lease", "past_a_lease"])
async def test_server_sigkill_and_restart(outage: str, fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng(f"server_restart_{outage}")
    await make_source(second_dsn, ROWS, table="orders")
    nth = rng.randrange(1, ROWS // PAGE - 5)
    # Down for less than a lease (2 s: attempts may be re-adopted) or for more
    # (they must be re-run). The length of the outage is the shape of the
    # harm; nothing below depends on what happened meanwhile.
    down = rng.choice([0.0, rng.uniform(0.2, 1.0)]) if outage == "within_a_lease" else rng.uniform(2.5, 4.0)
    print(f"kill the server when an executor is paused at {POINT} #{nth}, down for {down:.1f}s")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{nth}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        syncs = {
            mode: await create_sync(stack, second_dsn, table="orders", dest_table=f"restart_{mode}", load_mode=mode, page_size=PAGE)
            for mode in MODES
        }
        # Three runs at once (one per load mode): one is paused at the point,
        # the others anywhere from queued to done.
        runs = {mode: await stack.post(f"/api/v1/syncs/{sid}/trigger", {"runMode": "full"}) for mode, sid in syncs.items()}
        paused = await fp.wait_hit(POINT)
        assert stack.server is not None
        before = {mode: (await stack.get(f"/api/v1/syncs/runs/{r['id']}"))["status"] for mode, r in runs.items()}
        await stack.server.kill()
        live = [p for p in stack.executors if p.alive]
        connects_before = {p.name: len(log_events(p, "executor.connected")) for p in live}
        await asyncio.sleep(down)
        t0 = time.monotonic()
        await stack.start_server()

        # Executors come back by themselves, alive.
        async def reconnected() -> bool:
            return all(not p.alive or len(log_events(p, "executor.connected")) > connects_before[p.name] for p in live)
        await wait_for(reconnected, 60, "both executors reconnect to the restarted server")
        dead = [executor_crash(p) for p in live if not p.alive]
        assert not dead, f"an executor exited when the server died: {dead}"
        print(f"  {paused} paused; before the kill: {before}; executors back {time.monotonic() - t0:.1f}s after the restart")
        fp.release(POINT)

        for mode, run in runs.items():
            final = await stack.wait_chain(run["id"], timeout=120)
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
                assert dupes == 0, f"{dupes} events loaded twice ({describe(chain)})"
            else:
                await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)

        stuck = await table_rows(
            fresh_dsn, "SELECT id, status FROM syncplane.runs WHERE status IN ('pending', 'running', 'cancelling')"
        )
        assert not stuck, f"runs left active: {stuck}"
        assert all(p.alive for p in stack.executors), [executor_crash(p) for p in stack.executors]
        await stack.wait_http(lambda status, body: status == 200, "/readyz", timeout=30)


async def test_attempt_finished_while_server_down_is_not_loaded_again(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng("finished_while_server_down")
    await make_source(second_dsn, ROWS, table="orders")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{rng.randrange(2, ROWS // PAGE - 5)}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="events", load_mode="append_event", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(POINT)
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        assert current["status"] == "running", current
        assert stack.server is not None
        await stack.server.kill()
        fp.release(POINT)

        # The executor loads the rest and commits while nobody listens.
        async def ended() -> list[dict[str, Any]]:
            return [e for p in stack.executors for e in log_events(p, "run.ended", run_id=run["id"])]
        done = await wait_for(ended, 120, "the attempt ends on its executor while the server is down")
        assert done[0]["outcome"] == "OUTCOME_SUCCEEDED", done
        # The executors reconnect after the restarted server's first sweep, as
        # their backoff (up to 10 s) makes likely: hold them until then.
        for proc in stack.executors:
            proc.signal(signal.SIGSTOP)
        try:
            await stack.start_server()
            await stack.wait_run(run["id"], {"failed", "succeeded"}, timeout=60)
        finally:
            for proc in stack.executors:
                proc.signal(signal.SIGCONT)

        final = await stack.wait_chain(run["id"], timeout=120)
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

            async def back(connected: int = connected) -> bool:
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


@pytest.mark.parametrize("mode", ["upsert", "append_event"])
async def test_server_dies_between_receiving_a_result_and_persisting_it(
    mode: str, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """The server crashes (failpoint `engine.finish=crash`: a SIGKILL of itself)
    after an executor's result arrived, before it was committed; the executor
    counts it as delivered. The restarted server must still end the chain
    `succeeded` with the destination loaded exactly once."""
    await make_source(second_dsn, ROWS, table="orders")
    fp = Failpoints(tmp_path / "failpoints")
    armed = fp.env("server", {"engine.finish": "crash"})
    async with fault_stack(fresh_dsn, tmp_path, executors=1, env=armed) as stack:
        dest = f"lost_result_{mode}"
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        assert stack.server is not None
        await fp.wait_hit("engine.finish")
        await stack.server.process.wait()  # it killed itself
        ended = log_events(stack.executors[0], "run.ended", run_id=run["id"])
        assert ended and ended[0]["outcome"] == "OUTCOME_SUCCEEDED", ended
        for key in armed:
            stack.env.pop(key)
        await stack.start_server()

        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(f"{mode}: {describe(chain)}")
        assert final["status"] == "succeeded", describe(chain)
        assert stack.executors[0].alive, executor_crash(stack.executors[0])
        if mode == "append_event":
            missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", dest)
            assert not missing and dupes == 0, f"missing {len(missing)}, duplicates {dupes} ({describe(chain)})"
        else:
            await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)


async def test_server_dies_between_claiming_a_run_and_assigning_it(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    """The server crashes (failpoint `engine.dispatch.claimed=crash`) after it
    committed a claim for an executor, before the Assign went out: the run is
    `running` on an executor that never heard of it. The restarted server must
    not leave it so: the attempt times out and its successor loads the rows."""
    await make_source(second_dsn, ROWS, table="orders")
    fp = Failpoints(tmp_path / "failpoints")
    armed = fp.env("server", {"engine.dispatch.claimed": "crash"})
    async with fault_stack(fresh_dsn, tmp_path, executors=1, env=armed) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="claimed_lost", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        assert stack.server is not None
        await fp.wait_hit("engine.dispatch.claimed")
        await stack.server.process.wait()  # it killed itself
        for key in armed:
            stack.env.pop(key)
        await stack.start_server()

        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(describe(chain))
        assert final["status"] == "succeeded", describe(chain)
        assert chain[0]["resultReasonCode"] == "heartbeat_timeout", describe(chain)
        assert not log_events(stack.executors[0], "run.started", run_id=run["id"]), "the lost claim reached the executor"
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "claimed_lost")

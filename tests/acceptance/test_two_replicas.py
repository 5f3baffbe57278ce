"""Scale-out and crash safety: two server replicas on one PostgreSQL, one of
them SIGKILLed while runs are in flight.

Executors name both replicas (`--server a,b` / `b,a`), so some start on each;
triggers go through both replicas' REST gateways and gRPC. When replica A
dies (while a run on one of its executors is paused at a failpoint, so runs
are certainly in flight, whatever the machine's speed), its executors must
move to B by themselves, and then:
- every run chain ends `succeeded` (re-adopted by B, or resumed after its
  lease ran out);
- each chain is a proper chain, no two runs of one sync were ever active at
  once, no attempt was started twice, no attempt loaded over a successor;
- every destination holds exactly its source rows (upsert, replace and
  append_event alike: each sync runs one chain);
- scheduled syncs (a slot every 2 s, both replicas' schedulers racing for
  it) fire each slot at most once, and keep firing on B after A is gone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import pytest

from syncplane.syncs.v1 import service_pb2 as syncs_pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc
from tests.acceptance.faults import (
    SOURCE_COLUMNS,
    Failpoints,
    attempts_overlap,
    create_sync,
    fault_rng,
    fault_stack,
    log_events,
    make_source,
    run_chain,
    table_rows,
    wait_for,
)
from tests.acceptance.harness import ADMIN_KEY, Proc, Stack
from tests.acceptance.integrity import (
    chain_problems,
    chains,
    double_starts,
    fetch_runs,
    overlapping_runs,
    row_diff,
)

pytestmark = pytest.mark.acceptance

# A checkpoint every PAGE rows: 5 to 11 batches per run. That runs are in
# flight when A dies is a failpoint's doing, not the sources' size.
SOURCE_ROWS = (10_000, 14_000, 18_000, 22_000)
PAGE = 2_000
POINTS = ("executor.batch.committed", "executor.batch.in_transaction")
MODES = ("upsert", "replace", "append_event")
BEFORE_KILL = 12
AFTER_KILL = 6
SCHEDULED = 2
EVERY_TWO_SECONDS = "* * * * * */2"  # croniter: seconds are the sixth field


async def _trigger_rest(stack: Stack, sync_id: str) -> str:
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    return str(run["id"])


async def _trigger_grpc(stack: Stack, sync_id: str) -> str:
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = syncs_grpc.SyncsServiceStub(channel)
        run = await stub.TriggerSync(
            syncs_pb.TriggerSyncRequest(sync_id=sync_id, run_mode="full"), metadata=[("x-api-key", ADMIN_KEY)], timeout=30
        )
        return run.id


async def _scheduled_sync(stack: Stack, source_dsn: str, table: str, dest: str) -> str:
    connection = await stack.post(
        "/api/v1/connections", {"name": f"source for {dest}", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection["id"], "name": dest, "entities": [table], "status": "active",
         "triggerMode": "scheduled", "schedule": {"cron": EVERY_TWO_SECONDS, "timezone": "UTC"},
         "executionConfig": {"pageSize": PAGE},
         "tableBindings": [{"entityKey": table, "tableName": dest, "primaryKeyColumns": ["id"],
                            "cursorField": "updated_at", "loadMode": "upsert"}]},
        expect=201,
    )
    return str(sync["id"])


def _replica_of(proc: Proc) -> str | None:
    """The gRPC target an executor's latest session is with."""
    connected = log_events(proc, "executor.connected")
    return connected[-1].get("server") if connected else None


async def _running_on(dsn: str, executors: list[str]) -> list[tuple[str, str]]:
    """(run id, executor) of runs running right now on these executors."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id::text, executor_id FROM syncplane.runs WHERE status = 'running' AND executor_id = ANY($1::text[])",
            executors,
        )
        return [(r["id"], r["executor_id"]) for r in rows]
    finally:
        await conn.close()


async def test_two_replicas_one_killed_under_load(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng("two_replicas")
    for i, rows in enumerate(SOURCE_ROWS):
        await make_source(second_dsn, rows, table=f"src_{i}")
    fp = Failpoints(tmp_path / "failpoints", {rng.choice(POINTS): "pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=0, failpoints=fp) as a:
        b = a.replica("server-b")
        try:
            await b.start_server()
            await _scenario(fp, a, b, fresh_dsn, second_dsn)
        except BaseException:
            if b.server is not None:
                print(f"----- {b.server.name} log (tail) -----\n{b.server.log()[-4000:]}")
            raise
        finally:
            await b.stop()


async def _scenario(fp: Failpoints, a: Stack, b: Stack, control_dsn: str, source_dsn: str) -> None:
    target = {"a": a.grpc_target, "b": b.grpc_target}
    (point,) = fp.points
    # Two executors start on A, one on B; each names the other replica too.
    # A's are armed at `point`, released (passing) until the kill approaches.
    for name, order in (("executor-ab-0", "ab"), ("executor-ba-1", "ba"), ("executor-ab-2", "ab")):
        env = fp.env(name) if order == "ab" else None
        await a.start_executor(2, name=name, server=",".join(target[r] for r in order), env=env)
    fp.release(point)
    for replica in (a, b):
        await replica.wait_http(lambda status, body: status == 200, "/readyz")
    await wait_for(
        lambda: _async([_replica_of(p) for p in a.executors] == [target["a"], target["b"], target["a"]]),
        30, "executors connected to their first replica",
    )

    dests: dict[str, tuple[str, str]] = {}  # sync id -> (source table, destination table)
    scheduled = []
    for i in range(SCHEDULED):
        dest = f"scheduled_{i}"
        scheduled.append(await _scheduled_sync(b if i % 2 else a, source_dsn, "src_0", dest))
        dests[scheduled[-1]] = ("src_0", dest)

    # Both replicas' schedulers race for a few slots before anything else happens.
    async def slots_fired() -> bool:
        runs = await fetch_runs(control_dsn)
        return all(sum(1 for r in runs if str(r["subject_id"]) == s and r["triggered_by"] == "schedule") >= 2 for s in scheduled)
    await wait_for(slots_fired, 60, "two scheduled slots per sync fired with both replicas up", interval=0.5)

    # Wave 1: through both replicas, by REST and by gRPC.
    triggers = [
        lambda s: _trigger_rest(a, s), lambda s: _trigger_rest(b, s),
        lambda s: _trigger_grpc(a, s), lambda s: _trigger_grpc(b, s),
    ]
    roots: list[str] = []
    for i in range(BEFORE_KILL):
        via = b if i % 2 else a
        table, dest = f"src_{i % len(SOURCE_ROWS)}", f"r{i}_{MODES[i % len(MODES)]}"
        sync_id = await create_sync(via, source_dsn, table=table, dest_table=dest, load_mode=MODES[i % len(MODES)], page_size=PAGE)
        dests[sync_id] = (table, dest)
        roots.append(await triggers[i % len(triggers)](sync_id))

    # Kill A while a run on one of its executors is paused at the point.
    on_a = [p.name for p in a.executors if _replica_of(p) == target["a"]]
    fp.clear(point)
    paused = await fp.wait_hit(point)
    assert paused in on_a, (paused, on_a)
    in_flight = await _running_on(control_dsn, on_a)
    assert in_flight, f"{paused} is paused in a run, yet no run is running on {on_a}"
    assert a.server is not None
    await a.server.kill()
    killed_at = datetime.now(UTC)
    print(f"killed replica A with {len(in_flight)} attempts running on its executors: {in_flight}")

    # Wave 2: through the live replica, while A's executors move over.
    for i in range(BEFORE_KILL, BEFORE_KILL + AFTER_KILL):
        table, dest = f"src_{i % len(SOURCE_ROWS)}", f"r{i}_{MODES[i % len(MODES)]}"
        sync_id = await create_sync(b, source_dsn, table=table, dest_table=dest, load_mode=MODES[i % len(MODES)], page_size=PAGE)
        dests[sync_id] = (table, dest)
        roots.append(await (_trigger_rest(b, sync_id) if i % 2 else _trigger_grpc(b, sync_id)))

    await wait_for(
        lambda: _async(all(_replica_of(p) == target["b"] for p in a.executors)), 30,
        "every executor reconnected to replica B",
    )
    assert all(p.alive for p in a.executors), [p.name for p in a.executors if not p.alive]
    fp.release(point)

    # B alone keeps the schedules going; then they are paused so the runs settle.
    async def slots_after_kill() -> bool:
        runs = await fetch_runs(control_dsn)
        return all(
            sum(1 for r in runs if str(r["subject_id"]) == s and r["triggered_by"] == "schedule" and r["created_at"] > killed_at) >= 2
            for s in scheduled
        )
    await wait_for(slots_after_kill, 60, "two scheduled slots per sync fired by replica B", interval=0.5)
    for sync_id in scheduled:
        await b.request("PATCH", f"/api/v1/syncs/{sync_id}", {"status": "paused"})

    async def settled() -> bool:
        return all(r["status"] in ("succeeded", "failed", "cancelled") for r in await fetch_runs(control_dsn))
    await wait_for(settled, 180, "every run ended", interval=0.5)

    runs = await fetch_runs(control_dsn)
    by_root = chains(runs)
    problems = [p for root, chain in by_root.items() for p in chain_problems(root, chain)]
    assert not problems, problems
    for root, chain in by_root.items():
        summary = [(r["attempt_number"], r["status"], r["result_reason_code"], r["executor_id"]) for r in chain]
        assert chain[-1]["status"] == "succeeded", f"chain {root}: {summary}"
    assert not overlapping_runs(runs), overlapping_runs(runs)
    assert not double_starts(a.executors), double_starts(a.executors)
    for root in roots:
        chain = await run_chain(b, root)
        assert not attempts_overlap(a.executors, chain), attempts_overlap(a.executors, chain)

    slots = [(str(r["subject_id"]), r["trigger_ref"]) for r in runs if r["triggered_by"] == "schedule"]
    assert len(slots) == len(set(slots)), f"a slot fired twice: {sorted(slots)}"
    fired = {p.name: len(log_events(p, "schedule.fired")) for p in (a.server, b.server) if p is not None}
    resumed = sum(1 for chain in by_root.values() if len(chain) > 1)
    print(f"{len(by_root)} chains, {resumed} resumed after the kill; schedule slots fired per replica: {fired}")

    for sync_id, (table, dest) in dests.items():
        source = await table_rows(source_dsn, f"SELECT {SOURCE_COLUMNS} FROM {table} ORDER BY id")
        copied = await table_rows(control_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.{dest} ORDER BY id")
        diff = row_diff(source, copied)
        assert diff.exact, f"{dest} (sync {sync_id}): {diff}"


async def _async(value: Any) -> Any:
    """wait_for polls coroutines: wraps a value computed synchronously."""
    return value

"""Dispatch: N runs that move no rows, triggered as fast as possible over
gRPC, executed by two executor processes.

Each run is a real `postgres` sync of an empty source table (so the whole
path runs: trigger, claim, assign, connector, finish), one sync per run
because a sync has at most one active run.

    python -m bench.dispatch [--runs 2000] [--slots 8]

Reports runs/s finished and trigger->start latency (run created_at ->
started_at, both stamped by PostgreSQL) p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg
import grpc

from bench.common import create_database, embedded_postgres, percentile, running_stack
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc
from tests.acceptance.harness import ADMIN_KEY


async def main(runs: int, slots: int) -> dict[str, float]:
    with embedded_postgres() as root:
        control = await create_database(root, "bench_control")
        source = await create_database(root, "bench_source")
        conn = await asyncpg.connect(source)
        await conn.execute("CREATE TABLE empty_table (id bigint PRIMARY KEY, v text)")
        await conn.close()
        async with running_stack(control, executors=2, slots=slots) as stack:
            md = [("x-api-key", ADMIN_KEY)]
            async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
                syncs = service_pb2_grpc.SyncsServiceStub(channel)
                conns = service_pb2_grpc.ConnectionsServiceStub(channel)
                from google.protobuf import struct_pb2

                config = struct_pb2.Struct()
                config.update({"dsn": source})
                connection = await conns.CreateConnection(
                    pb.CreateConnectionRequest(connection={"name": "bench", "provider_key": "postgres", "config": config}),
                    metadata=md,
                )
                sem = asyncio.Semaphore(32)

                async def make(i: int) -> str:
                    async with sem:
                        s = await syncs.CreateSync(
                            pb.CreateSyncRequest(sync={"connection_id": connection.id, "name": f"bench {i}", "entities": ["empty_table"]}),
                            metadata=md,
                        )
                        return s.id

                sync_ids = await asyncio.gather(*(make(i) for i in range(runs)))

                async def trigger(sync_id: str) -> str:
                    async with sem:
                        run = await syncs.TriggerSync(pb.TriggerSyncRequest(sync_id=sync_id, run_mode="full"), metadata=md)
                        return run.id

                t0 = time.perf_counter()
                await asyncio.gather(*(trigger(s) for s in sync_ids))
                t_triggered = time.perf_counter() - t0
                db = await asyncpg.connect(control)
                try:
                    while True:
                        done = await db.fetchval(
                            "SELECT count(*) FROM syncplane.runs WHERE status IN ('succeeded','failed','cancelled')"
                        )
                        if done >= runs:
                            break
                        await asyncio.sleep(0.05)
                    elapsed = time.perf_counter() - t0
                    rows = await db.fetch(
                        "SELECT status, result_reason_code, error,"
                        " extract(epoch FROM started_at - created_at) * 1000 AS start_ms,"
                        " extract(epoch FROM completed_at - started_at) * 1000 AS run_ms FROM syncplane.runs"
                    )
                finally:
                    await db.close()
    failed = sum(1 for r in rows if r["status"] != "succeeded")
    for reason, error in sorted({(r["result_reason_code"], r["error"]) for r in rows if r["status"] != "succeeded"}):
        print(f"failure: {reason}: {error}")
    latencies = [float(r["start_ms"]) for r in rows]
    result = {
        "runs": float(runs),
        "failed": float(failed),
        "trigger_seconds": t_triggered,
        "seconds": elapsed,
        "runs_per_second": runs / elapsed,
        "start_p50_ms": percentile(latencies, 50),
        "start_p99_ms": percentile(latencies, 99),
        "run_p50_ms": percentile([float(r["run_ms"]) for r in rows], 50),
    }
    return result


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=8)
    args = parser.parse_args()
    r = asyncio.run(main(args.runs, args.slots))
    print("| runs | failed | runs/s finished | trigger->start p50 | p99 | start->end p50 |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {int(r['runs'])} | {int(r['failed'])} | {r['runs_per_second']:.0f} | "
        f"{r['start_p50_ms']:.1f} ms | {r['start_p99_ms']:.1f} ms | {r['run_p50_ms']:.1f} ms |"
    )


if __name__ == "__main__":
    cli()

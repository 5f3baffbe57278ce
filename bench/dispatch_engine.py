"""Dispatch through the run engine alone: runs queued straight into the engine
(no API call per trigger) and executed by two executor processes running the
`noop` connector, so the figure is queue -> claim -> assign -> executor ->
result -> commit and nothing else.

    python -m bench.dispatch_engine [--runs 2000] [--slots 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

from bench.common import create_database, embedded_postgres, percentile
from bench.noop_runs import KIND, BenchKind
from syncplane.server.app import ServerApp
from syncplane.server.config import EngineSettings, ServerSettings
from syncplane.server.db.runs import NewRun


async def main(runs: int, slots: int, paced: int = 500, rate: float = 100.0) -> dict[str, float]:
    with embedded_postgres() as root:
        dsn = await create_database(root, "bench_engine")
        settings = ServerSettings(database_url=dsn, data_store_url=dsn, grpc_port=0, gateway=False, engine=EngineSettings())
        app = ServerApp(settings, bootstrap_api_key="bench")
        await app.start()
        assert app.engine is not None and app.keys is not None and app.pool is not None and app.dispatcher is not None
        app.engine.register_kind(KIND, BenchKind())
        _, token = await app.keys.create_executor_token("bench")
        env = {**os.environ, "SYNCPLANE_EXECUTOR_TOKEN": token, "SYNCPLANE_LOG_LEVEL": "WARNING"}
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "syncplane.server.cli", "executor", "--server", f"127.0.0.1:{app.grpc_port}",
                "--slots", str(slots), "--id", f"bench-{i}", env=env,
            )
            for i in range(2)
        ]
        try:
            while app.sessions.connected() < 2:
                await asyncio.sleep(0.05)
            sem = asyncio.Semaphore(32)

            async def queue() -> None:
                async with sem:
                    await app.engine.queue(  # type: ignore[union-attr]
                        NewRun(subject_kind="bench", subject_id=uuid.uuid4(), connector="noop", spec={}, triggered_by="manual")
                    )

            t0 = time.perf_counter()
            await asyncio.gather(*(queue() for _ in range(runs)))
            while await app.pool.fetchval("SELECT count(*) FROM syncplane.runs WHERE status = 'succeeded'") < runs:
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - t0
            rows = await app.pool.fetch(
                "SELECT extract(epoch FROM started_at - created_at) * 1000 AS start_ms FROM syncplane.runs"
            )
            # Second phase: a steady trigger rate below capacity, where the
            # latency is the dispatch path's own, not the depth of a backlog.
            paced_ids = []
            for _ in range(paced):
                row = await app.engine.queue(
                    NewRun(subject_kind="bench", subject_id=uuid.uuid4(), connector="noop", spec={}, triggered_by="manual")
                )
                paced_ids.append(row.id)
                await asyncio.sleep(1 / rate)
            while await app.pool.fetchval(
                "SELECT count(*) FROM syncplane.runs WHERE status = 'succeeded' AND id = ANY($1::uuid[])", paced_ids
            ) < paced:
                await asyncio.sleep(0.02)
            paced_rows = await app.pool.fetch(
                "SELECT extract(epoch FROM started_at - created_at) * 1000 AS start_ms FROM syncplane.runs"
                " WHERE id = ANY($1::uuid[])",
                paced_ids,
            )
        finally:
            for proc in procs:
                proc.terminate()
                await proc.wait()
            await app.stop()
    latencies = [float(r["start_ms"]) for r in rows]
    steady = [float(r["start_ms"]) for r in paced_rows]
    return {
        "paced_p50_ms": percentile(steady, 50),
        "paced_p99_ms": percentile(steady, 99),
        "runs_per_second": runs / elapsed,
        "start_p50_ms": percentile(latencies, 50),
        "start_p99_ms": percentile(latencies, 99),
    }


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--paced", type=int, default=500, help="runs of the steady-rate phase")
    parser.add_argument("--rate", type=float, default=100.0, help="triggers per second in that phase")
    args = parser.parse_args()
    r = asyncio.run(main(args.runs, args.slots, args.paced, args.rate))
    print("| runs (flood) | runs/s finished | queue->start p50 (flood) | p99 (flood) |"
          f" queue->start p50 at {args.rate:.0f}/s | p99 at {args.rate:.0f}/s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.runs} | {r['runs_per_second']:.0f} | {r['start_p50_ms']:.1f} ms | {r['start_p99_ms']:.1f} ms"
        f" | {r['paced_p50_ms']:.1f} ms | {r['paced_p99_ms']:.1f} ms |"
    )


if __name__ == "__main__":
    cli()

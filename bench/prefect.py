"""The `prefect` backend side by side with `native`, in one run, on one server
and database (a real Prefect server under a temporary home, process workers):

- load: the same 1M-row postgres -> postgres full upsert (bench.load_postgres's
  table, pageSize 20,000), once by a native executor (one slot), once by a
  Prefect flow run (work pool concurrency 1); rows/s from the run's own
  started_at -> completed_at, and trigger -> done wall time (for Prefect it
  includes the worker's poll and the flow process's start);
- dispatch: runs that move no rows (`noop` connector) queued straight into the
  engine: a flood of N runs (runs/s, queue -> claim p50/p99), then a steady
  rate below capacity (queue -> done p50/p99: the whole path). Native: two
  executors; Prefect: one process worker, the work pool's concurrency limit
  as its slots. Each Prefect attempt is a new flow process, so Prefect gets
  fewer runs (`--prefect-runs`, `--prefect-paced`): the table says how many.

    python -m bench.prefect [--rows 1000000] [--runs 2000] [--prefect-runs 60] [--slots 8] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import create_database, embedded_postgres
from bench.load_postgres import TABLE, make_source
from bench.noop_runs import KIND, BenchKind, dispatch, wait_done
from syncplane import egress
from syncplane.server.app import ServerApp
from syncplane.server.config import EngineSettings, PrefectSettings, ServerSettings
from syncplane.server.prefect_local import LocalPrefect

BACKENDS = ("native", "prefect")


class _Fleet:
    """Native executors or Prefect workers for one phase, stopped after it."""

    def __init__(self, app: ServerApp, prefect: LocalPrefect, token: str) -> None:
        self.app, self.prefect, self.token = app, prefect, token
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, backend: str, slots: int, count: int) -> None:
        if backend == "prefect":
            await self.prefect.deploy(concurrency=slots)
            since = datetime.now(UTC)
            for i in range(count):
                worker = await self.prefect.start_worker(self.token, name=f"bench-prefect-{i}",
                                                         env={"SYNCPLANE_LOG_LEVEL": "WARNING"})
                self.procs.append(worker.process)
            await _pool_ready(self.prefect, since)
            return
        env = {**os.environ, "SYNCPLANE_EXECUTOR_TOKEN": self.token, "SYNCPLANE_LOG_LEVEL": "WARNING"}
        for i in range(count):
            self.procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "syncplane.server.cli", "executor", "--server", f"127.0.0.1:{self.app.grpc_port}",
                "--slots", str(slots), "--id", f"bench-{i}", env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            ))
        while self.app.sessions.connected() < count:
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.prefect.workers), return_exceptions=True)
        self.prefect.workers.clear()
        for proc in self.procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self.procs.clear()


async def _pool_ready(prefect: LocalPrefect, since: datetime) -> None:
    """Waits until each worker just started has polled the work pool."""
    from prefect.client.orchestration import PrefectClient

    names = {w.name for w in prefect.workers}
    async with PrefectClient(prefect.api_url) as client:
        while True:
            workers = await client.read_workers_for_work_pool(prefect.work_pool)
            if names <= {w.name for w in workers if w.last_heartbeat_time and w.last_heartbeat_time >= since}:
                return
            await asyncio.sleep(0.2)


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


async def main(args: argparse.Namespace) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {"load": {}, "dispatch": {}}
    with embedded_postgres() as root, tempfile.TemporaryDirectory(prefix="syncplane-bench-prefect-") as tmp:
        prefect = LocalPrefect(Path(tmp) / "prefect")
        await prefect.start_server()
        try:
            dsn = await create_database(root, "bench_prefect")
            source = (await make_source(root, "bench_prefect_source", args.rows))[0] if args.rows else ""
            # The source is this machine's PostgreSQL: allowed for the workers this process starts.
            allow = [host or "localhost" for host, _ in egress.postgres_targets(root)]
            os.environ[egress.ENV_ALLOW] = ",".join(filter(None, [os.environ.get(egress.ENV_ALLOW, ""), *allow]))
            settings = ServerSettings(
                database_url=dsn, data_store_url=dsn, grpc_port=0, http_port=0, engine=EngineSettings(),
                prefect=PrefectSettings(api_url=prefect.api_url, work_pool=prefect.work_pool,
                                        deployment=prefect.deployment, ui_url=prefect.ui_url),
            )
            app = ServerApp(settings, bootstrap_api_key="bench")
            await app.start()
            assert app.engine is not None and app.keys is not None
            app.engine.register_kind(KIND, BenchKind())
            _, token = await app.keys.create_executor_token("bench")
            fleet = _Fleet(app, prefect, token)
            try:
                for backend in BACKENDS:
                    if args.rows:
                        await fleet.start(backend, slots=1, count=1)
                        try:
                            results["load"][backend] = await _load(app, backend, source, args.rows)
                        finally:
                            await fleet.stop()
                    runs = args.runs if backend == "native" else args.prefect_runs
                    paced = args.paced if backend == "native" else args.prefect_paced
                    rate = args.rate if backend == "native" else args.prefect_rate
                    if runs:
                        slots, count = (args.slots, 2) if backend == "native" else (args.concurrency, 1)
                        await fleet.start(backend, slots=slots, count=count)
                        try:
                            results["dispatch"][backend] = await dispatch(app, backend, runs, paced, rate)
                        finally:
                            await fleet.stop()
            finally:
                await app.stop()
        finally:
            await prefect.stop()
    return results


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "-"


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the load (0: skip it)")
    parser.add_argument("--runs", type=int, default=2000, help="native: runs of the dispatch flood (0: skip it)")
    parser.add_argument("--slots", type=int, default=8, help="native: slots of each of the two executors")
    parser.add_argument("--paced", type=int, default=300, help="native: runs of the steady-rate phase")
    parser.add_argument("--rate", type=float, default=50.0, help="native: triggers per second in that phase")
    parser.add_argument("--prefect-runs", type=int, default=60, help="prefect: runs of the flood")
    parser.add_argument("--concurrency", type=int, default=4, help="prefect: the work pool's concurrency limit")
    parser.add_argument("--prefect-paced", type=int, default=10, help="prefect: runs of the steady-rate phase")
    parser.add_argument("--prefect-rate", type=float, default=0.2, help="prefect: triggers per second in that phase")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    r = asyncio.run(main(args))
    print(f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    if r["load"]:
        print(f"\n| load of {args.rows:,} rows | run seconds | rows/s | trigger -> done s |\n|---|---:|---:|---:|")
        for name, x in r["load"].items():
            print(f"| {name} | {x['seconds']:.2f} | {x['rows_per_second']:,.0f} | {x['wall_seconds']:.2f} |")
        n, p = r["load"]["native"], r["load"]["prefect"]
        print(f"| prefect / native | | {_ratio(p['rows_per_second'], n['rows_per_second'])} | |")
    if r["dispatch"]:
        print("\n| dispatch | runs (flood) | runs/s | queue->claim p50 / p99 (flood) | paced runs, rate |"
              " queue->done p50 / p99 (paced) |\n|---|---:|---:|---:|---:|---:|")
        for name, x in r["dispatch"].items():
            print(f"| {name} | {x['runs']:.0f} | {x['runs_per_second']:.1f} | {x['start_p50_ms']:.0f} / {x['start_p99_ms']:.0f} ms"
                  f" | {x['paced']:.0f} at {x['rate']:g}/s | {x['paced_done_p50_ms']:.0f} / {x['paced_done_p99_ms']:.0f} ms |")
        n, p = r["dispatch"]["native"], r["dispatch"]["prefect"]
        print(f"| prefect / native | | {_ratio(p['runs_per_second'], n['runs_per_second'])} | | | "
              f"{p['paced_done_p50_ms'] / n['paced_done_p50_ms']:.0f}x / {p['paced_done_p99_ms'] / n['paced_done_p99_ms']:.0f}x |")


if __name__ == "__main__":
    cli()

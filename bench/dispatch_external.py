"""Dispatch through the `external` backend beside `native`, in one run: runs
queued straight into the engine (the `noop` connector, no rows), executed

- native: by two `syncplane executor` processes (the stream: assign, result);
- external: by two example workers (examples/external_worker.py: REST claim,
  heartbeat, finish through the gateway),

with the same slots each, on the same server and database, one after the
other. Reported: runs/s finished for a flood of N runs, queue->start p50/p99
in that flood, and queue->start p50/p99 at a steady rate below capacity, with
external/native ratios and the load average.

    python -m bench.dispatch_external [--runs 2000] [--slots 8] [--paced 300] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bench.common import create_database, embedded_postgres
from bench.noop_runs import KIND, BenchKind, dispatch
from syncplane.server.app import ServerApp
from syncplane.server.config import EngineSettings, ServerSettings
from syncplane.server.logs import configure

WORKER = Path(__file__).resolve().parent.parent / "examples" / "external_worker.py"


async def _workers(app: ServerApp, backend: str, token: str, slots: int) -> list[asyncio.subprocess.Process]:
    env = {**os.environ, "SYNCPLANE_EXECUTOR_TOKEN": token, "SYNCPLANE_LOG_LEVEL": "WARNING"}
    quiet = asyncio.subprocess.DEVNULL
    if backend == "native":
        return [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "syncplane.server.cli", "executor", "--server", f"127.0.0.1:{app.grpc_port}",
                "--slots", str(slots), "--id", f"bench-{i}", env=env, stdout=quiet, stderr=quiet,
            )
            for i in range(2)
        ]
    return [
        await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), "--server", f"http://127.0.0.1:{app.http_port}", "--token", token,
            "--slots", str(slots), "--worker-id", f"bench-ext-{i}", env=env, stdout=quiet, stderr=quiet,
        )
        for i in range(2)
    ]


async def main(runs: int, slots: int, paced: int, rate: float) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with embedded_postgres() as root:
        dsn = await create_database(root, "bench_external")
        settings = ServerSettings(
            database_url=dsn, data_store_url=dsn, grpc_port=0, http_port=0, engine=EngineSettings(),
            external_backend=True,
        )
        app = ServerApp(settings, bootstrap_api_key="bench")
        await app.start()
        assert app.engine is not None and app.keys is not None
        app.engine.register_kind(KIND, BenchKind())
        _, token = await app.keys.create_executor_token("bench")
        try:
            for backend in ("native", "external"):
                procs = await _workers(app, backend, token, slots)
                try:
                    if backend == "native":
                        while app.sessions.connected() < 2:
                            await asyncio.sleep(0.05)
                    results[backend] = await dispatch(app, backend, runs, paced, rate)
                finally:
                    for proc in procs:
                        proc.terminate()
                        await proc.wait()
        finally:
            await app.stop()
    return results


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--paced", type=int, default=300, help="runs of the steady-rate phase")
    parser.add_argument("--rate", type=float, default=50.0, help="triggers per second in that phase")
    args = parser.parse_args()
    os.environ.setdefault("SYNCPLANE_LOG_LEVEL", "WARNING")
    configure("bench")  # the in-process server logs as a deployed one would
    load_before = os.getloadavg()[0]
    r = asyncio.run(main(args.runs, args.slots, args.paced, args.rate))
    load_after = os.getloadavg()[0]
    print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}")
    print(f"| backend | runs/s (flood of {args.runs}) | queue->start p50 / p99 (flood) |"
          f" queue->start p50 / p99 at {args.rate:.0f}/s |")
    print("|---|---:|---:|---:|")
    for name, x in r.items():
        print(f"| {name} | {x['runs_per_second']:.0f} | {x['start_p50_ms']:.0f} / {x['start_p99_ms']:.0f} ms"
              f" | {x['paced_start_p50_ms']:.1f} / {x['paced_start_p99_ms']:.1f} ms |")
    n, e = r["native"], r["external"]
    print(f"| external / native | {e['runs_per_second'] / n['runs_per_second']:.2f} | "
          f"{e['start_p50_ms'] / max(n['start_p50_ms'], 1e-9):.2f} / {e['start_p99_ms'] / max(n['start_p99_ms'], 1e-9):.2f}"
          f" | {e['paced_start_p50_ms'] / max(n['paced_start_p50_ms'], 1e-9):.2f} / {e['paced_start_p99_ms'] / max(n['paced_start_p99_ms'], 1e-9):.2f} |")


if __name__ == "__main__":
    cli()

"""The same load through the `external` backend and through `native`, in one
run: a postgres source table of N rows (tests/acceptance `make_source`: 7
columns) synced in full (upsert into an empty table) by a native executor
and by the example external worker (examples/external_worker.py), alternately,
`--repeat` times each, on one server and one embedded PostgreSQL.

    python -m bench.load_external [--rows 1000000] [--page-size 20000] [--repeat 3]

Reports each backend's median run time (started_at -> completed_at, stamped by
PostgreSQL), rows/s, and the external/native ratio, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

import asyncpg

from bench.common import create_database, embedded_postgres
from tests.acceptance.conftest import make_source
from tests.acceptance.external_support import external_sync, start_worker
from tests.acceptance.harness import Proc, Stack


async def _sync(stack: Stack, source: str, backend: str, table: str, page_size: int) -> str:
    if backend == "external":
        return await external_sync(stack, source, table, "bench", page_size=page_size)
    connection = await stack.post(
        "/api/v1/connections", {"name": f"src {table}", "providerKey": "postgres", "config": {"dsn": source}}, expect=201
    )
    sync = await stack.post("/api/v1/syncs", {
        "connectionId": connection["id"], "name": table, "entities": ["orders"],
        "executionConfig": {"pageSize": page_size},
        "tableBindings": [{"entityKey": "orders", "tableName": table, "primaryKeyColumns": ["id"],
                           "cursorField": "updated_at", "loadMode": "upsert"}],
    }, expect=201)
    return str(sync["id"])


async def _seconds(control: str, run_id: str) -> float:
    conn = await asyncpg.connect(control)
    try:
        return float(await conn.fetchval(
            "SELECT extract(epoch FROM completed_at - started_at) FROM syncplane.runs WHERE id = $1::uuid", run_id
        ))
    finally:
        await conn.close()


async def main(rows: int, page_size: int, repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"native": [], "external": []}
    with embedded_postgres() as root:
        control = await create_database(root, "bench_load_control")
        source = await create_database(root, "bench_load_source")
        await make_source(source, rows, table="orders")
        stack = Stack(
            database_url=control, log_dir=Path(tempfile.mkdtemp(prefix="syncplane-bench-logs-")),
            env={"SYNCPLANE_LOG_LEVEL": "WARNING", "SYNCPLANE_EXTERNAL_BACKEND": "on"},
        )
        worker: Proc | None = None
        try:
            await stack.start(executors=1, slots=1)
            worker = await start_worker(stack, "bench-worker", "bench")
            for i in range(repeat):
                for backend in ("native", "external"):
                    sync_id = await _sync(stack, source, backend, f"orders_{backend}_{i}", page_size)
                    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
                    done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=600)
                    if done["status"] != "succeeded" or done["summary"]["rowsWritten"] != rows:
                        raise RuntimeError(f"{backend} run did not load {rows} rows: {done}")
                    times[backend].append(await _seconds(control, run["id"]))
        finally:
            if worker is not None:
                await worker.kill()
            await stack.stop()
    return times


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    before = os.getloadavg()[0]
    times = asyncio.run(main(args.rows, args.page_size, args.repeat))
    after = os.getloadavg()[0]
    print(f"load average (1 min) before {before:.2f}, after {after:.2f}")
    print(f"| backend | seconds, median of {args.repeat} (all) | rows/s | vs native |")
    print("|---|---:|---:|---:|")
    native = statistics.median(times["native"])
    for name, values in times.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {name} | {median:.2f} ({runs}) | {args.rows / median:,.0f} | {native / median:.2f} |")


if __name__ == "__main__":
    cli()

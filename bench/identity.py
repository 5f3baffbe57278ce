"""Identity runs at scale: full import from a CSV, full synchronisation, export into a SQL table.

```
.venv/bin/python -m bench.identity [--objects 100000] [--page-size 1000] [--dsn URL]
```

Writes a CSV of `--objects` people (8 attributes), then runs in one child
process (`--worker`, the executor's side alone, no server) through
`executor.connectors.identity.run`: FullImport (CSV → connector space),
FullSynchronisation (projection of every object with 6 attribute flows and
provisioning into a SQL system: one pending Add each), Export (the pending adds
into a PostgreSQL table, confirmed into that system's connector space). Reports
objects/s per run type and the child's peak RSS (`ru_maxrss`), and checks that
the table holds every object.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import create_database, embedded_postgres

TARGET_OBJECTS_PER_SECOND = 5_000
TARGET_RSS_MB = 300


def write_people(path: Path, n: int) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first", "last", "mail", "dept", "title", "status", "phone"])
        for i in range(n):
            writer.writerow([f"E{i:07d}", f"First{i}", f"Last{i}", f"user{i}@example.org", f"dept{i % 40}",
                             "Engineer" if i % 3 else "Manager", "active", f"+44 20 {i:07d}"])


def rules() -> list[dict[str, Any]]:
    def flow(target: str, source: str, transform: str = "None") -> dict[str, Any]:
        return {"target": target, "source": source, "transform": transform}

    return [
        {"id": 1, "name": "HR in", "connectedSystemId": 1, "direction": "Inbound", "csObjectType": "person",
         "mvObjectType": "person", "precedence": 1, "joinRules": [{"csAttribute": "id", "mvAttribute": "employeeId"}],
         "projectToMetaverse": True,
         "attributeFlows": [flow("employeeId", "id"), flow("givenName", "first"), flow("sn", "last"),
                            flow("mail", "mail", "Lower"), flow("department", "dept"),
                            {"target": "displayName", "sources": ["first", "last"], "separator": " "}]},
        {"id": 2, "name": "Accounts out", "connectedSystemId": 2, "direction": "Outbound", "csObjectType": "person",
         "mvObjectType": "person", "precedence": 1, "provisionToConnectedSystem": True,
         "deprovisionWhenOutOfScope": True,
         "attributeFlows": [flow("login", "employeeId", "Lower"), flow("display", "displayName"),
                            flow("mail", "mail"), flow("dept", "department")]},
    ]


class _Quiet:
    def report_progress(self, ctx: Any) -> None:
        pass

    def report_checkpoint(self, ctx: Any, state: dict[str, Any]) -> None:
        pass


async def worker(store_dsn: str, csv_path: str, page_size: int) -> dict[str, Any]:
    import structlog

    from syncplane.executor import pools
    from syncplane.executor.connectors import identity
    from syncplane.executor.context import RunContext

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    hr = {"id": 1, "name": "HR", "connector": "file", "settings": {"anchorAttribute": "id"}, "objectTypes": []}
    accounts = {"id": 2, "name": "Accounts", "connector": "sql",
                "settings": {"dsn": store_dsn, "table": "public.accounts", "anchorColumn": "login"}, "objectTypes": []}
    results: dict[str, Any] = {}
    for run_type, system in (("FullImport", hr), ("FullSynchronisation", hr), ("Export", accounts)):
        run_id = str(uuid.uuid4())
        ctx = RunContext(
            run_id=run_id, root_run_id=run_id, token=1, attempt_number=1, kind="identity",
            spec={"activityId": run_id, "runType": run_type, "pageSize": page_size, "connectedSystem": system,
                  "filePath": csv_path, "fileRoots": [os.path.dirname(csv_path)], "syncRules": rules()},
            secrets={"storeDsn": store_dsn, "connector": {}}, checkpoint={}, reporter=_Quiet(),
        )
        started = time.perf_counter()
        await identity.run(ctx)
        seconds = time.perf_counter() - started
        processed = ctx.detail["objectsProcessed"]
        results[run_type] = {"seconds": seconds, "objects": processed, "counters": ctx.detail["counters"]}
    await pools.close_all()
    results["peakRssMb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


async def prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE accounts (login text PRIMARY KEY, display text, mail text, dept text)")
    finally:
        await conn.close()


async def count_rows(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM accounts"))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--dsn", default=None)
    parser.add_argument("--worker", nargs=2, metavar=("STORE_DSN", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(worker(args.worker[0], args.worker[1], args.page_size))))
        return
    with embedded_postgres(args.dsn) as root_dsn:
        dsn = asyncio.run(create_database(root_dsn, "bench_identity"))
        asyncio.run(prepare(dsn))
        folder = Path(tempfile.mkdtemp(prefix="syncplane-bench-identity-"))
        csv_path = folder / "people.csv"
        write_people(csv_path, args.objects)
        child = subprocess.run(
            [sys.executable, "-m", "bench.identity", "--page-size", str(args.page_size), "--worker", dsn, str(csv_path)],
            check=True, capture_output=True, text=True,
        )
        results = json.loads(child.stdout.strip().splitlines()[-1])
        rows = asyncio.run(count_rows(dsn))
    lines = [
        f"Identity runs: {args.objects} objects, pageSize {args.page_size}, two cores shared with PostgreSQL",
        "",
        "| run type | objects | seconds | objects/s | target |",
        "|---|---|---|---|---|",
    ]
    for run_type in ("FullImport", "FullSynchronisation", "Export"):
        r = results[run_type]
        rate = r["objects"] / r["seconds"] if r["seconds"] else 0.0
        lines.append(f"| {run_type} | {r['objects']} | {r['seconds']:.1f} | {rate:,.0f} | ≥ {TARGET_OBJECTS_PER_SECOND:,} |")
    lines += ["", f"Executor peak RSS: {results['peakRssMb']:.0f} MB (target ≤ {TARGET_RSS_MB} MB); "
              f"rows in the target table: {rows} (expected {args.objects})"]
    report = "\n".join(lines)
    print(report)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "identity.md").write_text(report + "\n")
    if rows != args.objects:
        raise SystemExit(f"the target table has {rows} rows, expected {args.objects}")


if __name__ == "__main__":
    main()

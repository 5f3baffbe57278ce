"""Load benchmark: the http_api connector, from a real local JSON API into PostgreSQL.

    .venv/bin/python -m bench.http_api [--records 200000] [--api-page-size 1000] [--page-size N] [--repeat 3]

Starts an embedded PostgreSQL (pgserver; or --dsn / SYNCPLANE_BENCH_DATABASE_URL)
and, in a child process, an aiohttp server playing a paginated JSON API with
`--records` records of 10 fields (int, ISO timestamp, strings, float, bool,
null-or-string, an array and an object), served `--api-page-size` a page
behind a bearer token (pages are serialised once at start-up, so the server
costs little CPU next to the executor). Then measures, each in its own child
process, `--repeat` times (medians):

(a) fetch only: the same pages with aiohttp and json.loads, nothing else:
    the ceiling for any Python executor on this API;
(b) the connector, full upsert into a fresh target (default pageSize);
(c) the connector again over the loaded target (every row conflicts and is updated).

Every load is checked (row count, distinct ids and column sums). The child's
`ru_maxrss` is the executor's peak RSS. Prints a markdown table and writes it
to bench/out/http_api.md.

Targets (set before the first measurement): (b) >= 20,000 records/s on a
2-core machine where the API server, PostgreSQL and the executor share the
cores (the reference point: dlt appends ~12,700 rows/s from a CSV), peak RSS
<= 200 MB whatever the record count, and, as a stretch, (b) >= half of (a).
(a) is the ceiling of reading the API in Python at all; the gap to it is the
executor's own CPU (column profiling, jsonb encoding, asyncpg's binary
encoding) plus what PostgreSQL takes of the two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-not-secret"
TABLE = "bench_records"
CHECK_SQL = (
    f"SELECT count(*), count(DISTINCT id), sum(id), sum(qty), sum(round(amount * 100)),"
    f" count(*) FILTER (WHERE active), count(note), sum((address->>'zip')::int) FROM {TABLE}"
)


def record(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "updated_at": f"2024-01-{1 + i // 86400 % 28:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "name": f"customer-{i}",
        "email": f"customer{i}@example.com",
        "amount": (i % 100_000) / 100,
        "qty": i % 1000,
        "active": i % 2 == 0,
        "note": None if i % 3 else f"note {i}",
        "tags": ["bench", f"t{i % 50}"],
        "address": {"city": f"city-{i % 100}", "zip": f"{i % 100_000:05d}"},
    }


def expected_check(n: int) -> list[Any]:
    ids = range(1, n + 1)
    return [
        n,
        n,
        n * (n + 1) // 2,
        sum(i % 1000 for i in ids),
        sum(i % 100_000 for i in ids),
        n // 2,
        n // 3,
        sum(i % 100_000 for i in ids),
    ]


# -- the API (child process) ---------------------------------------------------------------
def serve(records: int, page_size: int) -> None:
    from aiohttp import web

    pages: list[bytes] = []
    for start in range(1, records + 1, page_size):
        items = [record(i) for i in range(start, min(records, start + page_size - 1) + 1)]
        pages.append(json.dumps({"data": items, "meta": {"count": len(items)}}).encode())
    empty = json.dumps({"data": [], "meta": {"count": 0}}).encode()

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorized"}, status=401)
        if int(request.query.get("per_page", "0")) != page_size:
            return web.json_response({"error": f"per_page must be {page_size}"}, status=400)
        page = int(request.query.get("page", "1"))
        body = pages[page - 1] if 1 <= page <= len(pages) else empty
        return web.Response(body=body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/api/records", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the measured work (child process) --------------------------------------------------------
def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _CountingReporter:
    """Keeps nothing: a reporter must not grow with the run."""

    def __init__(self) -> None:
        self.checkpoints = 0

    def report_progress(self, ctx: Any) -> None:
        pass

    def report_checkpoint(self, ctx: Any, state: dict[str, Any]) -> None:
        self.checkpoints += 1


async def _fetch_only(base_url: str, page_size: int) -> dict[str, Any]:
    import aiohttp

    rows = 0
    started = time.perf_counter()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        page = 1
        while True:
            async with session.get(f"{base_url}/records", params={"page": page, "per_page": page_size}) as resp:
                items = json.loads(await resp.read())["data"]
            rows += len(items)
            if len(items) < page_size:
                break
            page += 1
    return {"rows": rows, "seconds": time.perf_counter() - started, "peak_rss_mb": _peak_rss_mb()}


async def _connector(base_url: str, api_page_size: int, dest: str, page_size: int) -> dict[str, Any]:
    import logging

    import structlog

    from syncplane.executor import pools
    from syncplane.executor.connectors import http_api
    from syncplane.executor.context import RunContext

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    run_id = str(uuid.uuid4())
    spec: dict[str, Any] = {
        "syncId": "33333333-3333-3333-3333-333333333333",
        "runMode": "full",
        "source": {
            "provider": "http_api",
            "config": {
                "baseUrl": base_url,
                "auth": {"type": "bearer"},
                "entities": {
                    "records": {
                        "path": "/records",
                        "recordPath": "data",
                        "primaryKey": ["id"],
                        "cursorField": "updated_at",
                        "pagination": {"type": "page", "pageParam": "page", "sizeParam": "per_page", "size": api_page_size},
                    }
                },
            },
        },
        "entities": [{"entityKey": "records", "binding": {"tableName": TABLE, "primaryKeyColumns": ["id"], "loadMode": "upsert"}}],
        "destination": {"schema": "public"},
    }
    if page_size:
        spec["pageSize"] = page_size
    ctx = RunContext(
        run_id=run_id,
        root_run_id=run_id,
        token=int(time.time() * 1000),
        attempt_number=1,
        kind="sync",
        spec=spec,
        secrets={"source": {"token": TOKEN}, "destinationDsn": dest},
        checkpoint={},
        reporter=_CountingReporter(),
    )
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    await http_api.run(ctx)
    seconds = time.perf_counter() - started
    await pools.close_all()
    return {
        "rows": ctx.rows_written,
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_run_mb": rss_before,
    }


def work(args: argparse.Namespace) -> None:
    if args.dest:
        result = asyncio.run(_connector(args.base_url, args.api_page_size, args.dest, args.page_size))
    else:
        result = asyncio.run(_fetch_only(args.base_url, args.api_page_size))
    print(json.dumps(result))


# -- the orchestrator --------------------------------------------------------------------------
async def _child(*argv: str) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.http_api", *argv, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"bench.http_api {' '.join(argv[:1])} failed with exit code {proc.returncode}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def _execute(dsn: str, *statements: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        result = None
        for sql in statements:
            result = await conn.fetch(sql)
        return result
    finally:
        await conn.close()


async def _check(dsn: str, n: int, what: str) -> None:
    rows = await _execute(dsn, CHECK_SQL)
    got = [int(v) for v in rows[0]]
    if got != expected_check(n):
        raise SystemExit(f"{what}: loaded table differs from the API ({got} != {expected_check(n)})")
    await _execute(dsn, f"VACUUM ANALYZE {TABLE}")


def _table(args: argparse.Namespace, fetch: list[dict[str, Any]], fresh: list[dict[str, Any]], again: list[dict[str, Any]]) -> str:
    from syncplane.executor.sources.http_config import DEFAULT_PAGE_SIZE

    n = args.records
    t_fetch = statistics.median(r["seconds"] for r in fetch)
    t_fresh = statistics.median(r["seconds"] for r in fresh)
    t_again = statistics.median(r["seconds"] for r in again)
    rss = max(r["peak_rss_mb"] for r in fresh + again)
    idle = max(r["rss_before_run_mb"] for r in fresh + again)
    rate = lambda seconds: f"{n / seconds:,.0f}"  # noqa: E731
    return "\n".join(
        [
            f"http_api benchmark: {n:,} records x 10 fields, API pages of {args.api_page_size:,},"
            f" pageSize {args.page_size or DEFAULT_PAGE_SIZE:,}, {os.cpu_count()} CPUs, median of {len(fresh)}",
            "",
            "| measurement | seconds | records/s | vs (a) |",
            "|---|---:|---:|---:|",
            f"| (a) fetch + json.loads only (aiohttp, no database) | {t_fetch:.2f} | {rate(t_fetch)} | 1.00 |",
            f"| (b) connector full upsert, fresh target | {t_fresh:.2f} | {rate(t_fresh)} | {t_fetch / t_fresh:.2f} |",
            f"| (c) connector full upsert, target already loaded (every row updated) | {t_again:.2f} | {rate(t_again)} | {t_fetch / t_again:.2f} |",
            "",
            f"Executor peak RSS (child process ru_maxrss): {rss:.0f} MB ({idle:.0f} MB before the load started)."
            " Targets: (b) >= 20,000 records/s; peak RSS <= 200 MB; stretch: (b) >= 0.5 of (a).",
        ]
    )


async def main_async(args: argparse.Namespace, root: str) -> str:
    from bench.common import create_database

    dest = await create_database(root, "bench_http_api")
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.http_api",
        "--serve",
        "--records",
        str(args.records),
        "--api-page-size",
        str(args.api_page_size),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        port = int((await server.stdout.readline()).decode())
        base_url = f"http://127.0.0.1:{port}/api"
        common = ["--base-url", base_url, "--api-page-size", str(args.api_page_size)]
        fetch: list[dict[str, Any]] = []
        fresh: list[dict[str, Any]] = []
        again: list[dict[str, Any]] = []
        for i in range(args.repeat):
            fetch.append(await _child("--work", *common))
            if fetch[-1]["rows"] != args.records:
                raise SystemExit(f"fetch only read {fetch[-1]['rows']} records")
            await _execute(dest, f"DROP TABLE IF EXISTS {TABLE}", "CHECKPOINT")
            worker = ["--work", *common, "--dest", dest, "--page-size", str(args.page_size)]
            fresh.append(await _child(*worker))
            await _check(dest, args.records, "fresh load")
            await _execute(dest, "CHECKPOINT")
            again.append(await _child(*worker))
            await _check(dest, args.records, "reload")
            print(
                f"round {i + 1}: fetch {fetch[-1]['seconds']:.2f} s, fresh {fresh[-1]['seconds']:.2f} s,"
                f" reload {again[-1]['seconds']:.2f} s, peak RSS"
                f" {max(fresh[-1]['peak_rss_mb'], again[-1]['peak_rss_mb']):.0f} MB",
                file=sys.stderr,
            )
        return _table(args, fetch, fresh, again)
    finally:
        server.terminate()
        await server.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="http_api connector load benchmark")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--api-page-size", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=0, help="destination batch size; 0: the connector's default")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    # Internal: the child processes.
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--dest", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.records, args.api_page_size)
        return
    if args.work:
        work(args)
        return

    from bench.common import embedded_postgres

    with embedded_postgres(args.dsn or os.environ.get("SYNCPLANE_BENCH_DATABASE_URL")) as root:
        report = asyncio.run(main_async(args, root))
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "http_api.md").write_text(report + "\n")


if __name__ == "__main__":
    main()

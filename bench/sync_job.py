"""Load benchmark: the sync_job connector, from a real local JSON API into the data store and
into a webhook.

    .venv/bin/python -m bench.sync_job [--records 100000] [--api-page-size 1000] [--batch-size 1000] [--repeat 3]

Starts an embedded PostgreSQL (pgserver; or --dsn) and two child processes: an
aiohttp server playing a CRM with two resources (`crm/contacts` and
`crm/deals`, `--records` / 2 records of 10 fields each, pages of
`--api-page-size` behind a bearer token, serialised once at start-up) and a
webhook receiver that verifies every X-Truto-Signature, counts records and
distinct event ids, and answers 200. The connector runs in this process with
a real RunContext, `--repeat` times each (medians):

(a) daemon run: both resources upserted into the data store (fresh tables);
(b) webhook run: both resources delivered as signed `record` events, each
    waiting for its 2xx; the delivery latency is the connector's own measure
    (first POST of an event to its 2xx), reported in the run's detail.

Every run is checked: row counts and id sums per table, or records, distinct
event ids and signatures at the receiver. Targets: (a) >= 10,000 records/s,
(b) >= 5,000 records/s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from bench.http_api import record

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-not-secret"
SECRET = "bench-webhook-secret"
RESOURCES = ("contacts", "deals")


# -- the API and the receiver (child processes) ----------------------------------------------
def serve(records: int, page_size: int) -> None:
    from aiohttp import web

    half = records // 2
    pages: dict[str, list[bytes]] = {}
    for name, first in (("contacts", 1), ("deals", half + 1)):
        last = first + half - 1
        pages[name] = [
            json.dumps({"data": [record(i) for i in range(start, min(last, start + page_size - 1) + 1)]}).encode()
            for start in range(first, last + 1, page_size)
        ]
    empty = json.dumps({"data": []}).encode()

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorized"}, status=401)
        chain = pages[request.match_info["name"]]
        page = int(request.query.get("page", "1"))
        body = chain[page - 1] if 1 <= page <= len(chain) else empty
        return web.Response(body=body, content_type="application/json")

    _run_app([("GET", "/api/{name}", handler)])


def receive() -> None:
    from aiohttp import web

    totals = {"events": 0, "records": 0, "bad_signatures": 0}
    ids: set[str] = set()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        expected = "format=sha256,v=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if request.headers.get("X-Truto-Signature") != expected:
            totals["bad_signatures"] += 1
            return web.json_response({"error": "bad signature"}, status=401)
        event = json.loads(body)
        totals["events"] += 1
        if event["id"] not in ids and event["event"] == "sync_job_run:record":
            totals["records"] += len(event["payload"]["records"])
        ids.add(event["id"])
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({**totals, "distinct_ids": len(ids)})

    async def reset(request: web.Request) -> web.Response:
        totals.update(events=0, records=0, bad_signatures=0)
        ids.clear()
        return web.json_response({})

    _run_app([("POST", "/hook", hook), ("GET", "/stats", stats), ("POST", "/reset", reset)])


def _run_app(routes: list[tuple[str, str, Any]]) -> None:
    from aiohttp import web

    async def main() -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the measured runs ---------------------------------------------------------------------------
class _Reporter:
    """Keeps nothing: a reporter must not grow with the run."""

    def report_progress(self, ctx: Any) -> None:
        pass

    def report_checkpoint(self, ctx: Any, state: dict[str, Any]) -> None:
        pass


def _spec(api_port: int, args: argparse.Namespace, target: dict[str, Any]) -> dict[str, Any]:
    method = {
        "recordPath": "data",
        "idField": "id",
        "pagination": {"type": "page", "pageParam": "page", "sizeParam": "per_page", "size": args.api_page_size},
    }
    return {
        "syncJobRunId": str(uuid.uuid4()),
        "syncJobId": str(uuid.uuid4()),
        "integratedAccountId": str(uuid.uuid4()),
        "environmentId": str(uuid.uuid4()),
        "integration": {
            "name": "bench_crm",
            "baseUrl": f"http://127.0.0.1:{api_port}/api",
            "auth": {"type": "bearer"},
            "resources": {f"crm/{name}": {"list": {**method, "path": f"/{name}"}} for name in RESOURCES},
        },
        "context": {},
        "resources": [{"resource": f"crm/{name}", "method": "list"} for name in RESOURCES],
        "args": {},
        "previousRunDate": None,
        "errorHandling": "fail_fast",
        "target": target,
        "store": {"schema": "sync_job_data"},
        "batchSize": args.batch_size,
    }


async def _run(spec: dict[str, Any], secrets: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    from syncplane.executor.connectors import sync_job
    from syncplane.executor.context import RunContext

    ctx = RunContext(
        run_id=str(uuid.uuid4()),
        root_run_id=spec["syncJobRunId"],
        token=1,
        attempt_number=1,
        kind="sync_job",
        spec=spec,
        secrets=secrets,
        checkpoint={},
        reporter=_Reporter(),
    )
    started = time.perf_counter()
    await sync_job.run(ctx)
    return time.perf_counter() - started, ctx.detail


async def _check_store(dsn: str, records: int) -> None:
    half = records // 2
    conn = await asyncpg.connect(dsn)
    try:
        for name, first in (("contacts", 1), ("deals", half + 1)):
            count, total = await conn.fetchrow(
                f"SELECT count(*), sum(id::bigint) FROM sync_job_data.crm_{name}"
            )
            expected = sum(range(first, first + half))
            if count != half or total != expected:
                raise SystemExit(f"crm_{name}: {count} rows, id sum {total} (expected {half}, {expected})")
    finally:
        await conn.close()


async def _receiver_stats(port: int, path: str = "/stats", method: str = "GET") -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"http://127.0.0.1:{port}{path}") as resp:
            return dict(await resp.json())


async def _child(flag: str, *argv: str) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.sync_job", flag, *argv, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    return proc, int((await proc.stdout.readline()).decode())


async def main_async(args: argparse.Namespace, root: str) -> str:
    from bench.common import create_database, percentile
    from syncplane.executor import pools

    store = await create_database(root, "bench_sync_job")
    api, api_port = await _child("--serve", "--records", str(args.records), "--api-page-size", str(args.api_page_size))
    hook, hook_port = await _child("--receive")
    daemon: list[float] = []
    webhook: list[float] = []
    p50: list[float] = []
    p99: list[float] = []
    try:
        for i in range(args.repeat):
            conn = await asyncpg.connect(store)
            await conn.execute("DROP SCHEMA IF EXISTS sync_job_data CASCADE; CHECKPOINT")
            await conn.close()
            seconds, _ = await _run(_spec(api_port, args, {"kind": "daemon"}), {"account": {"token": TOKEN}, "storeDsn": store})
            await _check_store(store, args.records)
            daemon.append(seconds)

            await _receiver_stats(hook_port, "/reset", "POST")
            target = {"kind": "webhook", "webhookId": str(uuid.uuid4()), "url": f"http://127.0.0.1:{hook_port}/hook"}
            secrets = {"account": {"token": TOKEN}, "storeDsn": store, "webhookSecret": SECRET}
            seconds, detail = await _run(_spec(api_port, args, target), secrets)
            got = await _receiver_stats(hook_port)
            if got["records"] != args.records or got["bad_signatures"] or got["distinct_ids"] != got["events"]:
                raise SystemExit(f"webhook receiver got {got}, expected {args.records} records")
            webhook.append(seconds)
            p50.append(detail["delivery"]["p50Ms"])
            p99.append(detail["delivery"]["p99Ms"])
            print(
                f"round {i + 1}: daemon {daemon[-1]:.2f} s, webhook {webhook[-1]:.2f} s"
                f" (delivery p50 {p50[-1]:.1f} ms, p99 {p99[-1]:.1f} ms, {got['events']} events)",
                file=sys.stderr,
            )
    finally:
        await pools.close_all()
        for proc in (api, hook):
            proc.terminate()
            await proc.wait()
    n = args.records
    t_daemon, t_webhook = statistics.median(daemon), statistics.median(webhook)
    return "\n".join(
        [
            f"sync_job benchmark: {n:,} records x 10 fields across 2 resources, API pages of {args.api_page_size:,},"
            f" batchSize {args.batch_size:,}, {os.cpu_count()} CPUs, median of {len(daemon)}",
            "",
            "| run | seconds | records/s | target | delivery p50 | delivery p99 |",
            "|---|---:|---:|---:|---:|---:|",
            f"| (a) daemon: upserted into the data store | {t_daemon:.2f} | {n / t_daemon:,.0f} | 10,000 | | |",
            f"| (b) webhook: signed record events, each waiting for its 2xx | {t_webhook:.2f} | {n / t_webhook:,.0f} | 5,000"
            f" | {statistics.median(p50):.1f} ms | {statistics.median(p99):.1f} ms |",
            "",
            f"Delivery p99 over the rounds: worst {max(p99):.1f} ms; the 99th percentile of the rounds' p99s"
            f" {percentile(p99, 99):.1f} ms.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="sync_job connector load benchmark")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--api-page-size", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1000, help="records per store transaction / webhook event")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.records, args.api_page_size)
        return
    if args.receive:
        receive()
        return
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from bench.common import embedded_postgres

    with embedded_postgres(args.dsn) as root:
        table = asyncio.run(main_async(args, root))
    print(table)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "sync_job.md").write_text(table + "\n")


if __name__ == "__main__":
    main()

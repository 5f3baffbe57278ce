"""Child process of bench/load_postgres.py: runs the postgres connector once, as an executor would.

Prints one JSON line: rows, seconds (around the connector only), and the
process's peak RSS, which is the "executor's peak RSS" the benchmark reports.

    python -m bench.load_worker --source DSN --dest DSN --table bench_rows [--page-size N]
        [--execution-mode fan_out_window --parallelism N [--window-size IDS]]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
import uuid
from typing import Any

import structlog

from syncplane.executor import pools
from syncplane.executor.connectors import postgres
from syncplane.executor.context import RunContext


class _CountingReporter:
    """Keeps only the last counters: a reporter must not grow with the run."""

    def __init__(self) -> None:
        self.checkpoints = 0

    def report_progress(self, ctx: RunContext) -> None:
        pass

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        self.checkpoints += 1


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    reporter = _CountingReporter()
    run_id = str(uuid.uuid4())
    spec: dict[str, Any] = {
        "syncId": str(uuid.uuid4()),
        "runMode": "full",
        "source": {"provider": "postgres", "config": {"dsn": args.source, "schema": "public"}},
        "entities": [
            {
                "entityKey": args.table,
                "binding": {"tableName": args.table, "primaryKeyColumns": [], "cursorField": "updated_at", "loadMode": "upsert"},
            }
        ],
        "destination": {"schema": "public"},
    }
    if args.page_size:
        spec["pageSize"] = args.page_size
    if args.execution_mode != "sequential":
        spec.update(executionMode=args.execution_mode, maxParallelism=args.parallelism)
        if args.window_size:
            spec["windowSize"] = args.window_size
    ctx = RunContext(
        run_id=run_id,
        root_run_id=run_id,
        token=1,
        attempt_number=1,
        kind="sync",
        spec=spec,
        secrets={"source": {}, "destinationDsn": args.dest},
        checkpoint={},
        reporter=reporter,
    )
    rss_before = _peak_rss_mb()
    cpu_before = time.process_time()
    started = time.perf_counter()
    await postgres.run(ctx)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_before
    await pools.close_all()
    return {
        "rows": ctx.rows_written,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "batches": reporter.checkpoints - 1,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_run_mb": rss_before,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True)
    parser.add_argument("--dest", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--page-size", type=int, default=0, help="0: the connector's default")
    parser.add_argument("--execution-mode", default="sequential", choices=["sequential", "fan_out_window"])
    parser.add_argument("--parallelism", type=int, default=2, help="fan_out_window: windows loaded at once")
    parser.add_argument("--window-size", type=int, default=0, help="fan_out_window: width in ids (0: equal row counts)")
    args = parser.parse_args(argv)
    # Logs go to stderr at WARNING: stdout carries only the result line.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    print(json.dumps(asyncio.run(_run(args))), flush=True)


if __name__ == "__main__":
    main()

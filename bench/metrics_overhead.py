"""What the Prometheus metrics cost dispatch: bench.dispatch_engine with metrics on (every recording
point, plus a scrape of the whole registry every second in the server's event loop, as the in-process
gateway's /metrics would) against metrics off (the recording helpers replaced by no-ops, no scrape),
alternated `--pairs` times, medians reported with the load average.

    python -m bench.metrics_overhead [--pairs 3] [--runs 1000] [--paced 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import dispatch_engine
from syncplane.server.observability import metrics


@contextmanager
def _metrics_off() -> Iterator[None]:
    saved = {name: getattr(metrics, name) for name in ("run_started", "run_finished", "rows_moved", "http_request")}
    saved_report = metrics.ExecutorFigures.report
    for name in saved:
        setattr(metrics, name, lambda *a, **k: None)
    metrics.ExecutorFigures.report = lambda *a, **k: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(metrics, name, fn)
        metrics.ExecutorFigures.report = saved_report  # type: ignore[method-assign]


async def _scrape_every_second(sizes: list[int]) -> None:
    while True:
        body, _ = metrics.exposition()
        sizes.append(len(body))
        await asyncio.sleep(1.0)


async def _one(on: bool, runs: int, paced: int) -> dict[str, float]:
    if not on:
        with _metrics_off():
            return await dispatch_engine.main(runs, 8, paced, 100.0)
    sizes: list[int] = []
    scraper = asyncio.create_task(_scrape_every_second(sizes))
    try:
        return await dispatch_engine.main(runs, 8, paced, 100.0)
    finally:
        scraper.cancel()


def recording_cost_us(n: int = 20000) -> tuple[float, float]:
    """Microseconds of what one run records (start, finish, rows, its log binding), and of one scrape."""
    import time

    from syncplane.server.observability import run_context

    row = {"id": "r", "subject_id": "s", "attempt_number": 1, "subject_kind": "bench", "execution_backend": "native",
           "trace_parent": None}
    t0 = time.perf_counter()
    for _ in range(n):
        run_context.remember(row)
        with run_context.bound(row):
            metrics.run_started("bench", "native", 0.01)
        metrics.rows_moved("bench", 10, 10)
        metrics.run_finished("bench", "native", "succeeded", 0.5)
        run_context.forget("r")
    per_run = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for _ in range(200):
        metrics.exposition()
    return per_run, (time.perf_counter() - t0) / 200 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=200)
    args = parser.parse_args()
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    loads = []
    # A first run pays for cold caches (imports, the embedded PostgreSQL's first start): not measured.
    asyncio.run(_one(False, args.runs // 4, args.paced // 4))
    for i in range(args.pairs):
        for on in ((True, False) if i % 2 == 0 else (False, True)):
            results[on].append(asyncio.run(_one(on, args.runs, args.paced)))
            loads.append(os.getloadavg()[0])

    def med(on: bool, key: str) -> float:
        return statistics.median(r[key] for r in results[on])

    rows: list[tuple[str, Any, Any]] = [
        ("runs/s finished (flood)", med(True, "runs_per_second"), med(False, "runs_per_second")),
        ("queue->start p50 at 100/s, ms", med(True, "paced_p50_ms"), med(False, "paced_p50_ms")),
        ("queue->start p99 at 100/s, ms", med(True, "paced_p99_ms"), med(False, "paced_p99_ms")),
    ]
    for on in (True, False):
        print(f"metrics {'on' if on else 'off'}: runs/s", [round(r["runs_per_second"], 1) for r in results[on]])
    print(f"| median of {args.pairs} | metrics on | metrics off | on / off |")
    print("|---|---:|---:|---:|")
    for label, on_v, off_v in rows:
        print(f"| {label} | {on_v:.1f} | {off_v:.1f} | {on_v / off_v:.2f} |")
    print(f"load average (1 min) during: median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    per_run, scrape = recording_cost_us()
    print(f"recording per run: {per_run:.1f} us; one scrape of the registry: {scrape:.0f} us")


if __name__ == "__main__":
    main()

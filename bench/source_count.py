"""What counting an entity's rows before reading it costs (sources.pg_count), beside the load it precedes.

    .venv/bin/python -m bench.source_count [--rows 1000000] [--repeat 5]

On the 1M-row bench table of bench.load_postgres: the exact path (EXPLAIN, then count(*) in a READ ONLY
transaction, as the connector runs it), the estimate-only path (EXPLAIN alone, as for a read above
COUNT_EXACT_UP_TO), and the connector's full upsert of the same table into a fresh target (which
includes one count). Medians of --repeat; the count's share of the load is the figure that matters.
Prints a markdown table and writes it to bench/out/source_count.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import asyncpg

from bench.common import create_database, embedded_postgres
from bench.load_postgres import REPO, TABLE, _connector_load, make_source
from syncplane.executor.sources import pg_count, pg_source


async def _time_count(source: str, exact_up_to: int, repeat: int) -> tuple[list[float], pg_count.RowTotal | None]:
    conn = await asyncpg.connect(source)
    pg_count.COUNT_EXACT_UP_TO = exact_up_to
    try:
        rel = await pg_source.discover(conn, pg_source.SourceRef(entity_key=TABLE, schema="public", table=TABLE))
        seconds, total = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            total = await pg_count.count_read(conn, rel, (), None, False)
            seconds.append(time.perf_counter() - started)
        return seconds, total
    finally:
        await conn.close()


async def main_async(args: argparse.Namespace) -> str:
    default_limit = pg_count.COUNT_EXACT_UP_TO
    with embedded_postgres(args.dsn or os.environ.get("SYNCPLANE_BENCH_DATABASE_URL")) as root:
        source, _ = await make_source(root, "bench_count_source", args.rows)
        dest = await create_database(root, "bench_count_dest")
        exact, counted = await _time_count(source, default_limit, args.repeat)
        estimate, estimated = await _time_count(source, -1, args.repeat)
        loads: list[dict[str, Any]] = []
        for _ in range(max(1, args.repeat // 2)):
            loads.append(await _connector_load(source, dest, 0, fresh=True))
    load = statistics.median(r["seconds"] for r in loads)
    t_exact, t_estimate = statistics.median(exact), statistics.median(estimate)
    load1, load5 = os.getloadavg()[:2]
    return "\n".join([
        f"Counting before reading: {args.rows:,} rows x 7 columns, {os.cpu_count()} CPUs, load average"
        f" {load1:.1f} / {load5:.1f} (1 / 5 min); medians of {len(exact)} counts and {len(loads)} loads",
        "",
        "| measurement | seconds | share of the load |",
        "|---|---:|---:|",
        f"| exact: EXPLAIN + count(*) (rows ≤ COUNT_EXACT_UP_TO = {default_limit:,}) -> {counted} |"
        f" {t_exact:.3f} | {t_exact / load:.1%} |",
        f"| estimate only: EXPLAIN -> {estimated} | {t_estimate:.4f} | {t_estimate / load:.2%} |",
        f"| connector full upsert, fresh target (one exact count included) | {load:.2f} | 100% |",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="cost of the postgres source's row count")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    report = asyncio.run(main_async(args))
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "source_count.md").write_text(report + "\n")


if __name__ == "__main__":
    main()

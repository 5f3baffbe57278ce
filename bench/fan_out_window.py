"""fan_out_window benchmark: one 1M-row entity loaded in parallel windows against
the same load done sequentially, in the same run.

    .venv/bin/python -m bench.fan_out_window [--rows 1000000] [--parallelism 2 4] [--repeat 3]

On an embedded PostgreSQL (pgserver; or --dsn / SYNCPLANE_BENCH_DATABASE_URL)
it builds the source table of bench.load_postgres (7 columns, id primary key),
then per round loads it into a fresh destination with the postgres connector
(a child process, bench.load_worker, as an executor runs it): once
sequentially, then once per `--parallelism` with executionMode fan_out_window
(windows of equal row counts). Every load is checked against the source. The
median per configuration is reported as rows/s and as a ratio to sequential
(target >= 1.6 on two cores). Writes bench/out/fan_out_window.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from typing import Any

import asyncpg

from bench.common import create_database, embedded_postgres
from bench.load_postgres import REPO, _check_and_settle, _connector_load, make_source

PAGE_SIZE = 20_000
TICK = os.sysconf("SC_CLK_TCK")


def _proc_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def postgres_cpu_seconds(postmaster: int) -> float:
    """CPU seconds PostgreSQL has used: the postmaster, its live children, and
    (cutime/cstime) the backends it reaped — each load's connections end with it."""
    own = _proc_fields(postmaster)
    total = sum(int(own[i]) for i in (11, 12, 13, 14)) / TICK
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _proc_fields(int(entry))
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


async def _postmaster_pid(dsn: str) -> int | None:
    """The local postmaster (the checkpointer's parent), or None when the server is not on this machine."""
    conn = await asyncpg.connect(dsn)
    try:
        pid = await conn.fetchval("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
    finally:
        await conn.close()
    try:
        return int(_proc_fields(int(pid))[1])
    except (OSError, TypeError, ValueError):
        return None


def _report(rows: int, results: dict[str, list[dict[str, Any]]]) -> str:
    medians = {name: statistics.median(r["seconds"] for r in runs) for name, runs in results.items()}
    base = medians["sequential"]
    lines = [
        f"fan_out_window benchmark: {rows:,} rows x 7 columns, one entity, full upsert into an empty table,"
        f" pageSize {PAGE_SIZE:,}, {os.cpu_count()} CPUs, median of {len(results['sequential'])}",
        "",
        "| execution | seconds | rows/s | vs sequential | executor peak RSS MB | CPU s | cores busy |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, seconds in medians.items():
        rss = max(r["peak_rss_mb"] for r in results[name])
        cpu = statistics.median(r["executor_cpu"] + r["postgres_cpu"] for r in results[name])
        lines.append(
            f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} | {base / seconds:.2f} | {rss:.0f}"
            f" | {cpu:.1f} | {cpu / seconds:.2f} |"
        )
    floor = statistics.median(r["executor_cpu"] + r["postgres_cpu"] for r in results["sequential"]) / 2
    lines += [
        "",
        "CPU s: executor process + PostgreSQL (all backends), user + system. A load cannot finish faster than",
        f"its CPU seconds / 2 on two cores: for the sequential load's work that is {floor:.2f} s, a ratio of at",
        f"most {base / floor:.2f} even with no parallel overhead. Target: fan_out_window >= 1.6x sequential on two cores.",
    ]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> str:
    with embedded_postgres(args.dsn or os.environ.get("SYNCPLANE_BENCH_DATABASE_URL")) as root:
        source, expected = await make_source(root, "bench_window_source", args.rows)
        dest = await create_database(root, "bench_window_dest")
        postmaster = await _postmaster_pid(source)

        configs: dict[str, tuple[str, ...]] = {"sequential": ()}
        for n in args.parallelism:
            configs[f"fan_out_window x{n}"] = ("--execution-mode", "fan_out_window", "--parallelism", str(n))
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
        for i in range(args.repeat):
            # Alternating configurations within a round spreads any drift of
            # the machine (other load, cache state) over all of them alike.
            for name, worker_args in configs.items():
                pg_before = postgres_cpu_seconds(postmaster) if postmaster else 0.0
                result = await _connector_load(source, dest, PAGE_SIZE, fresh=True, worker_args=worker_args)
                # The worker's CPU around the connector only (not its start-up).
                result["executor_cpu"] = result["cpu_seconds"]
                result["postgres_cpu"] = (postgres_cpu_seconds(postmaster) - pg_before) if postmaster else 0.0
                await _check_and_settle(dest, expected, name)
                results[name].append(result)
                print(f"round {i + 1}: {name} {result['seconds']:.2f} s", file=sys.stderr)
        return _report(args.rows, results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="fan_out_window vs sequential load benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parallelism", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    report = asyncio.run(main_async(args))
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fan_out_window.md").write_text(report + "\n")


if __name__ == "__main__":
    main()

"""Load benchmark: the postgres connector against a plain binary COPY of the same rows.

    .venv/bin/python -m bench.load_postgres [--rows 1000000] [--page-size N] [--repeat 3]

On an embedded PostgreSQL (pgserver; or --dsn / SYNCPLANE_BENCH_DATABASE_URL,
a server that allows CREATE DATABASE) it makes a source table of `--rows`
rows and 7 columns (id bigint primary key, updated_at timestamptz, text,
numeric, int, bool, jsonb), then measures in one run:

(a) a plain binary COPY of the table into an identical destination table
    (same columns and primary key): copy_from_query -> copy_to_table, relayed
    through the executor's bounded chunk queue, one statement, no batching;
(b) the connector's full upsert load into a fresh destination, in a child
    process (bench.load_worker), whose peak RSS is the executor's;
(c) the same load again over the loaded target, where every row conflicts
    and is updated (the INSERT ... ON CONFLICT path).

Each is run `--repeat` times after a CHECKPOINT (so one step's WAL is not
flushed during the next); the median is reported. Every load is checked
against the source (row count and an order-independent hash of all values).
Prints a markdown table and writes it to bench/out/load_postgres.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import create_database, embedded_postgres
from syncplane.executor.connectors.postgres_plan import DEFAULT_PAGE_SIZE
from syncplane.executor.destinations.copy_pipe import stream_copy

TABLE = "bench_rows"
DDL = f"""
CREATE TABLE {TABLE} (
  id bigint PRIMARY KEY,
  updated_at timestamptz NOT NULL,
  name text,
  amount numeric(12,2),
  qty int,
  active bool,
  attrs jsonb
)
"""
POPULATE = f"""
INSERT INTO {TABLE}
SELECT g,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       'customer-' || g || '-' || md5(g::text),
       (g % 100000) / 100.0,
       g % 1000,
       g % 2 = 0,
       jsonb_build_object('k', g, 'tag', 'tag-' || (g % 50), 'ok', g % 3 = 0)
FROM generate_series(1, $1::bigint) AS g
"""
COLUMNS = "id, updated_at, name, amount, qty, active, attrs"
FINGERPRINT = f"SELECT count(*), sum(hashtextextended(ROW({COLUMNS})::text, 0)) FROM {TABLE}"
REPO = Path(__file__).resolve().parent.parent


async def _execute(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def _check_and_settle(dsn: str, expected: tuple[int, Any], what: str) -> None:
    """Compares a loaded table with the source, then VACUUMs it.

    The VACUUM (outside any timing) leaves autovacuum nothing to do on this
    table, so it does not run during the next measurement on a 2-core machine.
    """
    if await _fingerprint(dsn) != expected:
        raise SystemExit(f"{what} differs from the source")
    await _execute(dsn, f"VACUUM ANALYZE {TABLE}")


async def _fingerprint(dsn: str) -> tuple[int, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(FINGERPRINT)
        assert row is not None  # an aggregate always returns a row
        return row[0], row[1]
    finally:
        await conn.close()


async def _plain_copy(source: str, dest: str) -> float:
    await _execute(dest, f"DROP TABLE IF EXISTS {TABLE}", DDL, "CHECKPOINT")
    src = await asyncpg.connect(source)
    dst = await asyncpg.connect(dest)
    try:
        started = time.perf_counter()
        await stream_copy(
            src, f"SELECT {COLUMNS} FROM {TABLE}", dst, TABLE, schema="public", columns=COLUMNS.split(", ")
        )
        return time.perf_counter() - started
    finally:
        await src.close()
        await dst.close()


async def _connector_load(
    source: str, dest: str, page_size: int, *, fresh: bool, worker_args: tuple[str, ...] = ()
) -> dict[str, Any]:
    statements = ["CHECKPOINT"]
    if fresh:
        statements[:0] = [
            f"DROP TABLE IF EXISTS {TABLE}",
            "DROP TABLE IF EXISTS _syncplane_fences",
            "DROP TABLE IF EXISTS _syncplane_cursors",
        ]
    await _execute(dest, *statements)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.load_worker",
        "--source",
        source,
        "--dest",
        dest,
        "--table",
        TABLE,
        "--page-size",
        str(page_size),
        *worker_args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"bench.load_worker failed with exit code {proc.returncode}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


def _table(rows: int, page_size: int, plain: list[float], fresh: list[dict[str, Any]], again: list[dict[str, Any]]) -> str:
    t_plain = statistics.median(plain)
    t_fresh = statistics.median(r["seconds"] for r in fresh)
    t_again = statistics.median(r["seconds"] for r in again)
    rss = max(r["peak_rss_mb"] for r in fresh + again)
    idle = max(r["rss_before_run_mb"] for r in fresh + again)
    rate = lambda seconds: f"{rows / seconds:,.0f}"  # noqa: E731
    lines = [
        f"Load benchmark: {rows:,} rows x 7 columns, pageSize {page_size:,}, {os.cpu_count()} CPUs,"
        f" median of {len(plain)}",
        "",
        "| measurement | seconds | rows/s | vs (a) |",
        "|---|---:|---:|---:|",
        f"| (a) plain binary COPY source -> destination (same table, with primary key) | {t_plain:.2f} | {rate(t_plain)} | 1.00 |",
        f"| (b) connector full upsert, fresh target | {t_fresh:.2f} | {rate(t_fresh)} | {t_plain / t_fresh:.2f} |",
        f"| (c) connector full upsert, target already loaded (every row updated) | {t_again:.2f} | {rate(t_again)} | {t_plain / t_again:.2f} |",
        "",
        f"Executor peak RSS (child process ru_maxrss): {rss:.0f} MB ({idle:.0f} MB before the load started)."
        f" Targets: (b)/(a) >= 0.5, peak RSS <= 200 MB.",
    ]
    return "\n".join(lines)


async def make_source(root: str, database: str, rows: int) -> tuple[str, tuple[int, Any]]:
    """A fresh database holding the source table of `rows` rows; its DSN and fingerprint."""
    source = await create_database(root, database)
    started = time.perf_counter()
    conn = await asyncpg.connect(source)
    try:
        await conn.execute(DDL)
        await conn.execute(POPULATE, rows)
        await conn.execute(f"VACUUM ANALYZE {TABLE}")
    finally:
        await conn.close()
    print(f"source: {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return source, await _fingerprint(source)


async def main_async(args: argparse.Namespace) -> str:
    with embedded_postgres(args.dsn or os.environ.get("SYNCPLANE_BENCH_DATABASE_URL")) as root:
        source, expected = await make_source(root, "bench_load_source", args.rows)
        plain_db = await create_database(root, "bench_load_plain")
        conn_db = await create_database(root, "bench_load_connector")

        plain: list[float] = []
        fresh: list[dict[str, Any]] = []
        again: list[dict[str, Any]] = []
        for i in range(args.repeat):
            plain.append(await _plain_copy(source, plain_db))
            await _check_and_settle(plain_db, expected, "plain copy")
            fresh.append(await _connector_load(source, conn_db, args.page_size, fresh=True))
            await _check_and_settle(conn_db, expected, "connector load")
            again.append(await _connector_load(source, conn_db, args.page_size, fresh=False))
            await _check_and_settle(conn_db, expected, "connector reload")
            print(
                f"round {i + 1}: plain {plain[-1]:.2f} s, fresh {fresh[-1]['seconds']:.2f} s,"
                f" reload {again[-1]['seconds']:.2f} s, peak RSS {max(fresh[-1]['peak_rss_mb'], again[-1]['peak_rss_mb']):.0f} MB",
                file=sys.stderr,
            )
        return _table(args.rows, args.page_size or DEFAULT_PAGE_SIZE, plain, fresh, again)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="postgres connector load benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=0, help="0: the connector's default")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    report = asyncio.run(main_async(args))
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_postgres.md").write_text(report + "\n")


if __name__ == "__main__":
    main()

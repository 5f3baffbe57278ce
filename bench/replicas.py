"""Scale-out: two server replicas on one PostgreSQL, one SIGKILLed halfway
through N runs.

    .venv/bin/python -m bench.replicas [--runs 2000] [--seed S] [--executors 4] [--slots 4]

Replicas A and B (each with its in-process REST gateway) share one control
database. Executors name both (`--server a,b` or `b,a`, half each), so half
start on each replica. N postgres syncs (one per run: each destination table
belongs to one chain; upsert, replace and append_event in turn; small source
tables in pages of `--page-size` rows) are created and triggered through both
replicas' REST APIs. When half of the runs have ended, A is SIGKILLed; its
executors move to B, which re-adopts their attempts (or, past the lease, the
sweeper fails them and the next attempt resumes). Engine timing: the defaults
(lease 5 s, heartbeat 1 s, sweep 1 s).

Reports runs finished (target N) and runs doubled (target 0): chains whose
attempts overlapped (database timestamps, or an executor starting an attempt
twice, or an older attempt committing after its successor read the state) and
destination tables holding a row twice; plus rows lost and how long the
executors took to reach B. Writes bench/out/replicas.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench.common import create_database, embedded_postgres
from bench.fault_support import (
    INCOMPLETE,
    MODES,
    RowTotals,
    RunTotals,
    SyncPlan,
    Ticker,
    all_runs,
    check_rows,
    create_syncs,
    incomplete_dests,
    load_average,
    make_sources,
    run_totals,
    settle,
    trigger_all,
    write_report,
)
from syncplane.server.config import EngineSettings
from tests.acceptance.faults import log_events
from tests.acceptance.harness import Proc, Stack


def _replica_of(proc: Proc) -> str | None:
    """The gRPC target an executor's latest session is with."""
    connected = log_events(proc, "executor.connected")
    return connected[-1].get("server") if connected else None


def _report(args: argparse.Namespace, sizes: list[int], plans: list[SyncPlan], seconds: float, killed_after: float,
            reconnect: float, in_flight: int, runs: RunTotals, rows: dict[str, RowTotals], load: str) -> str:
    engine = EngineSettings.from_env()
    counts = {m: sum(1 for p in plans if p.mode == m) for m in MODES}
    # Each finding names one run (or pair of attempts) that ran twice at once.
    doubled_runs = runs.overlapping + runs.double_started + runs.loaded_over_successor
    doubled_tables = sum(t.tables_with_duplicates for t in rows.values())
    lost = sum(t.lost + t.foreign for key, t in rows.items() if key != INCOMPLETE)
    lines = [
        f"Replicas: {args.runs} runs ({', '.join(f'{n} {m}' for m, n in counts.items())}) through two server replicas"
        f" (REST, alternating), source tables of {min(sizes):,}-{max(sizes):,} rows, pageSize {args.page_size},"
        f" {args.executors} executors x {args.slots} slots (half `--server a,b`, half `b,a`); seed {args.seed};"
        f" load average before the start (1/5/15 min) {load}",
        f"Engine timing (defaults): lease {engine.lease_seconds:g} s, heartbeat {engine.heartbeat_interval_seconds:g} s,"
        f" sweep {engine.sweep_interval_seconds:g} s. Replica A SIGKILLed {killed_after:.0f} s in, after half of the"
        f" runs ended, with {in_flight} attempts running on its executors; every executor was on B {reconnect:.1f} s later.",
        "",
        "| runs finished (succeeded) | runs doubled | destinations with doubled rows | rows lost | chains resumed |"
        " max attempts | wall time | runs/s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {runs.succeeded}/{args.runs} | {len(doubled_runs)} | {doubled_tables} | {lost} | {runs.resumed_chains} |"
        f" {runs.max_attempts} | {seconds:.0f} s | {args.runs / seconds:.1f} |",
        "",
        f"Integrity: broken chains {len(runs.broken_chains)}, runs of one sync overlapping {len(runs.overlapping)},"
        f" attempts started twice {len(runs.double_started)}, attempts that committed after their successor read the"
        f" state {len(runs.loaded_over_successor)}. Rows checked: {sum(t.rows for t in rows.values()):,} in"
        f" {sum(t.tables for t in rows.values())} tables.",
    ]
    for problem in (runs.failed_chains + runs.broken_chains + runs.overlapping + runs.double_started + runs.loaded_over_successor)[:20]:
        lines.append(f"- {problem}")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> str:
    rng = random.Random(args.seed)
    sizes = [rng.randrange(args.rows_min, args.rows_max + 1) for _ in range(args.tables)]
    load = load_average()
    with embedded_postgres(args.dsn) as root:
        control = await create_database(root, "bench_replicas_control")
        source = await create_database(root, "bench_replicas_source")
        tables = await make_sources(source, sizes)
        plans = [SyncPlan(tables[i % len(tables)], f"r{i}_{MODES[i % 3]}", MODES[i % 3], args.page_size) for i in range(args.runs)]
        log_dir = Path(tempfile.mkdtemp(prefix="syncplane-bench-replicas-"))
        print(f"seed {args.seed}; logs in {log_dir}", flush=True)
        a = Stack(database_url=control, log_dir=log_dir, env={"SYNCPLANE_LOG_LEVEL": "INFO"}, server_name="server-a")
        b: Stack | None = None
        try:
            await a.start(executors=0)
            b = a.replica("server-b")
            await b.start_server()
            orders = [f"{a.grpc_target},{b.grpc_target}", f"{b.grpc_target},{a.grpc_target}"]
            for i in range(args.executors):
                await a.start_executor(args.slots, name=f"rx-{i}", server=orders[i % 2])
            for replica in (a, b):
                await replica.wait_http(lambda status, body: status == 200, "/readyz")
            sync_ids = await create_syncs([a, b], source, plans)
            started = time.monotonic()
            await trigger_all([a, b], sync_ids)
            kill: dict[str, float] = {}

            async def kill_halfway(finished: int) -> None:
                ticker.show(f"{finished}/{args.runs} chains ended")
                if "at" not in kill and finished >= args.runs // 2:
                    assert a.server is not None
                    on_a = [p.name for p in a.executors if _replica_of(p) == a.grpc_target]
                    kill["in_flight"] = sum(1 for r in await all_runs(control) if r["status"] == "running" and r["executor_id"] in on_a)
                    await a.server.kill()
                    kill["at"] = time.monotonic()
                    print(f"killed replica A with {kill['in_flight']} attempts running on {on_a}", flush=True)
                if "at" in kill and "back" not in kill and all(_replica_of(p) == b.grpc_target for p in a.executors if p.alive):
                    kill["back"] = time.monotonic() - kill["at"]

            ticker = Ticker()
            await settle(control, args.runs, timeout=args.timeout, on_poll=kill_halfway)
            seconds = time.monotonic() - started  # from the first trigger
            runs = await all_runs(control)
            totals = run_totals(runs, a.executors)
            rows = await check_rows(source, control, plans, incomplete_dests(runs, plans, sync_ids))
        finally:
            await asyncio.gather(*(p.kill() for p in a.executors), return_exceptions=True)
            await a.stop()
            if b is not None:
                await b.stop()
    return _report(args, sizes, plans, seconds, kill["at"] - started, kill.get("back", float("nan")),
                   int(kill["in_flight"]), totals, rows, load)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="two server replicas, one SIGKILLed halfway")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--tables", type=int, default=10, help="source tables (syncs share them)")
    parser.add_argument("--rows-min", type=int, default=300)
    parser.add_argument("--rows-max", type=int, default=1_200)
    parser.add_argument("--page-size", type=int, default=250)
    parser.add_argument("--executors", type=int, default=4)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    report = asyncio.run(main_async(args))
    print(report)
    write_report("replicas", report)


if __name__ == "__main__":
    main()

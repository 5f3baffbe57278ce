"""Crash safety under executor kills: N postgres syncs while executors are
SIGKILLed at random moments and restarted.

    .venv/bin/python -m bench.kills [--runs 200] [--seed S] [--executors 4] [--slots 3]

One sync per run (so every destination table belongs to one run chain),
upsert, replace and append_event in turn, source tables of a few thousand rows
read in pages of `--page-size` rows (several checkpoints per run). All runs
are triggered at once; meanwhile, every 1-4 s a random executor that is
running attempts is SIGKILLed and a new executor process (a new id, as a
restarted `syncplane executor` gets by default) starts 0.5-3 s later. The
engine keeps the timing a user gets by default (lease 5 s, heartbeat 1 s,
sweep 1 s: server/config.py), so a killed attempt is noticed when its lease
runs out.

Reports runs completed, rows lost and duplicated (every destination compared
with its source, whole rows; append_event duplicates reported apart, as an
at-least-once figure), the time from a kill to the next attempt of each
affected run starting (and to the killed attempt being failed), and the
integrity checks of tests/acceptance/integrity.py. Writes bench/out/kills.md and, per
killed attempt, bench/out/kills_recovery.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import create_database, embedded_postgres, percentile
from bench.fault_support import (
    INCOMPLETE,
    MODES,
    REPO,
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
from tests.acceptance.harness import Proc, Stack


@dataclass(frozen=True)
class Kill:
    at: datetime
    executor: str
    running: int


@dataclass
class Fleet:
    """The executors, killed and replaced as the bench goes."""

    stack: Stack
    slots: int
    live: dict[str, Proc] = field(default_factory=dict)
    started: int = 0

    async def start_one(self) -> None:
        name = f"kx-{self.started}"
        self.started += 1
        self.live[name] = await self.stack.start_executor(self.slots, name=name)


async def _running(conn: asyncpg.Connection, executor: str) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM syncplane.runs WHERE status = 'running' AND executor_id = $1", executor
    ))


async def _killer(fleet: Fleet, control_dsn: str, rng: random.Random, kills: list[Kill], done: asyncio.Event) -> None:
    conn = await asyncpg.connect(control_dsn)
    restarts: set[asyncio.Task[None]] = set()

    async def restart_later(delay: float) -> None:
        await asyncio.sleep(delay)
        await fleet.start_one()

    try:
        while not done.is_set():
            await asyncio.sleep(rng.uniform(1.0, 4.0))
            if len(fleet.live) < 2:
                continue  # keep one executor up: the figure is the engine's, not an empty fleet's
            busy = [name for name in sorted(fleet.live) if await _running(conn, name) > 0]
            if not busy:
                continue
            victim = rng.choice(busy)
            running = await _running(conn, victim)
            await fleet.live.pop(victim).kill()
            kills.append(Kill(datetime.now(UTC), victim, running))
            task = asyncio.create_task(restart_later(rng.uniform(0.5, 3.0)))
            restarts.add(task)
            task.add_done_callback(restarts.discard)
        await asyncio.gather(*restarts)
    finally:
        await conn.close()


def _recovery(runs: list[dict[str, Any]], kills: list[Kill]) -> dict[str, Any]:
    """Per killed attempt: kill -> attempt failed, and kill -> next attempt started."""
    by_id = {r["id"]: r for r in runs}
    detected: list[float] = []
    restarted: list[float] = []
    waited: list[float] = []  # failed -> next attempt started: the queue and dispatch
    reasons: dict[str, int] = {}
    samples: list[dict[str, Any]] = []  # one per killed attempt, for looking into outliers
    for kill in kills:
        for run in runs:
            if run["executor_id"] != kill.executor or run["started_at"] is None:
                continue
            if run["completed_at"] is not None and run["completed_at"] <= kill.at:
                continue  # ended on that executor before it was killed
            since = max(kill.at, run["started_at"])
            reasons[run["result_reason_code"]] = reasons.get(run["result_reason_code"], 0) + 1
            if run["status"] != "failed":
                continue
            detected.append((run["completed_at"] - since).total_seconds())
            nxt = by_id.get(run["next_attempt_run_id"])
            if nxt is not None and nxt["started_at"] is not None:
                restarted.append((nxt["started_at"] - since).total_seconds())
                waited.append((nxt["started_at"] - run["completed_at"]).total_seconds())
                samples.append({
                    "run": str(run["id"]), "executor": kill.executor, "killed": kill.at.isoformat(),
                    "failed": run["completed_at"].isoformat(), "next": str(nxt["id"]),
                    "next_started": nxt["started_at"].isoformat(), "next_executor": nxt["executor_id"],
                    "to_next_start_s": restarted[-1],
                })
    return {"detected": detected, "restarted": restarted, "waited": waited, "reasons": reasons, "samples": samples}


def _p50_max(values: list[float]) -> str:
    return f"{percentile(values, 50):.1f} / {max(values, default=float('nan')):.1f} s"


def _report(args: argparse.Namespace, sizes: list[int], plans: list[SyncPlan], kills: list[Kill], seconds: float,
            runs: RunTotals, rows: dict[str, RowTotals], recovery: dict[str, Any], load: str) -> str:
    engine = EngineSettings.from_env()
    counts = {m: sum(1 for p in plans if p.mode == m) for m in MODES}
    exact = [rows["upsert"], rows["replace"]]
    det, rst, wait = recovery["detected"], recovery["restarted"], recovery["waited"]
    lines = [
        f"Kills: {args.runs} runs ({', '.join(f'{n} {m}' for m, n in counts.items())}), source tables of"
        f" {min(sizes):,}-{max(sizes):,} rows, pageSize {args.page_size}, {args.executors} executors x {args.slots} slots;"
        f" seed {args.seed}; load average before the start (1/5/15 min) {load}",
        f"Engine timing (defaults, no SYNCPLANE_* overrides): lease {engine.lease_seconds:g} s, heartbeat"
        f" {engine.heartbeat_interval_seconds:g} s, sweep {engine.sweep_interval_seconds:g} s. Wall time {seconds:.0f} s,"
        f" {len(kills)} executor kills, {len(det)} attempts killed, {runs.resumed_chains} chains resumed,"
        f" at most {runs.max_attempts} attempts in a chain.",
        "",
        "| runs completed | rows lost (upsert+replace) | rows duplicated (upsert+replace) | append_event rows lost |"
        " append_event duplicates (at-least-once) | rows not loaded by failed runs |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {runs.succeeded}/{args.runs} | {sum(t.lost + t.foreign for t in exact)} | {sum(t.duplicated for t in exact)} |"
        f" {rows['append_event'].lost + rows['append_event'].foreign} | {rows['append_event'].duplicated} |"
        f" {rows[INCOMPLETE].lost} of {rows[INCOMPLETE].rows:,} ({rows[INCOMPLETE].tables} tables) |",
        "",
        "| kill -> next attempt started, p50 / max | over 10 s | kill -> attempt failed (lease), p50 / max |"
        " failed -> next attempt started (queue), p50 / max |",
        "|---:|---:|---:|---:|",
        f"| {_p50_max(rst)} | {sum(1 for v in rst if v > 10)} of {len(rst)} | {_p50_max(det)} | {_p50_max(wait)} |",
        "",
        f"Integrity: broken chains {len(runs.broken_chains)}, runs of one sync overlapping {len(runs.overlapping)},"
        f" attempts started twice {len(runs.double_started)}, attempts that committed after their successor read"
        f" the state {len(runs.loaded_over_successor)}. Killed attempts ended as {recovery['reasons']}."
        f" Rows checked: {sum(t.rows for t in rows.values()):,} in {sum(t.tables for t in rows.values())} tables.",
    ]
    for problem in (runs.failed_chains + runs.broken_chains + runs.overlapping + runs.double_started + runs.loaded_over_successor)[:20]:
        lines.append(f"- {problem}")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> tuple[str, list[dict[str, Any]]]:
    rng = random.Random(args.seed)
    sizes = [rng.randrange(args.rows_min, args.rows_max + 1) for _ in range(args.tables)]
    load = load_average()
    with embedded_postgres(args.dsn) as root:
        control = await create_database(root, "bench_kills_control")
        source = await create_database(root, "bench_kills_source")
        tables = await make_sources(source, sizes)
        plans = [SyncPlan(tables[i % len(tables)], f"k{i}_{MODES[i % 3]}", MODES[i % 3], args.page_size) for i in range(args.runs)]
        log_dir = Path(tempfile.mkdtemp(prefix="syncplane-bench-kills-"))
        print(f"seed {args.seed}; logs in {log_dir}", flush=True)
        # INFO: the executors' run.started / load.batch_committed feed the integrity checks.
        stack = Stack(database_url=control, log_dir=log_dir, env={"SYNCPLANE_LOG_LEVEL": "INFO"})
        fleet = Fleet(stack, args.slots)
        try:
            await stack.start(executors=0)
            for _ in range(args.executors):
                await fleet.start_one()
            await stack.wait_http(lambda status, body: status == 200, "/readyz")
            sync_ids = await create_syncs([stack], source, plans)
            kills: list[Kill] = []
            done = asyncio.Event()
            started = time.monotonic()
            killer = asyncio.create_task(_killer(fleet, control, rng, kills, done))
            await trigger_all([stack], sync_ids)

            async def progress(finished: int) -> None:
                ticker.show(f"{finished}/{args.runs} chains ended, {len(kills)} kills")
            ticker = Ticker()
            await settle(control, args.runs, timeout=args.timeout, on_poll=progress)
            seconds = time.monotonic() - started  # from the first trigger
            done.set()
            await killer
            runs = await all_runs(control)
            totals = run_totals(runs, stack.executors)
            rows = await check_rows(source, control, plans, incomplete_dests(runs, plans, sync_ids))
        finally:
            await asyncio.gather(*(p.kill() for p in stack.executors), return_exceptions=True)
            await stack.stop()
    recovery = _recovery(runs, kills)
    return _report(args, sizes, plans, kills, seconds, totals, rows, recovery, load), recovery["samples"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="runs under random executor SIGKILLs")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--tables", type=int, default=10, help="source tables (syncs share them)")
    parser.add_argument("--rows-min", type=int, default=2_000)
    parser.add_argument("--rows-max", type=int, default=8_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--executors", type=int, default=4)
    parser.add_argument("--slots", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--dsn", default=None, help="a server to use instead of an embedded one")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    report, samples = asyncio.run(main_async(args))
    print(report)
    write_report("kills", report)
    (REPO / "bench" / "out" / "kills_recovery.json").write_text(json.dumps(samples, indent=1))


if __name__ == "__main__":
    main()

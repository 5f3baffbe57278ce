"""Plumbing shared by the crash benches (bench/kills.py, bench/replicas.py):
source tables, one postgres sync per run, triggers, waiting for the runs to
settle, and the checks that turn a finished bench into figures (runs
completed, rows lost or duplicated, attempts that overlapped)."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from tests.acceptance.conftest import SOURCE_COLUMNS, make_source
from tests.acceptance.faults import attempts_overlap
from tests.acceptance.harness import Proc, Stack
from tests.acceptance.integrity import (
    RowDiff,
    chain_problems,
    chains,
    double_starts,
    fetch_runs,
    overlapping_runs,
    row_diff,
)

REPO = Path(__file__).resolve().parents[1]
MODES = ("upsert", "replace", "append_event")
TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class SyncPlan:
    """One sync of the bench: a source table into its own destination table."""

    table: str
    dest: str
    mode: str
    page_size: int


async def make_sources(dsn: str, sizes: list[int]) -> list[str]:
    """Source tables `src_<i>` of the given row counts (tests' make_source shape)."""
    names = []
    for i, rows in enumerate(sizes):
        names.append(f"src_{i}")
        await make_source(dsn, rows, table=names[-1])
    return names


async def create_syncs(stacks: list[Stack], source_dsn: str, plans: list[SyncPlan], concurrency: int = 16) -> list[str]:
    """Creates the syncs through the stacks' REST APIs in turn (one
    connection per stack); returns their ids in plan order."""
    connections = [
        (await s.post("/api/v1/connections", {"name": "bench source", "providerKey": "postgres", "config": {"dsn": source_dsn}}, expect=201))["id"]
        for s in stacks
    ]
    gate = asyncio.Semaphore(concurrency)

    async def create(i: int, plan: SyncPlan) -> str:
        stack = stacks[i % len(stacks)]
        async with gate:
            sync = await stack.post(
                "/api/v1/syncs",
                {"connectionId": connections[i % len(stacks)], "name": plan.dest, "entities": [plan.table],
                 "executionConfig": {"pageSize": plan.page_size},
                 "tableBindings": [{"entityKey": plan.table, "tableName": plan.dest, "primaryKeyColumns": ["id"],
                                    "cursorField": "updated_at", "loadMode": plan.mode}]},
                expect=201,
            )
        return str(sync["id"])

    return list(await asyncio.gather(*(create(i, p) for i, p in enumerate(plans))))


async def trigger_all(stacks: list[Stack], sync_ids: list[str], concurrency: int = 16) -> None:
    """Triggers every sync (a full run), through the stacks' REST APIs in turn."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int, sync_id: str) -> None:
        async with gate:
            await stacks[i % len(stacks)].post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})

    await asyncio.gather(*(one(i, s) for i, s in enumerate(sync_ids)))


async def settle(control_dsn: str, expected_chains: int, timeout: float, *, on_poll: Any = None) -> float:
    """Waits until `expected_chains` chains exist and no run is active;
    returns the seconds waited. `on_poll(done_chains)` is awaited each poll."""
    started = time.monotonic()
    conn = await asyncpg.connect(control_dsn)
    try:
        while True:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled')) AS active,"
                " count(*) FILTER (WHERE attempt_number = 1) AS chains,"
                " count(*) FILTER (WHERE next_attempt_run_id IS NULL AND status IN ('succeeded', 'failed', 'cancelled')) AS done"
                " FROM syncplane.runs"
            )
            if on_poll is not None:
                await on_poll(int(row["done"]))
            if row["active"] == 0 and row["chains"] >= expected_chains:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"runs still active after {timeout:.0f} s: {dict(row)}")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


@dataclass
class RowTotals:
    """Row checks summed over the destinations of one load mode."""

    tables: int = 0
    rows: int = 0
    lost: int = 0
    duplicated: int = 0
    foreign: int = 0
    tables_with_duplicates: int = 0

    def add(self, source_rows: int, diff: RowDiff) -> None:
        self.tables += 1
        self.rows += source_rows
        self.lost += diff.lost
        self.duplicated += diff.duplicated
        self.foreign += diff.foreign
        self.tables_with_duplicates += diff.duplicated > 0


INCOMPLETE = "incomplete"


async def check_rows(
    source_dsn: str, dest_dsn: str, plans: list[SyncPlan], incomplete: frozenset[str] = frozenset()
) -> dict[str, RowTotals]:
    """Compares every destination table with its source, whole rows: totals per
    mode, and apart (key INCOMPLETE) the tables in `incomplete`, whose chains
    did not succeed (rows missing there were never loaded, not lost)."""
    totals = {mode: RowTotals() for mode in (*MODES, INCOMPLETE)}
    sources: dict[str, list[tuple[object, ...]]] = {}
    src, dst = await asyncpg.connect(source_dsn), await asyncpg.connect(dest_dsn)
    try:
        for plan in plans:
            if plan.table not in sources:
                sources[plan.table] = [tuple(r) for r in await src.fetch(f"SELECT {SOURCE_COLUMNS} FROM {plan.table}")]
            exists = await dst.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{plan.dest}")
            copied = [tuple(r) for r in await dst.fetch(f"SELECT {SOURCE_COLUMNS} FROM public.{plan.dest}")] if exists else []
            key = INCOMPLETE if plan.dest in incomplete else plan.mode
            totals[key].add(len(sources[plan.table]), row_diff(sources[plan.table], copied))
    finally:
        await src.close()
        await dst.close()
    return totals


@dataclass(frozen=True)
class RunTotals:
    """What the control plane and the executors' logs say about the runs."""

    chains: int
    succeeded: int
    failed_chains: list[str]
    attempts: int
    resumed_chains: int
    max_attempts: int
    broken_chains: list[str]
    overlapping: list[str]
    double_started: list[str]
    loaded_over_successor: list[str]


def run_totals(runs: list[dict[str, Any]], executors: list[Proc]) -> RunTotals:
    by_root = chains(runs)
    ends = Counter(chain[-1]["status"] for chain in by_root.values())
    multi = {root: chain for root, chain in by_root.items() if len(chain) > 1}
    # Log-based overlap evidence only matters where there was a successor.
    overlap_evidence = [
        problem for chain in multi.values()
        for problem in attempts_overlap(executors, [_as_rest(r) for r in chain])
    ] if multi else []
    return RunTotals(
        chains=len(by_root),
        succeeded=ends["succeeded"],
        failed_chains=[
            f"{str(root)[:8]}: " + ", ".join(f"#{r['attempt_number']} {r['status']}/{r['result_reason_code']}" for r in chain)
            for root, chain in by_root.items() if chain[-1]["status"] != "succeeded"
        ],
        attempts=len(runs),
        resumed_chains=len(multi),
        max_attempts=max((len(c) for c in by_root.values()), default=0),
        broken_chains=[p for root, chain in by_root.items() for p in chain_problems(root, chain)],
        overlapping=overlapping_runs(runs),
        double_started=double_starts(executors),
        loaded_over_successor=overlap_evidence,
    )


def incomplete_dests(runs: list[dict[str, Any]], plans: list[SyncPlan], sync_ids: list[str]) -> frozenset[str]:
    """Destination tables of the syncs whose chain did not succeed."""
    dest_of = {sync_id: plan.dest for sync_id, plan in zip(sync_ids, plans)}
    return frozenset(
        dest_of[str(chain[-1]["subject_id"])] for chain in chains(runs).values()
        if chain[-1]["status"] != "succeeded" and str(chain[-1]["subject_id"]) in dest_of
    )


def _as_rest(run: dict[str, Any]) -> dict[str, Any]:
    """A database row in the shape attempts_overlap reads (the REST run)."""
    return {"id": str(run["id"]), "attemptNumber": run["attempt_number"]}


async def all_runs(control_dsn: str) -> list[dict[str, Any]]:
    return await fetch_runs(control_dsn)


class Ticker:
    """Prints a progress line at most every `every` seconds."""

    def __init__(self, every: float = 5.0) -> None:
        self._every = every
        self._last = 0.0

    def show(self, line: str) -> None:
        if time.monotonic() - self._last >= self._every:
            self._last = time.monotonic()
            print(line, flush=True)


def load_average() -> str:
    """The 1/5/15-minute load averages: the machine is shared, say how busy it was."""
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def write_report(name: str, report: str) -> None:
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(report + "\n")

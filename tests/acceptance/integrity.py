"""Invariants that must hold after any fault, read from the control-plane
database and the executors' logs; shared by the acceptance tests and the
benches (bench/kills.py, bench/replicas.py).

- every run chain is a proper chain: attempts 1..n linked both ways, one root,
  each attempt claimed only after its predecessor ended, all but the last
  failed;
- no two runs of one subject were ever active at once (by the database's own
  timestamps: a claim and an end are stamped with clock_timestamp());
- no attempt was started twice by executors (the executors' `run.started`);
- a destination holds exactly its source rows (`row_diff`).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg

from tests.acceptance.faults import log_events
from tests.acceptance.harness import Proc

RUN_COLUMNS = (
    "id, subject_id, status, attempt_number, attempt_root_run_id, previous_attempt_run_id,"
    " next_attempt_run_id, created_at, started_at, completed_at, executor_id, result_reason_code,"
    " triggered_by, trigger_ref"
)


async def fetch_runs(dsn: str) -> list[dict[str, Any]]:
    """Every run in the control plane, as dicts."""
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch(f"SELECT {RUN_COLUMNS} FROM syncplane.runs")]
    finally:
        await conn.close()


def chains(runs: list[dict[str, Any]]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Runs grouped by chain root, attempts in order."""
    out: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        out[run["attempt_root_run_id"] or run["id"]].append(run)
    for chain in out.values():
        chain.sort(key=lambda r: r["attempt_number"])
    return dict(out)


def chain_problems(root: uuid.UUID, chain: list[dict[str, Any]]) -> list[str]:
    """What makes `chain` not a proper chain of attempts (empty when it is)."""
    problems = []
    name = str(root)[:8]
    if [r["attempt_number"] for r in chain] != list(range(1, len(chain) + 1)):
        problems.append(f"{name}: attempt numbers {[r['attempt_number'] for r in chain]}")
    if chain[0]["id"] != root or chain[0]["previous_attempt_run_id"] is not None:
        problems.append(f"{name}: the first attempt is not the root")
    for before, after in zip(chain, chain[1:]):
        if after["previous_attempt_run_id"] != before["id"] or before["next_attempt_run_id"] != after["id"]:
            problems.append(f"{name}: attempts #{before['attempt_number']} and #{after['attempt_number']} not linked")
        if before["status"] != "failed":
            problems.append(f"{name}: attempt #{before['attempt_number']} ended {before['status']} but has a successor")
        if after["started_at"] is not None and (
            before["completed_at"] is None or after["started_at"] < before["completed_at"]
        ):
            problems.append(
                f"{name}: attempt #{after['attempt_number']} started {after['started_at']} before"
                f" #{before['attempt_number']} ended ({before['completed_at']})"
            )
    if chain[-1]["next_attempt_run_id"] is not None:
        problems.append(f"{name}: the last attempt points at a successor that does not exist")
    return problems


def overlapping_runs(runs: list[dict[str, Any]]) -> list[str]:
    """Runs of one subject whose [started, completed] intervals overlap."""
    by_subject: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        if run["started_at"] is not None:
            by_subject[run["subject_id"]].append(run)
    problems = []
    for subject, started in by_subject.items():
        started.sort(key=lambda r: r["started_at"])
        for before, after in zip(started, started[1:]):
            if before["completed_at"] is None or after["started_at"] < before["completed_at"]:
                problems.append(
                    f"subject {subject}: run {str(after['id'])[:8]} started {after['started_at']} while"
                    f" {str(before['id'])[:8]} ran ({before['started_at']} .. {before['completed_at']})"
                )
    return problems


def double_starts(procs: list[Proc]) -> list[str]:
    """Attempts that executors started more than once (each attempt gets one
    claim and one fencing token, so once is the only right number)."""
    starts = Counter(str(e.get("run_id")) for p in procs for e in log_events(p, "run.started"))
    return [f"run {run_id} started {n} times" for run_id, n in starts.items() if n > 1]


@dataclass(frozen=True)
class RowDiff:
    """How a destination differs from its source (rows compared whole)."""

    #: Source rows absent from the destination.
    lost: int
    #: Destination rows beyond one copy of each source row.
    duplicated: int
    #: Destination rows that are no source row at all (wrong values).
    foreign: int

    @property
    def exact(self) -> bool:
        return not (self.lost or self.duplicated or self.foreign)


def row_diff(source: list[tuple[object, ...]], copied: list[tuple[object, ...]]) -> RowDiff:
    """Compares rows as multisets (rows may hold lists: compared by repr)."""
    want = Counter(repr(r) for r in source)
    got = Counter(repr(r) for r in copied)
    lost = sum(max(0, n - got[r]) for r, n in want.items())
    duplicated = sum(max(0, n - want[r]) for r, n in got.items() if r in want)
    foreign = sum(n for r, n in got.items() if r not in want)
    return RowDiff(lost=lost, duplicated=duplicated, foreign=foreign)

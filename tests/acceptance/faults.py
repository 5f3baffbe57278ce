"""Shared pieces of the fault-injection acceptance tests (tests/acceptance/test_faults_*.py).

- `fault_rng`: a seeded `random.Random`; the seed is printed, and
  SYNCPLANE_FAULT_SEED=<seed> replays a failing run's fault points.
- `fault_stack`: a server and executors with short leases, torn down fast
  (frozen processes are continued, executors killed: a drain would wait for
  runs the test no longer cares about), logs printed when the body fails;
  given `Failpoints` (failpoints_support.py), every executor it starts is
  armed with them: a test waits for a point instead of hoping a run is still
  going when it strikes.
- syncs, runs and rows: create a sync, wait for progress, read a run chain,
  compare the destination with the source.
- `log_events`: the JSON log lines of a process, to check what executors did.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from tests.acceptance.conftest import FAST_ENGINE, SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.harness import Proc, Stack
from tests.acceptance.syncs_support import create_sync
from tests.acceptance.wait_support import wait_for

SEED_ENV = "SYNCPLANE_FAULT_SEED"
TERMINAL = {"succeeded", "failed", "cancelled"}
ACTIVE = {"pending", "running", "cancelling"}

__all__ = [
    "ACTIVE",
    "SOURCE_COLUMNS",
    "TERMINAL",
    "ActiveRunMonitor",
    "Failpoints",
    "append_rows_check",
    "assert_exact_rows",
    "attempts_overlap",
    "create_sync",
    "describe",
    "executor_crash",
    "executor_named",
    "fault_rng",
    "fault_stack",
    "finished_unreported",
    "log_events",
    "make_source",
    "request_status",
    "run_chain",
    "sync_runs",
    "table_rows",
    "wait_for",
    "wait_rows",
]


def fault_rng(test_name: str) -> random.Random:
    """A seeded RNG; the seed is printed so a failure can be replayed."""
    raw = os.environ.get(SEED_ENV)
    seed = int(raw) if raw else random.SystemRandom().randrange(2**31)
    print(f"[{test_name}] fault seed {seed} (replay: {SEED_ENV}={seed})")
    return random.Random(seed)


def _dump(stack: Stack, extra: list[Proc] | None = None) -> None:
    for proc in [stack.server, *stack.executors, *(extra or [])]:
        if proc is not None:
            print(f"----- {proc.name} log (tail) -----\n{proc.log()[-4000:]}")


@asynccontextmanager
async def fault_stack(
    dsn: str,
    tmp_path: Path,
    *,
    executors: int = 2,
    slots: int = 2,
    env: dict[str, str] | None = None,
    failpoints: Failpoints | None = None,
) -> AsyncIterator[Stack]:
    """A server with `executors` executors on `dsn`, FAST_ENGINE timing;
    `failpoints` arms each of these executors (not later ones)."""
    stack = Stack(database_url=dsn, log_dir=tmp_path / "logs", env={**FAST_ENGINE, **(env or {})})
    try:
        await stack.start(executors=0)
        for index in range(executors):
            name = f"executor-{index}"
            await stack.start_executor(slots, name=name, env=failpoints.env(name) if failpoints else None)
        if executors:
            await stack.wait_http(lambda status, body: status == 200, "/readyz")
        yield stack
    except BaseException:
        _dump(stack)
        raise
    finally:
        if failpoints is not None:
            failpoints.release_all()
        for proc in stack.executors:
            proc.signal(signal.SIGCONT)
        await asyncio.gather(*(p.kill() for p in stack.executors), return_exceptions=True)
        await stack.stop()


def executor_crash(proc: Proc) -> str | None:
    """None while the process runs; else the tail of its log (its traceback)."""
    if proc.alive:
        return None
    return f"{proc.name} exited ({proc.process.returncode}): " + "\n".join(
        line for line in proc.log().splitlines()[-12:] if not line.startswith("{")
    )


def executor_named(stack: Stack, name: str | None) -> Proc:
    proc = next((p for p in stack.executors if p.name == name), None)
    assert proc is not None, f"no executor named {name!r} (have {[p.name for p in stack.executors]})"
    return proc


# -- syncs and runs ----------------------------------------------------------------------

async def request_status(stack: Stack, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    """(HTTP status, headers, JSON body or text) of one REST call, whatever the status."""
    assert stack.session is not None
    async with stack.session.request(method, stack.base + path, json=body) as resp:
        text = await resp.text()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, dict(resp.headers), parsed


async def wait_rows(stack: Stack, run_id: str, min_rows: int, timeout: float = 30.0) -> dict[str, Any]:
    """Waits until the run is running with at least `min_rows` written (0: merely running).

    Returns the run; if it ended first, returns it as it ended (the caller
    decides whether the fault point was missed)."""
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = await stack.get(f"/api/v1/syncs/runs/{run_id}")
        if run["status"] in TERMINAL:
            return run
        if run["status"] == "running" and run.get("executorId") and (run.get("summary") or {}).get("rowsWritten", 0) >= min_rows:
            return run
        await asyncio.sleep(0.02)
    raise TimeoutError(f"run {run_id} did not reach {min_rows} rows: {run}")


async def sync_runs(stack: Stack, sync_id: str) -> list[dict[str, Any]]:
    """All runs of a sync, oldest first."""
    body = await stack.get(f"/api/v1/syncs/{sync_id}/runs?limit=100")
    return sorted(body["runs"], key=lambda r: (r["createdAt"], r["attemptNumber"]))


async def run_chain(stack: Stack, root_id: str) -> list[dict[str, Any]]:
    """The attempts of a run chain, first to last."""
    chain = [await stack.get(f"/api/v1/syncs/runs/{root_id}")]
    while chain[-1].get("nextAttemptRunId"):
        chain.append(await stack.get(f"/api/v1/syncs/runs/{chain[-1]['nextAttemptRunId']}"))
    return chain


def describe(runs: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"#{r['attemptNumber']} {r['id'][:8]} {r['status']}/{r.get('resultReasonCode')} on {r.get('executorId')}"
        f" by {r['triggeredBy']}"
        for r in runs
    )


# -- rows --------------------------------------------------------------------------------

async def assert_exact_rows(source_dsn: str, dest_dsn: str, table: str, dest_table: str) -> None:
    source = await table_rows(source_dsn, f"SELECT {SOURCE_COLUMNS} FROM {table} ORDER BY id")
    copied = await table_rows(dest_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.{dest_table} ORDER BY id")
    if copied != source:
        src_ids = {r[0] for r in source}
        dst_ids = [r[0] for r in copied]
        missing = sorted(src_ids - set(dst_ids))
        extra = sorted(set(dst_ids) - src_ids)
        dupes = len(dst_ids) - len(set(dst_ids))
        differing = sum(1 for a, b in zip(source, copied) if a != b)
        raise AssertionError(
            f"{dest_table}: {len(copied)} rows vs {len(source)} in the source; missing {len(missing)}"
            f" (e.g. {missing[:5]}), extra {len(extra)}, duplicate keys {dupes}, differing {differing}"
        )


async def append_rows_check(source_dsn: str, dest_dsn: str, table: str, dest_table: str) -> tuple[list[int], int]:
    """(ids of source rows missing from an append_event target, number of duplicate rows)."""
    source = await table_rows(source_dsn, f"SELECT {SOURCE_COLUMNS} FROM {table} ORDER BY id")
    copied = await table_rows(dest_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.{dest_table} ORDER BY id")
    present = {repr(r) for r in copied}  # rows hold lists (tags): compare their repr
    missing = [r[0] for r in source if repr(r) not in present]
    return missing, len(copied) - len(present)


# -- logs --------------------------------------------------------------------------------

def log_events(proc: Proc, event: str | None = None, **match: Any) -> list[dict[str, Any]]:
    """The structured (JSON) log lines of a process, optionally filtered."""
    out = []
    for line in proc.log().splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if event is not None and entry.get("event") != event:
            continue
        if any(entry.get(k) != v for k, v in match.items()):
            continue
        entry["_proc"] = proc.name
        out.append(entry)
    return out


def attempts_overlap(procs: list[Proc], chain: list[dict[str, Any]]) -> list[str]:
    """Evidence that two attempts of one run chain loaded data at the same time.

    A later attempt reads the chain's committed state after it claimed the
    destination fence, and the claim waits for a batch an older attempt has in
    flight; so whatever an older attempt committed must be in the state the
    later one resumed from: per entity (or window), its `pg.entity_started`
    (`pg.window_started`) `rows_committed`
    is at least the older attempt's last `load.batch_committed.rows_committed`.
    (Log timestamps of two processes cannot tell: a process woken from SIGSTOP
    logs its commit late.) An older attempt that finished the whole load but
    whose result never arrived is skipped: its successor starts over (see
    finished_unreported). Returns the violations found.
    """
    events = [e for p in procs for e in log_events(p)
              if e.get("event") in ("load.batch_committed", "pg.entity_started", "pg.window_started", "run.ended")]
    finished = {str(e.get("run_id")) for e in events if e["event"] == "run.ended" and e.get("outcome") == "OUTCOME_SUCCEEDED"}
    last: dict[tuple[str, str], int] = {}
    start: dict[tuple[str, str], int] = {}
    for e in events:
        # A fan_out_window load commits and resumes per window.
        part = str(e.get("entity")) + (f"@w{e['window']}" if "window" in e else "")
        key = (str(e.get("run_id")), part)
        if e["event"] == "run.ended":
            continue
        if e["event"] == "load.batch_committed":
            last[key] = max(last.get(key, 0), int(e.get("rows_committed", 0)))
        else:
            start[key] = int(e.get("rows_committed", 0))
    problems = []
    for i, earlier in enumerate(chain):
        if earlier["id"] in finished and len(chain) > i + 1:
            continue
        for later in chain[i + 1 :]:
            for (run_id, entity), committed in last.items():
                if run_id != earlier["id"] or (later["id"], entity) not in start:
                    continue
                resumed = start[(later["id"], entity)]
                if resumed < committed:
                    problems.append(
                        f"{entity}: attempt #{later['attemptNumber']} ({later['id'][:8]}) resumed from {resumed}"
                        f" committed rows, but attempt #{earlier['attemptNumber']} ({earlier['id'][:8]}) had"
                        f" committed {committed}: it committed after its successor read the state"
                    )
    return problems


def finished_unreported(procs: list[Proc], chain: list[dict[str, Any]]) -> bool:
    """Whether the first attempt of a chain completed on its executor although the
    server failed it (its result never arrived: server down, network cut)."""
    ended = [e for p in procs for e in log_events(p, "run.ended", run_id=chain[0]["id"])]
    return len(chain) > 1 and any(e.get("outcome") == "OUTCOME_SUCCEEDED" for e in ended)


class ActiveRunMonitor:
    """Samples the control-plane database in the background: records any
    moment at which one sync had more than one non-terminal run."""

    def __init__(self, dsn: str, interval: float = 0.1) -> None:
        self._dsn = dsn
        self._interval = interval
        self.violations: list[str] = []
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ActiveRunMonitor:
        self._conn = await asyncpg.connect(self._dsn)
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - sampling is best effort
            pass
        await self._conn.close()

    async def _run(self) -> None:
        while True:
            rows = await self._conn.fetch(
                "SELECT subject_id, array_agg(id::text || ':' || status || '@' || coalesce(executor_id, '-')) AS runs"
                " FROM syncplane.runs WHERE status IN ('running', 'cancelling', 'pending')"
                " GROUP BY subject_id HAVING count(*) > 1"
            )
            self.samples += 1
            for row in rows:
                self.violations.append(f"sync {row['subject_id']}: {list(row['runs'])}")
            await asyncio.sleep(self._interval)

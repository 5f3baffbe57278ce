"""Run rows: the only place the engine's SQL is executed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.models import Run
from syncplane.server.db.queries import load

Q = load("runs")
Executor = Conn | asyncpg.Pool


@dataclass(frozen=True)
class NewRun:
    """What a dialect asks the engine to queue."""

    subject_kind: str
    subject_id: uuid.UUID
    connector: str
    spec: dict[str, Any]
    triggered_by: str
    run_mode: str = "incremental"
    concurrency_key: str | None = None
    trigger_ref: str | None = None
    execution_backend: str = "native"
    execution_mode: str = "sequential"
    executor_group: str = "default"
    credential_ids: dict[str, str] | None = None
    max_auto_resume_attempts: int = 3
    #: Runs sharing a mutex key never run at once; a later one waits pending.
    mutex_key: str | None = None
    #: The first attempt's id, when the dialect chose it (to name the run in its own log lines
    #: before the engine queues it); else a new one.
    run_id: uuid.UUID | None = None


async def insert_run(
    db: Executor,
    new: NewRun,
    *,
    attempt_number: int = 1,
    root_id: uuid.UUID | None = None,
    previous_id: uuid.UUID | None = None,
    auto_resume_count: int = 0,
    state_root: uuid.UUID | None = None,
) -> Run:
    """Queues a run; `state_root` (default: the chain's root) keys its resume state."""
    return Run.from_record(await db.fetchrow(
        Q["insert_run"],
        new.run_id if new.run_id is not None and attempt_number == 1 else uuid.uuid4(),
        new.subject_kind,
        new.subject_id,
        new.concurrency_key,
        new.run_mode,
        new.triggered_by,
        new.trigger_ref,
        new.execution_backend,
        new.execution_mode,
        new.executor_group,
        new.connector,
        new.spec,
        new.credential_ids or {},
        attempt_number,
        root_id,
        previous_id,
        new.max_auto_resume_attempts,
        auto_resume_count,
        new.mutex_key,
        state_root,
    ))


async def get_run(db: Executor, run_id: uuid.UUID) -> Run | None:
    return Run.maybe(await db.fetchrow(Q["get_run"], run_id))


async def lock_run(conn: Conn, run_id: uuid.UUID) -> Run | None:
    """The run, locked FOR UPDATE until the caller's transaction ends."""
    return Run.maybe(await conn.fetchrow(Q["lock_run"], run_id))


async def list_subject_runs(
    db: Executor, kind: str, subject_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Run], int]:
    rows = await db.fetch(Q["list_subject_runs"], kind, subject_id, limit, offset)
    if rows:
        return [Run.from_record(row) for row in rows], rows[0]["total_count"]
    return [], await db.fetchval(Q["count_subject_runs"], kind, subject_id)


async def list_kind_runs(
    db: Executor, kind: str, statuses: Sequence[str], limit: int, offset: int
) -> tuple[list[Run], int]:
    rows = await db.fetch(Q["list_kind_runs"], kind, list(statuses), limit, offset)
    if rows:
        return [Run.from_record(row) for row in rows], rows[0]["total_count"]
    return [], await db.fetchval(Q["count_kind_runs"], kind, list(statuses))


async def active_run_for_key(db: Executor, key: str) -> Run | None:
    return Run.maybe(await db.fetchrow(Q["active_run_for_key"], key))


async def active_run_of_subject(db: Executor, kind: str, subject_id: uuid.UUID) -> Run | None:
    return Run.maybe(await db.fetchrow(Q["active_run_of_subject"], kind, subject_id))


async def claim_runs(
    db: Executor,
    group: str,
    connectors: Sequence[str],
    limit: int,
    executor_id: str,
    lease_s: float,
    backend: str = "native",
) -> list[asyncpg.Record]:
    return await db.fetch(Q["claim_runs"], group, list(connectors), limit, executor_id, lease_s, backend)


async def release_claim(db: Executor, run_id: uuid.UUID, token: int) -> None:
    await db.execute(Q["release_claim"], run_id, token)


async def renew_leases(
    db: Executor, executor_id: str, tokens: Sequence[int], lease_s: float
) -> list[asyncpg.Record]:
    return await db.fetch(Q["renew_leases"], executor_id, list(tokens), lease_s)


async def save_progress(
    db: Executor, items: Sequence[tuple[uuid.UUID, int, dict[str, Any]]]
) -> list[asyncpg.Record]:
    """The runs whose progress was saved (id, subject_kind, subject_id, progress)."""
    ids, tokens, progress = zip(*items) if items else ((), (), ())
    return await db.fetch(Q["save_progress"], list(ids), list(tokens), list(progress))


async def save_checkpoint(db: Executor, run_id: uuid.UUID, token: int, state: dict[str, Any]) -> bool:
    return await db.fetchval(Q["save_checkpoint"], run_id, token, state) is not None


async def finish_run(
    db: Executor,
    run_id: uuid.UUID,
    token: int,
    *,
    status: str,
    result_class: str,
    reason_code: str | None,
    error: str | None,
    summary: dict[str, Any],
    ended_at: datetime | None = None,
) -> Run | None:
    return Run.maybe(await db.fetchrow(
        Q["finish_run"], run_id, token, status, result_class, reason_code, error, summary, ended_at
    ))


async def cancel_pending(db: Executor, run_id: uuid.UUID, by: str | None, reason: str | None) -> Run | None:
    return Run.maybe(await db.fetchrow(Q["cancel_pending"], run_id, by, reason))


async def request_cancel(db: Executor, run_id: uuid.UUID, by: str | None, reason: str | None) -> Run | None:
    return Run.maybe(await db.fetchrow(Q["request_cancel"], run_id, by, reason))


async def link_next_attempt(db: Executor, run_id: uuid.UUID, next_id: uuid.UUID, *, keep_place: bool) -> None:
    await db.execute(Q["link_next_attempt"], run_id, next_id, keep_place)


async def inherited_checkpoint(db: Executor, run: Run) -> dict[str, Any]:
    """The checkpoint an attempt started from: its predecessor's (a first attempt's is empty)."""
    if run.previous_attempt_run_id is None:
        return {}
    return dict(await db.fetchval(Q["checkpoint_of"], run.previous_attempt_run_id) or {})


async def expired_leases(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(Q["expired_leases"])


async def overdue_cancels(conn: Conn, timeout_s: float) -> list[asyncpg.Record]:
    return await conn.fetch(Q["overdue_cancels"], timeout_s)


async def end_attempt(
    conn: Conn,
    run_id: uuid.UUID,
    *,
    status: str,
    result_class: str,
    reason_code: str,
    error: str | None,
) -> Run:
    return Run.from_record(await conn.fetchrow(Q["end_attempt"], run_id, status, result_class, reason_code, error))


async def notify_run_changed(db: Executor, run_ids: Sequence[uuid.UUID]) -> None:
    # NOTIFY payloads are limited to 8000 bytes: send ids in chunks.
    ids = [str(i) for i in run_ids]
    for start in range(0, len(ids), 200):
        await db.execute(Q["notify_run_changed"], ",".join(ids[start : start + 200]))


async def runs_of_executor(db: Executor, executor_id: str) -> list[asyncpg.Record]:
    return await db.fetch(Q["runs_of_executor"], executor_id)


async def running_of_backend(db: Executor, backend: str) -> list[asyncpg.Record]:
    return await db.fetch(Q["running_of_backend"], backend)


async def expire_leases_now(db: Executor, run_ids: Sequence[uuid.UUID]) -> None:
    await db.execute(Q["expire_leases_now"], list(run_ids))


async def delay_run(db: Executor, run_id: uuid.UUID, seconds: float) -> None:
    await db.execute(Q["delay_run"], run_id, seconds)


async def set_aside_run(
    conn: Conn, run_id: uuid.UUID, token: int | None, reason: str
) -> Run | None:
    return Run.maybe(await conn.fetchrow(Q["set_aside_run"], run_id, token, reason))

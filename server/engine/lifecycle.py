"""Run lifecycle: queue, cancel, retry, finish, expire, auto-resume.

Dialects call these; nothing here knows a dialect. Per subject kind, a dialect
registers `KindHooks` (server.engine.hooks) to shape an assignment and to learn
when a run started, progressed or ended.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg
import structlog

from syncplane.server.db import observability as observability_db
from syncplane.server.db import runs as db
from syncplane.server.db.connection import Conn
from syncplane.server.db.models import Run, RunProgress
from syncplane.server.db.runs import NewRun
from syncplane.server.engine import resume_policy, states
from syncplane.server.engine.backends.registry import BackendRegistry, setting_for
from syncplane.server.engine.finisher import Finisher, FinishItem
from syncplane.server.engine.graphs import RunGraphs
from syncplane.server.engine.hooks import NO_HOOKS, KindHooks
from syncplane.server.errors import Conflict, NotFound
from syncplane.server.observability import metrics, run_context, tracing

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: str
    result_class: str
    reason_code: str | None
    error: str | None = None


SUCCESS = Outcome(states.SUCCEEDED, "success", "completed")

# Re-exported: tests and callers knew the cap here first.
MAX_CHAIN_ATTEMPTS = resume_policy.MAX_CHAIN_ATTEMPTS


class Wakeable(Protocol):
    def wake(self) -> None: ...


class RunEngine:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._hooks: dict[str, KindHooks] = {}
        # The local dispatcher, woken directly so a trigger need not wait for
        # its own NOTIFY to come back.
        self.dispatcher: Wakeable | None = None
        self._finisher = Finisher(pool, self._finish_one)
        # Run graphs (executions of steps released group by group) ride on this
        # engine's runs: a step's chain end moves its graph in the same transaction.
        self.graphs = RunGraphs(pool, self)
        #: The execution backends this server runs (set by server/app.py).
        self.backends: BackendRegistry | None = None

    def offered_backends(self) -> list[str]:
        """The execution backends a subject may choose on this server."""
        return self.backends.names() if self.backends is not None else ["native"]

    @staticmethod
    def backend_setting(name: str) -> str:
        """What to configure for backend `name` to be offered."""
        return setting_for(name)

    def unoffered_backend(self, name: str) -> str | None:
        """Why a run of backend `name` may not be queued here (it is not
        offered: nothing would ever take it), naming the setting; None when
        it is offered."""
        if name in self.offered_backends():
            return None
        setting = setting_for(name)
        return f"executionBackend '{name}' is not configured on this server" + (f"; set {setting}" if setting else "")

    def register_kind(self, kind: str, hooks: KindHooks) -> None:
        self._hooks[kind] = hooks

    def hooks(self, kind: str) -> KindHooks:
        return self._hooks[kind]

    async def started(self, conn: Conn, rows: list[asyncpg.Record]) -> None:
        """In the claim's transaction: tells each run's kind."""
        for row in rows:
            run = Run.from_record(row)
            with run_context.bound(run):  # each hook's log lines name their own run
                await self._hooks.get(row["subject_kind"], NO_HOOKS).on_started(conn, run)

    async def progressed(self, conn: Conn, rows: list[asyncpg.Record]) -> None:
        """In the transaction that saved progress: tells each run's kind."""
        for row in rows:
            # Many runs per flush: each hook's log lines name their own run.
            with run_context.bound(run_id=row["id"], subject_id=row["subject_id"]):
                await self._hooks.get(row["subject_kind"], NO_HOOKS).on_progress(conn, RunProgress.from_record(row))

    # -- reads -----------------------------------------------------------------
    async def get(self, run_id: uuid.UUID, kind: str | None = None) -> Run:
        row = await db.get_run(self.pool, run_id)
        if row is None or (kind is not None and row.subject_kind != kind):
            raise NotFound(f"run {run_id} not found")
        return row

    async def list_for(
        self, kind: str, subject_id: uuid.UUID, limit: int, offset: int
    ) -> tuple[list[Run], int]:
        return await db.list_subject_runs(self.pool, kind, subject_id, limit, offset)

    async def list_of_kind(
        self, kind: str, statuses: Sequence[str], limit: int, offset: int
    ) -> tuple[list[Run], int]:
        """Runs of every subject of a kind (a dialect's runs across its subjects), newest first."""
        return await db.list_kind_runs(self.pool, kind, statuses, limit, offset)

    async def active_run(
        self, kind: str, subject_id: uuid.UUID, conn: Conn | None = None
    ) -> Run | None:
        """The subject's run that has not ended (pending, running, cancelling), if any."""
        return await db.active_run_of_subject(conn or self.pool, kind, subject_id)

    async def latest_attempt(self, run_id: uuid.UUID, kind: str | None = None) -> Run:
        """The newest attempt of the chain `run_id` belongs to, from `run_id` on."""
        row = await self.get(run_id, kind)
        while row.next_attempt_run_id is not None:
            row = await self.get(row.next_attempt_run_id, kind)
        return row

    async def has_ended(self, run_id: uuid.UUID, kind: str | None = None) -> bool:
        """Whether the attempt is finished (succeeded, failed or cancelled)."""
        return (await self.get(run_id, kind)).status in states.TERMINAL

    # -- commands ----------------------------------------------------------------
    async def queue(self, new: NewRun, conn: Conn | None = None) -> Run:
        """Queues a first attempt; refused while the concurrency key is held."""
        if conn is None and tracing.enabled():
            # The run and where its trace hangs commit together: no dispatcher may claim it in between.
            async with self.pool.acquire() as own, own.transaction():
                return await self.queue(new, own)
        try:
            row = await db.insert_run(conn or self.pool, new)
        except asyncpg.UniqueViolationError:
            # The caller's transaction is aborted now: look the holder up elsewhere.
            active = await db.active_run_for_key(self.pool, new.concurrency_key or "")
            raise Conflict(
                f"a run is already active for this {new.subject_kind}"
                + (f" (run {active.id}, {active.status})" if active else "")
            ) from None
        with run_context.bound(row):
            await self._trace(conn or self.pool, row)
            log.info("run.queued", run_id=str(row.id), kind=new.subject_kind, triggered_by=new.triggered_by)
        self._wake()
        return row

    async def _trace(self, conn: Conn | asyncpg.Pool, row: Run, follows: Run | None = None) -> None:
        """Starts the attempt's trace and stores where it hangs (nothing when tracing is off)."""
        trace_parent = tracing.trigger(row, follows=follows)
        if trace_parent is not None:
            await observability_db.set_trace_parent(conn, row.id, trace_parent)

    async def cancel(self, run_id: uuid.UUID, kind: str, by: str | None, reason: str | None) -> Run:
        """Cancels a pending run at once, asks a running one to stop.

        Never starts another run: cancelled attempts are not auto-resumed.
        """
        row = await self.get(run_id, kind)
        if row.status == states.PENDING:
            async with self.pool.acquire() as conn, conn.transaction():
                ended = await db.cancel_pending(conn, run_id, by, reason)
                if ended is not None:
                    with run_context.bound(ended):
                        await self._ended(conn, ended)
                        log.info("run.cancelled", run_id=str(run_id), before_start=True)
                    metrics.run_finished(ended.subject_kind, ended.execution_backend, ended.status, None)
                    return ended
            row = await self.get(run_id, kind)  # claimed meanwhile: cancel it running
        if row.status == states.RUNNING:
            asked = await db.request_cancel(self.pool, run_id, by, reason)
            if asked is not None:
                with run_context.bound(asked):
                    log.info("run.cancel_requested", run_id=str(run_id), by=by)
                return asked
            row = await self.get(run_id, kind)
        if row.status == states.CANCELLING:
            return row
        raise Conflict(f"run {run_id} already ended ({row.status}); nothing to cancel")

    async def retry(self, run_id: uuid.UUID, kind: str, run_mode: str | None, by: str | None) -> Run:
        """Starts the next attempt of a finished run (resuming its checkpoint)."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await db.lock_run(conn, run_id)
            if row is None or row.subject_kind != kind:
                raise NotFound(f"run {run_id} not found")
            if row.status not in states.TERMINAL:
                raise Conflict(f"run {run_id} is {row.status}; only a finished run can be retried")
            if row.next_attempt_run_id is not None:
                raise Conflict(
                    f"run {run_id} was already retried; retry its latest attempt "
                    f"(next attempt {row.next_attempt_run_id})"
                )
            try:
                nxt = await self._next_attempt(conn, row, triggered_by="retry", run_mode=run_mode, trigger_ref=by)
            except asyncpg.UniqueViolationError:
                raise Conflict(f"another run of this {kind} is active; wait for it to end") from None
        self._wake()
        return nxt

    # -- called by executor sessions and the sweeper -------------------------------
    async def finish(
        self, run_id: uuid.UUID, token: int, outcome: Outcome, summary: dict[str, Any],
        *, ended_at: datetime | None = None,
    ) -> Run | None:
        """Ends an attempt as its executor reports; None when the token is stale.
        `ended_at` is its true end when that was earlier than now (an attempt a
        backend ran to the end while no server watched).

        Results are committed in small batches (see `Finisher`)."""
        started_ns = tracing.now_ns()
        with run_context.bound(run_id=run_id):
            row = await self._finisher.submit(FinishItem(run_id, token, outcome, summary, ended_at))
            if row is not None:
                log.info("run.finished", run_id=str(run_id), status=row.status, reason=row.result_reason_code)
        if row is not None:
            self._ended_metrics(row)
            tracing.finished(row, started_ns)
        run_context.forget(run_id)
        return row

    @staticmethod
    def _ended_metrics(row: Run) -> None:
        done, started = row.completed_at, row.started_at
        duration = (done - started).total_seconds() if done and started else None
        metrics.run_finished(row.subject_kind, row.execution_backend, row.status, duration)

    async def _finish_one(self, conn: Conn, item: FinishItem) -> Run | None:
        outcome: Outcome = item.outcome
        row = await db.finish_run(
            conn, item.run_id, item.token, status=outcome.status, result_class=outcome.result_class,
            reason_code=outcome.reason_code, error=outcome.error, summary=item.summary, ended_at=item.ended_at,
        )
        if row is not None:
            await self._after_end(conn, row)
        return row

    async def close(self) -> None:
        await self._finisher.stop()

    async def end_locked(self, conn: Conn, row: asyncpg.Record | Run, outcome: Outcome) -> Run:
        """Ends an attempt the caller has locked (the sweeper's lease expiry)."""
        started_ns = tracing.now_ns()
        # The sweeper hands over the raw row it locked; the lifecycle's own callers a Run.
        run_id: uuid.UUID = row.id if isinstance(row, Run) else row["id"]
        with run_context.bound(row):
            ended = await db.end_attempt(
                conn, run_id, status=outcome.status, result_class=outcome.result_class,
                reason_code=outcome.reason_code or "", error=outcome.error,
            )
            await self._after_end(conn, ended)
            log.info("run.ended_by_sweeper", run_id=str(run_id), status=outcome.status, reason=outcome.reason_code)
        if outcome.reason_code == "heartbeat_timeout":
            metrics.LEASE_EXPIRIES.labels(ended.subject_kind).inc()
        self._ended_metrics(ended)
        tracing.finished(ended, started_ns, "run.ended_by_sweeper")
        run_context.forget(ended.id)
        return ended

    # -- internals -----------------------------------------------------------------
    async def _after_end(self, conn: Conn, row: Run) -> None:
        resume = await self._resume_of(conn, row)
        if resume is not None:
            nxt = await self._next_attempt(conn, row, triggered_by="auto_resume", auto_resumes=resume.auto_resume_count)
            if resume.delay_s:
                await db.delay_run(conn, nxt.id, resume.delay_s)
            metrics.AUTO_RESUMES.labels(row.subject_kind).inc()
            log.info(
                "run.auto_resumed", run_id=str(row.id), next_run_id=str(nxt.id), delay_s=resume.delay_s,
                resumes_without_progress=resume.auto_resume_count, attempt=row.attempt_number + 1,
            )
            self._wake()
            return
        await self._ended(conn, row)

    async def _resume_of(self, conn: Conn, row: Run) -> resume_policy.Resume | None:
        """The ended attempt's facts, given to the resume policy."""
        if row.status != states.FAILED or row.result_reason_code not in states.RESUMABLE_REASONS:
            return None  # no need to read the inherited checkpoint
        inherited = await db.inherited_checkpoint(conn, row)
        return resume_policy.decide(resume_policy.EndedAttempt(
            status=row.status,
            reason_code=row.result_reason_code,
            attempt_number=row.attempt_number,
            max_auto_resume_attempts=row.max_auto_resume_attempts,
            auto_resume_count=row.auto_resume_count,
            progressed=dict(row.checkpoint or {}) != inherited,
        ))

    async def _ended(self, conn: Conn, row: Run) -> None:
        # The statement that ended the run has already notified watchers (the
        # NOTIFY is delivered at commit, after everything below).
        await self._hooks.get(row.subject_kind, NO_HOOKS).on_terminal(conn, row)
        # After the kind's hook, so a graph's hooks see what it recorded (an activity's status).
        await self.graphs.chain_ended(conn, row)

    async def _next_attempt(
        self,
        conn: Conn,
        row: Run,
        *,
        triggered_by: str,
        run_mode: str | None = None,
        trigger_ref: str | None = None,
        auto_resumes: int = 0,
    ) -> Run:
        state_root: uuid.UUID = row.state_root
        if triggered_by == "retry" and row.status == states.SUCCEEDED:
            # Executors keep a chain's progress (entities done) so a resumed
            # attempt never loads twice; re-running a chain that succeeded is a
            # new intent and must start from nothing: a fresh state root.
            state_root = uuid.uuid4()
        new = NewRun(
            subject_kind=row.subject_kind,
            subject_id=row.subject_id,
            connector=row.connector,
            spec=row.spec,
            triggered_by=triggered_by,
            run_mode=run_mode or row.run_mode,
            concurrency_key=row.concurrency_key,
            trigger_ref=trigger_ref or str(row.id),
            execution_backend=row.execution_backend,
            execution_mode=row.execution_mode,
            executor_group=row.executor_group,
            credential_ids=row.credential_ids,
            max_auto_resume_attempts=row.max_auto_resume_attempts,
            mutex_key=row.mutex_key,
        )
        nxt = await db.insert_run(
            conn,
            new,
            attempt_number=row.attempt_number + 1,
            root_id=row.attempt_root_run_id or row.id,
            previous_id=row.id,
            auto_resume_count=auto_resumes,
            state_root=state_root,
        )
        # An auto-resume continues an interrupted run: it goes where its chain
        # stood in the queue, not behind everything triggered since. A retry is
        # a new request and queues at the back.
        await db.link_next_attempt(conn, row.id, nxt.id, keep_place=triggered_by == "auto_resume")
        await self._trace(conn, nxt, follows=row)
        return nxt

    def _wake(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()

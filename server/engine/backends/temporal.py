"""The `temporal` execution backend: each attempt is a Temporal workflow.

Start: a `SyncplaneAttempt` workflow (workflow id derived from the run id and
the attempt's fencing token, so a repeated start finds the one already there)
on the sync's task queue (`executionConfig.taskQueue`, else the configured
default). Its argument names the attempt only; the worker (`syncplane
temporal-worker`, executor/backends/temporal_worker.py) fetches the plan and
the secrets from the control plane with the attempt's token.

Liveness is polled (`Liveness.POLL`): each sweeper pass describes the workflow
and turns the answer into a `BackendState`: Temporal's status, the pending
activity (state, attempt, last heartbeat, last failure), the heartbeat's
progress counters and the link into Temporal's UI. A completed workflow
carries the attempt's result (executor.attempt_runner.AttemptResult), so an
attempt that ended while every control plane was down is recorded with its
true result when one returns (`adopt`).

What Temporal hides, the poll notices:
- a workflow task that keeps failing (a broken worker deploy: the workflow
  stays RUNNING and its activity never starts): after `stuck_task_attempts`
  tries the workflow is terminated and the attempt fails, saying why;
- a cancel no worker picks up (none is listening: the workflow stays RUNNING
  until one returns): after `cancel_grace_seconds` the workflow is terminated
  and the attempt ends cancelled;
- a workflow terminated by hand: the attempt fails (`backend_terminated`),
  or ends cancelled when a cancel was asked.

Temporal unreachable at start: the claim is released and the run waits
`unavailable_retry_seconds` as pending, its backend status saying why and when
it is tried again; the dispatcher offers no Temporal capacity meanwhile.

temporalio is imported lazily: a server without the `temporal` extra starts,
and only refuses `temporal` syncs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import asyncpg
import structlog
from cachetools import TTLCache

from syncplane.server.config import TemporalSettings
from syncplane.server.db import attempts as attempts_db
from syncplane.server.db import backend_load
from syncplane.server.db import runs as db
from syncplane.server.engine import states
from syncplane.server.engine.backends.base import BackendRef, BackendState, Capacity, Liveness, RunPhase
from syncplane.server.engine.backends.results import outcome_of_result
from syncplane.server.engine.lifecycle import Outcome, RunEngine
from syncplane.temporal_contract import WORKFLOW, AttemptArgs, workflow_id

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowExecutionDescription, WorkflowHandle

log = structlog.get_logger(__name__)

NAME = "temporal"

#: A workflow not found this soon after its attempt was claimed may still be
#: being started (by this replica or another): not lost yet.
START_GRACE_SECONDS = 30.0
#: How long this process remembers an attempt it started or polled (to pass
#: cancels on, and to send each cancel once).
MEMORY_SECONDS = 600.0


class TemporalBackend:
    name = NAME
    liveness = Liveness.POLL

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, settings: TemporalSettings, cancel_timeout: float) -> None:
        self._pool = pool
        self._engine = engine
        self._s = settings
        self._grace = min(settings.cancel_grace_seconds, cancel_timeout / 2)
        self._client: Client | None = None
        self._connecting = asyncio.Lock()
        self._unavailable_until = 0.0
        #: Attempts this process started or polled: the cancels it passes on.
        # Forgotten after a while (an attempt that ended is never polled
        # again); a running one is polled, so re-added, every pass.
        self._known: TTLCache[tuple[uuid.UUID, int], bool] = TTLCache(maxsize=100_000, ttl=MEMORY_SECONDS)
        self._cancel_sent: TTLCache[tuple[uuid.UUID, int], bool] = TTLCache(maxsize=100_000, ttl=MEMORY_SECONDS)
        self._tasks: set[asyncio.Task[None]] = set()
        #: Attempts Temporal holds (running or cancelling), as last counted.
        self._active = 0
        self._counted_at = 0.0
        self._counting: asyncio.Task[None] | None = None

    # -- the seam ----------------------------------------------------------------------
    def capacity(self) -> list[Capacity]:
        if time.monotonic() < self._unavailable_until:
            return []
        self._refresh_active()
        # Attempts waiting in Temporal's queue count as running here (their
        # lease is renewed by polls): bounded, so every one is polled each pass.
        free = min(self._s.claim_batch, self._s.max_in_flight - self._active)
        if free <= 0:
            return []
        connectors = frozenset(self._s.connectors)
        return [
            Capacity(key=(NAME, group), group=group, connectors=connectors, free=free,
                     worker_id=f"temporal:{self._s.namespace}")
            for group in self._s.groups
        ]

    def _refresh_active(self) -> None:
        """Counts the attempts Temporal holds, in the background (capacity()
        is synchronous): at most one count at a time, at most every 0.5 s."""
        if self._counting is not None or time.monotonic() - self._counted_at < 0.5:
            return

        async def count() -> None:
            try:
                self._active = await backend_load.active_of_backend(self._pool, NAME)
                self._counted_at = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - the last count stands; the next call tries again
                log.warning("temporal.count_failed", error=str(exc))
            finally:
                self._counting = None

        self._counting = asyncio.get_running_loop().create_task(count())

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        from temporalio.common import WorkflowIDConflictPolicy
        from temporalio.exceptions import WorkflowAlreadyStartedError

        run_id, token = run["id"], run["attempt_token"]
        wid = workflow_id(str(run_id), token)
        queue = task_queue(run, self._s.task_queue)
        args = AttemptArgs(
            run_id=str(run_id), attempt_token=token,
            heartbeat_timeout_s=self._s.heartbeat_timeout_seconds,
            max_activity_attempts=self._s.max_activity_attempts,
        )
        self._known[(run_id, token)] = True
        try:
            client = await self._connect()
            try:
                handle = await client.start_workflow(
                    WORKFLOW, args.to_dict(), id=wid, task_queue=queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    rpc_timeout=self._rpc_timeout,
                )
                temporal_run = handle.first_execution_run_id or handle.result_run_id or ""
            except WorkflowAlreadyStartedError as exc:  # closed already: the same attempt, not a new one
                temporal_run = exc.run_id or ""
        except Exception as exc:  # noqa: BLE001 - any failure to reach Temporal: the run waits, never lost
            await self._unavailable(run, exc)
            return None
        self._active += 1  # until the next count
        url = self._url(wid, temporal_run)
        # The backend's view from the start (a short run may end before any
        # poll), replacing what an earlier failed start said.
        started = {"status": "STARTED", "workflowId": wid, "runId": temporal_run, "taskQueue": queue,
                   "namespace": self._s.namespace}
        await attempts_db.record_backend_state(self._pool, run_id, token, status=started, heartbeat_at=None, url=url)
        log.info("temporal.started", run_id=str(run_id), token=token, workflow_id=wid, task_queue=queue)
        return BackendRef(NAME, f"{wid}/{temporal_run}", url)

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        key = (run_id, token)
        if key not in self._known:
            return False
        task = asyncio.get_running_loop().create_task(self._send_cancel(key, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def poll(self, run: asyncpg.Record) -> BackendState:
        key = (run["id"], run["attempt_token"])
        self._known[key] = True
        from temporalio.service import RPCError, RPCStatusCode

        try:
            client = await self._connect()
            handle = client.get_workflow_handle(workflow_id(str(key[0]), key[1]))
            desc = await handle.describe(rpc_timeout=self._rpc_timeout)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return self._not_found(run)
            return BackendState(RunPhase.UNKNOWN, detail={"status": "UNREACHABLE", "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - Temporal down or slow: the lease decides
            return BackendState(RunPhase.UNKNOWN, detail={"status": "UNREACHABLE", "error": str(exc) or type(exc).__name__})
        return await self._state(run, handle, desc)

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        # Temporal holds the attempt whoever started it: adopting is asking.
        return await self.poll(run)

    # -- reading a workflow ------------------------------------------------------------
    async def _state(self, run: asyncpg.Record, handle: WorkflowHandle[Any, Any], desc: WorkflowExecutionDescription) -> BackendState:
        from temporalio.api.enums.v1 import PendingWorkflowTaskState
        from temporalio.client import WorkflowExecutionStatus as S

        url = self._url(desc.id, desc.run_id)
        detail: dict[str, Any] = {
            "status": desc.status.name if desc.status is not None else "UNSPECIFIED",
            "workflowId": desc.id, "runId": desc.run_id, "taskQueue": desc.task_queue, "namespace": self._s.namespace,
        }
        if desc.close_time is not None:
            detail["closedAt"] = desc.close_time.isoformat()
        status = desc.status
        if status == S.COMPLETED:
            result = await handle.result(rpc_timeout=self._rpc_timeout)
            outcome, summary = outcome_of_result(result)
            detail["result"] = {"outcome": outcome.status, "reasonCode": outcome.reason_code}
            return BackendState(RunPhase.ENDED, url=url, outcome=outcome, summary=summary, detail=detail,
                                ended_at=desc.close_time)
        if status == S.CANCELED:
            return BackendState(RunPhase.ENDED, url=url, detail=detail, ended_at=desc.close_time, outcome=Outcome(
                states.CANCELLED, "cancelled", "cancelled", "the Temporal workflow was cancelled"))
        if status in (S.FAILED, S.TERMINATED, S.TIMED_OUT):
            why = await self._close_reason(handle)
            detail["lastFailure"] = why
            return BackendState(RunPhase.ENDED, url=url, detail=detail, ended_at=desc.close_time,
                                outcome=self._closed(run, status.name, why))
        if status != S.RUNNING:
            return BackendState(RunPhase.UNKNOWN, url=url, detail=detail)

        raw = desc.raw_description
        progress: dict[str, Any] | None = None
        heartbeat_at: datetime | None = None
        if raw.pending_activities:
            activity, progress, heartbeat_at = await self._activity(handle, raw.pending_activities[0])
            detail["activity"] = activity
        task = raw.pending_workflow_task
        if task is not None and task.attempt > 1:
            detail["workflowTask"] = {
                "state": _enum_name(PendingWorkflowTaskState, task.state, "PENDING_WORKFLOW_TASK_STATE_"),
                "attempt": task.attempt,
            }
            if task.attempt >= self._s.stuck_task_attempts:
                return await self._stuck(run, handle, url, detail, task.attempt)
        if run["status"] == states.CANCELLING:
            ended = await self._cancelling(run, handle, url, detail)
            if ended is not None:
                return ended
        return BackendState(RunPhase.RUNNING, heartbeat_at=heartbeat_at or desc.start_time, url=url,
                            progress=progress, detail=detail)

    async def _activity(
        self, handle: WorkflowHandle[Any, Any], pending: Any
    ) -> tuple[dict[str, Any], dict[str, Any] | None, datetime | None]:
        """The pending activity's state, its last heartbeat's progress and time."""
        from temporalio.api.enums.v1 import PendingActivityState

        activity: dict[str, Any] = {
            "state": _enum_name(PendingActivityState, pending.state, "PENDING_ACTIVITY_STATE_"),
            "attempt": pending.attempt,
            "maximumAttempts": pending.maximum_attempts,
        }
        heartbeat_at = None
        if pending.HasField("last_heartbeat_time"):
            heartbeat_at = pending.last_heartbeat_time.ToDatetime(tzinfo=UTC)
            activity["lastHeartbeatAt"] = heartbeat_at.isoformat()
        elif pending.HasField("last_started_time"):
            heartbeat_at = pending.last_started_time.ToDatetime(tzinfo=UTC)
        if pending.last_worker_identity:
            activity["lastWorker"] = pending.last_worker_identity
        if pending.HasField("last_failure"):
            activity["lastFailure"] = pending.last_failure.message
        progress = None
        if pending.HasField("heartbeat_details") and pending.heartbeat_details.payloads:
            decoded = await handle._client.data_converter.decode(pending.heartbeat_details.payloads)
            if decoded and isinstance(decoded[0], dict):
                progress = decoded[0]
        return activity, progress, heartbeat_at

    async def _stuck(self, run: asyncpg.Record, handle: WorkflowHandle[Any, Any], url: str, detail: dict[str, Any], attempt: int) -> BackendState:
        """A workflow task failing again and again: the worker cannot run this
        workflow (a broken deploy, a sandbox violation). Temporal would retry it
        forever with the workflow RUNNING; the attempt fails, saying why."""
        why = await self._task_failure(handle) or "the workflow task keeps failing"
        log.error("temporal.workflow_task_failing", run_id=str(run["id"]), workflow_id=handle.id, attempt=attempt, error=why)
        await self._terminate(handle, f"syncplane: workflow task failed {attempt} times: {why}")
        detail["lastFailure"] = why
        if run["status"] == states.CANCELLING:
            outcome = Outcome(states.CANCELLED, "cancelled", "cancelled", "cancelled; the workflow task was failing")
        else:
            outcome = Outcome(states.FAILED, "infrastructure", "backend_workflow_task_failed",
                              f"the Temporal workflow task failed {attempt} times: {why}")
        return BackendState(RunPhase.ENDED, url=url, outcome=outcome, detail=detail)

    async def _cancelling(self, run: asyncpg.Record, handle: WorkflowHandle[Any, Any], url: str, detail: dict[str, Any]) -> BackendState | None:
        """A cancelling attempt: the cancel is (re)sent once by this process (it
        may have been asked on another replica, or before a restart); one not
        acknowledged within the grace terminates the workflow."""
        key = (run["id"], run["attempt_token"])
        if key not in self._cancel_sent:
            await self._send_cancel(key, run["cancel_reason"] or "cancel requested")
        asked = run["cancel_requested_at"]
        if asked is None or (datetime.now(UTC) - asked).total_seconds() < self._grace:
            return None
        await self._terminate(handle, f"syncplane: cancel not acknowledged within {self._grace:g}s")
        log.warning("temporal.cancel_forced", run_id=str(run["id"]), workflow_id=handle.id, grace_s=self._grace)
        detail["status"] = "TERMINATED"
        return BackendState(RunPhase.ENDED, url=url, detail=detail, outcome=Outcome(
            states.CANCELLED, "cancelled", "cancelled",
            f"cancelled; no Temporal worker acknowledged the cancel within {self._grace:g}s, the workflow was terminated"))

    def _closed(self, run: asyncpg.Record, status: str, why: str) -> Outcome:
        if run["status"] == states.CANCELLING:
            return Outcome(states.CANCELLED, "cancelled", "cancelled", f"cancelled; the Temporal workflow {status.lower()}: {why}")
        if status == "TERMINATED":
            return Outcome(states.FAILED, "infrastructure", "backend_terminated", f"the Temporal workflow was terminated: {why}")
        # The activity's retries ran out (workers kept being lost) or it timed out.
        return Outcome(states.FAILED, "infrastructure", "executor_lost", f"the Temporal workflow {status.lower()}: {why}")

    def _not_found(self, run: asyncpg.Record) -> BackendState:
        started = run["started_at"]
        if started is not None and (datetime.now(UTC) - started).total_seconds() < START_GRACE_SECONDS:
            return BackendState(RunPhase.STARTING, detail={"status": "STARTING"})
        return BackendState(RunPhase.LOST, detail={"status": "NOT_FOUND"})

    async def _close_reason(self, handle: WorkflowHandle[Any, Any]) -> str:
        """The close event's reason: a terminate's reason or the failure's message."""
        from temporalio.client import WorkflowHistoryEventFilterType

        try:
            async for event in handle.fetch_history_events(
                event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT, rpc_timeout=self._rpc_timeout
            ):
                if event.HasField("workflow_execution_terminated_event_attributes"):
                    return event.workflow_execution_terminated_event_attributes.reason or "no reason given"
                if event.HasField("workflow_execution_failed_event_attributes"):
                    return _failure_text(event.workflow_execution_failed_event_attributes.failure)
                if event.HasField("workflow_execution_timed_out_event_attributes"):
                    return "the workflow timed out"
        except Exception as exc:  # noqa: BLE001 - the reason is a nicety; the status is the fact
            return f"(reason unavailable: {exc})"
        return "no reason recorded"

    async def _task_failure(self, handle: WorkflowHandle[Any, Any]) -> str | None:
        try:
            async for event in handle.fetch_history_events(rpc_timeout=self._rpc_timeout):
                if event.HasField("workflow_task_failed_event_attributes"):
                    return _failure_text(event.workflow_task_failed_event_attributes.failure)
        except Exception:  # noqa: BLE001 - the reason is a nicety
            return None
        return None

    # -- calls -------------------------------------------------------------------------
    @property
    def _rpc_timeout(self) -> timedelta:
        return timedelta(seconds=self._s.rpc_timeout_seconds)

    async def _connect(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._connecting:
            if self._client is None:
                from temporalio.client import Client

                self._client = await asyncio.wait_for(
                    Client.connect(self._s.address, namespace=self._s.namespace), self._s.rpc_timeout_seconds
                )
                log.info("temporal.connected", address=self._s.address, namespace=self._s.namespace)
            return self._client

    async def _send_cancel(self, key: tuple[uuid.UUID, int], reason: str) -> None:
        self._cancel_sent[key] = True
        try:
            client = await self._connect()
            await client.get_workflow_handle(workflow_id(str(key[0]), key[1])).cancel(rpc_timeout=self._rpc_timeout)
            log.info("temporal.cancel_sent", run_id=str(key[0]), token=key[1], reason=reason)
        except Exception as exc:  # noqa: BLE001 - the next poll sends it again
            self._cancel_sent.pop(key, None)
            log.warning("temporal.cancel_failed", run_id=str(key[0]), token=key[1], error=str(exc))

    async def _terminate(self, handle: WorkflowHandle[Any, Any], reason: str) -> None:
        from temporalio.service import RPCError, RPCStatusCode

        try:
            await handle.terminate(reason=reason, rpc_timeout=self._rpc_timeout)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # NOT_FOUND: already closed
                raise

    async def _unavailable(self, run: asyncpg.Record, exc: BaseException) -> None:
        """Temporal could not take the attempt: back to the queue for a moment,
        saying so; no capacity is offered until then."""
        wait = self._s.unavailable_retry_seconds
        self._unavailable_until = time.monotonic() + wait
        self._client = None  # reconnect next time (the address may have come back elsewhere)
        error = str(exc) or type(exc).__name__
        status = {
            "status": "UNAVAILABLE",
            "error": f"Temporal at {self._s.address} could not start the attempt: {error}",
            "retryAt": (datetime.now(UTC) + timedelta(seconds=wait)).isoformat(),
        }
        # Said on the run first (fenced by the token the release then clears).
        await attempts_db.record_backend_state(self._pool, run["id"], run["attempt_token"], status=status, heartbeat_at=None, url=None)
        await db.release_claim(self._pool, run["id"], run["attempt_token"])
        await db.delay_run(self._pool, run["id"], wait)
        log.warning("temporal.unavailable", run_id=str(run["id"]), error=error, retry_in_s=wait)

    def _url(self, wid: str, temporal_run: str) -> str:
        base = self._s.ui_url.rstrip("/")
        ns = quote(self._s.namespace, safe="")
        return f"{base}/namespaces/{ns}/workflows/{quote(wid, safe='')}/{quote(temporal_run, safe='')}/history"


def task_queue(run: asyncpg.Record, default: str) -> str:
    """The sync's `executionConfig.taskQueue`, as the run's plan carries it."""
    spec = run["spec"] or {}
    queue = (spec.get("executionConfig") or {}).get("taskQueue") or spec.get("taskQueue")
    return str(queue) if queue else default


def _failure_text(failure: Any) -> str:
    parts = []
    while failure is not None and failure.message:
        parts.append(failure.message)
        failure = failure.cause if failure.HasField("cause") else None
    return ": ".join(parts)[:1000] or "no message"


def _enum_name(enum: Any, value: int, prefix: str) -> str:
    try:
        return str(enum.Name(value)).removeprefix(prefix)
    except ValueError:
        return str(value)


__all__ = ["NAME", "TemporalBackend", "TemporalSettings", "outcome_of_result", "task_queue"]

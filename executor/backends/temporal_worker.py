"""`syncplane temporal-worker`: a Temporal worker that runs syncplane attempts.

It polls a task queue for `SyncplaneAttempt` workflows (temporal_workflow.py)
and runs their one activity: `executor.attempt_runner.run_attempt`, the same
connector code, fence and destination checkpoint as a native executor. The
activity is synchronous and runs on a thread pool, one attempt per thread with
its own event loop, so a busy connector never stalls the worker's loop (which
would stop its heartbeats and look like a lost worker to Temporal).

What Temporal sees: the attempt's id and token in, heartbeats carrying progress
counters, and the attempt's result out. The plan and the secrets are fetched
from the control plane with the attempt's token (AttemptService), with this
worker's own executor token; neither enters Temporal's history.

Cancellation: a cancel of the workflow (the control plane's cancel) stops the
attempt, which ends `cancelled` through the control plane; the activity then
reports itself cancelled so the workflow ends CANCELED. Any other reason the
activity is told to stop (this worker shutting down, Temporal deciding the
worker was lost) stops the attempt without ending it: the activity fails and
Temporal's retry runs the same attempt again elsewhere, resuming from the
destination's checkpoint.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Worker

from syncplane.executor import attempt_runner
from syncplane.executor.backends.temporal_workflow import NON_RETRYABLE, AttemptWorkflow
from syncplane.executor.connectors import registry
from syncplane.temporal_contract import ACTIVITY, DEFAULT_TASK_QUEUE, AttemptArgs

log = structlog.get_logger(__name__)

#: How often the activity heartbeats (Temporal throttles what it sends to 0.8
#: of the heartbeat timeout) and looks for a cancel.
BEAT_SECONDS = 0.5


@dataclass(frozen=True)
class TemporalWorkerConfig:
    #: Temporal frontend, host:port.
    address: str
    #: The syncplane control plane (gRPC host:port) the activity fetches attempts from.
    server: str
    #: This worker's executor token (never passed through Temporal).
    token: str
    namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    #: Attempts run at once by this worker.
    slots: int = 4
    #: On SIGTERM, running attempts get this long to finish before they are
    #: stopped (Temporal then retries them elsewhere).
    drain_seconds: float = 60.0
    identity: str = field(default_factory=lambda: f"syncplane-{socket.gethostname()}-{os.getpid()}")


class AttemptActivity:
    """The activity, bound to this worker's control plane and token."""

    def __init__(self, config: TemporalWorkerConfig) -> None:
        self._config = config

    @activity.defn(name=ACTIVITY)
    def run(self, raw: dict[str, Any]) -> dict[str, Any]:
        args = AttemptArgs.from_dict(raw)
        info = activity.info()
        log.info("temporal.attempt_started", run_id=args.run_id, token=args.attempt_token, activity_attempt=info.attempt)
        beat = _Heartbeat()
        # Heartbeats come from a thread of their own (in this activity's
        # context), not from the attempt's event loop: a connector that holds
        # that loop (a slow import, a CPU-bound batch) must not look like a
        # lost worker to Temporal.
        ticker = threading.Thread(target=contextvars.copy_context().run, args=(beat.run,), name="heartbeat", daemon=True)
        ticker.start()
        result: dict[str, Any] | None = None
        try:
            # A cancel is delivered as an exception raised in this thread;
            # shielded, it is raised only when the block ends, after the attempt
            # has stopped and its result has been sent (never mid-loop).
            with activity.shield_thread_cancel_exception():
                result = asyncio.run(self._attempt(args, beat))
        except CancelledError:
            # The attempt ended otherwise before the cancel reached it: its
            # true result, not "cancelled", is what Temporal keeps.
            if result is None or result.get("outcome") == "cancelled":
                raise
        finally:
            beat.done.set()
            ticker.join()
        assert result is not None
        log.info("temporal.attempt_ended", run_id=args.run_id, token=args.attempt_token, outcome=result.get("outcome"))
        return result

    async def _attempt(self, args: AttemptArgs, beat: _Heartbeat) -> dict[str, Any]:
        ticket = attempt_runner.AttemptTicket(
            control_plane=self._config.server, token=self._config.token,
            run_id=args.run_id, attempt_token=args.attempt_token,
        )
        cancel = asyncio.Event()
        work = asyncio.ensure_future(attempt_runner.run_attempt(ticket, on_progress=beat.progress, cancel=cancel))
        watch = asyncio.ensure_future(_watch(beat, cancel, work))
        try:
            result = await work
        except asyncio.CancelledError:
            # Stopped without ending the attempt: another try resumes it.
            details = activity.cancellation_details()
            why = "worker shutting down" if details and details.worker_shutdown else "activity stopped by Temporal"
            raise ApplicationError(f"{why}; the attempt resumes on the next try", type="AttemptInterrupted") from None
        except Exception as exc:
            if type(exc).__name__ in NON_RETRYABLE:
                raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from None
            raise
        finally:
            watch.cancel()
        return dict(result.to_dict())


class _Heartbeat:
    """Heartbeats with the latest progress every BEAT_SECONDS, and sorts
    Temporal's stop requests: a cancel of the workflow cancels the attempt;
    anything else (worker shutdown, heartbeat timed out, workflow gone)
    interrupts it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.interrupt = threading.Event()
        self._latest: dict[str, Any] = {}

    def progress(self, counters: dict[str, Any]) -> None:
        self._latest = dict(counters)  # replaced whole: the ticker reads it from another thread

    def run(self) -> None:
        while True:
            activity.heartbeat(self._latest)
            if activity.is_cancelled() and not (self.cancel.is_set() or self.interrupt.is_set()):
                details = activity.cancellation_details()
                if details is not None and details.cancel_requested:
                    log.info("temporal.cancel_requested", workflow_id=activity.info().workflow_id)
                    self.cancel.set()
                else:
                    self.interrupt.set()
            if self.done.wait(BEAT_SECONDS):
                return


async def _watch(beat: _Heartbeat, cancel: asyncio.Event, work: asyncio.Future[Any]) -> None:
    """Carries the heartbeat thread's verdicts into the attempt's loop."""
    while not work.done():
        if beat.interrupt.is_set():
            work.cancel()
            return
        if beat.cancel.is_set():
            cancel.set()
        await asyncio.sleep(0.05)


async def run_worker(config: TemporalWorkerConfig) -> int:
    """Runs until SIGTERM/SIGINT: the first drains (running attempts get
    `drain_seconds` to finish), a second stops at once."""
    registry()  # imports every connector now, not inside the first attempt
    client = await Client.connect(config.address, namespace=config.namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            # A second signal: stop now. Running attempts are lost like a
            # crashed worker's; Temporal retries them after their heartbeat timeout.
            log.warning("temporal.worker_stopped_at_once")
            os._exit(1)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    with ThreadPoolExecutor(max_workers=config.slots, thread_name_prefix="attempt") as threads:
        worker = Worker(
            client,
            task_queue=config.task_queue,
            workflows=[AttemptWorkflow],
            activities=[AttemptActivity(config).run],
            activity_executor=threads,
            max_concurrent_activities=config.slots,
            graceful_shutdown_timeout=timedelta(seconds=config.drain_seconds),
            identity=config.identity,
        )
        log.info(
            "temporal.worker_started", address=config.address, namespace=config.namespace,
            task_queue=config.task_queue, slots=config.slots, identity=config.identity,
        )
        async with worker:
            await stop.wait()
            log.info("temporal.worker_draining", drain_s=config.drain_seconds)
    log.info("temporal.worker_stopped")
    return 0


__all__ = ["AttemptActivity", "TemporalWorkerConfig", "run_worker"]

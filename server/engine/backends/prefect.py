"""The `prefect` execution backend: each attempt is a flow run of one deployment.

Start: a flow run of the configured deployment (`syncplane prefect deploy`
makes it) with an idempotency key derived from the run id and the attempt's
fencing token, so a repeated start finds the run already there. Its parameters
name the attempt and the control plane only; the flow
(executor/backends/prefect_flow.py) fetches the plan and the secrets with the
attempt's token and runs them with executor.attempt_runner, reporting to the
control plane about every half second (which renews the lease and sets
`backend_heartbeat_at`). The flow's end state carries the attempt's result in
its message (syncplane.prefect_contract), so a run that ended while no server
was up is recorded with its true result and time when one returns (`adopt`).

Liveness is polled (`Liveness.POLL`): each sweeper pass reads the flow run
and turns its state into a `BackendState` (Prefect's status, state name, run
count, work pool, last failure, a link into Prefect's UI).

What Prefect alone leaves forever (see the reference on execution backends),
this backend bounds with `silence_seconds` (SYNCPLANE_PREFECT_SILENCE_SECONDS):
- a worker killed while its flow process runs on: the flow still reports and
  finishes by itself; a cancel reaches it through its reports (Prefect's own
  Cancelling would stay Cancelling: no worker is there to stop the process);
- a worker and its flow process both killed: Prefect says Running for good.
  A flow run Prefect calls Running or Cancelling (Pending: one minute more,
  its process may still be starting) that has not
  reported for `silence_seconds` (counted from its last report, the moment it
  entered that state, or the moment this process first saw it, whichever is
  latest: a restarted server gives live flows time to report again) is forced
  Crashed (Cancelled when cancelling) in Prefect, and its attempt ends
  `heartbeat_timeout` (auto-resumed within the budget) or `cancelled`: within
  `silence_seconds` plus one sweep interval of the last report.

Prefect unreachable at start: the claim is released and the run waits
`unavailable_retry_seconds` as pending, its backend status saying why and when
it is tried again; no capacity is offered meanwhile.

prefect is imported lazily (in a thread, once: it takes over a second): a
server without the `prefect` extra starts, and only refuses `prefect` syncs.
"""

from __future__ import annotations

import asyncio
import importlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
import structlog

from syncplane.prefect_contract import decode_result, idempotency_key, parameters
from syncplane.server.config import PrefectSettings
from syncplane.server.db import attempts as attempts_db
from syncplane.server.db import runs as db
from syncplane.server.engine import states
from syncplane.server.engine.backends.base import BackendRef, BackendState, Capacity, Liveness, RunPhase
from syncplane.server.engine.backends.results import outcome_of_result
from syncplane.server.engine.lifecycle import Outcome, RunEngine

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun, State

log = structlog.get_logger(__name__)

NAME = "prefect"

#: Prefect's states whose flow is not running yet (waiting for a worker).
WAITING = frozenset({"SCHEDULED", "PAUSED"})
#: States in which a flow process should be reporting.
LIVE = frozenset({"PENDING", "RUNNING", "CANCELLING"})

#: Added to the silence bound while a flow run is Pending (its process starting).
START_ALLOWANCE_SECONDS = 60.0
#: The most flow runs read in one request.
READ_BATCH = 200
#: What is held for an attempt no poll has asked about for this long is dropped
#: (its final look gave up: a running attempt is polled every sweeper pass).
FORGET_AFTER_SECONDS = 3600.0
PRUNE_EVERY_SECONDS = 60.0
#: How long the first poll of a pass waits for the others before the batched read.
READ_GATHER_SECONDS = 0.02
#: How long a poll waits for Prefect before answering from its last read.
ANSWER_SECONDS = 2.0
#: A claimed attempt with no flow run yet this soon after its claim is still being started.
START_GRACE_SECONDS = 30.0

T = TypeVar("T")


class PrefectBackend:
    name = NAME
    liveness = Liveness.POLL

    def __init__(
        self, pool: asyncpg.Pool, engine: RunEngine, settings: PrefectSettings, control_plane: Callable[[], str]
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._s = settings
        #: The gRPC address the flows dial: the setting, else this server's (known once it listens).
        self._control_plane: Callable[[], str] = (lambda: settings.control_plane) if settings.control_plane else control_plane
        self._client: PrefectClient | None = None
        self._connecting = asyncio.Lock()
        self._deployment_id: uuid.UUID | None = None
        self._unavailable_until = 0.0
        self._unavailable_error = ""
        #: Flow runs of the attempts this process started or polled (the cancels it passes on).
        self._flow_runs: dict[tuple[uuid.UUID, int], uuid.UUID] = {}
        #: When this process first saw each attempt (the silence clock starts no earlier).
        self._first_seen: dict[tuple[uuid.UUID, int], datetime] = {}
        self._cancel_sent: set[tuple[uuid.UUID, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        #: When a poll last asked about each attempt (what is held for it is dropped after a long silence).
        self._last_asked: dict[tuple[uuid.UUID, int], float] = {}
        self._pruned_at = time.monotonic()
        #: Flow runs the polls of this pass wait for, read in one request.
        self._wanted: dict[uuid.UUID, list[asyncio.Future[FlowRun | None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        #: The last flow run read for each attempt, and when (answers while Prefect is slow).
        self._last_read: dict[tuple[uuid.UUID, int], tuple[FlowRun, float]] = {}

    # -- the seam ----------------------------------------------------------------------
    def capacity(self) -> list[Capacity]:
        if time.monotonic() < self._unavailable_until:
            return []
        connectors = frozenset(self._s.connectors)
        return [
            Capacity(key=(NAME, group), group=group, connectors=connectors, free=self._s.claim_batch,
                     worker_id=f"prefect:{self._s.work_pool}")
            for group in self._s.groups
        ]

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        key = (run["id"], run["attempt_token"])
        if time.monotonic() < self._unavailable_until:
            # Prefect just failed a start: the rest of this claim waits too, without trying.
            await self._unavailable(run, self._unavailable_error)
            return None
        try:
            flow_run = await self._create(key)
        except Exception as exc:  # noqa: BLE001 - any failure to reach Prefect: the run waits, never lost
            await self._unavailable(run, _why(exc))
            return None
        self._seen(key)
        log.info("prefect.started", run_id=str(key[0]), token=key[1], flow_run_id=str(flow_run.id),
                 deployment=self._s.deployment)
        return BackendRef(NAME, str(flow_run.id), self._url(flow_run.id))

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        key = (run_id, token)
        if key not in self._flow_runs:
            return False
        task = asyncio.get_running_loop().create_task(self._send_cancel(key, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def poll(self, run: asyncpg.Record) -> BackendState:
        key = (run["id"], run["attempt_token"])
        self._seen(key)
        if key not in self._flow_runs and not run["backend_run_ref"] and self._starting(run):
            # Claimed moments ago: the dispatcher is still creating its flow run.
            return BackendState(RunPhase.STARTING, detail={"status": "STARTING"})
        try:
            flow_run_id = await self._flow_run_id(run)
            flow_run = await asyncio.wait_for(self._read(flow_run_id), ANSWER_SECONDS)
        except Exception as exc:  # noqa: BLE001 - Prefect down or slow: the flow's reports keep the lease
            if _not_found(exc):
                return self._deleted(run)
            return self._recent(key, exc)
        if flow_run is None:
            return self._deleted(run)
        self._last_read[key] = (flow_run, time.monotonic())
        answer = await self._state(run, flow_run)
        if answer.phase is RunPhase.ENDED:
            # Over in Prefect: nothing more to pass on or to read for it.
            self._forget(key)
        return answer

    def _starting(self, run: asyncpg.Record) -> bool:
        started: datetime | None = run["started_at"]
        return started is not None and (datetime.now(UTC) - started).total_seconds() < START_GRACE_SECONDS

    def _recent(self, key: tuple[uuid.UUID, int], exc: BaseException) -> BackendState:
        """Prefect did not answer in time: what it said last, while that is
        younger than the silence bound (a busy Prefect must not let a queued
        flow run's lease run out); unknown after that."""
        last = self._last_read.get(key)
        error = {"status": "UNREACHABLE", "error": _why(exc)}
        if last is None or time.monotonic() - last[1] > self._s.silence_seconds:
            return BackendState(RunPhase.UNKNOWN, detail=error)
        flow_run = last[0]
        status = flow_run.state.type.value if flow_run.state is not None else "UNKNOWN"
        if flow_run.state is None or flow_run.state.is_final():
            return BackendState(RunPhase.UNKNOWN, detail=error)
        phase = RunPhase.STARTING if status in WAITING | {"PENDING"} else RunPhase.RUNNING
        return BackendState(phase, url=self._url(flow_run.id), detail={**self._detail(flow_run), "stale": error})

    async def _read(self, flow_run_id: uuid.UUID) -> FlowRun | None:
        """One flow run, read together with those the other polls of this
        sweeper pass ask for (one request to Prefect per pass, not one per run:
        a busy Prefect on SQLite answers hundreds of single reads too slowly)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[FlowRun | None] = loop.create_future()
        self._wanted.setdefault(flow_run_id, []).append(answer)
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read_batch(), name="prefect-read")
        return await answer

    async def _read_batch(self) -> None:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        await asyncio.sleep(READ_GATHER_SECONDS)  # the pass's other polls join in
        while self._wanted:
            wanted = dict(list(self._wanted.items())[:READ_BATCH])
            for flow_run_id in wanted:
                del self._wanted[flow_run_id]
            ids = list(wanted)
            try:
                found = {
                    fr.id: fr
                    # Awaited within this iteration: the closure sees this pass's ids.
                    for fr in await self._call(lambda c: c.read_flow_runs(
                        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)))  # noqa: B023
                }
            except Exception as exc:  # noqa: BLE001 - each poll answers unknown
                for futures in wanted.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for flow_run_id, futures in wanted.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(flow_run_id))

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        # Prefect holds the flow run whoever started it: adopting is asking.
        return await self.poll(run)

    # -- reading a flow run ------------------------------------------------------------
    def _detail(self, flow_run: FlowRun) -> dict[str, Any]:
        """Prefect's own view of a flow run, as the run shows it (backendStatus)."""
        state = flow_run.state
        return {
            "status": state.type.value if state is not None else "UNKNOWN",
            "stateName": state.name if state is not None else None,
            "stateAt": state.timestamp.isoformat() if state is not None else None,
            "flowRunId": str(flow_run.id),
            "flowRunName": flow_run.name,
            "deployment": self._s.deployment,
            "workPool": flow_run.work_pool_name or self._s.work_pool,
            "runCount": flow_run.run_count,
        }

    async def _state(self, run: asyncpg.Record, flow_run: FlowRun) -> BackendState:
        key = (run["id"], run["attempt_token"])
        state = flow_run.state
        url = self._url(flow_run.id)
        detail = self._detail(flow_run)
        status = detail["status"]
        if state is None:
            return BackendState(RunPhase.UNKNOWN, url=url, detail=detail)
        if state.is_final():
            return await self._ended(run, flow_run, state, url, detail)
        cancelling = run["status"] == states.CANCELLING
        if status in WAITING:
            if cancelling:
                # No process to stop yet: the flow run is cancelled outright.
                await self._set_state(flow_run.id, "Cancelled", "syncplane: cancelled before a worker took it")
                detail["status"] = "CANCELLED"
                return BackendState(RunPhase.ENDED, url=url, detail=detail, outcome=Outcome(
                    states.CANCELLED, "cancelled", "cancelled", "cancelled before a Prefect worker started it"))
            detail["waitingFor"] = f"a worker of work pool {detail['workPool']!r}"
            return BackendState(RunPhase.STARTING, url=url, detail=detail)
        if cancelling and status != "CANCELLING" and key not in self._cancel_sent:
            # Asked elsewhere (another replica, before a restart): said to Prefect once from here.
            await self._send_cancel(key, run["cancel_reason"] or "cancel requested")
        silent = self._silence(run, state)
        detail["silentSeconds"] = round(silent, 1)
        # Pending: the worker is starting the flow process (imports take seconds); a
        # worker that died before starting it leaves the run Pending for good.
        bound = self._s.silence_seconds + (START_ALLOWANCE_SECONDS if status == "PENDING" else 0.0)
        if status in LIVE and silent > bound:
            return await self._silenced(run, flow_run, url, detail, silent, bound)
        return BackendState(RunPhase.RUNNING if status != "PENDING" else RunPhase.STARTING, url=url, detail=detail)

    async def _ended(
        self, run: asyncpg.Record, flow_run: FlowRun, state: State, url: str, detail: dict[str, Any]
    ) -> BackendState:
        status = detail["status"]
        result = decode_result(state.message)
        failure = await self._last_failure(flow_run.id) if result is None or status in ("FAILED", "CRASHED") else None
        if failure:
            detail["lastFailure"] = failure
        cancelling = run["status"] == states.CANCELLING
        summary: dict[str, Any] = {}
        if result is not None:
            outcome, summary = outcome_of_result(result)
            detail["result"] = {"outcome": outcome.status, "reasonCode": outcome.reason_code}
            if outcome.status != states.CANCELLED and cancelling and status == "CANCELLED":
                outcome = Outcome(states.CANCELLED, "cancelled", "cancelled", "the Prefect flow run was cancelled")
        elif status == "CANCELLED" or cancelling:
            outcome = Outcome(states.CANCELLED, "cancelled", "cancelled", f"cancelled; the Prefect flow run ended {status}")
        elif status == "CRASHED":
            # The flow process died (killed, out of memory) while its worker lived:
            # an infrastructure loss, resumed like a lost executor.
            outcome = Outcome(states.FAILED, "infrastructure", "heartbeat_timeout",
                              f"the Prefect flow run crashed: {failure or 'no message'}")
        else:
            outcome = Outcome(states.FAILED, "infrastructure", "executor_error",
                              f"the Prefect flow run ended {status} without a result: {failure or 'no message'}")
        return BackendState(RunPhase.ENDED, url=url, outcome=outcome, summary=summary, detail=detail,
                            ended_at=state.timestamp)

    async def _silenced(
        self, run: asyncpg.Record, flow_run: FlowRun, url: str, detail: dict[str, Any], silent: float, bound: float
    ) -> BackendState:
        """Prefect says the flow lives but it has not reported for longer than the
        bound: its worker and process are gone (or cut off; the fence keeps a
        survivor's late writes out). Made definite in Prefect and here."""
        cancelling = run["status"] == states.CANCELLING or detail["status"] == "CANCELLING"
        why = f"no report for {silent:.0f}s (bound {bound:g}s) while Prefect said {detail['status']}"
        log.warning("prefect.flow_silent", run_id=str(run["id"]), flow_run_id=str(flow_run.id), status=detail["status"],
                    silent_s=round(silent, 1), bound_s=bound)
        forced = "Cancelled" if cancelling else "Crashed"
        await self._set_state(flow_run.id, forced, f"syncplane: {why}")
        detail["status"] = forced.upper()
        detail["lastFailure"] = why
        if cancelling:
            outcome = Outcome(states.CANCELLED, "cancelled", "cancelled", f"cancelled; the Prefect flow was gone ({why})")
        else:
            outcome = Outcome(states.FAILED, "infrastructure", "heartbeat_timeout",
                              f"the Prefect flow run was lost: {why}; forced Crashed")
        return BackendState(RunPhase.ENDED, url=url, outcome=outcome, detail=detail)

    def _silence(self, run: asyncpg.Record, state: State) -> float:
        """Seconds since the last sign of life: a report, entering this state, or
        this process first seeing the attempt."""
        key = (run["id"], run["attempt_token"])
        reported: datetime | None = run["backend_heartbeat_at"]
        signs: list[datetime | None] = [state.timestamp, self._first_seen.get(key), reported]
        last = max(s for s in signs if s is not None)
        return float((datetime.now(UTC) - last).total_seconds())

    def _deleted(self, run: asyncpg.Record) -> BackendState:
        detail = {"status": "NOT_FOUND", "lastFailure": "the Prefect flow run no longer exists"}
        if run["status"] == states.CANCELLING:
            return BackendState(RunPhase.ENDED, detail=detail, outcome=Outcome(
                states.CANCELLED, "cancelled", "cancelled", "cancelled; the Prefect flow run was deleted"))
        return BackendState(RunPhase.ENDED, detail=detail, outcome=Outcome(
            states.FAILED, "infrastructure", "executor_lost", "the Prefect flow run was deleted"))

    async def _last_failure(self, flow_run_id: uuid.UUID) -> str | None:
        try:
            history = await self._call(lambda c: c.read_flow_run_states(flow_run_id))
        except Exception:  # noqa: BLE001 - the reason is a nicety; the state is the fact
            return None
        for past in reversed(history):
            if past.type.value in ("FAILED", "CRASHED") and past.message and decode_result(past.message) is None:
                return str(past.message)[:1000]
        return None

    # -- calls -------------------------------------------------------------------------
    async def _connect(self) -> PrefectClient:
        if self._client is not None:
            return self._client
        async with self._connecting:
            if self._client is None:
                # Over a second of imports: off the event loop, once.
                module = await asyncio.to_thread(importlib.import_module, "prefect.client.orchestration")
                client = module.PrefectClient(self._s.api_url, httpx_settings={"timeout": self._s.rpc_timeout_seconds})
                await asyncio.wait_for(client.__aenter__(), self._s.rpc_timeout_seconds)
                self._client = client
                log.info("prefect.connected", api_url=self._s.api_url)
            return self._client

    async def _call(self, call: Callable[[PrefectClient], Awaitable[T]]) -> T:
        client = await self._connect()
        return await asyncio.wait_for(call(client), self._s.rpc_timeout_seconds)

    async def _deployment(self) -> uuid.UUID:
        if self._deployment_id is None:
            try:
                deployment = await self._call(lambda c: c.read_deployment_by_name(self._s.deployment))
            except Exception as exc:
                if _not_found(exc):
                    raise RuntimeError(
                        f"Prefect has no deployment {self._s.deployment!r}: run `syncplane prefect deploy`"
                    ) from None
                raise
            self._deployment_id = deployment.id
        return self._deployment_id

    async def _create(self, key: tuple[uuid.UUID, int]) -> FlowRun:
        run_id, token = str(key[0]), key[1]
        deployment_id = await self._deployment()
        try:
            flow_run = await self._call(lambda c: c.create_flow_run_from_deployment(
                deployment_id,
                parameters=parameters(run_id, token, self._control_plane()),
                idempotency_key=idempotency_key(run_id, token),
                name=f"syncplane-{run_id[:8]}-{token}",
            ))
        except Exception as exc:
            if _not_found(exc):
                self._deployment_id = None  # deleted and made again: look it up next time
            raise
        self._flow_runs[key] = flow_run.id
        return flow_run

    async def _flow_run_id(self, run: asyncpg.Record) -> uuid.UUID:
        key = (run["id"], run["attempt_token"])
        known = self._flow_runs.get(key)
        if known is not None:
            return known
        if run["backend_run_ref"]:
            self._flow_runs[key] = uuid.UUID(run["backend_run_ref"])
            return self._flow_runs[key]
        # Claimed but its reference never recorded (a crash right after the
        # start): the idempotency key finds the flow run, or makes the one
        # this attempt was always meant to have.
        return (await self._create(key)).id

    async def _set_state(self, flow_run_id: uuid.UUID, kind: str, message: str) -> None:
        from prefect.states import Cancelled, Crashed

        new_state: State[Any] = Cancelled(message=message) if kind == "Cancelled" else Crashed(message=message)
        await self._call(lambda c: c.set_flow_run_state(flow_run_id, new_state, force=True))

    async def _send_cancel(self, key: tuple[uuid.UUID, int], reason: str) -> None:
        """Cancelling in Prefect (its worker stops the flow process); a flow run
        no worker took yet is cancelled outright by the next poll."""
        self._cancel_sent.add(key)
        flow_run_id = self._flow_runs.get(key)
        if flow_run_id is None:
            return
        try:
            flow_run = await self._call(lambda c: c.read_flow_run(flow_run_id))
            if flow_run.state is not None and flow_run.state.type.value in LIVE - {"CANCELLING"}:
                from prefect.states import Cancelling

                await self._call(lambda c: c.set_flow_run_state(flow_run_id, Cancelling(message=reason)))
            log.info("prefect.cancel_sent", run_id=str(key[0]), token=key[1], flow_run_id=str(flow_run_id))
        except Exception as exc:  # noqa: BLE001 - the next poll sends it again
            self._cancel_sent.discard(key)
            log.warning("prefect.cancel_failed", run_id=str(key[0]), token=key[1], error=_why(exc))

    async def _unavailable(self, run: asyncpg.Record, error: str) -> None:
        """Prefect could not take the attempt: back to the queue for a moment,
        saying so; no capacity is offered until then."""
        wait = self._s.unavailable_retry_seconds
        if time.monotonic() >= self._unavailable_until:
            self._unavailable_until = time.monotonic() + wait
            self._unavailable_error = error
            await self._drop_client()  # reconnect next time
        status = {
            "status": "UNAVAILABLE",
            "error": f"Prefect at {self._s.api_url} could not start the attempt: {error}",
            "retryAt": (datetime.now(UTC) + timedelta(seconds=wait)).isoformat(),
        }
        # Said on the run first (fenced by the token the release then clears).
        await attempts_db.record_backend_state(self._pool, run["id"], run["attempt_token"], status=status, heartbeat_at=None, url=None)
        await db.release_claim(self._pool, run["id"], run["attempt_token"])
        await db.delay_run(self._pool, run["id"], wait)
        log.warning("prefect.unavailable", run_id=str(run["id"]), error=error, retry_in_s=wait)

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.__aexit__(None, None, None)
            except Exception:  # noqa: BLE001 - a broken client is dropped either way
                pass

    def _seen(self, key: tuple[uuid.UUID, int]) -> None:
        now = time.monotonic()
        self._first_seen.setdefault(key, datetime.now(UTC))
        self._last_asked[key] = now
        # The engine's last look (the sweeper's final_look) ends with an ENDED
        # answer, which forgets the attempt; one it gave up on is dropped here
        # (looked for once a minute: every running attempt is asked each pass).
        if now - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            for stale in [k for k, at in self._last_asked.items() if now - at > FORGET_AFTER_SECONDS]:
                self._forget(stale)

    def _forget(self, key: tuple[uuid.UUID, int]) -> None:
        self._last_asked.pop(key, None)
        self._flow_runs.pop(key, None)
        self._last_read.pop(key, None)
        self._first_seen.pop(key, None)
        self._cancel_sent.discard(key)

    def _url(self, flow_run_id: uuid.UUID) -> str:
        return f"{self._s.ui_url}/runs/flow-run/{flow_run_id}"


def local_control_plane(host: str, port: int | None) -> str:
    """This server's gRPC address as a flow on this machine dials it."""
    return f"{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{port}"


def _not_found(exc: BaseException) -> bool:
    return type(exc).__name__ == "ObjectNotFound"


def _why(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


__all__ = ["NAME", "PrefectBackend", "local_control_plane", "outcome_of_result"]

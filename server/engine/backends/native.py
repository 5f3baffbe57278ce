"""The `native` execution backend: syncplane's own executors over the
ExecutorService.Connect stream.

Capacity is the free slots of connected, responsive sessions (the
`SessionRegistry`); starting an attempt sends it an Assign; a cancel is a
Cancel message to the session holding it; liveness is the lease the executor
renews with each heartbeat (the sweeper ends an attempt whose lease ran out).
Adoption happens when an executor reconnects: its Hello lists what it still
runs (`adopt_session`).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
import structlog

from syncplane import telemetry
from syncplane.engine.v1 import executor_pb2 as pb
from syncplane.server.db import credentials
from syncplane.server.db import runs as db
from syncplane.server.db.models import Run
from syncplane.server.engine import states
from syncplane.server.engine.backends.base import BackendRef, BackendState, Capacity, Liveness, RunPhase
from syncplane.server.engine.lifecycle import Outcome, RunEngine
from syncplane.server.engine.sessions import ExecutorSession, SessionRegistry
from syncplane.server.observability import run_context
from syncplane.server.sealing import SealError
from syncplane.wire import to_struct

log = structlog.get_logger(__name__)

NAME = "native"


class NativeBackend:
    name = NAME
    liveness = Liveness.LEASE

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, sessions: SessionRegistry, lease_seconds: float) -> None:
        self._pool = pool
        self._engine = engine
        self._sessions = sessions
        self._lease = lease_seconds

    # -- the seam ----------------------------------------------------------------------
    def capacity(self) -> list[Capacity]:
        return [
            Capacity(key=s.session_id, group=s.group, connectors=s.connectors, free=s.free_slots, worker_id=s.executor_id)
            for s in self._sessions
            if s.free_slots > 0 and self._responsive(s)
        ]

    def _responsive(self, session: ExecutorSession) -> bool:
        """An open stream is not enough: a frozen executor keeps its stream but
        stops sending heartbeats. It gets no work until it is heard from again."""
        return session.quiet_for() < self._lease * 0.75

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        session = self._session(capacity)
        run_id, token = run["id"], run["attempt_token"]
        if session is None or session.closed:
            await db.release_claim(self._pool, run_id, token)
            return None
        try:
            opened = credentials.open_roles(run["secrets"])
        except SealError as exc:
            # Sealed under a key no server holds (or tampered with): every claim
            # would fail the same way, so the attempt fails now, saying why.
            log.error("run.secrets_unopenable", run_id=str(run_id), error=str(exc))
            await self._engine.finish(run_id, token, Outcome(states.FAILED, "failure", "config_error", str(exc)), {})
            return None
        spec, secrets = self._engine.hooks(run["subject_kind"]).prepare_assignment(Run.from_record(run), opened)
        self._sessions.assign(session, run_id, token)
        session.send(
            pb.ServerMessage(
                assign=pb.Assign(
                    run_id=str(run_id),
                    token=token,
                    attempt_number=run["attempt_number"],
                    kind=run["subject_kind"],
                    connector=run["connector"],
                    spec=to_struct(spec),
                    secrets=to_struct(secrets),
                    checkpoint=to_struct(_previous_checkpoint(run)),
                    # Resume state is keyed by this: the chain's root, unless the
                    # engine gave the chain a fresh state root (a retry of a success;
                    # a column since migration 0010, no longer a key of the spec).
                    root_run_id=str(run["state_root"]),
                    # The dispatch span (tracing on): the executor's spans join the attempt's trace.
                    trace_context=telemetry.inject(),
                    subject_id=str(run["subject_id"]),
                )
            )
        )
        log.info(
            "run.assigned",
            run_id=str(run_id),
            token=token,
            executor_id=session.executor_id,
            attempt=run["attempt_number"],
            queued_ms=round((time.time() - run["created_at"].timestamp()) * 1000, 1),
        )
        return BackendRef(NAME, session.session_id)

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        session = self._sessions.holder(run_id, token)
        if session is None:
            return False
        session.send_cancel(run_id, token, reason)
        log.info("run.cancel_sent", run_id=str(run_id), executor_id=session.executor_id)
        return True

    async def poll(self, run: asyncpg.Record) -> BackendState:
        # Liveness is the lease; a session here holding the attempt is all that is known.
        held = self._sessions.holder(run["id"], run["attempt_token"]) is not None
        return BackendState(RunPhase.RUNNING if held else RunPhase.UNKNOWN)

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        # A native attempt is adopted when its executor reconnects (adopt_session);
        # until then its lease decides.
        return await self.poll(run)

    # -- native only -------------------------------------------------------------------
    async def adopt_session(self, session: ExecutorSession, running: list[pb.AttemptRef]) -> list[pb.AttemptRef]:
        """After a reconnect, keeps the attempts the executor still runs and ends
        at once those the database gave it but it no longer has. Returns those
        it runs that are no longer its own (it must stop them)."""
        claimed = {ref.token: uuid.UUID(ref.run_id) for ref in running}
        current = await db.renew_leases(self._pool, session.executor_id, list(claimed), self._lease)
        for row in current:
            run_context.remember(row)
            self._sessions.adopt(session, row["id"], row["attempt_token"])
            if row["status"] == states.CANCELLING:
                # The cancel may have been sent while this executor was away.
                session.send_cancel(row["id"], row["attempt_token"], "cancel requested")
        abandoned = [
            pb.AttemptRef(run_id=str(run_id), token=token)
            for token, run_id in claimed.items()
            if not session.holds(run_id, token)
        ]
        lost = [r["id"] for r in await db.runs_of_executor(self._pool, session.executor_id) if r["id"] not in session.running]
        if lost:
            await db.expire_leases_now(self._pool, lost)
            log.warning("executor.lost_attempts", executor_id=session.executor_id, runs=[str(i) for i in lost])
        return abandoned

    def _session(self, capacity: Capacity) -> ExecutorSession | None:
        return next((s for s in self._sessions if s.session_id == capacity.key), None)


def _previous_checkpoint(row: asyncpg.Record) -> dict[str, Any]:
    return dict(row["checkpoint"] or {})


__all__ = ["NAME", "NativeBackend"]

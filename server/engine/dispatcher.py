"""Hands pending runs to connected executors with free slots.

Woken by NOTIFY (a trigger on any server), by a local trigger, by a slot
freeing up, and by a poll timer as the correctness fallback. Claims are
`FOR UPDATE SKIP LOCKED`, so several servers can dispatch from one database
without ever handing one attempt out twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import structlog

from server.db import credentials
from server.db import runs as db
from server.db.errors import TRANSIENT
from server.engine import poison, states
from server.engine.lifecycle import Outcome, RunEngine
from server.engine.sessions import ExecutorSession
from server.sealing import SealError
from syncplane.failpoints import failpoint
from syncplane.wire import to_struct
from syncplane.engine.v1 import executor_pb2 as pb

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, lease_seconds: float, poll_seconds: float) -> None:
        self._pool = pool
        self._engine = engine
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self.sessions: dict[str, ExecutorSession] = {}
        # run id -> session holding it, for cancels that arrive by NOTIFY.
        self._holder: dict[uuid.UUID, ExecutorSession] = {}
        self._rr = 0
        # Groups whose last claim came back short: nothing pending there.
        self._drained: set[tuple[str, frozenset[str]]] = set()
        engine.dispatcher = self

    # -- sessions ------------------------------------------------------------------
    def add(self, session: ExecutorSession) -> None:
        self.sessions[session.session_id] = session
        for run_id in session.running:
            self._holder[run_id] = session
        self.wake()

    def remove(self, session: ExecutorSession) -> None:
        self.sessions.pop(session.session_id, None)
        for run_id in list(session.running):
            if self._holder.get(run_id) is session:
                del self._holder[run_id]

    def released(self, session: ExecutorSession, run_id: uuid.UUID) -> None:
        """An attempt left the session (finished or fenced): its slot is free."""
        session.running.pop(run_id, None)
        if self._holder.get(run_id) is session:
            del self._holder[run_id]
        self.slot_freed()

    def deliver_cancel(self, payload: str | None) -> None:
        """NOTIFY syncplane_cancel "<run id>:<token>": stop it if it runs here."""
        if not payload:
            return
        run_part, _, token_part = payload.partition(":")
        try:
            run_id, token = uuid.UUID(run_part), int(token_part)
        except ValueError:
            return
        session = self._holder.get(run_id)
        if session is not None and session.running.get(run_id) == token:
            session.send_cancel(run_id, token, "cancel requested")
            log.info("run.cancel_sent", run_id=str(run_id), executor_id=session.executor_id)

    def connected(self) -> int:
        return sum(1 for s in self.sessions.values() if not s.closed)

    # -- the loop --------------------------------------------------------------------
    def wake(self, _payload: str | None = None) -> None:
        """Something may be pending (a trigger here or, by NOTIFY, elsewhere)."""
        self._drained.clear()
        self._wake.set()

    def slot_freed(self) -> None:
        """A slot freed up: worth a claim only while the queue may hold work."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            except asyncio.TimeoutError:
                self._drained.clear()  # the poll is the correctness fallback
            self._wake.clear()
            try:
                await self.dispatch_once()
            except TRANSIENT as exc:
                log.warning("dispatch.failed", error=str(exc))
                await asyncio.sleep(0.5)
            except asyncpg.PostgresError as exc:
                # Not an outage (a query or a hook is wrong): said as such, and
                # the poll tries again rather than ending the server.
                log.error("dispatch.query_failed", error=poison.reason(exc))
                await asyncio.sleep(0.5)

    async def dispatch_once(self) -> int:
        """Fills free slots until no session can take more or nothing is pending."""
        total = 0
        progress = True
        while progress:
            progress = False
            sessions = [
                s for s in self.sessions.values()
                if s.free_slots > 0 and (s.group, s.connectors) not in self._drained and self._responsive(s)
            ]
            if not sessions:
                break
            # Rotate the starting session so work spreads across executors.
            self._rr = (self._rr + 1) % len(sessions)
            for session in sessions[self._rr :] + sessions[: self._rr]:
                claimed = await self._claim_for(session)
                total += claimed
                progress = progress or claimed > 0
        return total

    def _responsive(self, session: ExecutorSession) -> bool:
        """An open stream is not enough: a frozen executor keeps its stream but
        stops sending heartbeats. It gets no work until it is heard from again."""
        return session.quiet_for() < self._lease * 0.75

    async def _claim_for(self, session: ExecutorSession) -> int:
        free = session.free_slots
        if free <= 0:
            return 0
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                rows = await db.claim_runs(
                    conn, session.group, sorted(session.connectors), free, session.executor_id, self._lease
                )
                # Dialect hooks (e.g. an outbox event) commit with the claim.
                await self._engine.started(conn, rows)
        except asyncpg.UniqueViolationError:
            # Another server claimed a run of the same mutex key at the same
            # moment; the unique index refused ours. The poll retries.
            log.info("dispatch.mutex_race", executor_id=session.executor_id)
            return 0
        if rows:
            await failpoint("engine.dispatch.claimed")  # claimed and committed, not yet assigned
        for row in rows:
            await self._assign(session, row)
        if len(rows) < free:
            # This group's queue is drained; a trigger or the poll timer says
            # when to look again, so freed slots do not each cost a query.
            self._drained.add((session.group, session.connectors))
        return len(rows)

    async def _assign(self, session: ExecutorSession, row: asyncpg.Record) -> None:
        run_id, token = row["id"], row["attempt_token"]
        if session.closed:
            await db.release_claim(self._pool, run_id, token)
            return
        try:
            opened = credentials.open_roles(row["secrets"])
        except SealError as exc:
            # Sealed under a key no server holds (or tampered with): every claim
            # would fail the same way, so the attempt fails now, saying why.
            log.error("run.secrets_unopenable", run_id=str(run_id), error=str(exc))
            await self._engine.finish(run_id, token, Outcome(states.FAILED, "failure", "config_error", str(exc)), {})
            return
        spec, secrets = self._engine.hooks(row["subject_kind"]).prepare_assignment(row, opened)
        session.running[run_id] = token
        self._holder[run_id] = session
        session.send(
            pb.ServerMessage(
                assign=pb.Assign(
                    run_id=str(run_id),
                    token=token,
                    attempt_number=row["attempt_number"],
                    kind=row["subject_kind"],
                    connector=row["connector"],
                    spec=to_struct(spec),
                    secrets=to_struct(secrets),
                    checkpoint=to_struct(_previous_checkpoint(row)),
                    # Resume state is keyed by this: the chain's root, unless the
                    # engine gave the chain a fresh state root (a retry of a success).
                    root_run_id=str(row["state_root"]),
                )
            )
        )
        log.info(
            "run.assigned",
            run_id=str(run_id),
            token=token,
            executor_id=session.executor_id,
            attempt=row["attempt_number"],
            queued_ms=round((time.time() - row["created_at"].timestamp()) * 1000, 1),
        )


def _previous_checkpoint(row: asyncpg.Record) -> dict[str, Any]:
    return dict(row["checkpoint"] or {})

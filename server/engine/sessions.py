"""Connected executors, as the server sees them, and the one registry that owns them.

`ExecutorSession` is one executor's stream: what it can run and its outbox.
`SessionRegistry` is the only writer of which attempts a session holds: it
keeps the sessions, the holder index (run id -> the session running it, for a
cancel that arrives by NOTIFY) and, through them, the free slots. The
dispatcher asks it where work can go; the executor service tells it what the
stream said; nothing else writes `session.running`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from syncplane.engine.v1 import executor_pb2 as pb


@dataclass(eq=False)
class ExecutorSession:
    """One executor's stream. `running` maps run id -> fencing token (read-only:
    the `SessionRegistry` writes it)."""

    executor_id: str
    group: str
    connectors: frozenset[str]
    slots: int
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _running: dict[uuid.UUID, int] = field(default_factory=dict)
    draining: bool = False
    closed: bool = False
    outbox: asyncio.Queue[pb.ServerMessage | None] = field(default_factory=asyncio.Queue)
    #: When the executor was last heard from (any message), monotonic seconds.
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> Mapping[uuid.UUID, int]:
        return MappingProxyType(self._running)

    def holds(self, run_id: uuid.UUID, token: int) -> bool:
        return self._running.get(run_id) == token

    def heard(self) -> None:
        self.last_seen = time.monotonic()

    def quiet_for(self) -> float:
        return time.monotonic() - self.last_seen

    @property
    def free_slots(self) -> int:
        if self.draining or self.closed:
            return 0
        return max(0, self.slots - len(self._running))

    def send(self, message: pb.ServerMessage) -> None:
        if not self.closed:
            self.outbox.put_nowait(message)

    def send_cancel(self, run_id: uuid.UUID, token: int, reason: str) -> None:
        self.send(pb.ServerMessage(cancel=pb.Cancel(run_id=str(run_id), token=token, reason=reason)))

    def close(self) -> None:
        self.closed = True
        self.outbox.put_nowait(None)


class SessionRegistry:
    """Owns the sessions of this server, the holder index and the slot counts.

    `on_added` and `on_freed` are told when a session joins (it may take work)
    and when a slot frees up; app.py points them at the dispatcher.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, ExecutorSession] = {}
        # run id -> session holding it, for cancels that arrive by NOTIFY.
        self._holder: dict[uuid.UUID, ExecutorSession] = {}
        self._added: list[Callable[[], None]] = []
        self._freed: list[Callable[[], None]] = []

    # -- who is told ---------------------------------------------------------------
    def on_added(self, callback: Callable[[], None]) -> None:
        self._added.append(callback)

    def on_freed(self, callback: Callable[[], None]) -> None:
        self._freed.append(callback)

    # -- sessions ------------------------------------------------------------------
    def adopt(self, session: ExecutorSession, run_id: uuid.UUID, token: int) -> None:
        """Before `add`: an attempt the executor still runs after a reconnect."""
        self._hold(session, run_id, token)

    def add(self, session: ExecutorSession) -> None:
        self._sessions[session.session_id] = session
        for run_id in session.running:
            self._holder[run_id] = session
        for callback in self._added:
            callback()

    def remove(self, session: ExecutorSession) -> None:
        """The stream ended: the session takes no more work. Its attempts'
        leases run out and the sweeper ends them."""
        session.closed = True
        self._sessions.pop(session.session_id, None)
        for run_id in list(session.running):
            if self._holder.get(run_id) is session:
                del self._holder[run_id]

    def assign(self, session: ExecutorSession, run_id: uuid.UUID, token: int) -> None:
        """A claimed attempt goes to this session (its Assign is sent next)."""
        self._hold(session, run_id, token)

    def release(self, session: ExecutorSession, run_id: uuid.UUID) -> None:
        """An attempt left the session (finished or fenced): its slot is free."""
        session._running.pop(run_id, None)
        if self._holder.get(run_id) is session:
            del self._holder[run_id]
        for callback in self._freed:
            callback()

    def _hold(self, session: ExecutorSession, run_id: uuid.UUID, token: int) -> None:
        session._running[run_id] = token
        if session.session_id in self._sessions:
            self._holder[run_id] = session

    # -- reads -----------------------------------------------------------------------
    def holder(self, run_id: uuid.UUID, token: int) -> ExecutorSession | None:
        """The session running this attempt (this token), if it runs here."""
        session = self._holder.get(run_id)
        return session if session is not None and session.holds(run_id, token) else None

    def __iter__(self) -> Iterator[ExecutorSession]:
        return iter(list(self._sessions.values()))

    def connected(self) -> int:
        return sum(1 for s in self._sessions.values() if not s.closed)

    def free_slots(self) -> int:
        return sum(s.free_slots for s in self._sessions.values())

    def by_executor(self, executor_id: str) -> list[ExecutorSession]:
        return [s for s in self._sessions.values() if s.executor_id == executor_id]

    def close_all(self) -> None:
        """Ends every stream (server stop): grpc's graceful stop need not wait for them."""
        for session in list(self._sessions.values()):
            session.close()


__all__ = ["ExecutorSession", "SessionRegistry"]

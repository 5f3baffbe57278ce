"""The execution-backend seam: where a claimed attempt runs, and how the engine
learns it is alive, cancels it and takes it over.

A run names its backend (`runs.execution_backend`, copied from the sync or job
when it is queued); the engine picks the implementation from the
`BackendRegistry` and never branches on the name itself. Dialects never learn
which backend ran a run: they see the run's status, summary and events, which
the engine writes the same way whatever ran it.

The engine keeps what every backend shares: the queue (claims are `FOR UPDATE
SKIP LOCKED`, per group, connector and backend), the fencing token (a new one
per attempt: anything reported under an older token is refused), ending an
attempt (`RunEngine.finish` / `end_locked`) and the retry chain. A backend only
moves an attempt to where it runs and reports back.

Two ways of knowing an attempt is alive (`liveness`):

- `Liveness.LEASE`: the thing running the attempt renews its lease
  (`renew_leases`) while it works; the sweeper ends an attempt whose lease ran
  out (`heartbeat_timeout`). `native` executors do this over their stream.
- `Liveness.POLL`: an outside engine (Temporal, Prefect, an orchestrator's API)
  holds the attempt and cannot renew a lease; the sweeper calls `poll` on each
  of its running attempts every pass, renews the lease while the answer is
  running, and ends the attempt with the state's outcome when it is over.
  `adopt` is the same call for an attempt this process did not start (a server
  restart, another replica's run after it died): it reconciles the run with the
  backend (one that finished meanwhile ends with its true result; none is
  started twice, since `start` is only called on a fresh claim).

Push and pull: a backend that starts work elsewhere (Temporal, Prefect) offers
`capacity()` and is handed claims by the dispatcher. One whose workers come and
take work (an outside orchestrator's workers over an RPC, like the `native`
executors over their stream) may offer its capacity as they connect, or offer
none and have its own service claim with `server.db.runs.claim_runs(...,
backend=name)`; either way the fence, the lease and the sweeper are the same.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import asyncpg

if TYPE_CHECKING:
    from syncplane.server.engine.lifecycle import Outcome


class Liveness(enum.Enum):
    LEASE = "lease"
    POLL = "poll"


@dataclass(frozen=True)
class Capacity:
    """Room for `free` more attempts somewhere a backend can run them.

    The dispatcher claims at most `free` pending runs of `group` whose
    connector is in `connectors` and whose backend is the one offering, and
    hands each to `ExecutionBackend.start(capacity, run)`. `worker_id` is
    recorded as the run's executor (who holds the lease); `key` tells two
    places apart (a native session; an outside engine's task queue), so a place
    whose queue came back short is not asked again until something is queued.
    """

    key: Hashable
    group: str
    connectors: frozenset[str]
    free: int
    worker_id: str


@dataclass(frozen=True)
class BackendRef:
    """Where a started attempt lives: the backend's own id for it (a native
    session id; a Temporal workflow id + run id; a Prefect flow-run id) and a
    link an operator can follow, if the backend has one."""

    backend: str
    external_id: str
    url: str | None = None


class RunPhase(enum.Enum):
    STARTING = "starting"  # handed over, not yet confirmed running
    RUNNING = "running"
    ENDED = "ended"  # `BackendState.outcome` says how
    LOST = "lost"  # the backend no longer knows the attempt: it ends heartbeat_timeout
    UNKNOWN = "unknown"  # the backend could not be asked this time: try again next pass


@dataclass(frozen=True)
class BackendState:
    """What a backend says about one attempt (the answer to `poll`/`adopt`)."""

    phase: RunPhase
    heartbeat_at: datetime | None = None
    url: str | None = None
    outcome: Outcome | None = None  # set when phase is ENDED
    summary: dict[str, Any] | None = None  # the attempt's final summary, when ENDED
    progress: dict[str, Any] | None = None  # counters to show while RUNNING
    detail: dict[str, Any] | None = None  # the backend's own view (its status, attempt, last failure)
    ended_at: datetime | None = None  # when ENDED: when it really ended (recorded as the run's end)


@runtime_checkable
class ExecutionBackend(Protocol):
    """One way of running attempts. `native` (executors over the gRPC stream,
    server/engine/backends/native.py) is the first."""

    #: The value of `runs.execution_backend` this implementation serves.
    name: str
    #: How the engine knows an attempt is alive (see the module docstring).
    liveness: Liveness

    def capacity(self) -> Sequence[Capacity]:
        """Where attempts can start now. Called by the dispatcher before each
        claim; an empty list means nothing is claimed for this backend."""
        ...

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        """Starts a claimed attempt (status running, `run["attempt_token"]` its
        fencing token, `run["secrets"]` its sealed credentials). Returns where it
        runs, or None when it was not started: the backend has then already
        released the claim or ended the attempt through the engine. Must not
        block on the attempt's work."""
        ...

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        """Asks the attempt to stop, if this backend runs it from this process.
        True when the request was passed on. The attempt still ends through the
        engine (a result `cancelled`, or the sweeper's cancel timeout)."""
        ...

    async def poll(self, run: asyncpg.Record) -> BackendState:
        """The attempt's state in the backend (POLL backends: called by the
        sweeper every pass for each running attempt). LEASE backends answer
        UNKNOWN: their liveness is the lease."""
        ...

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        """Takes over an attempt this process did not start (after a restart or
        a replica's death) and says what state it is in."""
        ...


__all__ = ["BackendRef", "BackendState", "Capacity", "ExecutionBackend", "Liveness", "RunPhase"]

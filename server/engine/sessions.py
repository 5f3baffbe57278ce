"""A connected executor, as the server sees it."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

from syncplane.engine.v1 import executor_pb2 as pb


@dataclass(eq=False)
class ExecutorSession:
    """One executor's stream. `running` maps run id -> fencing token."""

    executor_id: str
    group: str
    connectors: frozenset[str]
    slots: int
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    running: dict[uuid.UUID, int] = field(default_factory=dict)
    draining: bool = False
    closed: bool = False
    outbox: asyncio.Queue[pb.ServerMessage | None] = field(default_factory=asyncio.Queue)
    #: When the executor was last heard from (any message), monotonic seconds.
    last_seen: float = field(default_factory=time.monotonic)

    def heard(self) -> None:
        self.last_seen = time.monotonic()

    def quiet_for(self) -> float:
        return time.monotonic() - self.last_seen

    @property
    def free_slots(self) -> int:
        if self.draining or self.closed:
            return 0
        return max(0, self.slots - len(self.running))

    def send(self, message: pb.ServerMessage) -> None:
        if not self.closed:
            self.outbox.put_nowait(message)

    def send_cancel(self, run_id: uuid.UUID, token: int, reason: str) -> None:
        self.send(pb.ServerMessage(cancel=pb.Cancel(run_id=str(run_id), token=token, reason=reason)))

    def close(self) -> None:
        self.closed = True
        self.outbox.put_nowait(None)

"""The servers an executor may dial, and which one to try next.

`syncplane executor --server a:50051,b:50051` names several replicas of one
control plane (they share the database, so any of them can take the
executor's attempts over). When a session ends or a dial fails, the executor
moves on to the next server in the list: a replica that died is left at once
for a live one, instead of being redialled with a growing backoff while the
executor's leases run out.
"""

from __future__ import annotations

__all__ = ["TargetRotation", "parse_targets"]


def parse_targets(value: str) -> tuple[str, ...]:
    """Comma-separated gRPC targets (`host:port`), in the order to try them."""
    targets = tuple(part.strip() for part in value.split(",") if part.strip())
    if not targets:
        raise ValueError(f"no server address in {value!r}")
    return targets


class TargetRotation:
    """Round-robin over the targets, with a backoff that grows per full round.

    Within a round every target is tried at the same delay, so a dead replica
    costs one short wait before the next one is dialled; only when all of
    them failed does the delay double (up to `maximum`). A session that was
    connected starts the backoff over: that outage is a new one.
    """

    def __init__(self, targets: tuple[str, ...], *, initial: float = 0.2, maximum: float = 10.0) -> None:
        if not targets:
            raise ValueError("at least one target is needed")
        self.targets = targets
        self._initial = initial
        self._maximum = maximum
        self._index = 0
        self._delay = initial
        self._failed_in_round = 0

    @property
    def current(self) -> str:
        """The target to dial now."""
        return self.targets[self._index]

    def advance(self, *, was_connected: bool) -> float:
        """Moves on to the next target after a session ended or a dial failed;
        returns how long to wait (before jitter) before dialling it."""
        if was_connected:
            self._delay = self._initial
            self._failed_in_round = 0
        wait = self._delay
        self._index = (self._index + 1) % len(self.targets)
        self._failed_in_round += 1
        if self._failed_in_round >= len(self.targets):
            self._failed_in_round = 0
            self._delay = min(self._delay * 2, self._maximum)
        return wait

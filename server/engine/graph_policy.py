"""What a run graph does next, decided from its steps alone.

A pure function, as `resume_policy` is: `graphs.py` gathers the facts under
the graph's lock and applies the decision in the same transaction.

Rules: groups run in ascending order, a group's steps together; the next
group is released when every step of the current one has ended. A failing
step whose applied setting is "stop" stops the graph: steps not yet released
are cancelled at once, running ones (its parallel siblings) finish, and the
graph ends failed. "continue" lets the graph go on; it ends
completed_with_errors. A cancelled graph ends cancelled once nothing runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Step statuses.
WAITING = "waiting"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
STEP_ENDED = frozenset({SUCCEEDED, FAILED, CANCELLED})

# Graph statuses.
GRAPH_RUNNING = "running"
GRAPH_CANCELLING = "cancelling"
GRAPH_SUCCEEDED = "succeeded"
GRAPH_COMPLETED_WITH_ERRORS = "completed_with_errors"
GRAPH_FAILED = "failed"
GRAPH_CANCELLED = "cancelled"
GRAPH_ACTIVE = frozenset({GRAPH_RUNNING, GRAPH_CANCELLING})
GRAPH_TERMINAL = frozenset({GRAPH_SUCCEEDED, GRAPH_COMPLETED_WITH_ERRORS, GRAPH_FAILED, GRAPH_CANCELLED})

# Failure settings: a step's own, or "inherit" (the graph's).
STOP = "stop"
CONTINUE = "continue"
INHERIT = "inherit"
ON_FAILURE = (STOP, CONTINUE, INHERIT)

# Why a step that never ran was cancelled.
REASON_STOPPED = "stopped"
REASON_CANCELLED = "cancelled"


@dataclass(frozen=True)
class StepFacts:
    position: int
    group: int
    status: str


@dataclass(frozen=True)
class Decision:
    """What to do now: release these steps (one group), or end the graph, or wait."""

    release: tuple[int, ...] = ()
    release_group: int | None = None
    cancel_waiting: str | None = None
    final_status: str | None = None

    @property
    def waits(self) -> bool:
        return not self.release and self.final_status is None


def applied_setting(step_setting: str, graph_setting: str) -> str:
    """The setting a failing step follows: its own, or the graph's when it inherits."""
    return graph_setting if step_setting == INHERIT else step_setting


def next_move(steps: Sequence[StepFacts], *, cancelling: bool, stopped: bool) -> Decision:
    """The graph's next move, given every step's status."""
    if any(s.status == RUNNING for s in steps):
        # A group is still going; a stop or cancel only cancels what waits.
        if any(s.status == WAITING for s in steps) and (cancelling or stopped):
            return Decision(cancel_waiting=REASON_CANCELLED if cancelling else REASON_STOPPED)
        return Decision()
    if cancelling:
        return Decision(cancel_waiting=REASON_CANCELLED, final_status=GRAPH_CANCELLED)
    if stopped:
        return Decision(cancel_waiting=REASON_STOPPED, final_status=GRAPH_FAILED)
    waiting = [s for s in steps if s.status == WAITING]
    if waiting:
        group = min(s.group for s in waiting)
        return Decision(release=tuple(s.position for s in waiting if s.group == group), release_group=group)
    if any(s.status in (FAILED, CANCELLED) for s in steps):
        return Decision(final_status=GRAPH_COMPLETED_WITH_ERRORS)
    return Decision(final_status=GRAPH_SUCCEEDED)

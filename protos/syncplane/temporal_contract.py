"""What the control plane and a Temporal worker agree on: the workflow and
activity names, the workflow id of an attempt and the workflow's argument.

Shared by server/engine/backends/temporal.py (starts and describes workflows)
and executor/backends/temporal_worker.py (runs them); neither imports the
other. Plain data only: nothing here imports temporalio, so the server starts
without the `temporal` extra.

The argument names the attempt and nothing else: no plan, no secrets, no
executor token. The activity fetches the plan and the secrets from the control
plane with the attempt's token (AttemptService.FetchAttempt), authenticated by
the worker's own executor token, so Temporal's history holds neither.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: The workflow type a run attempt is.
WORKFLOW = "SyncplaneAttempt"
#: The one activity it runs.
ACTIVITY = "syncplane_run_attempt"
#: The task queue when the sync's executionConfig names none.
DEFAULT_TASK_QUEUE = "syncplane"


def workflow_id(run_id: str, attempt_token: int) -> str:
    """Idempotent per attempt: starting it twice (a retried start, two replicas)
    finds the workflow already there instead of running the attempt twice."""
    return f"syncplane-run-{run_id}-{attempt_token}"


@dataclass(frozen=True)
class AttemptArgs:
    """The workflow's (and activity's) argument."""

    run_id: str
    attempt_token: int
    #: The activity's heartbeat timeout: a worker silent this long is lost and
    #: Temporal retries the activity on another.
    heartbeat_timeout_s: float = 30.0
    #: Retries of the activity after a lost worker (the same attempt resumes
    #: from its destination checkpoint).
    max_activity_attempts: int = 5

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AttemptArgs:
        return cls(
            run_id=str(raw["run_id"]),
            attempt_token=int(raw["attempt_token"]),
            heartbeat_timeout_s=float(raw.get("heartbeat_timeout_s", 30.0)),
            max_activity_attempts=int(raw.get("max_activity_attempts", 5)),
        )


__all__ = ["ACTIVITY", "DEFAULT_TASK_QUEUE", "WORKFLOW", "AttemptArgs", "workflow_id"]

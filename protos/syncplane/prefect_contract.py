"""What the control plane and a Prefect flow agree on: the flow and deployment
names, the flow run's parameters and idempotency key, and how the flow's end
state carries the attempt's result.

Shared by server/engine/backends/prefect.py (creates and reads flow runs),
server/prefect_cli.py (deploys) and executor/backends/prefect_flow.py (the
flow); none imports another. Plain data only: nothing here imports prefect,
so the server starts without the `prefect` extra.

The parameters name the attempt and where the control plane is, nothing else:
no plan, no secrets, no executor token (the worker's environment holds that:
SYNCPLANE_EXECUTOR_TOKEN). The flow fetches the plan and the secrets from the
control plane with the attempt's token, so Prefect's database holds neither.
"""

from __future__ import annotations

import json
from typing import Any

#: The flow an attempt is a run of.
FLOW_NAME = "syncplane-attempt"
#: The deployment `syncplane prefect deploy` makes ("<flow>/<deployment>").
DEFAULT_DEPLOYMENT = f"{FLOW_NAME}/syncplane"
#: The flow, as a module path (the worker's environment has syncplane installed).
ENTRYPOINT = "syncplane.executor.backends.prefect_flow.syncplane_attempt"
#: The work pool `syncplane prefect deploy` makes.
DEFAULT_WORK_POOL = "syncplane"
#: Where the flow finds its executor token (the worker's environment, inherited).
TOKEN_ENV = "SYNCPLANE_EXECUTOR_TOKEN"
#: Prefix of the end state's message that carries the attempt's result.
RESULT_PREFIX = "syncplane-result:"


def idempotency_key(run_id: str, attempt_token: int) -> str:
    """One flow run per attempt: creating it twice (a retried start, a restart
    before the reference was recorded, two replicas) returns the same run."""
    return f"syncplane-{run_id}-{attempt_token}"


def parameters(run_id: str, attempt_token: int, control_plane: str) -> dict[str, Any]:
    return {"run_id": run_id, "attempt_token": attempt_token, "control_plane": control_plane}


def encode_result(result: dict[str, Any]) -> str:
    """The attempt's result (executor.attempt_runner.AttemptResult.to_dict) as
    the flow's end-state message, so whoever reads the flow run later (a
    restarted server adopting it) records the true result."""
    return RESULT_PREFIX + json.dumps(result, separators=(",", ":"), default=str)


def decode_result(message: str | None) -> dict[str, Any] | None:
    if not message or not message.startswith(RESULT_PREFIX):
        return None
    try:
        value = json.loads(message[len(RESULT_PREFIX) :])
    except ValueError:
        return None
    return value if isinstance(value, dict) and "outcome" in value else None


__all__ = [
    "DEFAULT_DEPLOYMENT",
    "DEFAULT_WORK_POOL",
    "ENTRYPOINT",
    "FLOW_NAME",
    "RESULT_PREFIX",
    "TOKEN_ENV",
    "decode_result",
    "encode_result",
    "idempotency_key",
    "parameters",
]

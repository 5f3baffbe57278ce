"""What an outside backend's finished attempt says, as the engine's outcome.

Temporal's workflow result and Prefect's flow result are both an
`executor.attempt_runner.AttemptResult` dict; one reading of it serves both.
"""

from __future__ import annotations

from typing import Any

from syncplane.server.engine import states
from syncplane.server.engine.lifecycle import Outcome


def outcome_of_result(result: Any) -> tuple[Outcome, dict[str, Any]]:
    """The engine's outcome and the attempt's summary from an AttemptResult dict; anything else fails the run."""
    if not isinstance(result, dict) or "outcome" not in result:
        return Outcome(states.FAILED, "infrastructure", "backend_error", f"unexpected attempt result: {result!r}"[:500]), {}
    status = str(result["outcome"])
    if status not in (states.SUCCEEDED, states.FAILED, states.CANCELLED):
        status = states.FAILED
    default_class = {states.SUCCEEDED: "success", states.CANCELLED: "cancelled"}.get(status, "failure")
    outcome = Outcome(
        status,
        str(result.get("result_class") or default_class),
        str(result.get("reason_code") or ("completed" if status == states.SUCCEEDED else "executor_error")),
        str(result["error"]) if result.get("error") else None,
    )
    return outcome, dict(result.get("summary") or {})


__all__ = ["outcome_of_result"]

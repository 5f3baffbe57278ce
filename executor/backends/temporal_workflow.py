"""The Temporal workflow of one run attempt: it runs one heartbeating activity.

This file is re-imported inside Temporal's workflow sandbox on every workflow
task, so it holds the workflow only: no I/O, no clock, no threads, and nothing
of the executor (the activity is named, not imported). The shared contract is
plain data and passes through the sandbox unchanged.

A lost worker is recovered by the activity's heartbeat timeout and retry
policy: the next activity attempt resumes the same syncplane attempt (same
fencing token) from its destination checkpoint. A cancel of the workflow asks
the activity to stop and waits until it has (WAIT_CANCELLATION_COMPLETED), so
the workflow ends CANCELED only once the connector has stopped writing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from syncplane.temporal_contract import ACTIVITY, WORKFLOW, AttemptArgs

#: Errors of the activity that another try would not cure: the attempt was
#: superseded or ended elsewhere (its token is no longer the run's:
#: executor.attempt_runner.AttemptRefused).
NON_RETRYABLE = ["AttemptRefused"]
#: The activity's whole run, retries included, is bounded by heartbeats, not by
#: time: a sync may take days. This only stops a workflow nobody ever ends.
START_TO_CLOSE = timedelta(days=7)


@workflow.defn(name=WORKFLOW)
class AttemptWorkflow:
    @workflow.run
    async def run(self, raw: dict[str, Any]) -> dict[str, Any]:
        args = AttemptArgs.from_dict(raw)
        result: dict[str, Any] = await workflow.execute_activity(
            ACTIVITY,
            args.to_dict(),
            result_type=dict,
            start_to_close_timeout=START_TO_CLOSE,
            heartbeat_timeout=timedelta(seconds=args.heartbeat_timeout_s),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(seconds=30),
                maximum_attempts=args.max_activity_attempts,
                non_retryable_error_types=NON_RETRYABLE,
            ),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        return result


__all__ = ["AttemptWorkflow"]

"""AttemptService: outside workers fetch, report and finish attempts (any
outside backend) and claim runs (the `external` backend). Only turns messages
into calls of server/engine/attempts.py and the external backend."""

from __future__ import annotations

import math
import uuid
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from syncplane.engine.v1 import attempts_pb2 as pb
from syncplane.engine.v1 import attempts_pb2_grpc
from syncplane.server.engine import states
from syncplane.server.engine.attempts import AttemptWork, OutsideAttempts, Report
from syncplane.server.engine.backends.external import ExternalBackend
from syncplane.server.engine.entity_progress import entities_dict
from syncplane.server.engine.lifecycle import Outcome
from syncplane.server.errors import FailedPrecondition, InvalidArgument, Violation
from syncplane.server.grpc_errors import grpc_method
from syncplane.wire import from_struct, to_struct

#: How the outside backend is turned on (named when it is off).
EXTERNAL_SETTING = "SYNCPLANE_EXTERNAL_BACKEND=on"


def _outcome(request: pb.FinishAttemptRequest) -> Outcome:
    if request.outcome == pb.ATTEMPT_OUTCOME_SUCCEEDED:
        return Outcome(states.SUCCEEDED, "success", "completed")
    if request.outcome == pb.ATTEMPT_OUTCOME_CANCELLED:
        return Outcome(states.CANCELLED, "cancelled", request.reason_code or "cancelled", request.error or None)
    if request.outcome == pb.ATTEMPT_OUTCOME_FAILED:
        return Outcome(states.FAILED, "failure", request.reason_code or "run_error", request.error or "failed")
    raise InvalidArgument(Violation("outcome", "outcome must be SUCCEEDED, FAILED or CANCELLED", "missing"))


def _run_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(Violation("runId", "runId must be a UUID", "uuid_parsing")) from None


def _plan(work: AttemptWork) -> pb.AttemptPlan:
    return pb.AttemptPlan(
        run_id=str(work.run_id),
        attempt_token=work.token,
        attempt_number=work.attempt_number,
        kind=work.kind,
        connector=work.connector,
        spec=to_struct(work.spec),
        secrets=to_struct(work.secrets),
        checkpoint=to_struct(work.checkpoint),
        root_run_id=str(work.root_run_id),
        lease_seconds=work.lease_seconds,
        execution_config=to_struct({"queue": work.queue}),
    )


def _progress(request: pb.ReportAttemptRequest) -> dict[str, Any]:
    return {
        "phase": request.phase,
        "message": request.message,
        "rowsRead": request.rows_read,
        "rowsWritten": request.rows_written,
        "entities": entities_dict(request.entities),
        **({"detail": from_struct(request.detail)} if request.HasField("detail") else {}),
    }


class AttemptService(attempts_pb2_grpc.AttemptServiceServicer):
    def __init__(self, attempts: OutsideAttempts, external: ExternalBackend | None) -> None:
        self._attempts = attempts
        self._external = external

    @grpc_method
    async def FetchAttempt(self, request: pb.FetchAttemptRequest, context: grpc.aio.ServicerContext[Any, Any]) -> pb.AttemptPlan:
        return _plan(await self._attempts.fetch(_run_id(request.run_id), request.attempt_token))

    @grpc_method
    async def ReportAttempt(
        self, request: pb.ReportAttemptRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReportAttemptResponse:
        report = Report(
            # A report with no counters at all is a bare heartbeat.
            progress=_progress(request) if (request.phase or request.rows_read or request.rows_written
                                             or request.entities or request.HasField("detail")) else None,
            checkpoint=from_struct(request.checkpoint) if request.HasField("checkpoint") else None,
            backend_ref=request.backend_run_ref or None,
            backend_url=request.backend_run_url or None,
            backend_status=from_struct(request.backend_status) if request.HasField("backend_status") else None,
        )
        reported = await self._attempts.report(_run_id(request.run_id), request.attempt_token, report)
        expires = Timestamp()
        expires.FromDatetime(reported.lease_expires_at)
        return pb.ReportAttemptResponse(cancel_requested=reported.cancel_requested, lease_expires_at=expires)

    @grpc_method
    async def FinishAttempt(
        self, request: pb.FinishAttemptRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.FinishAttemptResponse:
        backend = Report(
            backend_ref=request.backend_run_ref or None,
            backend_url=request.backend_run_url or None,
            backend_status=from_struct(request.backend_status) if request.HasField("backend_status") else None,
        )
        row = await self._attempts.finish(
            _run_id(request.run_id), request.attempt_token, _outcome(request), from_struct(request.summary), backend
        )
        return pb.FinishAttemptResponse(status=row.status)

    @grpc_method
    async def ClaimAttempts(
        self, request: pb.ClaimAttemptsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ClaimAttemptsResponse:
        if self._external is None:
            raise FailedPrecondition(f"the external execution backend is not configured on this server; set {EXTERNAL_SETTING}")
        if not request.worker_id:
            raise InvalidArgument(Violation("workerId", "workerId is required", "missing"))
        if not math.isfinite(request.wait_seconds) or request.wait_seconds < 0:
            raise InvalidArgument(Violation("waitSeconds", "waitSeconds must be 0 or more (at most 30 is waited)", "invalid"))
        work = await self._external.claim(
            request.worker_id, request.queue, list(request.connectors), request.max or 1, wait=request.wait_seconds
        )
        return pb.ClaimAttemptsResponse(attempts=[_plan(w) for w in work])


__all__ = ["AttemptService", "EXTERNAL_SETTING"]

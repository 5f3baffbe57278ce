"""The Prefect flow each `prefect` attempt is a run of (deployed by `syncplane
prefect deploy`, entrypoint syncplane.prefect_contract.ENTRYPOINT).

The flow runs `executor.attempt_runner.run_attempt`: the same connector code,
fence and destination checkpoint as a native executor. Its parameters name
the attempt (run id, fencing token) and the control plane; the executor token
comes from the worker's environment (SYNCPLANE_EXECUTOR_TOKEN, inherited by
the flow process), and the plan and the secrets are fetched from the control
plane with the attempt's token, so Prefect's database holds none of them.
SYNCPLANE_SERVER in the worker's environment, when set, overrides the control
plane the server named (the worker's own route to it).

The flow's end state is the attempt's: Completed, Failed or Cancelled, its
message carrying the attempt's result (syncplane.prefect_contract), which the
control plane reads back if the flow's own finish call never reached it.

Cancel: the control plane's cancel reaches the attempt through its reports
(the reply says so), whether or not a Prefect worker is alive; Prefect's own
cancel (its worker sends SIGTERM) stops the attempt at its next batch
boundary too, instead of killing it mid-batch. No Prefect retries: the next
attempt is syncplane's (auto-resume), a new flow run with a new token.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from typing import Any, TextIO

import structlog
from prefect import flow
from prefect.states import Cancelled, Completed, Failed, State

from syncplane.executor.attempt_runner import (
    AttemptRefused,
    AttemptResult,
    AttemptTicket,
    ControlPlaneUnavailable,
    run_attempt,
)
from syncplane.prefect_contract import FLOW_NAME, TOKEN_ENV, encode_result

log = structlog.get_logger(__name__)

_END_STATE = {"succeeded": Completed, "failed": Failed, "cancelled": Cancelled}


@flow(name=FLOW_NAME, retries=0, persist_result=False, log_prints=False)
def syncplane_attempt(run_id: str, attempt_token: int, control_plane: str = "") -> State[Any]:
    _outlive_the_worker()
    token = os.environ.get(TOKEN_ENV, "")
    target = os.environ.get("SYNCPLANE_SERVER") or control_plane
    if not token or not target:
        missing = TOKEN_ENV if not token else "a control plane (SYNCPLANE_SERVER)"
        result = AttemptResult("failed", "failure", "config_error", f"the Prefect worker's environment lacks {missing}")
    else:
        result = _run(AttemptTicket(control_plane=target, token=token, run_id=run_id, attempt_token=attempt_token))
    return _END_STATE.get(result.outcome, Failed)(message=encode_result(result.to_dict()))


class _SurvivingStream(io.TextIOBase):
    """Output that outlives its reader. A process worker pipes its flows'
    output through itself: once the worker is killed, the flow's next log
    line would raise BrokenPipeError inside the connector and end a flow that
    could have finished. From the first failed write on, output goes nowhere."""

    def __init__(self, inner: TextIO) -> None:
        self._inner: TextIO | None = inner

    def write(self, text: str) -> int:
        if self._inner is not None:
            try:
                self._inner.write(text)
                self._inner.flush()
            except (OSError, ValueError):  # EPIPE (Python ignores SIGPIPE), or closed
                self._inner = None
        return len(text)

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True


def _outlive_the_worker() -> None:
    if not isinstance(sys.stdout, _SurvivingStream):
        sys.stdout = _SurvivingStream(sys.stdout)
        sys.stderr = _SurvivingStream(sys.stderr)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stdout))


def _run(ticket: AttemptTicket) -> AttemptResult:
    try:
        return asyncio.run(_attempt(ticket))
    except AttemptRefused as exc:
        # The attempt is over or superseded: nothing ran, nothing to report.
        return AttemptResult("failed", "failure", "fenced", f"the control plane refused the attempt: {exc}", fenced=True)
    except ControlPlaneUnavailable as exc:
        # Nothing ran: a lost-executor failure, resumed by the control plane within its budget.
        return AttemptResult("failed", "infrastructure", "executor_lost", f"the control plane was unreachable: {exc}")


async def _attempt(ticket: AttemptTicket) -> AttemptResult:
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_sigterm() -> None:
        log.info("attempt.cancel_received", run_id=ticket.run_id, token=ticket.attempt_token, by="prefect")
        cancel.set()

    try:
        # Prefect's worker cancels a flow run with SIGTERM: stop at the next batch boundary.
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        handled = True
    except (RuntimeError, ValueError):  # not the main thread: Prefect's own handling applies
        handled = False
    try:
        return await run_attempt(ticket, cancel=cancel)
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGTERM)


__all__ = ["syncplane_attempt"]

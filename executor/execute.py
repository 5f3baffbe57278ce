"""Running one attempt's connector and turning how it ended into a result.

Shared by every place an attempt runs: the native executor (executor/runner.py)
and the outside backends' workers (executor/attempt_runner.py), so a Temporal
activity, a Prefect flow or an external worker end an attempt exactly as a
native executor does, with the same reason codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from syncplane import egress
from syncplane.executor.connectors import ConnectorFn
from syncplane.executor.context import Cancelled, Fenced, RunContext, RunFailed
from syncplane.failpoints import failpoint

log = structlog.get_logger(__name__)

SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Ended:
    """How the connector ended: `outcome` is succeeded, failed or cancelled."""

    outcome: str
    error: str = ""
    reason_code: str = ""


async def execute(ctx: RunContext, connector: ConnectorFn | None) -> Ended | None:
    """Runs the connector to its end. None when the attempt was fenced (a newer
    attempt owns the destination: nothing is to be reported, it would be
    refused). asyncio.CancelledError propagates to the caller."""
    try:
        if connector is None:
            raise RunFailed("this executor has no connector for this run", "connector_missing")
        await failpoint("executor.run.started")
        await connector(ctx)
    except Cancelled as exc:
        return Ended(CANCELLED, str(exc), "cancelled")
    except Fenced as exc:
        log.warning("run.fenced", run_id=ctx.run_id, token=ctx.token, detail=str(exc))
        return None
    except RunFailed as exc:
        return Ended(FAILED, str(exc), exc.reason_code)
    except egress.EgressRefused as exc:
        # Checked when connecting (a name may resolve elsewhere than at create time).
        return Ended(FAILED, str(exc), "egress_refused")
    except Exception as exc:  # noqa: BLE001 - any connector bug must end the attempt, not the process
        log.exception("run.crashed", run_id=ctx.run_id)
        return Ended(FAILED, f"{type(exc).__name__}: {exc}", "executor_error")
    return Ended(SUCCEEDED)


__all__ = ["CANCELLED", "Ended", "FAILED", "SUCCEEDED", "execute"]

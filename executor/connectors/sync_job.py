"""The `sync_job` connector: one attempt of a sync-job run (docs/jobs.md).

Parses the plan, authenticates to the integration with the integrated
account's secrets, opens the sink — the data store for daemon runs (tables
created on first use), the run's webhook for webhook runs (`started` first; a
4xx to it stops the run) — and walks the resource graph
(`executor.jobs.traversal`), resuming from the checkpoint the previous
attempt committed. While the API rate-limits the run (429), the detail's
`rateLimitedUntil` says until when it waits; the server shows the run as
`rate_limited` meanwhile.
"""

from __future__ import annotations

import contextlib
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from syncplane.executor import pools
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.jobs.plan import JobPlan, parse_plan
from syncplane.executor.jobs.stats import Stats
from syncplane.executor.jobs.store import StoreSink
from syncplane.executor.jobs.traversal import Sink, Walker
from syncplane.executor.jobs.webhook import WebhookSender, WebhookSink
from syncplane.executor.sources.http_auth import auth_headers
from syncplane.executor.sources.http_client import HttpClient

log = structlog.get_logger(__name__)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RateLimitReport:
    """`rateLimitedUntil` in the detail while any request waits after a 429 (several may at once)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.waiting = 0
        self.until: datetime | None = None

    def __call__(self, seconds: float | None) -> None:
        if seconds is not None:
            self.waiting += 1
            end = datetime.now(UTC) + timedelta(seconds=seconds)
            self.until = end if self.until is None else max(self.until, end)
            self.ctx.report_detail(rateLimitedUntil=_iso(self.until))
            return
        self.waiting = max(0, self.waiting - 1)
        if self.waiting == 0:
            self.until = None
            self.ctx.report_detail(rateLimitedUntil=None)


def _resume_state(ctx: RunContext, plan: JobPlan) -> dict[str, Any]:
    """The previous attempt's checkpoint, if it was of this run."""
    saved = ctx.checkpoint or {}
    return saved if saved.get("syncJobRunId") == plan.run_id else {}


async def _open_sink(
    stack: contextlib.AsyncExitStack, ctx: RunContext, plan: JobPlan, stats: Stats, resume: dict[str, Any]
) -> tuple[Sink, WebhookSender | None]:
    if plan.target == "webhook":
        secret = ctx.secrets.get("webhookSecret")
        if not isinstance(secret, str) or not secret:
            raise RunFailed("no webhookSecret in the run's secrets", "config_error")
        sender = await stack.enter_async_context(WebhookSender(ctx, plan, secret))
        sink: Sink = WebhookSink(sender, plan, stats, resume.get("sink"))
        await sink.start()
        return sink, sender
    dsn = ctx.secrets.get("storeDsn")
    if not isinstance(dsn, str) or not dsn:
        raise RunFailed("no storeDsn in the run's secrets", "config_error")
    try:
        with translating("store"):
            conn = await stack.enter_async_context(pools.connection(dsn))
    except (ValueError, TypeError) as exc:
        raise RunFailed(f"store connection settings: {type(exc).__name__}", "config_error") from exc
    sink = StoreSink(conn, plan, stats, token=ctx.token, attempt_id=ctx.run_id)
    await sink.start()
    return sink, None


def _delivery(sender: WebhookSender) -> dict[str, Any]:
    """How long record deliveries took (first POST to 2xx), for the detail and the logs."""
    latencies = sorted(sender.latencies)
    if not latencies:
        return {"events": 0}
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "events": len(latencies),
        "p50Ms": round(statistics.median(latencies) * 1000, 2),
        "p99Ms": round(p99 * 1000, 2),
    }


async def run(ctx: RunContext) -> None:
    """Runs one attempt; raises Cancelled or RunFailed to end otherwise."""
    if ctx.kind != "sync_job":
        raise RunFailed(f"the sync_job connector runs sync_job plans, not {ctx.kind!r}", "config_error")
    account = ctx.secrets.get("account") or {}
    plan = parse_plan(ctx.spec, account)
    headers, secrets = auth_headers(plan.client.auth, account)
    resume = _resume_state(ctx, plan)
    stats = Stats.from_state(resume.get("stats"))
    bound = log.bind(run_id=ctx.run_id, sync_job_run_id=plan.run_id, target=plan.target)
    bound.info(
        "sync_job.attempt_started",
        resources=len(plan.resources),
        error_handling=plan.error_handling,
        resumed=bool(resume),
        incremental=plan.previous_run_date is not None,
    )
    ctx.progress(phase="connecting")
    async with contextlib.AsyncExitStack() as stack:
        sink, sender = await _open_sink(stack, ctx, plan, stats, resume)
        client = await stack.enter_async_context(
            HttpClient(ctx, plan.client, headers, secrets, log_=bound, on_rate_limit=RateLimitReport(ctx))
        )
        walker = Walker(ctx, plan, client, sink, stats, resume)
        await walker.run()
        await sink.flush()
        extra = {"delivery": _delivery(sender)} if sender is not None else {}
        if extra:
            ctx.report_detail(**extra)
        walker.report(final=True)
    ctx.progress(phase="done")
    bound.info(
        "sync_job.attempt_finished",
        rows_read=ctx.rows_read,
        rows_written=ctx.rows_written,
        errors=stats.error_count,
        requests=client.requests,
        **extra,
    )


__all__ = ["run"]

"""Walks a sync job's resource graph: requests, records into the sink, errors by policy,
checkpoints for resume.

A root item's scopes (one, or one per `loop_on` element) are each a chain of
pages. Each page's records go to the sink, then every child item runs once
per record (depth first, see `graph`), then the sink is flushed and a
checkpoint names where the next page starts. A killed attempt's successor
restarts at that page: what was sent after the checkpoint is sent again with
the same batch numbers (event ids) or upserted again, so nothing is lost and
receivers and the store see no duplicates.

Errors of the source side (a request that fails for good, a placeholder that
does not resolve, a record without an id) follow `error_handling`: fail_fast
ends the run with the first; ignore counts it, tells the sink (a webhook run
sends `record_error`) and moves on to the next scope. Errors of the sink
(the store, the webhook) always end the run.

Checkpoint: {"syncJobRunId", "done": [root item indexes],
             "current": {"item", "loop", "request"} | null, "stats": {...}, "sink": {...}}
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Protocol

import structlog

from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.jobs import graph
from syncplane.executor.jobs.placeholders import PlaceholderError
from syncplane.executor.jobs.plan import JobPlan, ResourceItem
from syncplane.executor.jobs.requests import Page, first_request, pages
from syncplane.executor.jobs.stats import Stats
from syncplane.executor.sources.http_client import HttpClient
from syncplane.executor.sources.http_pagination import Request
from syncplane.failpoints import failpoint

log = structlog.get_logger(__name__)

#: Least seconds between two resource_stats reports in the middle of a page.
REPORT_EVERY = 0.25


class Sink(Protocol):
    """Where records go: the data store (daemon runs) or the webhook (webhook runs)."""

    async def start(self) -> None: ...

    async def add(self, item: ResourceItem, records: list[dict[str, Any]]) -> list[str]:
        """Takes records (may write a full batch); returns a message per record refused."""
        ...

    async def flush(self) -> None: ...

    async def record_error(self, item: ResourceItem, message: str, number: int) -> None: ...

    def state(self) -> dict[str, Any]: ...


class Walker:
    """One attempt's walk over the graph (see the module docstring)."""

    def __init__(
        self, ctx: RunContext, plan: JobPlan, client: HttpClient, sink: Sink, stats: Stats, resume: dict[str, Any]
    ) -> None:
        self.ctx = ctx
        self.plan = plan
        self.client = client
        self.sink = sink
        self.stats = stats
        self.children = graph.children(plan)
        # Children run per record of the first item of their parent's resource.
        self.parent_of: dict[str, int] = {}
        for item in plan.resources:
            self.parent_of.setdefault(item.resource, item.index)
        self.done: set[int] = set(resume.get("done") or [])
        self.current: dict[str, Any] | None = resume.get("current")
        self.log = log.bind(run_id=ctx.run_id, sync_job_run_id=plan.run_id)
        self._reported = 0.0

    # -- the walk ------------------------------------------------------------------------
    async def run(self) -> None:
        for item in graph.roots(self.plan):
            if item.index in self.done:
                self.log.info("sync_job.resource_skipped", resource=item.resource, method=item.method, reason="done")
                continue
            self.ctx.raise_if_cancelled()
            self.ctx.progress(item.resource, phase="loading")
            await self._root(item)
            self.done.add(item.index)
            self.current = None
            self.ctx.progress(item.resource, phase="done")
            self._checkpoint()

    async def _root(self, item: ResourceItem) -> None:
        start_loop, start_request = 0, None
        if self.current is not None and self.current.get("item") == item.index:
            start_loop = int(self.current.get("loop") or 0)
            saved = self.current.get("request")
            start_request = Request.from_state(saved) if saved else None
        try:
            scopes = list(graph.loop_scopes(item, self.plan.base_scope()))
        except PlaceholderError as exc:
            await self._failed(item, str(exc), "config_error")
            return
        for number, scope in enumerate(scopes):
            if number < start_loop:
                continue
            resume_at = start_request if number == start_loop else None
            async with aclosing(self._chain(item, scope, resume_at)) as chain:
                async for page in chain:
                    await self._take(item, page.records, scope)
                    await self.sink.flush()
                    following = page.following
                    self.current = {
                        "item": item.index,
                        "loop": number if following is not None else number + 1,
                        "request": following.to_state() if following is not None else None,
                    }
                    self._checkpoint()
                    await failpoint("executor.batch.committed")
                    self.ctx.raise_if_cancelled()

    async def _chain(self, item: ResourceItem, scope: dict[str, Any], start: Request | None) -> AsyncIterator[Page]:
        """The pages of one scope; a source error ends the chain by the error policy."""
        try:
            request = start or first_request(self.plan.client.base_url, item, scope)
        except PlaceholderError as exc:
            await self._failed(item, str(exc), "config_error")
            return
        async with aclosing(pages(self.client, item, request)) as source:
            while True:
                try:
                    page = await anext(source)
                except StopAsyncIteration:
                    return
                except RunFailed as exc:
                    await self._failed(item, str(exc), exc.reason_code)
                    return
                yield page

    async def _take(self, item: ResourceItem, records: list[dict[str, Any]], scope: dict[str, Any]) -> None:
        """A page's records: counted, to the sink if the item persists, then each one's children."""
        self.stats.add(item.resource, item.method, "fetched", len(records))
        self.ctx.progress(item.resource, rows_read=len(records))
        if item.persist and records:
            for message in await self.sink.add(item, records):
                await self._failed(item, message, "source_error")
        kids = self.children.get(item.resource) if self.parent_of[item.resource] == item.index else None
        if kids:
            for record in records:
                child_scope = graph.with_parent(scope, item, record)
                for child in kids:
                    self.ctx.raise_if_cancelled()
                    await self._child(child, child_scope)
        self._report()

    async def _child(self, item: ResourceItem, scope: dict[str, Any]) -> None:
        try:
            scopes = list(graph.loop_scopes(item, scope))
        except PlaceholderError as exc:
            await self._failed(item, str(exc), "config_error")
            return
        for each in scopes:
            async with aclosing(self._chain(item, each, None)) as chain:
                async for page in chain:
                    await self._take(item, page.records, each)

    # -- errors and reports --------------------------------------------------------------
    async def _failed(self, item: ResourceItem, message: str, reason: str) -> None:
        """One error of the source side, by the plan's error_handling."""
        self.log.warning("sync_job.record_error", resource=item.resource, method=item.method, reason=reason, error=message)
        self.stats.error(item.resource, item.method, message)
        if self.plan.fail_fast:
            self.report(final=True)
            raise RunFailed(f"{item.resource} {item.method}: {message}", reason)
        await self.sink.record_error(item, message, self.stats.error_count)
        self._report()

    def _report(self) -> None:
        now = time.monotonic()
        if now - self._reported >= REPORT_EVERY:
            self.report()

    def report(self, *, final: bool = False) -> None:
        """resource_stats (and, at the end, the errors) in the run's detail; rows written in progress."""
        self._reported = time.monotonic()
        for resource, by_method in self.stats.counts.items():
            written = sum(c["persisted"] + c["delivered"] for c in by_method.values())
            counters = self.ctx.entity(resource)
            counters.rows_written = written
        values: dict[str, Any] = {"resource_stats": self.stats.resource_stats()}
        if final:
            values["errors"] = list(self.stats.errors)
        self.ctx.report_detail(**values)

    def _checkpoint(self) -> None:
        """After the sink committed everything before this point."""
        self.report()
        self.ctx.commit_checkpoint(
            {
                "syncJobRunId": self.plan.run_id,
                "done": sorted(self.done),
                "current": self.current,
                "stats": self.stats.to_state(),
                "sink": self.sink.state(),
            }
        )


__all__ = ["Sink", "Walker"]

"""What a running attempt sees: its plan, its secrets, and ways to report back.

Connectors get a RunContext and never touch the gRPC stream themselves; the
session coalesces what they report and sends it off the work loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a connector at a batch boundary after a cancel arrived."""


class Fenced(Exception):
    """A newer attempt took over this run's destination; stop without writing."""


class RunFailed(Exception):
    """A failure with a machine-readable reason code (e.g. "source_error")."""

    def __init__(self, message: str, reason_code: str = "run_error") -> None:
        super().__init__(message)
        self.reason_code = reason_code


class Reporter(Protocol):
    """Where a context sends what the connector reports (the session)."""

    def report_progress(self, ctx: RunContext) -> None: ...

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None: ...


@dataclass
class EntityCounters:
    entity: str
    rows_read: int = 0
    rows_written: int = 0
    phase: str = "pending"


@dataclass
class RunContext:
    """One attempt of one run, as handed to a connector.

    Attributes:
        run_id: the attempt's run id.
        root_run_id: the first attempt of the chain; resume state is keyed by it.
        token: the fencing token; a larger one supersedes this attempt.
        attempt_number: 1 for the first attempt.
        kind: which plan shape `spec` holds ("sync", ...).
        spec: the plan, without secrets.
        secrets: write-only credentials; never log them.
        checkpoint: the last checkpoint the server recorded (a hint).
    """

    run_id: str
    root_run_id: str
    token: int
    attempt_number: int
    kind: str
    spec: dict[str, Any]
    secrets: dict[str, Any]
    checkpoint: dict[str, Any]
    reporter: Reporter
    cancel_event: asyncio.Event = field(default_factory=asyncio.Event)
    cancel_reason: str = ""
    phase: str = "starting"
    message: str = ""
    entities: dict[str, EntityCounters] = field(default_factory=dict)
    #: A dialect's own counters (objects to process, operation counts, phases);
    #: sent with progress and kept in the summary as they are.
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def cancel_requested(self) -> bool:
        return self.cancel_event.is_set()

    def raise_if_cancelled(self) -> None:
        """Call at every batch boundary: stops the run there after a cancel."""
        if self.cancel_event.is_set():
            raise Cancelled(self.cancel_reason or "cancelled")

    async def cancellable(self, work: Awaitable[T]) -> T:
        """Awaits `work`, abandoned the moment a cancel arrives (then raises Cancelled).

        For waits that can be long (a slow API, a webhook that does not answer),
        where a batch boundary would come too late.
        """
        task = asyncio.ensure_future(work)
        cancelled = asyncio.ensure_future(self.cancel_event.wait())
        try:
            await asyncio.wait({task, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cancelled.cancel()
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
        if task.cancelled():
            self.raise_if_cancelled()
        return task.result()

    def entity(self, name: str) -> EntityCounters:
        counters = self.entities.get(name)
        if counters is None:
            counters = self.entities[name] = EntityCounters(entity=name)
        return counters

    def progress(
        self,
        entity: str | None = None,
        *,
        rows_read: int = 0,
        rows_written: int = 0,
        phase: str | None = None,
        message: str | None = None,
    ) -> None:
        """Adds to the counters and lets the session send them (coalesced)."""
        if entity is not None:
            counters = self.entity(entity)
            counters.rows_read += rows_read
            counters.rows_written += rows_written
            if phase is not None:
                counters.phase = phase
        if phase is not None:
            self.phase = phase
        if message is not None:
            self.message = message
        self.reporter.report_progress(self)

    def report_detail(self, **values: Any) -> None:
        """Sets dialect-specific counters (JSON values) and lets the session send them."""
        self.detail.update(values)
        self.reporter.report_progress(self)

    def commit_checkpoint(self, state: dict[str, Any]) -> None:
        """Reports a checkpoint that is already committed at the destination."""
        self.reporter.report_checkpoint(self, state)

    @property
    def rows_read(self) -> int:
        return sum(c.rows_read for c in self.entities.values())

    @property
    def rows_written(self) -> int:
        return sum(c.rows_written for c in self.entities.values())

    def summary(self) -> dict[str, Any]:
        return {
            "rowsRead": self.rows_read,
            "rowsWritten": self.rows_written,
            "entities": {
                name: {"rowsRead": c.rows_read, "rowsWritten": c.rows_written, "phase": c.phase}
                for name, c in self.entities.items()
            },
            **({"detail": self.detail} if self.detail else {}),
        }

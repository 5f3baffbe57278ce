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
    #: What the source counted before reading (None: it cannot count); see RunContext.expect.
    rows_total: int | None = None
    rows_total_estimated: bool = False
    bytes_total: int | None = None
    bytes_read: int = 0

    def proto_fields(self) -> dict[str, Any]:
        """The fields of an EntityProgress (executor stream) or AttemptEntityProgress (outside
        backends): the same names in both; an unknown total is left unset."""
        fields: dict[str, Any] = {
            "entity": self.entity, "rows_read": self.rows_read, "rows_written": self.rows_written, "phase": self.phase,
            "rows_total_estimated": self.rows_total_estimated, "bytes_read": self.bytes_read,
        }
        if self.rows_total is not None:
            fields["rows_total"] = self.rows_total
        if self.bytes_total is not None:
            fields["bytes_total"] = self.bytes_total
        return fields

    def to_summary(self) -> dict[str, Any]:
        """The entity as the run's progress and summary show it (totals only when known)."""
        out: dict[str, Any] = {"rowsRead": self.rows_read, "rowsWritten": self.rows_written, "phase": self.phase}
        if self.rows_total is not None:
            out["rowsTotal"] = self.rows_total
            if self.rows_total_estimated:
                out["rowsTotalEstimated"] = True
        if self.bytes_total is not None:
            out["bytesTotal"] = self.bytes_total
        if self.bytes_read:
            out["bytesRead"] = self.bytes_read
        return out


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
        bytes_read: int = 0,
    ) -> None:
        """Adds to the counters and lets the session send them (coalesced)."""
        if entity is not None:
            counters = self.entity(entity)
            counters.rows_read += rows_read
            counters.rows_written += rows_written
            counters.bytes_read += bytes_read
            if phase is not None:
                counters.phase = phase
        if phase is not None:
            self.phase = phase
        if message is not None:
            self.message = message
        self.reporter.report_progress(self)

    def expect(
        self, entity: str, *, rows: int | None = None, rows_estimated: bool = False, bytes_total: int | None = None
    ) -> None:
        """What the source counted before reading an entity: its rows (exact, or the source's
        estimate) or, for files, its bytes. Shown as the total beside the entity's progress."""
        counters = self.entity(entity)
        if rows is not None:
            counters.rows_total, counters.rows_total_estimated = rows, rows_estimated
        if bytes_total is not None:
            counters.bytes_total = bytes_total
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
            "entities": {name: c.to_summary() for name, c in self.entities.items()},
            **({"detail": self.detail} if self.detail else {}),
        }

"""Counters, phases and item errors of one identity run, reported as the run's `detail`.

The shape is docs/identity.md's "What the executor reports": the server copies
it into the activity (counters, objectsToProcess/Processed, phases) as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from syncplane.executor.context import RunContext

log = structlog.get_logger(__name__)

COUNTERS = (
    "totalAdded",
    "totalUpdated",
    "totalDeleted",
    "totalProjected",
    "totalJoined",
    "totalAttributeFlows",
    "totalDisconnected",
    "totalProvisioned",
    "totalExported",
    "totalPendingExports",
    "totalErrors",
)
MAX_ITEM_ERRORS = 100


def _now() -> str:
    return datetime.now(UTC).isoformat()


class RunReport:
    """What one run tells the server while it runs and at its end."""

    def __init__(self, ctx: RunContext, phases: list[tuple[str, str]]) -> None:
        self.ctx = ctx
        self.counters: dict[str, int] = {name: 0 for name in COUNTERS}
        self.phases: list[dict[str, Any]] = [
            {"key": key, "name": name, "status": "Pending", "started": None, "ended": None} for key, name in phases
        ]
        self.current: str | None = None
        self.objects_to_process = 0
        self.objects_processed = 0
        self.item_errors: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self.message = ""

    # -- phases --------------------------------------------------------------------------
    def _phase(self, key: str) -> dict[str, Any]:
        for phase in self.phases:
            if phase["key"] == key:
                return phase
        raise KeyError(key)

    def start(self, key: str, message: str | None = None) -> None:
        """Ends the active phase (Completed) and starts `key`."""
        if self.current is not None and self.current != key:
            self.end(self.current)
        phase = self._phase(key)
        phase["status"], phase["started"] = "Active", _now()
        self.current = key
        self.message = message or phase["name"]
        self.ctx.progress(phase=key, message=self.message)
        self.publish()

    def end(self, key: str, status: str = "Completed") -> None:
        phase = self._phase(key)
        if phase["status"] in ("Active", "Pending"):
            phase["status"], phase["ended"] = status, _now()
        if self.current == key:
            self.current = None

    def skip(self, key: str) -> None:
        self._phase(key)["status"] = "Skipped"

    def finish(self) -> None:
        """Completes the active phase; phases never started are Skipped."""
        if self.current is not None:
            self.end(self.current)
        for phase in self.phases:
            if phase["status"] == "Pending":
                phase["status"] = "Skipped"

    def fail(self, cancelled: bool = False) -> None:
        """Marks the active phase Failed (or Completed: a cancel stops at a boundary); the rest are Skipped."""
        if self.current is not None:
            self.end(self.current, "Completed" if cancelled else "Failed")
        for phase in self.phases:
            if phase["status"] == "Pending":
                phase["status"] = "Skipped"

    # -- counts --------------------------------------------------------------------------
    def add(self, **counts: int) -> None:
        for name, value in counts.items():
            self.counters[name] += value

    def processed(self, n: int) -> None:
        self.objects_processed += n
        self.ctx.progress("objects", rows_read=n, rows_written=n)

    def item_error(self, anchor: str, error: str) -> None:
        self.counters["totalErrors"] += 1
        if len(self.item_errors) < MAX_ITEM_ERRORS:
            self.item_errors.append({"anchor": anchor, "error": error})
        log.warning("identity.item_error", run_id=self.ctx.run_id, anchor=anchor, error=error)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    # -- reporting -----------------------------------------------------------------------
    def detail(self) -> dict[str, Any]:
        return {
            "objectsToProcess": self.objects_to_process,
            "objectsProcessed": self.objects_processed,
            "counters": dict(self.counters),
            "phases": [dict(p) for p in self.phases],
            "currentPhase": self.current,
            "message": self.message,
        }

    def publish(self, **extra: Any) -> None:
        """Sends the current detail (the session coalesces it) with any end-of-run keys."""
        self.ctx.report_detail(**self.detail(), **extra)

    def publish_final(self, **extra: Any) -> None:
        self.publish(itemErrors=list(self.item_errors), warnings=list(self.warnings), **extra)


__all__ = ["COUNTERS", "MAX_ITEM_ERRORS", "RunReport"]

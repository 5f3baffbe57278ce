"""An activity's status and progress, from its engine run and the executor's detail.

Pure functions: the reference's rules in one place, unit-tested without a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IN_PROGRESS = "InProgress"
COMPLETE = "Complete"
COMPLETE_WITH_WARNING = "CompleteWithWarning"
COMPLETE_WITH_ERROR = "CompleteWithError"
FAILED_WITH_ERROR = "FailedWithError"
CANCELLED = "Cancelled"

STATUSES = (IN_PROGRESS, COMPLETE, COMPLETE_WITH_WARNING, COMPLETE_WITH_ERROR, FAILED_WITH_ERROR, CANCELLED)
TERMINAL = frozenset(STATUSES[1:])
#: The statuses a CLI treats as success.
SUCCESSFUL = frozenset({COMPLETE, COMPLETE_WITH_WARNING})

COUNTER_NAMES = (
    "totalAdded", "totalUpdated", "totalDeleted", "totalProjected", "totalJoined", "totalAttributeFlows",
    "totalDisconnected", "totalProvisioned", "totalExported", "totalPendingExports", "totalErrors",
)


@dataclass(frozen=True)
class Outcome:
    """How an activity ended."""

    status: str
    message: str
    error_message: str | None = None
    warning_message: str | None = None


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def counters(detail: dict[str, Any]) -> dict[str, int]:
    raw = detail.get("counters") or {}
    return {name: _int(raw.get(name)) for name in COUNTER_NAMES}


def error_count(detail: dict[str, Any]) -> int:
    """Item errors: the counter, or the reported list when the counter is missing."""
    return max(counters(detail)["totalErrors"], len(detail.get("itemErrors") or []))


def final_outcome(run_status: str, run_error: str | None, detail: dict[str, Any]) -> Outcome:
    """The reference's rules: cancelled → Cancelled; every item errored →
    FailedWithError; an unhandled error → CompleteWithError; some item errors or
    a warning → CompleteWithWarning; else Complete."""
    if run_status == "cancelled":
        return Outcome(CANCELLED, "Cancelled.", error_message=run_error)
    errors = error_count(detail)
    processed = _int(detail.get("objectsProcessed"))
    warnings = [str(w) for w in detail.get("warnings") or []]
    first_error = _first_item_error(detail)
    if errors > 0 and errors >= processed:
        return Outcome(
            FAILED_WITH_ERROR,
            f"Every object failed ({errors} error{'s' if errors != 1 else ''}).",
            error_message=run_error or first_error or f"{errors} object(s) failed",
        )
    if run_status == "failed":
        return Outcome(
            COMPLETE_WITH_ERROR,
            f"Stopped by an error after {processed} object(s).",
            error_message=run_error or "the run failed",
            warning_message="; ".join(warnings) or None,
        )
    if errors or warnings:
        parts = ([f"{errors} object(s) had errors" + (f" (first: {first_error})" if first_error else "")] if errors else [])
        parts += warnings
        return Outcome(COMPLETE_WITH_WARNING, f"Completed with {errors} error(s) and {len(warnings)} warning(s).",
                       warning_message="; ".join(parts))
    return Outcome(COMPLETE, f"Completed: {processed} object(s) processed.")


def _first_item_error(detail: dict[str, Any]) -> str | None:
    items = detail.get("itemErrors") or []
    if not items or not isinstance(items[0], dict):
        return None
    first = items[0]
    return f"{first.get('anchor', '?')}: {first.get('error', '')}"


@dataclass(frozen=True)
class Rates:
    """The derived figures of /progress."""

    percent_complete: float | None
    objects_per_second: float
    estimated_seconds_remaining: float | None


def rates(processed: int, to_process: int, elapsed_seconds: float, terminal: bool) -> Rates:
    """percentComplete is null while nothing is known to process; the estimate
    assumes the average rate so far holds (null without a rate or a total)."""
    percent = None if to_process <= 0 else round(min(100.0, processed * 100.0 / to_process), 1)
    per_second = round(processed / elapsed_seconds, 2) if elapsed_seconds > 0 else 0.0
    remaining: float | None = None
    if terminal:
        remaining = 0.0 if to_process > 0 else None
    elif to_process > 0 and per_second > 0:
        remaining = round(max(0, to_process - processed) / per_second, 1)
    return Rates(percent, per_second, remaining)


def current_phase_number(phases: list[dict[str, Any]], current: str | None) -> int | None:
    """1-based position of the current phase (by key or name), else of the active one."""
    for i, phase in enumerate(phases, start=1):
        if current is not None and current in (phase.get("key"), phase.get("name")):
            return i
    for i, phase in enumerate(phases, start=1):
        if phase.get("status") == "Active":
            return i
    return None

"""Run statuses and outcomes, shared by the engine and the dialects."""

from __future__ import annotations

PENDING = "pending"
RUNNING = "running"
CANCELLING = "cancelling"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"

ACTIVE = frozenset({PENDING, RUNNING, CANCELLING})
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

# Failures that say nothing about the run itself, only about where it ran: the
# next attempt may resume them automatically (within the budget).
RESUMABLE_REASONS = frozenset(
    {"heartbeat_timeout", "executor_lost", "source_unavailable", "destination_unavailable"}
)

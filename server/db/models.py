"""Domain objects the db layer hands across the engine/dialect boundary.

Frozen dataclasses built from rows, so a caller sees named, typed fields (and
no more than the table holds: a query's helper columns such as a window count
or a NOTIFY result stay in server/db). `Run` is the engine's run row.

`Run` and `RunProgress` rest on `RowModel` (server/db/rows.py): callers read attributes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True, kw_only=True)
class Run(RowModel):
    """One attempt of a run chain (a row of syncplane.runs)."""

    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    concurrency_key: str | None
    status: str
    run_mode: str
    triggered_by: str
    trigger_ref: str | None
    execution_backend: str
    execution_mode: str
    executor_group: str
    connector: str
    spec: dict[str, Any]
    credential_ids: dict[str, str]
    executor_id: str | None
    attempt_number: int
    attempt_root_run_id: uuid.UUID | None
    previous_attempt_run_id: uuid.UUID | None
    next_attempt_run_id: uuid.UUID | None
    max_auto_resume_attempts: int
    auto_resume_count: int
    attempt_token: int | None
    lease_expires_at: datetime | None
    last_heartbeat_at: datetime | None
    cancel_requested_at: datetime | None
    cancel_requested_by: str | None
    cancel_reason: str | None
    result_class: str | None
    result_reason_code: str | None
    progress: dict[str, Any]
    checkpoint: dict[str, Any]
    summary: dict[str, Any]
    error: str | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    not_before: datetime | None
    mutex_key: str | None
    queued_at: datetime
    set_aside_at: datetime | None
    set_aside_reason: str | None
    #: Where the chain's resume state is kept: its first attempt, or a fresh
    #: root a retry of a succeeded chain was given.
    state_root: uuid.UUID
    #: Where an outside backend runs the attempt (its own id, a link into its
    #: UI), its view of it and when it last said it was alive (migration 0011).
    backend_run_ref: str | None
    backend_run_url: str | None
    backend_status: dict[str, Any]
    backend_heartbeat_at: datetime | None
    #: The W3C traceparent of the attempt's trace (OpenTelemetry on only; migration 0014).
    trace_parent: str | None = None

    @property
    def chain_root(self) -> uuid.UUID:
        """The chain's first attempt."""
        return self.attempt_root_run_id or self.id


@dataclass(frozen=True, slots=True, kw_only=True)
class RunProgress(RowModel):
    """A progress report the engine saved, as the subject's kind is told of it."""

    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    progress: dict[str, Any]

"""Domain objects of the sync-jobs dialect's run view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRun(RowModel):
    """A sync job run as the dialect shows it (a row of syncplane.jobs_runs_view: the dialect's row
    joined with its latest engine attempt, whose status is mapped to the dialect's vocabulary)."""

    id: uuid.UUID
    sync_job_id: uuid.UUID
    integrated_account_id: uuid.UUID
    args: dict[str, Any]
    resources: Any
    daemon_group_key: str | None
    webhook_id: uuid.UUID | None
    error_handling: str
    ignore_previous_run: bool
    mutex_key: str | None
    previous_run_date: datetime | None
    environment_id: uuid.UUID
    triggered_by: str
    created_at: datetime
    updated_at: datetime
    #: The latest engine attempt (None until the first is queued).
    engine_run_id: uuid.UUID | None
    daemon_id: str | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    #: The later of the dialect row's and the attempt's last change: the list's cursor.
    changed_at: datetime
    resource_stats: dict[str, Any]
    rate_limited_until: str | None
    #: created | running | rate_limited | stopped | completed | failed
    status: str

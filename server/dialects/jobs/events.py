"""Lifecycle events of sync job runs into the durable outbox.

An event is written in the transaction of the state change that causes it,
once per subscribed webhook, with the exact body that will be signed and
sent. Ids are deterministic (run id + event, + the backoff's end for
rate_limited), so a change recorded twice (a retried transaction, a resumed
attempt) queues nothing new.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from syncplane.server.db import jobs as jobs_db
from syncplane.server.db import jobs_runs as runs_db
from syncplane.server.db import outbox as db
from syncplane.server.db.jobs_models import SyncJob
from syncplane.server.dialects.jobs import convert
from syncplane.server.gateway.marshal import Marshaller

log = structlog.get_logger(__name__)

_NAMESPACE = uuid.UUID("5b1f3d0e-6c1a-4f57-9a43-0f1f6c1d2e3a")
_JSON = Marshaller(snake_case=True)
#: Sent by the executor to a webhook run's own webhook (docs/jobs.md).
EXECUTOR_EVENTS = frozenset({"sync_job_run:started", "sync_job_run:record", "sync_job_run:record_error"})


def event_id(run_id: uuid.UUID, event: str, discriminator: str = "") -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{run_id}:{event}:{discriminator}")


def envelope(eid: uuid.UUID, event: str, payload: dict[str, Any], environment_id: uuid.UUID, webhook_id: uuid.UUID) -> str:
    now = datetime.now(UTC)
    return json.dumps(
        {
            "id": str(eid),
            "event": event,
            "payload": payload,
            "environment_id": str(environment_id),
            "created_at": convert.ts(now),
            "webhook_id": str(webhook_id),
        },
        separators=(",", ":"),
    )


async def emit(conn: asyncpg.Connection, run_id: uuid.UUID, name: str, discriminator: str = "") -> int:
    """Queues `sync_job_run:<name>` for every webhook that wants it; returns how many rows are new."""
    event = f"sync_job_run:{name}"
    row = await runs_db.get_run(conn, run_id)
    if row is None:
        return 0
    job = await jobs_db.get_row(conn, SyncJob, row.sync_job_id)
    payload = _JSON.to_dict(convert.run(row, job))
    run_webhook = row.webhook_id
    # The executor sends a webhook run's own `started`; the server tells the others.
    own = None if event in EXECUTOR_EVENTS else run_webhook
    recipients = await db.subscribers(conn, event, row.environment_id, own)
    if event in EXECUTOR_EVENTS and run_webhook is not None:
        recipients = [w for w in recipients if w != run_webhook]
    eid = event_id(run_id, event, discriminator)
    queued = 0
    for webhook_id in recipients:
        body = envelope(eid, event, payload, row.environment_id, webhook_id)
        queued += await db.enqueue(conn, eid, webhook_id, event, body, run_id)
    if queued:
        await db.notify(conn)
        # The sync job run is the engine run's subject; run_id and attempt are bound by whoever handles it.
        log.info("jobs.event_queued", subject_id=str(run_id), event_name=event, event_id=str(eid), webhooks=queued)
    return queued

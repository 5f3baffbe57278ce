"""Helpers for the preset tests: a sync as the server stores it, its plan as
`build_run` makes it, and that plan run by the executor's http_api connector."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from syncplane.executor.connectors import http_api
from syncplane.executor.context import RunContext
from syncplane.server.db.runs import NewRun
from syncplane.server.db.sync_models import Connection, Sync
from syncplane.server.dialects.syncs import plans
from tests.integration.pg_support import RecordingReporter

SYNC_UUID = uuid.UUID("33333333-3333-3333-3333-333333333333")
CONNECTION_UUID = uuid.UUID("44444444-4444-4444-4444-444444444444")


def sync_row(
    provider: str,
    entities: list[str],
    *,
    source_config: dict[str, Any] | None = None,
    bindings: list[dict[str, Any]] | None = None,
) -> Sync:
    """A stored sync, as the db layer hands it to `plans.build_run`."""
    now = datetime.now(UTC)
    return Sync(
        id=SYNC_UUID, connection_id=CONNECTION_UUID, name="preset", slug=None, provider_key=provider,
        entities=entities, source_config=source_config or {}, destination_config={}, execution_backend="native",
        execution_config={}, execution_mode="sequential", status="active", trigger_mode="manual", schedule=None,
        freshness_sla_seconds=None, table_bindings=bindings or [], credential_id=None, last_error=None,
        last_success_at=None, task_slug=None, created_at=now, updated_at=now, created_by=None, updated_by=None,
    )


def connection_row(config: dict[str, Any]) -> Connection:
    now = datetime.now(UTC)
    return Connection(
        id=CONNECTION_UUID, name="preset", provider_key="http_api", config=config, credential_id=uuid.uuid4(),
        created_at=now, updated_at=now, created_by=None, updated_by=None,
    )


def plan(provider: str, entities: list[str], connection: dict[str, Any], *, run_mode: str = "full", **sync: Any) -> NewRun:
    return plans.build_run(sync_row(provider, entities, **sync), connection_row(connection), run_mode, "manual", None)


async def run_plan(run: NewRun, secrets: dict[str, str], dest_dsn: str) -> RunContext:
    """Runs a plan's attempt in-process, as an executor would after Assign."""
    run_id = str(uuid.uuid4())
    ctx = RunContext(
        run_id=run_id,
        root_run_id=run_id,
        token=1,
        attempt_number=1,
        kind="sync",
        # The run mode rides in the plan as SyncHooks.prepare_assignment puts it there.
        spec={**run.spec, "runMode": run.run_mode},
        secrets={"source": secrets, "destinationDsn": dest_dsn},
        checkpoint={},
        reporter=RecordingReporter(),
    )
    await http_api.run(ctx)
    return ctx


__all__ = ["SYNC_UUID", "connection_row", "plan", "run_plan", "sync_row"]

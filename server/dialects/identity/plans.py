"""What an executor runs for an identity activity (the plan of docs/identity.md),
and the engine hooks of the "identity" subject kind."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import structlog

from syncplane.server.db import identity as db
from syncplane.server.db.identity_models import ConnectedSystemView, Partition, SyncRule
from syncplane.server.db.models import Run
from syncplane.server.db.runs import NewRun
from syncplane.server.dialects.identity import rules
from syncplane.server.dialects.identity import status as st
from syncplane.server.engine.hooks import BaseKindHooks

log = structlog.get_logger(__name__)

KIND = "identity"
#: The executor connector that runs every identity plan.
CONNECTOR = "identity"
# An identity run rereads its source from the start when resumed; a couple of
# automatic retries cover a lost executor without looping on a broken system.
AUTO_RESUMES = 2


def mutex_key(cs_id: int) -> str:
    """Runs of one connected system run one at a time, in queue order: two
    imports into one connector space at once would race on its objects. A
    second execute waits (the reference queues executions) instead of being
    refused; what several systems share (the metaverse) the executor's own
    advisory locks serialise."""
    return f"identity:cs:{cs_id}"


def sync_rule_plan(row: SyncRule) -> dict[str, Any]:
    return {
        **row.rule, "id": row.id, "name": row.name, "connectedSystemId": row.connected_system_id,
        "direction": row.direction, "enabled": row.enabled, "precedence": row.precedence,
    }


async def build_plan(
    conn: asyncpg.Connection | asyncpg.Pool,
    activity_id: uuid.UUID,
    cs: ConnectedSystemView,
    run_type: str,
    *,
    page_size: int = rules.PAGE_SIZE_DEFAULT,
    partition: Partition | None = None,
    file_path: str | None = None,
    file_roots: tuple[str, ...] = (),
) -> dict[str, Any]:
    rule_rows = await db.enabled_sync_rules(conn)
    referenced = sorted({r.connected_system_id for r in rule_rows} | {cs.id})
    systems = {str(r["id"]): {"name": r["name"], "connector": r["connector"]}
               for r in await db.connected_system_names(conn, referenced)}
    return {
        "activityId": str(activity_id),
        "runType": run_type,
        "pageSize": page_size,
        "connectedSystem": {
            "id": cs.id, "name": cs.name, "connector": cs.connector, "settings": dict(cs.settings),
            "objectTypes": list(cs.object_types),
        },
        "partition": (
            {"id": partition.id, "name": partition.name, "externalId": partition.external_id}
            if partition is not None else None
        ),
        "filePath": file_path,
        "fileRoots": list(file_roots),
        "syncRules": [sync_rule_plan(r) for r in rule_rows],
        "connectedSystems": systems,
    }


def new_run(activity_id: uuid.UUID, cs: ConnectedSystemView, spec: dict[str, Any], initiated_by: str | None) -> NewRun:
    return NewRun(
        subject_kind=KIND,
        subject_id=activity_id,
        connector=CONNECTOR,
        spec=spec,
        triggered_by="manual",
        run_mode="full" if spec["runType"] in ("FullImport", "FullSynchronisation") else "incremental",
        mutex_key=mutex_key(cs.id),
        trigger_ref=initiated_by,
        credential_ids={"connector": str(cs.credential_id)},
        max_auto_resume_attempts=AUTO_RESUMES,
    )


class IdentityHooks(BaseKindHooks):
    """The engine's view of the "identity" subject kind."""

    def __init__(self, data_store_url: str) -> None:
        self._data_store_url = data_store_url

    def prepare_assignment(self, run: Run, secrets: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        return dict(run.spec), {"storeDsn": self._data_store_url, "connector": secrets.get("connector") or {}}

    async def on_terminal(self, conn: asyncpg.Connection, run: Run) -> None:
        """Ends the activity by the reference's rules, and keeps the connected
        systems' counts (and, after ImportSchema, their schema) as reported."""
        activity = await db.lock_activity(conn, run.subject_id)
        if activity is None:
            log.warning("identity.activity_missing", activity_id=str(run.subject_id))  # the engine bound the run's ids
            return
        summary = run.summary or {}
        detail = dict(summary.get("detail") or (run.progress or {}).get("detail") or {})
        # Warnings given when the run was queued (e.g. no partition selected) count as the run's own.
        queued_warnings = [w for w in activity.warnings or [] if w not in (detail.get("warnings") or [])]
        if queued_warnings:
            detail["warnings"] = [*queued_warnings, *(detail.get("warnings") or [])]
        outcome = st.final_outcome(run.status, run.error, detail)
        await db.finish_activity(
            conn, activity.id, status=outcome.status, executed_at=run.started_at, ended_at=run.completed_at,
            message=outcome.message, error_message=outcome.error_message, warning_message=outcome.warning_message,
            detail=detail,
        )
        log.info("identity.activity_ended", activity_id=str(activity.id), status=outcome.status,
                 run_status=run.status)  # the engine bound run_id, subject_id and attempt
        cs_id = activity.connected_system_id
        if run.status != "succeeded" or cs_id is None:
            return
        await _record_counts(conn, cs_id, detail)
        if activity.run_type == rules.IMPORT_SCHEMA:
            await _record_schema(conn, cs_id, detail)


async def _record_counts(conn: asyncpg.Connection, cs_id: int, detail: dict[str, Any]) -> None:
    if "objectCount" in detail:
        await db.set_object_count(conn, cs_id, int(detail["objectCount"] or 0))
    pending = detail.get("pendingExports") or {}
    counts: dict[int, int] = {}
    for key, value in pending.items() if isinstance(pending, dict) else ():
        try:
            counts[int(key)] = int(value or 0)
        except (TypeError, ValueError):
            log.warning("identity.bad_pending_exports", key=key, value=value)
    await db.set_pending_exports(conn, counts)


async def _record_schema(conn: asyncpg.Connection, cs_id: int, detail: dict[str, Any]) -> None:
    object_types = [t for t in detail.get("objectTypes") or [] if isinstance(t, dict) and t.get("name")]
    containers = list(detail.get("containers") or [])
    await db.save_schema(conn, cs_id, object_types, containers)
    found = [
        (str(p.get("name") or p.get("externalId")), str(p.get("externalId") or p.get("name")))
        for p in detail.get("partitions") or [] if isinstance(p, dict) and (p.get("name") or p.get("externalId"))
    ]
    await db.replace_partitions(conn, cs_id, found)
    log.info("identity.schema_saved", connected_system_id=cs_id, object_types=len(object_types), partitions=len(found))

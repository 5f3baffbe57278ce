"""Helpers for the identity connector's tests: plans, rules, runs and store reads.

Runs go through `executor.connectors.identity.run` with a real RunContext and
a recording reporter (no mocks); the store is a real PostgreSQL database.
"""

from __future__ import annotations

import csv
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from syncplane.executor.connectors import identity
from syncplane.executor.context import RunContext


@dataclass
class Recorder:
    """Keeps every detail the run reported; can cancel after some checkpoints."""

    cancel_after_checkpoints: int | None = None
    details: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def report_progress(self, ctx: RunContext) -> None:
        if ctx.detail:
            self.details.append(json.loads(json.dumps(ctx.detail)))

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        self.checkpoints.append(state)
        if self.cancel_after_checkpoints is not None and len(self.checkpoints) >= self.cancel_after_checkpoints:
            ctx.cancel_event.set()


def system(cs_id: int, connector: str, settings: dict[str, Any], name: str | None = None,
           object_types: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": cs_id, "name": name or f"system {cs_id}", "connector": connector, "settings": settings,
            "objectTypes": object_types or []}


def make_ctx(
    store_dsn: str,
    run_type: str,
    connected_system: dict[str, Any],
    *,
    rules: list[dict[str, Any]] | None = None,
    page_size: int = 100,
    file_path: str | None = None,
    file_roots: list[str] | None = None,
    partition: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
    recorder: Recorder | None = None,
) -> RunContext:
    run_id = str(uuid.uuid4())
    return RunContext(
        run_id=run_id,
        root_run_id=run_id,
        token=1,
        attempt_number=1,
        kind="identity",
        spec={
            "activityId": str(uuid.uuid4()),
            "runType": run_type,
            "pageSize": page_size,
            "connectedSystem": connected_system,
            "partition": partition,
            "filePath": file_path,
            "fileRoots": file_roots or [],
            "syncRules": rules or [],
            "connectedSystems": {},
        },
        secrets={"storeDsn": store_dsn, "connector": secrets or {}},
        checkpoint={},
        reporter=recorder or Recorder(),
    )


async def run(store_dsn: str, run_type: str, connected_system: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Runs one identity run to its end; returns the summary's detail."""
    ctx = make_ctx(store_dsn, run_type, connected_system, **kwargs)
    await identity.run(ctx)
    return ctx.summary()["detail"]


def inbound(cs_id: int, *, flows: list[dict[str, Any]], joins: list[tuple[str, str]] | None = None,
            project: bool = True, scope: list[dict[str, Any]] | None = None, precedence: int = 1,
            rule_id: int = 1, cs_type: str = "person") -> dict[str, Any]:
    return {
        "id": rule_id, "name": f"in {rule_id}", "connectedSystemId": cs_id, "direction": "Inbound",
        "csObjectType": cs_type, "mvObjectType": "person", "enabled": True, "precedence": precedence,
        "scope": scope or [], "joinRules": [{"csAttribute": c, "mvAttribute": m} for c, m in joins or []],
        "projectToMetaverse": project, "attributeFlows": flows,
    }


def outbound(cs_id: int, *, flows: list[dict[str, Any]], scope: list[dict[str, Any]] | None = None,
             provision: bool = True, deprovision: bool = True, template: str | None = None,
             rule_id: int = 100, cs_type: str = "person") -> dict[str, Any]:
    return {
        "id": rule_id, "name": f"out {rule_id}", "connectedSystemId": cs_id, "direction": "Outbound",
        "csObjectType": cs_type, "mvObjectType": "person", "enabled": True, "precedence": 1,
        "scope": scope or [], "joinRules": [], "provisionToConnectedSystem": provision,
        "deprovisionWhenOutOfScope": deprovision, "externalIdTemplate": template, "attributeFlows": flows,
    }


def flow(target: str, source: str | None = None, transform: str = "None", **extra: Any) -> dict[str, Any]:
    return {"target": target, "source": source or target, "transform": transform, **extra}


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def execute(dsn: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def cs_objects(dsn: str, cs_id: int) -> dict[str, dict[str, Any]]:
    """The connector space of one system by anchor: status, attributes, mv_id."""
    rows = await fetch(
        dsn, "SELECT anchor, status, attributes::text, mv_id, external_id FROM idm.cs_objects WHERE cs_id = $1", cs_id
    )
    return {
        r[0]: {"status": r[1], "attributes": json.loads(r[2]), "mv_id": r[3], "external_id": r[4]} for r in rows
    }


async def metaverse(dsn: str) -> dict[int, dict[str, Any]]:
    rows = await fetch(dsn, "SELECT id, attributes::text FROM idm.mv_objects")
    return {r[0]: json.loads(r[1]) for r in rows}


async def pending(dsn: str, cs_id: int) -> list[dict[str, Any]]:
    rows = await fetch(
        dsn,
        "SELECT pe.operation, pe.attributes::text, pe.attempts, pe.last_error, c.external_id, c.anchor"
        " FROM idm.pending_exports pe JOIN idm.cs_objects c ON c.id = pe.cs_object_id WHERE pe.cs_id = $1"
        " ORDER BY pe.id",
        cs_id,
    )
    return [
        {"operation": r[0], "attributes": json.loads(r[1]), "attempts": r[2], "error": r[3],
         "external_id": r[4], "anchor": r[5]}
        for r in rows
    ]

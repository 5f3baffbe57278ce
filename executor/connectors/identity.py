"""The `identity` connector: one run of a run profile (docs/identity.md).

Dispatches on the plan's runType: ImportSchema, Full/DeltaImport and Export
talk to the connected system through its connector (File, SQL, LDAP);
Full/DeltaSynchronisation work inside the identity store only. Runs that
change one connector space (import, export) hold that system's advisory lock;
synchronisations hold the metaverse lock; a second run waits for the first.
Counters and phases go out as the run's `detail` while it runs and at its end.
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
import structlog

from syncplane.executor import pools
from syncplane.executor.context import Cancelled, RunContext, RunFailed
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.identity import store
from syncplane.executor.identity.base import Connector
from syncplane.executor.identity.counters import RunReport
from syncplane.executor.identity.csv_connector import CsvConnector
from syncplane.executor.identity.exporter import EXPORT_PHASES, Exporter
from syncplane.executor.identity.importer import IMPORT_PHASES, Importer
from syncplane.executor.identity.ldap_connector import LdapConnector
from syncplane.executor.identity.plan import IdentityPlan, config_error, parse_plan
from syncplane.executor.identity.rules import parse_rules
from syncplane.executor.identity.sql_connector import SqlConnector
from syncplane.executor.identity.synchroniser import SYNC_PHASES, Synchroniser

log = structlog.get_logger(__name__)

SCHEMA_PHASES = [("connect", "Connecting"), ("schema", "Reading the schema")]


def _phases(run_type: str) -> list[tuple[str, str]]:
    if run_type in ("FullImport", "DeltaImport"):
        return IMPORT_PHASES
    if run_type in ("FullSynchronisation", "DeltaSynchronisation"):
        return SYNC_PHASES
    if run_type == "Export":
        return EXPORT_PHASES
    return SCHEMA_PHASES


def make_connector(plan: IdentityPlan, secrets: dict[str, Any], stack: contextlib.AsyncExitStack) -> Connector:
    kind = plan.system.connector
    if kind == "file":
        return CsvConnector(plan)
    if kind == "sql":
        return SqlConnector(plan, secrets, stack)
    return LdapConnector(plan, secrets)


async def _store(stack: contextlib.AsyncExitStack, dsn: str) -> asyncpg.Connection:
    try:
        return await stack.enter_async_context(pools.connection(dsn))
    except (ValueError, TypeError) as exc:
        raise RunFailed(f"store connection settings: {type(exc).__name__}", "config_error") from exc


async def _execute(ctx: RunContext, plan: IdentityPlan, report: RunReport) -> dict[str, Any]:
    """The run itself; returns the end-of-run keys of the summary detail."""
    dsn = ctx.secrets.get("storeDsn")
    if not dsn:
        raise config_error("no storeDsn in the run's secrets")
    secrets = ctx.secrets.get("connector") or {}
    run_type, cs_id = plan.run_type, plan.system.id
    async with contextlib.AsyncExitStack() as stack:
        report.start(_phases(run_type)[0][0])
        with translating("store"):
            conn = await _store(stack, dsn)
            await store.ensure_schema(conn)
        if run_type in ("FullSynchronisation", "DeltaSynchronisation"):
            rules = parse_rules(plan.sync_rules)
            with translating("store"):
                async with store.hold(conn, ctx, store.metaverse_lock(), "metaverse"):
                    await Synchroniser(ctx, plan, conn, report, rules).run(delta=run_type == "DeltaSynchronisation")
                targets = [cs_id] + [r.system_id for r in rules if r.direction == "Outbound"]
                return {
                    "objectCount": await store.object_count(conn, cs_id),
                    "pendingExports": await store.pending_export_counts(conn, targets),
                }
        connector = make_connector(plan, secrets, stack)
        stack.push_async_callback(connector.close)
        if run_type == "ImportSchema":
            report.start("schema")
            info = await connector.schema()
            return {"objectTypes": info.object_types, "partitions": info.partitions, "containers": info.containers}
        with translating("store"):
            async with store.hold(conn, ctx, store.system_lock(cs_id), f"connected system {cs_id}"):
                if run_type == "FullImport":
                    await Importer(ctx, plan, connector, conn, report).full()
                elif run_type == "DeltaImport":
                    await Importer(ctx, plan, connector, conn, report).delta()
                else:
                    await Exporter(ctx, plan, connector, conn, report).run()
            return {
                "objectCount": await store.object_count(conn, cs_id),
                "pendingExports": await store.pending_export_counts(conn, [cs_id]),
            }


async def run(ctx: RunContext) -> None:
    """Runs one attempt; raises Cancelled or RunFailed to end otherwise."""
    if ctx.kind != "identity":
        raise RunFailed(f"the identity connector runs identity plans, not {ctx.kind!r}", "config_error")
    plan = parse_plan(ctx.spec)
    report = RunReport(ctx, _phases(plan.run_type))
    bound = log.bind(run_id=ctx.run_id, activity_id=plan.activity_id, cs_id=plan.system.id, run_type=plan.run_type)
    bound.info("identity.run_started", connector=plan.system.connector, page_size=plan.page_size)
    try:
        extra = await _execute(ctx, plan, report)
    except Cancelled:
        report.fail(cancelled=True)
        report.publish_final()
        bound.info("identity.run_cancelled", processed=report.objects_processed)
        raise
    except BaseException:
        report.fail()
        report.publish_final()
        raise
    report.finish()
    report.message = f"{plan.run_type} complete"
    report.publish_final(**extra)
    ctx.progress(phase="done", message=report.message)
    bound.info("identity.run_finished", processed=report.objects_processed, **report.counters)


__all__ = ["make_connector", "run"]

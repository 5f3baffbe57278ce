"""Export: a system's pending exports out to it, then confirmed into its connector space.

Pages of `pageSize` pending exports (by id) go to the connector; each item's
result is then confirmed in one store transaction: a success writes what the
system now holds into the connector-space object (so the next synchronisation
sees no difference) and removes the pending export — only if it is still the
version that was exported, since a synchronisation may have changed it
meanwhile; a failure stays pending with its error and one more attempt, and
the next export retries it. A connector that writes at the end (a file) is
confirmed after that write.
"""

from __future__ import annotations

import json

import asyncpg
import structlog

from syncplane.executor.context import RunContext
from syncplane.executor.identity import store
from syncplane.executor.identity.base import Connector, ExportItem, ExportResult
from syncplane.executor.identity.counters import RunReport
from syncplane.executor.identity.plan import IdentityPlan

log = structlog.get_logger(__name__)

EXPORT_PHASES = [("connect", "Connecting"), ("export", "Exporting changes"), ("confirm", "Confirming exports")]

_PAGE = """
SELECT pe.id, pe.operation, pe.attributes::text AS attributes, pe.version,
       c.id AS cs_object_id, c.object_type, c.anchor, c.external_id
FROM idm.pending_exports pe JOIN idm.cs_objects c ON c.id = pe.cs_object_id
WHERE pe.cs_id = $1 AND pe.id > $2
ORDER BY pe.id LIMIT $3
"""

# An object imported from the system before it was provisioned there and never
# joined: the confirmed add replaces it (else the anchor would be there twice).
_DROP_SHADOWS = """
DELETE FROM idm.cs_objects s USING unnest($2::text[], $3::text[]) AS v(t, a)
WHERE s.cs_id = $1 AND s.object_type = v.t AND s.anchor = v.a AND s.mv_id IS NULL
"""

_CONFIRM_ADDS = """
UPDATE idm.cs_objects c SET status = 'normal', anchor = v.a, external_id = coalesce(v.e, c.external_id),
  attributes = v.j::jsonb, updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS v(i, a, e, j) WHERE c.id = v.i
"""

_CONFIRM_UPDATES = """
UPDATE idm.cs_objects c SET attributes = jsonb_strip_nulls(c.attributes || v.j::jsonb),
  external_id = coalesce(v.e, c.external_id), updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(i, j, e) WHERE c.id = v.i
"""

_DONE = """
DELETE FROM idm.pending_exports pe USING unnest($1::bigint[], $2::int[]) AS v(i, n)
WHERE pe.id = v.i AND pe.version = v.n
"""

_FAILED = """
UPDATE idm.pending_exports pe SET attempts = attempts + 1, last_error = v.e, updated_at = now()
FROM unnest($1::bigint[], $2::text[]) AS v(i, e) WHERE pe.id = v.i
"""


class Exporter:
    def __init__(
        self, ctx: RunContext, plan: IdentityPlan, connector: Connector, conn: asyncpg.Connection, report: RunReport
    ) -> None:
        self.ctx = ctx
        self.plan = plan
        self.connector = connector
        self.conn = conn
        self.report = report
        self.cs_id = plan.system.id
        self.log = log.bind(run_id=ctx.run_id, cs_id=self.cs_id)

    async def run(self) -> None:
        self.report.objects_to_process = int(
            await self.conn.fetchval("SELECT count(*) FROM idm.pending_exports WHERE cs_id = $1", self.cs_id) or 0
        )
        self.report.start("export")
        last_id, pages = 0, 0
        deferred: list[tuple[list[tuple[ExportItem, int, int]], list[ExportResult]]] = []
        while True:
            rows = await self.conn.fetch(_PAGE, self.cs_id, last_id, self.plan.page_size)
            if not rows:
                break
            last_id = rows[-1]["id"]
            items = [
                (
                    ExportItem(
                        id=r["id"],
                        operation=r["operation"],
                        object_type=r["object_type"],
                        anchor=r["anchor"],
                        external_id=r["external_id"],
                        attributes=json.loads(r["attributes"]),
                    ),
                    r["version"],
                    r["cs_object_id"],
                )
                for r in rows
            ]
            results = await self.connector.export([item for item, _, _ in items])
            pages += 1
            if self.connector.writes_on_finish:
                deferred.append((items, results))
            else:
                await self._confirm(items, results)
            self.report.processed(len(items))
            self.report.publish()
            self.ctx.commit_checkpoint({"phase": "export", "pages": pages, "lastId": last_id})
            self.ctx.raise_if_cancelled()
        await self.connector.finish_export()
        if deferred:
            self.report.start("confirm")
            for items, results in deferred:
                await self._confirm(items, results)
        self.log.info("identity.export_done", pages=pages, **self.report.counters)

    async def _confirm(self, items: list[tuple[ExportItem, int, int]], results: list[ExportResult]) -> None:
        by_id = {r.item_id: r for r in results}
        adds: list[tuple[int, str | None, str | None, str, str]] = []
        updates: list[tuple[int, str, str | None]] = []
        deletes: list[int] = []
        done: list[tuple[int, int]] = []
        failed: list[tuple[int, str]] = []
        for item, version, cs_object_id in items:
            result = by_id.get(item.id) or ExportResult(item.id, error="the connector returned no result")
            if result.error is not None:
                failed.append((item.id, result.error))
                self.report.item_error(result.anchor or item.anchor or item.external_id or f"cs:{cs_object_id}", result.error)
                continue
            done.append((item.id, version))
            if item.operation == "Add":
                present = {k: v for k, v in item.attributes.items() if v is not None}
                adds.append((cs_object_id, result.anchor, result.external_id, store.dumps(present), item.object_type))
                self.report.add(totalAdded=1)
            elif item.operation == "Update":
                updates.append((cs_object_id, store.dumps(item.attributes), result.external_id))
                self.report.add(totalUpdated=1)
            else:
                deletes.append(cs_object_id)
                self.report.add(totalDeleted=1)
        async with self.conn.transaction():
            await store.prefer_index_joins(self.conn)
            if adds:
                # The objects being confirmed have no anchor yet: only a shadow can match.
                await self.conn.execute(_DROP_SHADOWS, self.cs_id, [a[4] for a in adds], [a[1] for a in adds])
                await self.conn.execute(
                    _CONFIRM_ADDS, [a[0] for a in adds], [a[1] for a in adds], [a[2] for a in adds], [a[3] for a in adds]
                )
            if updates:
                await self.conn.execute(
                    _CONFIRM_UPDATES, [u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates]
                )
            if done:
                await self.conn.execute(_DONE, [d[0] for d in done], [d[1] for d in done])
            if deletes:
                await self.conn.execute("DELETE FROM idm.cs_objects WHERE id = ANY($1::bigint[])", deletes)
            if failed:
                await self.conn.execute(_FAILED, [f[0] for f in failed], [f[1] for f in failed])
        self.report.add(totalExported=len(done))


__all__ = ["EXPORT_PHASES", "Exporter"]

"""Full and delta import: a connected system's objects into its connector space.

Every page (`pageSize` objects) is one store transaction: a set-based upsert
that writes only objects whose attributes changed (so re-reading an unchanged
object, as a closed watermark boundary does, changes nothing) and marks them
for the next delta synchronisation. A full import remembers every anchor it
saw in a temporary table and, once the whole system was read, marks the
objects it did not see as deleted; a cancelled or failed full import marks
nothing. A delta import applies the connector's changes and stores the
watermark in the same transaction as the page that reached it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import asyncpg
import structlog

from syncplane.executor.context import RunContext
from syncplane.executor.identity import store
from syncplane.executor.identity.base import Change, Connector, CountsFullImport, ExternalObject
from syncplane.executor.identity.counters import RunReport
from syncplane.executor.identity.plan import IdentityPlan
from syncplane.failpoints import failpoint

log = structlog.get_logger(__name__)
_T = TypeVar("_T")

IMPORT_PHASES = [("connect", "Connecting"), ("import", "Importing objects"), ("deletions", "Marking deleted objects")]

_UPSERT = """
WITH up AS (
  INSERT INTO idm.cs_objects AS cs (cs_id, object_type, anchor, external_id, partition, attributes)
  SELECT $1, t, a, e, p, j::jsonb FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS v(t, a, e, p, j)
  ON CONFLICT (cs_id, object_type, anchor) DO UPDATE
    SET attributes = EXCLUDED.attributes, external_id = EXCLUDED.external_id, partition = EXCLUDED.partition,
        status = 'normal', change_seq = nextval('idm.change_seq'), updated_at = now()
    WHERE cs.attributes IS DISTINCT FROM EXCLUDED.attributes OR cs.status <> 'normal'
       OR cs.external_id IS DISTINCT FROM EXCLUDED.external_id
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
"""

_SEEN_TABLE = "CREATE TEMP TABLE IF NOT EXISTS idm_seen (object_type text, anchor text, PRIMARY KEY (object_type, anchor))"
_SEEN = "INSERT INTO idm_seen SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING"

_MARK_UNSEEN = """
WITH gone AS (
  UPDATE idm.cs_objects cs SET status = 'deleted', change_seq = nextval('idm.change_seq'), updated_at = now()
  WHERE cs.cs_id = $1 AND cs.status = 'normal' AND ($2::text IS NULL OR cs.partition = $2)
    AND NOT EXISTS (SELECT 1 FROM idm_seen s WHERE s.object_type = cs.object_type AND s.anchor = cs.anchor)
  RETURNING 1
)
SELECT count(*) FROM gone
"""

_MARK_DELETED = """
WITH gone AS (
  UPDATE idm.cs_objects cs SET status = 'deleted', change_seq = nextval('idm.change_seq'), updated_at = now()
  FROM unnest($2::text[], $3::text[]) AS v(t, a)
  WHERE cs.cs_id = $1 AND cs.anchor = v.a AND (v.t IS NULL OR cs.object_type = v.t) AND cs.status = 'normal'
  RETURNING 1
)
SELECT count(*) FROM gone
"""


def _unique(objects: list[ExternalObject], report: RunReport) -> list[ExternalObject]:
    """One object per (type, anchor) in a page: a set-based upsert cannot touch a row twice."""
    by_key: dict[tuple[str, str], ExternalObject] = {}
    for obj in objects:
        key = (obj.object_type, obj.anchor)
        if key in by_key:
            report.item_error(obj.anchor, "the anchor occurs more than once; the last occurrence was kept")
        by_key[key] = obj
    return list(by_key.values())


async def _upsert(conn: asyncpg.Connection, cs_id: int, objects: list[ExternalObject]) -> tuple[int, int]:
    row = await conn.fetchrow(
        _UPSERT,
        cs_id,
        [o.object_type for o in objects],
        [o.anchor for o in objects],
        [o.external_id for o in objects],
        [o.partition for o in objects],
        [store.dumps(o.attributes) for o in objects],
    )
    assert row is not None
    return int(row[0]), int(row[1])


class Importer:
    def __init__(
        self, ctx: RunContext, plan: IdentityPlan, connector: Connector, conn: asyncpg.Connection, report: RunReport
    ) -> None:
        self.ctx = ctx
        self.plan = plan
        self.connector = connector
        self.conn = conn
        self.report = report
        self.cs_id = plan.system.id
        self.partition = plan.partition.external_id if plan.partition else None
        self.log = log.bind(run_id=ctx.run_id, cs_id=self.cs_id, run_type=plan.run_type)
        self.pages = 0

    async def full(self) -> None:
        await self._start_seen()
        self.report.start("import")
        await self._count_total()
        async for page in self._pages(self.connector.full_import(self.plan.page_size)):
            objects = _unique(page, self.report)
            async with self.conn.transaction():
                await store.prefer_index_joins(self.conn)
                added, updated = await _upsert(self.conn, self.cs_id, objects) if objects else (0, 0)
                await self.conn.execute(_SEEN, [o.object_type for o in objects], [o.anchor for o in objects])
            self._committed(len(page), totalAdded=added, totalUpdated=updated)
            await failpoint("executor.batch.committed")
        await self._mark_unseen()
        watermark = getattr(self.connector, "full_import_watermark", None)
        if watermark is not None:
            await store.save_watermark(self.conn, self.cs_id, self.partition, watermark)

    async def delta(self) -> None:
        watermark = await store.load_watermark(self.conn, self.cs_id, self.partition)
        self.log.info("identity.delta_import_from", watermark=watermark)
        self.report.start("import")
        async for page in self._pages(self.connector.delta_import(watermark, self.plan.page_size)):
            upserts = _unique([c.object for c in page.changes if c.object is not None], self.report)
            deletes = [c for c in page.changes if c.deleted_anchor is not None]
            async with self.conn.transaction():
                await store.prefer_index_joins(self.conn)
                added, updated = await _upsert(self.conn, self.cs_id, upserts) if upserts else (0, 0)
                deleted = await self._delete(deletes) if deletes else 0
                if page.watermark is not None:
                    await store.save_watermark(self.conn, self.cs_id, self.partition, page.watermark)
            self._committed(len(page.changes), totalAdded=added, totalUpdated=updated, totalDeleted=deleted)
        if self.connector.delta_deletes_by_scan:
            await self._start_seen()
            self.report.start("deletions", "Comparing anchors to find deleted objects")
            async for anchors in self._pages(self.connector.anchors(self.plan.page_size)):
                await self.conn.execute(_SEEN, [t for t, _ in anchors], [a for _, a in anchors])
            await self._mark_unseen()

    async def _count_total(self) -> None:
        """objectsToProcess for a connector that can count before reading (a file), so
        progress shows "X of Y" and a percent; the others' total stays unknown (0)."""
        if not isinstance(self.connector, CountsFullImport):
            return
        phase_message = self.report.message
        self.report.message = "Counting objects"
        self.report.publish()
        total = await self.connector.count_full_import()
        self.report.objects_to_process = total
        self.report.message = phase_message
        self.report.publish()
        self.log.info("identity.import_total", objects=total)

    async def _pages(self, pages: AsyncIterator[_T]) -> AsyncIterator[_T]:
        """The connector's pages, stopping at a page boundary after a cancel."""
        async for page in pages:
            yield page
            self.ctx.raise_if_cancelled()

    async def _delete(self, changes: list[Change]) -> int:
        return int(
            await self.conn.fetchval(
                _MARK_DELETED, self.cs_id, [c.deleted_type for c in changes], [c.deleted_anchor for c in changes]
            )
            or 0
        )

    async def _start_seen(self) -> None:
        await self.conn.execute(_SEEN_TABLE)
        await self.conn.execute("TRUNCATE idm_seen")

    async def _mark_unseen(self) -> None:
        self.report.start("deletions")
        async with self.conn.transaction():
            deleted = int(await self.conn.fetchval(_MARK_UNSEEN, self.cs_id, self.partition) or 0)
        await self.conn.execute("DROP TABLE IF EXISTS idm_seen")
        self.report.add(totalDeleted=deleted)
        self.log.info("identity.import_deletions", deleted=deleted)

    def _committed(self, n: int, **counts: int) -> None:
        self.pages += 1
        self.report.add(**counts)
        self.report.processed(n)
        if 0 < self.report.objects_to_process < self.report.objects_processed:
            # The source grew after it was counted: never show more done than there is.
            self.report.objects_to_process = self.report.objects_processed
        self.report.publish()
        self.ctx.commit_checkpoint({"phase": "import", "pages": self.pages, "objects": self.report.objects_processed})
        self.log.info("identity.import_page", page=self.pages, objects=n, **counts)

__all__ = ["IMPORT_PHASES", "Importer"]

"""Full and delta synchronisation: a connector space through the inbound rules into the metaverse.

A page (`pageSize` connector-space objects, by id) is one transaction:
1. load the page and the metaverse objects it is joined to;
2. deleted objects and objects out of every inbound rule's scope disconnect
   (the metaverse object goes when the system that projected it lets go),
   except objects of a type the system only receives (outbound rules, no
   inbound rule): those were joined by provisioning and stay joined;
3. unjoined objects join by their rules' join conditions (one indexed lookup
   per rule and page), or else project a new metaverse object;
4. attribute flows run by precedence;
5. the touched metaverse objects go through the outbound rules (`outbound`);
6. the objects are marked synchronised up to the change they were read at.

Delta synchronisation reads only objects with `change_seq > synced_seq`.

The writes are set-based, one statement per kind fed one JSON array, and each
runs in PostgreSQL while Python prepares the next (`overlap`): provisioning
while the metaverse is written, the links while the provisioned objects are,
and the next page (read before this page's links are written, which touch only
this page's objects) while the links are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from syncplane.executor.context import RunContext
from syncplane.executor.identity import store
from syncplane.executor.identity.counters import RunReport
from syncplane.executor.identity.outbound import MvState, Outbound
from syncplane.executor.identity.overlap import overlapped
from syncplane.executor.identity.plan import IdentityPlan
from syncplane.executor.identity.rules import Rule, inbound_flows
from syncplane.executor.identity.values import as_key

log = structlog.get_logger(__name__)

SYNC_PHASES = [("prepare", "Preparing"), ("synchronise", "Synchronising objects"), ("complete", "Completing")]

_PAGE = """
SELECT id, object_type, anchor, status, mv_id, change_seq, attributes::text AS attributes
FROM idm.cs_objects
WHERE cs_id = $1 AND id > $2 AND status <> 'provisioning' {delta}
ORDER BY id LIMIT $3
"""
_DELTA = "AND change_seq > synced_seq"

# Page writes take their rows as one JSON array (see store.records).
_INSERT_MV = """
INSERT INTO idm.mv_objects (id, object_type, attributes, contributors, projected_by)
SELECT v.i, v.t, v.a, v.c, $2 FROM jsonb_to_recordset($1::jsonb) AS v(i bigint, t text, a jsonb, c jsonb)
"""
_UPDATE_MV = """
UPDATE idm.mv_objects m SET attributes = v.a, contributors = v.c, updated_at = now()
FROM jsonb_to_recordset($1::jsonb) AS v(i bigint, a jsonb, c jsonb) WHERE m.id = v.i
"""
# Links each object to its metaverse object (or none) and marks it synchronised
# up to the change it was read at; an object already in that state is not rewritten.
_LINK = """
UPDATE idm.cs_objects c SET mv_id = v.m, synced_seq = GREATEST(c.synced_seq, v.s)
FROM jsonb_to_recordset($1::jsonb) AS v(i bigint, m bigint, s bigint)
WHERE c.id = v.i AND (c.mv_id IS DISTINCT FROM v.m OR c.synced_seq < v.s)
"""

_MV = "SELECT id, object_type, attributes::text, contributors::text, projected_by FROM idm.mv_objects WHERE id = ANY($1::bigint[])"


@dataclass
class Mv:
    id: int
    object_type: str
    attributes: dict[str, Any]
    contributors: dict[str, int]
    projected_by: int | None
    new: bool = False
    changed: bool = False
    deleted: bool = False

    @classmethod
    def of(cls, row: asyncpg.Record) -> Mv:
        return cls(row[0], row[1], store.loads(row[2]), store.loads(row[3]), row[4])


@dataclass
class CsRow:
    id: int
    object_type: str
    anchor: str
    status: str
    mv_id: int | None
    change_seq: int
    attributes: dict[str, Any]
    rules: list[Rule]
    new_mv_id: int | None = None
    obliterate: bool = False


def _index_name(mv_type: str, attribute: str) -> str:
    return "mv_join_" + hashlib.sha1(f"{mv_type}\x00{attribute}".encode()).hexdigest()[:16]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Synchroniser:
    def __init__(
        self, ctx: RunContext, plan: IdentityPlan, conn: asyncpg.Connection, report: RunReport, rules: list[Rule]
    ) -> None:
        self.ctx = ctx
        self.plan = plan
        self.conn = conn
        self.report = report
        self.cs_id = plan.system.id
        self.inbound = [r for r in rules if r.direction == "Inbound" and r.system_id == self.cs_id]
        #: Object types this system only receives: outbound rules, no inbound rule.
        #: Their objects are joined by provisioning, and the outbound rules decide
        #: when they let go (deprovision or disconnect), not the inbound scope.
        inbound_types = {r.cs_type for r in self.inbound}
        self.outbound_only = {
            r.cs_type for r in rules
            if r.direction == "Outbound" and r.system_id == self.cs_id and r.cs_type not in inbound_types
        }
        self.outbound = Outbound(conn, rules, report)
        self.query = _PAGE.format(delta="")
        self.log = log.bind(run_id=ctx.run_id, cs_id=self.cs_id, run_type=plan.run_type)

    async def run(self, *, delta: bool) -> None:
        self.report.start("prepare")
        await self._join_indexes()
        where = f"WHERE cs_id = $1 AND status <> 'provisioning' {_DELTA if delta else ''}"
        self.report.objects_to_process = int(
            await self.conn.fetchval(f"SELECT count(*) FROM idm.cs_objects {where}", self.cs_id) or 0
        )
        self.report.start("synchronise")
        self.query = _PAGE.format(delta=_DELTA if delta else "")
        objects = self._decode(await self._read(0))
        pages = 0
        while objects:
            async with self.conn.transaction():
                await store.prefer_index_joins(self.conn)
                following = await self._page(objects)
            pages += 1
            self.report.processed(len(objects))
            self.report.publish()
            self.ctx.commit_checkpoint({"phase": "synchronise", "pages": pages, "lastId": objects[-1].id})
            self.ctx.raise_if_cancelled()
            objects = following
        self.report.start("complete")
        self.log.info("identity.sync_done", pages=pages, **self.report.counters)

    async def _join_indexes(self) -> None:
        """An expression index per join attribute, so a join is an index lookup however big the metaverse."""
        for rule in self.inbound:
            for _, mv_attribute in rule.joins[:1]:
                name = _index_name(rule.mv_type, mv_attribute)
                if await self.conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"idm.{name}"):
                    continue
                await self.conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON idm.mv_objects ((attributes->>{_literal(mv_attribute)}))"
                    f" WHERE object_type = {_literal(rule.mv_type)}"
                )
                self.log.info("identity.join_index_created", index=name, attribute=mv_attribute)

    # -- one page ------------------------------------------------------------------------
    async def _read(self, after_id: int) -> list[asyncpg.Record]:
        return list(await self.conn.fetch(self.query, self.cs_id, after_id, self.plan.page_size))

    def _decode(self, rows: list[asyncpg.Record]) -> list[CsRow]:
        return [CsRow(r[0], r[1], r[2], r[3], r[4], r[5], store.loads(r[6]), []) for r in rows]

    async def _page(self, objects: list[CsRow]) -> list[CsRow]:
        """Synchronises one page; returns the next page, read and decoded meanwhile."""
        linked = [o.mv_id for o in objects if o.mv_id]
        mvs = {m.id: m for m in map(Mv.of, await self.conn.fetch(_MV, linked))} if linked else {}
        for obj in objects:
            obj.rules = [] if obj.status == "deleted" else [
                r for r in self.inbound if r.cs_type == obj.object_type and r.in_scope(obj.attributes)
            ]
            obj.new_mv_id = obj.mv_id
            if obj.mv_id is not None and not obj.rules and not self._held_by_outbound(obj):
                self._disconnect(obj, mvs)
            obj.obliterate = obj.status == "deleted"
        await self._join(objects, mvs)
        await self._project(objects, mvs)
        self._flow(objects, mvs)
        states = [MvState(m.id, m.object_type, None if m.deleted else m.attributes, new=m.new) for m in mvs.values()]
        # Each write runs in PostgreSQL while the next one is prepared here: the
        # outbound provisioning while the metaverse is written, the links while
        # the provisioned objects are, the next page while the links are.
        _, writes = await overlapped(self._write_metaverse(mvs), lambda: self.outbound.provision(states))
        links = await self.outbound.apply(states, writes, lambda: _links(objects))
        return await self._finish(objects, mvs, links)

    async def _finish(self, objects: list[CsRow], mvs: dict[int, Mv], links: str | None) -> list[CsRow]:
        """Writes the page's links and deletions; reads and decodes the next page meanwhile."""
        last_id = objects[-1].id
        if any(m.deleted and not m.new for m in mvs.values()):
            # Unlinking a deleted metaverse object may touch any object: read after it.
            await self._write_connector_space(objects, mvs, links)
            return self._decode(await self._read(last_id))
        # Otherwise these writes touch only this page's objects, so the next page
        # reads the same before them as after; it is decoded while they run.
        rows = await self._read(last_id)
        _, following = await overlapped(self._write_connector_space(objects, mvs, links), lambda: self._decode(rows))
        return following

    def _held_by_outbound(self, obj: CsRow) -> bool:
        """A joined object that no inbound rule could hold, of a type this system
        receives by outbound rules: what was provisioned here stays joined (else
        the next outbound pass would provision it again, a duplicate)."""
        return obj.status != "deleted" and obj.object_type in self.outbound_only

    def _disconnect(self, obj: CsRow, mvs: dict[int, Mv]) -> None:
        mv = mvs.get(obj.mv_id or 0)
        obj.new_mv_id = None
        self.report.add(totalDisconnected=1)
        if mv is not None and mv.projected_by == self.cs_id and not mv.deleted:
            mv.deleted = True
            self.report.add(totalDeleted=1)

    async def _join(self, objects: list[CsRow], mvs: dict[int, Mv]) -> None:
        taken_in_page = {o.new_mv_id for o in objects if o.new_mv_id is not None}
        for rule in self.inbound:
            if not rule.joins:
                continue
            waiting = [o for o in objects if o.new_mv_id is None and o.status != "deleted" and rule in o.rules]
            keys = {o.id: as_key(o.attributes.get(rule.joins[0][0])) for o in waiting}
            values = sorted({k for k in keys.values() if k is not None})
            if not values:
                continue
            first_mv = rule.joins[0][1]
            candidates = await self.conn.fetch(
                f"SELECT id, object_type, attributes::text, contributors::text, projected_by,"
                f" attributes->>{_literal(first_mv)} AS key,"
                f" EXISTS (SELECT 1 FROM idm.cs_objects c WHERE c.mv_id = m.id AND c.cs_id = $2) AS taken"
                # Literals, not parameters: the partial expression index only matches literally.
                f" FROM idm.mv_objects m WHERE object_type = {_literal(rule.mv_type)}"
                f" AND attributes->>{_literal(first_mv)} = ANY($1::text[])",
                values,
                self.cs_id,
            )
            by_key: dict[str, list[asyncpg.Record]] = {}
            for row in candidates:
                by_key.setdefault(row["key"], []).append(row)
            for obj in waiting:
                matches = [
                    row
                    for row in by_key.get(keys[obj.id] or "", [])
                    if all(
                        as_key(obj.attributes.get(cs_attr)) == as_key(store.loads(row[2]).get(mv_attr))
                        for cs_attr, mv_attr in rule.joins[1:]
                    )
                ]
                if not matches:
                    continue
                if len(matches) > 1:
                    self.report.item_error(obj.anchor, f"rule {rule.name!r}: {len(matches)} metaverse objects match the join")
                    obj.rules = []  # neither join nor project an ambiguous object
                    continue
                row = matches[0]
                if row["taken"] or row["id"] in taken_in_page:
                    self.report.item_error(
                        obj.anchor, f"rule {rule.name!r}: the matching metaverse object is joined to another object of this system"
                    )
                    obj.rules = []
                    continue
                mvs.setdefault(row["id"], Mv.of(row))
                obj.new_mv_id = row["id"]
                taken_in_page.add(row["id"])
                self.report.add(totalJoined=1)

    async def _project(self, objects: list[CsRow], mvs: dict[int, Mv]) -> None:
        projecting = [
            (o, next(r for r in o.rules if r.project))
            for o in objects
            if o.new_mv_id is None and o.status != "deleted" and any(r.project for r in o.rules)
        ]
        if not projecting:
            return
        ids: list[int] = await self.conn.fetchval(
            "SELECT array(SELECT nextval('idm.mv_objects_id_seq') FROM generate_series(1, $1))", len(projecting)
        )
        for (obj, rule), mv_id in zip(projecting, ids):
            mvs[mv_id] = Mv(mv_id, rule.mv_type, {}, {}, self.cs_id, new=True)
            obj.new_mv_id = mv_id
        self.report.add(totalProjected=len(projecting))

    def _flow(self, objects: list[CsRow], mvs: dict[int, Mv]) -> None:
        flows = 0
        for obj in objects:
            mv = mvs.get(obj.new_mv_id or 0)
            if mv is None or mv.deleted:
                continue
            rules = [r for r in obj.rules if r.mv_type == mv.object_type]
            attributes, contributors, changed = inbound_flows(rules, obj.attributes, mv.attributes, mv.contributors)
            if changed or contributors != mv.contributors:
                mv.attributes, mv.contributors = attributes, contributors
                mv.changed = True
                flows += changed
        self.report.add(totalAttributeFlows=flows)

    async def _write_metaverse(self, mvs: dict[int, Mv]) -> None:
        new = [m for m in mvs.values() if m.new and not m.deleted]
        if new:
            await self.conn.execute(
                _INSERT_MV,
                store.records([{"i": m.id, "t": m.object_type, "a": m.attributes, "c": m.contributors} for m in new]),
                self.cs_id,
            )
        changed = [m for m in mvs.values() if m.changed and not m.new and not m.deleted]
        if changed:
            await self.conn.execute(
                _UPDATE_MV, store.records([{"i": m.id, "a": m.attributes, "c": m.contributors} for m in changed])
            )
            self.report.add(totalUpdated=len(changed))

    async def _write_connector_space(self, objects: list[CsRow], mvs: dict[int, Mv], links: str | None) -> None:
        conn = self.conn
        if links is not None:
            await conn.execute(_LINK, links)
        gone = [o for o in objects if o.obliterate]
        if gone:
            # Only if no import revived it since we read it (its change_seq would have moved).
            await conn.execute(
                "DELETE FROM idm.cs_objects c USING unnest($1::bigint[], $2::bigint[]) AS v(i, s)"
                " WHERE c.id = v.i AND c.change_seq = v.s AND c.status = 'deleted'",
                [o.id for o in gone],
                [o.change_seq for o in gone],
            )
        deleted = [m.id for m in mvs.values() if m.deleted and not m.new]
        if deleted:
            await store.unlink_and_delete_metaverse(conn, deleted)


def _links(objects: list[CsRow]) -> str | None:
    """The `_LINK` payload: every object of the page that stays, with its metaverse object (or none)."""
    kept = [{"i": o.id, "m": o.new_mv_id, "s": o.change_seq} for o in objects if not o.obliterate]
    return store.records(kept) if kept else None


__all__ = ["SYNC_PHASES", "Synchroniser"]

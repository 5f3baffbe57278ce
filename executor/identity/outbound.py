"""Outbound synchronisation: what the metaverse implies for other connected systems.

For each metaverse object a sync page touched, and each target system with
outbound rules for its type: provision (a new connector-space object awaiting
its Add), update (the attributes that differ from what the target has
confirmed), deprovision (a Delete, when the object left every rule's scope and
a rule says so) or disconnect. Pending exports are computed against the
target's *confirmed* attributes, so a recomputation replaces the pending
export rather than piling up changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg

from syncplane.executor.identity import store
from syncplane.executor.identity.counters import RunReport
from syncplane.executor.identity.overlap import overlapped
from syncplane.executor.identity.rules import Rule, outbound_values

_T = TypeVar("_T")


@dataclass
class MvState:
    """A metaverse object as outbound sync sees it (None attributes: being deleted)."""

    id: int
    object_type: str
    attributes: dict[str, Any] | None
    #: Created by this page: no connector-space object can be linked to it yet.
    new: bool = False


@dataclass
class _Writes:
    #: Provisioned objects, each with its Add: mv id, target system, type, external id, attributes.
    new_objects: list[dict[str, Any]] = field(default_factory=list)
    #: `new_objects` already encoded for `_PROVISION` (payload, count), see `seal`.
    sealed: list[tuple[str, int]] = field(default_factory=list)
    #: Exports of existing connector-space objects: target system, object id, operation, attributes.
    exports: list[dict[str, Any]] = field(default_factory=list)
    drop_exports: list[int] = field(default_factory=list)
    disconnect: list[int] = field(default_factory=list)
    delete_objects: list[int] = field(default_factory=list)
    external_ids: list[tuple[int, str]] = field(default_factory=list)

    def seal(self) -> None:
        """Encodes the provisioned objects so far (encoding is a good part of the Python work)."""
        if self.new_objects:
            self.sealed.append((store.records(self.new_objects), len(self.new_objects)))
            self.new_objects = []


_TARGETS = """
SELECT c.id, c.cs_id, c.mv_id, c.status, c.external_id, c.attributes::text AS attributes
FROM idm.cs_objects c WHERE c.mv_id = ANY($1::bigint[]) AND c.cs_id = ANY($2::int[])
"""

# A provisioned object and its Add in one statement: the ids come from the
# sequence inside it (no round trip for them), and a new object cannot have a
# pending export yet, so its Add is a plain insert (no conflict to resolve).
_PROVISION = """
WITH v AS MATERIALIZED (
  SELECT nextval('idm.cs_objects_id_seq') AS id, v.*
  FROM jsonb_to_recordset($1::jsonb) AS v(m bigint, c int, t text, e text, a jsonb)
), created AS (
  INSERT INTO idm.cs_objects (id, cs_id, object_type, external_id, status, mv_id, synced_seq, change_seq)
  SELECT id, c, t, e, 'provisioning', m, 0, 0 FROM v
)
INSERT INTO idm.pending_exports (cs_id, cs_object_id, operation, attributes)
SELECT c, id, 'Add', a FROM v
"""

_UPSERT_EXPORTS = """
WITH up AS (
  INSERT INTO idm.pending_exports AS pe (cs_id, cs_object_id, operation, attributes)
  SELECT c, o, op, a FROM jsonb_to_recordset($1::jsonb) AS v(c int, o bigint, op text, a jsonb)
  ON CONFLICT (cs_object_id) DO UPDATE
    SET operation = EXCLUDED.operation, attributes = EXCLUDED.attributes, version = pe.version + 1, updated_at = now()
    WHERE pe.operation IS DISTINCT FROM EXCLUDED.operation OR pe.attributes IS DISTINCT FROM EXCLUDED.attributes
  RETURNING 1
)
SELECT count(*) FROM up
"""


class Outbound:
    def __init__(self, conn: asyncpg.Connection, rules: list[Rule], report: RunReport) -> None:
        self.conn = conn
        self.report = report
        #: Outbound rules by metaverse type, then by target system (each list by precedence).
        self.rules: dict[str, dict[int, list[Rule]]] = {}
        for rule in rules:
            if rule.direction == "Outbound":
                self.rules.setdefault(rule.mv_type, {}).setdefault(rule.system_id, []).append(rule)
        self.targets = sorted({r.system_id for r in rules if r.direction == "Outbound"})

    def provision(self, objects: list[MvState]) -> _Writes:
        """The writes for the page's new metaverse objects, without SQL: nothing links to them yet.

        Runs while PostgreSQL writes the metaverse (see `overlap`).
        """
        writes = _Writes()
        for mv in objects:
            if mv.new:
                for system_id, rules in self.rules.get(mv.object_type, {}).items():
                    self._one(mv, system_id, rules, None, writes)
        writes.seal()
        return writes

    async def apply(self, objects: list[MvState], writes: _Writes, meanwhile: Callable[[], _T]) -> _T:
        """Adds the writes for the page's other metaverse objects (their targets read first) and writes all.

        Runs the caller's `meanwhile` (Python work, no SQL) while the largest of these writes runs.
        """
        existing = [o for o in objects if not o.new and o.object_type in self.rules]
        if existing:
            linked: dict[tuple[int, int], asyncpg.Record] = {}
            for row in await self.conn.fetch(_TARGETS, [o.id for o in existing], self.targets):
                linked[(row["mv_id"], row["cs_id"])] = row
            for mv in existing:
                for system_id, rules in self.rules[mv.object_type].items():
                    self._one(mv, system_id, rules, linked.get((mv.id, system_id)), writes)
        return await self._write(writes, meanwhile)

    def _one(self, mv: MvState, system_id: int, rules: list[Rule], target: asyncpg.Record | None, w: _Writes) -> None:
        attributes = mv.attributes
        in_scope = [r for r in rules if attributes is not None and r.in_scope(attributes)]
        if target is None:
            provisioning = [r for r in in_scope if r.provision]
            if not provisioning or attributes is None:
                return
            desired = outbound_values(in_scope, attributes)
            rule = provisioning[0]
            present = _present(desired)
            w.new_objects.append(
                {"m": mv.id, "c": system_id, "t": rule.cs_type, "e": _external_id(rule, present, attributes),
                 "a": present}
            )
            self.report.add(totalProvisioned=1)
            return
        status = target["status"]
        if not in_scope:
            if any(r.deprovision for r in rules):
                if status == "provisioning":
                    w.delete_objects.append(target["id"])  # never exported: nothing to delete out there
                else:
                    w.exports.append(_export(system_id, target["id"], "Delete", {}))
            else:
                w.disconnect.append(target["id"])
                w.drop_exports.append(target["id"])
                self.report.add(totalDisconnected=1)
            return
        assert attributes is not None
        desired = outbound_values(in_scope, attributes)
        if status == "provisioning":
            external_id = _external_id(in_scope[0], _present(desired), attributes)
            if external_id != target["external_id"]:
                w.external_ids.append((target["id"], external_id or ""))
            w.exports.append(_export(system_id, target["id"], "Add", _present(desired)))
            return
        confirmed = json.loads(target["attributes"])
        changes = {k: v for k, v in desired.items() if confirmed.get(k) != v}
        if changes:
            w.exports.append(_export(system_id, target["id"], "Update", changes))
        else:
            w.drop_exports.append(target["id"])

    async def _write(self, w: _Writes, meanwhile: Callable[[], _T]) -> _T:
        conn = self.conn
        w.seal()
        if w.sealed:
            _, done = await overlapped(conn.execute(_PROVISION, w.sealed[0][0]), meanwhile)
        else:
            done = meanwhile()
        for payload, _ in w.sealed[1:]:
            await conn.execute(_PROVISION, payload)
        self.report.add(totalPendingExports=sum(count for _, count in w.sealed))
        if w.delete_objects:
            await conn.execute("DELETE FROM idm.cs_objects WHERE id = ANY($1::bigint[])", w.delete_objects)
        if w.disconnect:
            await conn.execute("UPDATE idm.cs_objects SET mv_id = NULL WHERE id = ANY($1::bigint[])", w.disconnect)
        if w.drop_exports:
            await conn.execute("DELETE FROM idm.pending_exports WHERE cs_object_id = ANY($1::bigint[])", w.drop_exports)
        if w.external_ids:
            await conn.execute(
                "UPDATE idm.cs_objects c SET external_id = v.e FROM unnest($1::bigint[], $2::text[]) AS v(i, e)"
                " WHERE c.id = v.i",
                [i for i, _ in w.external_ids],
                [e for _, e in w.external_ids],
            )
        if w.exports:
            changed = await conn.fetchval(_UPSERT_EXPORTS, store.records(w.exports))
            self.report.add(totalPendingExports=int(changed or 0))
        return done


def _export(system_id: int, cs_object_id: int, operation: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"c": system_id, "o": cs_object_id, "op": operation, "a": attributes}


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != []}


def _external_id(rule: Rule, present: dict[str, Any], mv_attributes: dict[str, Any]) -> str | None:
    """The template filled from the target's present attributes, or else the metaverse's."""
    if not rule.external_id_template:
        return None  # before merging two dicts for nothing, once per provisioned object
    return rule.external_id({**mv_attributes, **present})


__all__ = ["MvState", "Outbound"]

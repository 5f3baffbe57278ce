"""The LDAP connector (ldap3, its blocking calls run in a worker thread).

- Partitions are the naming contexts (rootDSE `namingContexts`); containers
  are the organizational units under them.
- Object types map to object classes (`objectClasses` setting); the anchor
  is `anchorAttribute` (entryUUID by default), the external id is the DN.
- Full import: a paged search (`pageSize` entries per page, the simple paged
  results control) under the partition, or under every naming context.
- Delta import: entries with `modifyTimestamp >= watermark` (a closed
  boundary; the watermark is the largest modifyTimestamp seen, in the
  server's own GeneralizedTime, so client clocks never matter). LDAP does not
  say what was deleted, and we want no server-side overlay as a requirement:
  deletes are found by a tombstone scan — a paged search that returns only the
  anchors, which the importer compares with the connector space. That costs
  one light scan per delta run and works on any directory.
- Export: add (then read back the new entry's anchor), modify with replace
  (an absent value removes the attribute), delete (an entry already gone is a
  success). Each item's LDAP result is that item's outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import structlog
from ldap3 import ALL, BASE, MODIFY_REPLACE, SUBTREE, Connection, Server
from ldap3.core.exceptions import (
    LDAPException,
    LDAPSessionTerminatedByServerError,
    LDAPSocketOpenError,
    LDAPSocketReceiveError,
)
from ldap3.utils.conv import escape_filter_chars

from syncplane import egress
from syncplane.executor.context import RunFailed
from syncplane.executor.identity.base import Change, DeltaPage, ExportItem, ExportResult, ExternalObject, SchemaInfo
from syncplane.executor.identity.plan import IdentityPlan, ObjectType, config_error
from syncplane.executor.identity.values import to_json, to_text

log = structlog.get_logger(__name__)

T = TypeVar("T")
PAGED_RESULTS = "1.2.840.113556.1.4.319"
_NO_SUCH_OBJECT = 32
_OPERATIONAL = ("entryUUID", "modifyTimestamp", "objectClass")
_SYNTAX_KINDS = {
    "1.3.6.1.4.1.1466.115.121.1.27": "integer",
    "1.3.6.1.4.1.1466.115.121.1.7": "boolean",
    "1.3.6.1.4.1.1466.115.121.1.24": "datetime",
    "1.3.6.1.4.1.1466.115.121.1.12": "reference",
}
_AWAY = (LDAPSocketOpenError, LDAPSocketReceiveError, LDAPSessionTerminatedByServerError)


class LdapConnector:
    writes_on_finish = False
    delta_deletes_by_scan = True

    def __init__(self, plan: IdentityPlan, secrets: dict[str, Any]) -> None:
        settings = plan.system.settings
        if not settings.get("host"):
            raise config_error("the ldap connector needs the host setting")
        self.host = str(settings["host"])
        self.use_tls = bool(settings.get("useTls"))
        self.port = int(settings.get("port") or (636 if self.use_tls else 389))
        self.bind_dn = settings.get("bindDn") or None
        self.password: str | None = secrets.get("password") or None
        classes = settings.get("objectClasses") or {"person": "inetOrgPerson"}
        if not isinstance(classes, dict) or not classes:
            raise config_error("objectClasses must map object types to LDAP object classes")
        self.classes: dict[str, str] = {str(k): str(v) for k, v in classes.items()}
        self.types_by_class = {v.lower(): k for k, v in self.classes.items()}
        self.anchor = str(settings.get("anchorAttribute") or "entryUUID")
        self.system = plan.system
        self.partition = plan.partition.external_id if plan.partition else None
        self.conn: Connection | None = None
        self.full_import_watermark: str | None = None

    # -- plumbing ------------------------------------------------------------------------
    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except _AWAY as exc:
            raise RunFailed(f"ldap server {self.host}:{self.port}: {type(exc).__name__}: {exc}", "ldap_unavailable") from exc
        except LDAPException as exc:
            raise RunFailed(f"ldap: {type(exc).__name__}: {exc}", "ldap_error") from exc

    async def _connect(self) -> Connection:
        if self.conn is not None:
            return self.conn
        # Connect to the address the egress policy checked, not to the name again.
        try:
            address = await egress.policy().pinned_address(self.host, self.port)
        except OSError as exc:
            raise RunFailed(f"ldap server {self.host}:{self.port}: {type(exc).__name__}: {exc}", "ldap_unavailable") from exc
        server = Server(address, port=self.port, use_ssl=self.use_tls, get_info=ALL, connect_timeout=10)
        conn = Connection(
            server, user=self.bind_dn, password=self.password, raise_exceptions=False, receive_timeout=60
        )
        if not await self._call(conn.bind):
            result = conn.result or {}
            raise RunFailed(
                f"ldap bind as {self.bind_dn!r} failed: {result.get('description')} {result.get('message') or ''}".strip(),
                "ldap_error",
            )
        self.conn = conn
        log.info("identity.ldap_bound", host=self.host, port=self.port)
        return conn

    def _filter(self, extra: str = "") -> str:
        classes = "".join(f"(objectClass={escape_filter_chars(c)})" for c in self.classes.values())
        return f"(&(|{classes}){extra})"

    async def _bases(self) -> list[str]:
        if self.partition:
            return [self.partition]
        conn = await self._connect()
        return [str(nc) for nc in (conn.server.info.naming_contexts or [])]

    async def _paged(
        self, base: str, search_filter: str, attributes: list[str], page_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        conn = await self._connect()
        cookie: bytes | None = None
        while True:
            ok = await self._call(
                conn.search, base, search_filter, SUBTREE, attributes=attributes, paged_size=page_size, paged_cookie=cookie
            )
            result = conn.result or {}
            if not ok and result.get("result") != 0:
                if result.get("result") == _NO_SUCH_OBJECT:
                    return
                raise RunFailed(f"ldap search under {base}: {result.get('description')} {result.get('message')}", "ldap_error")
            entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
            if entries:
                yield entries
            cookie = ((result.get("controls") or {}).get(PAGED_RESULTS) or {}).get("value", {}).get("cookie")
            if not cookie:
                return

    # -- schema --------------------------------------------------------------------------
    async def schema(self) -> SchemaInfo:
        conn = await self._connect()
        schema = conn.server.schema
        object_types = []
        for type_name, object_class in self.classes.items():
            attributes = []
            for name in self._class_attributes(object_class):
                definition = schema.attribute_types.get(name) if schema else None
                kind = _SYNTAX_KINDS.get(getattr(definition, "syntax", None) or "", "string")
                single = bool(getattr(definition, "single_value", False))
                attributes.append({"name": name, "type": kind, "multiValued": not single})
            object_types.append({"name": type_name, "anchor": self.anchor, "attributes": attributes})
        partitions = [{"name": nc, "externalId": nc} for nc in (conn.server.info.naming_contexts or [])]
        containers = []
        for partition in partitions:
            async for entries in self._paged(partition["externalId"], "(objectClass=organizationalUnit)", ["ou"], 500):
                for entry in entries:
                    ou = entry["attributes"].get("ou")
                    name = ou[0] if isinstance(ou, list) and ou else ou
                    containers.append({"name": str(name or entry["dn"]), "externalId": entry["dn"]})
        return SchemaInfo(object_types=object_types, partitions=partitions, containers=containers)

    def _class_attributes(self, object_class: str) -> list[str]:
        """Must and may attributes of a class and its superiors, in a stable order."""
        assert self.conn is not None
        schema = self.conn.server.schema
        names: list[str] = []
        pending = [object_class]
        seen: set[str] = set()
        while pending:
            current = pending.pop(0)
            if current.lower() in seen or schema is None:
                continue
            seen.add(current.lower())
            definition = schema.object_classes.get(current)
            if definition is None:
                continue
            for name in list(definition.must_contain or []) + list(definition.may_contain or []):
                if name not in names and name != "objectClass":
                    names.append(name)
            pending.extend(definition.superior or [])
        return names

    # -- import --------------------------------------------------------------------------
    def _object(self, entry: dict[str, Any], base: str) -> ExternalObject | None:
        raw = entry.get("raw_attributes") or {}
        classes = [c.decode() if isinstance(c, bytes) else str(c) for c in raw.get("objectClass", [])]
        type_name = next((self.types_by_class[c.lower()] for c in classes if c.lower() in self.types_by_class), None)
        anchor_values = raw.get(self.anchor) or []
        if type_name is None or not anchor_values:
            return None
        anchor = anchor_values[0].decode() if isinstance(anchor_values[0], bytes) else str(anchor_values[0])
        object_type = self.system.object_type(type_name)
        attributes = {}
        for name, values in (entry.get("attributes") or {}).items():
            if name in _OPERATIONAL:
                continue
            attributes[name] = _shape(name, to_json(values), object_type)
        return ExternalObject(type_name, anchor, attributes, external_id=entry["dn"], partition=base)

    def _attributes(self) -> list[str]:
        return ["*", "entryUUID", "modifyTimestamp", self.anchor]

    @staticmethod
    def _timestamp(entry: dict[str, Any]) -> str | None:
        raw = (entry.get("raw_attributes") or {}).get("modifyTimestamp") or []
        return raw[0].decode() if raw else None

    async def full_import(self, page_size: int) -> AsyncIterator[list[ExternalObject]]:
        newest: str | None = None
        for base in await self._bases():
            async for entries in self._paged(base, self._filter(), self._attributes(), page_size):
                page = []
                for entry in entries:
                    obj = self._object(entry, base)
                    stamp = self._timestamp(entry)
                    if stamp and (newest is None or stamp > newest):
                        newest = stamp
                    if obj is not None:
                        page.append(obj)
                yield page
        self.full_import_watermark = newest

    async def delta_import(self, watermark: str | None, page_size: int) -> AsyncIterator[DeltaPage]:
        since = f"(modifyTimestamp>={escape_filter_chars(watermark)})" if watermark else ""
        newest = watermark
        for base in await self._bases():
            async for entries in self._paged(base, self._filter(since), self._attributes(), page_size):
                changes = []
                for entry in entries:
                    stamp = self._timestamp(entry)
                    # GeneralizedTime of one server compares as text (fixed width, Z).
                    if stamp and (newest is None or stamp > newest):
                        newest = stamp
                    obj = self._object(entry, base)
                    if obj is not None:
                        changes.append(Change(object=obj))
                # Paged results come in no time order: the watermark may move
                # only once every page was read (the importer stores the last).
                yield DeltaPage(changes, None)
        if newest is not None:
            yield DeltaPage([], newest)

    async def anchors(self, page_size: int) -> AsyncIterator[list[tuple[str, str]]]:
        for base in await self._bases():
            async for entries in self._paged(base, self._filter(), ["objectClass", self.anchor], page_size):
                page = []
                for entry in entries:
                    raw = entry.get("raw_attributes") or {}
                    classes = [c.decode().lower() for c in raw.get("objectClass", [])]
                    type_name = next((self.types_by_class[c] for c in classes if c in self.types_by_class), None)
                    values = raw.get(self.anchor) or []
                    if type_name is not None and values:
                        page.append((type_name, values[0].decode()))
                yield page

    # -- export --------------------------------------------------------------------------
    async def export(self, items: list[ExportItem]) -> list[ExportResult]:
        conn = await self._connect()
        return [await self._apply(conn, item) for item in items]

    def _failure(self, conn: Connection) -> str:
        result = conn.result or {}
        return f"{result.get('description')}: {result.get('message') or ''}".rstrip(": ")

    async def _apply(self, conn: Connection, item: ExportItem) -> ExportResult:
        dn = item.external_id
        if not dn:
            return ExportResult(item.id, error="no DN (externalIdTemplate) for this object")
        if item.operation == "Delete":
            ok = await self._call(conn.delete, dn)
            if ok or (conn.result or {}).get("result") == _NO_SUCH_OBJECT:
                return ExportResult(item.id)
            return ExportResult(item.id, error=self._failure(conn))
        if item.operation == "Add":
            object_class = self.classes.get(item.object_type)
            if object_class is None:
                return ExportResult(item.id, error=f"no LDAP object class for object type {item.object_type!r}")
            values = {k: _ldap_values(v) for k, v in item.attributes.items() if v is not None and v != []}
            if not await self._call(conn.add, dn, object_class, values):
                return ExportResult(item.id, error=self._failure(conn))
            anchor = await self._read_anchor(conn, dn)
            if anchor is None:
                return ExportResult(item.id, error=f"added {dn} but could not read its {self.anchor}")
            return ExportResult(item.id, anchor=anchor, external_id=dn)
        changes = {
            name: [(MODIFY_REPLACE, [] if value is None or value == [] else _ldap_values(value))]
            for name, value in item.attributes.items()
        }
        if not await self._call(conn.modify, dn, changes):
            return ExportResult(item.id, error=self._failure(conn))
        return ExportResult(item.id, anchor=item.anchor, external_id=dn)

    async def _read_anchor(self, conn: Connection, dn: str) -> str | None:
        if not await self._call(conn.search, dn, "(objectClass=*)", BASE, attributes=[self.anchor]):
            return None
        for entry in conn.response or []:
            values = (entry.get("raw_attributes") or {}).get(self.anchor) or []
            if values:
                return str(values[0].decode())
        return None

    async def finish_export(self) -> None:
        return None

    async def close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            try:
                await asyncio.to_thread(conn.unbind)
            except LDAPException as exc:
                log.debug("identity.ldap_unbind_failed", error_type=type(exc).__name__)


def _shape(name: str, value: Any, object_type: ObjectType | None) -> Any:
    """Multi-valued per the plan's schema; else a one-value list is that value."""
    attribute = object_type.attribute(name) if object_type is not None else None
    if attribute is not None:
        if attribute.multi_valued:
            return value if isinstance(value, list) else [value]
        return value[0] if isinstance(value, list) and value else value
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _ldap_values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [to_text(v) for v in values]


__all__ = ["LdapConnector"]

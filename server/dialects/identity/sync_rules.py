"""Synchronisation rules: validated here, stored by the server, applied by the
executor (shape in docs/identity.md)."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.server.db import identity as db
from syncplane.server.db.identity_models import ConnectedSystemView, SyncRule
from syncplane.server.dialects.identity import convert
from syncplane.server.dialects.identity.base import Resource, found
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.dialects.identity.rules import NAME_MAX, Rules
from syncplane.server.errors import NotFound
from syncplane.server.grpc_errors import grpc_method

DIRECTIONS = ("Inbound", "Outbound")
OPERATORS = ("Equals", "NotEquals", "Present", "NotPresent")
TRANSFORMS = ("None", "Lower", "Upper", "Trim")
SORT_KEYS = ("id", "name", "precedence")
DEFAULT_PRECEDENCE = 100
# Stored in the rule's jsonb; the rest are columns.
_BODY_FIELDS = ("csObjectType", "mvObjectType", "scope", "joinRules", "projectToMetaverse",
                "provisionToConnectedSystem", "deprovisionWhenOutOfScope", "externalIdTemplate", "attributeFlows")


def known_object_types(cs: ConnectedSystemView) -> dict[str, set[str] | None]:
    """Object type → its attribute names (None when not known before a schema import)."""
    known: dict[str, set[str] | None] = {
        str(t["name"]): {str(a.get("name")) for a in t.get("attributes") or []} or None
        for t in cs.object_types if isinstance(t, dict) and t.get("name")
    }
    settings = cs.settings
    if cs.connector in ("file", "sql"):
        known.setdefault(str(settings.get("objectType") or "person"), None)
    elif cs.connector == "ldap":
        for name in (settings.get("objectClasses") or {"person": "inetOrgPerson"}):
            known.setdefault(str(name), None)
    return known


def check_rule(rules: Rules, body: dict[str, Any], cs: ConnectedSystemView | None) -> None:
    """The rule's shape: directions, scope, joins and flows well formed; object
    types and (when the schema is known) attributes of the connected system."""
    prefix = "rule."
    direction = body.get("direction")
    if rules.required(prefix + "direction", direction):
        rules.choice(prefix + "direction", direction, DIRECTIONS)
    rules.required(prefix + "mvObjectType", body.get("mvObjectType"))
    attributes: set[str] | None = None
    cs_type = body.get("csObjectType")
    if rules.required(prefix + "csObjectType", cs_type) and cs is not None:
        known = known_object_types(cs)
        if cs_type not in known:
            rules.add(prefix + "csObjectType",
                      f"Connected system '{cs.name}' has no object type '{cs_type}'. Known: {', '.join(sorted(known)) or 'none'}.",
                      "unknown_object_type")
        else:
            attributes = known[cs_type]
    for i, cond in enumerate(body.get("scope") or []):
        field = f"{prefix}scope.{i}"
        rules.required(field + ".attribute", cond.get("attribute"))
        operator = cond.get("operator")
        if rules.required(field + ".operator", operator) and rules.choice(field + ".operator", operator, OPERATORS):
            if operator in ("Equals", "NotEquals") and cond.get("value") is None:
                rules.add(field + ".value", f"The {operator} operator needs a value.", "missing")
    for i, join in enumerate(body.get("joinRules") or []):
        rules.required(f"{prefix}joinRules.{i}.csAttribute", join.get("csAttribute"))
        rules.required(f"{prefix}joinRules.{i}.mvAttribute", join.get("mvAttribute"))
        if attributes is not None and join.get("csAttribute") and join["csAttribute"] not in attributes:
            rules.add(f"{prefix}joinRules.{i}.csAttribute", f"Unknown attribute '{join['csAttribute']}' of {cs_type}.",
                      "unknown_attribute")
    for i, flow in enumerate(body.get("attributeFlows") or []):
        _check_flow(rules, f"{prefix}attributeFlows.{i}", flow, direction, attributes)
    if direction == "Inbound":
        for flag in ("provisionToConnectedSystem", "deprovisionWhenOutOfScope"):
            if body.get(flag):
                rules.add(prefix + flag, f"{flag} applies to Outbound rules only.", "not_applicable")
        if body.get("externalIdTemplate"):
            rules.add(prefix + "externalIdTemplate", "externalIdTemplate applies to Outbound rules only.", "not_applicable")
    elif direction == "Outbound" and body.get("projectToMetaverse"):
        rules.add(prefix + "projectToMetaverse", "projectToMetaverse applies to Inbound rules only.", "not_applicable")


def _check_flow(rules: Rules, field: str, flow: dict[str, Any], direction: Any, attributes: set[str] | None) -> None:
    rules.required(field + ".target", flow.get("target"))
    given = [k for k in ("source", "sources", "constant") if flow.get(k) not in (None, [], "")]
    if len(given) != 1:
        rules.add(field, "An attribute flow needs exactly one of source, sources or constant.", "flow_shape")
    if flow.get("separator") is not None and "sources" not in given:
        rules.add(field + ".separator", "A separator joins several sources; give sources.", "flow_shape")
    transform = flow.get("transform")
    if transform is not None:
        rules.choice(field + ".transform", transform, TRANSFORMS)
    if attributes is None:
        return
    # Inbound flows read the connected system's attributes; outbound flows write them.
    if direction == "Inbound":
        for source in [flow.get("source")] if flow.get("source") else list(flow.get("sources") or []):
            if source not in attributes:
                rules.add(field + ".source", f"Unknown attribute '{source}' of the connected system's object type.",
                          "unknown_attribute")
    elif direction == "Outbound" and flow.get("target") and flow["target"] not in attributes:
        rules.add(field + ".target", f"Unknown attribute '{flow['target']}' of the connected system's object type.",
                  "unknown_attribute")


class SyncRules(Resource):
    """Synchronisation rules (scoping, joins, attribute flows) of a connected system."""

    @grpc_method
    async def ListSyncRules(self, request: pb.ListSyncRulesRequest, context: grpc.aio.ServicerContext) -> pb.ListSyncRulesResponse:
        page = page_of(request, SORT_KEYS, "id", "asc")
        cs_id = request.connected_system_id if request.HasField("connected_system_id") else None
        rows, total = await db.list_sync_rules(self._pool, cs_id, page.sort_by, page.direction, page.page_size, page.offset)
        return page.envelope(pb.ListSyncRulesResponse(), [convert.sync_rule(r) for r in rows], total)

    @grpc_method
    async def CreateSyncRule(self, request: pb.CreateSyncRuleRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRule:
        body = json_format.MessageToDict(request.rule)
        rules = Rules()
        cs = await self._rule_system(rules, body.get("connectedSystemId"))
        _check_common(rules, body)
        check_rule(rules, body, cs)
        rules.raise_if_any()
        assert cs is not None
        row = await db.insert_sync_rule(
            self._pool, cs.id, body["name"], body["direction"], body.get("enabled", True),
            body.get("precedence", DEFAULT_PRECEDENCE), _stored(body),
        )
        return convert.sync_rule(row)

    @grpc_method
    async def GetSyncRule(self, request: pb.GetSyncRuleRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRule:
        return convert.sync_rule(await self._sync_rule(request.id))

    @grpc_method
    async def UpdateSyncRule(self, request: pb.UpdateSyncRuleRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRule:
        current = await self._sync_rule(request.id)
        body = json_format.MessageToDict(request.rule)
        rules = Rules()
        if body.get("connectedSystemId", current.connected_system_id) != current.connected_system_id:
            rules.add("rule.connectedSystemId", "The connected system of a rule cannot be changed.", "immutable")
        cs = await db.get_connected_system(self._pool, current.connected_system_id)
        _check_common(rules, body)
        check_rule(rules, body, cs)
        rules.raise_if_any()
        row = await db.update_sync_rule(
            self._pool, request.id, body["name"], body["direction"], body.get("enabled", True),
            body.get("precedence", DEFAULT_PRECEDENCE), _stored(body),
        )
        if row is None:
            raise NotFound(f"Sync rule with ID {request.id} not found.")
        return convert.sync_rule(row)

    @grpc_method
    async def DeleteSyncRule(self, request: pb.DeleteSyncRuleRequest, context: grpc.aio.ServicerContext) -> pb.DeleteSyncRuleResponse:
        if not await db.delete_sync_rule(self._pool, request.id):
            raise NotFound(f"Sync rule with ID {request.id} not found.")
        return pb.DeleteSyncRuleResponse()

    async def _sync_rule(self, rule_id: int) -> SyncRule:
        return found(await db.get_sync_rule(self._pool, rule_id), "Sync rule", rule_id)

    async def _rule_system(self, rules: Rules, cs_id: Any) -> ConnectedSystemView | None:
        if not rules.required("rule.connectedSystemId", cs_id):
            return None
        cs = await db.get_connected_system(self._pool, int(cs_id))
        if cs is None:
            rules.add("rule.connectedSystemId", f"Connected system with ID {cs_id} not found.", "not_found")
        return cs


def _check_common(rules: Rules, body: dict[str, Any]) -> None:
    if rules.required("rule.name", body.get("name")):
        rules.length("rule.name", body["name"], 1, NAME_MAX)
    if "precedence" in body:
        rules.int_range("rule.precedence", body["precedence"], 1, 1_000_000)


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    out = {k: body[k] for k in _BODY_FIELDS if k in body}
    for flag in ("projectToMetaverse", "provisionToConnectedSystem", "deprovisionWhenOutOfScope"):
        out.setdefault(flag, False)
    return out

"""Synchronisation rules (docs/identity.md): scope, join, projection, attribute flows.

Pure functions over attribute dicts: no SQL here, so the synchroniser's
batches stay set-based and this logic stays easy to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from syncplane.executor.identity.plan import config_error
from syncplane.executor.identity.values import as_key

TRANSFORMS = ("None", "Lower", "Upper", "Trim")
OPERATORS = ("Equals", "NotEquals", "Present", "NotPresent")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Condition:
    attribute: str
    operator: str
    value: Any = None

    def holds(self, attributes: dict[str, Any]) -> bool:
        present = _present(attributes.get(self.attribute))
        if self.operator == "Present":
            return present
        if self.operator == "NotPresent":
            return not present
        values = attributes.get(self.attribute)
        candidates = values if isinstance(values, list) else [values]
        equal = any(as_key(v) == as_key(self.value) for v in candidates if v is not None)
        return equal if self.operator == "Equals" else not equal


@dataclass(frozen=True)
class Flow:
    target: str
    source: str | None = None
    sources: tuple[str, ...] = ()
    separator: str = " "
    constant: Any = None
    transform: str = "None"

    def value(self, attributes: dict[str, Any]) -> Any:
        """The target value for these source attributes (None: no value)."""
        if self.constant is not None:
            return self.constant
        if self.sources:
            parts = [as_key(attributes.get(name)) for name in self.sources]
            joined = self.separator.join(p for p in parts if p not in (None, ""))
            return _transform(joined, self.transform) if joined else None
        if self.source is None:
            return None
        return _transform(attributes.get(self.source), self.transform)


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    system_id: int
    direction: str  # Inbound | Outbound
    cs_type: str
    mv_type: str
    precedence: int
    scope: tuple[Condition, ...]
    joins: tuple[tuple[str, str], ...]  # (csAttribute, mvAttribute)
    project: bool
    provision: bool
    deprovision: bool
    external_id_template: str | None
    flows: tuple[Flow, ...]

    def in_scope(self, attributes: dict[str, Any]) -> bool:
        return all(condition.holds(attributes) for condition in self.scope)

    def external_id(self, attributes: dict[str, Any]) -> str | None:
        """The template with {attribute} fields filled from the target attributes (None if one is missing)."""
        if not self.external_id_template:
            return None
        missing = False

        def field(match: re.Match[str]) -> str:
            nonlocal missing
            value = as_key(attributes.get(match.group(1)))
            if value is None:
                missing = True
                return ""
            return _escape_rdn(value)

        rendered = _TEMPLATE_FIELD.sub(field, self.external_id_template)
        return None if missing else rendered


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _transform(value: Any, transform: str) -> Any:
    if isinstance(value, list):
        return [_transform(v, transform) for v in value]
    if not isinstance(value, str) or transform == "None":
        return value
    if transform == "Lower":
        return value.lower()
    if transform == "Upper":
        return value.upper()
    return value.strip()


def _escape_rdn(value: str) -> str:
    """Escapes the characters RFC 4514 reserves in a DN attribute value."""
    escaped = "".join("\\" + c if c in ',+"\\<>;=' else c for c in value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def _flow(raw: dict[str, Any]) -> Flow:
    transform = str(raw.get("transform") or "None")
    if transform not in TRANSFORMS:
        raise config_error(f"attribute flow transform {transform!r} is not one of {list(TRANSFORMS)}")
    if not raw.get("target"):
        raise config_error("an attribute flow needs a target")
    return Flow(
        target=str(raw["target"]),
        source=raw.get("source"),
        sources=tuple(str(s) for s in raw.get("sources") or []),
        separator=str(raw.get("separator") if raw.get("separator") is not None else " "),
        constant=raw.get("constant"),
        transform=transform,
    )


def _rule(raw: dict[str, Any]) -> Rule:
    direction = raw.get("direction")
    if direction not in ("Inbound", "Outbound"):
        raise config_error(f"rule {raw.get('name')!r}: direction must be Inbound or Outbound")
    scope = []
    for item in raw.get("scope") or []:
        if item.get("operator") not in OPERATORS:
            raise config_error(f"rule {raw.get('name')!r}: scope operator {item.get('operator')!r} is unknown")
        scope.append(Condition(str(item["attribute"]), str(item["operator"]), item.get("value")))
    return Rule(
        id=int(raw.get("id") or 0),
        name=str(raw.get("name") or raw.get("id")),
        system_id=int(raw["connectedSystemId"]),
        direction=str(direction),
        cs_type=str(raw.get("csObjectType") or "person"),
        mv_type=str(raw.get("mvObjectType") or "person"),
        precedence=int(raw.get("precedence") or 100),
        scope=tuple(scope),
        joins=tuple((str(j["csAttribute"]), str(j["mvAttribute"])) for j in raw.get("joinRules") or []),
        project=bool(raw.get("projectToMetaverse")),
        provision=bool(raw.get("provisionToConnectedSystem")),
        deprovision=bool(raw.get("deprovisionWhenOutOfScope")),
        external_id_template=raw.get("externalIdTemplate") or None,
        flows=tuple(_flow(f) for f in raw.get("attributeFlows") or []),
    )


def parse_rules(raw_rules: list[dict[str, Any]]) -> list[Rule]:
    """Enabled rules, by precedence (lower first), then id."""
    try:
        rules = [_rule(r) for r in raw_rules if r.get("enabled", True)]
    except (KeyError, TypeError, ValueError) as exc:
        raise config_error(f"syncRules: {type(exc).__name__}: {exc}") from exc
    return sorted(rules, key=lambda r: (r.precedence, r.id))


def inbound_flows(
    rules: list[Rule],
    cs_attributes: dict[str, Any],
    mv_attributes: dict[str, Any],
    contributors: dict[str, int],
) -> tuple[dict[str, Any], dict[str, int], int]:
    """Applies the in-scope inbound rules' flows to a metaverse object.

    A rule sets an attribute unless a rule with a lower precedence number set
    it before (kept in `contributors`). Returns the new attributes, the new
    contributors and how many attribute values changed.
    """
    attributes = dict(mv_attributes)
    owners = dict(contributors)
    changed = 0
    for rule in rules:  # by precedence: the winner flows first
        for flow in rule.flows:
            owner = owners.get(flow.target)
            if owner is not None and owner < rule.precedence:
                continue
            value = flow.value(cs_attributes)
            owners[flow.target] = rule.precedence
            if value is None:
                if flow.target in attributes:
                    del attributes[flow.target]
                    changed += 1
            elif attributes.get(flow.target) != value:
                attributes[flow.target] = value
                changed += 1
    return attributes, owners, changed


def outbound_values(rules: list[Rule], mv_attributes: dict[str, Any]) -> dict[str, Any]:
    """The target attributes the outbound rules want (None: clear it); the first rule by precedence wins."""
    desired: dict[str, Any] = {}
    for rule in rules:
        for flow in rule.flows:
            if flow.target not in desired:
                desired[flow.target] = flow.value(mv_attributes)
    return desired


__all__ = ["Condition", "Flow", "Rule", "inbound_flows", "outbound_values", "parse_rules"]

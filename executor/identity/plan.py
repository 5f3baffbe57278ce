"""The identity plan (docs/identity.md, "Plan"), parsed and checked once.

Anything wrong with the plan is the configuration's fault: RunFailed(config_error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from syncplane.executor.context import RunFailed

RUN_TYPES = (
    "FullImport",
    "DeltaImport",
    "FullSynchronisation",
    "DeltaSynchronisation",
    "Export",
    "ImportSchema",
)
CONNECTORS = ("file", "sql", "ldap")
MAX_PAGE_SIZE = 100_000


def config_error(message: str) -> RunFailed:
    return RunFailed(message, "config_error")


@dataclass(frozen=True)
class AttributeType:
    name: str
    type: str = "string"
    multi_valued: bool = False


@dataclass(frozen=True)
class ObjectType:
    name: str
    anchor: str | None
    attributes: tuple[AttributeType, ...] = ()

    def attribute(self, name: str) -> AttributeType | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        return None


@dataclass(frozen=True)
class ConnectedSystem:
    id: int
    name: str
    connector: str
    settings: dict[str, Any]
    object_types: tuple[ObjectType, ...] = ()

    def object_type(self, name: str) -> ObjectType | None:
        for object_type in self.object_types:
            if object_type.name == name:
                return object_type
        return None


@dataclass(frozen=True)
class Partition:
    name: str
    external_id: str


@dataclass(frozen=True)
class IdentityPlan:
    activity_id: str
    run_type: str
    page_size: int
    system: ConnectedSystem
    partition: Partition | None
    file_path: str | None
    file_roots: tuple[str, ...]
    #: Every enabled rule, raw (parsed by `rules.parse_rules`).
    sync_rules: list[dict[str, Any]]
    #: Other systems by id: {"name", "connector"}.
    systems: dict[int, dict[str, Any]] = field(default_factory=dict)


def _object_types(raw: Any) -> tuple[ObjectType, ...]:
    types = []
    for item in raw or []:
        attributes = tuple(
            AttributeType(
                name=str(a["name"]), type=str(a.get("type") or "string"), multi_valued=bool(a.get("multiValued"))
            )
            for a in item.get("attributes") or []
        )
        types.append(ObjectType(name=str(item["name"]), anchor=item.get("anchor"), attributes=attributes))
    return tuple(types)


def parse_plan(spec: dict[str, Any]) -> IdentityPlan:
    run_type = spec.get("runType")
    if run_type not in RUN_TYPES:
        raise config_error(f"runType {run_type!r} is not one of {list(RUN_TYPES)}")
    page_size = spec.get("pageSize") or 100
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise config_error(f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}")
    raw_system = spec.get("connectedSystem")
    if not isinstance(raw_system, dict) or "id" not in raw_system:
        raise config_error("plan has no connectedSystem")
    connector = raw_system.get("connector")
    if connector not in CONNECTORS:
        raise config_error(f"connector {connector!r} is not one of {list(CONNECTORS)}")
    try:
        system = ConnectedSystem(
            id=int(raw_system["id"]),
            name=str(raw_system.get("name") or raw_system["id"]),
            connector=connector,
            settings=dict(raw_system.get("settings") or {}),
            object_types=_object_types(raw_system.get("objectTypes")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise config_error(f"connectedSystem: {type(exc).__name__}: {exc}") from exc
    raw_partition = spec.get("partition")
    partition = None
    if isinstance(raw_partition, dict) and raw_partition.get("externalId"):
        partition = Partition(
            name=str(raw_partition.get("name") or raw_partition["externalId"]),
            external_id=str(raw_partition["externalId"]),
        )
    rules = spec.get("syncRules") or []
    if not isinstance(rules, list):
        raise config_error("syncRules must be a list")
    systems = {int(k): dict(v) for k, v in (spec.get("connectedSystems") or {}).items()}
    return IdentityPlan(
        activity_id=str(spec.get("activityId") or ""),
        run_type=run_type,
        page_size=page_size,
        system=system,
        partition=partition,
        file_path=spec.get("filePath") or None,
        file_roots=tuple(str(r) for r in spec.get("fileRoots") or []),
        sync_rules=rules,
        systems=systems,
    )


def confine_path(path: str, roots: tuple[str, ...]) -> str:
    """The real path of `path` if it lies inside one of `roots`, else RunFailed(config_error).

    Both sides are resolved with realpath first, so neither `..` nor a symlink
    leads out of a root.
    """
    if not roots:
        raise config_error("no file roots are configured: file paths are refused")
    if not os.path.isabs(path):
        raise config_error(f"file path {path!r} is not absolute")
    real = os.path.realpath(path)
    for root in roots:
        real_root = os.path.realpath(root)
        if os.path.commonpath([real, real_root]) == real_root and real != real_root:
            return real
    raise config_error(f"file path {path!r} is outside the configured file roots")


__all__ = [
    "AttributeType",
    "ConnectedSystem",
    "IdentityPlan",
    "ObjectType",
    "Partition",
    "confine_path",
    "config_error",
    "parse_plan",
]

"""What every identity connector offers (File, SQL, LDAP): one small interface.

The importer, the exporter and the schema run never see a connector's
protocol; they see pages of `ExternalObject`s and `Change`s, and hand lists of
`ExportItem`s back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

#: JSON-able attribute values: a scalar, or a list for a multi-valued attribute.
Attributes = dict[str, Any]


@dataclass(frozen=True)
class ExternalObject:
    """One object of the connected system, as imported."""

    object_type: str
    anchor: str
    attributes: Attributes
    #: The system's own name for it (an LDAP DN); the anchor where it has none.
    external_id: str
    #: The partition (naming context) it was read from, if the system has partitions.
    partition: str | None = None


@dataclass(frozen=True)
class Change:
    """One delta-import change: an object added or updated, or an anchor deleted."""

    object: ExternalObject | None = None
    deleted_anchor: str | None = None
    deleted_type: str | None = None


@dataclass(frozen=True)
class DeltaPage:
    changes: list[Change]
    #: The watermark to store once this page is committed (None: keep the old one).
    watermark: str | None


@dataclass(frozen=True)
class SchemaInfo:
    object_types: list[dict[str, Any]]
    partitions: list[dict[str, str]] = field(default_factory=list)
    containers: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportItem:
    """One pending export, as handed to a connector."""

    id: int
    operation: str  # Add | Update | Delete
    object_type: str
    anchor: str | None
    external_id: str | None
    #: Add: every attribute; Update: the changed ones (None clears); Delete: unused.
    attributes: Attributes


@dataclass(frozen=True)
class ExportResult:
    item_id: int
    error: str | None = None
    #: What the connected system now calls the object (Add: its new anchor).
    anchor: str | None = None
    external_id: str | None = None


class Connector(Protocol):
    """A connected system's protocol side. Raise RunFailed for the whole run's failure."""

    #: True when exports only reach the system at `finish_export` (a file):
    #: the exporter then confirms the items after it, not page by page.
    writes_on_finish: bool
    #: True when a delta import cannot see deletes itself: the importer then
    #: compares `anchors()` with the connector space (a tombstone scan).
    delta_deletes_by_scan: bool

    async def schema(self) -> SchemaInfo: ...

    def full_import(self, page_size: int) -> AsyncIterator[list[ExternalObject]]: ...

    def delta_import(self, watermark: str | None, page_size: int) -> AsyncIterator[DeltaPage]: ...

    def anchors(self, page_size: int) -> AsyncIterator[list[tuple[str, str]]]:
        """(object type, anchor) of every object, for the tombstone scan."""
        ...

    async def export(self, items: list[ExportItem]) -> list[ExportResult]: ...

    async def finish_export(self) -> None: ...

    async def close(self) -> None: ...


@runtime_checkable
class CountsFullImport(Protocol):
    """A connector that can tell, cheaply and before reading, how many objects a
    full import will hand over (the progress total); others report no total."""

    async def count_full_import(self) -> int: ...


__all__ = [
    "Attributes",
    "Change",
    "Connector",
    "CountsFullImport",
    "DeltaPage",
    "ExportItem",
    "ExportResult",
    "ExternalObject",
    "SchemaInfo",
]

"""One entity's progress as an executor or an outside backend reports it, as the run shows it.

Both wire messages (executor.proto's EntityProgress, attempts.proto's AttemptEntityProgress) carry
the same fields; a total is shown only when the source counted one.
"""

from __future__ import annotations

from typing import Any, Protocol


class EntityReport(Protocol):
    entity: str
    rows_read: int
    rows_written: int
    phase: str
    rows_total: int
    rows_total_estimated: bool
    bytes_total: int
    bytes_read: int

    def HasField(self, field_name: str) -> bool: ...  # noqa: N802  # protobuf's name


def entity_dict(e: EntityReport) -> dict[str, Any]:
    out: dict[str, Any] = {"rowsRead": e.rows_read, "rowsWritten": e.rows_written, "phase": e.phase}
    if e.HasField("rows_total"):
        out["rowsTotal"] = e.rows_total
        if e.rows_total_estimated:
            out["rowsTotalEstimated"] = True
    if e.HasField("bytes_total"):
        out["bytesTotal"] = e.bytes_total
    if e.bytes_read:
        out["bytesRead"] = e.bytes_read
    return out


def entities_dict(reports: Any) -> dict[str, dict[str, Any]]:
    return {e.entity: entity_dict(e) for e in reports}

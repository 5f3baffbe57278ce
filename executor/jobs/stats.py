"""The counters a sync-job run reports: `resource_stats` per resource and method, and errors.

They travel in the progress detail (`ctx.report_detail`) and in checkpoints, so a
resumed attempt continues the counts of the one it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COUNTERS = ("fetched", "persisted", "delivered", "errors")
#: Errors kept (and reported) in full; the rest are only counted.
MAX_ERRORS_KEPT = 100


@dataclass
class Stats:
    """resource -> method -> counter -> n, plus the first errors."""

    counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, resource: str, method: str, counter: str, n: int = 1) -> None:
        by_method = self.counts.setdefault(resource, {})
        counters = by_method.setdefault(method, {name: 0 for name in COUNTERS})
        counters[counter] += n

    def error(self, resource: str, method: str, message: str) -> None:
        self.add(resource, method, "errors")
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"resource": resource, "method": method, "message": message})

    @property
    def error_count(self) -> int:
        return sum(c["errors"] for by_method in self.counts.values() for c in by_method.values())

    def resource_stats(self) -> dict[str, Any]:
        return {res: {m: dict(c) for m, c in by_method.items()} for res, by_method in self.counts.items()}

    def to_state(self) -> dict[str, Any]:
        return {"counts": self.resource_stats(), "errors": list(self.errors)}

    @classmethod
    def from_state(cls, raw: dict[str, Any] | None) -> Stats:
        if not raw:
            return cls()
        counts = {
            res: {m: {name: int(c.get(name, 0)) for name in COUNTERS} for m, c in by_method.items()}
            for res, by_method in (raw.get("counts") or {}).items()
        }
        return cls(counts=counts, errors=[dict(e) for e in raw.get("errors") or []])


__all__ = ["COUNTERS", "MAX_ERRORS_KEPT", "Stats"]

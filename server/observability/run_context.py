"""The ids every log line about a run carries, bound where the engine handles one.

`bound(run)` binds `run_id`, `subject_id`, `attempt` and `kind` as structlog context variables for the
block that handles that run, so every line logged inside (the engine's, a dialect hook's, a library's
through structlog) names the run without each call repeating it. Messages from an executor carry only the
run id and token: the ids of the attempts this server handed out or adopted are remembered here (a
bounded map) so the executor service can bind them too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from cachetools import LRUCache

from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True)
class RunIds:
    run_id: str
    subject_id: str
    attempt: int
    kind: str
    backend: str
    trace_parent: str | None = None

    def fields(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "subject_id": self.subject_id, "attempt": self.attempt, "kind": self.kind}


# Attempts running on this server's executors; forgotten when they end. Bounded: a forgotten entry only
# costs the log lines of a late message their subject id.
_KNOWN: LRUCache[str, RunIds] = LRUCache(maxsize=50_000)


def column(run: Mapping[str, Any] | Any, name: str, *, optional: bool = False) -> Any:
    """A column of a run given as the engine's `Run` (attributes) or as the raw row a claim or a
    sweep reads (an asyncpg Record); `optional`: None where the row does not carry it."""
    if isinstance(run, RowModel):
        return getattr(run, name, None) if optional else getattr(run, name)
    if optional:
        return run.get(name) if hasattr(run, "get") else None
    return run[name]


def ids_of(run: Mapping[str, Any] | Any) -> RunIds:
    """The ids of a run row (asyncpg Record or `Run`)."""
    return RunIds(
        run_id=str(column(run, "id")),
        subject_id=str(column(run, "subject_id")),
        attempt=int(column(run, "attempt_number")),
        kind=str(column(run, "subject_kind")),
        backend=str(column(run, "execution_backend")),
        trace_parent=column(run, "trace_parent", optional=True),
    )


def remember(run: Mapping[str, Any] | Any) -> RunIds:
    ids = ids_of(run)
    _KNOWN[ids.run_id] = ids
    return ids


def known(run_id: str | uuid.UUID) -> RunIds | None:
    return _KNOWN.get(str(run_id))


def forget(run_id: str | uuid.UUID) -> None:
    _KNOWN.pop(str(run_id), None)


@contextmanager
def bound(
    run: Mapping[str, Any] | Any | RunIds | None = None,
    *,
    run_id: str | uuid.UUID | None = None,
    subject_id: str | uuid.UUID | None = None,
) -> Iterator[None]:
    """Binds the run's ids for the block: from a row, from remembered ids, or (by id) whatever is known
    (with `subject_id` when the caller has it and this server does not remember the run)."""
    if isinstance(run, RunIds):
        fields = run.fields()
    elif run is not None:
        fields = ids_of(run).fields()
    elif run_id is not None:
        ids = known(run_id)
        fields = ids.fields() if ids is not None else {"run_id": str(run_id)}
        if ids is None and subject_id is not None:
            fields["subject_id"] = str(subject_id)
    else:
        fields = {}
    with structlog.contextvars.bound_contextvars(**fields):
        yield


__all__ = ["RunIds", "bound", "forget", "ids_of", "known", "remember"]

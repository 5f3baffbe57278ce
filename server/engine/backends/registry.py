"""Backend name -> implementation. The dispatcher, the sweeper and the cancel
path look a run's backend up here by `runs.execution_backend`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from syncplane.server.engine.backends.base import ExecutionBackend, Liveness

#: What configures each backend this project has (named to whoever asks for
#: a backend this server does not run). `native` is always there.
SETTINGS = {
    "native": "",
    "temporal": "SYNCPLANE_TEMPORAL_ADDRESS",
    "prefect": "SYNCPLANE_PREFECT_API_URL",
    "external": "SYNCPLANE_EXTERNAL_BACKEND=on",
}


def setting_for(name: str) -> str:
    """The setting that turns backend `name` on ("" when none is needed or known)."""
    return SETTINGS.get(name, "")


class UnknownBackend(LookupError):
    """A run names a backend this server does not run."""


class BackendRegistry:
    def __init__(self) -> None:
        self._backends: dict[str, ExecutionBackend] = {}

    def register(self, backend: ExecutionBackend) -> None:
        if backend.name in self._backends:
            raise ValueError(f"execution backend {backend.name!r} is registered twice")
        self._backends[backend.name] = backend

    def get(self, name: str) -> ExecutionBackend:
        try:
            return self._backends[name]
        except KeyError:
            raise UnknownBackend(f"execution backend {name!r} is not available on this server") from None

    def names(self) -> list[str]:
        """The backends this server is configured for (and so offers to syncs)."""
        return sorted(self._backends)

    def offers(self, name: str) -> bool:
        return name in self._backends

    def __iter__(self) -> Iterator[ExecutionBackend]:
        return iter(list(self._backends.values()))

    def polled(self) -> list[ExecutionBackend]:
        """Backends whose attempts the sweeper polls (no lease renewed by them)."""
        return [b for b in self._backends.values() if b.liveness is Liveness.POLL]

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        """A cancel by NOTIFY names the attempt, not its backend: the backend
        running it here passes it on; the others do not hold it."""
        return any(b.cancel(run_id, token, reason) for b in self._backends.values())


__all__ = ["BackendRegistry", "SETTINGS", "UnknownBackend", "setting_for"]

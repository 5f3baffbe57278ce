"""What the engine asks of the dialect that owns a subject kind.

Every hook is part of one `KindHooks` protocol, so the engine calls them
directly and never looks one up by name. A dialect subclasses `BaseKindHooks`
(each hook does nothing) and overrides what its kind needs, as temporalio's
interceptors do.
"""

from __future__ import annotations

from typing import Any, Protocol

from syncplane.server.db.connection import Conn
from syncplane.server.db.models import Run, RunProgress


class KindHooks(Protocol):
    """The engine's calls into the dialect that owns a subject kind."""

    def prepare_assignment(
        self, run: Run, secrets: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The (spec, secrets) an executor gets for this run."""
        ...

    async def on_started(self, conn: Conn, run: Run) -> None:
        """Called in the claim's transaction, once per attempt started."""
        ...

    async def on_progress(self, conn: Conn, row: RunProgress) -> None:
        """Called in the transaction that saved progress."""
        ...

    async def on_terminal(self, conn: Conn, run: Run) -> None:
        """Called in the transaction that ends a run chain (not when an attempt is auto-resumed)."""
        ...


class BaseKindHooks:
    """`KindHooks` that do nothing: the executor gets the run's spec as is, no secrets."""

    def prepare_assignment(
        self, run: Run, secrets: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return dict(run.spec), {}

    async def on_started(self, conn: Conn, run: Run) -> None:
        return None

    async def on_progress(self, conn: Conn, row: RunProgress) -> None:
        return None

    async def on_terminal(self, conn: Conn, run: Run) -> None:
        return None


#: Hooks for a kind nobody registered (its runs were queued by an older
#: server, say): the engine still ends them, with nothing to tell.
NO_HOOKS: KindHooks = BaseKindHooks()

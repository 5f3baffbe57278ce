"""Loading several entities of one attempt at once (executionMode fan_out_entity).

Shared by the record-source connectors (http_api, sftp, s3) and by the
postgres connector's windows: at most `limit` loads run at once, a child
entity starts only after its parent finished (its rows are the child's
parents), and the group ends with ONE outcome, as the runner reports one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from syncplane.executor.context import Cancelled, Fenced, RunContext, RunFailed


def first_outcome(grouped: BaseExceptionGroup[Any]) -> BaseException:
    """The one outcome a group of parallel loads reports: a fence beats a cancel beats a failure."""
    errors = list(grouped.exceptions)
    for kind in (Fenced, Cancelled, RunFailed):
        for error in errors:
            if isinstance(error, kind):
                return error
    return errors[0]


async def run_entities(
    ctx: RunContext,
    entities: Sequence[tuple[str, str | None]],
    load: Callable[[str], Awaitable[None]],
    limit: int,
) -> None:
    """Runs `load(key)` for every (key, parent key) pair, in parallel where the graph allows.

    A failing load cancels the others (their batches already committed stay,
    so a resume skips what finished and continues the rest).
    """
    finished = {key: asyncio.Event() for key, _ in entities}
    gate = asyncio.Semaphore(max(1, limit))

    async def one(key: str, parent: str | None) -> None:
        if parent is not None and parent in finished:
            await finished[parent].wait()
        async with gate:
            ctx.raise_if_cancelled()
            await load(key)
        finished[key].set()

    try:
        async with asyncio.TaskGroup() as group:
            for key, parent in entities:
                group.create_task(one(key, parent), name=f"entity-{key}")
    except BaseExceptionGroup as grouped:
        raise first_outcome(grouped) from None


__all__ = ["first_outcome", "run_entities"]

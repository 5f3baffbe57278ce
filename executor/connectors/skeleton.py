"""The one shape of a sync attempt, whatever its source.

Every sync connector (postgres, http_api, sftp, s3) runs an attempt the same way:

1. check the kind (a connector runs sync plans only);
2. parse the plan (the source's part: `parse(ctx)` returns its `EntitySource`);
3. claim the destination fence for this attempt and forget the in-run state
   of other run chains of the sync (`open_destination`);
4. open the source for the whole attempt (a connection, an HTTP session, a
   file server), then load the entities: in plan order, or fanned out
   (executionMode fan_out_entity, at most maxParallelism at once, a child
   after its parent: `parallel.run_entities`), each on a destination
   connection of its own;
5. confirm the fence (a newer attempt that took over makes this one Fenced
   rather than report success).

`run_sync` is that template; what differs from source to source is an
`EntitySource`: how to open the source and how to load one entity (with
`batch_load.EntityBatches` for record sources, `postgres_entity.EntityLoad`
for PostgreSQL). Every batch of every entity still checks the fence, so a
newer attempt shuts out all of an attempt's loads alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import structlog

from syncplane.executor import pools
from syncplane.executor.connectors.parallel import run_entities
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.destinations import state
from syncplane.executor.destinations.copy_pipe import translating

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Attempt:
    """What the template needs of a parsed plan.

    Attributes:
        sync_id: the sync; the key of its fence and cursor state.
        dest_schema: destination schema of the state tables and targets.
        entities: (entity key, parent entity key or None), in load order.
        execution_mode: "sequential", "fan_out_entity" or "fan_out_window"
            (windows are the postgres source's own business).
        max_parallelism: entities loaded at once when fanned out.
        run_mode, page_size: logged when the attempt starts.
        described: more fields of the `<events>.attempt_started` log event.
    """

    sync_id: str
    dest_schema: str
    entities: tuple[tuple[str, str | None], ...]
    execution_mode: str
    max_parallelism: int
    run_mode: str
    page_size: int
    described: dict[str, Any] = field(default_factory=dict)

    @property
    def fanned_out(self) -> bool:
        return self.execution_mode == "fan_out_entity" and len(self.entities) > 1


class EntitySource(Protocol):
    """The per-source part of a sync attempt."""

    #: Prefix of the attempt's log events ("pg" -> "pg.attempt_started").
    events: str
    attempt: Attempt

    async def open(self, stack: contextlib.AsyncExitStack, *, fanned_out: bool) -> None:
        """Opens what the whole attempt shares (after the fence is claimed), held until `stack` closes."""
        ...

    async def load_entity(self, key: str, dest: asyncpg.Connection, stack: contextlib.AsyncExitStack) -> None:
        """Loads one entity into `dest`; what it opens for itself goes on `stack`."""
        ...

    def finished(self) -> dict[str, Any]:
        """More fields of the `<events>.attempt_finished` log event."""
        ...


def check_kind(ctx: RunContext, connector: str) -> None:
    if ctx.kind != "sync":
        raise RunFailed(f"the {connector} connector runs sync plans, not {ctx.kind!r}", "config_error")


def destination_dsn(ctx: RunContext) -> str:
    dsn = ctx.secrets.get("destinationDsn")
    if not dsn:
        raise RunFailed("no destination DSN in the run's secrets", "config_error")
    return str(dsn)


async def connect(stack: contextlib.AsyncExitStack, dsn: str) -> asyncpg.Connection:
    """A pooled destination connection held until `stack` closes."""
    try:
        with translating("destination"):
            return await stack.enter_async_context(pools.connection(dsn))
    except (ValueError, TypeError) as exc:
        # asyncpg parses the DSN when it connects; a bad port or option is a
        # plain ValueError there. Its text may hold the DSN: only the type is said.
        raise RunFailed(f"destination connection settings: {type(exc).__name__}", "config_error") from exc


async def open_destination(
    ctx: RunContext, stack: contextlib.AsyncExitStack, *, sync_id: str, schema: str
) -> asyncpg.Connection:
    """Connects, makes the state tables, claims the fence for this attempt and
    forgets the in-run state of other run chains of the sync."""
    dest = await connect(stack, destination_dsn(ctx))
    with translating("destination"):
        await state.ensure_state_tables(dest, schema)
        async with dest.transaction():
            await state.claim_fence(dest, schema, sync_id, ctx.token, ctx.run_id)
            await state.delete_other_scopes(dest, schema, sync_id, ctx.root_run_id)
    return dest


async def confirm_fence(dest: asyncpg.Connection, *, sync_id: str, schema: str, token: int) -> None:
    """Raises Fenced if a newer attempt took over while this one ran (before it reports success)."""
    with translating("destination"):
        async with dest.transaction():
            await state.check_fence(dest, schema, sync_id, token)


async def run_sync(ctx: RunContext, connector: str, parse: Callable[[RunContext], EntitySource]) -> None:
    """Runs one attempt of a sync (see the module docstring); raises Cancelled,
    Fenced or RunFailed to end otherwise."""
    check_kind(ctx, connector)
    source = parse(ctx)
    attempt = source.attempt
    dest_dsn = destination_dsn(ctx)
    bound_log = log.bind(sync_id=attempt.sync_id, run_id=ctx.run_id, token=ctx.token)
    bound_log.info(
        f"{source.events}.attempt_started",
        **attempt.described,
        entities=len(attempt.entities),
        run_mode=attempt.run_mode,
        page_size=attempt.page_size,
    )
    ctx.progress(phase="connecting")
    async with contextlib.AsyncExitStack() as stack:
        dest = await open_destination(ctx, stack, sync_id=attempt.sync_id, schema=attempt.dest_schema)
        await source.open(stack, fanned_out=attempt.fanned_out)
        if attempt.fanned_out:

            async def one(key: str) -> None:
                # The loads share the source's session; each entity's batch
                # transactions need a destination connection of their own.
                async with contextlib.AsyncExitStack() as entity_stack:
                    conn = await connect(entity_stack, dest_dsn)
                    await source.load_entity(key, conn, entity_stack)

            await run_entities(ctx, attempt.entities, one, attempt.max_parallelism)
        else:
            for key, _parent in attempt.entities:
                ctx.raise_if_cancelled()
                async with contextlib.AsyncExitStack() as entity_stack:
                    await source.load_entity(key, dest, entity_stack)
        await confirm_fence(dest, sync_id=attempt.sync_id, schema=attempt.dest_schema, token=ctx.token)
    ctx.progress(phase="done")
    bound_log.info(
        f"{source.events}.attempt_finished", rows_read=ctx.rows_read, rows_written=ctx.rows_written, **source.finished()
    )


__all__ = [
    "Attempt",
    "EntitySource",
    "check_kind",
    "confirm_fence",
    "connect",
    "destination_dsn",
    "open_destination",
    "run_sync",
]

"""The `postgres` source connector: one attempt of a sync from PostgreSQL into PostgreSQL.

An attempt (`connectors.skeleton`) claims the destination fence, then loads
the plan's entities in order or fanned out (`postgres_entity`).
Entities finished by an earlier attempt of the same run chain are skipped; an
entity that was interrupted continues after its last committed batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from syncplane import egress
from syncplane.executor import pools
from syncplane.executor.connectors.postgres_entity import EntityLoad
from syncplane.executor.connectors.postgres_plan import parse_spec
from syncplane.executor.connectors.skeleton import Attempt, connect, destination_dsn, run_sync
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.secret_values import scrub
from syncplane.executor.sources import pg_source


async def _connect_source(
    stack: contextlib.AsyncExitStack, dsn: str | None, options: dict[str, Any], secret: str | None
) -> asyncpg.Connection:
    """A pooled source connection held until `stack` closes."""
    # The source is a user-named target: the egress policy, when connecting.
    await egress.policy().check_postgres_async(dsn, options.get("host"), options.get("port"), unresolved_ok=True)
    try:
        with translating("source", secret):
            return await stack.enter_async_context(pools.connection(dsn, **options))
    except (ValueError, TypeError) as exc:
        # asyncpg parses the DSN when it connects; a bad port or option is a
        # plain ValueError there.
        raise RunFailed(scrub(f"source connection settings: {exc}", secret), "config_error") from exc


class PostgresSource:
    """The PostgreSQL side of an attempt (`skeleton.EntitySource`): in order,
    one source connection serves every entity; fanned out, each entity gets
    its own; executionMode fan_out_window opens more pairs per entity."""

    events = "pg"

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.spec = spec = parse_spec(ctx.spec)
        self.src_dsn, self.src_options = pg_source.connect_args(spec.source_config, ctx.secrets.get("source") or {})
        self.secret: str | None = self.src_options.get("password")
        self.attempt = Attempt(
            sync_id=spec.sync_id,
            dest_schema=spec.dest_schema,
            entities=tuple((entity.key, None) for entity in spec.entities),
            execution_mode=spec.execution_mode,
            max_parallelism=spec.max_parallelism,
            run_mode=spec.run_mode,
            page_size=spec.page_size,
        )
        self.by_key = {entity.key: entity for entity in spec.entities}
        #: The attempt's source connection, when entities load in order.
        self.src: asyncpg.Connection | None = None

    async def open(self, stack: contextlib.AsyncExitStack, *, fanned_out: bool) -> None:
        if not fanned_out:
            self.src = await _connect_source(stack, self.src_dsn, self.src_options, self.secret)

    @contextlib.asynccontextmanager
    async def _open_pair(self) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
        """A (source, destination) pair of connections for one window."""
        async with contextlib.AsyncExitStack() as pair_stack:
            pair_dest = await connect(pair_stack, destination_dsn(self.ctx))
            yield await _connect_source(pair_stack, self.src_dsn, self.src_options, self.secret), pair_dest

    async def load_entity(self, key: str, dest: asyncpg.Connection, stack: contextlib.AsyncExitStack) -> None:
        src = self.src or await _connect_source(stack, self.src_dsn, self.src_options, self.secret)
        windows = self.spec.execution_mode == "fan_out_window" and self.src is not None
        await EntityLoad(
            ctx=self.ctx, spec=self.spec, entity=self.by_key[key], src=src, dest=dest, source_secret=self.secret,
            open_pair=self._open_pair if windows else None,
        ).run_entity()

    def finished(self) -> dict[str, Any]:
        return {}


async def run(ctx: RunContext) -> None:
    """Runs one attempt; raises Cancelled, Fenced or RunFailed to end otherwise."""
    await run_sync(ctx, "postgres", PostgresSource)


__all__ = ["PostgresSource", "run"]

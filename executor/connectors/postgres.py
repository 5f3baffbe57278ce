"""The `postgres` source connector: one attempt of a sync from PostgreSQL into PostgreSQL.

An attempt claims the destination fence, then loads the plan's entities in
order (`postgres_entity`), and at the end forgets the run chain's in-run state.
Entities finished by an earlier attempt of the same run chain are skipped; an
entity that was interrupted continues after its last committed batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog

from executor import pools
from executor.connectors.postgres_entity import EntityLoad
from executor.connectors.postgres_plan import SyncSpec, parse_spec
from executor.connectors.parallel import run_entities
from executor.context import RunContext, RunFailed
from executor.destinations import state
from executor.destinations.copy_pipe import translating
from executor.secret_values import scrub
from executor.sources import pg_source
from syncplane import egress

log = structlog.get_logger(__name__)


async def _connect(
    stack: contextlib.AsyncExitStack, side: str, dsn: str | None, options: dict[str, Any], secret: str | None
) -> asyncpg.Connection:
    """A pooled connection held until the attempt ends."""
    if side == "source":
        # The source is a user-named target: the egress policy, when connecting.
        await egress.policy().check_postgres_async(dsn, options.get("host"), options.get("port"), unresolved_ok=True)
    try:
        with translating(side, secret):
            return await stack.enter_async_context(pools.connection(dsn, **options))
    except (ValueError, TypeError) as exc:
        # asyncpg parses the DSN when it connects; a bad port or option is a
        # plain ValueError there.
        raise RunFailed(scrub(f"{side} connection settings: {exc}", secret), "config_error") from exc


async def run(ctx: RunContext) -> None:
    """Runs one attempt; raises Cancelled, Fenced or RunFailed to end otherwise."""
    if ctx.kind != "sync":
        raise RunFailed(f"the postgres connector runs sync plans, not {ctx.kind!r}", "config_error")
    spec = parse_spec(ctx.spec)
    source_secrets = ctx.secrets.get("source") or {}
    src_dsn, src_options = pg_source.connect_args(spec.source_config, source_secrets)
    dest_dsn = ctx.secrets.get("destinationDsn")
    if not dest_dsn:
        raise RunFailed("no destination DSN in the run's secrets", "config_error")
    secret = src_options.get("password")
    bound_log = log.bind(sync_id=spec.sync_id, run_id=ctx.run_id, token=ctx.token)
    bound_log.info("pg.attempt_started", entities=len(spec.entities), run_mode=spec.run_mode, page_size=spec.page_size)
    ctx.progress(phase="connecting")

    async with contextlib.AsyncExitStack() as stack:
        dest = await _connect(stack, "destination", dest_dsn, {}, None)
        with translating("destination"):
            await state.ensure_state_tables(dest, spec.dest_schema)
            async with dest.transaction():
                await state.claim_fence(dest, spec.dest_schema, spec.sync_id, ctx.token, ctx.run_id)
                await state.delete_other_scopes(dest, spec.dest_schema, spec.sync_id, ctx.root_run_id)
        if spec.execution_mode == "fan_out_entity" and len(spec.entities) > 1:
            await _fan_out(ctx, spec, dest_dsn, src_dsn, src_options, secret)
        else:

            @contextlib.asynccontextmanager
            async def open_pair() -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
                async with contextlib.AsyncExitStack() as pair_stack:
                    pair_dest = await _connect(pair_stack, "destination", dest_dsn, {}, None)
                    yield await _connect(pair_stack, "source", src_dsn, src_options, secret), pair_dest

            src = await _connect(stack, "source", src_dsn, src_options, secret)
            for entity in spec.entities:
                ctx.raise_if_cancelled()
                load = EntityLoad(
                    ctx=ctx, spec=spec, entity=entity, src=src, dest=dest, source_secret=secret,
                    open_pair=open_pair if spec.execution_mode == "fan_out_window" else None,
                )
                await load.run_entity()
        with translating("destination"):
            async with dest.transaction():
                await state.check_fence(dest, spec.dest_schema, spec.sync_id, ctx.token)
    ctx.progress(phase="done")
    bound_log.info("pg.attempt_finished", rows_read=ctx.rows_read, rows_written=ctx.rows_written)


async def _fan_out(
    ctx: RunContext, spec: SyncSpec, dest_dsn: str, src_dsn: str | None, src_options: dict[str, Any], secret: str | None
) -> None:
    """Loads the entities in parallel (executionMode fan_out_entity), at most
    `maxParallelism` at once, each on connections of its own. Every batch still
    checks the fence, so a newer attempt shuts all of them out alike; the first
    entity to fail cancels the others, and a resume skips those already done."""
    by_key = {entity.key: entity for entity in spec.entities}

    async def one(key: str) -> None:
        async with contextlib.AsyncExitStack() as stack:
            dest = await _connect(stack, "destination", dest_dsn, {}, None)
            src = await _connect(stack, "source", src_dsn, src_options, secret)
            entity = by_key[key]
            await EntityLoad(ctx=ctx, spec=spec, entity=entity, src=src, dest=dest, source_secret=secret).run_entity()

    await run_entities(ctx, [(entity.key, None) for entity in spec.entities], one, spec.max_parallelism)


__all__ = ["run"]

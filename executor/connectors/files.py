"""The `sftp` and `s3` source connectors: CSV and JSON Lines files into PostgreSQL.

An attempt claims the destination fence, connects to the file server with the
connection's write-only secrets (`sources.sftp_store`, `sources.s3_store`),
then loads the plan's entities in order. Each entity lists its files, reads
them in (modification time, path) order as a byte stream parsed on the fly
(`sources.file_formats`), and commits batches of `pageSize` records, each in
one destination transaction with the position it reached (file, byte offset):
a killed attempt resumes there with nothing lost and, for upsert, nothing
twice (`connectors.file_entity`, on `connectors.batch_load`). Incremental
runs read the files modified since the last run (`sources.file_cursor`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog

from executor.connectors.batch_load import confirm_fence, connect, destination_dsn, open_destination
from executor.connectors.file_entity import FileEntityLoad
from executor.connectors.parallel import run_entities
from executor.context import RunContext, RunFailed
from executor.plan import parse_execution
from executor.sources.file_config import FileSyncSpec, parse_spec
from executor.sources.file_store import FileStore
from executor.sources.s3_store import S3Config, connect_s3
from executor.sources.sftp_store import connect_sftp

log = structlog.get_logger(__name__)


@contextlib.asynccontextmanager
async def open_store(spec: FileSyncSpec, secrets: dict[str, Any]) -> AsyncIterator[FileStore]:
    """The connected file server of the attempt."""
    if isinstance(spec.store, S3Config):
        async with connect_s3(spec.store, secrets) as s3:
            yield s3
    else:
        async with connect_sftp(spec.store, secrets) as sftp:
            yield sftp


async def run_provider(ctx: RunContext, provider: str) -> None:
    """Runs one attempt of an `sftp` or `s3` sync; raises Cancelled, Fenced or RunFailed to end otherwise."""
    if ctx.kind != "sync":
        raise RunFailed(f"the {provider} connector runs sync plans, not {ctx.kind!r}", "config_error")
    spec = parse_spec(ctx.spec, provider)
    bound_log = log.bind(sync_id=spec.sync_id, run_id=ctx.run_id, token=ctx.token)
    bound_log.info(
        "files.attempt_started", provider=provider, store=spec.store.description,
        entities=len(spec.entities), run_mode=spec.run_mode, page_size=spec.page_size,
    )
    ctx.progress(phase="connecting")
    async with contextlib.AsyncExitStack() as stack:
        dest = await open_destination(ctx, stack, sync_id=spec.sync_id, schema=spec.dest_schema)
        store = await stack.enter_async_context(open_store(spec, ctx.secrets.get("source") or {}))
        mode, parallelism = parse_execution(ctx.spec)
        if mode == "fan_out_entity" and len(spec.entities) > 1:
            by_key = {entity.key: entity for entity in spec.entities}

            async def load(key: str) -> None:
                # One file-server session serves them all; each entity's batch
                # transactions need a destination connection of their own.
                async with contextlib.AsyncExitStack() as entity_stack:
                    conn = await connect(entity_stack, destination_dsn(ctx))
                    await FileEntityLoad(ctx=ctx, spec=spec, entity=by_key[key], store=store, dest=conn).run()

            await run_entities(ctx, [(entity.key, None) for entity in spec.entities], load, parallelism)
        else:
            for entity in spec.entities:
                ctx.raise_if_cancelled()
                await FileEntityLoad(ctx=ctx, spec=spec, entity=entity, store=store, dest=dest).run()
        await confirm_fence(dest, sync_id=spec.sync_id, schema=spec.dest_schema, token=ctx.token)
    ctx.progress(phase="done")
    bound_log.info("files.attempt_finished", rows_read=ctx.rows_read, rows_written=ctx.rows_written)


async def run_sftp(ctx: RunContext) -> None:
    await run_provider(ctx, "sftp")


async def run_s3(ctx: RunContext) -> None:
    await run_provider(ctx, "s3")


__all__ = ["open_store", "run_provider", "run_s3", "run_sftp"]

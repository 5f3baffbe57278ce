"""The `sftp` and `s3` source connectors: CSV and JSON Lines files into PostgreSQL.

An attempt claims the destination fence, connects to the file server with the
connection's write-only secrets (`sources.sftp_store`, `sources.s3_store`),
then loads the plan's entities in order (the attempt's shape is
`connectors.skeleton`'s). Each entity lists its files, reads
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

import asyncpg

from syncplane.executor.connectors.file_entity import FileEntityLoad
from syncplane.executor.connectors.skeleton import Attempt, run_sync
from syncplane.executor.context import RunContext
from syncplane.executor.plan import parse_execution
from syncplane.executor.sources.file_config import FileSyncSpec, parse_spec
from syncplane.executor.sources.file_store import FileStore
from syncplane.executor.sources.s3_store import S3Config, connect_s3
from syncplane.executor.sources.sftp_store import connect_sftp


@contextlib.asynccontextmanager
async def open_store(spec: FileSyncSpec, secrets: dict[str, Any]) -> AsyncIterator[FileStore]:
    """The connected file server of the attempt."""
    if isinstance(spec.store, S3Config):
        async with connect_s3(spec.store, secrets) as s3:
            yield s3
    else:
        async with connect_sftp(spec.store, secrets) as sftp:
            yield sftp


class FileSource:
    """The file side of an attempt (`skeleton.EntitySource`): one file-server
    session serves every entity."""

    events = "files"

    def __init__(self, ctx: RunContext, provider: str) -> None:
        self.ctx = ctx
        self.spec = spec = parse_spec(ctx.spec, provider)
        mode, parallelism = parse_execution(ctx.spec)
        self.attempt = Attempt(
            sync_id=spec.sync_id,
            dest_schema=spec.dest_schema,
            entities=tuple((entity.key, None) for entity in spec.entities),
            execution_mode=mode,
            max_parallelism=parallelism,
            run_mode=spec.run_mode,
            page_size=spec.page_size,
            described={"provider": provider, "store": spec.store.description},
        )
        self.by_key = {entity.key: entity for entity in spec.entities}
        self.store: FileStore | None = None

    async def open(self, stack: contextlib.AsyncExitStack, *, fanned_out: bool) -> None:
        self.store = await stack.enter_async_context(open_store(self.spec, self.ctx.secrets.get("source") or {}))

    async def load_entity(self, key: str, dest: asyncpg.Connection, stack: contextlib.AsyncExitStack) -> None:
        assert self.store is not None
        await FileEntityLoad(ctx=self.ctx, spec=self.spec, entity=self.by_key[key], store=self.store, dest=dest).run()

    def finished(self) -> dict[str, Any]:
        return {}


async def run_provider(ctx: RunContext, provider: str) -> None:
    """Runs one attempt of an `sftp` or `s3` sync; raises Cancelled, Fenced or RunFailed to end otherwise."""
    await run_sync(ctx, provider, lambda ctx: FileSource(ctx, provider))


async def run_sftp(ctx: RunContext) -> None:
    await run_provider(ctx, "sftp")


async def run_s3(ctx: RunContext) -> None:
    await run_provider(ctx, "s3")


__all__ = ["FileSource", "open_store", "run_provider", "run_s3", "run_sftp"]

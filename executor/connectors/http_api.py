"""The `http_api` source connector: a declarative JSON REST API into PostgreSQL.

An attempt (`connectors.skeleton`) claims the destination fence, then loads
the plan's entities in dependency order (parents first). Each entity streams pages from the API
(`sources.http_reader`, with `http_client` handling timeouts, retries, 429s
and cancellation) into batches of `pageSize` records; every batch is one
destination transaction that checks the fence, evolves the table, writes the
rows (`destinations.record_table`, on the PostgreSQL loader) and saves the
position, so a killed attempt resumes after its last committed batch with
nothing lost and, for upsert, nothing twice. At the end the high-water mark
is saved for the next incremental run (`sources.http_cursor`) and the run
chain's in-run state is forgotten.

The in-run state (scope = root run id) of an entity:
    {"read": "full"|"incremental", "since": value|null, "sinceKeys": [...],
     "position": {"parent": [...]|null, "request": {...}, "skip": int} | null,
     "rows": int, "highWater": {"value": ..., "keys": [...]} | null, "done": bool}
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
import structlog

from syncplane.executor.connectors.batch_load import EntityBatches
from syncplane.executor.connectors.skeleton import Attempt, connect, destination_dsn, run_sync
from syncplane.executor.context import Cancelled, RunContext, RunFailed
from syncplane.executor.destinations import state
from syncplane.executor.destinations.pg_loader import TableName
from syncplane.executor.plan import parse_execution
from syncplane.executor.sources.http_auth import auth_headers
from syncplane.executor.sources.http_client import HttpClient
from syncplane.executor.sources.http_config import EntityConfig, HttpSyncSpec, parse_spec
from syncplane.executor.sources.http_cursor import Boundary, HighWater
from syncplane.executor.sources.http_reader import EntityReader, Page, ParentSource, Position, prefetch

log = structlog.get_logger(__name__)


class EntityLoad(EntityBatches):
    """One entity of one attempt (see the module docstring); its batches and
    state at the destination are `EntityBatches`'."""

    events = "http"

    def __init__(
        self,
        *,
        ctx: RunContext,
        spec: HttpSyncSpec,
        entity: EntityConfig,
        client: HttpClient,
        dest: asyncpg.Connection,
        parents: ParentSource | None,
    ) -> None:
        super().__init__(ctx=ctx, dest=dest, sync_id=spec.sync_id, dest_schema=spec.dest_schema, binding=entity)
        self.spec = spec
        self.entity = entity
        self.client = client
        self.parents = parents

    # -- plan ----------------------------------------------------------------------------
    async def new_state(self) -> dict[str, Any]:
        """Where a run chain starts: the last run's mark when this run reads incrementally."""
        entity = self.entity
        # A configured start (e.g. a start date) bounds every read that has no mark to go on.
        start = entity.cursor_start if entity.cursor_field is not None else None
        fresh: dict[str, Any] = {"read": "full", "since": start, "sinceKeys": [], "position": None, "rows": 0, "highWater": None, "done": False}
        if self.spec.run_mode != "incremental" or entity.load_mode == "replace":
            return fresh
        if entity.cursor_field is None:
            if entity.load_mode == "append_event":
                raise RunFailed(f"entity {entity.key}: an incremental append_event load needs a cursorField", "config_error")
            self.log.info("http.incremental_without_cursor", action="full_read")
            return fresh
        mark = await self.load_state(state.SYNC_SCOPE)
        if not mark or mark.get("cursorField") != entity.cursor_field or not mark.get("values"):
            return fresh
        high_water = {"value": mark["values"][0], "keys": mark.get("boundaryKeys") or []}
        return {
            **fresh,
            "read": "incremental",
            "since": mark["values"][0],
            "sinceKeys": mark.get("boundaryKeys") or [],
            "highWater": high_water,
        }

    def _high_water(self) -> HighWater | None:
        entity = self.entity
        if entity.cursor_field is None or entity.load_mode == "replace":
            return None
        tracker = HighWater(entity.cursor_field, entity.primary_key, track_keys=entity.load_mode == "append_event")
        return tracker.load(self.state.get("highWater"))

    def _boundary(self) -> Boundary | None:
        entity = self.entity
        if entity.load_mode != "append_event" or self.state.get("since") is None or entity.cursor_field is None:
            return None
        return Boundary(entity.cursor_field, entity.primary_key, self.state["since"], frozenset(self.state["sinceKeys"]))

    # -- run -----------------------------------------------------------------------------
    async def load(self) -> None:
        page_size = self.spec.page_size
        high_water = self._high_water()
        boundary = self._boundary()
        reader = EntityReader(
            self.client,
            self.spec.client.base_url,
            self.entity,
            since=self.state["since"],
            parents=self.parents,
            log=self.log,
        )
        buffer: list[dict[str, Any]] = []
        position = Position.from_state(self.state["position"])
        try:
            async for page in prefetch(reader.pages(position), max_records=page_size):
                self.ctx.progress(self.entity.key, rows_read=len(page.records))
                records = page.records
                if page.parent_values:
                    self._add_parent_fields(page, records)
                consumed = 0
                while consumed < len(records):
                    # Slices of raw records, so a commit's position counts what
                    # the boundary filter dropped too.
                    chunk = records[consumed : consumed + page_size - len(buffer)]
                    consumed += len(chunk)
                    buffer += chunk if boundary is None else [r for r in chunk if boundary.keep(r)]
                    if len(buffer) >= page_size:
                        await self._commit(buffer, page.position(consumed), high_water)
                        buffer = []
                position = page.position(len(records))
                self.ctx.raise_if_cancelled()
        except Cancelled:
            # What was read up to the cancel is a consistent position: keep it.
            if position is not None and position.to_state() != self.state["position"]:
                await self._commit(buffer, position, high_water)
            raise
        if high_water is not None:
            high_water.see(buffer)
        await self.finish(buffer, high_water.mark() if high_water else None)

    @staticmethod
    def _add_parent_fields(page: Page, records: list[dict[str, Any]]) -> None:
        """Child records get the parent fields they lack (the key that joins them to the parent)."""
        for record in records:
            for name, value in page.parent_values.items():
                if record.get(name) is None:
                    record[name] = value

    async def _commit(self, buffer: list[dict[str, Any]], position: Position, high_water: HighWater | None) -> None:
        """One batch transaction: fence, rows, position, and the high-water mark so far."""
        if high_water is not None:
            high_water.see(buffer)
        await self.commit(
            buffer, {"position": position.to_state(), "highWater": high_water.to_state() if high_water else None}
        )


class HttpSource:
    """The API side of an attempt (`skeleton.EntitySource`): one HTTP session
    serves every entity; a child reads its parents' keys from their table."""

    events = "http"

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.spec = spec = parse_spec(ctx.spec)
        self.headers, self.secrets = auth_headers(spec.client.auth, ctx.secrets.get("source") or {})
        mode, parallelism = parse_execution(ctx.spec)
        self.attempt = Attempt(
            sync_id=spec.sync_id,
            dest_schema=spec.dest_schema,
            # Parents first: a child waits for its parent's rows.
            entities=tuple((entity.key, entity.depends_on) for entity in spec.entities),
            execution_mode=mode,
            max_parallelism=parallelism,
            run_mode=spec.run_mode,
            page_size=spec.page_size,
        )
        self.client: HttpClient | None = None

    async def open(self, stack: contextlib.AsyncExitStack, *, fanned_out: bool) -> None:
        bound_log = log.bind(sync_id=self.spec.sync_id, run_id=self.ctx.run_id, token=self.ctx.token)
        self.client = await stack.enter_async_context(
            HttpClient(self.ctx, self.spec.client, self.headers, self.secrets, log_=bound_log)
        )

    async def load_entity(self, key: str, dest: asyncpg.Connection, stack: contextlib.AsyncExitStack) -> None:
        assert self.client is not None
        spec = self.spec
        entity = spec.entity(key)
        parents = None
        if entity.depends_on is not None:
            parent = spec.entity(entity.depends_on)
            parents = ParentSource(
                conn=await connect(stack, destination_dsn(self.ctx)),
                table=TableName(spec.dest_schema, parent.table_name),
                fields=tuple((name, column) for name, column in entity.parent_fields),
            )
        await EntityLoad(ctx=self.ctx, spec=spec, entity=entity, client=self.client, dest=dest, parents=parents).run()

    def finished(self) -> dict[str, Any]:
        return {"requests": self.client.requests if self.client else 0}


async def run(ctx: RunContext) -> None:
    """Runs one attempt; raises Cancelled, Fenced or RunFailed to end otherwise."""
    await run_sync(ctx, "http_api", HttpSource)


__all__ = ["EntityLoad", "HttpSource", "run"]

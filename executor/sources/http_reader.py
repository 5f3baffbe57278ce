"""The pages of one HTTP entity, in order, from a saved position.

A position is (parent key, request, records of that request's response
already committed): a resumed attempt repeats the request, skips what was
committed, and goes on from there. A child entity (`dependsOn`) is fetched
once per distinct parent key, read from the parent's destination table (the
parent was loaded first), in byte order of the keys' text, so the order is
the same in every attempt. A parent the API no longer knows (404 on its
children) is skipped.

An API that cannot filter by the cursor but lists newest-first
(`cursorOrder: desc`) is read incrementally by stopping at the first record
older than the mark: the rest of that page and every later page are older still.

`prefetch` reads ahead (up to a batch of records) while a batch is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from syncplane.executor.context import RunFailed
from syncplane.executor.destinations import pg_loader
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.destinations.pg_loader import TableName
from syncplane.executor.sources.http_client import HttpClient
from syncplane.executor.sources.http_config import EntityConfig
from syncplane.executor.sources.http_cursor import cursor_key, field_value
from syncplane.executor.sources.http_pagination import Request, first_request, next_request, records_of
from syncplane.executor.sources.http_parents import parent_keys, parent_value

#: Parent keys read from the destination per query.
PARENT_CHUNK = 1000


@dataclass(frozen=True)
class Position:
    """Where a load stands: the page request and how many of its records are committed."""

    parent: tuple[str, ...] | None
    request: Request
    skip: int

    def to_state(self) -> dict[str, Any]:
        return {
            "parent": None if self.parent is None else list(self.parent),
            "request": self.request.to_state(),
            "skip": self.skip,
        }

    @classmethod
    def from_state(cls, raw: dict[str, Any] | None) -> Position | None:
        if not raw:
            return None
        parent = raw.get("parent")
        return cls(None if parent is None else tuple(parent), Request.from_state(raw["request"]), int(raw["skip"]))


@dataclass
class Page:
    """One response's records (without the `skip` already committed) and where they came from.

    Attributes:
        parent: the parent key (text) of a child entity's page.
        parent_values: parent field name -> value, added to records that lack it.
        request: the request that produced the page.
        skip: records of the response left out (committed by an earlier attempt).
        records: the rest.
    """

    parent: tuple[str, ...] | None
    request: Request
    skip: int
    records: list[dict[str, Any]]
    parent_values: dict[str, Any] = field(default_factory=dict)

    def position(self, consumed: int) -> Position:
        """The position after the first `consumed` records of this page."""
        return Position(self.parent, self.request, self.skip + consumed)


@dataclass(frozen=True)
class ParentSource:
    """Where a child entity's parent keys come from: the parent's destination table."""

    conn: asyncpg.Connection
    table: TableName
    #: (placeholder or query parameter name, parent column)
    fields: tuple[tuple[str, str], ...]


class EntityReader:
    """Produces an entity's pages (see the module docstring)."""

    def __init__(
        self,
        client: HttpClient,
        base_url: str,
        entity: EntityConfig,
        *,
        since: Any,
        parents: ParentSource | None,
        log: Any,
    ) -> None:
        self.client = client
        self.base_url = base_url
        self.entity = entity
        self.since = since
        self.parents = parents
        self.log = log

    async def pages(self, start: Position | None) -> AsyncIterator[Page]:
        if self.parents is None:
            first = start.request if start else first_request(self.base_url, self.entity, since=self.since)
            async for page in self._chain(first, start.skip if start else 0, None, {}):
                yield page
            return
        columns = [column for _, column in self.parents.fields]
        with translating("destination"):
            types = await pg_loader.table_columns(self.parents.conn, self.parents.table) or {}
        missing = [c for c in columns if c not in types]
        if missing and types:
            raise RunFailed(
                f"entity {self.entity.key}: parent fields {missing} are not columns of {self.parents.table}",
                "config_error",
            )
        if not types:
            self.log.info("http.no_parents", parent_table=str(self.parents.table))
            return
        async for parent in self._parent_keys(start.parent if start else None):
            texts = dict(zip((name for name, _ in self.parents.fields), parent))
            values = {name: parent_value(texts[name], types[column]) for name, column in self.parents.fields}
            if start is not None and parent == start.parent:
                first, skip = start.request, start.skip
            else:
                first, skip = first_request(self.base_url, self.entity, parent=texts, since=self.since), 0
            async for page in self._chain(first, skip, parent, values):
                yield page

    async def _parent_keys(self, start: tuple[str, ...] | None) -> AsyncIterator[tuple[str, ...]]:
        assert self.parents is not None
        columns = [column for _, column in self.parents.fields]
        after, inclusive = start, True
        while True:
            with translating("destination"):
                chunk = await parent_keys(
                    self.parents.conn, self.parents.table, columns, after=after, inclusive=inclusive, limit=PARENT_CHUNK
                )
            for key in chunk:
                yield key
            if len(chunk) < PARENT_CHUNK:
                return
            after, inclusive = chunk[-1], False

    async def _chain(
        self, request: Request | None, skip: int, parent: tuple[str, ...] | None, values: dict[str, Any]
    ) -> AsyncIterator[Page]:
        """The pages of one request chain (the entity, or one parent's children)."""
        key = self.entity.key
        while request is not None:
            response = await self.client.get(request, entity=key, missing_ok=parent is not None)
            if response is None:
                self.log.warning("http.parent_not_found", parent=list(parent or ()))
                return
            records = records_of(response.body, self.entity.record_path, key)
            following = next_request(
                self.entity.pagination, request, response.body, len(records), response.link_next, key, response.headers
            )
            newer = self._newer_than_mark(records)
            if newer < len(records):
                self.log.info("http.older_than_mark", records_kept=newer, action="stop_paging")
                records, following = records[:newer], None
            yield Page(parent, request, skip, records[skip:], values)
            request, skip = following, 0


    def _newer_than_mark(self, records: list[dict[str, Any]]) -> int:
        """How many leading records of a newest-first page are at or after the mark (all, unless desc)."""
        entity = self.entity
        if entity.cursor_order != "desc" or self.since is None or entity.cursor_field is None:
            return len(records)
        since = cursor_key(self.since)
        for i, record in enumerate(records):
            value = field_value(record, entity.cursor_field)
            # A record without the cursor cannot be placed: keep it, the upsert absorbs it.
            if value is not None and cursor_key(value) < since:
                return i
        return len(records)


async def prefetch(pages: AsyncIterator[Page], max_records: int) -> AsyncIterator[Page]:
    """Iterates `pages` with a background task fetching ahead, up to `max_records` records.

    While the consumer waits for the destination to commit a batch, the API
    is read and its JSON decoded for the next batch (at least one page ahead,
    however large the page). An error of the source is raised here at the
    point it would have been; leaving the loop early stops the task and
    closes the source.
    """
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    room = asyncio.Condition()
    ahead = 0

    async def pump() -> None:
        nonlocal ahead
        try:
            async for page in pages:
                async with room:
                    await room.wait_for(lambda: ahead < max_records)  # noqa: B023 -- reads the live count on purpose
                    ahead += len(page.records)
                queue.put_nowait((False, page))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            queue.put_nowait((True, exc))
            return
        queue.put_nowait((True, None))

    task = asyncio.create_task(pump(), name="http-prefetch")
    try:
        while True:
            done, item = await queue.get()
            if done:
                if item is not None:
                    raise item
                return
            async with room:
                ahead -= len(item.records)
                room.notify_all()
            yield item
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pages.aclose()  # type: ignore[attr-defined]  # an async generator, typed as AsyncIterator


__all__ = ["EntityReader", "Page", "ParentSource", "Position", "prefetch"]

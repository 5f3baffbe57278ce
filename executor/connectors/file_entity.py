"""One file entity of one attempt: list the files, read them in order, load them in batches.

The in-run state (scope = root run id) of an entity:
    {"read": "full"|"incremental", "since": mark|null,
     "position": {"file": {...}, "offset", "line", "columns", "complete"}|null,
     "rows": int, "done": bool}
and the mark for the next run (scope "sync") is `file_cursor.FileMark`'s.
See `sources.file_cursor` for which files a run reads and where a resumed
attempt starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from syncplane.executor.connectors.batch_load import EntityBatches
from syncplane.executor.context import Cancelled, RunContext, RunFailed
from syncplane.executor.destinations import state
from syncplane.executor.sources.file_config import CURSOR_FIELD, PATH_COLUMN, FileEntity, FileSyncSpec
from syncplane.executor.sources.file_cursor import FileMark, FilePosition, advance, resume_plan, select
from syncplane.executor.sources.file_formats import Parsed, ParsePosition, RecordParser
from syncplane.executor.sources.file_store import FileInfo, FileStore
from syncplane.executor.sources.read_ahead import read_ahead


@dataclass
class Piece:
    """Records parsed from one read of one file; `complete` on the file's last piece."""

    file: FileInfo
    parsed: Parsed
    complete: bool

    def position(self, count: int) -> FilePosition:
        """The position after the first `count` records of this piece."""
        if self.complete and count == len(self.parsed.records):
            return FilePosition(self.file, self.parsed.tail or ParsePosition(), complete=True)
        return FilePosition(self.file, self.parsed.after(count), complete=False)


class FileEntityLoad(EntityBatches):
    """One entity of one attempt (see the module docstring)."""

    events = "files"

    def __init__(
        self, *, ctx: RunContext, spec: FileSyncSpec, entity: FileEntity, store: FileStore, dest: asyncpg.Connection
    ) -> None:
        super().__init__(ctx=ctx, dest=dest, sync_id=spec.sync_id, dest_schema=spec.dest_schema, binding=entity)
        self.spec = spec
        self.entity = entity
        self.store = store

    # -- plan ------------------------------------------------------------------------------
    async def new_state(self) -> dict[str, Any]:
        """Where a run chain starts: after the last run's mark when this run reads incrementally."""
        entity = self.entity
        fresh: dict[str, Any] = {"read": "full", "since": None, "position": None, "rows": 0, "done": False}
        if self.spec.run_mode != "incremental" or entity.load_mode == "replace":
            return fresh
        if not entity.incremental:
            if entity.load_mode == "append_event":
                raise RunFailed(
                    f"entity {entity.key}: an incremental append_event load needs incremental: true", "config_error"
                )
            self.log.info("files.incremental_off", action="full_read")
            return fresh
        mark = FileMark.from_state(await self.load_state(state.SYNC_SCOPE), CURSOR_FIELD, entity.pattern.text)
        if mark is None:
            return fresh
        return {**fresh, "read": "incremental", "since": mark.to_state(CURSOR_FIELD, entity.pattern.text)}

    async def _files(self) -> tuple[list[FileInfo], list[tuple[FileInfo, ParsePosition]]]:
        """The files this run reads (in order), and what is left of them to read."""
        entity = self.entity
        since = FileMark.from_state(self.state["since"], CURSOR_FIELD, entity.pattern.text)
        listed = await self.store.list_files(entity.pattern)
        files = select(listed, since, skip_loaded=entity.load_mode == "append_event")
        plan, changed = resume_plan(files, FilePosition.from_state(self.state["position"]))
        if changed:
            self.log.warning("files.resumed_file_changed", path=self.state["position"]["file"]["path"], action="read_whole")
        self.log.info(
            "files.listed", store=self.store.description, pattern=entity.pattern.text,
            matched=len(listed), selected=len(files), to_read=len(plan),
        )
        if not listed:
            self.log.warning("files.no_files_matched", store=self.store.description, pattern=entity.pattern.text)
        # Rows are unknown before parsing, but the listing tells the bytes left to read: the total.
        self.ctx.expect(self.entity_key, bytes_total=sum(max(0, file.size - start.offset) for file, start in plan))
        return files, plan

    # -- reading ---------------------------------------------------------------------------
    async def _pieces(self, plan: list[tuple[FileInfo, ParsePosition]]) -> AsyncIterator[Piece]:
        for file, start in plan:
            parser = RecordParser(self.entity.format, file.path, start)
            stream = self.store.open(file, start.offset)
            try:
                async for data in stream:
                    self.ctx.progress(self.entity_key, bytes_read=len(data))
                    parsed = parser.feed(data)
                    if parsed.records:
                        yield Piece(file, parsed, complete=False)
                last = parser.end()
            except FileNotFoundError:
                # Deleted since the listing: there is nothing left of it to load.
                self.log.warning("files.file_vanished", path=file.path)
                last = Parsed([], [], None)
            finally:
                await stream.aclose()  # type: ignore[attr-defined]  # an async generator, typed as AsyncIterator
            yield Piece(file, last, complete=True)

    def _with_file_columns(self, piece: Piece) -> None:
        path, modified = piece.file.path, piece.file.modified
        for record in piece.parsed.records:
            record[PATH_COLUMN] = path
            record[CURSOR_FIELD] = modified

    # -- loading ---------------------------------------------------------------------------
    async def load(self) -> None:
        files, plan = await self._files()
        page_size = self.spec.page_size
        buffer: list[dict[str, Any]] = []
        position: FilePosition | None = None
        pieces = read_ahead(
            self._pieces(plan),
            max_records=page_size,
            size=lambda p: len(p.parsed.records),
            cancel_event=self.ctx.cancel_event,
            on_cancel=self.ctx.raise_if_cancelled,
        )
        try:
            async for piece in pieces:
                records = piece.parsed.records
                self.ctx.progress(self.entity_key, rows_read=len(records))
                if self.entity.file_columns:
                    self._with_file_columns(piece)
                consumed = 0
                while consumed < len(records):
                    chunk = records[consumed : consumed + page_size - len(buffer)]
                    consumed += len(chunk)
                    buffer += chunk
                    if len(buffer) >= page_size:
                        position = piece.position(consumed)
                        await self._commit(buffer, position)
                        buffer = []
                        # A piece can hold many batches: stop at the first boundary after a cancel.
                        self.ctx.raise_if_cancelled()
                position = piece.position(len(records))
                if piece.complete:
                    self.log.debug("files.file_read", path=piece.file.path, size=piece.file.size)
                self.ctx.raise_if_cancelled()
        except Cancelled:
            # What was read up to the cancel is a consistent position: keep it.
            if position is not None and position.to_state() != self.state["position"]:
                await self._commit(buffer, position)
            raise
        mark = None if self.load_mode == "replace" else advance(
            FileMark.from_state(self.state["since"], CURSOR_FIELD, self.entity.pattern.text), files
        )
        changes = {"position": position.to_state()} if position is not None else None
        await self.finish(buffer, mark.to_state(CURSOR_FIELD, self.entity.pattern.text) if mark else None, changes)

    async def _commit(self, buffer: list[dict[str, Any]], position: FilePosition) -> None:
        await self.commit(buffer, {"position": position.to_state()})


__all__ = ["FileEntityLoad", "Piece"]

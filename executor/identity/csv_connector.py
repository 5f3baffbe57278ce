"""The File (CSV) connector: full import and export of one CSV file.

The file is the whole system: a header row, one object per row, the anchor in
the `anchorAttribute` column. The path is confined to the service's file roots
before anything is opened. Export reads the file once, applies every page to
the rows in memory, and writes the file once at `finish_export` (a temporary
file renamed over the old one, so a reader never sees half a file); the
exporter confirms the items only after that write.

File reads and writes run in worker threads (`asyncio.to_thread`), never on
the event loop: a big file must not stall the session's heartbeats. A full
import streams the file a page at a time, each page parsed in a thread.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog

from syncplane.executor.context import RunFailed
from syncplane.executor.identity.base import (
    DeltaPage,
    ExportItem,
    ExportResult,
    ExternalObject,
    SchemaInfo,
)
from syncplane.executor.identity.plan import ConnectedSystem, IdentityPlan, ObjectType, config_error, confine_path
from syncplane.executor.identity.values import to_text, typed_row

log = structlog.get_logger(__name__)


class CsvConnector:
    writes_on_finish = True
    delta_deletes_by_scan = False

    def __init__(self, plan: IdentityPlan) -> None:
        settings = plan.system.settings
        path = plan.file_path or settings.get("filePath")
        if not path:
            raise config_error("the file connector needs a filePath (run profile or connected system setting)")
        self.path = confine_path(str(path), plan.file_roots)
        self.delimiter = str(settings.get("delimiter") or ",")
        self.type_name = str(settings.get("objectType") or "person")
        anchor = settings.get("anchorAttribute")
        if not anchor:
            raise config_error("the file connector needs the anchorAttribute setting")
        self.anchor = str(anchor)
        self.separator = str(settings.get("multiValueSeparator") or "|")
        self.object_type: ObjectType | None = plan.system.object_type(self.type_name)
        self.system: ConnectedSystem = plan.system
        self.full_import_watermark: str | None = None
        # Export state: header and rows by anchor, loaded on the first export page.
        self._header: list[str] | None = None
        self._rows: dict[str, dict[str, str]] | None = None

    def _open(self) -> io.TextIOWrapper:
        try:
            return open(self.path, newline="", encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise RunFailed(f"file {self.path} does not exist", "source_error") from exc
        except OSError as exc:
            raise RunFailed(f"file {self.path}: {exc.strerror}", "source_error") from exc

    def _read_header(self) -> list[str] | None:
        with self._open() as handle:
            return next(csv.reader(handle, delimiter=self.delimiter), None)

    async def schema(self) -> SchemaInfo:
        header = await asyncio.to_thread(self._read_header)
        if not header:
            raise RunFailed(f"file {self.path} has no header row", "source_error")
        if self.anchor not in header:
            raise RunFailed(f"file {self.path} has no anchor column {self.anchor!r}", "source_error")
        attributes = [{"name": name, "type": "string", "multiValued": False} for name in header]
        return SchemaInfo(object_types=[{"name": self.type_name, "anchor": self.anchor, "attributes": attributes}])

    async def count_full_import(self) -> int:
        """The rows a full import will hand over: those with an anchor, counted by
        the same CSV parser (a quoted field may span lines, so lines would not do).
        One pass of the C parser without typing the values; in a thread, so a big
        file does not stall the session's heartbeats."""
        return await asyncio.to_thread(self._count_anchored_rows)

    def _count_anchored_rows(self) -> int:
        with self._open() as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            header = next(reader, None)
            if not header or self.anchor not in header:
                return 0  # full_import reports the missing column
            column = len(header) - 1 - header[::-1].index(self.anchor)  # DictReader keeps a repeated name's last column
            return sum(1 for row in reader if column < len(row) and row[column].strip())

    def _open_reader(self) -> tuple[io.TextIOWrapper, csv.DictReader[str]]:
        handle = self._open()
        try:
            reader = csv.DictReader(handle, delimiter=self.delimiter)
            if reader.fieldnames is None or self.anchor not in reader.fieldnames:
                raise RunFailed(f"file {self.path} has no anchor column {self.anchor!r}", "source_error")
        except BaseException:
            handle.close()
            raise
        return handle, reader

    def _next_page(self, rows: Iterator[tuple[int, dict[str, str]]], page_size: int) -> list[ExternalObject]:
        """Up to `page_size` objects from the next rows (fewer only at the end of the file)."""
        page: list[ExternalObject] = []
        for line, row in rows:
            anchor = (row.get(self.anchor) or "").strip()
            if not anchor:
                log.warning("identity.csv_row_without_anchor", path=self.path, line=line)
                continue
            attributes = typed_row(row, self.object_type, self.separator)
            page.append(ExternalObject(self.type_name, anchor, attributes, external_id=anchor))
            if len(page) >= page_size:
                break
        return page

    async def full_import(self, page_size: int) -> AsyncIterator[list[ExternalObject]]:
        handle, reader = await asyncio.to_thread(self._open_reader)
        try:
            rows = enumerate(reader, start=2)
            while True:
                # Reading and parsing a page is blocking work: in a thread.
                page = await asyncio.to_thread(self._next_page, rows, page_size)
                if page:
                    yield page
                if len(page) < page_size:
                    return
        finally:
            handle.close()

    async def delta_import(self, watermark: str | None, page_size: int) -> AsyncIterator[DeltaPage]:
        raise config_error("the file connector does not support delta import")
        yield DeltaPage([], None)  # pragma: no cover - makes this an async generator

    async def anchors(self, page_size: int) -> AsyncIterator[list[tuple[str, str]]]:
        raise config_error("the file connector does not support delta import")
        yield []  # pragma: no cover

    # -- export --------------------------------------------------------------------------
    def _load_rows(self) -> None:
        self._header, self._rows = [], {}
        if not os.path.exists(self.path):
            return
        with self._open() as handle:
            reader = csv.DictReader(handle, delimiter=self.delimiter)
            self._header = list(reader.fieldnames or [])
            for row in reader:
                anchor = row.get(self.anchor) or ""
                if anchor:
                    self._rows[anchor] = {k: v for k, v in row.items() if k is not None}

    def _cell(self, value: Any) -> str:
        return to_text(value, self.separator)

    async def export(self, items: list[ExportItem]) -> list[ExportResult]:
        if self._rows is None:
            await asyncio.to_thread(self._load_rows)
        assert self._rows is not None and self._header is not None
        results = []
        for item in items:
            results.append(self._apply(item))
        return results

    def _apply(self, item: ExportItem) -> ExportResult:
        assert self._rows is not None and self._header is not None
        if item.operation == "Add":
            anchor = item.attributes.get(self.anchor)
            if anchor in (None, ""):
                return ExportResult(item.id, error=f"no value for the anchor attribute {self.anchor!r}")
            anchor = self._cell(anchor)
            if anchor in self._rows:
                return ExportResult(item.id, error=f"a row with {self.anchor} {anchor!r} already exists")
            self._rows[anchor] = {name: self._cell(value) for name, value in item.attributes.items()}
            self._widen(item.attributes)
            return ExportResult(item.id, anchor=anchor, external_id=anchor)
        row = self._rows.get(item.anchor or "")
        if row is None:
            return ExportResult(item.id, error=f"no row with {self.anchor} {item.anchor!r}")
        if item.operation == "Delete":
            del self._rows[item.anchor or ""]
            return ExportResult(item.id)
        if self.anchor in item.attributes and self._cell(item.attributes[self.anchor]) != item.anchor:
            return ExportResult(item.id, error="the anchor attribute cannot change")
        row.update({name: self._cell(value) for name, value in item.attributes.items()})
        self._widen(item.attributes)
        return ExportResult(item.id, anchor=item.anchor, external_id=item.anchor)

    def _widen(self, attributes: dict[str, Any]) -> None:
        assert self._header is not None
        if not self._header:
            self._header.append(self.anchor)
        for name in attributes:
            if name not in self._header:
                self._header.append(name)

    async def finish_export(self) -> None:
        if self._rows is None:
            return
        await asyncio.to_thread(self._write_file)
        log.info("identity.csv_written", path=self.path, rows=len(self._rows))

    def _write_file(self) -> None:
        """The whole file, written to a temporary file renamed over the old one."""
        assert self._rows is not None and self._header is not None
        directory = os.path.dirname(self.path)
        try:
            fd, temp = tempfile.mkstemp(prefix=".syncplane-", suffix=".csv", dir=directory)
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=self._header, delimiter=self.delimiter, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(self._rows.values())
            os.replace(temp, self.path)
        except OSError as exc:
            raise RunFailed(f"file {self.path}: {exc.strerror or exc}", "destination_error") from exc

    async def close(self) -> None:
        self._rows = None


__all__ = ["CsvConnector"]

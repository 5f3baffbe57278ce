"""CSV and JSON Lines files to records, streamed chunk by chunk.

A `RecordParser` is fed a file's bytes as they arrive and returns the
records completed so far, each with the byte offset just past it: a batch
that ends after a record commits that offset, and a resumed attempt opens the
file there instead of reading it again. Memory is one chunk plus one
unfinished record, whatever the file's size.

- JSON Lines: one JSON object per line; blank lines are skipped.
- CSV: RFC 4180 quoting (a quoted field may hold delimiters, doubled quotes
  and newlines). A record ends at a newline outside quotes, which is where
  the count of quote characters so far is even; each complete record is then
  parsed by the `csv` module. Values are text, NULL for the configured null
  spellings (by default the empty field), or converted by `columnTypes`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from syncplane.executor.context import RunFailed

FORMATS = ("csv", "jsonl")
COLUMN_TYPES = ("string", "integer", "number", "boolean", "json")

#: A record longer than this is an error (an unclosed quote would otherwise
#: gather the rest of the file in memory).
MAX_RECORD_BYTES = 16 * 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class CsvOptions:
    """How a CSV file is spelled.

    Attributes:
        delimiter: the field separator.
        quote_char: the quote character (doubled inside a quoted field).
        header: the first record names the columns.
        columns: column names to use (required without a header; with one,
            they replace the header's names).
        null_values: field texts that mean NULL.
        column_types: column -> one of COLUMN_TYPES (text otherwise).
    """

    delimiter: str = ","
    quote_char: str = '"'
    header: bool = True
    columns: tuple[str, ...] = ()
    null_values: frozenset[str] = frozenset({""})
    column_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileFormat:
    """Attributes:
    kind: "csv" or "jsonl".
    encoding: the text encoding (a UTF-8 byte-order mark is skipped).
    csv: CSV options (kind "csv").
    """

    kind: str
    encoding: str = "utf-8"
    csv: CsvOptions = field(default_factory=CsvOptions)


@dataclass(frozen=True)
class ParsePosition:
    """Where a parser stands in a file: what a committed batch saves to resume from.

    Attributes:
        offset: bytes consumed (the end of the last complete record).
        line: lines consumed (for messages).
        columns: the CSV columns once the header is read.
    """

    offset: int = 0
    line: int = 0
    columns: tuple[str, ...] | None = None


@dataclass
class Parsed:
    """Records parsed from some bytes of one file.

    Attributes:
        records: in file order.
        ends: (byte offset, line) just past each record.
        columns: the CSV columns (None for JSON Lines).
        tail: at the end of the file, where the parser stopped (else None).
    """

    records: list[dict[str, Any]]
    ends: list[tuple[int, int]]
    columns: tuple[str, ...] | None
    tail: ParsePosition | None = None

    def after(self, count: int) -> ParsePosition:
        """The position after the first `count` records (count >= 1)."""
        offset, line = self.ends[count - 1]
        return ParsePosition(offset, line, self.columns)


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


def _to_json(text: str) -> Any:
    return json.loads(text)


_CONVERTERS: dict[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": _to_bool, "json": _to_json}


class RecordParser:
    """Turns one file's bytes into records (see the module docstring).

    Usage: `feed(data)` per chunk, then `end()`; each returns the records
    completed by then.
    """

    def __init__(self, fmt: FileFormat, path: str, start: ParsePosition) -> None:
        self.fmt = fmt
        self.path = path
        self._offset = start.offset  # bytes consumed up to the last complete line
        self._line = start.line
        self._columns: tuple[str, ...] | None = start.columns
        if fmt.kind == "csv" and fmt.csv.columns:
            self._columns = fmt.csv.columns if not (fmt.csv.header and start.offset == 0) else None
        self._tail = b""  # a line not complete yet
        self._record: list[bytes] = []  # lines of a CSV record not complete yet
        self._record_bytes = 0
        self._quotes = 0
        self._at_start = start.offset == 0
        self._quote = fmt.csv.quote_char.encode()
        self._converters = [(name, _CONVERTERS[kind]) for name, kind in fmt.csv.column_types if kind in _CONVERTERS]

    # -- bytes to lines ---------------------------------------------------------------------
    def feed(self, data: bytes) -> Parsed:
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > MAX_RECORD_BYTES:
            raise self._error(self._line + 1, f"a line longer than {MAX_RECORD_BYTES} bytes")
        return self._lines(lines, terminated=True)

    def end(self) -> Parsed:
        """The records of a last line without a newline; an unfinished CSV record is an error."""
        lines = [self._tail] if self._tail else []
        self._tail = b""
        out = self._lines(lines, terminated=False)
        if self._record:
            raise self._error(self._line - len(self._record) + 1, "a quoted field is not closed before the end of the file")
        out.tail = ParsePosition(self._offset, self._line, self._columns)
        return out

    def _lines(self, lines: list[bytes], *, terminated: bool) -> Parsed:
        step = 1 if terminated else 0
        if self._at_start and lines:
            self._at_start = False
            if lines[0].startswith(_UTF8_BOM) and self.fmt.encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
                # The mark is not data; the offsets still count its bytes.
                self._offset += len(_UTF8_BOM)
                lines[0] = lines[0][len(_UTF8_BOM) :]
        if self.fmt.kind == "jsonl":
            return self._jsonl(lines, step)
        return self._csv(lines, step)

    # -- JSON Lines -------------------------------------------------------------------------
    def _jsonl(self, lines: list[bytes], step: int) -> Parsed:
        records: list[dict[str, Any]] = []
        ends: list[tuple[int, int]] = []
        offset, line_no = self._offset, self._line
        encoding = self.fmt.encoding
        for line in lines:
            offset += len(line) + step
            line_no += 1
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode(encoding))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise self._error(line_no, f"not valid JSON ({type(exc).__name__})") from None
            if not isinstance(record, dict):
                raise self._error(line_no, f"a JSON {type(record).__name__}, not an object")
            records.append(record)
            ends.append((offset, line_no))
        self._offset, self._line = offset, line_no
        return Parsed(records, ends, None)

    # -- CSV --------------------------------------------------------------------------------
    def _csv(self, lines: list[bytes], step: int) -> Parsed:
        """Groups lines into complete records, then parses those with one csv.reader."""
        texts: list[str] = []
        ends: list[tuple[int, int]] = []
        offset, line_no = self._offset, self._line
        quote = self._quote
        for line in lines:
            offset += len(line) + step
            line_no += 1
            if quote in line:
                self._quotes += line.count(quote)
            if self._quotes % 2:
                # Inside a quoted field: the newline belongs to the value.
                self._record.append(line + b"\n")
                self._record_bytes += len(line) + 1
                if self._record_bytes > MAX_RECORD_BYTES:
                    raise self._error(line_no, f"a record longer than {MAX_RECORD_BYTES} bytes (an unclosed quote?)")
                continue
            raw = b"".join(self._record) + line if self._record else line
            self._record, self._record_bytes, self._quotes = [], 0, 0
            try:
                texts.append(raw.decode(self.fmt.encoding))
            except UnicodeDecodeError:
                raise self._error(line_no, f"not valid {self.fmt.encoding}") from None
            ends.append((offset, line_no))
        self._offset, self._line = offset, line_no
        return self._csv_records(texts, ends)

    def _csv_records(self, texts: list[str], ends: list[tuple[int, int]]) -> Parsed:
        """Parses complete records (one per text) into dicts; blank lines are skipped."""
        opts = self.fmt.csv
        reader = csv.reader(texts, delimiter=opts.delimiter, quotechar=opts.quote_char, strict=True)
        records: list[dict[str, Any]] = []
        out_ends: list[tuple[int, int]] = []
        nulls = opts.null_values
        only_empty_is_null = nulls == frozenset({""})
        index = 0
        try:
            for values in reader:
                end = ends[index]
                index += 1
                if not values:
                    continue  # a blank line
                columns = self._columns
                if columns is None:
                    self._columns = self._header(values, end[1])
                    continue
                if len(values) > len(columns):
                    raise self._error(end[1], f"{len(values)} fields, but there are {len(columns)} columns")
                if only_empty_is_null:
                    record = dict(zip(columns, [v or None for v in values]))
                else:
                    record = dict(zip(columns, [None if v in nulls else v for v in values]))
                if len(values) < len(columns):
                    record.update(dict.fromkeys(columns[len(values) :]))
                if self._converters:
                    self._convert(record, end[1])
                records.append(record)
                out_ends.append(end)
        except csv.Error as exc:
            raise self._error(ends[index][1], f"malformed CSV: {exc}") from None
        return Parsed(records, out_ends, self._columns)

    def _header(self, values: list[str], line_no: int) -> tuple[str, ...]:
        columns = self.fmt.csv.columns or tuple(v.strip() for v in values)
        seen: set[str] = set()
        for name in columns:
            if not name:
                raise self._error(line_no, "the header has an empty column name")
            if name in seen:
                raise self._error(line_no, f"the header names column {name!r} twice")
            seen.add(name)
        return columns

    def _convert(self, record: dict[str, Any], line_no: int) -> None:
        for name, convert in self._converters:
            value = record.get(name)
            if value is None:
                continue
            try:
                record[name] = convert(value)
            except (ValueError, json.JSONDecodeError):
                kind = dict(self.fmt.csv.column_types)[name]
                raise self._error(line_no, f"column {name!r}: {value[:40]!r} is not a valid {kind}") from None

    def _error(self, line_no: int, problem: str) -> RunFailed:
        return RunFailed(f"file {self.path} line {line_no}: {problem}", "source_error")


__all__ = ["COLUMN_TYPES", "FORMATS", "CsvOptions", "FileFormat", "ParsePosition", "Parsed", "RecordParser"]

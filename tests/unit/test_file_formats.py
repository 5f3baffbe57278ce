"""CSV and JSON Lines parsing: records whatever the chunking, byte offsets a
resumed read can start from, and errors that name the file and line."""

from __future__ import annotations

from typing import Any

import pytest

from syncplane.executor.context import RunFailed
from syncplane.executor.sources.file_formats import CsvOptions, FileFormat, Parsed, ParsePosition, RecordParser

CSV = FileFormat("csv", csv=CsvOptions(column_types=(("id", "integer"),)))
JSONL = FileFormat("jsonl")

# A BOM, CRLF line ends, a quoted field with a delimiter, doubled quotes and a
# newline, a blank line, an empty field (NULL) and no newline at the end.
TRICKY = b'\xef\xbb\xbfid,name,note\r\n1,a,"x, ""y""\r\nz"\r\n\r\n2,b,\r\n3,c'
TRICKY_RECORDS = [
    {"id": 1, "name": "a", "note": 'x, "y"\r\nz'},
    {"id": 2, "name": "b", "note": None},
    {"id": 3, "name": "c", "note": None},
]


def parse(
    fmt: FileFormat, data: bytes, cuts: list[int], start: ParsePosition | None = None
) -> tuple[list[dict[str, Any]], list[tuple[int, int]], Parsed]:
    """Feeds `data` cut at `cuts`; returns every record, every end, and what `end()` returned."""
    parser = RecordParser(fmt, "dir/f", start or ParsePosition())
    records: list[dict[str, Any]] = []
    ends: list[tuple[int, int]] = []
    previous = 0
    for cut in [*cuts, len(data)]:
        parsed = parser.feed(data[previous:cut])
        records += parsed.records
        ends += parsed.ends
        previous = cut
    last = parser.end()
    return records + last.records, ends + last.ends, last


def test_csv_records_are_the_same_however_the_bytes_are_chunked() -> None:
    for cut in range(len(TRICKY) + 1):
        records, _, _ = parse(CSV, TRICKY, [cut])
        assert records == TRICKY_RECORDS, f"chunked at byte {cut}"


def test_csv_offsets_point_just_past_each_record_and_a_parser_can_start_there() -> None:
    records, ends, last = parse(CSV, TRICKY, [7, 20])
    assert [offset for offset, _ in ends] == [36, 44, 47]
    assert last.tail == ParsePosition(47, 6, ("id", "name", "note"))
    resumed, _, _ = parse(CSV, TRICKY[36:], [], ParsePosition(36, 3, ("id", "name", "note")))
    assert resumed == TRICKY_RECORDS[1:]


def test_csv_options_delimiter_quote_nulls_and_columns_without_header() -> None:
    fmt = FileFormat(
        "csv",
        csv=CsvOptions(delimiter=";", quote_char="'", header=False, columns=("id", "ok", "v"), null_values=frozenset({"NA"})),
    )
    records, _, _ = parse(fmt, b"1;'a;b';NA\n2;;x\n", [])
    assert records == [{"id": "1", "ok": "a;b", "v": None}, {"id": "2", "ok": "", "v": "x"}]


def test_csv_column_types_convert_values() -> None:
    fmt = FileFormat(
        "csv",
        csv=CsvOptions(column_types=(("n", "integer"), ("x", "number"), ("b", "boolean"), ("j", "json"))),
    )
    records, _, _ = parse(fmt, b'n,x,b,j,s\n7,2.5,yes,"{""k"": [1]}",007\n', [])
    assert records == [{"n": 7, "x": 2.5, "b": True, "j": {"k": [1]}, "s": "007"}]


def test_a_shorter_csv_row_gets_nulls_and_a_longer_one_is_an_error() -> None:
    records, _, _ = parse(CSV, b"id,a,b\n1,x\n", [])
    assert records == [{"id": 1, "a": "x", "b": None}]
    with pytest.raises(RunFailed, match="dir/f line 3: 4 fields, but there are 3 columns") as failure:
        parse(CSV, b"id,a,b\n1,x,y\n2,x,y,z\n", [])
    assert failure.value.reason_code == "source_error"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'id,a\n1,"open\n2,x\n', "line 2: a quoted field is not closed"),
        (b"id,a\nseven,x\n", "line 2: column 'id': 'seven' is not a valid integer"),
        (b'id,a\n1,"a"b\n', "line 2: malformed CSV"),
        (b"id,id\n1,2\n", "line 1: the header names column 'id' twice"),
        (b"id,a\n1,\xff\n", "line 2: not valid utf-8"),
    ],
)
def test_malformed_csv_fails_naming_file_and_line(data: bytes, problem: str) -> None:
    with pytest.raises(RunFailed, match=problem):
        parse(CSV, data, [])


def test_jsonl_skips_blank_lines_and_tracks_offsets() -> None:
    data = b'{"id": 1}\n\n{"id": 2, "tags": ["a"]}\r\n{"id": 3}'
    for cut in range(len(data) + 1):
        records, ends, _ = parse(JSONL, data, [cut])
        assert records == [{"id": 1}, {"id": 2, "tags": ["a"]}, {"id": 3}]
        assert ends == [(10, 1), (37, 3), (46, 4)]


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b'{"id": 1}\n[1, 2]\n', "line 2: a JSON list, not an object"), (b'{"id": 1}\n{"id": \n', "line 2: not valid JSON")],
)
def test_malformed_jsonl_fails_naming_the_line(data: bytes, problem: str) -> None:
    with pytest.raises(RunFailed, match=problem):
        parse(JSONL, data, [])

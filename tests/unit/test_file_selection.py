"""Which files an entity reads: path patterns, incremental selection by
modification time with its closed boundary, the mark, and resume positions."""

from __future__ import annotations

import pytest

from syncplane.executor.sources.file_cursor import FileMark, FilePosition, advance, resume_plan, select
from syncplane.executor.sources.file_formats import ParsePosition
from syncplane.executor.sources.file_store import FileInfo, PathPattern

T1, T2, T3 = "2024-01-01T00:00:01.000000Z", "2024-01-01T00:00:02.000000Z", "2024-01-01T00:00:03.000000Z"


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("orders/*.csv", ["orders/a.csv"], ["orders/old/a.csv", "orders/a.csv.gz", "ordersx/a.csv"]),
        ("orders/**/*.csv", ["orders/a.csv", "orders/2024/01/a.csv"], ["other/a.csv", "orders/a.json"]),
        ("logs/day-?.jsonl", ["logs/day-1.jsonl"], ["logs/day-10.jsonl"]),
        ("logs/[ab]*.jsonl", ["logs/a1.jsonl", "logs/b.jsonl"], ["logs/c.jsonl"]),
        ("logs/[!ab]*.jsonl", ["logs/c.jsonl"], ["logs/a.jsonl", "logs/x/c.jsonl"]),
        ("exports/orders", ["exports/orders.csv", "exports/orders/2024.csv"], ["exports/customers.csv"]),
        ("a+b (1)/*.csv", ["a+b (1)/x.csv"], ["ab (1)/x.csv"]),
    ],
)
def test_path_patterns(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    parsed = PathPattern.parse(pattern)
    assert all(parsed.matches(p) for p in matching)
    assert not any(parsed.matches(p) for p in not_matching)


def test_a_pattern_knows_where_to_list_and_how_deep() -> None:
    assert (PathPattern.parse("orders/*.csv").base_dir, PathPattern.parse("orders/*.csv").max_depth) == ("orders", 1)
    assert PathPattern.parse("a/*/x/*.csv").max_depth == 3
    assert PathPattern.parse("a/**/x.csv").max_depth is None
    prefix = PathPattern.parse("exports/orders")
    assert (prefix.base_dir, prefix.max_depth) == ("exports", None)
    assert prefix.may_contain("exports/orders") and not prefix.may_contain("exports/customers")


def f(path: str, modified: str, size: int = 10) -> FileInfo:
    return FileInfo(path, size, modified)


FILES = [f("c", T2), f("a", T3), f("b", T1), f("d", T2)]


def test_files_are_read_in_modification_then_path_order() -> None:
    assert [x.path for x in select(FILES, None, skip_loaded=False)] == ["b", "c", "d", "a"]


def test_incremental_selection_has_a_closed_boundary() -> None:
    mark = FileMark(T2, {"c": 10})
    # upsert reads the boundary files again (absorbed by the upsert) ...
    assert [x.path for x in select(FILES, mark, skip_loaded=False)] == ["c", "d", "a"]
    # ... append skips the ones it loaded, unless they changed size.
    assert [x.path for x in select(FILES, mark, skip_loaded=True)] == ["d", "a"]
    assert [x.path for x in select([f("c", T2, size=11)], mark, skip_loaded=True)] == ["c"]


def test_the_mark_is_the_newest_time_and_the_files_loaded_at_it() -> None:
    loaded = select(FILES, None, skip_loaded=False)
    assert advance(None, loaded) == FileMark(T3, {"a": 10})
    assert advance(FileMark(T2, {"c": 10}), [f("d", T2, 5)]) == FileMark(T2, {"c": 10, "d": 5})
    assert advance(FileMark(T2, {"c": 10}), []) == FileMark(T2, {"c": 10})
    state = FileMark(T2, {"c": 10}).to_state("_file_modified_at", "x/*.csv")
    assert FileMark.from_state(state, "_file_modified_at", "x/*.csv") == FileMark(T2, {"c": 10})
    assert FileMark.from_state(state, "_file_modified_at", "y/*.csv") is None  # other files: start over


def test_a_resume_skips_files_before_the_position_and_seeks_into_its_file() -> None:
    files = select(FILES, None, skip_loaded=False)
    inside = FilePosition(f("c", T2), ParsePosition(5, 2, ("id",)), complete=False)
    plan, changed = resume_plan(files, inside)
    assert [(x.path, start.offset) for x, start in plan] == [("c", 5), ("d", 0), ("a", 0)] and not changed
    done = FilePosition(f("c", T2), ParsePosition(10, 3, ("id",)), complete=True)
    assert [x.path for x, _ in resume_plan(files, done)[0]] == ["d", "a"]
    assert FilePosition.from_state(inside.to_state()) == inside


def test_a_resume_reads_a_file_again_whole_when_it_changed_size() -> None:
    position = FilePosition(f("c", T2, size=8), ParsePosition(5, 2, None), complete=False)
    plan, changed = resume_plan(select(FILES, None, skip_loaded=False), position)
    assert [(x.path, start.offset) for x, start in plan] == [("c", 0), ("d", 0), ("a", 0)] and changed

"""What a progress line says: counts, totals (known or estimated), rate and ETA, in both forms."""

from __future__ import annotations

import io

from google.protobuf import json_format

from syncplane.server.cli_progress import Line, ProgressBoard, _Meter, describe, duration, plain
from syncplane.server.client import entity_lines
from syncplane.syncs.v1 import messages_pb2 as mpb


def test_a_known_total_gives_an_eta_and_an_estimate_says_so() -> None:
    assert describe(Line("orders", 250, 1000), 50.0) == ("250/1,000 rows", "50/s", "eta 00:15")
    assert describe(Line("orders", 250, 1000, estimated=True), 50.0) == ("250/~1,000 rows", "50/s", "eta ~00:15")
    assert describe(Line("orders", 250), 50.0) == ("250 rows", "50/s", "")
    assert describe(Line("orders", 2_500_000, None), 0.0)[0] == "2.5M rows"


def test_a_finished_line_drops_its_estimate_and_says_done_once() -> None:
    assert describe(Line("orders", 900, 1000, estimated=True, finished=True), 0.0) == ("900 rows", "", "done")
    assert describe(Line("orders", 900, None, note="done", finished=True), 0.0)[2] == ""
    assert plain(Line("orders", 900, None, note="done", finished=True), 0.0) == "orders:  done  900 rows"
    assert plain(Line("orders", 12_345, 100_000, estimated=True, note="loading"), 0.0) == (
        "orders:  loading  12,345/~100,000 rows"
    )


def test_durations() -> None:
    assert (duration(5), duration(65), duration(3725)) == ("00:05", "01:05", "1:02:05")


def test_not_a_terminal_prints_a_line_only_when_it_changed() -> None:
    out = io.StringIO()
    board = ProgressBoard(out, tty=False)
    for _ in range(3):
        board.update("run 1  running", [Line("orders", 10, note="loading"), Line("customers", 0, note="waiting")])
    board.update("run 1  running", [Line("orders", 20, note="loading"), Line("customers", 0, note="waiting")])
    board.close()
    assert out.getvalue().splitlines() == [
        "run 1  running",
        "  orders:  loading  10 rows",
        "  customers:  waiting  0 rows",
        "  orders:  loading  20 rows",
    ]


def test_bytes_read_of_bytes_to_read_in_binary_units() -> None:
    line = Line("events", 3 * 1024 * 1024, 12 * 1024 * 1024, unit="bytes", note="1,200 rows")
    assert describe(line, 1024 * 1024) == ("3.0 MB/12.0 MB", "1.0 MB/s", "eta 00:09")
    assert describe(Line("events", 512, None, unit="bytes"), 0.0)[0] == "512 B"
    assert plain(line, 0.0) == "events:  1,200 rows  3,145,728/12,582,912 bytes"


def _sync_run(entities: dict[str, object], status: str = "running") -> mpb.SyncRun:
    run = mpb.SyncRun(id="r", status=status)
    json_format.ParseDict({"entities": entities}, run.summary)
    return run


def test_the_total_a_source_reports_wins_over_the_previous_runs_estimate() -> None:
    estimates = {"orders": 900, "events": 50, "notes": 7}
    run = _sync_run({
        "orders": {"rowsWritten": 10, "rowsTotal": 1000, "phase": "loading"},  # counted: exact
        "big": {"rowsWritten": 10, "rowsTotal": 9_000_000, "rowsTotalEstimated": True, "phase": "loading"},
        "events": {"rowsWritten": 5, "bytesRead": 100, "bytesTotal": 400, "phase": "loading"},  # files
        "notes": {"rowsWritten": 3, "phase": "loading"},  # cannot count: the last run's count
    })
    lines = {line.key: line for line in entity_lines(run, [], estimates)}
    assert (lines["orders"].total, lines["orders"].estimated) == (1000, False)
    assert (lines["big"].total, lines["big"].estimated) == (9_000_000, True)
    assert (lines["events"].done, lines["events"].total, lines["events"].unit) == (100, 400, "bytes")
    assert lines["events"].note == "5 rows"
    assert (lines["notes"].total, lines["notes"].estimated) == (7, True)


def test_a_counted_total_at_zero_starts_the_clock_so_the_first_batch_gives_an_eta() -> None:
    meter = _Meter()
    assert meter.rate(Line("orders", 0, 1000, note="loading"), now=100.0) == 0.0
    assert meter.rate(Line("orders", 250, 1000, note="loading"), now=102.0) == 125.0
    estimated = _Meter()  # an estimate says nothing of when reading began
    assert estimated.rate(Line("orders", 0, 1000, estimated=True), now=100.0) == 0.0
    assert estimated.rate(Line("orders", 250, 1000, estimated=True), now=102.0) == 0.0

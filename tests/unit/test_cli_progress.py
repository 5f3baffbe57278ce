"""What a progress line says: counts, totals (known or estimated), rate and ETA, in both forms."""

from __future__ import annotations

import io

from syncplane.server.cli_progress import Line, ProgressBoard, describe, duration, plain


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

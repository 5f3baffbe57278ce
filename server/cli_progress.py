"""Live progress of a run in the terminal: a header line, then one line per entity (syncs), resource
(jobs) or step (identity) with its rows, rate, and a total and ETA when one is known or estimated.

On a terminal, rich redraws the lines in place, each cut to the terminal's width (never wrapped, so an
80-column terminal shows one line per entity, not one per update). Elsewhere (a pipe, a CI log), a
plain line is printed only when what it says changed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console, RenderableType
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Column
from rich.text import Text


@dataclass(frozen=True)
class Line:
    """One entity's (resource's, step's) progress as last reported."""

    key: str
    done: int
    #: The total when the source counted it, or an estimate (the previous run's count); None: unknown.
    total: int | None = None
    estimated: bool = False
    #: A word about where it is (phase, status).
    note: str = ""
    #: What is counted; "" for a line that counts nothing (a step not running: its status only).
    unit: str = "rows"
    #: Finished: the rate and ETA stop moving.
    finished: bool = False


def duration(seconds: float) -> str:
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def short(n: float) -> str:
    """123,456 as is; millions as 1.2M so that a line fits 80 columns."""
    if n < 1_000_000:
        return f"{n:,.0f}"
    return f"{n / 1_000_000:,.1f}M"


def short_bytes(n: float) -> str:
    """Bytes in the largest unit under 1024 of it (1,000 B, 12.3 MB), so a line fits 80 columns."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _amount(n: float, unit: str) -> str:
    return short_bytes(n) if unit == "bytes" else short(n)


class _Meter:
    """Rate over the line's life: rows since it first moved, per second since then."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.base = 0
        self.stopped: float | None = None

    def rate(self, line: Line, now: float) -> float:
        if self.started is None:
            if line.done == 0:
                # A total the source counted, at zero: it counts right before reading, so the clock
                # starts now (the first batch then gives a rate, and an ETA, on its own).
                if line.total is not None and not line.estimated and not line.finished:
                    self.started, self.base = now, 0
                return 0.0
            # First seen moving: count from here on, not from zero, so a watch joined late reads true.
            self.started, self.base = now, line.done
            return 0.0
        if line.finished and self.stopped is None:
            self.stopped = now
        end = self.stopped or now
        elapsed = end - self.started
        return (line.done - self.base) / elapsed if elapsed > 0.5 else 0.0


#: Notes that already say a line ended: no "done" beside them.
_SAYS_ENDED = frozenset({"done", "complete", "completed", "failed", "cancelled", "stopped", "not run"})


def describe(line: Line, rate: float) -> tuple[str, str, str]:
    """(count, rate, eta-or-state) as shown for a line (a line without a unit counts nothing)."""
    if not line.unit:
        return "", "", ""
    if line.total is not None and not (line.finished and line.estimated):  # an estimate is moot once done
        approx = "~" if line.estimated else ""
        if line.unit == "bytes":  # "1.5/12.0 MB" reads worse than both in full
            amount = f"{short_bytes(line.done)}/{approx}{short_bytes(line.total)}"
        else:
            amount = f"{short(line.done)}/{approx}{short(line.total)} {line.unit}"
    else:
        amount = short_bytes(line.done) if line.unit == "bytes" else f"{short(line.done)} {line.unit}"
    speed = f"{_amount(rate, line.unit)}/s" if rate > 0 else ""
    if line.finished:
        eta = "" if line.note.lower() in _SAYS_ENDED else "done"
    elif line.total is not None and rate > 0 and line.total > line.done:
        eta = ("eta ~" if line.estimated else "eta ") + duration((line.total - line.done) / rate)
    else:
        eta = ""
    return amount, speed, eta


def plain(line: Line, rate: float) -> str:
    """A line for a log: whole numbers (no width to fit), each fact once."""
    if not line.unit:
        return "  ".join(p for p in (f"{line.key}:", line.note) if p)
    approx = "~" if line.estimated else ""
    known = line.total is not None and not (line.finished and line.estimated)
    amount = f"{line.done:,}" + (f"/{approx}{line.total:,}" if known else "") + f" {line.unit}"
    _, speed, eta = describe(line, rate)
    if eta == line.note:
        eta = ""
    return "  ".join(p for p in (f"{line.key}:", line.note, amount, f"{rate:,.0f} {line.unit}/s" if speed else "", eta)
                     if p)


class _Cell(ProgressColumn):
    """One of describe()'s parts, from the fields a task carries."""

    def __init__(self, field: str, width: int, justify: str = "right") -> None:
        self._field = field
        super().__init__(table_column=Column(min_width=width, no_wrap=True, justify=justify))  # type: ignore[arg-type]  # rich's justify is a Literal; ours is checked at construction

    def render(self, task: Task) -> RenderableType:
        return Text(str(task.fields.get(self._field, "")), no_wrap=True, overflow="ellipsis")


class _Board(Progress):
    header = ""

    def get_renderables(self):  # type: ignore[no-untyped-def]  # overrides rich's untyped method
        yield Text(self.header, no_wrap=True, overflow="ellipsis")
        yield self.make_tasks_table(self.tasks)


class ProgressBoard:
    """Shows the latest header and lines; call `update` with each new report, `close` at the end."""

    def __init__(self, out: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.out = out or sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self._meters: dict[str, _Meter] = {}
        self._tasks: dict[str, int] = {}
        self._printed: dict[str, str] = {}
        self._board: _Board | None = None
        if self.tty:
            console = Console(file=self.out, highlight=False)
            # Columns spare: a line filling the last column leaves the cursor waiting to wrap, and
            # the terminal's echo of ^C would then push the display a line down (drawn twice).
            console.width = max(20, console.width - 3)
            self._board = _Board(
                TextColumn("  {task.description}", table_column=Column(ratio=2, no_wrap=True, overflow="ellipsis", min_width=8)),
                _Cell("note", 9, "left"),
                BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=6)),
                _Cell("amount", 12),
                _Cell("speed", 7),
                _Cell("eta", 10, "left"),
                console=console, auto_refresh=True, refresh_per_second=4, expand=True,
            )
            self._board.start()

    def update(self, header: str, lines: Sequence[Line]) -> None:
        now = time.monotonic()
        if self._board is not None:
            self._board.header = header
            for line in lines:
                rate = self._meters.setdefault(line.key, _Meter()).rate(line, now)
                amount, speed, eta = describe(line, rate)
                total = float(line.total) if line.total is not None else None
                if line.finished and (total is None or line.estimated):
                    total = float(max(line.done, 1))  # a full bar for a finished line
                fields = {"note": line.note, "amount": amount, "speed": speed, "eta": eta}
                if line.key not in self._tasks:
                    self._tasks[line.key] = self._board.add_task(line.key, total=total, completed=line.done, **fields)
                else:
                    self._board.update(self._tasks[line.key], total=total, completed=min(line.done, int(total or line.done) or line.done), **fields)
            return
        self._print_if_changed("", header)
        for line in lines:
            rate = self._meters.setdefault(line.key, _Meter()).rate(line, now)
            # The rate alone moving is no news: print when the count, total or note changed.
            self._print_if_changed(line.key, plain(line, rate), (line.done, line.total, line.note, line.finished))

    def _print_if_changed(self, key: str, text: str, identity: object = None) -> None:
        marker = repr(identity) if identity is not None else text
        if self._printed.get(key) == marker:
            return
        self._printed[key] = marker
        self.out.write(("  " + text if key else text) + "\n")
        self.out.flush()

    def close(self) -> None:
        if self._board is not None:
            self._board.refresh()
            self._board.stop()
            self._board = None

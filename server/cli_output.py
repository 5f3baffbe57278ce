"""What client commands print: a table (lists, by default) or JSON (`--output json`), and the one-line
failures a user can act on (server unreachable, a closed pipe)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

TABLE, JSON = "table", "json"
#: Exit code when the server cannot be reached (distinct from a refused call, 1).
EXIT_UNREACHABLE = 3
#: Exit code when Ctrl-C stops a command (the shell's convention: 128 + SIGINT).
EXIT_INTERRUPTED = 130


def string_enum(message: type[Message], field: str) -> tuple[str, ...]:
    """The values a string field takes, from its `string_enum` option in the .proto (one list for the
    server's validation, the OpenAPI document and the CLI's choices)."""
    from syncplane.options.v1 import options_pb2

    options = message.DESCRIPTOR.fields_by_name[field].GetOptions()
    return tuple(options.Extensions[options_pb2.string_enum].values)


def add_output_arg(parser: argparse.ArgumentParser, default: str = TABLE) -> None:
    parser.add_argument(
        "-o", "--output", choices=(TABLE, JSON), default=default,
        help="table: for people; json: the API's JSON, for scripts (e.g. | jq)",
    )


def as_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def print_json(message: Message | dict[str, Any]) -> None:
    value = as_dict(message) if isinstance(message, Message) else message
    sys.stdout.write(json.dumps(value, indent=2) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Column:
    """A table column: its header, the JSON key path of its value, and how to show the value."""

    header: str
    path: str
    show: Callable[[Any], str] = lambda v: "" if v is None else str(v)
    justify: str = "left"
    #: Columns that may be folded onto several lines (long ids stay whole: they are copied).
    wrap: bool = False
    #: When the terminal is too narrow, columns are left out, the highest `drop` first; 0: always shown.
    drop: int = 0


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[Column], *, empty: str = "nothing to show",
                footer: str | None = None) -> None:
    items = list(rows)
    console = stdout_console()
    if not items:
        console.print(empty, style="dim", highlight=False)
        return
    shown = list(columns)
    table = _table(items, shown)
    # Too wide for the terminal: leave out the least useful columns rather than cut ids short.
    while _natural_width(console, table) > console.width and any(c.drop for c in shown):
        shown.remove(max(shown, key=lambda c: c.drop))
        table = _table(items, shown)
    console.print(table)
    if footer:
        console.print(footer, style="dim", highlight=False)


def _natural_width(console: Console, table: Table) -> int:
    """The width the table takes when nothing limits it."""
    return Measurement.get(console, console.options.update_width(100_000), table).maximum


def _table(items: list[dict[str, Any]], columns: Sequence[Column]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for col in columns:
        table.add_column(
            col.header, justify=col.justify,  # type: ignore[arg-type]  # rich's justify is a Literal; ours is one of its values
            no_wrap=not col.wrap, overflow="fold" if col.wrap else "ellipsis",
        )
    for item in items:
        table.add_row(*(col.show(_pluck(item, col.path)) for col in columns))
    return table


def stdout_console() -> Console:
    # Not a terminal (a pipe, a file): the width of a terminal is no limit there, so that each row
    # stays on one line for grep and awk; COLUMNS, when set, still wins.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
    return Console(width=width, highlight=False, soft_wrap=False)


def emit(message: Message, args: argparse.Namespace, items_key: str, columns: Sequence[Column], *,
         empty: str = "nothing to show", footer: Callable[[dict[str, Any]], str | None] | None = None) -> None:
    """A list answer: its table, or its JSON with --output json."""
    if getattr(args, "output", JSON) == JSON:
        print_json(message)
        return
    body = as_dict(message)
    print_table(body.get(items_key, []), columns, empty=empty, footer=footer(body) if footer else None)


def page_footer(body: dict[str, Any]) -> str | None:
    """`1–25 of 140; --offset 25 for more` for the offset-paged lists."""
    total, offset = int(body.get("total", 0)), int(body.get("offset", 0))
    shown = next((len(v) for v in body.values() if isinstance(v, list)), 0)
    if not body.get("hasNext"):
        return None if offset == 0 else f"{offset + 1}-{offset + shown} of {total}"
    return f"{offset + 1}-{offset + shown} of {total}; --offset {offset + shown} for more"


def _pluck(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# -- value formats ---------------------------------------------------------------------------------

def when(value: Any) -> str:
    """An RFC 3339 time as `YYYY-MM-DD HH:MM:SS` UTC (what a table has room for)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def count(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def status(value: Any) -> str:
    """A status with its colour (rich markup; plain text when not a terminal)."""
    text = "" if value is None else str(value)
    colour = _STATUS_COLOURS.get(text.lower())
    return f"[{colour}]{text}[/]" if colour else text


_STATUS_COLOURS = {
    "succeeded": "green", "completed": "green", "complete": "green", "active": "green",
    "failed": "red", "failedwitherror": "red", "error": "red", "completewitherror": "red",
    "running": "cyan", "inprogress": "cyan", "pending": "yellow", "created": "yellow",
    "cancelling": "magenta", "cancelled": "magenta", "stopped": "magenta", "rate_limited": "yellow",
    "paused": "yellow", "draft": "dim", "archived": "dim", "revoked": "dim",
}


# -- failures --------------------------------------------------------------------------------------

def unreachable(target: str, detail: str) -> str:
    """The one line (it fits 80 columns) shown when the server cannot be reached."""
    reason = _REASONS.get(detail.strip().lower(), detail.strip())
    return f"error: no server at {target} ({reason}); set --server or SYNCPLANE_SERVER"


#: grpc-core's words for why it could not connect, said shortly.
_REASONS = {
    "connection refused": "refused",
    "connection timed out": "timed out",
    "no route to host": "no route",
    "name or service not known": "unknown host",
    "temporary failure in name resolution": "unknown host",
}


def quiet_broken_pipe() -> None:
    """After stdout's reader went away (`| head -1`): no traceback, and no second error when Python
    flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass

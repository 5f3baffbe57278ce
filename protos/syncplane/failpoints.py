"""Failpoints: named places in the executor and the engine where a test can
pause, crash or fail the process, so a fault lands exactly where it means to
(not wherever a fast or slow machine happens to be).

A test arms points through the environment of the process it starts:

    SYNCPLANE_FAILPOINTS="executor.batch.committed=3*pause;engine.finish=crash"
    SYNCPLANE_FAILPOINT_DIR=/tmp/.../failpoints

Each entry is `<name>=[<n>*]<action>` (n defaults to 1). Actions:

- `pause`: from the n-th hit of that point in this process on, block the
  hitting task (never the event loop) until `<dir>/<name>.release` exists;
  while the release file exists, hits pass at once (a test may delete it to
  arm the point again);
- `crash`: at the n-th hit, SIGKILL of the process itself (like `kill -9`:
  no cleanup, no last message on any socket);
- `fail`: at the n-th hit, raise `FailpointError` at that point.

At every acting hit the process first writes `<dir>/<name>.hit` holding its
pid, so a test can wait for the fault point and knows which process is there.

Unarmed (production: the variable is unset) a failpoint is one module-level
check: `await failpoint(name)` returns at once, so points may sit on hot paths.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ENV = "SYNCPLANE_FAILPOINTS"
DIR_ENV = "SYNCPLANE_FAILPOINT_DIR"
ACTIONS = ("pause", "crash", "fail")
#: How often a paused point looks for its release file.
POLL_SECONDS = 0.005

__all__ = ["ACTIONS", "DIR_ENV", "ENV", "FailpointError", "armed", "configure", "failpoint", "failpoint_sync", "parse"]


class FailpointError(RuntimeError):
    """Raised by a point armed with `fail`."""


@dataclass
class Point:
    action: str
    #: The hit that acts (1: the first).
    nth: int = 1
    hits: int = 0


def parse(spec: str) -> dict[str, Point]:
    """`name=[n*]action;...` to points; raises ValueError on a malformed entry
    (an armed test must not silently run unarmed)."""
    points: dict[str, Point] = {}
    for entry in spec.replace(",", ";").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, action = entry.partition("=")
        name, action = name.strip(), action.strip()
        nth = 1
        if "*" in action:
            count, _, action = action.partition("*")
            nth = int(count)
        if not sep or not name or action not in ACTIONS or nth < 1:
            raise ValueError(f"{ENV}: bad entry {entry!r} (want name=[n*]{'|'.join(ACTIONS)})")
        points[name] = Point(action=action, nth=nth)
    return points


_points: dict[str, Point] = {}
_dir: Path | None = None
#: The one check an unarmed process pays per point.
_armed = False


def configure(spec: str | None, directory: str | os.PathLike[str] | None) -> None:
    """(Re)arms this process; done from the environment at import."""
    global _points, _dir, _armed
    _points = parse(spec) if spec else {}
    _dir = Path(directory) if directory else None
    if _points and _dir is None:
        raise ValueError(f"{ENV} is set but {DIR_ENV} is not: nowhere to report hits")
    _armed = bool(_points)


def armed() -> bool:
    return _armed


def _act(name: str) -> str | None:
    """Counts the hit; the action when this hit is the one that acts."""
    point = _points.get(name)
    if point is None:
        return None
    point.hits += 1
    if point.hits < point.nth or (point.hits > point.nth and point.action != "pause"):
        return None
    assert _dir is not None
    _dir.mkdir(parents=True, exist_ok=True)
    # Written whole then renamed: a reader never sees an empty file.
    tmp = _dir / f".{name}.hit.{os.getpid()}"
    tmp.write_text(f"{os.getpid()}\n")
    tmp.replace(_dir / f"{name}.hit")
    if point.action == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)  # not reached: SIGKILL is not deliverable later than now
    if point.action == "fail":
        raise FailpointError(f"failpoint {name} fired")
    return point.action


def _released(name: str) -> bool:
    assert _dir is not None
    return (_dir / f"{name}.release").exists()


async def failpoint(name: str) -> None:
    """A fault point in async code: a no-op unless armed."""
    if not _armed:
        return
    if _act(name) == "pause":
        while not _released(name):
            await asyncio.sleep(POLL_SECONDS)


def failpoint_sync(name: str) -> None:
    """A fault point in sync code (e.g. a worker thread): `pause` blocks the
    calling thread, so keep it off the event loop's thread."""
    if not _armed:
        return
    if _act(name) == "pause":
        while not _released(name):
            time.sleep(POLL_SECONDS)


configure(os.environ.get(ENV), os.environ.get(DIR_ENV))

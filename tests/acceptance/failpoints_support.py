"""Failpoints for acceptance tests: put a fault exactly where a test means it.

A fault test must not hope that a run is still going when it strikes: on a
fast machine the run may be over, on a busy one not started. Instead it arms a
failpoint (syncplane/failpoints.py) in the processes it starts, waits until one
of them reaches it (the process is then paused there: the run is guaranteed to
be going, at a known place), does its harm (SIGKILL, SIGSTOP, a network cut,
a server or PostgreSQL restart), and releases the point.

    fp = Failpoints(tmp_path / "failpoints", {"executor.batch.committed": "3*pause"})
    async with fault_stack(dsn, tmp_path, failpoints=fp) as stack:   # every executor armed
        ... trigger a run ...
        who = await fp.wait_hit("executor.batch.committed")          # an executor's name
        await executor_named(stack, who).kill()
        fp.release("executor.batch.committed")                       # others pass from now on

Environment (set per process by `env(who)`): SYNCPLANE_FAILPOINTS
(`name=[n*]pause|crash|fail;...`: `pause` from the n-th hit on, `crash` and
`fail` at the n-th) and SYNCPLANE_FAILPOINT_DIR (`<root>/<who>`: the process
writes `<name>.hit` with its pid there and, paused, waits for
`<name>.release`). While the release file exists hits pass; `release` before
the run starts and `clear` later arm a point from a chosen moment on.

Points (see DESIGN.md "Failpoints"):
- executor.run.started: an attempt was accepted, its connector not yet called
- executor.batch.in_transaction: inside a batch transaction, the fence checked (holds the fence row FOR SHARE)
- executor.batch.committed: a batch (a page) committed at the destination and its checkpoint queued
- executor.finish.in_transaction: inside an entity's last transaction (swap, mark), the fence checked
- executor.run.ended: the attempt ended on the executor (logged `run.ended`), its result not yet sent
- engine.dispatch.claimed: the server claimed runs for an executor, not yet assigned
- engine.finish: the server received results, not yet persisted
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from syncplane.failpoints import DIR_ENV, ENV

__all__ = ["Failpoints"]


class Failpoints:
    """Failpoints of the processes of one test, under `root/<process name>/`."""

    def __init__(self, root: Path, points: dict[str, str] | None = None) -> None:
        self.root = root
        #: What `env(who)` arms unless told otherwise: point name -> `[n*]action`.
        self.points = dict(points or {})
        root.mkdir(parents=True, exist_ok=True)

    def env(self, who: str, points: dict[str, str] | None = None) -> dict[str, str]:
        """The environment that arms process `who` (an executor's or server's name)."""
        chosen = self.points if points is None else points
        directory = self.root / who
        directory.mkdir(parents=True, exist_ok=True)
        return {ENV: ";".join(f"{name}={action}" for name, action in chosen.items()), DIR_ENV: str(directory)}

    def _dirs(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.is_dir())

    def hits(self, name: str) -> list[str]:
        """The processes that reached `name` so far."""
        return [d.name for d in self._dirs() if (d / f"{name}.hit").exists()]

    def hit_pid(self, who: str, name: str) -> int:
        return int((self.root / who / f"{name}.hit").read_text().strip())

    async def wait_hit(self, name: str, timeout: float = 120.0, *, exclude: tuple[str, ...] = ()) -> str:
        """Waits until a process (not in `exclude`) reached `name`; its name.

        Generous: reaching a point is a condition, not a speed; the timeout
        only bounds a test whose run never gets there (a bug)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [who for who in self.hits(name) if who not in exclude]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no process reached failpoint {name} within {timeout}s (under {self.root})")
            await asyncio.sleep(0.01)

    def release(self, name: str, *, only: str | None = None, but: str | None = None) -> None:
        """Lets paused processes go on past `name` (and later hits pass at once):
        every process, or `only` one, or all `but` one."""
        for directory in self._dirs():
            if (only is not None and directory.name != only) or directory.name == but:
                continue
            (directory / f"{name}.release").touch()

    def clear(self, name: str, *, only: str | None = None) -> None:
        """Arms `name` again (in every process, or `only` one): removes its
        release files, then its hit files (in that order: a hit written after
        this is a process that will pause)."""
        dirs = [d for d in self._dirs() if only is None or d.name == only]
        for directory in dirs:
            (directory / f"{name}.release").unlink(missing_ok=True)
        for directory in dirs:
            (directory / f"{name}.hit").unlink(missing_ok=True)

    def release_all(self) -> None:
        """Every point of every process (teardown: nothing stays paused)."""
        names = {n for d in self._dirs() for n in self.points} | {
            p.name[: -len(".hit")] for d in self._dirs() for p in d.glob("*.hit")
        }
        for name in names:
            self.release(name)

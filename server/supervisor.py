"""Named long-running tasks of one process, started and stopped as a unit.

Every background loop of the server (dispatcher, sweeper, scheduler, ...) is
started here under its name. None of them is meant to end: the first that
raises, or returns, is fatal; it is logged with its name, `failed` is set and
`error` says which task and why, and the process's owner (`syncplane server`,
`syncplane up`, a test harness) stops the server. `stop()` cancels the tasks in
the reverse of the order they were started, each awaited before the next (a
later task may lean on an earlier one), and is idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class TaskFailure:
    task: str
    error: BaseException | None  # None: the task returned, which a long-running task must not


class Supervisor:
    def __init__(self, owner: str = "server") -> None:
        self._owner = owner
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.failed = asyncio.Event()
        #: The first fatal end of a task (later ones are only logged).
        self.error: TaskFailure | None = None

    def start(self, name: str, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        if self._stopping:
            coro.close()
            raise RuntimeError(f"{self._owner} is stopping: {name} not started")
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._ended)
        self._tasks.append(task)
        return task

    def names(self) -> list[str]:
        return [t.get_name() for t in self._tasks]

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping or task.cancelled():
            return
        error = task.exception()
        failure = TaskFailure(task.get_name(), error)
        if error is not None:
            log.error(f"{self._owner}.task_died", task=failure.task, exc_info=error)
        else:
            log.error(f"{self._owner}.task_ended", task=failure.task)
        if self.error is None:
            self.error = failure
        self.failed.set()

    async def stop(self) -> None:
        """Cancels the tasks, last started first, waiting for each (idempotent)."""
        self._stopping = True
        while self._tasks:
            task = self._tasks.pop()
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise  # the caller of stop() was cancelled, not the task
            except Exception:  # noqa: BLE001 - already logged by _ended, or died while stopping
                pass


async def wait_first(*events: asyncio.Event) -> None:
    """Returns when any of `events` is set; the waits on the others are
    cancelled and awaited (no task is left behind)."""
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


__all__ = ["Supervisor", "TaskFailure", "wait_first"]

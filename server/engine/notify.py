"""One LISTEN connection per server, fanning NOTIFY payloads out to callbacks.

NOTIFY is only a wake-up hint: whoever listens also polls, so a notification
lost while the connection was down delays work but never loses it. After a
reconnect every callback gets a `None` payload meaning "re-check everything".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import structlog

from syncplane.server.db.connection import Conn
from syncplane.server.db.errors import TRANSIENT

log = structlog.get_logger(__name__)

Callback = Callable[[str | None], None]


class Listener:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._callbacks: dict[str, list[Callback]] = {}
        self._conn: Conn | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.connected = asyncio.Event()

    def subscribe(self, channel: str, callback: Callback) -> None:
        self._callbacks.setdefault(channel, []).append(callback)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                self._conn = await asyncpg.connect(self._dsn)
                self._lost.clear()
                self._conn.add_termination_listener(lambda _c: self._lost.set())
                for channel in self._callbacks:
                    await self._conn.add_listener(channel, self._on_notify)
                self.connected.set()
                log.info("notify.listening", channels=sorted(self._callbacks))
                delay = 0.2
                self._fire_all(None)
                await self._lost.wait()
                log.warning("notify.connection_lost")
            except asyncio.CancelledError:
                raise
            except TRANSIENT as exc:
                log.warning("notify.connect_failed", error=str(exc), retry_in=delay)
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _on_notify(self, _conn: object, _pid: int, channel: str, payload: object) -> None:
        for callback in self._callbacks.get(channel, ()):
            callback(str(payload))

    def _fire_all(self, payload: str | None) -> None:
        for callbacks in self._callbacks.values():
            for callback in callbacks:
                callback(payload)

"""A small asyncio TCP proxy that a test can cut, stall and restore.

An executor dials the proxy instead of the server, so the test controls the
network between them without touching either process:

- `cut(refuse=True)`: every open connection is reset (RST on both sides) and,
  until `restore()`, new connections are refused (the listening socket is
  closed, so the kernel answers a SYN with RST).
- `stall()`: connections stay open but no byte is forwarded either way (a
  silent partition: nobody sees a reset, only missing data); `resume()`
  forwards what was held back.
- `restore()`: listens again on the same port.

It runs in the test's event loop. `stats` counts connections, for assertions
such as "the executor reconnected".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field


@dataclass
class ProxyStats:
    accepted: int = 0
    reset: int = 0
    refused_while_cut: int = 0
    bytes_up: int = 0
    bytes_down: int = 0


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _reset(writer: asyncio.StreamWriter | None) -> None:
    """Closes a connection with RST instead of FIN (SO_LINGER 0), as a cut cable would look
    to a peer whose packets get an answer."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, listen_host: str = "127.0.0.1", listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.listen_host = listen_host
        self.port = listen_port
        self.stats = ProxyStats()
        self._server: asyncio.base_events.Server | None = None
        self._links: set[_Link] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.port}"

    @property
    def open_connections(self) -> int:
        return len(self._links)

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._handle, self.listen_host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self, *, refuse: bool = True) -> int:
        """Resets every open connection; with `refuse`, also stops listening.

        Returns how many connections were reset."""
        if refuse and self._server is not None:
            self._server.close()
            self._server = None
        links, self._links = list(self._links), set()
        for link in links:
            _reset(link.client)
            _reset(link.upstream)
            for task in link.tasks:
                task.cancel()
        self.stats.reset += len(links)
        self._flowing.set()
        return len(links)

    def stall(self) -> None:
        """Holds every byte in both directions; connections stay open."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def restore(self) -> None:
        """Listens again (same port) and forwards again."""
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self.cut(refuse=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted in the instant before a cut closed the listener
            self.stats.refused_while_cut += 1
            _reset(writer)
            return
        self.stats.accepted += 1
        link = _Link(client=writer)
        self._links.add(link)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._links.discard(link)
            _reset(writer)
            return
        link.upstream = up_writer
        if link not in self._links:  # cut while connecting upstream
            _reset(up_writer)
            return
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, link, up=True)),
            asyncio.create_task(self._pump(up_reader, writer, link, up=False)),
        ]

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link, *, up: bool) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()
                if link not in self._links:
                    return
                writer.write(data)
                await writer.drain()
                if up:
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
            # A clean close on one side is passed on as a clean close.
            with contextlib.suppress(OSError, RuntimeError):
                writer.write_eof()
        except (OSError, asyncio.IncompleteReadError):
            if link in self._links:
                self._links.discard(link)
                _reset(link.client)
                _reset(link.upstream)
        except asyncio.CancelledError:
            pass
        finally:
            if all(t.done() or t is asyncio.current_task() for t in link.tasks) and link in self._links:
                self._links.discard(link)
                with contextlib.suppress(Exception):
                    link.client.close()
                    if link.upstream is not None:
                        link.upstream.close()


__all__ = ["ProxyStats", "TcpProxy"]

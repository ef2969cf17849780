"""A TCP proxy the fault tests put between the app and a server (PostgreSQL, Redis) to cut it off.

    proxy = await TcpProxy.start("127.0.0.1", 5432)
    ...  # the app connects to 127.0.0.1:proxy.port
    await proxy.refuse()   # every open connection is closed, new ones are closed at once
    await proxy.accept()   # new connections are forwarded again
    await proxy.close()

Refusing closes the listening socket itself, so a client gets "connection refused", exactly
what it sees when the server is down; `accept()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["TcpProxy"]


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` until told to refuse."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self.accepted = 0
        self._server: asyncio.base_events.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @classmethod
    async def start(cls, target_host: str, target_port: int, *, port: int = 0) -> TcpProxy:
        proxy = cls(target_host, target_port)
        proxy.port = port
        await proxy.accept()
        return proxy

    @property
    def refusing(self) -> bool:
        return self._server is None

    async def accept(self) -> None:
        """Listen (again) and forward every new connection."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Close every open connection and stop listening: new connections are refused."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        pipes = list(self._pipes)
        for task in pipes:
            task.cancel()
        if pipes:
            await asyncio.gather(*pipes, return_exceptions=True)

    async def close(self) -> None:
        await self.refuse()

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._server is None:
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        self.accepted += 1
        self._writers.update((client_writer, server_writer))
        up = asyncio.create_task(self._pipe(client_reader, server_writer))
        down = asyncio.create_task(self._pipe(server_reader, client_writer))
        self._pipes.update((up, down))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
            for writer in (client_writer, server_writer):
                writer.transport.abort()
                self._writers.discard(writer)
            self._pipes.difference_update((up, down))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()

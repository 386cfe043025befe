"""A loopback TCP proxy that makes a local server look far away (emulated round-trip time).

Every byte is forwarded after half the round-trip time (RTT/2) in its own
direction, in the order it arrived, so a request/answer exchange costs one
RTT, as over a real long link; and the first byte of a new connection is held
for one extra RTT, the cost of TCP's handshake (SYN, SYN-ACK) before a client
may send.  Bandwidth is not limited, and no TLS handshake is emulated (a real
HTTPS link adds one or two RTTs per new connection on top, which only makes
connection reuse matter more).

The proxy listens on ``127.0.0.1`` only and counts the connections it accepts,
so the bench can report how many each case opened.

Used by ``bench/run.py`` (in a background thread, :class:`ThreadedRttProxy`)
and by ``tests/test_bench_proxy.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field

__all__ = ["RttProxy", "ThreadedRttProxy"]

_READ = 256 * 1024


@dataclass
class _Counters:
    connections: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    open_now: int = 0
    peak_open: int = 0
    #: ``time.time()`` of each accepted connection since the last reset.
    accepted_at: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class RttProxy:
    """asyncio TCP proxy from ``127.0.0.1:<port>`` to ``target`` with an emulated RTT.

    Parameters
    ----------
    target_host, target_port : str, int
        Where to forward (the local server).
    rtt : float
        Emulated round-trip time in seconds: each direction is delayed by
        ``rtt / 2``, and a new connection's first byte by one more ``rtt``.
    """

    def __init__(self, target_host: str, target_port: int, rtt: float) -> None:
        if rtt < 0:
            raise ValueError(f"rtt must be >= 0, got {rtt!r}")
        self.target = (target_host, target_port)
        self.rtt = rtt
        self.counters = _Counters()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> RttProxy:
        """Listen on an ephemeral loopback port (see :attr:`port`)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and cut every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def reset(self) -> None:
        """Zero the counters (between bench cases)."""
        with self.counters._lock:
            self.counters.connections = 0
            self.counters.accepted_at = []
            self.counters.bytes_up = self.counters.bytes_down = 0
            self.counters.peak_open = self.counters.open_now

    def snapshot(self) -> dict[str, int]:
        """The counters: connections accepted, bytes each way, most connections open at once."""
        c = self.counters
        with c._lock:
            return {
                "connections": c.connections,
                "bytes_up": c.bytes_up,
                "bytes_down": c.bytes_down,
                "peak_open_connections": c.peak_open,
            }

    def connections_between(self, start: float, end: float) -> int:
        """Connections accepted between two ``time.time()`` instants."""
        with self.counters._lock:
            return sum(1 for t in self.counters.accepted_at if start <= t <= end)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        accepted = time.monotonic()
        c = self.counters
        with c._lock:
            c.connections += 1
            c.accepted_at.append(time.time())
            c.open_now += 1
            c.peak_open = max(c.peak_open, c.open_now)
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            # The handshake's round trip: nothing the client sends arrives before it.
            gate = accepted + self.rtt
            await asyncio.gather(
                self._pipe(reader, up_writer, gate, "bytes_up"),
                self._pipe(up_reader, writer, accepted, "bytes_down"),
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # stop() cuts open connections; end the handler quietly (asyncio's
            # stream protocol would log a cancelled handler as an error).
            pass
        finally:
            with c._lock:
                c.open_now -= 1
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
                    with contextlib.suppress(BaseException):
                        await w.wait_closed()
            self._tasks.discard(task)

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        gate: float,
        counter: str,
    ) -> None:
        """Forward ``source`` to ``sink``, each chunk ``rtt/2`` after it arrived (or the gate)."""
        half = self.rtt / 2
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if sink.can_write_eof():
                        with contextlib.suppress(OSError):
                            sink.write_eof()
                    return
                sink.write(data)
                await sink.drain()

        sender = asyncio.create_task(deliver())
        try:
            while True:
                data = await source.read(_READ)
                due = max(time.monotonic(), gate) + half
                queue.put_nowait((due, data))
                if not data:
                    break
                with self.counters._lock:
                    setattr(self.counters, counter, getattr(self.counters, counter) + len(data))
            await sender
        finally:
            if not sender.done():
                sender.cancel()
                with contextlib.suppress(BaseException):
                    await sender


class ThreadedRttProxy:
    """An :class:`RttProxy` running on its own event loop in a daemon thread.

    Parameters
    ----------
    target_host, target_port : str, int
        Where to forward.
    rtt : float
        Emulated round-trip time, seconds.
    """

    def __init__(self, target_host: str, target_port: int, rtt: float) -> None:
        self.proxy = RttProxy(target_host, target_port, rtt)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def rtt(self) -> float:
        """The emulated round-trip time, seconds."""
        return self.proxy.rtt

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.proxy.port}"

    def start(self) -> ThreadedRttProxy:
        """Start the thread and the listener."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        """Stop the listener, the connections and the thread."""
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def reset(self) -> None:
        """Zero the counters."""
        self.proxy.reset()

    def snapshot(self) -> dict[str, int]:
        """The counters (see :meth:`RttProxy.snapshot`)."""
        return self.proxy.snapshot()

    def connections_between(self, start: float, end: float) -> int:
        """Connections accepted between two ``time.time()`` instants."""
        return self.proxy.connections_between(start, end)

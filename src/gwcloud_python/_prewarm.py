"""Open TCP connections ahead of use, so a distant server's handshake overlaps other work.

On a long link every new connection costs one round trip before its first
request can leave.  A download call knows, before it asks for download IDs,
how many files it will fetch and from which host; :class:`PrewarmBackend`
lets it start that many TCP connections while the ID request is in flight,
and hands them to httpcore when the transfers begin.

Only the TCP part is opened early: httpcore still does TLS (``start_tls``)
on the stream it gets, and every connection that is not in the stash is
opened by httpcore's own :class:`httpcore.SyncBackend`.

Every stream the backend returns also reads at most
``_constants.SOCKET_READ_SIZE`` bytes per call (see :class:`_SmallReads`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import select
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore

from . import _constants as C
from ._httpx_internals import socket_stream

__all__ = ["PrewarmBackend"]

logger = logging.getLogger(__name__)

_IN_PROGRESS = frozenset(
    {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, getattr(errno, "WSAEWOULDBLOCK", -1)}
)
_READ_EVENTS = select.POLLIN | select.POLLERR | select.POLLHUP if hasattr(select, "poll") else 0
_WRITE_EVENTS = select.POLLOUT | select.POLLERR | select.POLLHUP if hasattr(select, "poll") else 0


def _ready(sock: socket.socket, *, write: bool, timeout: float | None) -> bool:
    """Whether ``sock`` is readable (or closed, or failed) / writable within ``timeout``."""
    if sys.platform == "win32" or not hasattr(select, "poll"):  # pragma: no cover
        if write:
            _, writable, failed = select.select([], [sock], [sock], timeout)
            return bool(writable or failed)
        readable, _, failed = select.select([sock], [], [sock], timeout)
        return bool(readable or failed)
    poller = select.poll()
    poller.register(sock.fileno(), _WRITE_EVENTS if write else _READ_EVENTS)
    wait = -1 if timeout is None else max(0, int(timeout * 1000))
    return bool(poller.poll(wait))


class _SmallReads(httpcore.NetworkStream):
    """A network stream whose reads ask the socket for at most ``limit`` bytes at a time.

    Each piece read is copied once more (to a file or a buffer) right after it
    arrives; kept small, it is still in the CPU's cache for that copy.
    """

    def __init__(self, inner: httpcore.NetworkStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read at most ``min(max_bytes, limit)`` bytes."""
        return self._inner.read(min(max_bytes, self._limit), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send all of ``buffer``."""
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Upgrade to TLS; the TLS stream keeps the read limit."""
        upgraded = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _SmallReads(upgraded, self._limit)

    def get_extra_info(self, info: str) -> Any:
        """Answer from the wrapped stream."""
        return self._inner.get_extra_info(info)


@dataclass
class _Stashed:
    sock: socket.socket
    opened: float


class PrewarmBackend(httpcore.NetworkBackend):
    """An httpcore network backend that can open TCP connections before they are asked for.

    :meth:`prewarm` starts connections to a host in a background thread and
    keeps them in a stash; :meth:`connect_tcp` hands out a stashed
    connection for the same host and port when one is still healthy (not
    closed or written to by the peer, younger than ``expiry``), and otherwise
    opens one as httpcore's default backend would.  Unused connections are
    closed after ``expiry`` seconds and by :meth:`close`.

    Parameters
    ----------
    limit : int
        Most connections stashed or being opened for one host and port.
    expiry : float
        Seconds a stashed connection may wait to be used.
    inner : httpcore.NetworkBackend, optional
        Backend for every connection not taken from the stash (default
        :class:`httpcore.SyncBackend`).
    """

    def __init__(
        self,
        *,
        limit: int = C.MAX_DOWNLOAD_CONCURRENCY,
        expiry: float = C.PREWARM_EXPIRY_SECONDS,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.limit = limit
        self.expiry = expiry
        self._inner = inner if inner is not None else httpcore.SyncBackend()
        self._lock = threading.Lock()
        self._stash: dict[tuple[str, int], deque[_Stashed]] = {}
        self._pending: dict[tuple[str, int], int] = {}
        self._timers: set[threading.Timer] = set()
        self._closed = False
        #: Connections opened ahead of use, and how many of them were handed out (tests).
        self.opened: int = 0
        self.handed_out: int = 0

    def __repr__(self) -> str:
        return f"PrewarmBackend(limit={self.limit}, expiry={self.expiry})"

    # ---------------------------------------------------------------- prewarm

    def reserved(self, host: str, port: int) -> int:
        """Connections to ``host:port`` stashed or being opened now."""
        key = (host, port)
        with self._lock:
            return len(self._stash.get(key, ())) + self._pending.get(key, 0)

    def prewarm(self, host: str, port: int, count: int, *, timeout: float | None = None) -> int:
        """Have ``count`` connections to ``host:port`` stashed or being opened (at most ``limit``).

        Returns at once; the connections are opened in a background thread.

        Parameters
        ----------
        host : str
            Host name or address, as httpcore will pass it to :meth:`connect_tcp`.
        port : int
            TCP port.
        count : int
            How many connections should be ready; those already stashed or
            being opened count.
        timeout : float or None
            Seconds name resolution and each connection may take.

        Returns
        -------
        int
            How many new connections were started.
        """
        key = (host, port)
        with self._lock:
            if self._closed:
                return 0
            have = len(self._stash.get(key, ())) + self._pending.get(key, 0)
            new = max(0, min(count, self.limit) - have)
            if new == 0:
                return 0
            self._pending[key] = self._pending.get(key, 0) + new
            timer = threading.Timer(self.expiry + 0.05, self._expire)
            timer.daemon = True
            self._timers.add(timer)
        thread = threading.Thread(
            target=self._open, args=(key, new, timeout), name="gwcloud-prewarm", daemon=True
        )
        thread.start()
        timer.start()
        logger.debug("opening %d connection(s) to %s:%d ahead of use", new, host, port)
        return new

    def _open(self, key: tuple[str, int], count: int, timeout: float | None) -> None:
        opened = 0
        try:
            infos = socket.getaddrinfo(key[0], key[1], 0, socket.SOCK_STREAM)
            family, kind, proto, _, address = infos[0]
            for _ in range(count):
                with self._lock:
                    if self._closed or self._pending.get(key, 0) <= 0:
                        return
                sock = socket.socket(family, kind, proto)
                try:
                    sock.setblocking(False)
                    if family in (socket.AF_INET, socket.AF_INET6):
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    code = sock.connect_ex(address)
                except OSError:
                    sock.close()
                    raise
                if code not in _IN_PROGRESS:
                    sock.close()
                    return
                with self._lock:
                    if self._closed or self._pending.get(key, 0) <= 0:
                        sock.close()
                        return
                    self._pending[key] -= 1
                    self._stash.setdefault(key, deque()).append(_Stashed(sock, time.monotonic()))
                    self.opened += 1
                    opened += 1
        except OSError as err:
            logger.debug("could not open connections to %s:%d ahead of use: %s", *key, err)
        finally:
            with self._lock:
                # Whatever was not opened is not coming: give the reservations back.
                left = count - opened
                self._pending[key] = max(0, self._pending.get(key, 0) - left)

    def _expire(self) -> None:
        stale: list[socket.socket] = []
        now = time.monotonic()
        with self._lock:
            self._timers = {timer for timer in self._timers if timer.is_alive()}
            for queue in self._stash.values():
                while queue and now - queue[0].opened >= self.expiry:
                    stale.append(queue.popleft().sock)
        for sock in stale:
            sock.close()

    def close(self) -> None:
        """Close every stashed connection and open no more."""
        with self._lock:
            self._closed = True
            stashed = [entry.sock for queue in self._stash.values() for entry in queue]
            self._stash.clear()
            self._pending.clear()
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()
        for sock in stashed:
            sock.close()

    # --------------------------------------------------------------- httpcore

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """A stashed connection to ``host:port`` when a healthy one is there, else a new one."""
        options = list(socket_options or ())
        if local_address is None:
            key = (host, port)
            while True:
                entry = self._take(key)
                if entry is None:
                    break
                stream = self._claim(entry, timeout, options)
                if stream is not None:
                    return stream
        stream = self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=options
        )
        return _SmallReads(stream, C.SOCKET_READ_SIZE)

    def _take(self, key: tuple[str, int]) -> _Stashed | None:
        stale: list[socket.socket] = []
        now = time.monotonic()
        entry: _Stashed | None = None
        with self._lock:
            queue = self._stash.get(key)
            while queue:
                candidate = queue.popleft()
                if now - candidate.opened < self.expiry:
                    entry = candidate
                    break
                stale.append(candidate.sock)
            if entry is None and self._pending.get(key, 0) > 0:
                # This connection is opened now instead: one fewer in the background, so
                # that stashed and pooled connections together stay within the limit.
                self._pending[key] -= 1
        for sock in stale:
            sock.close()
        return entry

    def _claim(
        self, entry: _Stashed, timeout: float | None, options: list[httpcore.SOCKET_OPTION]
    ) -> httpcore.NetworkStream | None:
        sock = entry.sock
        try:
            if _ready(sock, write=False, timeout=0):
                # The peer closed it, reset it or sent something unasked: not usable.
                sock.close()
                return None
            if not _ready(sock, write=True, timeout=timeout):
                sock.close()
                raise httpcore.ConnectTimeout("timed out finishing a connection opened ahead")
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                sock.close()
                return None
            sock.setblocking(True)
            sock.settimeout(timeout)
            for option in options:
                sock.setsockopt(*option)
        except OSError:
            sock.close()
            return None
        with self._lock:
            self.handed_out += 1
        return _SmallReads(socket_stream(sock), C.SOCKET_READ_SIZE)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - httpx passes no unix socket here
        """Delegate to the inner backend."""
        return self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    def sleep(self, seconds: float) -> None:
        """Delegate to the inner backend."""
        self._inner.sleep(seconds)

    def __del__(self) -> None:
        # A client that was never closed: do not leak the stashed sockets.
        with contextlib.suppress(Exception):
            self.close()

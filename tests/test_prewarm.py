"""Connections opened ahead of downloads on a slow link (``_prewarm.PrewarmBackend``).

A loopback HTTP server counts the TCP connections it accepts: connections
opened ahead are the ones the next requests use (the count does not grow),
their number is bounded, stale or peer-closed ones are never handed out and
are closed, closing the client closes them, and a fast link opens none.
Waits are bounded polls of state, never timed assertions.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import pytest

from gwcloud_python import AsyncGWCloud, GWCloud
from gwcloud_python import _constants as C
from gwcloud_python._prewarm import PrewarmBackend, _SmallReads
from gwcloud_python._transport import Transport
from gwcloud_python.server import LocalServer

SLOW = 1.0  # seconds: any latency at or above HIGH_LATENCY_SECONDS counts as a slow link


def _until(condition: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    """Wait (bounded) until ``condition()`` holds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.accepted = 0
        self.count_lock = threading.Lock()
        self.barrier: threading.Barrier | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self.count_lock:
            self.accepted += 1
        return conn, addr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CountingServer

    def do_GET(self) -> None:
        if self.server.barrier is not None:
            self.server.barrier.wait()  # hold answers until all requests are in: one each
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[_CountingServer]:
    server = _CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if server.barrier is not None:
            server.barrier.abort()
        server.shutdown()
        server.server_close()
        thread.join(10)


def _url(server: _CountingServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/file"


def _stashed(backend: PrewarmBackend) -> list[socket.socket]:
    return [entry.sock for queue in backend._stash.values() for entry in queue]


def _ready(backend: PrewarmBackend, key: tuple[str, int], count: int) -> bool:
    with backend._lock:
        return len(backend._stash.get(key, ())) == count and not backend._pending.get(key)


def test_preopened_connections_serve_the_next_requests(http_server: _CountingServer) -> None:
    transport = Transport()
    backend = transport.prewarm_backend
    assert backend is not None
    key = ("127.0.0.1", http_server.server_address[1])
    try:
        assert transport.prewarm([(_url(http_server), 5)], latency=SLOW) == 5
        _until(lambda: http_server.accepted == 5 and _ready(backend, key, 5), "5 connections")
        http_server.barrier = threading.Barrier(5, timeout=10)
        answers: list[bytes] = []

        def get() -> None:
            answers.append(transport.http.get(_url(http_server)).content)

        threads = [threading.Thread(target=get) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert answers == [b"hello"] * 5
        assert http_server.accepted == 5  # no connection beyond the pre-opened ones
        assert backend.opened == backend.handed_out == 5
        assert backend.reserved(*key) == 0
    finally:
        transport.close()


def test_count_is_bounded_by_files_idle_and_pooled_connections(
    http_server: _CountingServer,
) -> None:
    transport = Transport()
    backend = transport.prewarm_backend
    assert backend is not None
    url = _url(http_server)
    key = ("127.0.0.1", http_server.server_address[1])
    try:
        assert transport.http.get(url).content == b"hello"  # one idle pooled connection
        assert transport.prewarm([(url, 1)], latency=SLOW) == 0  # the idle one suffices
        assert transport.prewarm([(url, 4), (url, 3)], latency=SLOW) == 6  # 7 files - 1 idle
        assert transport.prewarm([(url, 7)], latency=SLOW) == 0  # already under way
        assert transport.prewarm([(url, 1000)], latency=SLOW) == C.MAX_DOWNLOAD_CONCURRENCY - 7
        _until(lambda: _ready(backend, key, C.MAX_DOWNLOAD_CONCURRENCY - 1), "the stash")
        # Pooled plus stashed connections never exceed the engine's concurrency.
        assert backend.reserved(*key) + 1 == C.MAX_DOWNLOAD_CONCURRENCY
        _until(lambda: http_server.accepted == C.MAX_DOWNLOAD_CONCURRENCY, "the accepts")
        assert transport.prewarm([(url, 1000)], latency=SLOW) == 0
    finally:
        transport.close()
    other = Transport()
    try:
        assert other.prewarm([(url, 1000)], latency=SLOW, limit=4) == 4
    finally:
        other.close()


def test_nothing_is_opened_on_a_fast_link_or_a_callers_client(
    http_server: _CountingServer,
) -> None:
    import httpx

    transport = Transport()
    try:
        url = _url(http_server)
        assert transport.prewarm([(url, 10)]) == 0  # no latency seen yet
        assert transport.prewarm([(url, 10)], latency=C.HIGH_LATENCY_SECONDS / 2) == 0
        assert transport.prewarm([("ftp://127.0.0.1/x", 10)], latency=SLOW) == 0
    finally:
        transport.close()
    own = httpx.Client()
    try:
        theirs = Transport(http_client=own)
        assert theirs.prewarm_backend is None
        assert theirs.prewarm([(url, 10)], latency=SLOW) == 0
    finally:
        own.close()
    assert http_server.accepted == 0


def test_nothing_is_opened_for_a_url_behind_a_proxy(
    http_server: _CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{http_server.server_address[1]}")
    transport = Transport()
    try:
        assert transport.prewarm([(_url(http_server), 10)], latency=SLOW) == 0
    finally:
        transport.close()
    assert http_server.accepted == 0


def test_expired_connection_is_closed_not_handed_out(http_server: _CountingServer) -> None:
    backend = PrewarmBackend()
    key = ("127.0.0.1", http_server.server_address[1])
    try:
        assert backend.prewarm(*key, 1) == 1
        _until(lambda: _ready(backend, key, 1), "the stash")
        entry = backend._stash[key][0]
        entry.opened -= backend.expiry + 1  # older than the expiry
        stream = backend.connect_tcp(*key, timeout=5)
        stream.close()
        assert backend.handed_out == 0
        assert entry.sock.fileno() == -1  # closed
        _until(lambda: http_server.accepted == 2, "a fresh connection")
    finally:
        backend.close()


def test_expiry_closes_unused_connections(http_server: _CountingServer) -> None:
    backend = PrewarmBackend(expiry=0.05)
    key = ("127.0.0.1", http_server.server_address[1])
    try:
        assert backend.prewarm(*key, 2) == 2
        _until(lambda: backend.opened == 2, "2 connections")
        socks = [entry.sock for queue in list(backend._stash.values()) for entry in queue]
        _until(lambda: backend.reserved(*key) == 0, "the expiry")
        assert all(sock.fileno() == -1 for sock in socks)
    finally:
        backend.close()


def test_peer_closed_connection_is_not_handed_out() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    backend = PrewarmBackend()
    key = ("127.0.0.1", port)
    try:
        assert backend.prewarm(*key, 1) == 1
        _until(lambda: _ready(backend, key, 1), "the stash")
        accepted, _ = listener.accept()
        accepted.close()  # the server drops it before any request
        stashed = backend._stash[key][0].sock
        readable, _, _ = select.select([stashed], [], [], 10)
        assert readable
        stream = backend.connect_tcp(*key, timeout=5)
        fresh, _ = listener.accept()  # a new connection was opened instead
        fresh.close()
        stream.close()
        assert backend.handed_out == 0
        assert stashed.fileno() == -1
    finally:
        backend.close()
        listener.close()


def test_handed_out_stream_has_options_and_can_start_tls(http_server: _CountingServer) -> None:
    backend = PrewarmBackend()
    key = ("127.0.0.1", http_server.server_address[1])
    try:
        backend.prewarm(*key, 1)
        _until(lambda: _ready(backend, key, 1), "the stash")
        stream = backend.connect_tcp(
            *key, timeout=5, socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        )
        try:
            assert backend.handed_out == 1
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            assert sock.gettimeout() == 5
            # httpcore upgrades the stream itself; inside the read cap, the same stream
            # type as its own backend's.
            fresh = httpcore.SyncBackend().connect_tcp(*key)
            assert isinstance(stream, _SmallReads)
            assert type(stream._inner) is type(fresh)
            fresh.close()
            stream.write(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            assert stream.read(4096, timeout=5).startswith(b"HTTP/1.")
            # start_tls on a plain HTTP server fails as a connect error, as on a fresh socket.
            context = ssl.create_default_context()
            with pytest.raises(httpcore.ConnectError):
                stream.start_tls(context, server_hostname="localhost", timeout=5)
        finally:
            stream.close()
    finally:
        backend.close()


def test_close_closes_the_stash(http_server: _CountingServer) -> None:
    transport = Transport()
    backend = transport.prewarm_backend
    assert backend is not None
    key = ("127.0.0.1", http_server.server_address[1])
    assert transport.prewarm([(_url(http_server), 3)], latency=SLOW) == 3
    _until(lambda: _ready(backend, key, 3), "the stash")
    socks = _stashed(backend)
    transport.close()
    assert len(socks) == 3 and all(sock.fileno() == -1 for sock in socks)
    assert backend.reserved(*key) == 0
    assert backend.prewarm(*key, 3) == 0


# -- the download pipeline ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, dict[str, Any]]]:
    server = LocalServer(tmp_path_factory.mktemp("prewarm-server"), schema="2023")
    server.start()
    try:
        yield server, server.seed_scale(1, 12, 100)
    finally:
        server.stop()


def _spy(transport: Transport, calls: list[tuple[list[tuple[str, int]], int]]) -> None:
    original = transport.prewarm

    def prewarm(downloads: Any, **kwargs: Any) -> int:
        downloads = list(downloads)
        started = original(downloads, **kwargs)
        calls.append((downloads, started))
        return started

    transport.prewarm = prewarm  # type: ignore[method-assign]


def test_download_on_a_fast_link_opens_nothing_ahead(
    local: tuple[LocalServer, dict[str, Any]], tmp_path: Path
) -> None:
    server, seeded = local
    with GWCloud(
        seeded["user_token"],
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        progress=False,
    ) as gw:
        calls: list[tuple[list[tuple[str, int]], int]] = []
        _spy(gw.client, calls)
        refs = gw.get_job_by_id(seeded["first_job_id"]).get_full_file_list()
        gw.client._latencies.clear()
        gw.client._latencies.append(0.001)  # loopback
        paths = gw.save_files_by_reference(refs, tmp_path)
        assert len(paths) == 12
        assert calls and all(started == 0 for _, started in calls)
        assert gw.client.prewarm_backend is not None
        assert gw.client.prewarm_backend.opened == 0


def test_download_on_a_slow_link_opens_connections_to_the_download_host(
    local: tuple[LocalServer, dict[str, Any]], tmp_path: Path
) -> None:
    server, seeded = local
    with GWCloud(
        seeded["user_token"],
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        progress=False,
    ) as gw:
        calls: list[tuple[list[tuple[str, int]], int]] = []
        _spy(gw.client, calls)
        refs = gw.get_job_by_id(seeded["first_job_id"]).get_full_file_list()
        gw.client._latencies.clear()
        gw.client._latencies.append(SLOW)  # as if far away
        paths = gw.save_files_by_reference(refs, tmp_path / "out")
        assert sorted(p.name for p in paths) == sorted(r.path.name for r in refs)
        (downloads, started), *_ = calls
        assert sum(files for _, files in downloads) == 12
        assert all(url.startswith(server.base_url) for url, _ in downloads)
        assert 0 < started <= 12  # the idle GraphQL connection counts as one
        backend = gw.client.prewarm_backend
        assert backend is not None and backend.handed_out <= backend.opened <= started


def test_async_download_prewarms_the_sync_engine_by_the_async_latency(
    local: tuple[LocalServer, dict[str, Any]], tmp_path: Path
) -> None:
    server, seeded = local
    calls: list[tuple[list[tuple[str, int]], int]] = []

    async def main() -> int:
        async with AsyncGWCloud(
            seeded["user_token"],
            auth_endpoint=server.auth_endpoint,
            endpoint=server.endpoint,
            progress=False,
        ) as gw:
            _spy(gw.sync_client, calls)
            job = await gw.get_job_by_id(seeded["first_job_id"])
            refs = await job.get_full_file_list()
            gw.client._latencies.clear()
            gw.client._latencies.append(SLOW)
            return len(await gw.save_files_by_reference(refs, tmp_path))

    assert asyncio.run(main()) == 12
    (downloads, started), *_ = calls
    assert sum(files for _, files in downloads) == 12
    assert 0 < started <= 12  # less any idle connection of the token exchange


class _RecordingStream(httpcore.NetworkStream):
    """A stream that records what it is asked for."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.written: list[bytes] = []
        self.closed = False
        self.tls: tuple[Any, ...] | None = None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.asked.append(max_bytes)
        return b"x" * max_bytes

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written.append(buffer)

    def close(self) -> None:
        self.closed = True

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self.tls = (ssl_context, server_hostname, timeout)
        return _RecordingStream()

    def get_extra_info(self, info: str) -> Any:
        return f"info:{info}"


def test_reads_ask_the_socket_for_small_pieces() -> None:
    inner = _RecordingStream()
    stream = _SmallReads(inner, C.SOCKET_READ_SIZE)
    assert len(stream.read(64 * 1024)) == C.SOCKET_READ_SIZE
    assert len(stream.read(100)) == 100
    assert inner.asked == [C.SOCKET_READ_SIZE, 100]
    stream.write(b"abc")
    assert inner.written == [b"abc"]
    assert stream.get_extra_info("is_readable") == "info:is_readable"
    context = ssl.create_default_context()
    upgraded = stream.start_tls(context, "example.org", 3.0)
    assert inner.tls == (context, "example.org", 3.0)
    assert isinstance(upgraded, _SmallReads)
    upgraded.read(1 << 20)
    assert upgraded._inner.asked == [C.SOCKET_READ_SIZE]  # type: ignore[attr-defined]
    stream.close()
    assert inner.closed


def test_every_connection_of_the_client_reads_in_small_pieces(
    http_server: _CountingServer,
) -> None:
    backend = PrewarmBackend()
    key = ("127.0.0.1", http_server.server_address[1])
    try:
        stream = backend.connect_tcp(*key, timeout=5)  # nothing stashed: opened now
        try:
            assert isinstance(stream, _SmallReads)
            assert stream._limit == C.SOCKET_READ_SIZE
        finally:
            stream.close()
    finally:
        backend.close()

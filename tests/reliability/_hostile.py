"""A hostile HTTP server on a real loopback socket, and a guard against hanging tests.

:class:`HostileServer` accepts connections on ``127.0.0.1``, reads one request
per connection and hands the socket to a handler that may answer anything: a
trickle, an endless body, garbage.  Every handler write goes through
:meth:`Connection.send`, which stops once the server is stopped, so no handler
outlives its test.  :func:`within` runs a call in a worker thread and fails
the test if it has not finished after a generous bound, so that a regression
shows as a failure rather than a hung suite.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

_T = TypeVar("_T")


@dataclass
class Request:
    """One request as the hostile server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (GraphQL requests)."""
        return json.loads(self.body or b"null")


class Stopped(Exception):
    """The server was stopped; the handler must end."""


@dataclass
class Connection:
    """The socket of one connection, with writes that stop with the server."""

    sock: socket.socket
    stopping: threading.Event

    def send(self, data: bytes) -> None:
        """Send ``data``; raise :class:`Stopped` once the server stops or the peer left."""
        if self.stopping.is_set():
            raise Stopped
        try:
            self.sock.sendall(data)
        except OSError:
            raise Stopped from None

    def pause(self, seconds: float) -> None:
        """Wait, waking up early when the server stops."""
        if self.stopping.wait(seconds):
            raise Stopped

    def answer(
        self,
        body: bytes,
        *,
        status: str = "200 OK",
        headers: dict[str, str] | None = None,
        length: bool = True,
    ) -> None:
        """Send a whole response and let the connection close."""
        head = [f"HTTP/1.1 {status}", "Content-Type: application/json", "Connection: close"]
        if length:
            head.append(f"Content-Length: {len(body)}")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.send(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def answer_json(self, value: Any) -> None:
        """Send ``value`` as a JSON answer."""
        self.answer(json.dumps(value).encode())


Handler = Callable[[Connection, Request], None]


@dataclass
class HostileServer:
    """A loopback HTTP server that answers every request with ``handler``."""

    handler: Handler
    requests: list[Request] = field(default_factory=list)
    #: Seconds to wait after a request's headers before reading its body (a slow reader:
    #: a large upload stalls once the socket buffers are full).
    body_delay: float = 0.0

    def __post_init__(self) -> None:
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._acceptor.join(5)
        with self._lock:
            for sock in self._socks:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._socks.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            request = _read_request(sock, self.body_delay)
            if request is None:
                return
            self.requests.append(request)
            self.handler(Connection(sock, self._stopping), request)
        except (Stopped, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def _read_request(sock: socket.socket, body_delay: float = 0.0) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if body_delay:
        time.sleep(body_delay)
    parts = [body]
    received = len(body)
    while received < length:
        chunk = sock.recv(1024 * 1024)
        if not chunk:
            break
        parts.append(chunk)
        received += len(chunk)
    body = b"".join(parts)
    return Request(method, path, headers, body)


def within(seconds: float, call: Callable[[], _T]) -> _T:
    """Run ``call`` in a worker thread; fail if it has not ended after ``seconds``.

    The bound is a guard against a hung test, far above the expected time,
    not a speed check.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise AssertionError(f"the call did not end within {seconds} s (it would hang forever)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]

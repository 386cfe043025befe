"""The bounds of one GraphQL call: its deadline and the size of its answer.

A :class:`_Budget` holds both.  Its clock starts at once, or (for an upload)
when the request body has been sent; :class:`_GuardAuth` puts every answer
behind a :class:`_GuardedStream` that counts the decompressed bytes and checks
the clock as they arrive; and one :class:`_Watchdog` thread interrupts a sync
request blocked past its deadline.  A bound that is hit raises :class:`_Abort`,
which is never retried.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from typing import Any

import httpx

from . import _constants as C

__all__: list[str] = []

logger = logging.getLogger("gwcloud_python")


class _Abort(Exception):
    """A bound of the call was hit (size, deadline, encoding); never retried."""


class _Watchdog:
    """One daemon thread that calls callbacks at their deadlines (not a thread per call)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[list[Any]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def schedule(self, when: float, callback: Callable[[], None]) -> list[Any]:
        """Call ``callback`` at monotonic time ``when``; returns a handle for :meth:`cancel`."""
        entry: list[Any] = [when, next(self._seq), callback]
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(
                    target=self._run, name="gwcloud-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return entry

    def cancel(self, entry: list[Any]) -> None:
        """Forget a scheduled callback (cancelled entries are dropped lazily, in bulk)."""
        with self._cond:
            if entry[2] is None:
                return
            entry[2] = None
            self._cancelled += 1
            if self._cancelled > 64 + len(self._heap) // 2:
                self._heap = [e for e in self._heap if e[2] is not None]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                    self._cancelled = max(self._cancelled - 1, 0)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                entry = heapq.heappop(self._heap)
                callback, entry[2] = entry[2], None
                self._cond.release()
                try:
                    callback()
                except Exception as err:
                    logger.debug("deadline callback failed: %r", err)
                finally:
                    self._cond.acquire()


_WATCHDOG = _Watchdog()


class _Budget:
    """The deadline and the answer-size cap of one GraphQL call.

    Parameters
    ----------
    limit : float or None
        Seconds the call may take; None for no overall deadline.
    max_bytes : int
        Largest answer accepted, after decompression.
    armed : bool
        Start the clock now; otherwise when the request body has been sent.
    """

    def __init__(self, limit: float | None, max_bytes: int, *, armed: bool) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.started: float | None = time.monotonic() if armed else None
        self._lock = threading.Lock()
        self._interrupt: Callable[[], None] | None = None
        self._timer: list[Any] | None = None
        self.fired = False

    def arm(self) -> None:
        """Start the clock, unless it runs already."""
        if self.started is None:
            self.started = time.monotonic()
            with self._lock:
                self._schedule()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        left = self.remaining()
        return left is not None and left <= 0

    def deadline_error(self) -> _Abort:
        """The error for a call past its deadline."""
        return _Abort(f"the call took longer than its {self.limit:g} s deadline (call_timeout)")

    def watch(self, interrupt: Callable[[], None]) -> None:
        """Have a timer thread call ``interrupt`` when the deadline passes during an attempt.

        Sync calls block in socket reads that a trickle of bytes keeps alive
        (response headers, where no chunk boundary lets us look at the
        clock); ``interrupt`` shuts that socket down.
        """
        with self._lock:
            self._interrupt = interrupt
            self._schedule()

    def unwatch(self) -> None:
        """Stop the timer of :meth:`watch` (the attempt is over)."""
        with self._lock:
            self._interrupt = None
            if self._timer is not None:
                _WATCHDOG.cancel(self._timer)
                self._timer = None

    def _schedule(self) -> None:
        # Called with self._lock held.
        left = self.remaining()
        if self._interrupt is None or left is None or self._timer is not None:
            return
        self._timer = _WATCHDOG.schedule(time.monotonic() + left, self._expire)

    def _expire(self) -> None:
        with self._lock:
            interrupt = self._interrupt
            #: Set once the timer cut an attempt short: whatever it read is incomplete.
            self.fired = interrupt is not None
        if interrupt is not None:
            interrupt()

    def remaining(self) -> float | None:
        """Seconds left, or None when there is no deadline (yet)."""
        if self.limit is None or self.started is None:
            return None
        return self.limit - (time.monotonic() - self.started)

    def check(self) -> None:
        """Raise :class:`_Abort` once the deadline has passed."""
        if self.expired():
            raise self.deadline_error()

    def timeout(self, base: httpx.Timeout) -> httpx.Timeout:
        """The per-phase timeouts, none longer than the time left."""
        left = self.remaining()
        if left is None:
            return base
        left = max(left, 0.001)

        def cut(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=cut(base.connect),
            read=cut(base.read),
            write=cut(base.write),
            pool=cut(base.pool),
        )

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        """httpcore trace hook: start the clock once the request body is out."""
        if name.endswith("send_request_body.complete"):
            self.arm()

    async def async_trace(self, name: str, info: Mapping[str, Any]) -> None:
        """The async form of :meth:`trace`."""
        self.trace(name, info)

    def guard(self, response: httpx.Response) -> None:
        """Bound ``response`` before anyone reads it: size, deadline and decompression.

        A compressed body is decompressed here, in bounded steps, and the
        ``Content-Encoding`` header removed, so that the counted bytes are the
        decompressed ones and a small compressed bomb cannot grow in memory.
        """
        if isinstance(response.stream, _GuardedStream):
            return
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise _Abort(self._too_large(f"{int(length)} bytes announced"))
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            decoder: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            decoder = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding in ("identity", ""):
            decoder = None
        else:
            raise _Abort(f"the answer uses an unsupported Content-Encoding {encoding!r}")
        if decoder is not None:
            del response.headers["Content-Encoding"]
        response.stream = _GuardedStream(response.stream, self, decoder)

    def _too_large(self, what: str) -> str:
        return (
            f"the answer is larger than the {self.max_bytes} byte limit ({what}); "
            "raise max_response_size if it is expected"
        )


class _GuardedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that counts (decompressed) bytes and watches the deadline."""

    def __init__(self, inner: Any, budget: _Budget, decoder: Any) -> None:
        self._inner = inner
        self._budget = budget
        self._decoder = decoder
        self._count = 0

    def _take(self, raw: bytes) -> Iterator[bytes]:
        self._budget.check()
        if self._decoder is None:
            yield self._counted(raw)
            return
        data = raw
        while data:
            try:
                out = self._decoder.decompress(data, C.DECOMPRESS_STEP)
            except zlib.error as err:
                raise _Abort(f"the compressed answer is corrupt ({err})") from None
            data = self._decoder.unconsumed_tail
            if out:
                yield self._counted(out)

    def _finish(self) -> Iterator[bytes]:
        if self._decoder is not None:
            out = self._decoder.flush()
            if out:
                yield self._counted(out)

    def _counted(self, chunk: bytes) -> bytes:
        self._count += len(chunk)
        if self._count > self._budget.max_bytes:
            raise _Abort(self._budget._too_large(f"{self._count} bytes received so far"))
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._inner:
            yield from self._take(raw)
        yield from self._finish()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for raw in self._inner:
            for chunk in self._take(raw):
                yield chunk
        for chunk in self._finish():
            yield chunk

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()


class _GuardAuth(httpx.Auth):
    """Runs the real auth flow, but bounds every response before the flow reads it."""

    def __init__(self, inner: httpx.Auth | None, budget: _Budget) -> None:
        self._inner = inner
        self._budget = budget

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._inner.sync_auth_flow(request) if self._inner is not None else None
        request = next(flow) if flow is not None else request
        while True:
            response = yield request
            self._budget.guard(response)
            if flow is None:
                return
            try:
                request = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._inner.async_auth_flow(request) if self._inner is not None else None
        request = await flow.__anext__() if flow is not None else request
        while True:
            response = yield request
            self._budget.guard(response)
            if flow is None:
                return
            try:
                request = await flow.asend(response)
            except StopAsyncIteration:
                return

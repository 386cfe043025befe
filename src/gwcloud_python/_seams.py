"""The few places where the sync and async clients really differ, each named once.

The client is written once, as async code under :mod:`gwcloud_python._async`;
``tools/unasync.py`` writes the sync twin by renaming (``await`` goes,
``AsyncGWCloud`` becomes ``GWCloud``, ``async_offload`` becomes ``offload``...).
What renaming cannot express lives here as a pair of functions, one per
flavour, under names the rewrite maps onto each other:

========================  ======================  =====================================
async source calls        sync twin calls         what differs
========================  ======================  =====================================
``async_transports``      ``transports``          an async GraphQL transport beside the
                                                  sync one used for tokens and files, or
                                                  one sync transport for everything
``async_offload``         ``offload``             blocking work runs in a worker thread,
                                                  off the event loop, or just runs
``async_bounded_map``     ``bounded_map``         at most ``limit`` calls in flight, as
                                                  tasks or in a thread pool
``async_run_transfers``   ``run_transfers``       the download-ID requests run on the
                                                  loop or in threads while the transfer
                                                  engine runs in a thread of its own
``async_sleep``           ``sleep``               how a transport waits between retries
``async_exchange``        ``exchange``            one request within the call's deadline:
                                                  a polled task, or a watchdog thread
                                                  that shuts the socket
========================  ======================  =====================================
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from . import _constants as _C
from ._deadline import _Budget, _GuardAuth
from ._httpx_internals import interrupt_request
from ._transport_base import _closed_error
from ._wire import _LOW_LEVEL_ERRORS

if TYPE_CHECKING:  # the transports import their own seams from here: no cycle at run time
    from ._files import DownloadFeed
    from ._transport import AsyncTransport, Transport

__all__ = [
    "AsyncCall",
    "AsyncHook",
    "AsyncSleeper",
    "Call",
    "Hook",
    "Sleeper",
    "async_bounded_map",
    "async_exchange",
    "async_offload",
    "async_run_transfers",
    "async_sleep",
    "async_transports",
    "bounded_map",
    "exchange",
    "offload",
    "run_transfers",
    "sleep",
    "transports",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: A callback the async channel awaits before each operation (lazy authentication).
AsyncHook = Callable[[], Awaitable[None]]
#: The sync channel's callback.
Hook = Callable[[], None]
#: One request, ready to be sent (a zero-argument coroutine function) ...
AsyncCall = Callable[[], Awaitable[_T]]
#: ... and its sync twin.
Call = Callable[[], _T]


# -- transports ------------------------------------------------------------------------------


def async_transports(
    *, http_client: httpx.AsyncClient | None, **bounds: Any
) -> tuple[AsyncTransport, Transport]:
    """Build the async client's transports: GraphQL on the loop, tokens and files in threads.

    ``bounds`` are the transports' ``timeout``, ``max_retries``, ``call_timeout``
    and ``max_response_size``.  Token exchanges and file transfers share the
    sync engine, so a JWT is refreshed once however many coroutines see it expire.
    """
    from ._transport import AsyncTransport, Transport

    return AsyncTransport(http_client=http_client, **bounds), Transport(**bounds)


def transports(*, http_client: httpx.Client | None, **bounds: Any) -> tuple[Transport, Transport]:
    """Build the sync client's one transport, returned twice: it carries everything."""
    from ._transport import Transport

    transport = Transport(http_client=http_client, **bounds)
    return transport, transport


# -- blocking work ---------------------------------------------------------------------------


async def async_offload(function: Callable[..., _R], *args: Any) -> _R:
    """Run blocking ``function(*args)`` in a worker thread and await its result."""
    return await asyncio.to_thread(function, *args)


def offload(function: Callable[..., _R], *args: Any) -> _R:
    """Run ``function(*args)`` here: the sync client may block."""
    return function(*args)


# -- bounded parallel calls ------------------------------------------------------------------


async def async_bounded_map(
    function: Callable[[_T], Awaitable[_R]], items: Sequence[_T], limit: int
) -> list[_R]:
    """Await ``function`` over ``items``, at most ``limit`` at once; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: _T) -> _R:
        async with gate:
            return await function(item)

    return list(await asyncio.gather(*map(one, items)))


def bounded_map(function: Callable[[_T], _R], items: Sequence[_T], limit: int) -> list[_R]:
    """Call ``function`` over ``items`` in up to ``limit`` threads; results in order."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(min(limit, len(items)), thread_name_prefix="gwcloud-calls") as pool:
        return list(pool.map(function, items))


# -- the download pipeline -------------------------------------------------------------------


async def async_run_transfers(
    run: Callable[[], _R],
    feed: DownloadFeed,
    batches: Sequence[_T],
    resolve: Callable[[_T], Awaitable[None]],
    limit: int,
) -> _R:
    """Run the transfer engine in its own thread while ``resolve`` fills ``feed`` on the loop.

    ``resolve(batch)`` requests one batch's download IDs and puts them in the
    feed; up to ``limit`` run at once.  ``run()`` is the engine, which takes
    files from the feed as they arrive.  Cancelling the awaiting task stops
    both (an interrupted large file is kept for a later resume).
    """

    async def produce() -> None:
        try:
            await async_bounded_map(resolve, batches, limit)
            feed.close()
        except BaseException as err:  # handed to the engine (and the caller) through the feed
            feed.fail(err)

    producer = asyncio.ensure_future(produce())
    try:
        # Not asyncio.to_thread: the engine waits for the feed, and the ID requests may
        # need the default executor (token exchange), which concurrent downloads could fill.
        return await _in_own_thread(run)
    except BaseException as err:
        feed.fail(err)
        producer.cancel()
        raise
    finally:
        await asyncio.gather(producer, return_exceptions=True)


def run_transfers(
    run: Callable[[], _R],
    feed: DownloadFeed,
    batches: Sequence[_T],
    resolve: Callable[[_T], None],
    limit: int,
) -> _R:
    """Run the transfer engine here while threads call ``resolve`` to fill ``feed``.

    One batch is resolved before the engine starts (no thread is worth it);
    more go to a pool of up to ``limit`` threads, so transfers start while
    further IDs are still being requested.
    """
    if len(batches) <= 1:
        for batch in batches:
            resolve(batch)
        feed.close()
        return run()

    def produce() -> None:
        try:
            bounded_map(resolve, batches, limit)
            feed.close()
        except BaseException as err:  # handed to the engine (and the caller) through the feed
            feed.fail(err)

    producer = threading.Thread(target=produce, name="gwcloud-ids", daemon=True)
    producer.start()
    try:
        return run()
    finally:
        if not feed.cancelled:
            producer.join()


async def _in_own_thread(function: Callable[[], _R]) -> _R:
    """Run ``function`` in a new thread of its own and await it without blocking the loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_R] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def target() -> None:
        try:
            result = function()
        except BaseException as err:  # handed to the awaiting coroutine
            error = err
            deliver: Callable[[], None] = lambda: future.set_exception(error)  # noqa: E731
        else:
            deliver = lambda: future.set_result(result)  # noqa: E731
        with suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, deliver)

    threading.Thread(target=target, name="gwcloud-transfers", daemon=True).start()
    return await future


# --- transport seams ---
#
# ``async_sleep``/``sleep``: how a transport waits between retries (``Transport.sleep`` stays
# ``time.sleep`` itself, which the downloader recognises and waits on its cancel event
# instead).  ``async_exchange``/``exchange``: send and read one GraphQL request within the
# call's deadline, by polling the task on the loop or by a watchdog that shuts the socket.


#: How the async transport waits between retries.
AsyncSleeper = Callable[[float], Awaitable[None]]
#: How the sync transport waits between retries.
Sleeper = Callable[[float], None]

#: ``asyncio.sleep`` itself.
async_sleep: AsyncSleeper = asyncio.sleep
#: ``time.sleep`` itself.
sleep: Sleeper = time.sleep


class _AsyncExchanger(Protocol):
    """What :func:`async_exchange` needs of the async transport."""

    http: httpx.AsyncClient
    _latencies: deque[float]

    @property
    def closed(self) -> bool: ...


class _Exchanger(Protocol):
    """What :func:`exchange` needs of the sync transport."""

    http: httpx.Client
    _latencies: deque[float]

    @property
    def closed(self) -> bool: ...


async def async_exchange(
    transport: _AsyncExchanger, request: httpx.Request, guard: _GuardAuth, budget: _Budget
) -> httpx.Response:
    """Send and read one request on the loop; cancelled once the deadline passes.

    The clock of an upload starts when its body is out (the trace hook arms
    it), so until then the task is polled; afterwards it is awaited exactly
    until the deadline, then cancelled.

    Parameters
    ----------
    transport : AsyncTransport
        Sends the request and records how long its answer took to start.
    request : httpx.Request
        The built request.
    guard : _GuardAuth
        The auth flow that bounds every answer.
    budget : _Budget
        The call's deadline and size cap.

    Returns
    -------
    httpx.Response
        The answer, read in full and closed.
    """

    async def send() -> httpx.Response:
        try:
            started = time.perf_counter()
            response = await transport.http.send(request, auth=guard, stream=True)
            transport._latencies.append(time.perf_counter() - started)
        except RuntimeError:
            if transport.closed:
                raise _closed_error() from None
            raise
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    if budget.limit is None:
        return await send()
    task = asyncio.ensure_future(send())
    try:
        while True:
            left = budget.remaining()
            wait = _C.DEADLINE_POLL if left is None else max(left, 0.0)
            done, _ = await asyncio.wait({task}, timeout=wait)
            if done:
                return task.result()
            if budget.expired():
                task.cancel()
                await asyncio.wait({task})
                raise budget.deadline_error()
    finally:
        if not task.done():
            task.cancel()


def exchange(
    transport: _Exchanger, request: httpx.Request, guard: _GuardAuth, budget: _Budget
) -> httpx.Response:
    """Send and read one request here; its socket is shut down once the deadline passes.

    A blocked sync read cannot be cancelled, so the budget's watchdog thread
    interrupts it (:func:`~gwcloud_python._httpx_internals.interrupt_request`).
    Parameters and result as :func:`async_exchange`.
    """
    budget.watch(lambda: interrupt_request(transport.http, request))
    try:
        try:
            started = time.perf_counter()
            response = transport.http.send(request, auth=guard, stream=True)
            transport._latencies.append(time.perf_counter() - started)
        except RuntimeError:
            if transport.closed:
                raise _closed_error() from None
            raise
        try:
            response.read()
        finally:
            response.close()
    except (httpx.TransportError, *_LOW_LEVEL_ERRORS) as err:
        if budget.expired():
            raise budget.deadline_error() from err
        raise
    finally:
        budget.unwatch()
    if budget.fired:
        # The socket was shut down under a body that ends at connection close.
        raise budget.deadline_error()
    return response

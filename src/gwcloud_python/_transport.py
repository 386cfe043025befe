"""HTTP transport: one pooled httpx client, retries, bounds and error translation.

Every GraphQL call and every file transfer goes through :class:`Transport`.
Queries are retried on connection errors, 429 and 5xx with capped
exponential backoff, full jitter and ``Retry-After``; mutations are sent once.

Each GraphQL call is bounded: its answer may not exceed ``max_response_size``
bytes after decompression (counted while it streams in, so a huge answer is
dropped without being held in memory), and the call as a whole, retries
included, must finish within ``call_timeout`` seconds on top of httpx's
per-phase timeouts.  For a call that uploads files, the clock starts when the
request body has been sent, so that a large upload is limited only by the
per-phase timeouts.

httpx, httpcore, h11 and JSON errors become :mod:`gwcloud_python._errors`
exceptions here and nowhere else (:func:`map_transport_errors` and
:func:`parse_graphql_response`); :func:`graphql_error_class` is the one place
that reads the server's error messages.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import random
import re
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import IO, Any, Protocol

import h11
import httpcore
import httpx

from . import _constants as C
from ._errors import (
    AuthenticationError,
    ClientClosedError,
    GraphQLError,
    NotFoundError,
    OperationOutcomeUnknown,
    PermissionDeniedError,
    TransportError,
    ValidationError,
)
from ._prewarm import PrewarmBackend

__all__ = [
    "AsyncTransport",
    "Transport",
    "UploadLike",
    "backoff_delay",
    "graphql_error_class",
    "map_transport_errors",
]

logger = logging.getLogger("gwcloud_python")

# -- the server's error messages ---------------------------------------------------------------
#
# GWCloud reports every failure as a GraphQL error with a human-readable message and no
# error code, so the messages are all the client has.  They are matched here and nowhere
# else.  Sources: the local server (src/gwcloud_python/server/errors.py, event_ids.py), the
# 2023 service (gwcloud_bilby ~2023-08, Django + graphene + graphql_jwt) and the 2026
# service (gwcloud_bilby master): Django's ``<Model> matching query does not exist.``,
# graphql_jwt's ``login_required`` message, and the service's own texts.

#: GraphQL error messages that mean the caller's credentials were refused.
AUTH_ERROR_MESSAGES = (
    "Signature has expired",
    "Error decoding signature",
    "Invalid API token",
    "Refresh token is expired",
    "Invalid refresh token",
    # The 2023 auth service's answer to an unknown API token (Django DoesNotExist).
    "APIToken matching query does not exist",
)

#: Messages that mean the job, event ID or file does not exist or is hidden from the caller.
NOT_FOUND_PATTERNS = (
    # Django's DoesNotExist: BilbyJobNode / BilbyJob (jobs), EventID (event IDs).
    re.compile(r"\b(BilbyJobNode|BilbyJob|EventID|GWFlowJob) matching query does not exist"),
    # The 2026 service's mutations.
    re.compile(r"^Event ID '.*' not found\.?$", re.DOTALL),
    re.compile(r"^Job '.*' not found\.?$", re.DOTALL),
    re.compile(r"^Job does not exist\.?$"),
)

#: Messages that mean the caller must log in, or lacks a right.
PERMISSION_PATTERNS = (
    # graphql_jwt's @login_required, and the local server's message for every refusal.
    re.compile(r"You do not have permission to perform this action"),
    # The 2023 service for a private job or LIGO event of someone else; 2026 mutations.
    re.compile(r"^Permission Denied\.?$", re.IGNORECASE),
    # "User is not permitted to create/modify/delete EventIDs".
    re.compile(r"\bis not permitted to\b"),
    re.compile(r"^You must own the job to change it"),
    re.compile(r"^Only LIGO users may\b"),
)


def _message(error: object) -> str:
    return str(error.get("message", "")) if isinstance(error, Mapping) else ""


def is_auth_error(errors: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a GraphQL ``errors`` list says the credentials were refused."""
    return any(any(marker in _message(e) for marker in AUTH_ERROR_MESSAGES) for e in errors)


def graphql_error_class(errors: Sequence[Mapping[str, Any]]) -> type[GraphQLError]:
    """The :class:`GraphQLError` subclass that fits a GraphQL ``errors`` list.

    The first error whose message is recognised decides:
    :class:`NotFoundError` for a missing or invisible job or event ID,
    :class:`PermissionDeniedError` for a login or permission refusal, and
    plain :class:`GraphQLError` otherwise.

    Parameters
    ----------
    errors : sequence of mapping
        The ``errors`` list of a GraphQL answer.

    Returns
    -------
    type
        The class to raise.
    """
    for error in errors:
        message = _message(error).strip()
        if any(p.search(message) for p in NOT_FOUND_PATTERNS):
            return NotFoundError
        if any(p.search(message) for p in PERMISSION_PATTERNS):
            return PermissionDeniedError
    return GraphQLError


class UploadLike(Protocol):
    """What the generated ``Upload`` class looks like to the transport."""

    filename: str
    content: IO[bytes]
    content_type: str


def _strip_query(url: str | httpx.URL) -> str:
    """Return ``url`` without its query string (it may carry file IDs)."""
    return str(httpx.URL(str(url)).copy_with(query=None))


def backoff_delay(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    Parameters
    ----------
    attempt : int
        How many retries were made already.
    retry_after : str or None
        The ``Retry-After`` header of the last answer, in seconds or as an
        HTTP date; honoured up to :data:`~gwcloud_python._constants.RETRY_AFTER_MAX`.

    Returns
    -------
    float
        Delay in seconds: ``Retry-After`` when given, else full jitter over a
        capped exponential.
    """
    if retry_after:
        try:
            seconds = float(retry_after)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(retry_after).timestamp() - time.time()
            except (TypeError, ValueError):
                seconds = -1.0
        if seconds >= 0:
            return min(seconds, C.RETRY_AFTER_MAX)
    cap = min(C.RETRY_MAX_DELAY, C.RETRY_INITIAL_DELAY * (2**attempt))
    return random.uniform(0, cap)  # noqa: S311 - jitter, not cryptography


# -- bounds on one call -------------------------------------------------------------------------


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

    async def atrace(self, name: str, info: Mapping[str, Any]) -> None:
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


def _interrupt(http: httpx.Client, request: httpx.Request) -> None:
    """Shut down the socket that ``request`` waits on, so that its blocked read ends.

    httpx offers no way to abort a sync request from another thread, so this
    finds the request's connection in httpcore's pool (by its ``extensions``
    dict, which httpx hands down unchanged).  These are internals: if they
    change, nothing happens and the per-phase timeouts still end the call.
    """
    try:
        transport: Any = http._transport_for_url(request.url)
        pool: Any = getattr(transport, "_pool", None)
        for pending in list(getattr(pool, "_requests", ())):
            if pending.request.extensions is not request.extensions:
                continue
            stream = pending.connection._connection._network_stream
            stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
    except Exception as err:
        logger.debug("could not interrupt a request past its deadline: %r", err)


def _describe(err: BaseException) -> str:
    """``ConnectError: [Errno 111] Connection refused``: the class and the OS cause."""
    text = str(err).strip()
    if not text and err.__cause__ is not None:
        text = str(err.__cause__).strip()
    name = type(err).__name__
    return f"{name}: {text}" if text and text != name else name


#: Errors of the layers under httpx that can escape it (a request body that changes
#: length while it is sent raises h11's LocalProtocolError unwrapped).
#: GraphQL answer times kept for :attr:`Transport.latency` (the shortest counts).
_LATENCY_SAMPLES = 8

_LOW_LEVEL_ERRORS = (
    h11.ProtocolError,
    httpcore.ProtocolError,
    httpcore.NetworkError,
    httpcore.TimeoutException,
)


@contextmanager
def map_transport_errors(
    url: str | httpx.URL, *, operation_name: str | None = None, mutation: bool = False
) -> Iterator[None]:
    """Translate httpx exceptions raised inside the block into :class:`TransportError`.

    A mutation whose request may have reached the server raises
    :class:`OperationOutcomeUnknown` instead, as it may have run.  Messages
    keep the cause that httpx reports (``[Errno 111] Connection refused``).
    """
    where = _strip_query(url)
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as err:
        raise TransportError(f"could not connect to {where}: {_describe(err)}", url=where) from err
    except httpx.TimeoutException as err:
        if mutation:
            raise _outcome_unknown(operation_name, where, f"timed out ({_describe(err)})") from err
        raise TransportError(f"request to {where} timed out ({_describe(err)})", url=where) from err
    except (httpx.TransportError, *_LOW_LEVEL_ERRORS) as err:
        if mutation:
            raise _outcome_unknown(
                operation_name, where, f"the connection failed ({_describe(err)})"
            ) from err
        raise TransportError(f"connection to {where} failed: {_describe(err)}", url=where) from err
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as err:
        # Decoding and stream errors: the request was sent and an answer began.
        if mutation:
            raise _outcome_unknown(operation_name, where, _describe(err)) from err
        raise TransportError(f"request to {where} failed: {_describe(err)}", url=where) from err
    except _Abort as err:
        if mutation:
            raise _outcome_unknown(operation_name, where, str(err)) from err
        raise TransportError(f"{operation_name or 'request'} to {where}: {err}", url=where) from err


def _outcome_unknown(
    operation_name: str | None, url: str, what: str, status_code: int | None = None
) -> OperationOutcomeUnknown:
    name = operation_name or "mutation"
    return OperationOutcomeUnknown(
        f"{name} was sent to {url} but {what}; the server may or may not have carried it out. "
        "It was not retried: check the job or event ID on the server before sending it again.",
        operation_name=operation_name,
        url=url,
        status_code=status_code,
    )


def _not_found_hint(url: str) -> str:
    """A hint for an HTTP 404 from what should be a GraphQL endpoint."""
    parsed = httpx.URL(url)
    path = parsed.path.rstrip("/")
    origin = str(parsed.copy_with(path="/", query=None, fragment=None)).rstrip("/")
    here = str(parsed.copy_with(path=path or "/", query=None, fragment=None)).rstrip("/")
    if path.endswith(("/bilby/graphql", "/auth/graphql")):
        return f"; is this a 2026 server? try {origin}/graphql"
    if path.endswith("/graphql"):
        return f"; is this a 2023 server? try {origin}/bilby/graphql"
    return (
        f"; {url} is not a GraphQL endpoint: did you mean {here}/bilby/graphql "
        f"(2023 service) or {here}/graphql (2026 service)?"
    )


def _malformed(operation_name: str | None, url: str, what: str, mutation: bool) -> TransportError:
    if mutation:
        return _outcome_unknown(operation_name, url, what)
    return TransportError(
        f"{operation_name or 'request'} to {url}: {what}", url=url, status_code=200
    )


def parse_graphql_response(
    response: httpx.Response, *, operation_name: str | None, mutation: bool
) -> dict[str, Any]:
    """Check one GraphQL HTTP answer and return its ``data``.

    Raises
    ------
    TransportError
        Non-200 status or a body that is not a GraphQL JSON answer (not JSON,
        not UTF-8, nested too deeply, an ``errors`` member of the wrong shape).
    OperationOutcomeUnknown
        The same, for a mutation.
    AuthenticationError
        The server refused the credentials.
    NotFoundError, PermissionDeniedError
        The server said the job or event ID does not exist (or is hidden), or
        refused the operation; see :func:`graphql_error_class`.
    GraphQLError
        Any other GraphQL error; keeps the error list and partial data.
    """
    url = _strip_query(response.request.url)
    if response.status_code != 200:
        what = f"the server answered HTTP {response.status_code}"
        if mutation and response.status_code >= 500:
            raise _outcome_unknown(operation_name, url, what, response.status_code)
        hint = _not_found_hint(url) if response.status_code == 404 else ""
        raise TransportError(
            f"{operation_name or 'request'} to {url} failed: {what}{hint}",
            url=url,
            status_code=response.status_code,
        )
    try:
        body = json.loads(response.content)
    except RecursionError:
        raise _malformed(operation_name, url, "the answer is nested too deeply", mutation) from None
    except ValueError as err:  # includes UnicodeDecodeError
        raise _malformed(operation_name, url, "the answer was not valid JSON", mutation) from err
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise _malformed(operation_name, url, "the answer is not a GraphQL response", mutation)
    errors = body.get("errors") or []
    data = body.get("data")
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        raise _malformed(
            operation_name, url, "the answer's errors are not a list of objects", mutation
        )
    if errors:
        if is_auth_error(errors):
            first = next(_message(e) for e in errors if is_auth_error([e]))
            raise AuthenticationError(f"{operation_name or 'request'}: {first}")
        kind = graphql_error_class(errors)
        raise kind(errors, data if isinstance(data, dict) else None, operation_name)
    if not isinstance(data, dict):
        raise _malformed(operation_name, url, "the answer has no data", mutation)
    return data


def multipart_fields(
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any],
    uploads: Sequence[tuple[str, UploadLike]],
) -> tuple[dict[str, str], dict[str, tuple[str, IO[bytes], str]]]:
    """Build the GraphQL multipart request (``operations``, ``map`` and file parts).

    Parameters
    ----------
    uploads : sequence of (path, upload)
        Dotted variable paths (``variables.jobFile``) and the file to send there.
    """
    operations = {"query": query, "operationName": operation_name, "variables": variables}
    file_map = {str(i): [path] for i, (path, _) in enumerate(uploads)}
    files = {
        str(i): (upload.filename, upload.content, upload.content_type)
        for i, (_, upload) in enumerate(uploads)
    }
    data = {"operations": json.dumps(operations), "map": json.dumps(file_map)}
    return data, files


def request_kwargs(
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any],
    uploads: Sequence[tuple[str, UploadLike]],
) -> dict[str, Any]:
    """Keyword arguments of ``httpx.Client.post`` for one GraphQL operation."""
    if uploads:
        data, files = multipart_fields(query, operation_name, variables, uploads)
        return {"data": data, "files": files}
    return {"json": {"query": query, "operationName": operation_name, "variables": dict(variables)}}


def _retry_delay(
    attempt: int,
    attempts: int,
    mutation: bool,
    response: httpx.Response | None,
    error: TransportError | None,
) -> float | None:
    """Seconds to wait before trying again, or None when the outcome is final."""
    if attempt == attempts - 1 or mutation:
        return None
    if error is not None:
        return None if isinstance(error, OperationOutcomeUnknown) else backoff_delay(attempt)
    if response is not None and response.status_code in C.RETRYABLE_STATUS_CODES:
        return backoff_delay(attempt, response.headers.get("Retry-After"))
    return None


def _client_options(timeout: float | httpx.Timeout) -> dict[str, Any]:
    return {
        "timeout": timeout,
        "limits": httpx.Limits(
            max_connections=C.MAX_CONNECTIONS,
            max_keepalive_connections=C.MAX_KEEPALIVE_CONNECTIONS,
        ),
        "headers": {"User-Agent": _user_agent()},
    }


def _prewarmed_client(timeout: float | httpx.Timeout) -> tuple[httpx.Client, PrewarmBackend | None]:
    """``httpx.Client(**_client_options(timeout))`` whose own pool can pre-open TCP connections.

    The client is built exactly as before (limits, TLS from the environment,
    proxies from the environment as mounts); only the network backend of its
    direct connection pool, which has no connection yet, becomes a
    :class:`~gwcloud_python._prewarm.PrewarmBackend` delegating to httpcore's
    own.  Without that pool (another httpx version), no backend is returned.
    """
    client = httpx.Client(**_client_options(timeout))
    pool = getattr(client._transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not isinstance(
        getattr(pool, "_network_backend", None), httpcore.SyncBackend
    ):
        return client, None  # pragma: no cover - httpx/httpcore internals changed
    backend = PrewarmBackend(inner=pool._network_backend)
    pool._network_backend = backend
    return client, backend


def _check_bounds(call_timeout: float | None, max_response_size: int) -> None:
    if call_timeout is not None and (
        isinstance(call_timeout, bool)
        or not isinstance(call_timeout, (int, float))
        or not call_timeout > 0
    ):
        raise ValidationError(
            f"call_timeout must be a positive number of seconds or None, got {call_timeout!r}"
        )
    if (
        isinstance(max_response_size, bool)
        or not isinstance(max_response_size, int)
        or max_response_size < 1
    ):
        raise ValidationError(
            f"max_response_size must be a positive number of bytes, got {max_response_size!r}"
        )


def _closed_error() -> ClientClosedError:
    return ClientClosedError(
        "this GWCloud client is closed: create a new one, or close it only when done "
        "(for example with 'with GWCloud(...) as gw:')"
    )


class _Bounds:
    """The bounds options shared by both transports."""

    http: httpx.Client | httpx.AsyncClient
    _closed: bool

    def _budget(self, uploads: Sequence[tuple[str, UploadLike]]) -> _Budget:
        return _Budget(self.call_timeout, self.max_response_size, armed=not uploads)

    def _request(
        self, url: str, budget: _Budget, kwargs: Mapping[str, Any], trace: Callable[..., Any]
    ) -> httpx.Request:
        base = self.http.timeout
        return self.http.build_request(
            "POST",
            url,
            headers={"Accept-Encoding": "gzip, deflate"},
            timeout=budget.timeout(base),
            extensions={"trace": trace},
            **kwargs,
        )

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called or the httpx client is closed."""
        return self._closed or self.http.is_closed

    def check_open(self) -> None:
        """Raise :class:`ClientClosedError` when the transport was closed."""
        if self.closed:
            raise _closed_error()

    call_timeout: float | None
    max_response_size: int
    _latencies: deque[float]

    @property
    def latency(self) -> float | None:
        """The shortest time to an answer's headers among recent GraphQL calls, seconds.

        None before the first answer.  Connection set-up and server time are
        included, so this is an upper bound of the link's round-trip time.
        """
        return min(self._latencies) if self._latencies else None


def _give_up(budget: _Budget, delay: float | None, error: TransportError | None) -> bool:
    """Whether to stop retrying: no retry planned, a bound was hit, or no time left."""
    if delay is None:
        return True
    if error is not None and isinstance(error.__cause__, _Abort):
        return True
    left = budget.remaining()
    return left is not None and left <= delay


class Transport(_Bounds):
    """One pooled :class:`httpx.Client` with retry and error policy.

    Parameters
    ----------
    timeout : float or httpx.Timeout
        Per-phase request timeouts (connect, read, write, pool).
    max_retries : int
        Retries for queries and downloads after the first attempt.
    http_client : httpx.Client, optional
        Client to use instead of a new one (for custom TLS, proxies or tests).
    call_timeout : float or None
        Seconds one GraphQL call may take in all, retries included; None for
        no overall deadline.
    max_response_size : int
        Largest GraphQL answer accepted, in bytes after decompression.
    """

    def __init__(
        self,
        *,
        timeout: float | httpx.Timeout = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        call_timeout: float | None = C.DEFAULT_CALL_TIMEOUT,
        max_response_size: int = C.DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        _check_bounds(call_timeout, max_response_size)
        self.max_retries = max_retries
        self.call_timeout = call_timeout
        self.max_response_size = max_response_size
        self._owns_client = http_client is None
        self._closed = False
        self._latencies: deque[float] = deque(maxlen=_LATENCY_SAMPLES)
        #: Opens download connections ahead of use (only on a client this transport created).
        self.prewarm_backend: PrewarmBackend | None = None
        if http_client is None:
            http_client, self.prewarm_backend = _prewarmed_client(timeout)
        self.http: httpx.Client = http_client
        #: Replaced by tests so retries do not sleep.
        self.sleep: Callable[[float], None] = time.sleep

    def close(self) -> None:
        """Close the connection pool (only when this transport created it).

        Later calls raise :class:`~gwcloud_python.ClientClosedError`, also when
        the httpx client was passed in and stays open.
        """
        self._closed = True
        if self._owns_client:
            self.http.close()
        if self.prewarm_backend is not None:
            self.prewarm_backend.close()

    def __repr__(self) -> str:
        return f"Transport(max_retries={self.max_retries})"

    def prewarm(
        self,
        downloads: Iterable[tuple[str, int]],
        *,
        latency: float | None = None,
        limit: int = C.MAX_DOWNLOAD_CONCURRENCY,
    ) -> int:
        """Start TCP connections for coming downloads, when the link is slow.

        For each origin of ``downloads`` (``(url, files)`` pairs), connections
        are opened in the background up to ``min(files, limit)`` less the idle
        pooled ones, and never beyond ``limit`` pooled plus pre-opened ones.
        Nothing happens on a fast link (``latency``, default :attr:`latency`,
        below :data:`~gwcloud_python._constants.HIGH_LATENCY_SECONDS`), on a
        client passed in by the caller, or for a URL that goes through a proxy.

        Returns
        -------
        int
            How many connections were started.
        """
        backend = self.prewarm_backend
        seen = self.latency if latency is None else latency
        if backend is None or self.closed or seen is None or seen < C.HIGH_LATENCY_SECONDS:
            return 0
        try:
            return self._prewarm(backend, downloads, limit)
        except Exception as err:  # an optimisation only: never fail the download for it
            logger.debug("could not open connections ahead of downloads: %s", err)
            return 0

    def _prewarm(
        self, backend: PrewarmBackend, downloads: Iterable[tuple[str, int]], limit: int
    ) -> int:
        cap = max(0, min(limit, C.MAX_DOWNLOAD_CONCURRENCY))
        files: dict[tuple[str, str, int], int] = {}
        for url, count in downloads:
            parsed = httpx.URL(url)
            port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
            if port is None or not parsed.raw_host:
                continue
            if self.http._transport_for_url(parsed) is not self.http._transport:
                continue  # through a proxy: the connections are the proxy's
            key = (parsed.scheme, parsed.raw_host.decode("ascii"), port)
            files[key] = files.get(key, 0) + count
        pool = getattr(self.http._transport, "_pool", None)
        started = 0
        for (scheme, host, port), count in files.items():
            origin = httpcore.Origin(scheme.encode("ascii"), host.encode("ascii"), port)
            pooled = [
                conn
                for conn in (pool.connections if isinstance(pool, httpcore.ConnectionPool) else [])
                if conn.can_handle_request(origin) and not conn.is_closed()
            ]
            idle = sum(1 for conn in pooled if conn.is_idle())
            want = min(min(count, cap) - idle, cap - len(pooled))
            timeout = self.http.timeout.connect
            started += backend.prewarm(host, port, want, timeout=timeout)
        return started

    def post_graphql(
        self,
        url: str,
        *,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any],
        uploads: Sequence[tuple[str, UploadLike]] = (),
        auth: httpx.Auth | None = None,
        mutation: bool = False,
    ) -> dict[str, Any]:
        """Send one GraphQL operation and return its ``data``.

        Queries are retried on connection errors, 429 and 5xx; mutations and
        uploads are sent exactly once.  The call is bounded by
        ``call_timeout`` and ``max_response_size``.
        """
        self.check_open()
        attempts = 1 if mutation else self.max_retries + 1
        kwargs = request_kwargs(query, operation_name, variables, uploads)
        budget = self._budget(uploads)
        guard = _GuardAuth(auth if auth is not None else self.http.auth, budget)
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                with map_transport_errors(url, operation_name=operation_name, mutation=mutation):
                    budget.check()
                    request = self._request(url, budget, kwargs, budget.trace)
                    response = self._exchange(request, guard, budget)
            except TransportError as err:
                delay = _retry_delay(attempt, attempts, mutation, None, err)
                if _give_up(budget, delay, err):
                    raise
                logger.info("retrying %s in %.2fs after %s", operation_name, delay, err)
                self.sleep(delay or 0.0)
                continue
            delay = _retry_delay(attempt, attempts, mutation, response, None)
            if _give_up(budget, delay, None):
                return self._parse(response, operation_name, mutation)
            logger.info(
                "retrying %s in %.2fs after HTTP %s", operation_name, delay, response.status_code
            )
            self.sleep(delay or 0.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(
        self, request: httpx.Request, guard: _GuardAuth, budget: _Budget
    ) -> httpx.Response:
        """Send and read one request, interrupted when the deadline passes."""
        budget.watch(lambda: _interrupt(self.http, request))
        try:
            try:
                started = time.perf_counter()
                response = self.http.send(request, auth=guard, stream=True)
                self._latencies.append(time.perf_counter() - started)
            except RuntimeError:
                if self.closed:
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

    @staticmethod
    def _parse(
        response: httpx.Response, operation_name: str | None, mutation: bool
    ) -> dict[str, Any]:
        return parse_graphql_response(response, operation_name=operation_name, mutation=mutation)


class AsyncTransport(_Bounds):
    """The asynchronous twin of :class:`Transport` over one :class:`httpx.AsyncClient`.

    Parameters
    ----------
    timeout : float or httpx.Timeout
        Per-phase request timeouts.
    max_retries : int
        Retries for queries after the first attempt.
    http_client : httpx.AsyncClient, optional
        Client to use instead of a new one.
    call_timeout : float or None
        Seconds one GraphQL call may take in all; None for no overall deadline.
    max_response_size : int
        Largest GraphQL answer accepted, in bytes after decompression.
    """

    def __init__(
        self,
        *,
        timeout: float | httpx.Timeout = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        call_timeout: float | None = C.DEFAULT_CALL_TIMEOUT,
        max_response_size: int = C.DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        _check_bounds(call_timeout, max_response_size)
        self.max_retries = max_retries
        self.call_timeout = call_timeout
        self.max_response_size = max_response_size
        self._owns_client = http_client is None
        self._closed = False
        self._latencies: deque[float] = deque(maxlen=_LATENCY_SAMPLES)
        self.http: httpx.AsyncClient = http_client or httpx.AsyncClient(**_client_options(timeout))
        #: Replaced by tests so retries do not sleep.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def aclose(self) -> None:
        """Close the connection pool (only when this transport created it)."""
        self._closed = True
        if self._owns_client:
            await self.http.aclose()

    def __repr__(self) -> str:
        return f"AsyncTransport(max_retries={self.max_retries})"

    async def post_graphql(
        self,
        url: str,
        *,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any],
        uploads: Sequence[tuple[str, UploadLike]] = (),
        auth: httpx.Auth | None = None,
        mutation: bool = False,
    ) -> dict[str, Any]:
        """Send one GraphQL operation and return its ``data``, as :meth:`Transport.post_graphql`."""
        self.check_open()
        attempts = 1 if mutation else self.max_retries + 1
        kwargs = request_kwargs(query, operation_name, variables, uploads)
        budget = self._budget(uploads)
        guard = _GuardAuth(auth if auth is not None else self.http.auth, budget)
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                with map_transport_errors(url, operation_name=operation_name, mutation=mutation):
                    budget.check()
                    request = self._request(url, budget, kwargs, budget.atrace)
                    response = await self._exchange(request, guard, budget)
            except TransportError as err:
                delay = _retry_delay(attempt, attempts, mutation, None, err)
                if _give_up(budget, delay, err):
                    raise
                logger.info("retrying %s in %.2fs after %s", operation_name, delay, err)
                await self.sleep(delay or 0.0)
                continue
            delay = _retry_delay(attempt, attempts, mutation, response, None)
            if _give_up(budget, delay, None):
                return parse_graphql_response(
                    response, operation_name=operation_name, mutation=mutation
                )
            logger.info(
                "retrying %s in %.2fs after HTTP %s", operation_name, delay, response.status_code
            )
            await self.sleep(delay or 0.0)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _exchange(
        self, request: httpx.Request, guard: _GuardAuth, budget: _Budget
    ) -> httpx.Response:
        """Send and read one request; within the deadline once its clock runs."""

        async def exchange() -> httpx.Response:
            try:
                started = time.perf_counter()
                response = await self.http.send(request, auth=guard, stream=True)
                self._latencies.append(time.perf_counter() - started)
            except RuntimeError:
                if self.closed:
                    raise _closed_error() from None
                raise
            try:
                await response.aread()
            finally:
                await response.aclose()
            return response

        if budget.limit is None:
            return await exchange()
        # The clock of an upload starts once its body is out (the trace hook arms it), so
        # poll until then; afterwards wait exactly until the deadline, then cancel.
        task = asyncio.ensure_future(exchange())
        try:
            while True:
                left = budget.remaining()
                wait = C.DEADLINE_POLL if left is None else max(left, 0.0)
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


def _user_agent() -> str:
    from ._version import __version__

    return f"gwcloud-python/{__version__}"

"""The GraphQL transport over one pooled :class:`httpx.AsyncClient`: retries, bounds, errors.

Queries are retried on connection errors, 429 and 5xx with capped
exponential backoff, full jitter and ``Retry-After``; mutations are sent once.

Each call is bounded: its answer may not exceed ``max_response_size`` bytes
after decompression (counted while it streams in, so a huge answer is dropped
without being held in memory), and the call as a whole, retries included,
must finish within ``call_timeout`` seconds on top of httpx's per-phase
timeouts.  For a call that uploads files, the clock starts when the request
body has been sent, so that a large upload is limited only by the per-phase
timeouts.  Sending and reading one request within the deadline is the seam
:func:`~gwcloud_python._seams.async_exchange`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from .. import _constants as C
from .._deadline import _GuardAuth
from .._errors import TransportError
from .._retry import _give_up, _retry_delay
from .._seams import AsyncSleeper, async_exchange, async_sleep
from .._transport_base import _LATENCY_SAMPLES, _Bounds, _check_bounds, _client_options
from .._wire import UploadLike, map_transport_errors, parse_graphql_response, request_kwargs

__all__ = ["AsyncTransport"]

logger = logging.getLogger("gwcloud_python")


class AsyncTransport(_Bounds):
    """One pooled :class:`httpx.AsyncClient` with retry and error policy.

    Parameters
    ----------
    timeout : float or httpx.Timeout
        Per-phase request timeouts (connect, read, write, pool).
    max_retries : int
        Retries for queries after the first attempt.
    http_client : httpx.AsyncClient, optional
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
        self.sleep: AsyncSleeper = async_sleep

    async def aclose(self) -> None:
        """Close the connection pool (only when this transport created it).

        Later calls raise :class:`~gwcloud_python.ClientClosedError`, also when
        the httpx client was passed in and stays open.
        """
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
                    request = self._request(url, budget, kwargs, budget.async_trace)
                    response = await async_exchange(self, request, guard, budget)
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

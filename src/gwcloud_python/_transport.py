"""HTTP transport: one pooled httpx client, retries, bounds and error translation.

Every GraphQL call and every file transfer goes through :class:`Transport`
(or, in the async client, GraphQL through :class:`AsyncTransport`).  The
transport is written once, as async code in :mod:`gwcloud_python._async.transport`;
``tools/unasync.py`` generates its sync twin, :mod:`gwcloud_python._sync.transport`.
This module adds the sync-only layer on top: a client of its own that can
open download connections ahead of use (:meth:`Transport.prewarm`), and
re-exports the names other modules import from here.  The parts:

* :mod:`~gwcloud_python._deadline`: the deadline and answer-size bounds of one call;
* :mod:`~gwcloud_python._retry`: backoff and when to retry;
* :mod:`~gwcloud_python._wire`: request bodies, answer parsing, error translation;
* :mod:`~gwcloud_python._transport_base`: the options both transports share;
* :mod:`~gwcloud_python._seams`: what differs between them (sleeping, one exchange);
* :mod:`~gwcloud_python._httpx_internals`: every use of httpx/httpcore internals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from . import _constants as C
from ._async.transport import AsyncTransport
from ._deadline import _WATCHDOG as _WATCHDOG  # the deadline thread, for tests
from ._httpx_internals import direct_pool, install_network_backend, is_direct
from ._prewarm import PrewarmBackend
from ._retry import backoff_delay
from ._seams import Sleeper
from ._sync.transport import Transport as _GeneratedTransport
from ._transport_base import _check_bounds, _client_options
from ._wire import UploadLike, graphql_error_class, map_transport_errors

__all__ = [
    "AsyncTransport",
    "Transport",
    "UploadLike",
    "backoff_delay",
    "graphql_error_class",
    "map_transport_errors",
]

logger = logging.getLogger("gwcloud_python")


def _prewarmed_client(timeout: float | httpx.Timeout) -> tuple[httpx.Client, PrewarmBackend | None]:
    """``httpx.Client(**_client_options(timeout))`` whose own pool can pre-open TCP connections.

    The client is built exactly as before (limits, TLS from the environment,
    proxies from the environment as mounts); only the network backend of its
    direct connection pool, which has no connection yet, becomes a
    :class:`~gwcloud_python._prewarm.PrewarmBackend` delegating to httpcore's
    own.  Without that pool (another httpx version), no backend is returned.
    """
    client = httpx.Client(**_client_options(timeout))
    backend = install_network_backend(client, lambda inner: PrewarmBackend(inner=inner))
    return client, backend


class Transport(_GeneratedTransport):
    """One pooled :class:`httpx.Client` with retry and error policy, and its sync-only extras.

    The generated sync transport (:mod:`gwcloud_python._sync.transport`) does
    every GraphQL call; this layer gives the client it creates itself a
    network backend that can open download connections ahead of use
    (:meth:`prewarm`, :attr:`prewarm_backend`), and sleeps with ``time.sleep``.

    Parameters
    ----------
    http_client : httpx.Client, optional
        Client to use as it is; with none, the new client can pre-open connections.
    **bounds
        ``timeout``, ``max_retries``, ``call_timeout``, ``max_response_size``, as
        for the generated transport.
    """

    def __init__(self, *, http_client: httpx.Client | None = None, **bounds: Any) -> None:
        #: Opens download connections ahead of use (only on a client this transport created).
        self.prewarm_backend: PrewarmBackend | None = None
        owns_client = http_client is None
        if http_client is None:
            # Checked before a client exists that a refusal would leak.
            _check_bounds(
                bounds.get("call_timeout", C.DEFAULT_CALL_TIMEOUT),
                bounds.get("max_response_size", C.DEFAULT_MAX_RESPONSE_SIZE),
            )
            http_client, self.prewarm_backend = _prewarmed_client(
                bounds.get("timeout", C.DEFAULT_TIMEOUT)
            )
        super().__init__(http_client=http_client, **bounds)
        self._owns_client = owns_client
        #: Replaced by tests so retries do not sleep (looked up here, so a test may patch
        #: this module's ``time``).
        self.sleep: Sleeper = time.sleep

    def close(self) -> None:
        """Close the connection pool (only when this transport created it).

        Later calls raise :class:`~gwcloud_python.ClientClosedError`, also when
        the httpx client was passed in and stays open.
        """
        super().close()
        if self.prewarm_backend is not None:
            self.prewarm_backend.close()

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
            if not is_direct(self.http, parsed):
                continue  # through a proxy: the connections are the proxy's
            key = (parsed.scheme, parsed.raw_host.decode("ascii"), port)
            files[key] = files.get(key, 0) + count
        pool = direct_pool(self.http)
        started = 0
        for (scheme, host, port), count in files.items():
            origin = httpcore.Origin(scheme.encode("ascii"), host.encode("ascii"), port)
            pooled = [
                conn
                for conn in (pool.connections if pool is not None else [])
                if conn.can_handle_request(origin) and not conn.is_closed()
            ]
            idle = sum(1 for conn in pooled if conn.is_idle())
            want = min(min(count, cap) - idle, cap - len(pooled))
            timeout = self.http.timeout.connect
            started += backend.prewarm(host, port, want, timeout=timeout)
        return started

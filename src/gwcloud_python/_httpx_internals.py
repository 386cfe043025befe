"""Every use of httpx's and httpcore's private internals, kept in this one module.

httpx offers no public way to do three things the sync transport needs:

* **interrupt a blocked request** past its deadline from another thread
  (:func:`interrupt_request` finds the request's socket in httpcore's pool and
  shuts it down);
* **open connections ahead of use** on a distant link
  (:func:`install_network_backend` swaps the network backend of a client's own
  connection pool; :func:`direct_pool` and :func:`is_direct` tell which pool a
  URL uses; :func:`socket_stream` wraps a connected socket as httpcore does);
* nothing else: the rest of the package uses public httpx and httpcore API.

Every caller degrades gracefully when an internal has moved (no interrupt, no
pre-opened connections; the per-phase timeouts still end every call), so an
httpx upgrade cannot break a download, only make it slower.  To notice such a
move at once instead, :func:`self_test` checks that every internal used here
exists with the expected shape and raises a :class:`RuntimeError` naming the
httpx and httpcore versions and what is missing; the test suite calls it.
"""

from __future__ import annotations

import importlib
import logging
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import httpcore
import httpx

__all__ = [
    "direct_pool",
    "install_network_backend",
    "interrupt_request",
    "is_direct",
    "self_test",
    "socket_stream",
]

logger = logging.getLogger("gwcloud_python")

_B = TypeVar("_B", bound=httpcore.NetworkBackend)

#: Where httpcore keeps the stream class its sync backend wraps sockets in.
_SYNC_STREAM = ("httpcore._backends.sync", "SyncStream")
#: Where httpcore keeps the queue entry of a request waiting in or using its pool.
_POOL_REQUEST = ("httpcore._sync.connection_pool", "PoolRequest")


def _load(where: tuple[str, str]) -> Any:
    module, name = where
    return getattr(importlib.import_module(module), name)


def direct_pool(client: httpx.Client) -> httpcore.ConnectionPool | None:
    """The connection pool of ``client``'s own transport (not a proxy mount's).

    Parameters
    ----------
    client : httpx.Client
        The client.

    Returns
    -------
    httpcore.ConnectionPool or None
        The pool, or None when the transport is not httpx's own (a custom
        transport, a mock) or the internals moved.
    """
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    return pool if isinstance(pool, httpcore.ConnectionPool) else None


def is_direct(client: httpx.Client, url: httpx.URL) -> bool:
    """Whether requests to ``url`` use ``client``'s own transport (no proxy mount).

    Parameters
    ----------
    client : httpx.Client
        The client.
    url : httpx.URL
        A request URL.

    Returns
    -------
    bool
        True when the URL goes straight to its host.
    """
    return bool(client._transport_for_url(url) is client._transport)


def install_network_backend(
    client: httpx.Client, make: Callable[[httpcore.SyncBackend], _B]
) -> _B | None:
    """Replace the network backend of ``client``'s own pool by ``make(current_backend)``.

    Only a fresh pool with httpcore's default sync backend is changed, so the
    new backend can delegate every connection it does not open itself.

    Parameters
    ----------
    client : httpx.Client
        A client that has not sent a request yet.
    make : callable
        Builds the new backend around the current one.

    Returns
    -------
    httpcore.NetworkBackend or None
        The installed backend, or None when the pool is not httpx's own or
        the internals moved (nothing was changed).
    """
    pool = direct_pool(client)
    current = getattr(pool, "_network_backend", None)
    if pool is None or not isinstance(current, httpcore.SyncBackend):
        return None
    backend = make(current)
    pool._network_backend = backend
    return backend


def socket_stream(sock: socket.socket) -> httpcore.NetworkStream:
    """Wrap a connected blocking socket as httpcore's sync backend would.

    Parameters
    ----------
    sock : socket.socket
        A connected socket.

    Returns
    -------
    httpcore.NetworkStream
        httpcore's own stream over it (TLS is started on it as usual).
    """
    stream: httpcore.NetworkStream = _load(_SYNC_STREAM)(sock)
    return stream


def interrupt_request(client: httpx.Client, request: httpx.Request) -> None:
    """Shut down the socket that ``request`` waits on, so that its blocked read ends.

    The request's connection is found in httpcore's pool by its
    ``extensions`` dict, which httpx hands down unchanged.  When the internals
    have moved nothing happens (logged at debug level) and the per-phase
    timeouts still end the call.

    Parameters
    ----------
    client : httpx.Client
        The client sending ``request``.
    request : httpx.Request
        A request in flight.
    """
    try:
        transport: Any = client._transport_for_url(request.url)
        pool: Any = getattr(transport, "_pool", None)
        for pending in list(getattr(pool, "_requests", ())):
            if pending.request.extensions is not request.extensions:
                continue
            stream = pending.connection._connection._network_stream
            stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
    except Exception as err:
        logger.debug("could not interrupt a request past its deadline: %r", err)


# -- the self-test ---------------------------------------------------------------------------


class _NoStream(httpcore.NetworkStream):
    """A stream that is never read: lets the self-test build a connection without I/O."""


def _missing(what: str) -> RuntimeError:
    return RuntimeError(
        f"gwcloud-python relies on an internal of httpx {httpx.__version__} / "
        f"httpcore {httpcore.__version__} that is not there: {what}. "
        "Deadline interrupts and pre-opened connections are disabled with this version; "
        "update src/gwcloud_python/_httpx_internals.py for it."
    )


def _require(owner: object, name: str, label: str) -> Any:
    if not hasattr(owner, name):
        raise _missing(f"{label}.{name}")
    return getattr(owner, name)


def self_test() -> None:
    """Check that every httpx/httpcore internal this module uses is there, as expected.

    Nothing is sent: a client is built and closed, and httpcore's pool entry
    and connection classes are instantiated without a network.

    Raises
    ------
    RuntimeError
        An internal moved, was renamed or has another type; the message names
        the httpx and httpcore versions and the missing attribute.
    """
    origin = httpcore.Origin(b"http", b"gwcloud.invalid", 80)
    with httpx.Client() as client:
        resolve = _require(client, "_transport_for_url", "httpx.Client")
        own = _require(client, "_transport", "httpx.Client")
        if not callable(resolve) or resolve(httpx.URL("http://gwcloud.invalid/")) is not own:
            raise _missing("httpx.Client._transport_for_url(url) returning Client._transport")
        pool = _require(own, "_pool", type(own).__name__)
        if not isinstance(pool, httpcore.ConnectionPool):
            raise _missing(f"{type(own).__name__}._pool as an httpcore.ConnectionPool")
        backend = _require(pool, "_network_backend", "httpcore.ConnectionPool")
        if not isinstance(backend, httpcore.SyncBackend):
            raise _missing("httpcore.ConnectionPool._network_backend as an httpcore.SyncBackend")
        if not isinstance(_require(pool, "_requests", "httpcore.ConnectionPool"), list):
            raise _missing("httpcore.ConnectionPool._requests as a list")
        _require(pool, "connections", "httpcore.ConnectionPool")
    for where in (_SYNC_STREAM, _POOL_REQUEST):
        try:
            found = _load(where)
        except (ImportError, AttributeError):
            raise _missing(".".join(where)) from None
        if not isinstance(found, type):
            raise _missing(f"{'.'.join(where)} as a class")
    if not issubclass(_load(_SYNC_STREAM), httpcore.NetworkStream):
        raise _missing(f"{'.'.join(_SYNC_STREAM)} as an httpcore.NetworkStream")
    pending = _load(_POOL_REQUEST)(httpcore.Request("GET", "http://gwcloud.invalid/"))
    _require(pending, "request", "PoolRequest")
    _require(pending, "connection", "PoolRequest")
    connection = httpcore.HTTPConnection(origin=origin)
    _require(connection, "_connection", "httpcore.HTTPConnection")
    for kind in ("can_handle_request", "is_closed", "is_idle"):
        _require(connection, kind, "httpcore.HTTPConnection")
    http11 = httpcore.HTTP11Connection(origin=origin, stream=_NoStream())
    _require(http11, "_network_stream", "httpcore.HTTP11Connection")

"""What the sync and async transports share: their options, closing, building a request.

:class:`_Bounds` is the base of both transport classes.  The helpers here
check the bounds options and build the options of a client the transport
creates itself (connection limits and the ``User-Agent``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from . import _constants as C
from ._deadline import _Budget
from ._errors import ClientClosedError, ValidationError
from ._wire import UploadLike

__all__: list[str] = []

#: GraphQL answer times kept for :attr:`_Bounds.latency` (the shortest counts).
_LATENCY_SAMPLES = 8


def _client_options(timeout: float | httpx.Timeout) -> dict[str, Any]:
    return {
        "timeout": timeout,
        "limits": httpx.Limits(
            max_connections=C.MAX_CONNECTIONS,
            max_keepalive_connections=C.MAX_KEEPALIVE_CONNECTIONS,
        ),
        "headers": {"User-Agent": _user_agent()},
    }


def _user_agent() -> str:
    from ._version import __version__

    return f"gwcloud-python/{__version__}"


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

"""Retry policy: how long to wait before trying again, and which answers are worth it.

:func:`backoff_delay` is shared by GraphQL calls and file transfers.
:func:`_retry_delay` and :func:`_give_up` decide for one GraphQL call (queries
are retried on connection errors, 429 and 5xx; mutations never).  The rest
is the file transfers' own: the two outcomes of one failed attempt
(:class:`_RetryableError`, :class:`_FatalError`) and :func:`check_status`,
which decides what an answer's status (and, for a resumed transfer, its
``Content-Range`` and validators) means for the file.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from . import _constants as C
from ._deadline import _Abort, _Budget
from ._errors import OperationOutcomeUnknown, TransportError
from ._feed import DownloadItem
from ._resume import _Validators

if TYPE_CHECKING:
    from ._sinks import _Sink

__all__ = ["backoff_delay", "check_status", "warn_grown"]

logger = logging.getLogger("gwcloud_python")

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


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


class _CancelledError(Exception):
    """Raised inside a worker when another download failed first."""


class _RetryableError(Exception):
    """A retryable failure of one attempt."""

    def __init__(
        self, reason: str, *, status_code: int | None = None, retry_after: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


class _FatalError(Exception):
    """A failure of one attempt that retrying cannot fix."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


def check_status(
    response: httpx.Response,
    item: DownloadItem,
    sink: _Sink,
    advance: Callable[[int], None],
    *,
    ranged: bool,
    offset: int,
) -> None:
    """Decide what the status of a file answer means before its body is read.

    Parameters
    ----------
    response : httpx.Response
        The answer, headers read, body not yet.
    item : DownloadItem
        The file asked for.
    sink : _Sink
        Where its bytes go; restarted when the answer is the whole file again
        or a resume cannot be trusted.
    advance : callable
        Adds a (negative) number of bytes to the run's progress.
    ranged : bool
        Whether the request asked for the bytes from ``offset`` on.
    offset : int
        The first byte asked for.

    Raises
    ------
    _RetryableError
        Worth another attempt: 429 and 5xx, or a resume the server answered
        wrongly (the file then starts over).
    _FatalError
        Any other status.
    """
    status = response.status_code
    if status == 200:
        if ranged:
            # The server ignored Range, or the file changed (If-Range): start over.
            logger.info("the server sent all of %s again; restarting it", item.path)
            advance(-sink.position)
            sink.restart()
        sink.begin(_Validators.of(response), _announced_length(response, item, sink.limit))
        return
    if status == 206 and ranged:
        reason = _resume_mismatch(response, item, sink, offset)
        if reason is not None:
            advance(-sink.position)
            sink.restart()
            raise _RetryableError(
                f"the server answered the Range request for bytes {offset}- of "
                f"{item.size} wrongly ({reason}); starting over",
                status_code=206,
            )
        return
    if status == 416 and ranged:
        advance(-sink.position)
        sink.restart()
        raise _RetryableError(
            "the server refused to resume (HTTP 416); starting over", status_code=416
        )
    if status in C.RETRYABLE_STATUS_CODES:
        raise _RetryableError(
            f"HTTP {status}",
            status_code=status,
            retry_after=response.headers.get("Retry-After"),
        )
    raise _FatalError(f"HTTP {status}", status_code=status)


def _announced_length(response: httpx.Response, item: DownloadItem, limit: int) -> int | None:
    """The ``Content-Length`` of a whole-file answer, checked against what the file may have.

    None when the answer does not say (a chunked body ends where it ends) or
    names fewer bytes than listed (such a body is incomplete).  A longer one is
    logged: the file grew since it was listed (a running job's log), and the
    answer is what is saved.
    """
    value = response.headers.get("Content-Length")
    if value is None or not value.strip().isdigit():
        return None
    length = int(value)
    if length > limit:
        raise _FatalError(
            f"the server announced {length} bytes, more than the {limit} this file may have "
            f"(listed at {item.size} bytes)"
        )
    if length < item.size:
        return None  # short of the listing: the body is incomplete, as before
    if length > item.size and item.size_known:
        warn_grown(item, length)
    return length


def warn_grown(item: DownloadItem, sent: int) -> None:
    """Log that ``item`` grew since it was listed and that ``sent`` bytes of it are saved."""
    logger.warning(
        "%s grew since it was listed: %d bytes listed, %d sent; saving what was sent",
        item.path,
        item.size,
        sent,
    )


def _resume_mismatch(
    response: httpx.Response, item: DownloadItem, sink: _Sink, offset: int
) -> str | None:
    """Why a 206 answer does not continue the file in ``sink``, or None when it does."""
    content_range = response.headers.get("Content-Range", "")
    match = _CONTENT_RANGE.match(content_range)
    # The whole length is the one the version's first answer announced; when it announced
    # none, the 206 names it (its validator proves the version), within the sink's limit.
    total = sink.expected
    if total is None and match is not None and match.group(3).isdigit():
        named = int(match.group(3))
        total = named if offset < named <= sink.limit else None
    if (
        match is None
        or total is None
        or int(match.group(1)) != offset
        or int(match.group(2)) != total - 1
        or match.group(3) != str(total)
    ):
        return f"Content-Range {content_range!r} does not continue the file"
    if not sink.validators.matches(response):
        return "the file changed on the server since the transfer began"
    sink.expected = total
    return None


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


def _give_up(budget: _Budget, delay: float | None, error: TransportError | None) -> bool:
    """Whether to stop retrying: no retry planned, a bound was hit, or no time left."""
    if delay is None:
        return True
    if error is not None and isinstance(error.__cause__, _Abort):
        return True
    left = budget.remaining()
    return left is not None and left <= delay

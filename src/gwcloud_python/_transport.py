"""HTTP transport: one pooled httpx client, retries, and error translation.

Every GraphQL call and every file transfer goes through :class:`Transport`.
Queries are retried on connection errors, 429 and 5xx with capped
exponential backoff, full jitter and ``Retry-After``; mutations are sent once.
httpx and JSON errors become :mod:`gwcloud_python._errors` exceptions here
and nowhere else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import IO, Any, Protocol

import httpx

from . import _constants as C
from ._errors import (
    AuthenticationError,
    GraphQLError,
    OperationOutcomeUnknown,
    TransportError,
)

__all__ = ["AsyncTransport", "Transport", "UploadLike", "backoff_delay", "map_transport_errors"]

logger = logging.getLogger("gwcloud_python")

#: GraphQL error messages that mean the caller's credentials were refused.
AUTH_ERROR_MESSAGES = (
    "Signature has expired",
    "Error decoding signature",
    "Invalid API token",
    "Refresh token is expired",
    "Invalid refresh token",
)


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


@contextmanager
def map_transport_errors(
    url: str | httpx.URL, *, operation_name: str | None = None, mutation: bool = False
) -> Iterator[None]:
    """Translate httpx exceptions raised inside the block into :class:`TransportError`.

    A mutation whose request may have reached the server raises
    :class:`OperationOutcomeUnknown` instead, as it may have run.
    """
    where = _strip_query(url)
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as err:
        raise TransportError(
            f"could not connect to {where}: {type(err).__name__}", url=where
        ) from err
    except httpx.TimeoutException as err:
        if mutation:
            raise _outcome_unknown(
                operation_name, where, f"timed out ({type(err).__name__})"
            ) from err
        raise TransportError(
            f"request to {where} timed out ({type(err).__name__})", url=where
        ) from err
    except httpx.TransportError as err:
        if mutation:
            raise _outcome_unknown(
                operation_name, where, f"connection failed ({type(err).__name__})"
            ) from err
        raise TransportError(
            f"connection to {where} failed: {type(err).__name__}", url=where
        ) from err


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


def is_auth_error(errors: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a GraphQL ``errors`` list says the credentials were refused."""
    return any(
        any(marker in str(e.get("message", "")) for marker in AUTH_ERROR_MESSAGES) for e in errors
    )


def parse_graphql_response(
    response: httpx.Response, *, operation_name: str | None, mutation: bool
) -> dict[str, Any]:
    """Check one GraphQL HTTP answer and return its ``data``.

    Raises
    ------
    TransportError
        Non-200 status or a body that is not a GraphQL JSON answer.
    OperationOutcomeUnknown
        The same, for a mutation.
    AuthenticationError
        The server refused the credentials.
    GraphQLError
        Any other GraphQL error; keeps the error list and partial data.
    """
    url = _strip_query(response.request.url)
    if response.status_code != 200:
        what = f"the server answered HTTP {response.status_code}"
        if mutation and response.status_code >= 500:
            raise _outcome_unknown(operation_name, url, what, response.status_code)
        raise TransportError(
            f"{operation_name or 'request'} to {url} failed: {what}",
            url=url,
            status_code=response.status_code,
        )
    try:
        body = json.loads(response.content)
    except ValueError as err:
        if mutation:
            raise _outcome_unknown(operation_name, url, "the answer was not valid JSON") from err
        raise TransportError(
            f"{operation_name or 'request'} to {url}: the answer was not valid JSON",
            url=url,
            status_code=200,
        ) from err
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise TransportError(
            f"{operation_name or 'request'} to {url}: the answer is not a GraphQL response",
            url=url,
            status_code=200,
        )
    errors = body.get("errors") or []
    data = body.get("data")
    if errors:
        if is_auth_error(errors):
            first = next(str(e.get("message", "")) for e in errors if is_auth_error([e]))
            raise AuthenticationError(f"{operation_name or 'request'}: {first}")
        raise GraphQLError(errors, data if isinstance(data, dict) else None, operation_name)
    if not isinstance(data, dict):
        raise TransportError(
            f"{operation_name or 'request'} to {url}: the answer has no data", url=url
        )
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


def _auth_or_default(auth: httpx.Auth | None) -> httpx.Auth | httpx._client.UseClientDefault:
    # The clients this module builds carry no auth of their own.
    return auth if auth is not None else httpx.USE_CLIENT_DEFAULT


def _client_options(timeout: float | httpx.Timeout) -> dict[str, Any]:
    return {
        "timeout": timeout,
        "limits": httpx.Limits(
            max_connections=C.MAX_CONNECTIONS,
            max_keepalive_connections=C.MAX_KEEPALIVE_CONNECTIONS,
        ),
        "headers": {"User-Agent": _user_agent()},
    }


class Transport:
    """One pooled :class:`httpx.Client` with retry and error policy.

    Parameters
    ----------
    timeout : float or httpx.Timeout
        Request timeout.
    max_retries : int
        Retries for queries and downloads after the first attempt.
    http_client : httpx.Client, optional
        Client to use instead of a new one (for custom TLS, proxies or tests).
    """

    def __init__(
        self,
        *,
        timeout: float | httpx.Timeout = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.max_retries = max_retries
        self._owns_client = http_client is None
        self.http = http_client or httpx.Client(**_client_options(timeout))
        #: Replaced by tests so retries do not sleep.
        self.sleep: Callable[[float], None] = time.sleep

    def close(self) -> None:
        """Close the connection pool (only when this transport created it)."""
        if self._owns_client:
            self.http.close()

    def __repr__(self) -> str:
        return f"Transport(max_retries={self.max_retries})"

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
        uploads are sent exactly once.
        """
        attempts = 1 if mutation else self.max_retries + 1
        kwargs = request_kwargs(query, operation_name, variables, uploads)
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                with map_transport_errors(url, operation_name=operation_name, mutation=mutation):
                    response = self.http.post(url, auth=_auth_or_default(auth), **kwargs)
            except TransportError as err:
                delay = _retry_delay(attempt, attempts, mutation, None, err)
                if delay is None:
                    raise
                logger.info("retrying %s in %.2fs after %s", operation_name, delay, err)
                self.sleep(delay)
                continue
            delay = _retry_delay(attempt, attempts, mutation, response, None)
            if delay is None:
                return parse_graphql_response(
                    response, operation_name=operation_name, mutation=mutation
                )
            logger.info(
                "retrying %s in %.2fs after HTTP %s", operation_name, delay, response.status_code
            )
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class AsyncTransport:
    """The asynchronous twin of :class:`Transport` over one :class:`httpx.AsyncClient`.

    Parameters
    ----------
    timeout : float or httpx.Timeout
        Request timeout.
    max_retries : int
        Retries for queries after the first attempt.
    http_client : httpx.AsyncClient, optional
        Client to use instead of a new one.
    """

    def __init__(
        self,
        *,
        timeout: float | httpx.Timeout = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.max_retries = max_retries
        self._owns_client = http_client is None
        self.http = http_client or httpx.AsyncClient(**_client_options(timeout))
        #: Replaced by tests so retries do not sleep.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def aclose(self) -> None:
        """Close the connection pool (only when this transport created it)."""
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
        attempts = 1 if mutation else self.max_retries + 1
        kwargs = request_kwargs(query, operation_name, variables, uploads)
        for attempt in range(attempts):
            response: httpx.Response | None = None
            try:
                with map_transport_errors(url, operation_name=operation_name, mutation=mutation):
                    response = await self.http.post(url, auth=_auth_or_default(auth), **kwargs)
            except TransportError as err:
                delay = _retry_delay(attempt, attempts, mutation, None, err)
                if delay is None:
                    raise
                logger.info("retrying %s in %.2fs after %s", operation_name, delay, err)
                await self.sleep(delay)
                continue
            delay = _retry_delay(attempt, attempts, mutation, response, None)
            if delay is None:
                return parse_graphql_response(
                    response, operation_name=operation_name, mutation=mutation
                )
            logger.info(
                "retrying %s in %.2fs after HTTP %s", operation_name, delay, response.status_code
            )
            await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _user_agent() -> str:
    from ._version import __version__

    return f"gwcloud-python/{__version__}"

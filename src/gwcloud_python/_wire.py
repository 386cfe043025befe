"""One GraphQL exchange on the wire: the request's body, and what its answer means.

httpx, httpcore, h11 and JSON errors become :mod:`gwcloud_python._errors`
exceptions here and nowhere else (:func:`map_transport_errors` and
:func:`parse_graphql_response`); :func:`graphql_error_class` is the one place
that reads the server's error messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any, Protocol

import h11
import httpcore
import httpx

from ._deadline import _Abort
from ._errors import (
    AuthenticationError,
    GraphQLError,
    NotFoundError,
    OperationOutcomeUnknown,
    OperationRefused,
    PermissionDeniedError,
    TransportError,
)

__all__ = [
    "UploadLike",
    "graphql_error_class",
    "is_auth_error",
    "map_transport_errors",
    "multipart_fields",
    "parse_graphql_response",
    "request_kwargs",
]

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


def _describe(err: BaseException) -> str:
    """``ConnectError: [Errno 111] Connection refused``: the class and the OS cause."""
    text = str(err).strip()
    if not text and err.__cause__ is not None:
        text = str(err.__cause__).strip()
    name = type(err).__name__
    return f"{name}: {text}" if text and text != name else name


#: Errors of the layers under httpx that can escape it (a request body that changes
#: length while it is sent raises h11's LocalProtocolError unwrapped).
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
        if response.status_code == 400:
            refused = _refusal(response, operation_name, url, what)
            if refused is not None:
                raise refused
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


def _refusal(
    response: httpx.Response, operation_name: str | None, url: str, what: str
) -> OperationRefused | None:
    """An HTTP 400 that carries GraphQL errors (a document the schema refused), or None."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors or not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        return None
    messages = "; ".join(_message(e) for e in errors)
    return OperationRefused(
        f"{operation_name or 'request'} to {url} failed: {what}: {messages}",
        errors=errors,
        operation_name=operation_name,
        url=url,
        status_code=response.status_code,
    )


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

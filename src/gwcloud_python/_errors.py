"""Exceptions raised by gwcloud-python.

Every error the library raises on purpose derives from :class:`GWCloudError`::

    GWCloudError
    ├── GraphQLError                  the server answered with GraphQL errors
    │   └── OperationOutcomeUnknown   (also TransportError) a mutation may or may not have run
    ├── AuthenticationError           bad token, expired session, anonymous write
    │   └── GWCloudAuthenticationError    1.x name
    ├── TransportError                connection, timeout, bad HTTP status or body
    │   ├── DownloadError             a file transfer failed
    │   └── OperationOutcomeUnknown
    ├── ValidationError               bad input, raised before any request (also a ValueError)
    └── ExternalFileDownloadException files of external jobs live elsewhere (1.x name)

httpx and pydantic exceptions are translated in one place,
:func:`gwcloud_python._transport.map_transport_errors`, and chained with
``raise ... from``.  No message, ``str`` or ``repr`` of these errors contains an
API token or JWT: messages pass through :func:`redact` first.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "DownloadError",
    "ExternalFileDownloadException",
    "GWCloudAuthenticationError",
    "GWCloudError",
    "GraphQLError",
    "OperationOutcomeUnknown",
    "TransportError",
    "ValidationError",
    "redact",
    "register_secret",
]

_SECRETS_LOCK = threading.Lock()
_SECRETS: set[str] = set()
_JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_MASK = "***"


def register_secret(secret: str) -> None:
    """Remember a secret so that :func:`redact` masks it in every message.

    Parameters
    ----------
    secret : str
        An API token, JWT or refresh token.  Strings shorter than four
        characters are ignored, as masking them would garble messages.
    """
    if len(secret) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and anything shaped like a JWT masked.

    Parameters
    ----------
    text : str
        Text that may be shown to a user or logged.

    Returns
    -------
    str
        The same text with secrets replaced by ``***``.
    """
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return _JWT_PATTERN.sub(_MASK, text)


class GWCloudError(Exception):
    """Root of every error raised by gwcloud-python."""

    def __init__(self, message: str = "") -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        """The (redacted) human-readable message."""
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class GraphQLError(GWCloudError):
    """The server answered a GraphQL operation with errors.

    Parameters
    ----------
    errors : sequence of mapping
        The ``errors`` list of the response, as the server sent it.
    data : mapping or None
        Any partial ``data`` that came with the errors.
    operation_name : str or None
        Name of the operation that failed.
    """

    def __init__(
        self,
        errors: Sequence[Mapping[str, Any]],
        data: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> None:
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        self.data: dict[str, Any] | None = dict(data) if data is not None else None
        self.operation_name = operation_name
        messages = "; ".join(str(e.get("message", "unknown error")) for e in self.errors)
        where = f"{operation_name} failed: " if operation_name else ""
        super().__init__(f"{where}{messages or 'unknown GraphQL error'}")

    @property
    def messages(self) -> list[str]:
        """The ``message`` of every error, redacted."""
        return [redact(str(e.get("message", ""))) for e in self.errors]


class AuthenticationError(GWCloudError):
    """The request could not be authenticated, or needs a token the client lacks."""


class GWCloudAuthenticationError(AuthenticationError):
    """Authentication failed (the name used by gwcloud-python 1.x)."""


class TransportError(GWCloudError):
    """The request did not complete: connection, timeout, HTTP status or malformed body.

    Parameters
    ----------
    message : str
        What went wrong.
    url : str or None
        URL of the failed request (query string removed).
    status_code : int or None
        HTTP status, when the server answered.
    """

    def __init__(
        self, message: str, *, url: str | None = None, status_code: int | None = None
    ) -> None:
        self.url = url
        self.status_code = status_code
        super().__init__(message)


class DownloadError(TransportError):
    """A file download failed; nothing was left under the final file name."""


class OperationOutcomeUnknown(TransportError, GraphQLError):
    """A mutation was sent but no usable answer came back.

    The server may or may not have carried it out.  Mutations are never
    retried automatically, as GWCloud has no idempotency keys: check the
    server's state (for example with ``get_user_jobs`` or ``get_event_id``)
    before trying again.
    """

    def __init__(
        self,
        message: str,
        *,
        operation_name: str | None,
        url: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.errors = []
        self.data = None
        self.operation_name = operation_name
        #: ID of a job known to exist already (a submission whose later step failed), or None.
        self.job_id: str | None = None
        self.url = url
        self.status_code = status_code
        GWCloudError.__init__(self, message)


class ValidationError(GWCloudError, ValueError):
    """An argument is invalid; raised before any request is sent."""


class ExternalFileDownloadException(GWCloudError):
    """Files of an external job are links elsewhere and cannot be downloaded from GWCloud."""

"""Exceptions raised by gwcloud-python.

Every error the library raises on purpose derives from :class:`GWCloudError`::

    GWCloudError
    ├── GraphQLError                  the server answered with GraphQL errors
    │   ├── NotFoundError             no such job, event ID or file, or not visible to you
    │   ├── PermissionDeniedError     login required, or the user may not do this
    │   └── OperationOutcomeUnknown   (also TransportError) a mutation may or may not have run
    ├── AuthenticationError           bad token, expired session, anonymous write
    │   └── GWCloudAuthenticationError    1.x name
    ├── TransportError                connection, timeout, bad HTTP status or body
    │   ├── DownloadError             a file transfer failed
    │   └── OperationOutcomeUnknown
    ├── ValidationError               bad input, raised before any request (also a ValueError)
    ├── ClientClosedError             the client was used after close() (also a RuntimeError)
    └── ExternalFileDownloadException files of external jobs live elsewhere (1.x name)

httpx and pydantic exceptions are translated in one place,
:func:`gwcloud_python._transport.map_transport_errors`, and chained with
``raise ... from``.  No message, ``str`` or ``repr`` of these errors contains an
API token or JWT: messages pass through :func:`redact` first.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "DownloadError",
    "ExternalFileDownloadException",
    "GWCloudAuthenticationError",
    "GWCloudError",
    "GWCloudException",
    "GraphQLError",
    "NotFoundError",
    "OperationOutcomeUnknown",
    "PermissionDeniedError",
    "TransportError",
    "ValidationError",
    "redact",
    "register_secret",
    "registered_secret_count",
]

_SECRETS_LOCK = threading.Lock()
#: Secrets nobody replaces (API tokens), kept for the life of the process.
_FIXED: set[str] = set()
#: Secrets that are replaced over time (JWTs, refresh tokens, upload tokens), by
#: ``(id(owner), slot)``: the current value and the one before it.
_SLOTS: dict[tuple[int, str], tuple[str, ...]] = {}
#: Owners whose entries are dropped when they are garbage-collected.
_OWNERS: set[int] = set()
#: The secrets to mask, longest first; rebuilt only when the registry changes.
_ORDERED: tuple[str, ...] = ()
#: How many values of one slot stay masked: the current one and the one it replaced.
SLOT_HISTORY = 2
_JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_MASK = "***"


def _rebuild() -> None:
    # Called with _SECRETS_LOCK held.
    global _ORDERED
    values = set(_FIXED)
    for history in _SLOTS.values():
        values.update(history)
    _ORDERED = tuple(sorted(values, key=len, reverse=True))


#: Owners garbage-collected since the last clean-up.  Their finalizers only append here
#: (they may run inside any allocation, even one made while the lock is held).
_DEAD: list[int] = []


def _forget_owner(key: int) -> None:
    _DEAD.append(key)


def _purge() -> bool:
    # Called with _SECRETS_LOCK held; True when something was removed.
    removed = False
    while _DEAD:
        key = _DEAD.pop()
        _OWNERS.discard(key)
        for slot in [s for s in _SLOTS if s[0] == key]:
            del _SLOTS[slot]
            removed = True
    return removed


def register_secret(secret: str, *, owner: object = None, slot: str = "") -> None:
    """Remember a secret so that :func:`redact` masks it in every message.

    Without ``owner`` the secret is kept for the life of the process (meant
    for API tokens, of which a program has few).  Secrets that are replaced
    over time are registered with an ``owner`` and a ``slot`` name: a new
    value pushes out all but the previous one, and the owner's entries are
    forgotten when the owner is garbage-collected.  The registry therefore
    stays bounded however often a session is renewed.

    The previous value of a slot stays masked because a request sent with it
    may still fail after the renewal, and its error must not show it.  Older
    values are no longer masked by name; JWTs still are, by their shape.

    Parameters
    ----------
    secret : str
        An API token, JWT, refresh token or upload token.  Strings shorter
        than four characters are ignored, as masking them would garble
        messages.
    owner : object, optional
        The object the secret belongs to (for example the auth flow holding
        a JWT); must support weak references.
    slot : str, optional
        Which of the owner's secrets this is (``"jwt"``, ``"refresh"``...).
    """
    if len(secret) < 4:
        return
    with _SECRETS_LOCK:
        if _purge():
            _rebuild()
        if owner is None:
            if secret in _FIXED:
                return
            _FIXED.add(secret)
        else:
            key = id(owner)
            if key not in _OWNERS:
                _OWNERS.add(key)
                weakref.finalize(owner, _forget_owner, key)
            history = _SLOTS.get((key, slot), ())
            if history and history[-1] == secret:
                return
            _SLOTS[(key, slot)] = (*history, secret)[-SLOT_HISTORY:]
        _rebuild()


def registered_secret_count() -> int:
    """How many secrets :func:`redact` masks by name (for tests and diagnostics).

    Returns
    -------
    int
        The number of distinct registered secrets.
    """
    with _SECRETS_LOCK:
        if _purge():
            _rebuild()
        return len(_ORDERED)


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
    for secret in _ORDERED:  # an immutable snapshot: no lock needed to read it
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


#: gwcloud-python 3.0.0's exception name, kept for its callers: every error this library
#: raises is one (``except GWCloudException`` catches what ``except GWCloudError`` does).
GWCloudException = GWCloudError


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


class NotFoundError(GraphQLError):
    """The server has no such job, event ID or file, or does not show it to this user.

    GWCloud answers the same way for an ID that does not exist and for one
    that belongs to somebody else's private job, so the two cannot be told
    apart.  The constructor takes the same arguments as :class:`GraphQLError`.
    """


class PermissionDeniedError(GraphQLError):
    """The server refused the operation: it needs a login, or a right the user lacks.

    Raised, for example, when an anonymous client asks for something only a
    logged-in user may see, or a user edits an event ID without being an
    event administrator.  The constructor takes the same arguments as
    :class:`GraphQLError`.
    """


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
        self.errors: list[dict[str, Any]] = []
        self.data: dict[str, Any] | None = None
        self.operation_name = operation_name
        #: ID of a job known to exist already (a submission whose later step failed), or None.
        self.job_id: str | None = None
        self.url = url
        self.status_code = status_code
        GWCloudError.__init__(self, message)


class OperationRefused(TransportError, GraphQLError):
    """The server refused a GraphQL operation before running it (HTTP 400 with errors).

    graphene (the real service) and the local server answer a document that does not
    validate against their schema, such as one selecting a field the service no longer
    has, with HTTP 400 and a GraphQL ``errors`` list. The operation was not carried out,
    mutations included. Both a :class:`TransportError` (the status) and a
    :class:`GraphQLError` (the messages), as before this class existed it was the former.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[Mapping[str, Any]],
        operation_name: str | None,
        url: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.errors = [dict(e) for e in errors]
        self.data = None
        self.operation_name = operation_name
        self.url = url
        self.status_code = status_code
        GWCloudError.__init__(self, message)


class ValidationError(GWCloudError, ValueError):
    """An argument is invalid; raised before any request is sent.

    One exception: ``is_ligo_event=`` given to a service that no longer has the LIGO
    flag may be found out from the service's refusal, which means it ran nothing.
    """


class ClientClosedError(GWCloudError, RuntimeError):
    """The client was used after :meth:`~gwcloud_python.GWCloud.close`.

    Create a new client, or use ``with GWCloud(...) as gw:`` so that the
    client is closed only when the block ends.  Also a ``RuntimeError``, the
    class httpx raised in this case before.
    """


class ExternalFileDownloadException(GWCloudError):
    """Files of an external job are links elsewhere and cannot be downloaded from GWCloud."""

"""Authentication as httpx auth flows, and log redaction.

Two deployments, two flows:

* :class:`JWTAuth` (the 2023 service and gwcloud-python 1.x): the API token
  is traded for a JWT on the auth endpoint, sent as ``Authorization: JWT
  <jwt>``; when the Bilby server answers ``Signature has expired`` the flow
  refreshes the JWT once and resends.  Refreshes are single-flight: threads
  that see the same stale JWT wait for one refresh.  File uploads (multipart
  requests: ``uploadBilbyJob``, ``uploadSupportingFiles``) carry no JWT, as in
  1.x: their tokens travel in the mutation's input, and the 2023 server checks
  a JWT only after the whole body has arrived, so a JWT could expire during a
  long upload and the body would have to be sent again.  They are sent once.
* :class:`SessionTokenAuth` (the 2026 service): the API token is sent as is.

Neither class shows its token in ``repr``, and every token is registered with
:func:`~gwcloud_python._errors.register_secret` so that error messages and log
records mask it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import AsyncGenerator, Callable, Generator

import httpx

from ._errors import AuthenticationError, GWCloudAuthenticationError, redact, register_secret

__all__ = [
    "CorrelationIdAuth",
    "JWTAuth",
    "RedactingFilter",
    "SessionTokenAuth",
    "install_log_redaction",
]

#: The Bilby server's message for an expired JWT (graphql_jwt's wording).
EXPIRED_SIGNATURE_MESSAGE = "Signature has expired"

logger = logging.getLogger("gwcloud_python")


def response_says_expired(response: httpx.Response) -> bool:
    """Whether a GraphQL answer carries the ``Signature has expired`` error."""
    if response.status_code != 200:
        return False
    # Cheap test first: most answers are large and fine, and parsing them twice costs.
    if EXPIRED_SIGNATURE_MESSAGE.encode() not in response.content:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return False
    return any(
        EXPIRED_SIGNATURE_MESSAGE in str(e.get("message", ""))
        for e in errors
        if isinstance(e, dict)
    )


def is_upload(request: httpx.Request) -> bool:
    """Whether ``request`` is a GraphQL multipart file upload."""
    content_type: str = request.headers.get("content-type", "")
    return content_type.startswith("multipart/form-data")


class JWTAuth(httpx.Auth):
    """Send ``Authorization: JWT <jwt>``, obtaining and refreshing the JWT as needed.

    Parameters
    ----------
    obtain : callable
        Returns a fresh ``(jwt, refresh_token)`` pair from the API token.
    refresh : callable
        Returns a new pair from a refresh token.
    """

    requires_response_body = True

    def __init__(
        self,
        obtain: Callable[[], tuple[str, str]],
        refresh: Callable[[str], tuple[str, str]],
    ) -> None:
        self._obtain = obtain
        self._refresh = refresh
        self._lock = threading.Lock()
        self._jwt: str | None = None
        self._refresh_token: str | None = None
        #: How many times a JWT was obtained or refreshed (for tests and diagnostics).
        self.renewals = 0

    def __repr__(self) -> str:
        state = "active" if self._jwt else "not yet authenticated"
        return f"JWTAuth({state})"

    def current_jwt(self, stale: str | None = None) -> str:
        """Return a JWT, obtaining one or replacing ``stale`` (once, across threads)."""
        with self._lock:
            if self._jwt is not None and self._jwt != stale:
                return self._jwt
            pair: tuple[str, str] | None = None
            if self._refresh_token is not None and stale is not None:
                try:
                    pair = self._refresh(self._refresh_token)
                except AuthenticationError:
                    logger.info("refresh token refused; exchanging the API token again")
            if pair is None:
                pair = self._obtain()
            jwt, refresh_token = pair
            # Slots, not a growing set: a renewal replaces this flow's previous pair.
            register_secret(jwt, owner=self, slot="jwt")
            register_secret(refresh_token, owner=self, slot="refresh")
            self._jwt, self._refresh_token = jwt, refresh_token
            self.renewals += 1
            return jwt

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach the JWT; on an expired signature refresh once and resend.

        Uploads are sent once, without a JWT (see the module docstring).
        """
        if is_upload(request):
            yield request
            return
        jwt = self.current_jwt()
        request.headers["Authorization"] = f"JWT {jwt}"
        response = yield request
        if response_says_expired(response):
            logger.info("JWT expired; refreshing and resending once")
            jwt = self.current_jwt(stale=jwt)
            request.headers["Authorization"] = f"JWT {jwt}"
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The same flow for async clients; token exchanges run off the event loop."""
        if is_upload(request):
            yield request
            return
        jwt = await asyncio.to_thread(self.current_jwt)
        request.headers["Authorization"] = f"JWT {jwt}"
        response = yield request
        await response.aread()
        if response_says_expired(response):
            logger.info("JWT expired; refreshing and resending once")
            jwt = await asyncio.to_thread(self.current_jwt, jwt)
            request.headers["Authorization"] = f"JWT {jwt}"
            yield request


class SessionTokenAuth(httpx.Auth):
    """Send the API token as ``Authorization: <token>`` (the 2026 service).

    Parameters
    ----------
    token : str
        The API session token created on the GWCloud website.
    """

    def __init__(self, token: str) -> None:
        register_secret(token)
        self._token = token

    def __repr__(self) -> str:
        return "SessionTokenAuth()"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach the token to the request."""
        request.headers["Authorization"] = self._token
        yield request


class CorrelationIdAuth(httpx.Auth):
    """Marks anonymous 2026 requests with ``X-Correlation-ID: <public id> <session id>``."""

    def __init__(self) -> None:
        self.value = f"{uuid.uuid4().hex} {uuid.uuid4().hex}"

    def __repr__(self) -> str:
        return "CorrelationIdAuth()"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach the correlation header."""
        request.headers["X-Correlation-ID"] = self.value
        yield request


def refused(auth_endpoint: str) -> GWCloudAuthenticationError:
    """The error raised when the server refuses an API token."""
    return GWCloudAuthenticationError(
        f"the API token was refused by {auth_endpoint}: check that it is current and "
        "belongs to this GWCloud service"
    )


class RedactingFilter(logging.Filter):
    """Mask API tokens, JWTs and ``Authorization`` values in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets masked; never drops a record."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


_LOGGERS = ("gwcloud_python", "httpx", "httpcore", "httpcore.connection", "httpcore.http11")
_installed = threading.Event()


def install_log_redaction() -> None:
    """Attach :class:`RedactingFilter` to the library's and httpx's loggers (once)."""
    if _installed.is_set():
        return
    _installed.set()
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(RedactingFilter())

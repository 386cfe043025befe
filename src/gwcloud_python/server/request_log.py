"""Outer ASGI middleware: find the GraphQL operation, log and record each request."""

from __future__ import annotations

import json
import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .state import ServerState

__all__ = ["OPERATION_KEY", "RequestLogMiddleware", "operation_name"]

OPERATION_KEY = "gwcloud.operation"
_PEEK_LIMIT = 2 * 1024 * 1024
_OP_FIELD = re.compile(rb'"operationName"\s*:\s*"([_A-Za-z][_0-9A-Za-z]*)"')
_OP_DOC = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_log = logging.getLogger("gwcloud_python.server.requests")


def operation_name(body: bytes, complete: bool) -> str | None:
    """Return the GraphQL operation name of a (possibly partial) request body.

    Parameters
    ----------
    body : bytes
        The request body or its beginning (JSON or multipart).
    complete : bool
        Whether ``body`` is the whole body.

    Returns
    -------
    str or None
        ``operationName``, else the name of the document's first operation.
    """
    if complete:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict):
            name = data.get("operationName")
            if isinstance(name, str) and name:
                return name
            match = _OP_DOC.search(str(data.get("query") or ""))
            return match.group(1) if match else None
    found = _OP_FIELD.search(body)
    if found:
        return found.group(1).decode()
    doc = _OP_DOC.search(body[:65536].decode("utf-8", errors="replace"))
    return doc.group(1) if doc else None


def _has_correlation_id(scope: Scope) -> bool:
    """Tell whether a request carries ``X-Correlation-ID`` (its value is not logged)."""
    return any(name.lower() == b"x-correlation-id" for name, _value in scope.get("headers", []))


class RequestLogMiddleware:
    """Log one line per request to stderr and keep a list for the admin API.

    Never logs header values, query strings or GraphQL variables; the line notes the
    presence of an ``X-Correlation-ID`` header (sent by anonymous 2026 clients).

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    state : ServerState
        Where the request list lives.
    """

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        operation: str | None = None
        if scope["method"] == "POST" and scope["path"].rstrip("/").endswith("graphql"):
            size, more = 0, True
            # a multipart body is peeked only until its operation name shows: the upload
            # guard must see the operations part before the files are read
            multipart = any(
                name.lower() == b"content-type" and value.lower().startswith(b"multipart/")
                for name, value in scope.get("headers", [])
            )
            while more and size < _PEEK_LIMIT:
                message = await receive()
                buffered.append(message)
                if message["type"] != "http.request":
                    break
                size += len(message.get("body", b""))
                more = bool(message.get("more_body", False))
                if multipart and more:
                    prefix = b"".join(m.get("body", b"") for m in buffered)
                    if operation_name(prefix, complete=False) is not None:
                        break
            body = b"".join(m.get("body", b"") for m in buffered)
            operation = operation_name(body, complete=not more)

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        status = {"code": 0}
        pending = not scope["path"].startswith("/_admin")  # to be listed once

        def record(code: int) -> None:
            self.state.requests.append(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "operation": operation,
                    "status": code,
                }
            )

        async def watch(message: Message) -> None:
            nonlocal pending
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                # listed once the answer starts: a client that has read the whole body
                # and asks GET /_admin/requests next finds it, however the body ended
                if pending:
                    pending = False
                    record(status["code"])
            await send(message)

        scope = dict(scope)
        scope[OPERATION_KEY] = operation
        started = time.perf_counter()
        try:
            await self.app(scope, replay, watch)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            code = status["code"] or 500
            _log.info(
                "%s %s op=%s status=%s %.1fms%s",
                scope["method"],
                scope["path"],
                operation or "-",
                code,
                elapsed,
                " correlation-id" if _has_correlation_id(scope) else "",
            )
            if pending:  # no answer was started
                record(code)

"""Fault injection for tests: a pure ASGI middleware driven by ``/_admin/faults``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .request_log import OPERATION_KEY
from .state import ServerState

__all__ = ["FAULT_KINDS", "FaultMiddleware", "InjectedDisconnectError", "take_fault"]

FAULT_KINDS = ("drop", "status", "delay", "truncate", "malformed_json", "graphql_error")


class InjectedDisconnectError(Exception):
    """Raised inside the response to make the server abort the connection."""


def take_fault(state: ServerState, path: str, operation: str | None) -> dict[str, Any] | None:
    """Return (and count down) the first active fault matching a request.

    Parameters
    ----------
    state : ServerState
        Holds the rules.
    path : str
        URL path.
    operation : str or None
        GraphQL operation name.

    Returns
    -------
    dict or None
        The rule, None when no rule applies.
    """
    for rule in list(state.faults):
        match = rule.get("match")
        if match and (match.startswith("/") and not path.startswith(match)):
            continue
        if match and not match.startswith("/") and match != operation:
            continue
        if rule["remaining"] > 0:
            rule["remaining"] -= 1
            if rule["remaining"] == 0:
                state.faults.remove(rule)
        return rule
    return None


class FaultMiddleware:
    """Apply the fault rules of a state to matching requests.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    state : ServerState
        Holds the rules.
    """

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        rule = take_fault(self.state, scope["path"], scope.get(OPERATION_KEY))
        if rule is None:
            await self.app(scope, receive, send)
            return
        kind = rule["kind"]
        if kind == "delay":
            await asyncio.sleep(float(rule.get("seconds", 1.0)))
            await self.app(scope, receive, send)
        elif kind == "status":
            await self._status(rule, send)
        elif kind == "malformed_json":
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            await _respond(send, 200, body, "application/json")
        elif kind == "graphql_error":
            await self._graphql_error(rule, scope, receive, send)
        else:
            await self._cut(rule, scope, receive, send, keep_length=kind == "truncate")

    async def _status(self, rule: dict[str, Any], send: Send) -> None:
        status = int(rule.get("status", 500))
        body = json.dumps({"errors": [{"message": f"Injected HTTP {status}"}]}).encode()
        extra: list[tuple[bytes, bytes]] = []
        if rule.get("retry_after") is not None:
            extra.append((b"retry-after", str(rule["retry_after"]).encode()))
        await _respond(send, status, body, "application/json", extra)

    async def _graphql_error(
        self, rule: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        try:
            result = json.loads(b"".join(chunks))
        except ValueError:
            result = {"data": None}
        if not isinstance(result, dict):
            result = {"data": result}
        message = str(rule.get("message", "Injected GraphQL error"))
        result.setdefault("errors", []).append({"message": message, "path": None})
        await _respond(send, 200, json.dumps(result).encode(), "application/json")

    async def _cut(
        self, rule: dict[str, Any], scope: Scope, receive: Receive, send: Send, keep_length: bool
    ) -> None:
        limit = int(rule.get("after_bytes", 0))
        sent = {"bytes": 0}
        dropped = set() if keep_length else {b"content-length"}
        if rule.get("strip_validators"):
            # A server (or proxy) that names no version of the file it sends.
            dropped |= {b"etag", b"last-modified"}

        async def cutting(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                headers = [(k, v) for k, v in headers if k.lower() not in dropped]
                await send({**message, "headers": headers})
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body = message.get("body", b"")
            room = limit - sent["bytes"]
            more = bool(message.get("more_body", False))
            if len(body) < room and more:
                sent["bytes"] += len(body)
                await send(message)
                return
            piece = body[: max(room, 0)]
            if piece:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            raise InjectedDisconnectError(f"injected {rule['kind']} after {limit} bytes")

        await self.app(scope, receive, cutting)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""Fake GraphQL answers for pytest-httpx unit tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx

ENDPOINT = "https://gwcloud.test/bilby/graphql"
AUTH_ENDPOINT = "https://gwcloud.test/auth/graphql"
SENTINEL_TOKEN = "sentinel-api-token-5f3c9e"
SENTINEL_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzZW50aW5lbCI6dHJ1ZX0.c2VudGluZWwtand0LXNpZw"
SENTINEL_REFRESH = "sentinel-refresh-token-77a1"


Handler = Callable[[dict[str, Any], httpx.Request], Any]


class FakeGraphQL:
    """Answers GraphQL requests by operation name, recording what was sent."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, dict[str, Any], httpx.Request]] = []

    def on(self, operation: str, result: Any) -> None:
        """Answer ``operation`` with ``result`` (a JSON body, or a callable returning one)."""
        self.handlers[operation] = result if callable(result) else (lambda _v, _r: result)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            body = _operations_from_multipart(request)
        else:
            body = json.loads(request.content)
        name = body.get("operationName")
        variables = body.get("variables") or {}
        self.calls.append((name, variables, request))
        handler = self.handlers.get(name)
        if handler is None:
            return httpx.Response(200, json={"errors": [{"message": f"unexpected {name}"}]})
        answer = handler(variables, request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)

    def names(self) -> list[str]:
        """Operation names in the order they were sent."""
        return [name for name, _, _ in self.calls]


def _operations_from_multipart(request: httpx.Request) -> dict[str, Any]:
    content = request.read().decode("latin-1")
    marker = 'name="operations"'
    start = content.index(marker)
    payload = content[start:].split("\r\n\r\n", 1)[1].split("\r\n--", 1)[0]
    result: dict[str, Any] = json.loads(payload)
    return result


def jwt_answer(jwt: str = SENTINEL_JWT, refresh: str = SENTINEL_REFRESH) -> dict[str, Any]:
    """A successful ``jwtToken`` answer."""
    return {"data": {"jwtToken": {"jwtToken": jwt, "refreshToken": refresh}}}


def job_node(pk: int, name: str = "job", **extra: Any) -> dict[str, Any]:
    """A ``BilbyJobFields`` / ``PublicBilbyJobFields`` node."""
    node: dict[str, Any] = {
        "id": base64.b64encode(f"BilbyJobNode:{pk}".encode()).decode(),
        "name": name,
        "description": f"{name} description",
        "user": "alice",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "jobStatus": {"name": "Completed", "number": 500, "date": "2026-01-01T00:00:00+00:00"},
        "eventId": None,
        "labels": [{"name": "Official"}],
    }
    node.update(extra)
    return node


def private_job_node(pk: int, name: str = "job", job_type: int = 0) -> dict[str, Any]:
    """A full ``BilbyJobFields`` node as ``bilbyJob`` returns it."""
    node = job_node(pk, name)
    node.pop("timestamp")
    node.update(
        {
            "private": False,
            "isLigoJob": False,
            "jobType": job_type,
            "cluster": None,
            "creationTime": "2026-01-01T00:00:00+00:00",
            "lastUpdated": "2026-01-01 00:00:00 UTC",
            "jobControllerId": None,
        }
    )
    return node


def connection(
    nodes: list[dict[str, Any]], has_next: bool = False, cursor: str | None = None
) -> dict[str, Any]:
    """A Relay connection around ``nodes``."""
    return {
        "pageInfo": {"hasNextPage": has_next, "endCursor": cursor},
        "edges": [{"node": n, "cursor": f"c{i}"} for i, n in enumerate(nodes)],
    }

"""Plumbing of the ported gwcloud-python 3.0.0 GWFlow tests: gwdc-python's mocks as HTTP.

gwcloud-python 3.0.0 sent every request through gwdc-python's ``GWDC.request``, and its
tests replaced that method with ``mocker.Mock(return_value=<decamelised answer>)`` (or
``side_effect=``) and read the query and variables back from the mock.  Here the same
objects answer real HTTP requests through pytest-httpx: :class:`WireRequestMock` is what
``mocker.Mock(...)`` gives, and installing it (``mocker.patch("gwdc_python.gwdc.GWDC.request",
mock)``) makes it the GraphQL server.  Each answer is the test's data in the server's JSON
form (keys camelCased back, values unchanged; fields 3.0.0 did not select get the values
a real server sends), and each request is recorded as the ``call(query=, variables=)``
3.0.0's mock saw.  ``requests_mock.get(url, ...)`` becomes a GET response of pytest-httpx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

#: The 3.0.0 client's default endpoint (the 2026 service).
ENDPOINT_3X = "https://gwcloud.org.au/graphql"


def camelize_key(key: str) -> str:
    """``gwflow_job_id`` → ``gwflowJobId``; a camelCase key stays as it is."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camelize(value: Any) -> Any:
    """The keys of a decamelised answer camelCased back, as the server sent them."""
    if isinstance(value, dict):
        return {camelize_key(k): camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(item) for item in value]
    return value


def _fill_unselected(data: dict[str, Any]) -> dict[str, Any]:
    """Add what the real server sends for fields 3.0.0 did not select."""
    result = (data.get("upsertGwflowJob") or {}).get("result")
    if isinstance(result, dict):
        result.setdefault("removedFiles", [])
    return data


def _operation(request: httpx.Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        content = request.read().decode("latin-1")
        part = content[content.index('name="operations"') :]
        payload = part.split("\r\n\r\n", 1)[1].split("\r\n--", 1)[0]
        body: dict[str, Any] = json.loads(payload)
        return body
    parsed: dict[str, Any] = json.loads(request.content)
    return parsed


class Call(tuple):  # type: ignore[type-arg]
    """One recorded request as ``mock.call_args``: ``(args, kwargs)`` with ``.kwargs``."""

    def __new__(cls, **kwargs: Any) -> Call:
        return super().__new__(cls, ((), kwargs))

    @property
    def args(self) -> tuple[Any, ...]:
        return tuple(self[0])

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self[1])


class WireRequestMock:
    """``GWDC.request`` as a GraphQL server: answers and records every operation.

    Parameters
    ----------
    return_value : dict, optional
        The decamelised ``data`` every call answers.
    side_effect : exception or list of dict, optional
        An exception (answered as the server's GraphQL error with its message), or
        one answer per call, in order.
    """

    def __init__(self, return_value: Any = None, side_effect: Any = None) -> None:
        self.return_value = return_value
        self.side_effect = side_effect
        self._answers: Iterator[Any] | None = (
            iter(side_effect) if isinstance(side_effect, list) else None
        )
        self.call_args_list: list[Any] = []

    @property
    def call_count(self) -> int:
        return len(self.call_args_list)

    @property
    def call_args(self) -> Any:
        return self.call_args_list[-1] if self.call_args_list else None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = _operation(request)
        if body.get("operationName") == "SessionUser":  # the token check 3.0.0's mock skipped
            return httpx.Response(200, json={"data": {"sessionUser": {"isAuthenticated": True}}})
        self.call_args_list.append(
            Call(query=body.get("query"), variables=body.get("variables") or {})
        )
        if isinstance(self.side_effect, BaseException):
            return httpx.Response(200, json={"errors": [{"message": str(self.side_effect)}]})
        data = next(self._answers) if self._answers is not None else self.return_value
        return httpx.Response(200, json={"data": _fill_unselected(camelize(data))})


class GWDCMocker:
    """The parts of pytest-mock's ``mocker`` the 3.0.0 tests use, bound to pytest-httpx."""

    def __init__(self, httpx_mock: Any) -> None:
        self._httpx_mock = httpx_mock
        #: The installed ``GWDC.request`` (3.0.0's tests read it back as ``gwc.client.request``).
        self.request: WireRequestMock = WireRequestMock(return_value={})
        httpx_mock.add_callback(self._answer, method="POST", is_reusable=True, is_optional=True)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        return self.request(request)

    def Mock(self, return_value: Any = None, side_effect: Any = None) -> WireRequestMock:
        return WireRequestMock(return_value=return_value, side_effect=side_effect)

    def patch(self, target: str, new: WireRequestMock) -> WireRequestMock:
        if target != "gwdc_python.gwdc.GWDC.request":
            raise AssertionError(f"the port does not mock {target}")
        self.request = new
        return new


class RequestsMock:
    """``requests_mock.get(url, content=..., status_code=...)`` as pytest-httpx GET responses."""

    def __init__(self, httpx_mock: Any) -> None:
        self._httpx_mock = httpx_mock

    def get(self, url: str, content: bytes = b"", status_code: int = 200) -> None:
        self._httpx_mock.add_response(
            method="GET",
            url=url,
            content=content,
            status_code=status_code,
            is_reusable=True,
        )

"""Every failure a caller can see is a GWCloudError, whatever a hostile server answers.

A real socket answers each public call (queries and a mutation, anonymous and
authenticated) with something broken: JSON nested too deeply, not JSON, not
UTF-8, errors or data of the wrong shape, a huge number, a truncated or
corrupt body, no answer at all, not HTTP.  The call must raise a
:class:`GWCloudError` (a :class:`TransportError`; an
:class:`OperationOutcomeUnknown` for the mutation), never a ``RecursionError``,
``ValueError``, pydantic, h11 or httpcore error.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from gwcloud_python import GWCloud, GWCloudError, OperationOutcomeUnknown, TransportError

from ._hostile import Connection, HostileServer, Request, within

if TYPE_CHECKING:
    from .conftest import Recorder

GROUP = "Error tree"
INVARIANT = "a GWCloudError (TransportError; OperationOutcomeUnknown for a mutation), nothing else"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJob3N0aWxlIjp0cnVlfQ.aG9zdGlsZS1zaWduYXR1cmU"
DEPTH = 50_000


def _answer(body: bytes, **options: Any) -> Callable[[Connection], None]:
    return lambda conn: conn.answer(body, **options)


def _truncated(conn: Connection) -> None:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n")
    conn.send(b'{"data": {"publicBil')


@functools.cache
def _bomb() -> bytes:
    """About 100 KiB of deflate that inflates to 96 MiB."""
    packer = zlib.compressobj(9)
    zeros = b"0" * (1024 * 1024)
    parts = [packer.compress(b'{"data": {"x": "')]
    parts += [packer.compress(zeros) for _ in range(96)]
    return b"".join([*parts, packer.compress(b'"}}'), packer.flush()])


#: Hostile answers, by name.
ANSWERS: dict[str, Callable[[Connection], None]] = {
    "nested-lists": _answer(b'{"data": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
    "nested-objects": _answer(b'{"data": ' + b'{"a":' * DEPTH + b"1" + b"}" * DEPTH + b"}"),
    "nested-errors": _answer(b'{"errors": [{"message": ' + b"[" * DEPTH + b"]" * DEPTH + b"}]}"),
    "not-json": _answer(b"<html>Bad Gateway</html>"),
    "not-utf8": _answer(b'{"data": {"eventId": "\xff\xfe"}}'),
    "errors-a-string": _answer(b'{"errors": "boom"}'),
    "errors-of-numbers": _answer(b'{"errors": [1, 2, 3]}'),
    "data-a-list": _answer(b'{"data": [1, 2]}'),
    "data-wrong-shape": _answer(
        b'{"data": {"publicBilbyJobs": 5, "bilbyJob": "x", "eventId": [], "allEventIds": 7, '
        b'"bilbyJobs": true, "createEventId": 1}}'
    ),
    "huge-integer": _answer(b'{"data": {"x": ' + b"9" * 10_000 + b"}}"),
    "truncated-body": _truncated,
    "no-answer": lambda conn: None,
    "not-http": lambda conn: conn.send(b"220 smtp.example ESMTP ready\r\n\r\n"),
    "corrupt-gzip": _answer(b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"}),
    "unknown-encoding": _answer(b"xx", headers={"Content-Encoding": "br, zstd"}),
    "deflate-bomb": lambda conn: conn.answer(_bomb(), headers={"Content-Encoding": "deflate"}),
}

#: Public calls, by name: (needs a token, is a mutation, call).
CALLS: dict[str, tuple[bool, bool, Callable[[GWCloud], object]]] = {
    "get_public_job_list": (False, False, lambda gw: gw.get_public_job_list("GW150914")),
    "get_job_by_id": (False, False, lambda gw: gw.get_job_by_id("QmlsYnlKb2JOb2RlOjE=")),
    "get_event_id": (False, False, lambda gw: gw.get_event_id("GW150914_095045")),
    "get_all_event_ids": (False, False, lambda gw: gw.get_all_event_ids()),
    "get_user_jobs": (True, False, lambda gw: gw.get_user_jobs()),
    "create_event_id": (
        True,
        True,
        lambda gw: gw.create_event_id("GW150914_095045", 1126259462.4),
    ),
}


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[HostileServer, dict[str, Callable[[Connection], None]]]]:
    """One hostile server for the module; ``state["answer"]`` is what it sends next."""
    state: dict[str, Callable[[Connection], None]] = {}

    def handler(conn: Connection, req: Request) -> None:
        if req.path.startswith("/auth/"):
            conn.answer_json(
                {"data": {"jwtToken": {"jwtToken": JWT, "refreshToken": "hostile-refresh-1"}}}
            )
            return
        state["answer"](conn)

    with HostileServer(handler) as server:
        yield server, state


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("answer", list(ANSWERS))
def test_every_failure_is_a_gwcloud_error(
    rel: Recorder, hostile: Any, answer: str, call: str
) -> None:
    rel.classify(GROUP, f"hostile answer: {answer}", INVARIANT)
    server, state = hostile
    needs_token, mutation, method = CALLS[call]
    state["answer"] = ANSWERS[answer]
    gw = GWCloud(
        "hostile-api-token-0123456789" if needs_token else "",
        endpoint=f"{server.url}/bilby/graphql",
        auth_endpoint=f"{server.url}/auth/graphql",
        max_retries=0,
        progress=False,
        max_response_size=8 * 1024 * 1024,
        call_timeout=30,
    )
    try:
        with pytest.raises(GWCloudError) as info:
            within(60, lambda: method(gw))
    finally:
        gw.close()
    error = info.value
    if mutation:
        assert isinstance(error, OperationOutcomeUnknown), repr(error)
    else:
        assert isinstance(error, TransportError), repr(error)
    assert "hostile-api-token" not in str(error)
    rel.typed_error(error)
    rel.nothing_lost()

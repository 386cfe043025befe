"""Hostile servers that never stop answering: every call still ends, in bounded memory.

A real socket on 127.0.0.1 answers with a repeated page cursor, an answer
trickled byte by byte, a 200 MiB answer, a compression bomb or a body nested
too deeply.  Each call must end with a typed :class:`TransportError` (never
loop, hang or grow memory without limit), and each test is guarded by
:func:`within` so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import io
import json
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from gwcloud_python import AsyncGWCloud, GWCloud, OperationOutcomeUnknown, TransportError
from gwcloud_python import _constants as C
from gwcloud_python._transport import AsyncTransport, Transport

from ._hostile import Connection, HostileServer, Request, within

if TYPE_CHECKING:
    from .conftest import Recorder

GROUP = "Bounds"
INV_ENDS = "the call ends with a typed error; requests and time bounded"
INV_MEMORY = "the call ends with a typed error; peak memory bounded by the size cap"
MiB = 1024 * 1024
#: Guard against a hung test: far above the expected seconds, not a speed check.
GUARD = 60.0


def node(pk: int) -> dict[str, Any]:
    return {
        "id": f"QmlsYnlKb2JOb2RlOj{pk}",
        "name": f"job{pk}",
        "description": "",
        "user": "x",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "jobStatus": {"name": "Completed", "number": 500, "date": "2026-01-01T00:00:00+00:00"},
        "eventId": None,
        "labels": [],
    }


@pytest.fixture
def hostile() -> Iterator[Callable[[Callable[[Connection, Request], None]], HostileServer]]:
    """``hostile(handler)``: a started hostile server, stopped after the test."""
    servers: list[HostileServer] = []

    def make(handler: Callable[[Connection, Request], None]) -> HostileServer:
        server = HostileServer(handler).__enter__()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.__exit__(None, None, None)


def client(server: HostileServer, **options: Any) -> GWCloud:
    options.setdefault("max_retries", 0)
    return GWCloud(
        endpoint=f"{server.url}/bilby/graphql",
        auth_endpoint=f"{server.url}/auth/graphql",
        progress=False,
        **options,
    )


# -- pagination ---------------------------------------------------------------------------------


def test_repeated_end_cursor_ends_the_listing(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "repeated endCursor", INV_ENDS)

    def same_cursor(conn: Connection, _req: Request) -> None:
        page = {
            "pageInfo": {"hasNextPage": True, "endCursor": "YXJyYXljb25uZWN0aW9uOjk5"},
            "edges": [{"node": node(1), "cursor": "c"}],
        }
        conn.answer_json({"data": {"publicBilbyJobs": page}})

    server = hostile(same_cursor)
    gw = client(server)
    with pytest.raises(TransportError, match="twice") as info:
        within(GUARD, gw.get_official_job_list)
    assert len(server.requests) == 2
    rel.typed_error(info.value)
    rel.nothing_lost()


# -- deadlines ----------------------------------------------------------------------------------


def _trickle_body(conn: Connection, _req: Request) -> None:
    # No Content-Length: the body runs until the connection closes, which it never does.
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    conn.send(b'{"data": {"x": "')
    while True:
        conn.send(b"a")
        conn.pause(0.02)


def test_answer_trickled_forever_fails_after_the_deadline(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "answer trickled byte by byte", INV_ENDS)
    server = hostile(_trickle_body)
    gw = client(server, call_timeout=1.0)
    with pytest.raises(TransportError, match="deadline") as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    assert "call_timeout" in str(info.value)
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_deadline_covers_retries(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "answer trickled, with retries", INV_ENDS)
    server = hostile(_trickle_body)
    gw = client(server, call_timeout=1.0, max_retries=5)
    with pytest.raises(TransportError, match="deadline") as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    assert len(server.requests) == 1  # a spent deadline is not retried
    rel.typed_error(info.value)
    rel.nothing_lost()


def _trickle_headers(conn: Connection, _req: Request) -> None:
    conn.send(b"HTTP/1.1 200 OK\r\n")
    while True:
        conn.send(b"X-Slow: a\r\n")
        conn.pause(0.05)


def test_headers_trickled_forever_fail_after_the_deadline(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "headers trickled byte by byte", INV_ENDS)
    server = hostile(_trickle_headers)
    gw = client(server, call_timeout=1.0)
    with pytest.raises(TransportError, match="deadline") as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    rel.typed_error(info.value)
    # The client still works afterwards (the interrupted connection was dropped).
    server.handler = lambda conn, _req: conn.answer_json(
        {
            "data": {
                "publicBilbyJobs": {
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "edges": [],
                }
            }
        }
    )
    assert within(GUARD, lambda: gw.get_public_job_list("x")) == []
    rel.nothing_lost()


def test_async_headers_trickled_forever_fail_after_the_deadline(
    rel: Recorder, hostile: Any
) -> None:
    rel.classify(GROUP, "headers trickled byte by byte (async)", INV_ENDS)

    server = hostile(_trickle_headers)

    async def scenario() -> None:
        async with AsyncGWCloud(
            endpoint=f"{server.url}/bilby/graphql",
            auth_endpoint=f"{server.url}/auth/graphql",
            max_retries=0,
            call_timeout=1.0,
            progress=False,
        ) as gw:
            await gw.get_public_job_list("x")

    with pytest.raises(TransportError, match="deadline") as info:
        within(GUARD, lambda: asyncio.run(scenario()))
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_async_body_trickled_forever_fails_after_the_deadline(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "answer trickled byte by byte (async)", INV_ENDS)
    server = hostile(_trickle_body)

    async def scenario() -> None:
        async with AsyncGWCloud(
            endpoint=f"{server.url}/bilby/graphql",
            auth_endpoint=f"{server.url}/auth/graphql",
            max_retries=0,
            call_timeout=1.0,
            progress=False,
        ) as gw:
            await gw.get_public_job_list("x")

    with pytest.raises(TransportError, match="deadline") as info:
        within(GUARD, lambda: asyncio.run(scenario()))
    rel.typed_error(info.value)
    rel.nothing_lost()


def _upload(
    server: HostileServer, size: int, *, call_timeout: float, sync: bool = True
) -> dict[str, Any]:
    """Send a GraphQL mutation with a ``size``-byte file straight through a transport."""
    url = f"{server.url}/bilby/graphql"
    upload = SimpleNamespace(
        filename="job.tar.gz", content=io.BytesIO(b"\0" * size), content_type="application/gzip"
    )
    options: dict[str, Any] = {"query": "mutation UploadBilbyJob { a }"}
    options.update(operation_name="UploadBilbyJob", variables={"jobFile": None})
    options.update(uploads=[("variables.jobFile", upload)], mutation=True)
    if sync:
        transport = Transport(max_retries=0, call_timeout=call_timeout)
        try:
            return transport.post_graphql(url, **options)
        finally:
            transport.close()

    async def send() -> dict[str, Any]:
        atransport = AsyncTransport(max_retries=0, call_timeout=call_timeout)
        try:
            return await atransport.post_graphql(url, **options)
        finally:
            await atransport.aclose()

    return asyncio.run(send())


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_slow_upload_is_not_cut_by_the_deadline(rel: Recorder, hostile: Any, sync: bool) -> None:
    rel.classify(GROUP, "slow upload within the per-phase timeouts", "the call succeeds")

    def accept(conn: Connection, req: Request) -> None:
        conn.answer_json({"data": {"uploadBilbyJob": {"size": len(req.body)}}})

    server = hostile(accept)
    # The server starts reading 3 s late: with the socket buffers full, sending the
    # 48 MiB takes more than three times the deadline.
    server.body_delay = 3.0
    data = within(GUARD, lambda: _upload(server, 48 * MiB, call_timeout=1.0, sync=sync))
    assert data["uploadBilbyJob"]["size"] > 48 * MiB
    rel.nothing_lost()


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_answer_to_an_upload_trickled_forever_is_outcome_unknown(
    rel: Recorder, hostile: Any, sync: bool
) -> None:
    rel.classify(GROUP, "answer to an upload trickled", INV_ENDS)
    server = hostile(_trickle_headers)
    with pytest.raises(OperationOutcomeUnknown, match="deadline") as info:
        within(GUARD, lambda: _upload(server, 1024, call_timeout=1.0, sync=sync))
    assert info.value.operation_name == "UploadBilbyJob"
    rel.typed_error(info.value)
    rel.nothing_lost()


# -- answer size --------------------------------------------------------------------------------


def _endless_json(total: int) -> Callable[[Connection, Request], None]:
    def handler(conn: Connection, _req: Request) -> None:
        # No Content-Length: the body runs until the connection closes.
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        conn.send(b'{"data": {"publicBilbyJobs": {"x": "')
        block = b"a" * (256 * 1024)
        for _ in range(total // len(block)):
            conn.send(block)
        conn.send(b'"}}}')

    return handler


def _peak(call: Callable[[], object]) -> tuple[BaseException, int]:
    tracemalloc.start()
    try:
        try:
            within(GUARD, call)
        except BaseException as err:
            error = err
        else:  # pragma: no cover - the test fails below
            raise AssertionError("the call succeeded")
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_200_mib_answer_is_refused_in_bounded_memory(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "200 MiB GraphQL answer", INV_MEMORY)
    server = hostile(_endless_json(200 * MiB))
    gw = client(server)
    error, peak = _peak(lambda: gw.get_public_job_list("x"))
    assert isinstance(error, TransportError), repr(error)
    assert "limit" in str(error)
    # Everything held is the answer up to the cap (64 MiB), not the 200 MiB sent.
    assert peak < C.DEFAULT_MAX_RESPONSE_SIZE + 16 * MiB, f"peak {peak / MiB:.0f} MiB"
    rel.typed_error(error)
    rel.nothing_lost()


def test_configured_cap_bounds_memory(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "answer over a configured cap", INV_MEMORY)
    server = hostile(_endless_json(64 * MiB))
    gw = client(server, max_response_size=2 * MiB)
    error, peak = _peak(lambda: gw.get_public_job_list("x"))
    assert isinstance(error, TransportError), repr(error)
    assert "2097152 byte limit" in str(error)
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"
    rel.typed_error(error)
    rel.nothing_lost()


def test_compression_bomb_is_refused_in_bounded_memory(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "gzip bomb (512 MiB from under 1 MiB)", INV_MEMORY)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"data": {"x": "')]
    zeros = b"0" * MiB
    parts += [packer.compress(zeros) for _ in range(512)]
    parts.append(packer.compress(b'"}}') + packer.flush())
    bomb = b"".join(parts)
    assert len(bomb) < MiB

    def handler(conn: Connection, _req: Request) -> None:
        conn.answer(bomb, headers={"Content-Encoding": "gzip"})

    server = hostile(handler)
    gw = client(server, max_response_size=4 * MiB)
    error, peak = _peak(lambda: gw.get_public_job_list("x"))
    assert isinstance(error, TransportError), repr(error)
    assert "limit" in str(error)
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"
    rel.typed_error(error)
    rel.nothing_lost()


# -- answers outside the error tree ---------------------------------------------------------------


BODIES = {
    "nested-lists": b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "nested-objects": b'{"data": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}",
    "errors-not-a-list": b'{"errors": {"message": "x"}}',
    "errors-of-strings": b'{"errors": ["x"]}',
    "not-utf8": b'{"data": "\xc3\x28"}',
    "data-a-string": b'{"data": "x"}',
}


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_hostile_bodies_are_transport_errors(rel: Recorder, hostile: Any, body: bytes) -> None:
    rel.classify(GROUP, "malformed or deeply nested answer", "a TransportError, nothing else")
    server = hostile(lambda conn, _req: conn.answer(body))
    gw = client(server)
    with pytest.raises(TransportError) as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_protocol_garbage_is_a_transport_error(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "not HTTP at all", "a TransportError, nothing else")
    server = hostile(lambda conn, _req: conn.send(b"SSH-2.0-OpenSSH\r\n\r\n"))
    gw = client(server)
    with pytest.raises(TransportError) as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_connection_refused_keeps_the_os_cause(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "connection refused", "the OS cause is in the message")
    server = hostile(lambda conn, _req: None)
    url = server.url
    server.__exit__(None, None, None)  # nothing listens on the port now
    gw = GWCloud(
        endpoint=f"{url}/bilby/graphql", auth_endpoint=f"{url}/auth/graphql", max_retries=0
    )
    with pytest.raises(TransportError) as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    assert "Connection refused" in str(info.value)
    assert "Errno" in str(info.value)
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_404_at_the_server_root_hints_at_the_endpoint(rel: Recorder, hostile: Any) -> None:
    rel.classify(GROUP, "HTTP 404 from the endpoint", "the message names the likely endpoint")
    server = hostile(lambda conn, _req: conn.answer(b"Not Found", status="404 Not Found"))
    gw = GWCloud(endpoint=server.url, auth_endpoint=f"{server.url}/auth/graphql", max_retries=0)
    with pytest.raises(TransportError) as info:
        within(GUARD, lambda: gw.get_public_job_list("x"))
    assert info.value.status_code == 404
    assert f"did you mean {server.url}/bilby/graphql" in str(info.value)
    assert f"{server.url}/graphql" in str(info.value)
    assert json.dumps(server.requests[0].json()["operationName"]) == '"PublicBilbyJobs"'
    rel.typed_error(info.value)
    rel.nothing_lost()

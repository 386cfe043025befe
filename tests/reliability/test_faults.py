"""Injected network and server faults: every call ends byte-exact or with a typed error.

Each case checks, besides its outcome, that no partial file carries a final
name (no ``.part`` left, no truncated file, an older file left alone) and that
neither the API token nor the JWT shows in the error's ``str``, ``repr`` or
traceback.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _gql_fake import (
    AUTH_ENDPOINT,
    ENDPOINT,
    SENTINEL_JWT,
    SENTINEL_REFRESH,
    SENTINEL_TOKEN,
    jwt_answer,
)

from gwcloud_python import (
    BilbyJob,
    DownloadError,
    FileReferenceList,
    GraphQLError,
    GWCloud,
    GWCloudAuthenticationError,
    OperationOutcomeUnknown,
    TransportError,
)
from gwcloud_python import _constants as C
from gwcloud_python.server import LocalServer

from ._helpers import (
    assert_error_clean,
    assert_nothing_partial,
    client_secrets,
    count,
    gets,
    operations,
)

if TYPE_CHECKING:
    from .conftest import Catalog, Recorder

FAULTS = "Faults"
NORMAL = "/job/apiv1/file/"
UPLOADED = "/bilby/file_download/"
ROUTES = {"normal": ("GW150914", NORMAL), "uploaded": ("GW151226", UPLOADED)}
INV_FILES = "no partial file under a final name; no .part left; secrets absent from errors"
INV_QUERY = "same result as without the fault, or a typed error without secrets"
INV_AUTH = "calls keep working with one renewal; secrets absent from errors"

Connect = Callable[..., GWCloud]


def _download(gw: GWCloud, refs: FileReferenceList, mode: str, out: Path) -> dict[str, bytes]:
    """Download ``refs`` into memory (``fetch``) or to ``out`` (``save``); path → bytes."""
    if mode == "fetch":
        return {p.as_posix(): data for p, data in gw.get_files_by_reference(refs)}
    written = gw.save_files_by_reference(refs, out)
    return {p.relative_to(out.resolve()).as_posix(): p.read_bytes() for p in written}


# -- dropped connections --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "mode"),
    [("normal", "save"), ("normal", "fetch"), ("uploaded", "save"), ("uploaded", "fetch")],
)
def test_connection_dropped_mid_file_resumes_with_range(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    catalog: Catalog,
    sleeps: list[float],
    tmp_path: Path,
    route: str,
    mode: str,
) -> None:
    rel.classify(FAULTS, "connection dropped mid-file", INV_FILES)
    name, prefix = ROUTES[route]
    gw = connect("demo")
    refs = catalog.refs(name, larger_than=4000)
    want = catalog.expected(refs)
    server.reset_requests()
    server.set_fault("drop", match=prefix, after_bytes=2000)
    got = _download(gw, refs, mode, tmp_path / "out")
    assert got == want
    statuses = [r["status"] for r in gets(server, prefix, expect=len(refs) + 1)]
    assert len(statuses) == len(refs) + 1 and statuses.count(206) == 1, statuses
    assert len(sleeps) == 1
    assert_nothing_partial(tmp_path / "out", want if mode == "save" else {})
    rel.byte_exact()
    rel.nothing_lost()


BIG = 17 * 1024 * 1024  # above the size from which in-memory downloads are spooled to disk


@pytest.fixture(scope="module")
def big_file(server: LocalServer, shared_http: Any) -> tuple[FileReferenceList, bytes]:
    """A 17 MiB generated file on the server, its reference and its bytes."""
    job_id = server.seed_scale(1, 1, BIG)["first_job_id"]
    gw = GWCloud(
        endpoint=server.endpoint,
        auth_endpoint=server.auth_endpoint,
        http_client=shared_http,
        progress=False,
    )
    refs = gw.get_job_by_id(job_id).get_full_file_list()
    assert len(refs) == 1 and refs[0].file_size == BIG
    return refs, server.file_bytes(job_id, refs[0].path.as_posix())


@pytest.mark.parametrize("mode", ["fetch", "save"])
def test_large_file_dropped_mid_file_resumes(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    big_file: tuple[FileReferenceList, bytes],
    sleeps: list[float],
    tmp_path: Path,
    mode: str,
) -> None:
    rel.classify(FAULTS, "connection dropped mid-file", INV_FILES)
    refs, data = big_file
    gw = connect("demo")
    server.reset_requests()
    server.set_fault("drop", match=NORMAL, after_bytes=6 * 1024 * 1024)
    got = _download(gw, refs, mode, tmp_path / "out")
    assert got == {refs[0].path.as_posix(): data}
    assert [r["status"] for r in gets(server, NORMAL, expect=2)] == [200, 206]
    assert_nothing_partial(tmp_path / "out", got if mode == "save" else {})
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.parametrize(
    ("after_bytes", "times", "statuses"),
    [(7000, 2, [200, 206, 206]), (0, 1, [200, 200])],
    ids=["twice-mid-file", "right-after-headers"],
)
def test_connection_dropped_repeatedly_or_before_body(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    catalog: Catalog,
    tmp_path: Path,
    after_bytes: int,
    times: int,
    statuses: list[int],
) -> None:
    rel.classify(FAULTS, "connection dropped mid-file", INV_FILES)
    gw = connect("demo")
    refs = catalog.refs("GW150914", containing="_corner")
    assert len(refs) == 1
    want = catalog.expected(refs)
    server.reset_requests()
    server.set_fault("drop", match=NORMAL, after_bytes=after_bytes, times=times)
    assert _download(gw, refs, "save", tmp_path / "out") == want
    assert [r["status"] for r in gets(server, NORMAL, expect=len(statuses))] == statuses
    assert_nothing_partial(tmp_path / "out", want)
    rel.byte_exact()
    rel.nothing_lost()


def test_connection_dropped_on_query_is_retried(
    rel: Recorder, connect: Connect, server: LocalServer, sleeps: list[float]
) -> None:
    rel.classify(FAULTS, "connection dropped mid-file", INV_QUERY)
    gw = connect("demo")
    baseline = gw.get_public_job_list(number=5)
    server.reset_requests()
    server.set_fault("drop", match="PublicBilbyJobs", after_bytes=10)
    assert gw.get_public_job_list(number=5) == baseline
    assert count(server, "PublicBilbyJobs", expect=2) == 2 and len(sleeps) == 1
    rel.byte_exact()
    rel.nothing_lost()


# -- Retry-After -----------------------------------------------------------------------------

HTTP_DATE_IN_30S = "<http-date now+30s>"


@pytest.mark.parametrize(
    ("match", "status", "retry_after", "times", "waits"),
    [
        ("PublicBilbyJobs", 503, "7", 2, [7.0, 7.0]),
        ("PublicBilbyJobs", 429, "0", 1, [0.0]),
        (NORMAL, 503, "3", 1, [3.0]),
        (UPLOADED, 429, "2", 1, [2.0]),
        (NORMAL, 503, "3600", 1, [C.RETRY_AFTER_MAX]),
        ("PublicBilbyJobs", 503, HTTP_DATE_IN_30S, 1, None),
    ],
    ids=["query-503", "query-429-zero", "download-503", "download-429", "capped", "http-date"],
)
def test_retry_after_is_honoured(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    catalog: Catalog,
    sleeps: list[float],
    tmp_path: Path,
    match: str,
    status: int,
    retry_after: str,
    times: int,
    waits: list[float] | None,
) -> None:
    rel.classify(FAULTS, "HTTP 503/429 with Retry-After", INV_FILES)
    gw = connect("demo")
    if retry_after == HTTP_DATE_IN_30S:
        when = datetime.now(timezone.utc) + timedelta(seconds=30)
        retry_after = email.utils.format_datetime(when, usegmt=True)
    if match.startswith("/"):
        name = "GW150914" if match == NORMAL else "GW151226"
        refs = catalog.refs(name, containing="_corner")
        want = catalog.expected(refs)
        server.set_fault("status", match=match, status=status, retry_after=retry_after, times=times)
        assert _download(gw, refs, "save", tmp_path / "out") == want
        assert_nothing_partial(tmp_path / "out", want)
    else:
        baseline = gw.get_public_job_list(number=5)
        server.reset_requests()
        server.set_fault("status", match=match, status=status, retry_after=retry_after, times=times)
        assert gw.get_public_job_list(number=5) == baseline
        assert count(server, match, expect=times + 1) == times + 1
    if waits is None:
        assert len(sleeps) == 1 and 27.0 <= sleeps[0] <= 30.0, sleeps
    else:
        assert sleeps == waits
    rel.byte_exact()
    rel.nothing_lost()


# -- more 5xx than retries ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_beyond_retry_limit_leave_no_file(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    catalog: Catalog,
    sleeps: list[float],
    tmp_path: Path,
    status: int,
) -> None:
    rel.classify(FAULTS, "run of 5xx longer than the retry limit", INV_FILES)
    gw = connect("demo")
    refs = catalog.refs("GW150914")
    out = tmp_path / "out"
    old = out / "result" / "GW150914_corner.png"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an older copy the user kept")
    server.set_fault("status", match=NORMAL, status=status, times=0)
    with pytest.raises(DownloadError) as info:
        gw.save_files_by_reference(refs, out)
    err = info.value
    assert err.status_code == status and f"HTTP {status}" in str(err)
    assert len(sleeps) >= gw.client.max_retries
    assert_nothing_partial(out, {"result/GW150914_corner.png": b"an older copy the user kept"})
    assert_error_clean(err, client_secrets(gw))
    rel.typed_error(err)
    rel.nothing_lost()


def test_server_errors_beyond_retry_limit_in_memory(
    rel: Recorder, connect: Connect, server: LocalServer, catalog: Catalog
) -> None:
    rel.classify(FAULTS, "run of 5xx longer than the retry limit", INV_FILES)
    gw = connect("demo")
    refs = catalog.refs("GW151226", containing="_corner")
    server.reset_requests()
    server.set_fault("status", match=UPLOADED, status=503, times=0)
    with pytest.raises(DownloadError) as info:
        gw.get_files_by_reference(refs)
    assert info.value.status_code == 503
    assert len(gets(server, UPLOADED, expect=4)) == gw.client.max_retries + 1
    assert_error_clean(info.value, client_secrets(gw))
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_server_errors_beyond_retry_limit_mixed_jobs(
    rel: Recorder, connect: Connect, server: LocalServer, catalog: Catalog, tmp_path: Path
) -> None:
    rel.classify(FAULTS, "run of 5xx longer than the retry limit", INV_FILES)
    gw = connect("demo")
    uploaded = catalog.refs("GW151226")
    normal = catalog.refs("GW170817", larger_than=4000)  # no clashing names
    good = catalog.expected(uploaded)
    server.set_fault("status", match=NORMAL, status=500, times=0)
    with pytest.raises(DownloadError) as info:
        gw.save_files_by_reference(uploaded + normal, tmp_path / "out")
    # Files of the healthy job may have completed; each one present is whole.
    assert_nothing_partial(tmp_path / "out", good)
    assert_error_clean(info.value, client_secrets(gw))
    rel.typed_error(info.value)
    rel.nothing_lost()


@pytest.mark.parametrize("max_retries", [0, 3])
def test_server_errors_beyond_retry_limit_on_query(
    rel: Recorder, connect: Connect, server: LocalServer, sleeps: list[float], max_retries: int
) -> None:
    rel.classify(FAULTS, "run of 5xx longer than the retry limit", INV_QUERY)
    gw = connect("demo", max_retries=max_retries)
    server.reset_requests()
    server.set_fault("status", match="BilbyJobs", status=500, times=0)
    with pytest.raises(TransportError) as info:
        gw.get_user_jobs(number=2)
    err = info.value
    assert not isinstance(err, OperationOutcomeUnknown)
    assert err.status_code == 500 and err.url == server.endpoint
    assert (
        count(server, "BilbyJobs", expect=max_retries + 1) == max_retries + 1
        and len(sleeps) == max_retries
    )
    assert_error_clean(err, client_secrets(gw))
    rel.typed_error(err)
    rel.nothing_lost()


# -- stalls ----------------------------------------------------------------------------------

STALL_TIMEOUT = 0.4
STALL_SECONDS = 0.9


@pytest.fixture
def drain_stalls(server: LocalServer) -> Iterator[Callable[[], None]]:
    """Call it when a stall is injected; the test then waits out the stalled requests.

    The server finishes (and logs) a stalled request after the client gave up;
    letting that happen inside this test keeps it out of the next test's log.
    Every stalled request began at least ``STALL_TIMEOUT`` before the client gave
    up, so it is done ``STALL_SECONDS - STALL_TIMEOUT`` (plus a margin) later.
    """
    armed: list[bool] = []
    yield lambda: armed.append(True)
    if armed:
        time.sleep(STALL_SECONDS - STALL_TIMEOUT + 0.3)
        # On a loaded machine a stalled request may be logged later still (one that
        # began just before the others were cancelled): wait until the log is quiet
        # for a whole stall (bounded), so it cannot land in the next test's log.
        deadline = time.monotonic() + 10
        last: tuple[int, object] = (-1, None)
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            log = server.requests()
            now = (len(log), log[-1] if log else None)
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= STALL_SECONDS:
                break
            time.sleep(0.05)


@pytest.mark.parametrize("where", ["query", "fetch", "save", "auth"])
def test_stall_beyond_timeout(
    rel: Recorder,
    connect: Connect,
    catalog: Catalog,
    server: LocalServer,
    demo: dict[str, Any],
    drain_stalls: Callable[[], None],
    tmp_path: Path,
    where: str,
) -> None:
    rel.classify(FAULTS, "response stalled beyond the timeout", INV_FILES)
    if where == "auth":
        server.set_fault("delay", match="JwtToken", seconds=STALL_SECONDS, times=0)
        drain_stalls()
        with pytest.raises(TransportError) as info:
            connect("demo", timeout=STALL_TIMEOUT, max_retries=0)
        assert "timed out" in str(info.value)
        assert_error_clean(info.value, [demo["users"]["demo"]])
        rel.typed_error(info.value)
        rel.nothing_lost()
        return
    # Queries retry once on the stall; downloads get one attempt (the retry path is
    # covered by the other faults), which keeps the suite fast.
    gw = connect("demo", timeout=STALL_TIMEOUT, max_retries=1 if where == "query" else 0)
    started = time.monotonic()
    if where == "query":
        server.set_fault("delay", match="PublicBilbyJobs", seconds=STALL_SECONDS, times=0)
        drain_stalls()
        with pytest.raises(TransportError) as info:
            gw.get_public_job_list(number=2)
        assert not isinstance(info.value, DownloadError)
    else:
        refs = catalog.refs("GW150914", larger_than=4000)
        server.set_fault("delay", match=NORMAL, seconds=STALL_SECONDS, times=0)
        drain_stalls()
        with pytest.raises(DownloadError) as info:
            _download(gw, refs, where, tmp_path / "out")
        assert_nothing_partial(tmp_path / "out", {})
    assert "timed out" in str(info.value) or "Timeout" in str(info.value)
    assert time.monotonic() - started < STALL_SECONDS * 2 + 2
    assert_error_clean(info.value, client_secrets(gw))
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_stall_shorter_than_timeout_succeeds(
    rel: Recorder, connect: Connect, server: LocalServer, catalog: Catalog, tmp_path: Path
) -> None:
    rel.classify(FAULTS, "response stalled beyond the timeout", INV_FILES)
    gw = connect("demo", timeout=5.0)
    refs = catalog.refs("GW150914", containing="_corner")
    want = catalog.expected(refs)
    server.set_fault("delay", match=NORMAL, seconds=0.2)
    assert _download(gw, refs, "save", tmp_path / "out") == want
    assert_nothing_partial(tmp_path / "out", want)
    rel.byte_exact()
    rel.nothing_lost()


# -- short bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "mode"), [("normal", "save"), ("uploaded", "fetch"), ("uploaded", "save")]
)
def test_body_shorter_than_content_length_resumes(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    catalog: Catalog,
    tmp_path: Path,
    route: str,
    mode: str,
) -> None:
    rel.classify(FAULTS, "body shorter than Content-Length", INV_FILES)
    name, prefix = ROUTES[route]
    gw = connect("demo")
    refs = catalog.refs(name, containing="_corner")
    want = catalog.expected(refs)
    server.reset_requests()
    server.set_fault("truncate", match=prefix, after_bytes=5000)
    assert _download(gw, refs, mode, tmp_path / "out") == want
    assert [r["status"] for r in gets(server, prefix, expect=2)] == [200, 206]
    assert_nothing_partial(tmp_path / "out", want if mode == "save" else {})
    rel.byte_exact()
    rel.nothing_lost()


def test_body_always_short_gives_download_error(
    rel: Recorder, connect: Connect, server: LocalServer, catalog: Catalog, tmp_path: Path
) -> None:
    rel.classify(FAULTS, "body shorter than Content-Length", INV_FILES)
    gw = connect("demo")
    refs = catalog.refs("GW150914", containing="_corner")
    size = refs[0].file_size
    # Each attempt resumes where the last stopped and gets 2000 more bytes: too few in total.
    assert size > 2000 * (gw.client.max_retries + 1)
    server.set_fault("truncate", match=NORMAL, after_bytes=2000, times=0)
    with pytest.raises(DownloadError) as info:
        _download(gw, refs, "save", tmp_path / "out")
    assert f"after {2000 * (gw.client.max_retries + 1)} of {size} bytes" in str(info.value)
    assert_nothing_partial(tmp_path / "out", {})
    assert_error_clean(info.value, client_secrets(gw))
    rel.typed_error(info.value)
    rel.nothing_lost()


# -- malformed answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation", ["PublicBilbyJobs", "BilbyResultFiles", "JwtToken", "GenerateFileDownloadIds"]
)
def test_malformed_json_answer(
    rel: Recorder,
    connect: Connect,
    server: LocalServer,
    demo: dict[str, Any],
    catalog: Catalog,
    tmp_path: Path,
    operation: str,
) -> None:
    rel.classify(FAULTS, "malformed JSON answer", INV_FILES)
    if operation == "JwtToken":
        server.set_fault("malformed_json", match=operation)
        with pytest.raises(TransportError) as info:
            connect("demo")
        assert info.value.status_code == 200 and "not valid JSON" in str(info.value)
        assert_error_clean(info.value, [demo["users"]["demo"]])
        rel.typed_error(info.value)
        rel.nothing_lost()
        return
    gw = connect("demo")
    job = gw.get_job_by_id(demo["jobs"]["GW150914"])
    refs = catalog.refs("GW150914", containing="_corner")
    server.reset_requests()
    server.set_fault("malformed_json", match=operation)
    with pytest.raises(TransportError) as info:
        if operation == "PublicBilbyJobs":
            gw.get_public_job_list(number=2)
        elif operation == "BilbyResultFiles":
            job.get_full_file_list()
        else:
            gw.save_files_by_reference(refs, tmp_path / "out")
    err = info.value
    # A 200 answer that is not JSON is not retried; the download-ID step is a
    # safe-to-repeat mutation, so it is a plain TransportError, not "outcome unknown".
    assert type(err) is TransportError and "not valid JSON" in str(err)
    assert count(server, operation) == 1
    assert_nothing_partial(tmp_path / "out", {})
    assert_error_clean(err, client_secrets(gw))
    rel.typed_error(err)
    rel.nothing_lost()


@pytest.mark.parametrize("operation", ["PublicBilbyJobs", "BilbyJob", "AllEventIds"])
def test_graphql_errors_keep_partial_data(
    rel: Recorder, connect: Connect, server: LocalServer, demo: dict[str, Any], operation: str
) -> None:
    rel.classify(FAULTS, "GraphQL errors with partial data", INV_QUERY)
    gw = connect("demo")
    server.set_fault("graphql_error", match=operation, message="resolver exploded")
    calls: dict[str, Callable[[], object]] = {
        "PublicBilbyJobs": lambda: gw.get_public_job_list(number=3),
        "BilbyJob": lambda: gw.get_job_by_id(demo["jobs"]["GW150914"]),
        "AllEventIds": gw.get_all_event_ids,
    }
    with pytest.raises(GraphQLError) as info:
        calls[operation]()
    err = info.value
    assert not isinstance(err, TransportError)
    assert err.operation_name == operation
    assert err.messages == ["resolver exploded"] and "resolver exploded" in str(err)
    assert err.data is not None
    field = operation[0].lower() + operation[1:]
    if operation == "BilbyJob":
        assert err.data[field]["name"] == "GW150914"
    elif operation == "AllEventIds":
        assert len(err.data[field]) >= 3
    else:
        assert len(err.data[field]["edges"]) == 3
    assert_error_clean(err, client_secrets(gw))
    rel.typed_error(err)
    rel.nothing_lost()


# -- expiring credentials --------------------------------------------------------------------


@pytest.mark.parametrize("expiries", [1, 2])
def test_jwt_expired_mid_run(
    rel: Recorder,
    connect: Connect,
    catalog: Catalog,
    server: LocalServer,
    demo: dict[str, Any],
    tmp_path: Path,
    expiries: int,
) -> None:
    rel.classify(FAULTS, "every JWT expired mid-run", INV_AUTH)
    gw = connect("demo")
    mine = gw.get_user_jobs(number=50)
    private = gw.get_job_by_id(demo["jobs"]["demo-private"])
    refs = catalog.refs("demo-private", containing="_corner")
    want = catalog.expected(refs)
    server.reset_requests()
    for round_ in range(expiries):
        server.expire_jwts()
        assert gw.get_user_jobs(number=50) == mine
        assert gw.get_job_by_id(private.job_id).name == private.name
        assert _download(gw, refs, "save", tmp_path / f"out{round_}") == want
    ops = operations(server, at_least=expiries * 6)
    assert ops.count("RefreshToken") == expiries and "JwtToken" not in ops
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.parametrize("how", ["refresh-expired", "refresh-503"])
def test_refresh_refused_falls_back_to_api_token(
    rel: Recorder, connect: Connect, server: LocalServer, demo: dict[str, Any], how: str
) -> None:
    rel.classify(FAULTS, "refresh token expired too", INV_AUTH)
    gw = connect("demo")
    mine = gw.get_user_jobs(number=50)
    server.reset_requests()
    server.expire_jwts()
    if how == "refresh-expired":
        server.expire_refresh_tokens()
    else:
        server.set_fault("status", match="RefreshToken", status=503)
    assert gw.get_user_jobs(number=50) == mine
    assert gw.get_job_by_id(demo["jobs"]["demo-private"]).name == "demo-private"
    assert operations(server, at_least=5) == [
        "BilbyJobs",
        "RefreshToken",
        "JwtToken",
        "BilbyJobs",
        "BilbyJob",
    ]
    rel.byte_exact()
    rel.nothing_lost()


def test_refresh_expired_and_api_token_revoked(
    rel: Recorder, connect: Connect, server: LocalServer
) -> None:
    rel.classify(FAULTS, "refresh token expired too", INV_AUTH)
    old_token = server.add_user("reliability-revoked")
    gw = connect(token=old_token)
    gw.get_user_jobs(number=1)
    held = client_secrets(gw)
    server.add_user("reliability-revoked")  # re-keys the user: the old API token is void
    server.expire_jwts()
    server.expire_refresh_tokens()
    with pytest.raises(GWCloudAuthenticationError) as info:
        gw.get_user_jobs(number=1)
    assert "refused" in str(info.value)
    assert_error_clean(info.value, held)
    rel.typed_error(info.value)
    rel.nothing_lost()


# -- fixed gaps (regression tests) ------------------------------------------------------------


@pytest.mark.parametrize("fault", ["status-503", "drop"])
def test_transient_fault_on_download_id_step_is_retried(
    rel: Recorder,
    connect: Connect,
    catalog: Catalog,
    server: LocalServer,
    sleeps: list[float],
    tmp_path: Path,
    fault: str,
) -> None:
    rel.classify(FAULTS, "transient fault while requesting download IDs", INV_FILES)
    gw = connect("demo")
    refs = catalog.refs("GW150914", containing="_corner")
    want = catalog.expected(refs)
    server.reset_requests()
    if fault == "drop":
        server.set_fault("drop", match="GenerateFileDownloadIds", after_bytes=0)
    else:
        server.set_fault("status", match="GenerateFileDownloadIds", status=503, retry_after=0)
    assert _download(gw, refs, "save", tmp_path / "out") == want
    assert count(server, "GenerateFileDownloadIds", expect=2) == 2 and len(sleeps) == 1
    assert_nothing_partial(tmp_path / "out", want)
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.parametrize("operation", ["PublicBilbyJobs", "BilbyResultFiles", "JwtToken"])
def test_answer_not_matching_schema_is_a_typed_error(
    rel: Recorder, fake_gql: Any, operation: str
) -> None:
    rel.classify(FAULTS, "answer that does not match the schema", INV_QUERY)
    if operation == "JwtToken":
        # a JWT but no refresh token: pydantic would show the JWT's tail in its message
        fake_gql.on("JwtToken", {"data": {"jwtToken": {"jwtToken": SENTINEL_JWT}}})
    else:
        fake_gql.on("JwtToken", jwt_answer())
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": {"edges": "not-a-list"}}})
    fake_gql.on("BilbyResultFiles", {"data": {"bilbyResultFiles": {"files": [{"path": 7}]}}})
    with pytest.raises(TransportError) as info:
        gw = GWCloud(SENTINEL_TOKEN, auth_endpoint=AUTH_ENDPOINT, endpoint=ENDPOINT, progress=False)
        job = BilbyJob(gw, "QmlsYnlKb2JOb2RlOjE=", "job", None, None, None, None)
        if operation == "PublicBilbyJobs":
            gw.get_public_job_list()
        else:
            job.get_full_file_list()
    err = info.value
    assert "does not match the GraphQL schema" in str(err)
    assert_error_clean(err, [SENTINEL_TOKEN, SENTINEL_JWT, SENTINEL_REFRESH])
    rel.typed_error(err)
    rel.nothing_lost()

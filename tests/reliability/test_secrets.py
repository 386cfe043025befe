"""Secrets never show: API tokens, JWTs and refresh tokens stay out of logs, reprs and errors.

Every scenario runs with every logger (``gwcloud_python``, ``httpx``,
``httpcore``) at DEBUG and then searches all log lines, the ``repr`` and
``str`` of the clients and objects involved, and the ``str``, ``repr`` and
formatted traceback (with chained causes) of every error for the secrets the
client held, for telling fragments of them (head and tail, as truncating
formatters show them), and for anything shaped like a JWT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from _gql_fake import AUTH_ENDPOINT, SENTINEL_TOKEN, jwt_answer

import gwcloud_python
from gwcloud_python import (
    AuthenticationError,
    DownloadError,
    GraphQLError,
    GWCloud,
    GWCloudAuthenticationError,
    OperationOutcomeUnknown,
    TransportError,
    ValidationError,
)

from ._helpers import assert_no_secrets, client_secrets, error_texts
from .conftest import ReliabilityServer

if TYPE_CHECKING:
    from .conftest import Catalog, Recorder

GROUP = "Secrets"
INVARIANT = "no token, JWT or refresh token (or fragment, or JWT shape) in logs, reprs, errors"
WRONG_TOKEN = "sentinel-wrong-api-token-3b9d0c51e7a24f68"
JWT_SHAPED = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")
LOGGERS = ("gwcloud_python", "httpx", "httpcore")


@dataclass
class Seen:
    """What a scenario exposed: secrets to look for, and objects and errors to search."""

    secrets: set[str] = field(default_factory=set)
    objects: list[object] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def client(self, gw: Any) -> Any:
        """Remember a client, its parts and the secrets it holds now."""
        self.secrets.update(client_secrets(gw))
        self.objects += [gw, gw.client, gw._jwt, gw._bilby, getattr(gw, "_auth_api", None)]
        return gw

    def expect(self, kind: type[BaseException], call: Callable[[], object]) -> BaseException:
        """Run ``call``, which must raise ``kind``; keep the error."""
        with pytest.raises(kind) as info:
            call()
        self.errors.append(info.value)
        return info.value


@dataclass
class Env:
    server: ReliabilityServer
    demo: dict[str, Any]
    catalog: Catalog
    make: Callable[..., GWCloud]
    tmp: Path


def _texts(seen: Seen, caplog: pytest.LogCaptureFixture, extra: list[str]) -> list[str]:
    texts = [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    for obj in seen.objects:
        texts += [repr(obj), str(obj)]
    for err in seen.errors:
        texts += error_texts(err)
    return texts + extra


def _check(seen: Seen, caplog: pytest.LogCaptureFixture, extra: Sequence[str] = ()) -> None:
    texts = _texts(seen, caplog, list(extra))
    assert_no_secrets(texts, seen.secrets)
    shaped = [m.group(0) for t in texts for m in JWT_SHAPED.finditer(t)]
    assert not shaped, f"JWT-shaped strings leaked: {shaped[:3]}"


# -- scenarios against the 2023 server (JWT flow) ----------------------------------------------


def _success(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    seen.objects += gw.get_public_job_list(number=3)
    mine = gw.get_user_jobs(number=5)
    seen.objects += [*mine, *mine[0].get_full_file_list()]
    refs = env.catalog.refs("GW150914", containing="_corner")
    gw.get_files_by_reference(refs)
    gw.save_files_by_reference(refs, env.tmp / "out")
    seen.client(gw)


def _wrong_token(env: Env, seen: Seen) -> None:
    seen.secrets.add(WRONG_TOKEN)
    seen.expect(GWCloudAuthenticationError, lambda: env.make(token=WRONG_TOKEN))


def _expired_jwt(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    env.server.expire_jwts()
    seen.objects += gw.get_user_jobs(number=2)
    seen.client(gw)


def _expired_refresh_token(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    env.server.expire_jwts()
    env.server.expire_refresh_tokens()
    seen.objects += gw.get_user_jobs(number=2)
    seen.client(gw)


def _token_revoked(env: Env, seen: Seen) -> None:
    token = env.server.add_user("secrets-revoked")
    gw = seen.client(env.make(token=token))
    env.server.add_user("secrets-revoked")
    env.server.expire_jwts()
    env.server.expire_refresh_tokens()
    seen.expect(GWCloudAuthenticationError, lambda: gw.get_user_jobs(number=1))


def _query_500s(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    env.server.set_fault("status", match="BilbyJobs", status=500, times=0)
    seen.expect(TransportError, lambda: gw.get_user_jobs(number=1))


def _download_500s(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    refs = env.catalog.refs("GW150914", containing="_corner")
    env.server.set_fault("status", match="/job/apiv1/file/", status=500, times=0)
    seen.expect(DownloadError, lambda: gw.save_files_by_reference(refs, env.tmp / "out"))


def _auth_endpoint_500s(env: Env, seen: Seen) -> None:
    seen.secrets.add(env.demo["users"]["demo"])
    env.server.set_fault("status", match="JwtToken", status=500, times=0)
    seen.expect(TransportError, lambda: env.make("demo"))


def _graphql_error_echoing_secrets(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    echo = " ".join(sorted(seen.secrets))
    env.server.set_fault("graphql_error", match="BilbyJobs", message=f"bad credentials: {echo}")
    err = seen.expect(GraphQLError, lambda: gw.get_user_jobs(number=1))
    assert isinstance(err, GraphQLError)
    seen.objects.append("\n".join(err.messages))


def _mutation_502(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    job = gw.get_job_by_id(env.demo["jobs"]["demo-private"])
    env.server.set_fault("status", match="UpdateBilbyJob", status=502)
    seen.expect(OperationOutcomeUnknown, lambda: job.set_description("secret-free"))


def _malformed_json(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    env.server.set_fault("malformed_json", match="BilbyJobs")
    seen.expect(TransportError, lambda: gw.get_user_jobs(number=1))


def _refresh_refused_then_500s(env: Env, seen: Seen) -> None:
    gw = seen.client(env.make("demo"))
    env.server.expire_jwts()
    env.server.set_fault("status", match="RefreshToken", status=500, times=0)
    env.server.set_fault("status", match="JwtToken", status=503, times=0)
    seen.expect(TransportError, lambda: gw.get_user_jobs(number=1))


def _async_runs(env: Env, seen: Seen) -> None:
    if not hasattr(gwcloud_python, "AsyncGWCloud"):
        pytest.skip("AsyncGWCloud is not available")
    token = env.demo["users"]["demo"]

    async def run() -> None:
        options = {
            "auth_endpoint": env.server.auth_endpoint,
            "endpoint": env.server.endpoint,
            "progress": False,
        }
        async with gwcloud_python.AsyncGWCloud(token, **options) as agw:
            agw.sync_client.sleep = lambda _s: None
            agw.client.sleep = _no_sleep
            seen.client(agw)
            seen.objects += await agw.get_user_jobs(number=2)
            env.server.set_fault("status", match="BilbyJobs", status=500, times=0)
            try:
                await agw.get_user_jobs(number=1)
            except TransportError as err:
                seen.errors.append(err)
            else:
                raise AssertionError("no TransportError")
            seen.client(agw)
        try:
            async with gwcloud_python.AsyncGWCloud(WRONG_TOKEN, **options):
                pass
        except GWCloudAuthenticationError as err:
            seen.errors.append(err)
        seen.secrets.add(WRONG_TOKEN)

    asyncio.run(run())
    assert len(seen.errors) == 2


async def _no_sleep(_seconds: float) -> None:
    return None


SCENARIOS: dict[str, Callable[[Env, Seen], None]] = {
    "success": _success,
    "wrong-token": _wrong_token,
    "expired-jwt": _expired_jwt,
    "expired-refresh-token": _expired_refresh_token,
    "token-revoked": _token_revoked,
    "query-500s": _query_500s,
    "download-500s": _download_500s,
    "auth-endpoint-500s": _auth_endpoint_500s,
    "graphql-error-echoing-secrets": _graphql_error_echoing_secrets,
    "mutation-502": _mutation_502,
    "malformed-json": _malformed_json,
    "refresh-refused-then-500s": _refresh_refused_then_500s,
    "async-client": _async_runs,
}


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_secrets_stay_hidden(
    rel: Recorder,
    server: ReliabilityServer,
    demo: dict[str, Any],
    catalog: Catalog,
    connect: Callable[..., GWCloud],
    debug_logs: pytest.LogCaptureFixture,
    tmp_path: Path,
    scenario: str,
) -> None:
    rel.classify(GROUP, "2023 service (JWT flow)", INVARIANT)
    seen = Seen()
    SCENARIOS[scenario](Env(server, demo, catalog, connect, tmp_path), seen)
    assert seen.secrets, "the scenario exposed no secret to look for"
    assert any(r.name.startswith("httpcore") for r in debug_logs.records), "no DEBUG capture"
    _check(seen, debug_logs)
    if seen.errors:
        rel.typed_error(seen.errors[-1])
    else:
        rel.byte_exact()
    rel.nothing_lost()


# -- the 2026 service: the API token itself travels on every request ------------------------------


@pytest.fixture(scope="module")
def server_2026(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReliabilityServer]:
    srv = ReliabilityServer(tmp_path_factory.mktemp("reliability-2026"), schema="2026")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.parametrize(
    "scenario", ["success", "wrong-token", "query-500s", "graphql-error-echo", "mutation-502"]
)
def test_secrets_stay_hidden_2026(
    rel: Recorder,
    server_2026: ReliabilityServer,
    shared_http: httpx.Client,
    debug_logs: pytest.LogCaptureFixture,
    scenario: str,
) -> None:
    rel.classify(GROUP, "2026 service (session token)", INVARIANT)
    token = server_2026.add_user(f"secrets-2026-{scenario}")
    seen = Seen(secrets={token})

    def make(secret: str) -> GWCloud:
        gw = GWCloud(secret, endpoint=server_2026.endpoint, progress=False, http_client=shared_http)
        gw.client.sleep = lambda _s: None
        seen.objects += [gw, gw.client, gw._bilby]
        return gw

    try:
        if scenario == "wrong-token":
            seen.secrets.add(WRONG_TOKEN)
            seen.expect(AuthenticationError, lambda: make(WRONG_TOKEN))
        else:
            gw = make(token)
            assert gw.service == "2026"
            if scenario == "success":
                seen.objects += gw.get_user_jobs(number=3)
                seen.objects += gw.get_public_job_list(number=3)
            elif scenario == "query-500s":
                server_2026.set_fault("status", match="BilbyJobs", status=500, times=0)
                seen.expect(TransportError, lambda: gw.get_user_jobs(number=1))
            elif scenario == "graphql-error-echo":
                server_2026.set_fault(
                    "graphql_error", match="BilbyJobs", message=f"session {token} refused"
                )
                seen.expect(GraphQLError, lambda: gw.get_user_jobs(number=1))
            else:
                job = gw.upload_external_job("s", "d", True, "label = s\n", "https://e.org/")
                server_2026.set_fault("status", match="UpdateBilbyJob", status=502)
                seen.expect(OperationOutcomeUnknown, lambda: job.set_name("renamed"))
    finally:
        if server_2026.faulted:
            server_2026.clear_faults()
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    _check(seen, debug_logs)
    if seen.errors:
        rel.typed_error(seen.errors[-1])
    else:
        rel.byte_exact()
    rel.nothing_lost()


# -- a token of the wrong type ------------------------------------------------------------------


def test_token_of_wrong_type_is_not_echoed(rel: Recorder, server: ReliabilityServer) -> None:
    rel.classify(GROUP, "token of the wrong type", INVARIANT)
    token = server.add_user("secrets-bytes-token")  # fresh: never registered for masking
    seen = Seen(secrets={token})
    err = seen.expect(ValidationError, lambda: GWCloud(token.encode()))
    rel.typed_error(err)
    assert_no_secrets(error_texts(err), seen.secrets)
    rel.nothing_lost()


# -- plain http ---------------------------------------------------------------------------------

REMOTE = "http://example.org"
REFUSED = {
    "both-plain": (f"{REMOTE}/bilby/graphql", f"{REMOTE}/auth/graphql"),
    "auth-plain": ("https://example.org/bilby/graphql", f"{REMOTE}/auth/graphql"),
    "bilby-plain": (f"{REMOTE}/bilby/graphql", "https://example.org/auth/graphql"),
    "localhost-lookalike": (
        "http://localhost.example.org/bilby/graphql",
        "http://localhost.example.org/auth/graphql",
    ),
    "loopback-lookalike": (
        "http://127.0.0.1.nip.io/bilby/graphql",
        "http://127.0.0.1.nip.io/auth/graphql",
    ),
    "2026-plain": (f"{REMOTE}/graphql", None),
}


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize(("endpoint", "auth"), list(REFUSED.values()), ids=list(REFUSED))
def test_plain_http_to_a_remote_host_is_refused(
    rel: Recorder, fake_gql: Any, httpx_mock: Any, endpoint: str, auth: str | None
) -> None:
    rel.classify(GROUP, "plain http", "refused before any request; token not in the message")
    fake_gql.on("JwtToken", jwt_answer())
    options = {"endpoint": endpoint, **({"auth_endpoint": auth} if auth else {})}
    with pytest.raises(ValidationError) as info:
        GWCloud(SENTINEL_TOKEN, progress=False, **options)
    assert "plain http" in str(info.value) and "allow_insecure_http" in str(info.value)
    assert httpx_mock.get_requests() == []
    assert_no_secrets(error_texts(info.value), [SENTINEL_TOKEN])
    rel.typed_error(info.value)
    rel.nothing_lost()


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_plain_http_refused_for_a_token_from_the_environment(
    rel: Recorder, fake_gql: Any, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel.classify(GROUP, "plain http", "refused before any request; token not in the message")
    monkeypatch.setenv("GWCLOUD_TOKEN", SENTINEL_TOKEN)
    monkeypatch.setenv("GWCLOUD_ENDPOINT", f"{REMOTE}/bilby/graphql")
    monkeypatch.setenv("GWCLOUD_AUTH_ENDPOINT", f"{REMOTE}/auth/graphql")
    # As in 1.x the library does not read $GWCLOUD_TOKEN itself; a script passes it on.
    with pytest.raises(ValidationError) as info:
        GWCloud(os.environ["GWCLOUD_TOKEN"], progress=False)
    assert httpx_mock.get_requests() == []
    assert_no_secrets(error_texts(info.value), [SENTINEL_TOKEN])
    rel.typed_error(info.value)
    rel.nothing_lost()


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_plain_http_with_opt_in_warns(
    rel: Recorder, fake_gql: Any, httpx_mock: Any, debug_logs: pytest.LogCaptureFixture
) -> None:
    rel.classify(GROUP, "plain http", "opt-in logs a warning naming the URL, not the token")
    fake_gql.on("JwtToken", jwt_answer())
    gw = GWCloud(
        SENTINEL_TOKEN,
        endpoint=f"{REMOTE}/bilby/graphql",
        auth_endpoint=f"{REMOTE}/auth/graphql",
        allow_insecure_http=True,
        progress=False,
    )
    warnings = [r for r in debug_logs.records if r.levelno >= logging.WARNING]
    assert {r.getMessage() for r in warnings} >= {
        f"sending an API token over plain http to {REMOTE}/bilby/graphql",
        f"sending an API token over plain http to {REMOTE}/auth/graphql",
    }
    assert all(r.name == "gwcloud_python" for r in warnings)
    assert [str(r.url) for r in httpx_mock.get_requests()] == [f"{REMOTE}/auth/graphql"]
    assert_no_secrets([debug_logs.text, repr(gw)], [SENTINEL_TOKEN])
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize(
    "base",
    ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://127.5.6.7"],
)
def test_plain_http_to_loopback_is_silent(
    rel: Recorder, fake_gql: Any, httpx_mock: Any, debug_logs: pytest.LogCaptureFixture, base: str
) -> None:
    rel.classify(GROUP, "plain http", "loopback allowed without a warning")
    fake_gql.on("JwtToken", jwt_answer())
    GWCloud(
        SENTINEL_TOKEN,
        endpoint=f"{base}/bilby/graphql",
        auth_endpoint=f"{base}/auth/graphql",
        progress=False,
    )
    assert [r for r in debug_logs.records if r.levelno >= logging.WARNING] == []
    assert [str(r.url) for r in httpx_mock.get_requests()] == [f"{base}/auth/graphql"]
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_downloads_never_carry_credentials(
    rel: Recorder, fake_gql: Any, httpx_mock: Any, tmp_path: Path
) -> None:
    rel.classify(GROUP, "download requests", "no Authorization header on file transfers")
    fake_gql.on("JwtToken", jwt_answer())
    listing = {
        "jobType": 0,
        "files": [{"path": "result/a.png", "isDir": False, "fileSize": "3", "downloadToken": "t"}],
    }
    fake_gql.on("BilbyResultFiles", {"data": {"bilbyResultFiles": listing}})
    fake_gql.on("GenerateFileDownloadIds", {"data": {"generateFileDownloadIds": {"result": ["i"]}}})
    httpx_mock.add_response(method="GET", content=b"png", is_reusable=True)
    gw = GWCloud(
        SENTINEL_TOKEN,
        auth_endpoint=AUTH_ENDPOINT,
        endpoint="https://gwcloud.test/bilby/graphql",
        progress=False,
    )
    job = gwcloud_python.BilbyJob(gw, "QmlsYnlKb2JOb2RlOjE=", "j", None, None, None, None)
    refs = job.get_full_file_list()
    assert gw.get_files_by_reference(refs) == [(Path("result/a.png"), b"png")]
    gw.save_files_by_reference(refs, tmp_path)
    transfers = [r for r in httpx_mock.get_requests() if r.method == "GET"]
    assert len(transfers) == 2
    for request in transfers:
        assert "authorization" not in {k.lower() for k in request.headers}
        assert_no_secrets([str(request.url), str(request.headers)], [SENTINEL_TOKEN])
    rel.byte_exact()
    rel.nothing_lost()


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario", ["success", "wrong-token-argv", "query-500s", "download-500s", "graphql-echo"]
)
def test_cli_never_prints_secrets(
    rel: Recorder,
    server: ReliabilityServer,
    demo: dict[str, Any],
    debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    scenario: str,
) -> None:
    rel.classify(GROUP, "command line", INVARIANT)
    cli = pytest.importorskip("gwcloud_python.cli")
    token = demo["users"]["demo"]
    connection = ["--endpoint", server.endpoint, "--auth-endpoint", server.auth_endpoint]
    monkeypatch.setenv("GWCLOUD_TOKEN", token)
    expected = 0
    if scenario == "success":
        argv = ["jobs", "search", "GW150914", "--json", *connection]
    elif scenario == "wrong-token-argv":
        argv = ["--token", WRONG_TOKEN, *connection, "jobs", "search", "GW150914"]
        expected = 4  # the CLI's exit code for an authentication failure
    elif scenario == "query-500s":
        server.set_fault("status", match="PublicBilbyJobs", status=500, times=0)
        argv = [*connection, "jobs", "search", "GW150914"]
        expected = 1
    elif scenario == "download-500s":
        server.set_fault("status", match="/job/apiv1/file/", status=500, times=0)
        argv = [*connection, "files", "download", demo["jobs"]["GW150914"], str(tmp_path / "o")]
        argv += ["--filter", "corner_plot", "--no-progress"]
        expected = 1
    else:
        server.set_fault("graphql_error", match="PublicBilbyJobs", message=f"token {token} bad")
        argv = [*connection, "jobs", "search", "GW150914"]
        expected = 1
    no_wait = lambda attempt, retry_after=None: 0.0  # noqa: E731
    monkeypatch.setattr("gwcloud_python._transport.backoff_delay", no_wait)
    monkeypatch.setattr("gwcloud_python._files.backoff_delay", no_wait)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == expected, (out, err)
    if expected:
        assert err.startswith("gwcloud: error:") and err.count("\n") == 1, err
    seen = Seen(secrets={token, WRONG_TOKEN})
    _check(seen, debug_logs, [out, err])
    if expected == 0:
        rel.byte_exact()
    else:
        rel.typed_error(f"exit status {code}")
    rel.nothing_lost()

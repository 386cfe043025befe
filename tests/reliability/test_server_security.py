"""Hostile users of the local server (issue 14, items 10-17; issue 12, item 4).

Each test attacks the local server the way the adversarial review did: path-traversing
ini labels, open admin routes, readable data directories, protected labels, kills at bad
moments, oversized and bomb uploads, immortal tokens and expensive queries.  Tests use
the session's server (``server`` fixture) over real sockets, their own short-lived
``LocalServer``, or the application in-process where only the server's own state
matters.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import multiprocessing
import os
import socket
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from gwcloud_python.server import LocalServer
from gwcloud_python.server import runner as runner_module
from gwcloud_python.server.app import create_app
from gwcloud_python.server.archive import ArchiveLimits, extract_job_archive
from gwcloud_python.server.auth import (
    add_user,
    decode_jwt,
    issue_jwt,
    issue_refresh_token,
    redeem_refresh_token,
    user_by_api_token,
)
from gwcloud_python.server.errors import ServiceError
from gwcloud_python.server.jobs import COMPLETED, ERROR, JOB_TYPE_NORMAL, RUNNING, insert_job
from gwcloud_python.server.runner import advance_jobs
from gwcloud_python.server.state import ServerConfig, ServerState

from .conftest import Recorder, ReliabilityServer

GROUP = "Server security"

pytestmark = pytest.mark.reliability(GROUP, "hostile user of the local server")

JWT_TOKEN = "query JwtToken($token: String!) { jwtToken(token: $token) { jwtToken refreshToken } }"
REFRESH = (
    "mutation RefreshToken($refreshToken: String!) {"
    " refreshToken(refreshToken: $refreshToken) { token refreshToken } }"
)
PUBLIC = (
    "query PublicBilbyJobs($search: String, $first: Int!) {"
    ' publicBilbyJobs(search: $search, timeRange: "all", first: $first)'
    " { edges { node { id name labels { name } } } } }"
)
NEW_JOB = (
    "mutation NewJob($name: String!, $ini: String!) {"
    " newBilbyJobFromIniString(input: {params: {details: {name: $name, private: false},"
    " iniString: {iniString: $ini}}}) { result { jobId } } }"
)
SET_LABELS = (
    "mutation SetLabels($jobId: ID!, $labels: [String]) {"
    " updateBilbyJob(input: {jobId: $jobId, labels: $labels}) { result jobId } }"
)
UPLOAD_TOKEN = "query T { generateBilbyJobUploadToken { token } }"
UPLOAD = (
    "mutation UploadBilbyJob($uploadToken: String!, $jobFile: Upload!) {"
    ' uploadBilbyJob(input: {uploadToken: $uploadToken, details: {description: "up",'
    " private: false}, jobFile: $jobFile}) { result { jobId } } }"
)


# -- helpers -----------------------------------------------------------------------------


def post(url: str, query: str, variables: dict[str, Any] | None = None, jwt: str = "") -> Any:
    """POST one GraphQL document and return the decoded answer."""
    headers = {"Authorization": f"JWT {jwt}"} if jwt else {}
    response = httpx.post(
        url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
    )
    return response.json()


def messages(body: Any) -> list[str]:
    """The messages of an answer's errors."""
    return [str(error.get("message")) for error in body.get("errors") or []]


def login(server: LocalServer, token: str) -> tuple[str, str]:
    """Return (JWT, refresh token) for an API token."""
    body = post(server.auth_endpoint, JWT_TOKEN, {"token": token})
    pair = body["data"]["jwtToken"]
    return pair["jwtToken"], pair["refreshToken"]


def jwt_payload(token: str) -> dict[str, Any]:
    """Decode a JWT's payload without checking it."""
    part = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def make_tar(members: list[tuple[str, bytes | None]]) -> bytes:
    """A gzipped tar of ``(name, content or None for a directory)``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(content)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def job_archive(label: str, extra: list[tuple[str, bytes | None]] | None = None) -> bytes:
    """A valid uploaded-job archive."""
    return make_tar(
        [
            ("./", None),
            (f"./{label}_config_complete.ini", f"label = {label}\n".encode()),
            ("./data", None),
            ("./result", None),
            (f"./result/{label}_result.json", b"{}"),
            ("./results_page", None),
            *(extra or []),
        ]
    )


def upload_token(server: LocalServer, jwt: str) -> str:
    """A fresh job upload token."""
    token: str = post(server.endpoint, UPLOAD_TOKEN, jwt=jwt)["data"][
        "generateBilbyJobUploadToken"
    ]["token"]
    return token


def upload(server: LocalServer, token: str, archive: bytes) -> Any:
    """Upload a job archive as a GraphQL multipart request (no JWT, like 1.x)."""
    operations = json.dumps({"query": UPLOAD, "variables": {"uploadToken": token, "jobFile": None}})
    response = httpx.post(
        server.endpoint,
        data={"operations": operations, "map": json.dumps({"0": ["variables.jobFile"]})},
        files={"0": ("job.tar.gz", archive, "application/gzip")},
        timeout=60,
    )
    return response.json()


def asgi(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request to an in-process application."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def state(tmp_path: Path) -> Iterator[ServerState]:
    """A server state in a fresh data directory (no HTTP)."""
    st = ServerState.open(ServerConfig(data_dir=tmp_path / "data"))
    yield st
    st.db.close()


@pytest.fixture(scope="module")
def alice(server: ReliabilityServer) -> dict[str, str]:
    """A user of the session's server with a JWT."""
    token = server.add_user("h5_alice")
    jwt, refresh = login(server, token)
    return {"token": token, "jwt": jwt, "refresh": refresh}


def _raw_http(port: int, head: bytes, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(head + first)
    return sock


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


# -- 10. label path traversal ---------------------------------------------------------------


@pytest.mark.parametrize("label", ["../../escaped", "sub/dir", "/abs/x", "a b", "..", "x\\y"])
def test_ini_label_is_validated_like_job_names(
    rel: Recorder, server: ReliabilityServer, alice: dict[str, str], label: str
) -> None:
    rel.classify(GROUP, "ini label path traversal", "no file outside the job; job not created")
    before = sorted(p.name for p in server.data_dir.iterdir())
    ini = f"label = {label}\noutdir = ./\n"
    body = post(server.endpoint, NEW_JOB, {"name": "h5_traversal", "ini": ini}, alice["jwt"])
    assert body["data"]["newBilbyJobFromIniString"] is None
    (message,) = messages(body)
    assert "label" in message and repr(label) in message
    assert sorted(p.name for p in server.data_dir.iterdir()) == before
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def _running_job(state: ServerState, label: str, name: str = "job") -> int:
    with state.db.transaction() as conn:
        return insert_job(
            conn,
            user_id=1,
            name=name,
            ini_string=f"label = {label}\n",
            job_type=JOB_TYPE_NORMAL,
            status=RUNNING,
            label=label,
            status_time=0.0,
        )


def test_one_broken_job_does_not_stop_the_runner(rel: Recorder, state: ServerState) -> None:
    rel.classify(GROUP, "job runner isolation", "other jobs complete; broken job marked Error")
    add_user(state, "owner")
    broken = _running_job(state, "../../../outside", "broken")  # as stored by older versions
    good = _running_job(state, "fine_label", "good")
    advance_jobs(state)
    statuses = {int(r["id"]): int(r["status"]) for r in state.db.query("SELECT * FROM jobs")}
    assert statuses == {broken: ERROR, good: COMPLETED}
    assert (state.jobs_dir / str(good) / "fine_label_config_complete.ini").is_file()
    assert not (state.config.data_dir.parent / "outside_config_complete.ini").exists()
    assert list(state.tmp_dir.iterdir()) == []
    advance_jobs(state)  # the broken job is not retried
    rel.nothing_lost()


def test_failing_runner_logs_once_not_in_a_loop(
    rel: Recorder, state: ServerState, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    rel.classify(GROUP, "job runner log flood", "one log record for a repeating failure")
    passes = 0

    def broken(_state: ServerState) -> None:
        raise OSError("disk on fire")

    async def no_sleep(_seconds: float) -> None:
        nonlocal passes
        passes += 1
        if passes >= 25:
            raise asyncio.CancelledError

    monkeypatch.setattr(runner_module, "advance_jobs", broken)
    monkeypatch.setattr(runner_module.asyncio, "sleep", no_sleep)
    caplog.set_level(logging.INFO, logger="gwcloud_python.server")
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(runner_module.run_jobs_forever(state))
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert passes == 25 and len(failures) == 1
    rel.nothing_lost()


# -- 11. admin routes -----------------------------------------------------------------------


def test_admin_routes_are_off_by_default(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "open admin routes", "no /_admin route without --admin")
    app, st = create_app(ServerConfig(data_dir=tmp_path), run_jobs=False)
    try:
        for method, path in (("POST", "/_admin/users"), ("GET", "/_admin/requests")):
            response = asgi(app, method, path, json={"name": "mallory", "event_admin": True})
            assert response.status_code == 404
        assert st.db.query("SELECT * FROM users") == []
    finally:
        st.db.close()
    rel.nothing_lost()


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-0123456789abcdef"])
def test_admin_routes_need_the_secret(
    rel: Recorder, server: ReliabilityServer, alice: dict[str, str], secret: str | None
) -> None:
    rel.classify(GROUP, "open admin routes", "no admin call without X-Admin-Secret")
    headers = {} if secret is None else {"X-Admin-Secret": secret}
    for method, path, body in (
        ("POST", "users", {"name": "h5_alice", "event_admin": True}),
        ("POST", "faults", {"kind": "drop"}),
        ("GET", "requests", None),
        ("GET", "file?job=x&path=y", None),
    ):
        response = httpx.request(
            method, f"{server.base_url}/_admin/{path}", json=body, headers=headers, timeout=30
        )
        assert response.status_code == 401, (path, response.text)
    # alice's token still works: nobody re-keyed her
    assert login(server, alice["token"])[0]
    assert server.requests() is not None  # the fixture's own secret works
    rel.nothing_lost()


def test_local_server_without_admin_serves_no_admin_routes(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "open admin routes", "LocalServer(admin=False) has no admin routes")
    with LocalServer(tmp_path, admin=False) as srv:
        response = httpx.post(f"{srv.base_url}/_admin/users", json={"name": "x"}, timeout=30)
        assert response.status_code == 404
        with pytest.raises(RuntimeError, match="admin=False"):
            srv.add_user("x")
    rel.nothing_lost()


def test_cli_admin_prints_its_secret_and_needs_it(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "open admin routes", "gwcloud-server run --admin prints a secret")
    from gwcloud_python.server import cli

    assert cli._parser().parse_args(["run", "--data-dir", str(tmp_path)]).admin is False
    env = {k: v for k, v in os.environ.items() if k != "GWCLOUD_ADMIN_SECRET"}
    command = [sys.executable, "-m", "gwcloud_python.server", "run", "--admin", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path), "--jwt-lifetime", "9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        base = secret = ""
        for _ in range(40):
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith(cli.READY_LINE):
                base = line[len(cli.READY_LINE) :].strip()
            if line.startswith(cli.ADMIN_SECRET_LINE):
                secret = line[len(cli.ADMIN_SECRET_LINE) :].strip()
                break
        assert base and len(secret) >= 32
        url = f"{base}/_admin/requests"
        assert httpx.get(url, timeout=30).status_code == 401
        assert httpx.get(url, headers={"X-Admin-Secret": secret}, timeout=30).status_code == 200
    finally:
        process.terminate()
        process.wait(30)
    rel.nothing_lost()


# -- 12. private data directory, hashed tokens ----------------------------------------------


def test_data_dir_and_files_are_private(
    rel: Recorder, server: ReliabilityServer, demo: dict[str, Any]
) -> None:
    rel.classify(GROUP, "readable data dir", "data dir 0700, files 0600")
    root = server.data_dir
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    checked = 0
    for path in [root / "gwcloud.sqlite3", root / "jwt_secret", root / "server.log"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for sub in ("jobs", "tmp", "supporting"):
        assert stat.S_IMODE((root / sub).stat().st_mode) == 0o700
    for dirpath, dirnames, filenames in os.walk(root / "jobs"):
        for name in dirnames:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, name)).st_mode) == 0o700
        for name in filenames:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, name)).st_mode) == 0o600
            checked += 1
    assert checked > 10
    rel.nothing_lost()


def test_uploaded_job_files_are_private(
    rel: Recorder, server: ReliabilityServer, alice: dict[str, str]
) -> None:
    rel.classify(GROUP, "readable data dir", "uploaded files 0600 despite archive modes")
    body = upload(server, upload_token(server, alice["jwt"]), job_archive("h5_private_modes"))
    job_id = body["data"]["uploadBilbyJob"]["result"]["jobId"]
    pk = base64.b64decode(job_id).decode().split(":")[1]
    tree = server.data_dir / "jobs" / pk
    modes = {stat.S_IMODE(p.stat().st_mode) for p in tree.rglob("*") if not p.is_symlink()}
    assert modes <= {0o600, 0o700} and 0o600 in modes
    rel.nothing_lost()


def test_only_token_hashes_are_stored(
    rel: Recorder, server: ReliabilityServer, alice: dict[str, str]
) -> None:
    rel.classify(GROUP, "readable data dir", "no API, refresh or upload token in the files")
    jwt, refresh = login(server, alice["token"])
    token = upload_token(server, jwt)
    secrets = [alice["token"], refresh, token]
    blobs = b""
    for name in ("gwcloud.sqlite3", "gwcloud.sqlite3-wal"):
        path = server.data_dir / name
        if path.exists():
            blobs += path.read_bytes()
    for secret in secrets:
        assert secret.encode() not in blobs
    rel.nothing_lost()


def test_plaintext_tokens_of_an_old_data_dir_are_hashed(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "readable data dir", "no API, refresh or upload token in the files")
    config = ServerConfig(data_dir=tmp_path)
    st = ServerState.open(config)
    token = add_user(st, "old")
    st.db.execute("UPDATE users SET api_token = ?", (token,))  # as an older version stored it
    st.db.execute("DELETE FROM settings WHERE key = 'token_storage'")
    st.db.close()
    st = ServerState.open(config)
    try:
        assert user_by_api_token(st, token).username == "old"
        stored = st.db.one("SELECT api_token FROM users")
        assert stored is not None and stored["api_token"] != token
    finally:
        st.db.close()
    rel.nothing_lost()


# -- 13. protected labels --------------------------------------------------------------------


def _own_job(server: LocalServer, jwt: str, name: str) -> str:
    body = post(server.endpoint, NEW_JOB, {"name": name, "ini": f"label = {name}\n"}, jwt)
    job_id: str = body["data"]["newBilbyJobFromIniString"]["result"]["jobId"]
    return job_id


def _official_names(server: LocalServer) -> list[str]:
    body = post(server.endpoint, PUBLIC, {"search": "labels.name:Official", "first": 100})
    return [edge["node"]["name"] for edge in body["data"]["publicBilbyJobs"]["edges"]]


def test_ordinary_user_can_not_set_a_protected_label(
    rel: Recorder, server: ReliabilityServer, alice: dict[str, str]
) -> None:
    rel.classify(GROUP, "protected labels", "only event admins set Official")
    job_id = _own_job(server, alice["jwt"], "h5_wannabe_official")
    body = post(
        server.endpoint, SET_LABELS, {"jobId": job_id, "labels": ["Official"]}, alice["jwt"]
    )
    (message,) = messages(body)
    assert "'Official'" in message and "protected" in message
    assert "h5_wannabe_official" not in _official_names(server)
    # ordinary labels still work for the owner
    body = post(server.endpoint, SET_LABELS, {"jobId": job_id, "labels": ["Bad Run"]}, alice["jwt"])
    assert body["data"]["updateBilbyJob"]["result"] == "Job saved!"
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_event_admin_may_set_a_protected_label(rel: Recorder, server: ReliabilityServer) -> None:
    rel.classify(GROUP, "protected labels", "the staff role sets Official")
    jwt, _refresh = login(server, server.add_user("h5_staff", event_admin=True))
    job_id = _own_job(server, jwt, "h5_staff_official")
    body = post(server.endpoint, SET_LABELS, {"jobId": job_id, "labels": ["Official"]}, jwt)
    assert body["data"]["updateBilbyJob"]["result"] == "Job saved!"
    assert "h5_staff_official" in _official_names(server)
    rel.byte_exact()
    rel.nothing_lost()


# -- 14. crash consistency ---------------------------------------------------------------------


def test_job_numbers_and_user_ids_are_never_reused(rel: Recorder, state: ServerState) -> None:
    rel.classify(GROUP, "crash consistency", "a deleted job's or user's number is not reused")
    add_user(state, "owner")
    first = _running_job(state, "one")
    state.db.execute("DELETE FROM jobs WHERE id = ?", (first,))
    assert _running_job(state, "two") > first
    old_token = add_user(state, "gone")
    old_user = user_by_api_token(state, old_token)
    old_jwt, _payload = issue_jwt(state, old_user)
    state.db.execute("DELETE FROM users WHERE id = ?", (old_user.id,))
    add_user(state, "next")
    new_user = state.db.one("SELECT id FROM users WHERE username = 'next'")
    assert new_user is not None and int(new_user["id"]) > old_user.id
    with pytest.raises(ServiceError):
        decode_jwt(state, old_jwt)
    rel.nothing_lost()


def test_start_up_cleans_leftovers_and_finishes_committed_jobs(
    rel: Recorder, tmp_path: Path
) -> None:
    rel.classify(GROUP, "crash consistency", "no debris after a crash; committed jobs restored")
    config = ServerConfig(data_dir=tmp_path)
    st = ServerState.open(config)
    add_user(st, "owner")
    committed = _running_job(st, "committed")
    staged = st.tmp_dir / f"stage-{committed}"
    (staged / "result").mkdir(parents=True)
    (staged / "result" / "r.json").write_text("{}")
    half = st.tmp_dir / "upload-deadbeef"
    half.mkdir()
    for i in range(200):
        (half / f"f{i}").write_bytes(b"x")
    (st.tmp_dir / "abc.part").write_bytes(b"partial")
    (st.jobs_dir / "999").mkdir()  # a folder with no job row
    (st.jobs_dir / "999" / "leftover").write_bytes(b"x")
    st.db.close()
    _app, st = create_app(config, run_jobs=False)
    try:
        assert list(st.tmp_dir.iterdir()) == []
        assert sorted(p.name for p in st.jobs_dir.iterdir()) == [str(committed)]
        assert (st.jobs_dir / str(committed) / "result" / "r.json").read_text() == "{}"
    finally:
        st.db.close()
    rel.nothing_lost()


def _die_during_extraction(data_dir: str, token: str, archive: bytes) -> None:
    """Child process: run the upload resolver and SIGKILL-like exit mid-extraction."""
    from gwcloud_python.server import archive as archive_module
    from gwcloud_python.server.context import RequestContext
    from gwcloud_python.server.uploads import resolve_upload_bilby_job

    original = tarfile.TarFile.extract
    seen = {"n": 0}

    def extract(self: tarfile.TarFile, *args: Any, **kwargs: Any) -> None:
        seen["n"] += 1
        if seen["n"] == 60:
            os._exit(9)
        original(self, *args, **kwargs)

    tarfile.TarFile.extract = extract  # type: ignore[method-assign]
    assert archive_module.tarfile is tarfile
    st = ServerState.open(ServerConfig(data_dir=Path(data_dir)))
    ctx = RequestContext(state=st, request=None, user=None, auth_error=None)  # type: ignore[arg-type]
    info = SimpleNamespace(context=ctx)
    upload_file = SimpleNamespace(file=io.BytesIO(archive))
    asyncio.run(
        resolve_upload_bilby_job(
            None,
            info,
            {"upload_token": token, "job_file": upload_file},  # type: ignore[arg-type]
        )
    )
    os._exit(0)


def test_kill_during_extraction_leaves_no_debris_and_keeps_the_token(
    rel: Recorder, tmp_path: Path
) -> None:
    rel.classify(GROUP, "crash consistency", "killed extraction: no debris, token still usable")
    from gwcloud_python.server.db import hash_token

    config = ServerConfig(data_dir=tmp_path)
    st = ServerState.open(config)
    add_user(st, "owner")
    token = "upload-token-for-the-kill-test"
    st.db.execute(
        "INSERT INTO upload_tokens (token, user_id, created) VALUES (?, 1, 0)",
        (hash_token(token),),
    )
    st.db.close()
    archive = job_archive("killed", [(f"./data/f{i}.txt", b"x" * 100) for i in range(200)])
    child = multiprocessing.get_context("fork").Process(
        target=_die_during_extraction, args=(str(tmp_path), token, archive)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 9
    assert any(st_path.name.startswith("upload-") for st_path in (tmp_path / "tmp").iterdir())
    _app, st = create_app(config, run_jobs=False)
    try:
        assert list(st.tmp_dir.iterdir()) == []
        assert list(st.jobs_dir.iterdir()) == []
        row = st.db.one("SELECT used FROM upload_tokens")
        assert row is not None and row["used"] == 0
        assert st.db.query("SELECT * FROM jobs") == []
    finally:
        st.db.close()
    rel.nothing_lost()


# -- 15. size limits -----------------------------------------------------------------------------


def test_bad_upload_token_is_refused_before_the_body_is_read(
    rel: Recorder, server: ReliabilityServer
) -> None:
    rel.classify(GROUP, "size limits", "bad token answered after the operations part only")
    boundary = "h5boundary"
    operations = json.dumps(
        {"query": UPLOAD, "variables": {"uploadToken": "not-a-token", "jobFile": None}}
    )
    start = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f'{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.jobFile"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="j.tar.gz"\r\n'
        "Content-Type: application/gzip\r\n\r\n"
    ).encode() + b"\0" * 65536
    declared = 300 * 1024 * 1024
    port = int(server.base_url.rsplit(":", 1)[1])
    head = (
        f"POST /bilby/graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with _raw_http(port, head, start) as sock:
        answer = _read_response(sock)  # the other 300 MiB are never sent
    assert b"Job upload token is invalid or expired." in answer
    # Nothing of the upload was staged (a job runner's scratch "run-N" of an earlier
    # test's job may still be there while it runs).
    staged = [p.name for p in (server.data_dir / "tmp").iterdir() if not p.name.startswith("run-")]
    assert staged == []
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_body_larger_than_the_limit_is_refused(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "size limits", "413 for a body over --max-upload-bytes")
    app, st = create_app(
        ServerConfig(data_dir=tmp_path, max_upload_bytes=100_000, max_json_bytes=10_000),
        run_jobs=False,
    )
    try:
        big = json.dumps({"query": "{ __typename }", "pad": "x" * 20_000})
        declared = asgi(
            app, "POST", "/bilby/graphql", content=big, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413 and "10000 bytes" in declared.text

        async def chunks() -> Any:
            for _ in range(20):
                yield b"x" * 10_000

        streamed = asgi(
            app,
            "POST",
            "/bilby/graphql",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=zz"},
        )
        assert streamed.status_code == 413
    finally:
        st.db.close()
    rel.nothing_lost()


def _bomb(size: int) -> bytes:
    """A job archive whose one member is ``size`` zero bytes (compresses ~1000 times)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("./", "./data", "./result", "./results_page"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        info = tarfile.TarInfo("./result/bomb.bin")
        info.size = size

        class Zeros(io.RawIOBase):
            left = size

            def readable(self) -> bool:
                return True

            def readinto(self, b: Any) -> int:
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n

        tar.addfile(info, io.BufferedReader(Zeros()))
    return buffer.getvalue()


def test_gzip_bomb_is_refused(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "size limits", "decompression bomb refused before it is written")
    bomb = _bomb(80 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    dest = tmp_path / "out"
    with pytest.raises(ServiceError, match="decompression bomb"):
        extract_job_archive(io.BytesIO(bomb), dest)
    assert not dest.exists()
    with pytest.raises(ServiceError, match="more than 1000000 bytes"):
        extract_job_archive(
            io.BytesIO(job_archive("big", [("./data/big", b"y" * 2_000_000)])),
            dest,
            ArchiveLimits(max_bytes=1_000_000),
        )
    assert not dest.exists()
    rel.typed_error("ServiceError")
    rel.nothing_lost()


def test_extracted_size_limit_over_http(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "size limits", "--max-extracted-bytes refuses a big upload")
    with LocalServer(tmp_path, max_extracted_bytes=50_000) as srv:
        jwt, _refresh = login(srv, srv.add_user("big"))
        token = upload_token(srv, jwt)
        body = upload(srv, token, job_archive("too_big", [("./data/x", os.urandom(60_000))]))
        (message,) = messages(body)
        assert "more than 50000 bytes" in message
        ok = upload(srv, token, job_archive("small_enough"))  # the token was not spent
        assert ok["data"]["uploadBilbyJob"]["result"]["jobId"]
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


# -- 16. tokens that never die ------------------------------------------------------------------


def test_refresh_token_works_once(
    rel: Recorder, server: ReliabilityServer, alice: dict[str, str]
) -> None:
    rel.classify(GROUP, "immortal tokens", "a used refresh token is refused")
    _jwt, refresh = login(server, alice["token"])
    first = post(server.auth_endpoint, REFRESH, {"refreshToken": refresh})
    rotated = first["data"]["refreshToken"]["refreshToken"]
    assert rotated and rotated != refresh
    again = post(server.auth_endpoint, REFRESH, {"refreshToken": refresh})
    assert messages(again) == ["Invalid refresh token"]
    assert post(server.auth_endpoint, REFRESH, {"refreshToken": rotated})["data"]["refreshToken"]
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_rotating_the_api_token_revokes_refresh_tokens(rel: Recorder, state: ServerState) -> None:
    rel.classify(GROUP, "immortal tokens", "refresh tokens die with their API token")
    token = add_user(state, "rotated")
    user = user_by_api_token(state, token)
    refresh, _expires = issue_refresh_token(state, user)
    add_user(state, "rotated")  # add-user --rotate
    with pytest.raises(ServiceError, match="Invalid refresh token"):
        redeem_refresh_token(state, refresh)
    with pytest.raises(ServiceError, match="Invalid API token"):
        user_by_api_token(state, token)
    rel.nothing_lost()


# -- 17. cheap denial of service ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ " + " ".join(f"a{i}: __typename" for i in range(2000)) + " }", "aliased fields"),
        ("{ " + "__typename " * 3000 + "}", "fields"),
        ("query Q { " + "x" * 300_000 + " }", "bytes long"),
        (
            '{ publicBilbyJobs(timeRange: "all", first: 1) ' + "{ edges " * 30 + "}" * 31,
            "levels deep",
        ),
    ],
    ids=["aliases", "fields", "size", "depth"],
)
def test_expensive_queries_are_refused_before_execution(
    rel: Recorder, server: ReliabilityServer, query: str, expected: str
) -> None:
    rel.classify(GROUP, "cheap denial of service", "query cost bounded before validation")
    response = httpx.post(server.endpoint, json={"query": query}, timeout=60)
    assert response.status_code == 400
    (message,) = messages(response.json())
    assert expected in message
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_introspection_stays_within_the_bounds(rel: Recorder, server: ReliabilityServer) -> None:
    rel.classify(GROUP, "cheap denial of service", "an ordinary introspection query still works")
    from graphql import get_introspection_query

    body = httpx.post(server.endpoint, json={"query": get_introspection_query()}).json()
    assert "errors" not in body and body["data"]["__schema"]["types"]
    rel.nothing_lost()


@pytest.mark.parametrize(
    "search", [" ".join(f"w{i}" for i in range(999)), "x" * 5000], ids=["999 words", "long"]
)
def test_long_searches_are_clean_errors(
    rel: Recorder, server: ReliabilityServer, search: str
) -> None:
    rel.classify(GROUP, "cheap denial of service", "bounded search: a GraphQL error")
    body = post(server.endpoint, PUBLIC, {"search": search, "first": 10})
    (message,) = messages(body)
    assert "at most" in message and "OperationalError" not in message
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_request_log_is_bounded(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "cheap denial of service", "in-memory request log bounded")
    app, st = create_app(ServerConfig(data_dir=tmp_path, request_log_size=5), run_jobs=False)
    try:
        for _ in range(12):
            asgi(app, "POST", "/bilby/graphql", json={"query": "{ __typename }"})
        assert len(st.requests) == 5
    finally:
        st.db.close()
    rel.nothing_lost()


# -- issue 12 item 4: JWT lifetime, JWT checked after the body ------------------------------------


def test_jwt_lifetime_option(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "JWT lifetime", "LocalServer(jwt_lifetime=) sets exp")
    with LocalServer(tmp_path, jwt_lifetime=7) as srv:
        jwt, _refresh = login(srv, srv.add_user("lifetime"))
    payload = jwt_payload(jwt)
    assert payload["exp"] - payload["origIat"] == 7
    rel.nothing_lost()


def test_bad_jwt_fails_every_field(rel: Recorder, server: ReliabilityServer) -> None:
    rel.classify(GROUP, "JWT lifetime", "an invalid JWT fails fields that need no login too")
    body = post(server.endpoint, PUBLIC, {"first": 1}, jwt="not.a.jwt")
    assert body["data"] in (None, {"publicBilbyJobs": None})
    assert messages(body) == ["Error decoding signature"]
    assert post(server.endpoint, PUBLIC, {"first": 1})["data"]["publicBilbyJobs"] is not None
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_jwt_is_checked_after_the_whole_body(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "JWT lifetime", "a JWT that expires while the body arrives is refused")
    with LocalServer(tmp_path) as srv:
        jwt, _refresh = login(srv, srv.add_user("slow"))
        payload = json.dumps({"query": PUBLIC, "variables": {"first": 1}}).encode()
        port = int(srv.base_url.rsplit(":", 1)[1])
        head = (
            "POST /bilby/graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nAuthorization: JWT {jwt}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        with _raw_http(port, head, payload[:10]) as sock:
            srv.expire_jwts()  # the JWT dies while the body is still on its way
            sock.sendall(payload[10:])
            answer = _read_response(sock)
    assert b"Signature has expired" in answer
    rel.typed_error("GraphQL error")
    rel.nothing_lost()

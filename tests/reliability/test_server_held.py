"""Defences that held in the adversarial review and must keep holding (issue 14).

Only those not already covered elsewhere in the suite: loopback bind by default,
forged JWTs (``alg=none``, wrong key), guessed download IDs, hostile tar members,
SQL metacharacters in searches, anonymous mutations, TLS verification and
redirects to another origin.
"""

from __future__ import annotations

import http.server
import io
import json
import ssl
import stat
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from gwcloud_python import GWCloud, GWCloudError
from gwcloud_python.server import cli
from gwcloud_python.server.archive import extract_job_archive
from gwcloud_python.server.errors import ServiceError

from .conftest import Recorder, ReliabilityServer

GROUP = "Server security"

pytestmark = pytest.mark.reliability(GROUP, "defences that held")

WHOAMI = "query { gwclouduser { username } }"
PUBLIC = (
    'query P($search: String) { publicBilbyJobs(search: $search, timeRange: "all",'
    " first: 100) { edges { node { id name } } } }"
)


def _post(url: str, query: str, variables: dict[str, Any] | None = None, auth: str = "") -> Any:
    headers = {"Authorization": auth} if auth else {}
    return httpx.post(
        url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    ).json()


def _messages(body: Any) -> list[str]:
    return [str(e.get("message")) for e in body.get("errors") or []]


def test_server_binds_to_loopback_by_default(rel: Recorder, server: ReliabilityServer) -> None:
    rel.classify(GROUP, "loopback bind", "the default --host is 127.0.0.1")
    assert cli._parser().parse_args(["run", "--data-dir", "x"]).host == "127.0.0.1"
    assert server.base_url.startswith("http://127.0.0.1:")
    rel.nothing_lost()


@pytest.mark.parametrize("forgery", ["alg-none", "wrong-key", "expired", "unknown-user"])
def test_forged_jwts_are_refused(
    rel: Recorder, server: ReliabilityServer, demo: dict[str, Any], forgery: str
) -> None:
    rel.classify(GROUP, "forged JWT", "alg=none, wrong-key, expired and made-up JWTs refused")
    now = int(time.time())
    payload = {"username": "admin", "userId": 1, "exp": now + 300, "origIat": now}
    if forgery == "alg-none":
        token = pyjwt.encode(payload, key=None, algorithm="none")  # type: ignore[arg-type]
    elif forgery == "wrong-key":
        token = pyjwt.encode(payload, "not-the-server-key-0123456789abcdef", algorithm="HS256")
    elif forgery == "expired":
        secret = (server.data_dir / "jwt_secret").read_text().strip()
        token = pyjwt.encode({**payload, "exp": now - 10}, secret, algorithm="HS256")
    else:
        secret = (server.data_dir / "jwt_secret").read_text().strip()
        token = pyjwt.encode({**payload, "userId": 99_999_999}, secret, algorithm="HS256")
    body = _post(server.auth_endpoint, WHOAMI, auth=f"JWT {token}")
    assert _messages(body) in (["Error decoding signature"], ["Signature has expired"])
    assert not (body.get("data") or {}).get("gwclouduser")
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


def test_guessed_download_ids_are_not_found(rel: Recorder, server: ReliabilityServer) -> None:
    rel.classify(GROUP, "guessed download IDs", "random file IDs answer 404")
    for path in ("/job/apiv1/file/", "/bilby/file_download/"):
        for _ in range(5):
            response = httpx.get(f"{server.base_url}{path}?fileId={uuid.uuid4()}", timeout=30)
            assert response.status_code == 404
    rel.nothing_lost()


def _archive(extra: tarfile.TarInfo, content: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("./", "./data", "./result", "./results_page"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        ini = tarfile.TarInfo("./held_config_complete.ini")
        ini.size = len(b"label = held\n")
        tar.addfile(ini, io.BytesIO(b"label = held\n"))
        tar.addfile(extra, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes, **fields: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (_member("./data/dev", tarfile.CHRTYPE, devmajor=1, devminor=3), "unsupported type"),
        (_member("./data/blk", tarfile.BLKTYPE, devmajor=8, devminor=0), "unsupported type"),
        (_member("./data/fifo", tarfile.FIFOTYPE), "unsupported type"),
        (_member("./data/hard", tarfile.LNKTYPE, linkname="../../etc/passwd"), "outside"),
        (_member("./data/hard2", tarfile.LNKTYPE, linkname="/etc/passwd"), "absolute"),
        (_member("./data/sym", tarfile.SYMTYPE, linkname="../../../etc/passwd"), "outside"),
    ],
    ids=["char-device", "block-device", "fifo", "hardlink-out", "hardlink-abs", "symlink-out"],
)
def test_hostile_tar_members_are_refused(
    rel: Recorder, tmp_path: Path, member: tarfile.TarInfo, expected: str
) -> None:
    rel.classify(GROUP, "hostile tar members", "devices, FIFOs and escaping links refused")
    dest = tmp_path / "out"
    with pytest.raises(ServiceError, match=expected):
        extract_job_archive(io.BytesIO(_archive(member)), dest)
    assert not dest.exists()
    rel.typed_error("ServiceError")
    rel.nothing_lost()


def test_setuid_bits_are_stripped(rel: Recorder, tmp_path: Path) -> None:
    rel.classify(GROUP, "hostile tar members", "setuid/setgid/sticky bits stripped")
    member = _member("./result/tool", tarfile.REGTYPE, size=4, mode=0o6777)
    dest = tmp_path / "out"
    extract_job_archive(io.BytesIO(_archive(member, b"#!sh")), dest)
    mode = (dest / "result" / "tool").stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)
    assert not mode & (stat.S_IWGRP | stat.S_IWOTH)
    rel.nothing_lost()


@pytest.mark.parametrize(
    "search", ["' OR 1=1 --", '" OR ""="', "%", "%%", "\\", "name:%'; DROP TABLE jobs; --"]
)
def test_sql_metacharacters_in_search_are_harmless(
    rel: Recorder, server: ReliabilityServer, demo: dict[str, Any], search: str
) -> None:
    rel.classify(GROUP, "SQL metacharacters in search", "literal match, no error, tables intact")
    body = _post(server.endpoint, PUBLIC, {"search": search})
    assert "errors" not in body
    assert body["data"]["publicBilbyJobs"]["edges"] == []
    everything = _post(server.endpoint, PUBLIC, {"search": ""})
    assert len(everything["data"]["publicBilbyJobs"]["edges"]) >= 4
    rel.nothing_lost()


@pytest.mark.parametrize(
    "mutation",
    [
        'mutation { newBilbyJobFromIniString(input: {params: {details: {name: "anon",'
        ' private: false}, iniString: {iniString: "label = anon"}}}) { result { jobId } } }',
        'mutation { updateBilbyJob(input: {jobId: "QmlsYnlKb2JOb2RlOjE=", private: true})'
        " { result } }",
        'mutation { createEventId(input: {eventId: "GW200101_000000", gpsTime: 1.0}) { result } }',
        'mutation { uploadExternalBilbyJob(input: {details: {name: "anon", private: false},'
        ' iniFile: "label = anon", resultUrl: "https://example.org/x"}) { result { jobId } } }',
    ],
    ids=["new-job", "update-job", "create-event", "external-job"],
)
def test_anonymous_mutations_are_refused(
    rel: Recorder, server: ReliabilityServer, mutation: str
) -> None:
    rel.classify(GROUP, "anonymous mutations", "refused with the permission error")
    body = _post(server.endpoint, mutation)
    assert body.get("errors"), body
    assert all(value is None for value in (body.get("data") or {}).values())
    rel.typed_error("GraphQL error")
    rel.nothing_lost()


# -- the client side: TLS verification and redirects -----------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]]
    redirect_to: str = ""

    def _answer(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.redirect_to:
            self.send_response(307)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps({"data": {"publicBilbyJobs": None}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *_args: Any) -> None:
        pass


def _serve(redirect_to: str = "", tls: ssl.SSLContext | None = None) -> tuple[Any, list[Any]]:
    seen: list[dict[str, str]] = []
    handler = type("H", (_Recorder,), {"seen": seen, "redirect_to": redirect_to})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, seen


@pytest.fixture
def servers() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def test_redirect_never_carries_the_token_to_another_origin(
    rel: Recorder, servers: list[Any]
) -> None:
    rel.classify(GROUP, "redirect to another origin", "no Authorization sent to the other host")
    other, other_seen = _serve()
    servers.append(other)
    target = f"http://127.0.0.1:{other.server_address[1]}"
    first, first_seen = _serve(redirect_to=target)
    servers.append(first)
    token = "held-redirect-api-token-5c1e0a77f3d94b2e"
    endpoint = f"http://127.0.0.1:{first.server_address[1]}/graphql"
    with pytest.raises(GWCloudError) as caught:
        GWCloud(token, endpoint=endpoint, service="2026", progress=False).get_public_job_list()
    rel.typed_error(caught.value)
    assert first_seen and first_seen[0].get("authorization") == token
    assert all("authorization" not in headers for headers in other_seen)
    assert all(token not in json.dumps(headers) for headers in other_seen)
    rel.nothing_lost()


def test_tls_certificates_are_verified(rel: Recorder, servers: list[Any], tmp_path: Path) -> None:
    rel.classify(GROUP, "TLS verification", "a self-signed certificate is refused")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd, seen = _serve(tls=context)
    servers.append(httpd)
    endpoint = f"https://127.0.0.1:{httpd.server_address[1]}/graphql"
    with pytest.raises(GWCloudError) as caught:
        GWCloud(
            "held-tls-api-token-0b8d6c2a41e57f93", endpoint=endpoint, service="2026"
        ).get_public_job_list()
    assert seen == []  # no request got through the handshake
    rel.typed_error(caught.value)
    rel.nothing_lost()

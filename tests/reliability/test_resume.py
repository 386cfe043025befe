"""Resuming downloads: never stitch two versions of a file, and fetch nothing twice.

A hostile server (written here, over a real loopback socket) drops the first
transfer half way and then serves *another version* of the file, answering the
resume request in every way a server or proxy can get it wrong.  The saved (or
fetched) file must always be one whole version.  The local server must give
validators and honour ``If-Range`` itself, a run killed with SIGKILL half way
through a large file must resume it (transferring the remainder, not the whole
file), and a re-run with ``skip_existing`` must send no file request at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from _downloads import fetch, save

from gwcloud_python import DownloadError, GWCloud
from gwcloud_python import _constants as C
from gwcloud_python._files import Downloader, DownloadItem, temporary_paths
from gwcloud_python.server import LocalServer

from .conftest import Recorder

GROUP = "downloads: resume"
INV_STITCH = "the result is one whole version of the file, never two stitched together"
INV_RESUME = "a killed or finished run is continued, not repeated; untrusted parts discarded"

SIZE = 64 * 1024
V1 = bytes((i * 7 + 1) % 251 for i in range(SIZE))
V2 = bytes((i * 13 + 5) % 241 for i in range(SIZE))


class Hostile:
    """What the hostile server does; ``mode`` names how it answers a resume request.

    Every file request after the first one sees version 2 of the file.  The first
    answer is version 1, cut off after half of its body.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[dict[str, str | None]] = []
        self.lock = threading.Lock()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            number = len(self.requests)
            self.requests.append(
                {"range": handler.headers.get("Range"), "if-range": handler.headers.get("If-Range")}
            )
        first = number == 0
        body = V1 if first else V2
        etag = '"v1"' if first else '"v2"'
        modified = "Mon, 01 Jan 2024 00:00:00 GMT" if first else "Tue, 02 Jan 2024 00:00:00 GMT"
        validators: dict[str, str] = {}
        if self.mode in ("honest", "ignores-if-range", "206-without-etag", "wrong-total"):
            validators["ETag"] = etag
        if self.mode in ("honest-last-modified", "ignores-if-range-last-modified"):
            validators["Last-Modified"] = modified
        wanted = handler.headers.get("Range")
        if first:
            self._send(handler, 200, body, validators, cut=SIZE // 2)
            return
        if wanted is None:
            self._send(handler, 200, body, validators)
            return
        start = int(wanted.split("=")[1].rstrip("-"))
        if_range = handler.headers.get("If-Range")
        honour = True
        if self.mode in ("honest", "honest-last-modified"):
            honour = if_range is not None and if_range in (etag, modified)
        if not honour:
            self._send(handler, 200, body, validators)
            return
        headers = dict(validators)
        if self.mode == "206-without-etag":
            headers.pop("ETag", None)
        if self.mode == "wrong-total":
            headers["Content-Range"] = f"bytes {start}-{SIZE - 1}/{SIZE + 10}"
        else:
            headers["Content-Range"] = f"bytes {start}-{SIZE - 1}/{SIZE}"
        self._send(handler, 206, body[start:], headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str],
        cut: int | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body if cut is None else body[:cut])
        handler.wfile.flush()
        if cut is not None:
            handler.close_connection = True


@pytest.fixture
def hostile() -> Iterator[Callable[[str], tuple[Hostile, str]]]:
    """``hostile(mode)``: start a hostile file server; returns it and its file URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(mode: str) -> tuple[Hostile, str]:
        behaviour = Hostile(mode)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                behaviour.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return behaviour, f"http://127.0.0.1:{server.server_port}/file?fileId=1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


MODES = [
    "honest",
    "honest-last-modified",
    "ignores-if-range",
    "ignores-if-range-last-modified",
    "206-without-etag",
]


@pytest.mark.parametrize("how", ["save", "fetch"])
@pytest.mark.parametrize("mode", MODES)
def test_resume_never_stitches_two_versions(
    rel: Recorder,
    hostile: Callable[[str], tuple[Hostile, str]],
    tmp_path: Path,
    mode: str,
    how: str,
) -> None:
    rel.classify(GROUP, f"content changed between attempts: {mode}", INV_STITCH)
    behaviour, url = hostile(mode)
    item = DownloadItem(url, "result/x.bin", SIZE)
    with httpx.Client(timeout=10) as client:
        downloader = Downloader(client, progress=False, sleep=lambda _: None)
        if how == "save":
            [path] = save(downloader, [item], tmp_path)
            data = path.read_bytes()
            assert sorted(p.name for p in path.parent.iterdir()) == ["x.bin"]
        else:
            [data] = fetch(downloader, [item])
    assert data == V2, "the result mixes two versions" if data not in (V1, V2) else "stale"
    # The resume request named the first version, so a correct server could refuse it.
    assert behaviour.requests[1]["range"] == f"bytes={SIZE // 2}-"
    expected = '"v1"' if "last-modified" not in mode else "Mon, 01 Jan 2024 00:00:00 GMT"
    assert behaviour.requests[1]["if-range"] == expected
    rel.byte_exact()
    rel.nothing_lost()


def test_wrong_content_range_total_restarts_and_never_stitches(
    rel: Recorder, hostile: Callable[[str], tuple[Hostile, str]], tmp_path: Path
) -> None:
    rel.classify(GROUP, "content changed between attempts: wrong Content-Range total", INV_STITCH)
    behaviour, url = hostile("wrong-total")
    item = DownloadItem(url, "x.bin", SIZE)
    with httpx.Client(timeout=10) as client:
        [path] = save(Downloader(client, progress=False, sleep=lambda _: None), [item], tmp_path)
    assert path.read_bytes() == V2
    assert [r["range"] for r in behaviour.requests] == [None, f"bytes={SIZE // 2}-", None]
    rel.byte_exact()
    rel.nothing_lost()


def test_restart_budget_exhausted_leaves_older_file_and_no_stitch(
    rel: Recorder, hostile: Callable[[str], tuple[Hostile, str]], tmp_path: Path
) -> None:
    rel.classify(GROUP, "content changed between attempts: no retries left", INV_STITCH)
    _, url = hostile("ignores-if-range")
    (tmp_path / "x.bin").write_bytes(b"older copy")
    item = DownloadItem(url, "x.bin", SIZE)
    with httpx.Client(timeout=10) as client, pytest.raises(DownloadError) as info:
        save(
            Downloader(client, progress=False, max_retries=1, sleep=lambda _: None),
            [item],
            tmp_path,
        )
    assert "changed" in str(info.value)
    assert (tmp_path / "x.bin").read_bytes() == b"older copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]
    rel.typed_error(info.value)
    rel.nothing_lost()


# -- the local server -------------------------------------------------------------------------

BIG = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def scale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A server of its own: one job with one 8 MiB file and one job with 1,000 small ones."""
    srv = LocalServer(tmp_path_factory.mktemp("resume-server"))
    srv.start()
    try:
        big = srv.seed_scale(1, 1, BIG)
        many = srv.seed_scale(1, 1000, 64)  # re-keys the "scale" user: its token serves both
        big["user_token"] = many["user_token"]
        srv.big = big  # type: ignore[attr-defined]
        srv.many = many  # type: ignore[attr-defined]
        yield srv
    finally:
        srv.cleanup()


def _client(srv: LocalServer, token: str, **options: Any) -> GWCloud:
    return GWCloud(
        token, auth_endpoint=srv.auth_endpoint, endpoint=srv.endpoint, progress=False, **options
    )


def test_local_server_sends_validators_and_honours_if_range(
    rel: Recorder, scale_server: LocalServer
) -> None:
    rel.classify(GROUP, "local server: ETag and If-Range", INV_STITCH)
    info = scale_server.many  # type: ignore[attr-defined]
    downloads: list[str] = []

    def record(request: httpx.Request) -> None:
        if request.method == "GET":
            downloads.append(str(request.url))

    with (
        httpx.Client(event_hooks={"request": [record]}) as recording,
        _client(scale_server, info["user_token"], http_client=recording) as gw,
    ):
        refs = gw.get_job_by_id(info["first_job_id"]).get_full_file_list()[:1]
        gw.get_files_by_reference(refs)  # the client's own download path gives the file's URL
        [download_url] = downloads
        with httpx.Client() as client:
            whole = client.get(download_url)
            etag = whole.headers["ETag"]
            assert whole.status_code == 200 and etag.startswith('"')
            same = client.get(download_url, headers={"Range": "bytes=10-", "If-Range": etag})
            other = client.get(download_url, headers={"Range": "bytes=10-", "If-Range": '"stale"'})
            weak = client.get(download_url, headers={"Range": "bytes=10-", "If-Range": "W/" + etag})
    assert same.status_code == 206 and same.content == whole.content[10:]
    assert same.headers["ETag"] == etag
    assert other.status_code == 200 and other.content == whole.content
    assert weak.status_code == 200
    rel.byte_exact()
    rel.nothing_lost()


def test_rerun_with_skip_existing_sends_no_file_request(
    rel: Recorder, scale_server: LocalServer, tmp_path: Path
) -> None:
    rel.classify(GROUP, "re-run of a finished 1,000-file save", INV_RESUME)
    info = scale_server.many  # type: ignore[attr-defined]
    with _client(scale_server, info["user_token"]) as gw:
        job = gw.get_job_by_id(info["first_job_id"])
        refs = job.get_full_file_list()
        assert len(refs) == 1000
        first = gw.save_files_by_reference(refs, tmp_path)
        scale_server.reset_requests()
        again = gw.save_files_by_reference(refs, tmp_path, skip_existing=True)
        log = scale_server.requests()
    assert again == first and all(p.stat().st_size == 64 for p in again)
    assert [r for r in log if r["method"] == "GET"] == []
    assert [r for r in log if r["operation"] == "GenerateFileDownloadIds"] == []
    rel.nothing_lost()


def test_skip_existing_fetches_only_missing_or_wrong_sized_files(
    rel: Recorder, scale_server: LocalServer, tmp_path: Path
) -> None:
    rel.classify(GROUP, "re-run after files were removed or damaged", INV_RESUME)
    info = scale_server.many  # type: ignore[attr-defined]
    with _client(scale_server, info["user_token"]) as gw:
        refs = gw.get_job_by_id(info["first_job_id"]).get_full_file_list()[:20]
        paths = gw.save_files_by_reference(refs, tmp_path)
        good = {p: p.read_bytes() for p in paths}
        paths[0].unlink()
        paths[1].write_bytes(b"short")
        scale_server.reset_requests()
        gw.save_files_by_reference(refs, tmp_path, skip_existing=True)
        log = scale_server.requests()
    assert len([r for r in log if r["method"] == "GET"]) == 2
    assert {p: p.read_bytes() for p in paths} == good
    rel.byte_exact()
    rel.nothing_lost()


_KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    from gwcloud_python import GWCloud
    token, auth, endpoint, job_id, root = sys.argv[1:]

    def crawl(done, total):
        time.sleep(0.02)  # slow enough to be killed half way

    gw = GWCloud(token, auth_endpoint=auth, endpoint=endpoint, progress=False,
                 progress_callback=crawl)
    refs = gw.get_job_by_id(job_id).get_full_file_list()
    gw.save_files_by_reference(refs, root)
    """
)


def test_killed_run_resumes_large_file_with_range(
    rel: Recorder, scale_server: LocalServer, tmp_path: Path
) -> None:
    rel.classify(GROUP, "run SIGKILLed half way through a large file", INV_RESUME)
    info = scale_server.big  # type: ignore[attr-defined]
    args = [info["user_token"], scale_server.auth_endpoint, scale_server.endpoint]
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, *args, info["first_job_id"], str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target = tmp_path / "result" / "scale_0000.dat"
    part, sidecar = temporary_paths(target)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if part.exists() and part.stat().st_size >= BIG // 2:
                break
            time.sleep(0.01)
        assert child.poll() is None, "the child finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    kept = part.stat().st_size
    assert BIG // 2 <= kept < BIG and sidecar.exists() and not target.exists()
    seen: list[tuple[str | None, int, str | None]] = []

    def record(response: httpx.Response) -> None:
        if "fileId" in str(response.request.url):
            seen.append(
                (
                    response.request.headers.get("Range"),
                    response.status_code,
                    response.headers.get("Content-Range"),
                )
            )

    with (
        httpx.Client(event_hooks={"response": [record]}) as http,
        _client(scale_server, info["user_token"], http_client=http) as gw,
    ):
        refs = gw.get_job_by_id(info["first_job_id"]).get_full_file_list()
        [path] = gw.save_files_by_reference(refs, tmp_path)
    # One request, for the remainder only (at most one socket read more than the part held).
    assert seen == [(f"bytes={kept}-", 206, f"bytes {kept}-{BIG - 1}/{BIG}")]
    assert BIG - kept <= BIG // 2 + C.SOCKET_READ_SIZE
    expected = scale_server.file_bytes(info["first_job_id"], "result/scale_0000.dat")
    assert path.read_bytes() == expected
    assert not part.exists() and not sidecar.exists()
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.parametrize("damage", ["larger-than-listed", "no-sidecar", "sidecar-of-other-size"])
def test_untrusted_part_is_discarded_not_resumed(
    rel: Recorder, scale_server: LocalServer, tmp_path: Path, damage: str
) -> None:
    rel.classify(GROUP, f"leftover temporary file: {damage}", INV_RESUME)
    info = scale_server.big  # type: ignore[attr-defined]
    target = tmp_path / "result" / "scale_0000.dat"
    part, sidecar = temporary_paths(target)
    target.parent.mkdir(parents=True)
    part.write_bytes(b"\xff" * (BIG + 1 if damage == "larger-than-listed" else BIG // 2))
    if damage != "no-sidecar":
        size = BIG + 5 if damage == "sidecar-of-other-size" else BIG
        record = (
            f'{{"etag": "\\"g1-800000\\"", "last_modified": null, "size": {size}, "version": 1}}'
        )
        sidecar.write_text(f"gwcloud-python download part\n{record}\n")
    ranges: list[str | None] = []

    def hook(request: httpx.Request) -> None:
        if "fileId" in str(request.url):
            ranges.append(request.headers.get("Range"))

    with (
        httpx.Client(event_hooks={"request": [hook]}) as http,
        _client(scale_server, info["user_token"], http_client=http) as gw,
    ):
        refs = gw.get_job_by_id(info["first_job_id"]).get_full_file_list()
        [path] = gw.save_files_by_reference(refs, tmp_path)
    assert ranges == [None]
    expected = scale_server.file_bytes(info["first_job_id"], "result/scale_0000.dat")
    assert path.read_bytes() == expected
    assert not part.exists() and not sidecar.exists()
    rel.byte_exact()
    rel.nothing_lost()

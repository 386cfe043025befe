"""Downloads that hold their promises, against the local server over a real socket.

* A file that grew since it was listed (a running job's log) is saved whole, as
  sent, with one warning; skip-existing does not take it for the listed file.
* A transfer that drops after an answer naming no version (no ``ETag``, no
  ``Last-Modified``) is never continued with ``Range``: the file changed on the
  server in between, and the result must be one whole version, not two stitched.

The server here is this module's own: its stored files are rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests_e2e_support import endpoints

from gwcloud_python import FileReferenceList, GWCloud
from gwcloud_python.server import LocalServer

JOB = "GW151226"  # an official, public job whose files are stored on the server's disk


@pytest.fixture(scope="module", params=["2023", "2026"])
def own_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    srv = LocalServer(tmp_path_factory.mktemp("promises"), schema=request.param)
    srv.start()
    try:
        srv.seed_demo()
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def job_id(own_server: LocalServer) -> str:
    return str(own_server.seed_demo()["jobs"][JOB])


def _client(server: LocalServer, **options: Any) -> GWCloud:
    return GWCloud(progress=False, **endpoints(server), **options)


def _file(gw: GWCloud, job_id: str, index: int) -> FileReferenceList:
    refs = [r for r in gw.get_job_by_id(job_id).get_full_file_list() if r.file_size > 0]
    refs.sort(key=lambda r: r.path.as_posix())
    return FileReferenceList([refs[index]])


def _download(gw: GWCloud, refs: FileReferenceList, how: str, root: Path) -> bytes:
    """The one file of ``refs``, saved under ``root`` (``save``) or fetched into memory."""
    if how == "save":
        [saved] = gw.save_files_by_reference(refs, root)
        return saved.read_bytes()
    [(_, data)] = gw.get_files_by_reference(refs)
    return data


def _files_route(server: LocalServer) -> str:
    """The path prefix of the uploaded jobs' file downloads."""
    return "/file_download/" if server.schema == "2026" else "/bilby/file_download/"


def _file_gets(server: LocalServer) -> list[int]:
    return [
        int(r["status"])
        for r in server.requests()
        if r["method"] == "GET" and "graphql" not in r["path"]
    ]


@pytest.mark.parametrize("how", ["save", "fetch"])
def test_a_file_that_grew_since_it_was_listed_is_saved_whole(
    own_server: LocalServer,
    job_id: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    with _client(own_server) as gw:
        [ref] = refs = _file(gw, job_id, 0)
        path = ref.path.as_posix()
        listed = own_server.file_bytes(job_id, path)
        assert len(listed) == ref.file_size
        grown = listed + b"another line of a running job's log\n" * 500
        own_server.replace_file(job_id, path, grown)
        try:
            with caplog.at_level(logging.WARNING, logger="gwcloud_python"):
                data = _download(gw, refs, how, tmp_path)
        finally:
            own_server.replace_file(job_id, path, listed)
    assert data == grown
    assert f"grew since it was listed: {len(listed)} bytes listed, {len(grown)} sent" in (
        caplog.text
    )


def test_skip_existing_does_not_take_a_grown_file_for_the_listed_one(
    own_server: LocalServer, job_id: str, tmp_path: Path
) -> None:
    with _client(own_server) as gw:
        [ref] = refs = _file(gw, job_id, 1)
        path = ref.path.as_posix()
        listed = own_server.file_bytes(job_id, path)
        own_server.replace_file(job_id, path, listed + b"x" * 1000)
        try:
            [saved] = gw.save_files_by_reference(refs, tmp_path)
            assert saved.stat().st_size == len(listed) + 1000
        finally:
            own_server.replace_file(job_id, path, listed)
        own_server.reset_requests()
        # The local copy's size is not the listed one: it is fetched again (the listed version).
        gw.save_files_by_reference(refs, tmp_path, skip_existing=True)
        assert _file_gets(own_server) == [200]
        assert saved.read_bytes() == listed
        own_server.reset_requests()
        gw.save_files_by_reference(refs, tmp_path, skip_existing=True)  # now it is there
        assert _file_gets(own_server) == []


@pytest.mark.parametrize("how", ["save", "fetch"])
def test_a_grown_file_dropped_after_its_listed_size_resumes(
    own_server: LocalServer, job_id: str, tmp_path: Path, how: str
) -> None:
    with _client(own_server) as gw:
        [ref] = refs = _file(gw, job_id, 2)
        path = ref.path.as_posix()
        listed = own_server.file_bytes(job_id, path)
        grown = listed + bytes(range(256)) * 400
        own_server.replace_file(job_id, path, grown)
        try:
            own_server.reset_requests()
            own_server.set_fault(
                "drop", match=_files_route(own_server), after_bytes=len(listed) + 50_000
            )
            data = _download(gw, refs, how, tmp_path)
            statuses = _file_gets(own_server)
        finally:
            own_server.clear_faults()
            own_server.replace_file(job_id, path, listed)
    assert data == grown
    assert statuses == [200, 206]  # the rest of the grown file, not all of it again


@pytest.mark.parametrize("how", ["save", "fetch"])
def test_no_resume_without_a_validator_so_two_versions_are_never_stitched(
    own_server: LocalServer, job_id: str, tmp_path: Path, how: str
) -> None:
    ranges: list[str | None] = []
    state: dict[str, Any] = {}

    def on_request(request: httpx.Request) -> None:
        if request.method != "GET" or "fileId" not in request.url.params:
            return
        ranges.append(request.headers.get("Range"))
        if len(ranges) == 2:  # the retry: the file changes on the server meanwhile
            own_server.replace_file(state["job"], state["path"], state["v2"])

    with (
        httpx.Client(event_hooks={"request": [on_request]}, timeout=30) as http,
        _client(own_server, http_client=http) as gw,
    ):
        [ref] = refs = _file(gw, job_id, 3)
        path = ref.path.as_posix()
        v1 = own_server.file_bytes(job_id, path)
        v2 = bytes(255 - b for b in v1)  # same length, every byte different
        state.update(job=job_id, path=path, v2=v2)
        try:
            own_server.set_fault(
                "drop",
                match=_files_route(own_server),
                after_bytes=len(v1) // 2,
                strip_validators=True,
            )
            data = _download(gw, refs, how, tmp_path)
        finally:
            own_server.clear_faults()
            own_server.replace_file(job_id, path, v1)
    assert data in (v1, v2), "the result stitches two versions of the file"
    assert data == v2
    assert ranges == [None, None]  # the retry asked for the whole file, not the rest

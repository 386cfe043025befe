"""Submitting a job to a server that cannot be trusted, with files that do not hold still.

* A hostile ``newBilbyJobFromIniString`` answer names files the ini does not
  name (``/etc/passwd``, ``../secret``, a neighbour of the ini, the real file
  by absolute path): nothing is read, nothing is uploaded, and the error names
  the job the server created (issue 14, item 1).
* A supporting file that grows or shrinks while it is sent fails as a
  :class:`GWCloudError` that names the created job, not as an error from the
  HTTP stack (issue 14, item 5).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _gql_fake import (
    AUTH_ENDPOINT,
    ENDPOINT,
    SENTINEL_TOKEN,
    FakeGraphQL,
    job_node,
    jwt_answer,
    private_job_node,
)

from gwcloud_python import AsyncGWCloud, GWCloud, GWCloudError, OperationOutcomeUnknown
from gwcloud_python._client_base import ClientCore
from gwcloud_python._progress_io import open_for_upload
from gwcloud_python.server import LocalServer

from .conftest import Recorder

GROUP = "Hostile submission"
SECRET = b"do-not-send-3b9e1c"
JOB = job_node(77)["id"]


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    """An ini directory with its two supporting files, and secrets next to and above it."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "h1.txt").write_bytes(b"h1 psd")
    (run / "l1.txt").write_bytes(b"l1 psd")
    (run / "neighbour.txt").write_bytes(SECRET)
    (tmp_path / "secret").write_bytes(SECRET)
    (run / "job.ini").write_text("label = hostile\npsd-dict = {\n  H1: h1.txt,\n  L1: l1.txt\n}\n")
    return run


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the client opens for an upload."""
    seen: list[Path] = []
    original = ClientCore._open_upload

    def spy(self: ClientCore, path: Path) -> Any:
        seen.append(Path(path))
        return original(self, path)

    monkeypatch.setattr(ClientCore, "_open_upload", spy)
    return seen


def _answer(files: list[str]) -> dict[str, Any]:
    listed = [{"filePath": path, "token": f"tok{i}"} for i, path in enumerate(files)]
    return {
        "data": {"newBilbyJobFromIniString": {"result": {"jobId": JOB, "supportingFiles": listed}}}
    }


def _hostile(fake: FakeGraphQL, files: list[str]) -> None:
    fake.on("JwtToken", jwt_answer())
    fake.on("NewBilbyJobFromIniString", _answer(files))
    fake.on(
        "UploadSupportingFiles", {"data": {"uploadSupportingFiles": {"result": {"result": True}}}}
    )
    fake.on("BilbyJob", {"data": {"bilbyJob": private_job_node(77, "hostile")}})


def _sent_bodies(fake: FakeGraphQL) -> bytes:
    return b"".join(request.read() for _, _, request in fake.calls)


HOSTILE_LISTS = {
    "etc-passwd": ["h1.txt", "/etc/passwd"],
    "dot-dot-secret": ["../secret", "h1.txt", "l1.txt"],
    "not-in-ini": ["h1.txt", "l1.txt", "neighbour.txt"],
    "absolute-real-file": ["{run}/h1.txt", "l1.txt"],
    "dot-dot-back-in": ["../run/neighbour.txt"],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LISTS))
def test_hostile_file_list_sends_and_reads_nothing(
    fake_gql: FakeGraphQL, job_dir: Path, opened: list[Path], rel: Recorder, case: str
) -> None:
    rel.classify(GROUP, "supporting-file exfiltration", "nothing read, nothing sent, job named")
    files = [path.format(run=job_dir) for path in HOSTILE_LISTS[case]]
    _hostile(fake_gql, files)
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, progress=False)
    with pytest.raises(OperationOutcomeUnknown) as info:
        gw.start_bilby_job_from_file("hostile", "d", False, job_dir / "job.ini")
    err = info.value
    rel.typed_error(err)
    assert isinstance(err, GWCloudError)
    assert err.job_id == JOB and JOB in str(err)
    assert "none of them was sent" in str(err)
    refused = [path for path in files if path not in ("h1.txt", "l1.txt")]
    assert all(repr(path) in str(err) for path in refused)
    assert opened == []  # no file was opened for upload
    assert "UploadSupportingFiles" not in fake_gql.names()
    assert SECRET not in _sent_bodies(fake_gql)
    rel.nothing_lost()


def test_hostile_file_list_async(
    fake_gql: FakeGraphQL, job_dir: Path, opened: list[Path], rel: Recorder
) -> None:
    rel.classify(GROUP, "supporting-file exfiltration", "nothing read, nothing sent, job named")
    _hostile(fake_gql, ["h1.txt", "/etc/passwd", "../secret"])

    async def run() -> OperationOutcomeUnknown:
        async with AsyncGWCloud(
            SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, progress=False
        ) as gw:
            with pytest.raises(OperationOutcomeUnknown) as info:
                await gw.start_bilby_job_from_file("hostile", "d", False, job_dir / "job.ini")
            return info.value

    err = asyncio.run(run())
    rel.typed_error(err)
    assert err.job_id == JOB and "'/etc/passwd'" in str(err) and "'../secret'" in str(err)
    assert opened == []
    assert "UploadSupportingFiles" not in fake_gql.names()
    assert SECRET not in _sent_bodies(fake_gql)
    rel.nothing_lost()


def test_honest_list_uploads_only_the_named_files(
    fake_gql: FakeGraphQL, job_dir: Path, opened: list[Path], rel: Recorder
) -> None:
    rel.classify(GROUP, "supporting-file exfiltration", "the files the ini names are sent")
    _hostile(fake_gql, ["./h1.txt", "l1.txt"])
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, progress=False)
    gw.start_bilby_job_from_file("hostile", "d", False, job_dir / "job.ini")
    assert opened == [(job_dir / "h1.txt").resolve(), (job_dir / "l1.txt").resolve()]
    body = fake_gql.calls[fake_gql.names().index("UploadSupportingFiles")][2].read()
    assert b"h1 psd" in body and b"l1 psd" in body and SECRET not in body
    rel.byte_exact()
    rel.nothing_lost()


def test_file_swapped_after_the_check_is_not_sent(
    fake_gql: FakeGraphQL, job_dir: Path, rel: Recorder
) -> None:
    rel.classify(GROUP, "supporting-file exfiltration", "nothing read, nothing sent, job named")

    def swap(variables: dict[str, Any], _request: Any) -> dict[str, Any]:
        # While the server "creates the job", the checked file is replaced by another one.
        (job_dir / "swap.tmp").write_bytes(SECRET)  # a new inode while h1.txt still exists
        (job_dir / "swap.tmp").replace(job_dir / "h1.txt")
        return _answer(["h1.txt"])

    _hostile(fake_gql, [])
    fake_gql.on("NewBilbyJobFromIniString", swap)
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, progress=False)
    with pytest.raises(OperationOutcomeUnknown) as info:
        gw.start_bilby_job_from_file("hostile", "d", False, job_dir / "job.ini")
    rel.typed_error(info.value)
    assert info.value.job_id == JOB and "was replaced after it was checked" in str(info.value)
    assert "none of them was sent" in str(info.value)
    assert "UploadSupportingFiles" not in fake_gql.names()
    rel.nothing_lost()


# -- files that change while they are sent (real sockets, the local server) -------------------


def _supporting_rows(server: LocalServer) -> list[tuple[str, int]]:
    db = sqlite3.connect(f"file:{server.data_dir / 'gwcloud.sqlite3'}?mode=ro", uri=True)
    try:
        return [
            (str(p), int(u)) for p, u in db.execute("SELECT path, uploaded FROM supporting_files")
        ]
    finally:
        db.close()


def _changer(path: Path, grow: bool) -> Callable[[int, int], None]:
    def callback(done: int, total: int) -> None:
        if 0 < done < total:
            with open(path, "ab" if grow else "r+b") as handle:
                if grow:
                    handle.write(b"+" * 100_000)
                else:
                    handle.truncate(1_000)

    return callback


@pytest.mark.parametrize("grow", [True, False], ids=["grows", "shrinks"])
def test_file_changing_during_upload_names_the_job(
    server: LocalServer, tmp_path: Path, rel: Recorder, grow: bool
) -> None:
    rel.classify(
        GROUP, "file changes during upload (errors outside our tree)", "typed error naming the job"
    )
    token = server.add_user(f"changer{int(grow)}")
    run = tmp_path / "run"
    run.mkdir()
    psd = run / "changing.txt"
    psd.write_bytes(b"x" * 400_000)
    (run / "job.ini").write_text(f"label = x\npsd-dict = {{\n  H1: {psd.name}\n}}\n")
    gw = GWCloud(
        token,
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        progress=False,
        progress_callback=_changer(psd, grow),
    )
    try:
        with pytest.raises(GWCloudError) as info:
            gw.start_bilby_job_from_file(f"changing-{int(grow)}", "d", False, run / "job.ini")
    finally:
        gw.close()
    err = info.value
    rel.typed_error(err)
    assert isinstance(err, OperationOutcomeUnknown)
    assert err.job_id is not None and err.job_id in str(err)
    assert ("grew" if grow else "shrank") + " while it was being uploaded" in str(err)
    chain: list[BaseException] = []
    cause: BaseException | None = err
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert not any(type(c).__module__.startswith(("h11", "httpcore")) for c in chain)
    # The server did not take a short or long file for the job.
    assert (psd.name, 1) not in _supporting_rows(server)
    rel.nothing_lost()


@pytest.mark.parametrize("grow", [True, False], ids=["grows", "shrinks"])
def test_upload_reader_refuses_a_file_whose_size_changed(
    tmp_path: Path, rel: Recorder, grow: bool
) -> None:
    rel.classify(GROUP, "file changes during upload (errors outside our tree)", "typed error")
    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * 200_000)
    with open_for_upload(path, progress=False) as reader:
        assert reader.read(100_000) == b"a" * 100_000
        with open(path, "ab" if grow else "r+b") as handle:
            if grow:
                handle.write(b"b")
            else:
                handle.truncate(150_000)
        with pytest.raises(GWCloudError, match="grew" if grow else "shrank") as info:
            while reader.read(64 * 1024):
                pass
    rel.typed_error(info.value)
    rel.nothing_lost()

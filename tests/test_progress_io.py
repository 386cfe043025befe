"""Tests of the upload progress wrapper (``gwcloud_python._progress_io``)."""

from __future__ import annotations

import io
import itertools
import os
from pathlib import Path
from typing import IO, cast

import httpx
import pytest
from pytest_httpx import HTTPXMock

from gwcloud_python._progress_io import ProgressReader, open_for_upload

URL = "https://gwcloud.test/bilby/graphql"
MIB = 1024 * 1024


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    """A 5 MB file of non-repeating bytes."""
    path = tmp_path / "job.tar.gz"
    path.write_bytes(os.urandom(5 * 1000 * 1000))
    return path


class Recorder:
    """Collects ``(bytes_done, bytes_total)`` callback calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))


class RecordingFile(io.FileIO):
    """A file that remembers the size asked of every ``read``/``readinto``."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        self.sizes.append(len(buffer))
        return super().readinto(buffer)


def _file_part(request: httpx.Request) -> bytes:
    """Return the content of the single file part of a multipart request."""
    body = request.read()
    boundary = request.headers["Content-Type"].split("boundary=")[1].encode()
    parts = body.split(b"--" + boundary)
    files = [p for p in parts if b'filename="job.tar.gz"' in p]
    assert len(files) == 1
    _headers, _, content = files[0].partition(b"\r\n\r\n")
    assert content.endswith(b"\r\n")
    return content[:-2]


def test_multipart_post_streams_the_exact_bytes(
    httpx_mock: HTTPXMock, payload: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpx_mock.add_response(url=URL, json={"data": {}})
    record = Recorder()
    handle = RecordingFile(payload)
    reader = ProgressReader(handle, callback=record, progress=False)
    with reader, httpx.Client() as client:
        client.post(
            URL,
            data={"operations": "{}", "map": "{}"},
            files={"0": ("job.tar.gz", cast(IO[bytes], reader), "application/gzip")},
        )

    request = httpx_mock.get_request()
    assert request is not None
    # httpx learnt the length from fstat: Content-Length, not chunked encoding.
    assert "Transfer-Encoding" not in request.headers
    assert int(request.headers["Content-Length"]) == len(request.read())
    assert _file_part(request) == payload.read_bytes()

    total = payload.stat().st_size
    assert record.calls[0] == (0, total)
    assert record.calls[-1] == (total, total)
    assert all(t == total for _, t in record.calls)
    dones = [d for d, _ in record.calls]
    assert dones == sorted(dones)
    # Streamed: never asked for the whole file, never more than 1 MiB per call.
    assert handle.sizes
    assert all(0 < size <= MIB for size in handle.sizes)
    assert max(b - a for a, b in itertools.pairwise(dones)) <= MIB
    assert len(record.calls) > 5
    assert handle.closed
    assert capsys.readouterr().err == ""


def test_resending_rewinds_and_restarts_the_count(httpx_mock: HTTPXMock, payload: Path) -> None:
    httpx_mock.add_response(url=URL, is_reusable=True)
    record = Recorder()
    total = payload.stat().st_size
    with open_for_upload(payload, progress=False, callback=record) as reader, httpx.Client() as c:
        for _ in range(2):
            part = ("job.tar.gz", cast(IO[bytes], reader), "application/gzip")
            c.post(URL, files={"0": part})

    requests = httpx_mock.get_requests()
    assert [_file_part(r) for r in requests] == [payload.read_bytes()] * 2
    dones = [d for d, _ in record.calls]
    assert dones.count(total) == 2
    assert dones.count(0) == 2  # the start, then the rewind of the second send
    assert record.calls[-1] == (total, total)


def test_seek_resets_the_counter(payload: Path) -> None:
    record = Recorder()
    with open_for_upload(payload, progress=False, callback=record) as reader:
        assert reader.read(1000) == payload.read_bytes()[:1000]
        assert reader.bytes_done == 1000
        assert reader.seek(0) == 0
        assert reader.bytes_done == 0
        assert reader.tell() == 0
        assert reader.seek(10, os.SEEK_CUR) == 10
    assert record.calls == [(0, reader.total), (1000, reader.total), (0, reader.total),
                            (10, reader.total)]  # fmt: skip


def test_file_protocol(payload: Path) -> None:
    data = payload.read_bytes()
    reader = open_for_upload(payload, progress=False)
    assert reader.readable() and reader.seekable() and not reader.writable()
    assert os.fstat(reader.fileno()).st_size == len(data) == reader.total
    buffer = bytearray(4096)
    assert reader.readinto(buffer) == 4096
    assert bytes(buffer) == data[:4096]
    assert reader.read() == data[4096:]
    assert reader.read(10) == b""
    assert reader.bytes_done == len(data)
    assert "job.tar.gz" in reader.name
    reader.close()
    reader.close()
    assert reader.closed
    with pytest.raises(ValueError):
        reader.read(1)


def test_buffered_reading_through_the_wrapper(payload: Path) -> None:
    with open_for_upload(payload, progress=False) as reader:
        buffered = io.BufferedReader(reader, buffer_size=64 * 1024)
        assert buffered.read() == payload.read_bytes()


def test_text_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x")
    with open(path) as handle, pytest.raises(TypeError):
        ProgressReader(handle)  # type: ignore[arg-type]


def test_in_memory_files_work_without_a_descriptor() -> None:
    record = Recorder()
    reader = ProgressReader(io.BytesIO(b"abcdef"), callback=record, progress=False)
    with pytest.raises(io.UnsupportedOperation):
        reader.fileno()
    assert reader.total == 6
    assert reader.read() == b"abcdef"
    assert record.calls == [(0, 6), (6, 6)]


def test_progress_bar_only_when_asked(payload: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_for_upload(payload, progress=False) as reader:
        reader.read()
    assert capsys.readouterr().err == ""
    # None: only on a terminal, and pytest's captured stderr is not one.
    with open_for_upload(payload) as reader:
        reader.read()
    assert capsys.readouterr().err == ""
    with open_for_upload(payload, progress=True, description="Uploading job") as reader:
        reader.read()
    err = capsys.readouterr().err
    assert "Uploading job" in err
    assert "100%" in err

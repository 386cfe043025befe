"""Small files saved through unnamed temporary files (Linux ``O_TMPFILE`` + ``linkat``).

A small file is written to a file with no name in its directory and linked in
under its final name only when complete: no temporary name is ever visible, a
failed transfer leaves nothing, an existing file is replaced only once the new
one is whole, and where the system cannot do this the named temporary file of
``temporary_paths`` is used instead.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from _downloads import save

from gwcloud_python import _unnamed
from gwcloud_python._errors import DownloadError
from gwcloud_python._files import Downloader, DownloadItem, temporary_paths

pytestmark = pytest.mark.skipif(
    not getattr(os, "O_TMPFILE", 0) or not os.path.isdir("/proc/self/fd"),
    reason="unnamed files need Linux O_TMPFILE and /proc (elsewhere the named path runs)",
)

URL = "https://gwcloud.example/job/apiv1/file/?fileId="


def _client(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def _downloader(client: httpx.Client, **kwargs: Any) -> Downloader:
    return Downloader(client, progress=False, sleep=lambda _: None, **kwargs)


def test_no_name_exists_until_the_file_is_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    seen_names: list[set[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # What the directory holds while a transfer is under way.
        seen_names.append({p.name for p in out.iterdir()})
        n = request.url.params["fileId"]
        return httpx.Response(200, content=n.encode() * 100)

    items = [DownloadItem(URL + str(n), f"f{n}.txt", len(str(n)) * 100) for n in range(20)]
    with _client(handler) as client:
        paths = save(_downloader(client, concurrency=1), items, out)
    assert [p.read_bytes() for p in paths] == [str(n).encode() * 100 for n in range(20)]
    allowed = {f"f{n}.txt" for n in range(20)}
    assert seen_names and all(names <= allowed for names in seen_names)
    assert {p.name for p in out.iterdir()} == allowed


def test_failed_transfer_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    (tmp_path / "keep.bin").write_bytes(b"old contents")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    with _client(handler) as client, pytest.raises(DownloadError):
        save(
            _downloader(client),
            [DownloadItem(URL + "1", "keep.bin", 5), DownloadItem(URL + "2", "new.bin", 5)],
            tmp_path,
        )
    assert (tmp_path / "keep.bin").read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bin"]


def test_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"old contents, longer than the new")
    with _client(lambda request: httpx.Response(200, content=b"new!")) as client:
        [path] = save(_downloader(client), [DownloadItem(URL + "1", "x.bin", 4)], tmp_path)
    assert path.read_bytes() == b"new!"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_existing_directory_at_the_name_is_an_error_and_nothing_is_left(tmp_path: Path) -> None:
    (tmp_path / "x.bin").mkdir()
    with (
        _client(lambda request: httpx.Response(200, content=b"data")) as client,
        pytest.raises(DownloadError, match=r"could not write 'x\.bin'"),
    ):
        save(_downloader(client), [DownloadItem(URL + "1", "x.bin", 4)], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]
    assert (tmp_path / "x.bin").is_dir()


def test_without_o_tmpfile_support_the_named_path_saves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open
    tried: list[int] = []

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & _unnamed._O_TMPFILE == _unnamed._O_TMPFILE:
            tried.append(flags)
            raise OSError(errno.EOPNOTSUPP, "not on this file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(_unnamed.os, "open", open_)
    items = [DownloadItem(URL + str(n), f"f{n}", 3) for n in range(5)]
    with _client(lambda request: httpx.Response(200, content=b"abc")) as client:
        paths = save(_downloader(client, concurrency=1), items, tmp_path)
    monkeypatch.undo()
    assert [p.read_bytes() for p in paths] == [b"abc"] * 5
    assert len(tried) == 1  # tried once, then the run keeps to named files


def test_without_proc_the_file_is_fetched_again_through_a_named_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_proc() -> int:
        raise FileNotFoundError(errno.ENOENT, "no /proc here")

    monkeypatch.setattr(_unnamed, "_proc_fd_directory", no_proc)
    progress: list[tuple[int, int]] = []
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.params["fileId"])
        return httpx.Response(200, content=b"0123456789")

    items = [DownloadItem(URL + str(n), f"f{n}", 10) for n in range(3)]
    with _client(handler) as client:
        downloader = _downloader(
            client, concurrency=1, callback=lambda done, total: progress.append((done, total))
        )
        paths = save(downloader, items, tmp_path)
    assert [p.read_bytes() for p in paths] == [b"0123456789"] * 3
    assert sorted(requests) == ["0", "0", "1", "2"]  # only the first file twice
    assert all(0 <= done <= total == 30 for done, total in progress)
    assert progress[-1] == (30, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0", "f1", "f2"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_names_its_own_files(tmp_path: Path) -> None:
    # The parent has /proc/self/fd open (its own files).  The child's unnamed file gets
    # a descriptor number that, in the parent, is a decoy file: linking through the
    # parent's /proc/<pid>/fd would give the child's file the decoy's contents.
    _unnamed._proc_fd_directory()
    decoy = tmp_path / "decoy"
    decoy.write_bytes(b"parent's decoy!")
    decoy_fd = os.open(decoy, os.O_RDONLY)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            os.close(decoy_fd)  # the child's next descriptor takes the decoy's number
            with _client(lambda request: httpx.Response(200, content=b"child's data")) as client:
                [path] = save(_downloader(client), [DownloadItem(URL + "1", "c.bin", 12)], tmp_path)
            status = 0 if path.read_bytes() == b"child's data" else 2
        finally:
            sys.stdout.flush()
            os._exit(status)
    try:
        _, code = os.waitpid(pid, 0)
    finally:
        os.close(decoy_fd)
    assert os.waitstatus_to_exitcode(code) == 0
    assert (tmp_path / "c.bin").read_bytes() == b"child's data"


def test_leftover_temporary_names_of_an_earlier_run_are_removed(tmp_path: Path) -> None:
    part, sidecar = temporary_paths(tmp_path.resolve() / "x.bin")
    part.write_bytes(b"stale")
    sidecar.write_text("{}")
    other = tmp_path / ".unrelated.gwcloud-part"
    other.write_bytes(b"not a name of this run's files")
    with _client(lambda request: httpx.Response(200, content=b"fresh!")) as client:
        save(_downloader(client), [DownloadItem(URL + "1", "x.bin", 6)], tmp_path)
    assert (tmp_path / "x.bin").read_bytes() == b"fresh!"
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "x.bin"]

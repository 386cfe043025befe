"""Tests of the download engine (``gwcloud_python._files``) against pytest-httpx."""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _downloads import fetch, save
from pytest_httpx import HTTPXMock

from gwcloud_python import _constants as C
from gwcloud_python._errors import DownloadError, ValidationError
from gwcloud_python._files import (
    Downloader,
    DownloadFeed,
    DownloadItem,
    resolve_target,
    resolve_targets,
    temporary_paths,
)

BASE = "https://gwcloud.example/job/apiv1/file/"
MIB = 1024 * 1024  # files of several reads and above RESUME_MIN_SIZE


def url(file_id: str) -> str:
    return f"{BASE}?fileId={file_id}"


def blob(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)  # noqa: S311 - test data


class Sleeps:
    """Records the delays a Downloader asks for, without sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def downloader(client: httpx.Client, sleeps: Sleeps, **kwargs: object) -> Downloader:
    kwargs.setdefault("progress", False)
    return Downloader(client, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


class DroppingStream(httpx.SyncByteStream):
    """A body that sends some bytes and then loses the connection."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        raise httpx.ReadError("connection reset by peer")


#: The validator of the one version the mocked files have (a resume needs one).
ETAG = {"ETag": '"v1"'}


def partial(rest: bytes, start: int, total: int) -> httpx.Response:
    return httpx.Response(
        206,
        content=rest,
        headers={"Content-Range": f"bytes {start}-{total - 1}/{total}", **ETAG},
    )


# ----------------------------------------------------------------- happy paths


def test_save_is_byte_exact_and_sends_no_credentials(
    httpx_mock: HTTPXMock, tmp_path: Path, sleeps: Sleeps
) -> None:
    files = {
        "a.txt": b"hello\n",
        "result/big.hdf5": blob(2 * MIB + 123),
        "data/sub/empty.dat": b"",
    }
    items = []
    for i, (path, data) in enumerate(files.items()):
        httpx_mock.add_response(url=url(f"id{i}"), content=data)
        items.append(DownloadItem(url(f"id{i}"), path, len(data)))
    with httpx.Client(auth=("user", "pw"), headers={"Authorization": "JWT secret"}) as authed:
        paths = save(downloader(authed, sleeps), items, tmp_path / "out")

    root = (tmp_path / "out").resolve()
    assert paths == [root / p for p in files]
    for path, data in files.items():
        assert (root / path).read_bytes() == data
    assert not list(root.rglob("*.part"))
    for request in httpx_mock.get_requests():
        assert "Authorization" not in request.headers
        assert "Range" not in request.headers
        assert request.headers["Accept-Encoding"] == "identity"


def test_fetch_is_byte_exact_and_ordered(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    datas = [blob(n, seed=n) for n in (0, 1, 1000, MIB + 5)]
    for i, data in enumerate(datas):
        httpx_mock.add_response(url=url(str(i)), content=data)
    items = [DownloadItem(url(str(i)), f"f{i}", len(d)) for i, d in enumerate(datas)]
    result = fetch(downloader(client, sleeps, concurrency=3), items)
    assert result == datas
    assert all(type(r) is bytes for r in result)


def test_fifty_small_files_concurrently(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    threads: set[str] = set()
    barrier = threading.Barrier(2, timeout=5)

    def serve(request: httpx.Request) -> httpx.Response:
        threads.add(threading.current_thread().name)
        n = int(request.url.params["fileId"])
        if n < 2:
            barrier.wait()  # the first two files are in flight at the same time
        return httpx.Response(200, content=blob(100 + n, seed=n))

    httpx_mock.add_callback(serve, is_reusable=True)
    items = [DownloadItem(url(str(n)), f"d{n % 5}/f{n}.bin", 100 + n) for n in range(50)]
    paths = save(downloader(client, sleeps, concurrency=8), items, tmp_path)
    assert [p.read_bytes() for p in paths] == [blob(100 + n, seed=n) for n in range(50)]
    assert len(httpx_mock.get_requests()) == 50
    assert len(threads) > 1
    assert sleeps.delays == []


# ------------------------------------------------------------- error answers


@pytest.mark.parametrize("mode", ["save", "fetch"])
def test_500_is_never_content_and_fails_after_retries(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path, mode: str
) -> None:
    httpx_mock.add_response(status_code=500, content=b"<h1>Server Error</h1>", is_reusable=True)
    item = DownloadItem(url("secret-id"), "result/x.json", 21)
    dl = downloader(client, sleeps, max_retries=2)
    with pytest.raises(DownloadError) as info:
        if mode == "save":
            save(dl, [item], tmp_path)
        else:
            fetch(dl, [item])
    assert len(httpx_mock.get_requests()) == 3
    assert len(sleeps.delays) == 2
    err = info.value
    assert err.status_code == 500
    assert "result/x.json" in str(err)
    assert BASE in str(err)
    assert "secret-id" not in str(err)
    assert err.url == BASE
    assert not (tmp_path / "result" / "x.json").exists()
    assert not list(tmp_path.rglob("*.part"))


def test_404_is_not_retried(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    httpx_mock.add_response(status_code=404, content=b"not found")
    with pytest.raises(DownloadError) as info:
        save(downloader(client, sleeps), [DownloadItem(url("1"), "x", 9)], tmp_path)
    assert info.value.status_code == 404
    assert len(httpx_mock.get_requests()) == 1
    assert list(tmp_path.iterdir()) == []


def test_retry_after_is_honoured(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "7"})
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "3"})
    httpx_mock.add_response(content=b"payload")
    data = fetch(downloader(client, sleeps), [DownloadItem(url("1"), "p", 7)])
    assert data == [b"payload"]
    assert sleeps.delays == [7.0, 3.0]


def test_connection_errors_are_retried(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    httpx_mock.add_response(content=b"ok")
    assert fetch(downloader(client, sleeps), [DownloadItem(url("1"), "p", 2)]) == [b"ok"]
    assert len(sleeps.delays) == 2
    assert all(0 <= d <= C.RETRY_MAX_DELAY for d in sleeps.delays)


def test_connection_errors_exhaust_retries(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), is_reusable=True)
    with pytest.raises(DownloadError) as info:
        fetch(downloader(client, sleeps, max_retries=1), [DownloadItem(url("1"), "p", 2)])
    assert info.value.status_code is None
    assert "ConnectError" in str(info.value)
    assert len(httpx_mock.get_requests()) == 2


@pytest.mark.parametrize("length", ["announced", "chunked"])
def test_body_longer_than_listed_is_kept_whole_with_a_warning(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    sleeps: Sleeps,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    length: str,
) -> None:
    # A running job's log grows between the listing and the download.
    body = b"0123456789"
    assert downloader(client, sleeps).growth_margin == 64 * 1024 * 1024  # as the docs say

    def answer() -> dict[str, object]:
        if length == "announced":
            return {"content": body}
        return {"stream": httpx.ByteStream(body)}  # no Content-Length

    httpx_mock.add_response(**answer())  # type: ignore[arg-type]
    with caplog.at_level("WARNING", logger="gwcloud_python"):
        [path] = save(downloader(client, sleeps), [DownloadItem(url("1"), "log.txt", 4)], tmp_path)
    assert path.read_bytes() == body
    assert "log.txt grew since it was listed: 4 bytes listed, 10 sent" in caplog.text
    httpx_mock.add_response(**answer())  # type: ignore[arg-type]
    assert fetch(downloader(client, sleeps), [DownloadItem(url("1"), "log.txt", 4)]) == [body]


@pytest.mark.parametrize("length", ["announced", "chunked"])
def test_body_longer_than_the_growth_margin_is_an_error(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path, length: str
) -> None:
    body = b"0123456789"
    extra: dict[str, object] = {"content": body}
    if length == "chunked":
        extra = {"stream": httpx.ByteStream(body)}
    httpx_mock.add_response(**extra)  # type: ignore[arg-type]
    tight = downloader(client, sleeps, growth_margin=5)
    with pytest.raises(DownloadError, match=r"more than (the )?9") as info:
        save(tight, [DownloadItem(url("1"), "p", 4)], tmp_path)
    assert list(tmp_path.iterdir()) == []
    if length == "announced":  # refused from its Content-Length, before the body
        assert "announced 10 bytes" in str(info.value) and "listed at 4" in str(info.value)
    httpx_mock.add_response(**extra)  # type: ignore[arg-type]
    with pytest.raises(DownloadError, match=r"more than (the )?9"):
        fetch(tight, [DownloadItem(url("1"), "p", 4)])
    assert len(httpx_mock.get_requests()) == 2  # refused, not retried


def test_body_shorter_than_its_content_length_is_still_an_error(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    httpx_mock.add_response(
        headers={"Content-Length": "10"}, stream=DroppingStream(b"01234"), is_reusable=True
    )
    with pytest.raises(DownloadError, match="dropped after 5 of 10 bytes"):
        fetch(downloader(client, sleeps, max_retries=1), [DownloadItem(url("1"), "p", 4)])


# -------------------------------------------------------------------- resume


@pytest.mark.parametrize("mode", ["save", "fetch"])
@pytest.mark.parametrize("drop", ["short", "read-error"])
def test_resume_with_range(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    sleeps: Sleeps,
    tmp_path: Path,
    mode: str,
    drop: str,
) -> None:
    data = blob(5000)
    cut = 1234
    if drop == "short":
        httpx_mock.add_response(content=data[:cut], headers=ETAG)
    else:
        httpx_mock.add_response(
            headers={"Content-Length": str(len(data)), **ETAG}, stream=DroppingStream(data[:cut])
        )
    httpx_mock.add_callback(lambda request: partial(data[cut:], cut, len(data)))
    seen: list[tuple[int, int]] = []
    dl = downloader(client, sleeps, callback=lambda done, total: seen.append((done, total)))
    item = DownloadItem(url("1"), "r/file.bin", len(data))
    if mode == "save":
        [path] = save(dl, [item], tmp_path)
        assert path.read_bytes() == data
        assert not list(tmp_path.rglob("*.part"))
    else:
        assert fetch(dl, [item]) == [data]
    first, second = httpx_mock.get_requests()
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={cut}-"
    assert len(sleeps.delays) == 1
    assert seen[-1] == (len(data), len(data))


@pytest.mark.parametrize("mode", ["save", "fetch"])
def test_server_ignoring_range_restarts_the_file(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path, mode: str
) -> None:
    data = blob(3000)
    httpx_mock.add_response(content=data[:1000], headers=ETAG)
    httpx_mock.add_response(content=data)  # 200 to the Range request: whole file again
    seen: list[tuple[int, int]] = []
    dl = downloader(client, sleeps, callback=lambda done, total: seen.append((done, total)))
    item = DownloadItem(url("1"), "f.bin", len(data))
    if mode == "save":
        [path] = save(dl, [item], tmp_path)
        assert path.read_bytes() == data
    else:
        assert fetch(dl, [item]) == [data]
    assert httpx_mock.get_requests()[1].headers["Range"] == "bytes=1000-"
    assert seen[-1] == (3000, 3000)
    assert max(done for done, _ in seen) == 3000


def test_wrong_content_range_starts_over(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    data = blob(300)
    httpx_mock.add_response(content=data[:100], headers=ETAG)
    httpx_mock.add_response(
        status_code=206, content=data[50:], headers={"Content-Range": "bytes 50-299/300", **ETAG}
    )
    httpx_mock.add_response(content=data)
    assert fetch(downloader(client, sleeps), [DownloadItem(url("1"), "f", 300)]) == [data]
    requests = httpx_mock.get_requests()
    assert requests[1].headers["Range"] == "bytes=100-"
    assert "Range" not in requests[2].headers


def test_206_without_range_request_is_an_error(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    httpx_mock.add_response(
        status_code=206, content=b"abc", headers={"Content-Range": "bytes 0-2/3"}
    )
    with pytest.raises(DownloadError) as info:
        fetch(downloader(client, sleeps), [DownloadItem(url("1"), "f", 3)])
    assert info.value.status_code == 206


def test_final_failure_removes_part_and_keeps_older_file(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    old = tmp_path / "result" / "x.bin"
    old.parent.mkdir()
    old.write_bytes(b"older version")
    data = blob(100)
    httpx_mock.add_response(content=data[:40], headers=ETAG)
    httpx_mock.add_response(
        status_code=206, content=data[40:60], headers={"Content-Range": "bytes 40-99/100", **ETAG}
    )
    httpx_mock.add_response(status_code=500)
    with pytest.raises(DownloadError) as info:
        save(
            downloader(client, sleeps, max_retries=2),
            [DownloadItem(url("1"), "result/x.bin", 100)],
            tmp_path,
        )
    assert info.value.status_code == 500
    assert old.read_bytes() == b"older version"
    assert sorted(p.name for p in old.parent.iterdir()) == ["x.bin"]
    requests = httpx_mock.get_requests()
    assert [r.headers.get("Range") for r in requests] == [None, "bytes=40-", "bytes=60-"]


def test_stale_part_symlink_is_not_written_through(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    root = tmp_path / "root"
    root.mkdir()
    part, _ = temporary_paths(root.resolve() / "f.bin")
    part.symlink_to(outside)
    (root / "f.bin.part").write_bytes(b"the user's own file")
    httpx_mock.add_response(content=b"new data")
    [path] = save(downloader(client, sleeps), [DownloadItem(url("1"), "f.bin", 8)], root)
    assert path.read_bytes() == b"new data"
    assert outside.read_bytes() == b"precious"
    assert not part.exists() and not part.is_symlink()
    assert (root / "f.bin.part").read_bytes() == b"the user's own file"


# --------------------------------------------------------------- path safety

BAD_PATHS = ["../../x", "/etc/x", "a/../../b", "a/../b", "a\\b", "x\x00y", "", ".", "C:/x"]


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
@pytest.mark.parametrize("bad", BAD_PATHS)
def test_unsafe_paths_are_refused_before_any_request(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path, bad: str
) -> None:
    root = tmp_path / "out"
    items = [DownloadItem(url("1"), "good.txt", 1), DownloadItem(url("2"), bad, 1)]
    with pytest.raises(ValidationError) as info:
        save(downloader(client, sleeps), items, root)
    assert repr(bad) in str(info.value)
    assert httpx_mock.get_requests() == []
    assert not root.exists()


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
def test_symlinked_directory_out_of_root_is_refused(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    items = [DownloadItem(url("1"), "ok.txt", 1), DownloadItem(url("2"), "link/x.txt", 1)]
    with pytest.raises(ValidationError, match=re.escape("'link/x.txt'")):
        save(downloader(client, sleeps), items, root)
    assert httpx_mock.get_requests() == []
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in root.iterdir()) == ["link"]


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
def test_root_path_that_is_a_file_is_refused(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(ValidationError, match="afile"):
        save(downloader(client, sleeps), [DownloadItem(url("1"), "f", 1)], target)
    assert httpx_mock.get_requests() == []
    assert target.read_text() == "x"


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
def test_duplicate_targets_are_refused(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    items = [DownloadItem(url("1"), "a/b", 1), DownloadItem(url("2"), "./a//b", 1)]
    with pytest.raises(ValidationError, match="same target"):
        save(downloader(client, sleeps), items, tmp_path)
    assert httpx_mock.get_requests() == []


def test_resolve_target_normalises_safe_paths(tmp_path: Path) -> None:
    assert resolve_target(tmp_path, "./a//b/c.txt") == tmp_path.resolve() / "a" / "b" / "c.txt"
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert resolve_target(tmp_path, "alias/f") == tmp_path.resolve() / "real" / "f"


def test_invalid_settings_are_refused(client: httpx.Client) -> None:
    with pytest.raises(ValidationError):
        Downloader(client, concurrency=0)
    with pytest.raises(ValidationError):
        Downloader(client, max_retries=-1)


# ------------------------------------------------------- progress and cancel


def test_no_progress_bar_when_off_and_callback_ends_at_total(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    sleeps: Sleeps,
    capsys: pytest.CaptureFixture[str],
) -> None:
    datas = [blob(10), blob(MIB + 1), b""]
    for i, data in enumerate(datas):
        httpx_mock.add_response(url=url(str(i)), content=data)
    total = sum(map(len, datas))
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def callback(done: int, total_: int) -> None:
        with lock:
            seen.append((done, total_))

    items = [DownloadItem(url(str(i)), f"f{i}", len(d)) for i, d in enumerate(datas)]
    fetch(downloader(client, sleeps, progress=False, callback=callback), items)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert seen[0] == (0, total)
    assert seen[-1] == (total, total)
    dones = [done for done, _ in seen]
    assert dones == sorted(dones)


def test_auto_progress_is_off_when_stderr_is_not_a_tty(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, capsys: pytest.CaptureFixture[str]
) -> None:
    httpx_mock.add_response(content=b"abc")
    fetch(downloader(client, sleeps, progress=None), [DownloadItem(url("1"), "f", 3)])
    assert capsys.readouterr().err == ""


def test_progress_bar_when_on(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, capsys: pytest.CaptureFixture[str]
) -> None:
    httpx_mock.add_response(url=url("1"), content=b"abc")
    httpx_mock.add_response(url=url("2"), content=b"defg")
    items = [DownloadItem(url("1"), "f1", 3), DownloadItem(url("2"), "f2", 4)]
    fetch(downloader(client, sleeps, progress=True), items)
    err = capsys.readouterr().err
    assert "Downloading 2 files" in err
    assert "2/2 files" in err
    assert "7.00/7.00" in err


def test_failure_stops_remaining_downloads(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=url("0"), status_code=403)
    for i in range(1, 10):
        httpx_mock.add_response(url=url(str(i)), content=b"x", is_optional=True)
    items = [DownloadItem(url(str(i)), f"f{i}", 1) for i in range(10)]
    with pytest.raises(DownloadError) as info:
        save(downloader(client, sleeps, concurrency=1), items, tmp_path)
    assert info.value.status_code == 403
    assert len(httpx_mock.get_requests()) == 1
    assert list(tmp_path.iterdir()) == []


def test_in_flight_download_is_cancelled_when_another_fails(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    started = threading.Event()

    class SlowStream(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            started.set()
            for _ in range(500):
                yield b"y" * 10
                threading.Event().wait(0.002)

    def slow(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000"}, stream=SlowStream())

    def failing(request: httpx.Request) -> httpx.Response:
        started.wait(5)
        return httpx.Response(404)

    httpx_mock.add_callback(slow, url=url("slow"))
    httpx_mock.add_callback(failing, url=url("bad"))
    items = [DownloadItem(url("slow"), "slow.bin", 5000), DownloadItem(url("bad"), "bad.bin", 1)]
    with pytest.raises(DownloadError) as info:
        save(downloader(client, sleeps, concurrency=2), items, tmp_path)
    assert info.value.status_code == 404
    assert list(tmp_path.iterdir()) == []


def test_empty_list_does_nothing(client: httpx.Client, sleeps: Sleeps, tmp_path: Path) -> None:
    assert fetch(downloader(client, sleeps), []) == []
    assert save(downloader(client, sleeps), [], tmp_path / "new") == []
    assert os.path.isdir(tmp_path / "new")


def test_large_fetch_spools_and_resumes(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files over the spool threshold go through a temporary file, byte-exact and resumable."""
    monkeypatch.setattr(C, "MEMORY_SPOOL_THRESHOLD", 1000)
    import tempfile

    spooled: list[int] = []
    real = tempfile.TemporaryFile

    def counting(*args: object, **kwargs: object) -> object:
        spooled.append(1)
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    data = blob(5000, seed=7)
    httpx_mock.add_response(url=url("big"), stream=DroppingStream(data[:1500]), headers=ETAG)
    httpx_mock.add_response(url=url("big"), **vars_of(partial(data[1500:], 1500, len(data))))
    small = blob(10, seed=8)
    httpx_mock.add_response(url=url("small"), content=small)
    items = [DownloadItem(url("big"), "big.bin", len(data)), DownloadItem(url("small"), "s", 10)]
    assert fetch(downloader(client, sleeps, concurrency=1), items) == [data, small]
    ranges = [r.headers.get("Range") for r in httpx_mock.get_requests()]
    assert "bytes=1500-" in ranges
    assert spooled == [1]


def vars_of(response: httpx.Response) -> dict[str, object]:
    return {
        "status_code": response.status_code,
        "content": response.content,
        "headers": dict(response.headers),
    }


# ----------------------------------------------------- pipeline, concurrency, skipping


def test_feed_hands_files_over_as_they_arrive_and_fails_with_its_producer(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    httpx_mock.add_callback(
        lambda request: httpx.Response(200, content=b"abc"), is_reusable=True, is_optional=True
    )
    dl = downloader(client, sleeps)
    feed = DownloadFeed()
    targets = {i: tmp_path / f"f{i}" for i in range(4)}

    def produce() -> None:
        feed.put([(0, DownloadItem(url("0"), "f0", 3)), (1, DownloadItem(url("1"), "f1", 3))])
        feed.put([(2, DownloadItem(url("2"), "f2", 3))], latency=0.001)
        feed.fail(ValidationError("the ID request for the last file failed"))

    threading.Thread(target=produce).start()
    with pytest.raises(ValidationError, match="last file failed"):
        dl.run_save(feed, targets, 4, 12)
    assert feed.cancelled
    with pytest.raises(RuntimeError):
        feed.put([(3, DownloadItem(url("3"), "f3", 3))])
    assert not list(tmp_path.glob(".*gwcloud-part*"))


def test_feed_pipeline_saves_everything_in_order(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    httpx_mock.add_callback(
        lambda request: httpx.Response(200, content=request.url.params["fileId"].encode()),
        is_reusable=True,
    )
    feed = DownloadFeed()
    targets = {i: tmp_path / f"d/f{i}" for i in range(30)}

    def produce() -> None:
        for start in range(0, 30, 7):
            feed.put(
                (i, DownloadItem(url(f"{i:02d}"), f"d/f{i}", 2))
                for i in range(start, start + 7)
                if i < 30
            )
        feed.close()

    threading.Thread(target=produce).start()
    result = downloader(client, sleeps).run_save(feed, targets, 30, 60)
    assert result == targets
    assert all(targets[i].read_bytes() == f"{i:02d}".encode() for i in range(30))


def test_concurrency_grows_for_a_slow_server_and_stays_bounded(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(C.HIGH_LATENCY_SECONDS * 2)  # every answer starts late: a distant server
        return httpx.Response(200, content=b"x")

    httpx_mock.add_callback(slow, is_reusable=True)
    items = [DownloadItem(url(str(n)), f"f{n}", 1) for n in range(80)]
    auto = downloader(client, sleeps)
    assert fetch(auto, items) == [b"x"] * 80
    assert C.LOW_LATENCY_CONCURRENCY < auto.peak_workers <= C.MAX_DOWNLOAD_CONCURRENCY
    fixed = downloader(client, sleeps, concurrency=3)
    assert fetch(fixed, items[:10]) == [b"x"] * 10
    assert fixed.peak_workers == 3
    few = downloader(client, sleeps)
    fetch(few, items[:2])
    assert few.peak_workers <= 2  # never more workers than files


@pytest.mark.parametrize("bounds", [True, False])
def test_quick_answers_from_the_same_host_outweigh_queued_first_answers(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path, bounds: bool
) -> None:
    # The first answers start late (they queue behind the server's other work), but a
    # GraphQL answer from the same host took 3 ms: the link is fast, so 8 transfers suffice.
    # When the files come from another host (bounds=False) that answer says nothing of it.
    late = [8]
    lock = threading.Lock()

    def queued(request: httpx.Request) -> httpx.Response:
        with lock:
            wait = late[0] > 0
            late[0] -= 1
        if wait:
            time.sleep(C.HIGH_LATENCY_SECONDS * 3)
        else:
            time.sleep(0.002)
        return httpx.Response(200, content=b"x")

    httpx_mock.add_callback(queued, is_reusable=True)
    feed = DownloadFeed(bounds_downloads=bounds)
    feed.put(
        ((n, DownloadItem(url(str(n)), f"f{n}", 1)) for n in range(120)),
        latency=0.003,
    )
    feed.close()
    targets = {n: tmp_path / f"f{n}" for n in range(120)}
    auto = downloader(client, sleeps)
    assert auto.run_save(feed, targets, 120, 120) == targets
    if bounds:
        assert 0 < auto.peak_workers <= C.LOW_LATENCY_CONCURRENCY
    else:
        assert auto.peak_workers > C.LOW_LATENCY_CONCURRENCY


def test_save_skip_existing_requests_only_missing_files(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    (tmp_path / "same.bin").write_bytes(b"1234")
    (tmp_path / "short.bin").write_bytes(b"12")
    httpx_mock.add_callback(lambda request: httpx.Response(200, content=b"abcd"), is_reusable=True)
    items = [
        DownloadItem(url("1"), "same.bin", 4),
        DownloadItem(url("2"), "short.bin", 4),
        DownloadItem(url("3"), "new.bin", 4),
    ]
    paths = save(downloader(client, sleeps), items, tmp_path, skip_existing=True)
    assert [p.read_bytes() for p in paths] == [b"1234", b"abcd", b"abcd"]
    assert sorted(r.url.params["fileId"] for r in httpx_mock.get_requests()) == ["2", "3"]


def test_if_range_carries_the_first_answers_validator(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    data = blob(100)
    httpx_mock.add_response(
        stream=DroppingStream(data[:30]), headers={"ETag": '"abc"', "Content-Length": "100"}
    )
    httpx_mock.add_response(
        status_code=206,
        content=data[30:],
        headers={"Content-Range": "bytes 30-99/100", "ETag": '"abc"'},
    )
    assert fetch(downloader(client, sleeps), [DownloadItem(url("1"), "f", 100)]) == [data]
    second = httpx_mock.get_requests()[1]
    assert second.headers["Range"] == "bytes=30-" and second.headers["If-Range"] == '"abc"'


def test_weak_etag_is_not_used_for_if_range(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps
) -> None:
    data = blob(50)
    httpx_mock.add_response(
        stream=DroppingStream(data[:10]), headers={"ETag": 'W/"abc"', "Content-Length": "50"}
    )
    httpx_mock.add_response(content=data)
    assert fetch(downloader(client, sleeps), [DownloadItem(url("1"), "f", 50)]) == [data]
    # A weak tag proves no version: the retry asks for the whole file, not a range.
    assert "If-Range" not in httpx_mock.get_requests()[1].headers
    assert "Range" not in httpx_mock.get_requests()[1].headers


@pytest.mark.parametrize("which", [0, 1])
def test_names_of_temporary_files_are_refused_in_any_case(tmp_path: Path, which: int) -> None:
    # The clash check is skipped when no final name ends like a temporary one; it must
    # still see a temporary or resume-data name written in another case.
    own = temporary_paths(tmp_path / "x.png")[which].name
    with pytest.raises(ValidationError, match="clashes with the temporary file"):
        resolve_targets(tmp_path, ["x.png", own.upper()])
    assert resolve_targets(tmp_path, ["x.png", "y.png"])[1] == tmp_path.resolve() / "y.png"


def test_symlink_in_an_existing_directory_is_still_followed_and_checked(tmp_path: Path) -> None:
    # Files in a directory that does not exist yet skip the symlink lookup; one that
    # exists must not.
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "sub" / "link").symlink_to(outside / "victim")
    with pytest.raises(ValidationError, match="outside the output directory"):
        resolve_targets(root, ["new/a.txt", "sub/link"])
    assert resolve_targets(root, ["new/a.txt"])[0] == root.resolve() / "new" / "a.txt"


def test_short_writes_are_completed(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    sleeps: Sleeps,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # os.write may take only part of a chunk (a signal, a nearly full disk); the rest
    # must follow, in order.
    data = bytes(range(256)) * 400
    httpx_mock.add_response(url=url("1"), content=data)
    real_write = os.write
    calls = [0]

    def short(fd: int, chunk: bytes | memoryview) -> int:
        calls[0] += 1
        return real_write(fd, bytes(chunk[:1000]))

    import gwcloud_python._files as files_module

    monkeypatch.setattr(files_module.os, "write", short)
    saved = save(downloader(client, sleeps), [DownloadItem(url("1"), "d.bin", len(data))], tmp_path)
    monkeypatch.undo()
    assert saved[0].read_bytes() == data
    assert calls[0] >= len(data) // 1000


def test_a_killed_run_of_a_grown_file_resumes_past_the_listed_size(
    httpx_mock: HTTPXMock, client: httpx.Client, sleeps: Sleeps, tmp_path: Path
) -> None:
    # A killed run left 2.5 MiB of a file listed at 2 MiB whose answer announced 3 MiB.
    from gwcloud_python._resume import _Validators, _write_sidecar

    listed, whole, done = 2 * 1024 * 1024, 3 * 1024 * 1024, 5 * 512 * 1024
    data = blob(whole, seed=3)
    part, sidecar = temporary_paths(tmp_path.resolve() / "log.txt")
    part.write_bytes(data[:done])
    _write_sidecar(sidecar, listed, _Validators('"v1"'), whole)
    httpx_mock.add_response(**vars_of(partial(data[done:], done, whole)))
    [path] = save(downloader(client, sleeps), [DownloadItem(url("1"), "log.txt", listed)], tmp_path)
    assert path.read_bytes() == data
    [request] = httpx_mock.get_requests()
    assert request.headers["Range"] == f"bytes={done}-" and request.headers["If-Range"] == '"v1"'
    assert not part.exists() and not sidecar.exists()

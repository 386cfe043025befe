"""Temporary download files never collide with the user's files.

Downloads are written to hidden ``.<name>.<tag>.gwcloud-part`` files, so a
user's own ``<name>.part`` (or any other file) is never opened, replaced or
deleted, whether the download succeeds or fails.  Two listed names that are one
file on macOS or Windows (they differ only by case or Unicode normalisation)
are refused before any request.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import httpx
import pytest
from _downloads import save
from pytest_httpx import HTTPXMock

from gwcloud_python import DownloadError, ValidationError
from gwcloud_python import _constants as C
from gwcloud_python._files import Downloader, DownloadItem, temporary_paths

from ._helpers import snapshot
from .conftest import Recorder

GROUP = "downloads: temporary files"
INV = "no file of the user's is touched; one file never gets two names"
URL = "https://files.example.org/dl?fileId="


def _downloader(client: httpx.Client, **options: object) -> Downloader:
    return Downloader(client, progress=False, sleep=lambda _: None, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_users_part_file_is_never_touched(
    rel: Recorder,
    httpx_mock: HTTPXMock,
    mock_http: httpx.Client,
    tmp_path: Path,
    outcome: str,
) -> None:
    rel.classify(GROUP, f"user's own <name>.part, download {outcome}", INV)
    users = {
        "x.json.part": b"my notes",
        ".x.json.part": b"hidden notes",
        "x.json.gwcloud-part": b"odd but mine",
    }
    for name, data in users.items():
        (tmp_path / name).write_bytes(data)
    if outcome == "success":
        httpx_mock.add_response(content=b"{}")
    else:
        httpx_mock.add_response(status_code=500, is_reusable=True)
    item = DownloadItem(URL + "1", "x.json", 2)
    if outcome == "success":
        [path] = save(_downloader(mock_http), [item], tmp_path)
        assert path.read_bytes() == b"{}"
    else:
        with pytest.raises(DownloadError) as info:
            save(_downloader(mock_http, max_retries=1), [item], tmp_path)
        rel.typed_error(info.value)
    for name, data in users.items():
        assert (tmp_path / name).read_bytes() == data
    expected = set(users) | ({"x.json"} if outcome == "success" else set())
    assert {p.name for p in tmp_path.iterdir()} == expected
    rel.nothing_lost()


def test_temporary_names_are_hidden_stable_and_not_the_users(rel: Recorder) -> None:
    rel.classify(GROUP, "temporary names: hidden, stable across runs, never <name>.part", INV)
    final = Path("/out/result/x_corner.png")
    part, sidecar = temporary_paths(final)
    assert part.parent == final.parent and sidecar.parent == final.parent
    assert part.name.startswith(".x_corner.png.") and part.name.endswith(C.PART_SUFFIX)
    assert sidecar.name == part.name + C.SIDECAR_SUFFIX
    assert temporary_paths(final) == (part, sidecar)  # found again by the next run
    assert part.name != final.name + ".part"
    assert temporary_paths(final.with_name("y.png"))[0] != part
    rel.nothing_lost()


def test_very_long_names_get_short_temporary_names(
    rel: Recorder, httpx_mock: HTTPXMock, mock_http: httpx.Client, tmp_path: Path
) -> None:
    rel.classify(GROUP, "final name near the file-name length limit", INV)
    name = "é" * 120 + ".json"  # 245 bytes in UTF-8: no room for a longer temporary name
    _, sidecar = temporary_paths(tmp_path / name)
    assert len(os.fsencode(sidecar.name)) <= 255
    httpx_mock.add_response(content=b"[]")
    [path] = save(_downloader(mock_http), [DownloadItem(URL + "1", name, 2)], tmp_path)
    assert path.read_bytes() == b"[]"
    assert [p.name for p in tmp_path.iterdir()] == [name]
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.parametrize(
    "names",
    [
        ["result/Corner.png", "result/corner.png"],
        ["Result/a.png", "result/a.png"],
        [unicodedata.normalize("NFC", "café.png"), unicodedata.normalize("NFD", "café.png")],
        ["STRASSE.txt", "straße.txt"],
    ],
    ids=["case", "directory-case", "nfc-nfd", "case-fold"],
)
def test_names_equal_on_macos_or_windows_are_one_target(
    rel: Recorder, mock_http: httpx.Client, tmp_path: Path, names: list[str]
) -> None:
    rel.classify(GROUP, "two names for one file (case, Unicode normalisation)", INV)
    items = [DownloadItem(URL + str(n), name, 1) for n, name in enumerate(names)]
    before = snapshot(tmp_path)
    with pytest.raises(ValidationError) as info:
        save(_downloader(mock_http), items, tmp_path / "out")
    assert repr(names[1]) in str(info.value) and "same target" in str(info.value)
    assert snapshot(tmp_path) == before  # nothing requested (pytest-httpx has no answers)
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_listed_name_equal_to_a_temporary_name_is_refused(
    rel: Recorder, mock_http: httpx.Client, tmp_path: Path
) -> None:
    rel.classify(GROUP, "listed file named like another's temporary file", INV)
    temporary = temporary_paths(tmp_path / "x.png")[0].name
    items = [DownloadItem(URL + "1", "x.png", 1), DownloadItem(URL + "2", temporary.upper(), 1)]
    with pytest.raises(ValidationError) as info:
        save(_downloader(mock_http), items, tmp_path)
    assert "temporary file" in str(info.value)
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_leftover_temporary_file_of_ours_is_replaced_not_trusted(
    rel: Recorder, httpx_mock: HTTPXMock, mock_http: httpx.Client, tmp_path: Path
) -> None:
    rel.classify(GROUP, "leftover temporary file of a small file", INV)
    part, _ = temporary_paths(tmp_path.resolve() / "x.bin")
    part.write_bytes(b"stale")
    httpx_mock.add_response(content=b"fresh!")
    [path] = save(_downloader(mock_http), [DownloadItem(URL + "1", "x.bin", 6)], tmp_path)
    assert path.read_bytes() == b"fresh!"
    assert "Range" not in httpx_mock.get_requests()[0].headers
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]
    rel.byte_exact()
    rel.nothing_lost()

"""GWFlow bulk calls on the client: ``mirror_gwflow_files`` and ``save_gwflow_files``.

Requests are pinned at the HTTP layer (pytest-httpx): which files are uploaded or
downloaded, what is reported, and that unsafe input stops before any request.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from _gql_fake import SENTINEL_TOKEN, FakeGraphQL
from _gwflow_fake import DOWNLOAD, ENDPOINT, ingest, md5hex, rid

from gwcloud_python import AsyncGWCloud, GWCloud
from gwcloud_python._gwflow_layout import local_relative_path
from gwcloud_python.exceptions import AuthenticationError, NotFoundError, ValidationError
from gwcloud_python.gwflow_mirror import GWFlowMirrorSummary


def record(pk: int, path: str, md5: str = "", uid: str = "", sname: str = "S230101a") -> Any:
    return {
        "id": rid("GWFlowFileNode", pk),
        "sname": sname,
        "analysisUid": uid,
        "path": path,
        "fileName": path.rsplit("/", 1)[-1],
        "md5Sum": md5,
    }


def pending_answer(*records: Any) -> Any:
    return {"data": {"gwflowPendingFiles": list(records)}}


def uploaded_ids(fake_gql: FakeGraphQL) -> list[str]:
    return [v["input"]["gwflowFileId"] for op, v, _ in fake_gql.calls if op == "UploadGwflowFile"]


def upload_ok(variables: dict[str, Any], _request: httpx.Request) -> Any:
    return {"data": {"uploadGwflowFile": {"result": {"success": True, "fileSize": 5}}}}


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- the layout -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sname", "uid", "path", "expected"),
    [
        ("S230101a", "", "a.txt", "S230101a/a.txt"),
        ("S230101a", "pe1", "/home/pe/a.txt", "S230101a/pe1/home/pe/a.txt"),
        ("S230101a", "pe1", "CIT:/home/pe/a.txt", "S230101a/pe1/CIT/home/pe/a.txt"),
        ("S230101a", "", "x:y/z", "S230101a/x:y/z"),  # only a leading cluster prefix
    ],
)
def test_layout(sname: str, uid: str, path: str, expected: str) -> None:
    assert local_relative_path(sname, uid, path) == expected


@pytest.mark.parametrize(
    ("sname", "uid", "path"),
    [("", "", "a"), ("../x", "", "a"), ("S1", "..", "a"), ("S1", "a/b", "a"), ("S1", "", "/")],
)
def test_layout_refuses_names_that_are_not_one_folder(sname: str, uid: str, path: str) -> None:
    with pytest.raises(ValidationError):
        local_relative_path(sname, uid, path)


# -- mirror -----------------------------------------------------------------------------


def test_mirror_uploads_only_files_whose_local_md5_matches(
    fake_gql: FakeGraphQL, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "tree"
    good = write(root / "S230101a" / "pe1" / "good.h5", b"good!")
    write(root / "S230101a" / "changed.h5", b"other bytes")
    loose = write(root / "S230101a" / "loose.txt", b"no md5 registered")
    write(root / "S230101a" / "upper.h5", b"upper")
    fake_gql.on(
        "GwflowPendingFiles",
        pending_answer(
            record(1, "good.h5", md5hex(b"good!"), uid="pe1"),
            record(2, "changed.h5", md5hex(b"what was registered")),
            record(3, "missing.h5", md5hex(b"x")),
            record(4, "../../escape.h5", md5hex(b"x")),
            record(5, "loose.txt"),
            # the service compares a lower-case digest: no upload can match this one
            record(6, "upper.h5", md5hex(b"upper").upper()),
        ),
    )
    fake_gql.on("UploadGwflowFile", upload_ok)
    gw = ingest(fake_gql)
    with caplog.at_level(logging.WARNING, "gwcloud_python"):
        summary = gw.mirror_gwflow_files(root)
    assert isinstance(summary, GWFlowMirrorSummary)
    assert sorted(uploaded_ids(fake_gql)) == sorted(
        [rid("GWFlowFileNode", 1), rid("GWFlowFileNode", 5)]
    )
    assert [(m.record.path, m.path) for m in summary.uploaded] == [
        ("good.h5", good),
        ("loose.txt", loose),
    ]
    reasons = {s.record.path: s.reason for s in summary.skipped}
    assert set(reasons) == {"changed.h5", "missing.h5", "../../escape.h5", "upper.h5"}
    assert "is not lower case" in reasons["upper.h5"]
    assert "differs from the registered" in reasons["changed.h5"]
    assert "no local file" in reasons["missing.h5"]
    assert reasons["../../escape.h5"].startswith("unsafe path")
    assert summary.failed == []
    assert str(summary) == "2 uploaded, 4 skipped, 0 failed"
    assert "GWFlow mirror: 2 uploaded, 4 skipped, 0 failed" in caplog.text


def test_mirror_reports_a_refused_upload_and_goes_on(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    for name in ("a.h5", "b.h5"):
        write(root / "S230101a" / name, name.encode())

    def answer(variables: dict[str, Any], request: httpx.Request) -> Any:
        if variables["input"]["gwflowFileId"] == rid("GWFlowFileNode", 1):
            return {"errors": [{"message": "MD5 checksum mismatch"}], "data": None}
        return upload_ok(variables, request)

    fake_gql.on(
        "GwflowPendingFiles",
        pending_answer(record(1, "a.h5", md5hex(b"a.h5")), record(2, "b.h5", md5hex(b"b.h5"))),
    )
    fake_gql.on("UploadGwflowFile", answer)
    summary = ingest(fake_gql).mirror_gwflow_files(root, concurrency=1)
    assert [m.record.path for m in summary.uploaded] == ["b.h5"]
    assert [(f.record.path, "MD5 checksum mismatch" in f.reason) for f in summary.failed] == [
        ("a.h5", True)
    ]
    assert summary.skipped == []


def test_mirror_takes_a_mapping_or_a_function(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    one = write(tmp_path / "anywhere" / "one.bin", b"1")
    two = write(tmp_path / "elsewhere" / "two.bin", b"2")
    fake_gql.on(
        "GwflowPendingFiles",
        pending_answer(
            record(1, "/cit/one.bin", md5hex(b"1")),
            record(2, "/cit/two.bin", md5hex(b"2"), uid="pe"),
            record(3, "/cit/three.bin", md5hex(b"3")),
        ),
    )
    fake_gql.on("UploadGwflowFile", upload_ok)
    gw = ingest(fake_gql)
    mapping = {rid("GWFlowFileNode", 1): one, ("S230101a", "pe", "/cit/two.bin"): two}
    by_mapping = gw.mirror_gwflow_files(mapping)
    assert [m.path for m in by_mapping.uploaded] == [one, two]
    assert [s.reason for s in by_mapping.skipped] == ["no local file given"]

    by_function = gw.mirror_gwflow_files(lambda r: one if r.path.endswith("one.bin") else None)
    assert [m.path for m in by_function.uploaded] == [one]
    assert len(by_function.skipped) == 2


def test_mirror_reports_overall_progress_once(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    sizes = {"a.h5": 3000, "b.h5": 5000}
    for name, size in sizes.items():
        write(root / "S230101a" / name, b"x" * size)
    fake_gql.on(
        "GwflowPendingFiles",
        pending_answer(
            *(record(n, name, md5hex(b"x" * size)) for n, (name, size) in enumerate(sizes.items()))
        ),
    )
    fake_gql.on("UploadGwflowFile", upload_ok)
    seen: list[tuple[int, int]] = []
    gw = ingest(fake_gql, progress_callback=lambda done, total: seen.append((done, total)))
    gw.mirror_gwflow_files(root)
    assert seen and {total for _, total in seen} == {8000}
    assert seen[-1] == (8000, 8000)


def test_mirror_checks_its_arguments_before_any_request(
    fake_gql: FakeGraphQL, tmp_path: Path
) -> None:
    anonymous = GWCloud(endpoint=ENDPOINT, progress=False)
    with pytest.raises(AuthenticationError):
        anonymous.mirror_gwflow_files(tmp_path)
    gw = ingest(fake_gql)
    with pytest.raises(ValidationError, match="not a directory"):
        gw.mirror_gwflow_files(tmp_path / "nope")
    with pytest.raises(ValidationError, match="concurrency"):
        gw.mirror_gwflow_files(tmp_path, concurrency=0)
    with pytest.raises(ValidationError, match="local_root_or_mapping"):
        gw.mirror_gwflow_files(42)  # type: ignore[arg-type]
    assert [op for op, _, _ in fake_gql.calls if op != "SessionUser"] == []


# -- save -------------------------------------------------------------------------------


def job_answer(files: list[dict[str, Any]], sname: str = "S230101a") -> Any:
    return {
        "data": {
            "gwflowJobBySname": {
                "id": rid("GWFlowJob", 3),
                "sname": sname,
                "schemaVersion": "",
                "libraries": "[]",
                "isPruned": False,
                "currentHistoryId": "",
                "currentHistoryTimestamp": None,
                "creationTime": "2026-01-01T10:00:00+00:00",
                "lastUpdated": "2026-01-02 03:04:05 UTC",
                "eventId": None,
                "files": files,
                "bilbyJobs": [],
            }
        }
    }


def gw_file(pk: int, path: str, data: bytes | None, uid: str = "") -> dict[str, Any]:
    return {
        "id": rid("GWFlowFileNode", pk),
        "analysisUid": uid,
        "path": path,
        "fileName": path.rsplit("/", 1)[-1],
        "fileSize": None if data is None else len(data),
        "uploaded": data is not None,
        "downloadToken": f"00000000-0000-4000-8000-{pk:012d}",
    }


def test_save_lays_files_out_and_skips_what_is_not_uploaded(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = [
        gw_file(1, "CIT:/home/pe/result.json", b"{}", uid="pe1"),
        gw_file(2, "summary.txt", b"summary"),
        gw_file(3, "later.h5", None),
    ]
    fake_gql.on("GwflowJobBySname", job_answer(files))
    for f, body in ((files[0], b"{}"), (files[1], b"summary")):
        httpx_mock.add_response(url=DOWNLOAD + f["downloadToken"], content=body)
    gw = ingest(fake_gql)
    with caplog.at_level(logging.WARNING, "gwcloud_python"):
        saved = gw.save_gwflow_files("S230101a", tmp_path)
    assert saved == [
        tmp_path / "S230101a" / "pe1" / "CIT" / "home" / "pe" / "result.json",
        tmp_path / "S230101a" / "summary.txt",
    ]
    assert [p.read_bytes() for p in saved] == [b"{}", b"summary"]
    assert "1 file(s) of S230101a are not mirrored" in caplog.text
    downloads = [r for r in httpx_mock.get_requests() if r.method == "GET"]
    assert all(r.headers["authorization"] == SENTINEL_TOKEN for r in downloads)

    # Again, with skip_existing and one analysis: nothing is fetched.
    before = len(httpx_mock.get_requests())
    again = gw.save_gwflow_files("S230101a", tmp_path, analysis_uid="pe1", skip_existing=True)
    assert again == saved[:1]
    assert [r for r in httpx_mock.get_requests()[before:] if r.method == "GET"] == []


def test_save_refuses_a_hostile_path_before_any_download(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    fake_gql.on(
        "GwflowJobBySname",
        job_answer([gw_file(1, "ok.txt", b"ok"), gw_file(2, "../../../outside.txt", b"x")]),
    )
    with pytest.raises(ValidationError):
        ingest(fake_gql).save_gwflow_files("S230101a", tmp_path / "out")
    assert [r for r in httpx_mock.get_requests() if r.method == "GET"] == []
    assert not (tmp_path / "outside.txt").exists()


def test_save_of_a_missing_job_is_not_found(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    fake_gql.on("GwflowJobBySname", {"data": {"gwflowJobBySname": None}})
    with pytest.raises(NotFoundError, match="S230101a"):
        ingest(fake_gql).save_gwflow_files("S230101a", tmp_path)


def test_async_bulk_calls(fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path) -> None:
    write(tmp_path / "tree" / "S230101a" / "a.h5", b"abc")
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    fake_gql.on("GwflowPendingFiles", pending_answer(record(1, "a.h5", md5hex(b"abc"))))
    fake_gql.on("UploadGwflowFile", upload_ok)
    fake_gql.on("GwflowJobBySname", job_answer([gw_file(1, "a.h5", b"abc")]))
    httpx_mock.add_response(
        url=DOWNLOAD + gw_file(1, "a.h5", b"abc")["downloadToken"], content=b"abc"
    )

    async def main() -> tuple[GWFlowMirrorSummary, list[Path]]:
        async with AsyncGWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, progress=False) as gw:
            summary = await gw.mirror_gwflow_files(tmp_path / "tree")
            saved = await gw.save_gwflow_files("S230101a", tmp_path / "out")
            return summary, list(saved)

    summary, saved = asyncio.run(main())
    assert [m.record.path for m in summary.uploaded] == ["a.h5"]
    assert saved == [tmp_path / "out" / "S230101a" / "a.h5"]
    assert saved[0].read_bytes() == b"abc"

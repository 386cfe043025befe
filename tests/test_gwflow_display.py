"""How the GWFlow objects render as text and as HTML (issue #23, item 2, "GWFlow objects")."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gwcloud_python.gwflow_event_id import GWFlowEventID
from gwcloud_python.gwflow_file import GWFlowFile, GWFlowFileList
from gwcloud_python.gwflow_job import GWFlowJob, GWFlowJobList
from gwcloud_python.gwflow_job_upsert_result import GWFlowJobUpsertResult
from gwcloud_python.gwflow_linked_bilby_job import GWFlowLinkedBilbyJob
from gwcloud_python.gwflow_mirror import GWFlowMirrorSummary, MirroredFile, UnmirroredFile
from gwcloud_python.gwflow_pending_file import GWFlowPendingFile, GWFlowPendingFileList

HOSTILE = '<script>alert(1)</script>"onmouseover=x'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=x"
TOKEN = "permanent-download-token-5678"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def gw_file(n: int, *, path: str = "Bilby/run_{}/result.json", **extra: Any) -> GWFlowFile:
    fields: dict[str, Any] = {
        "id": f"f{n}",
        "analysis_uid": "bilby-1",
        "path": path.format(n),
        "file_name": "result.json",
        "file_size": 1024 * (n + 1),
        "uploaded": True,
        "download_token": TOKEN,
    }
    fields.update(extra)
    return GWFlowFile(**fields)


def pending(n: int, *, sname: str = "S230101a", path: str = "run_{}/data.h5") -> GWFlowPendingFile:
    return GWFlowPendingFile(f"p{n}", sname, "bilby-1", path.format(n), "data.h5", "ab" * 16)


def make_job(sname: str = "S230101a", n_files: int = 3, **extra: Any) -> GWFlowJob:
    fields: dict[str, Any] = {
        "id": "GWFlowJob:7",
        "sname": sname,
        "schema_version": "v2",
        "libraries": ["cbc-library", "o4-library"],
        "is_pruned": False,
        "current_history_id": "abc123",
        "current_history_timestamp": WHEN,
        "last_updated": WHEN,
        "creation_time": WHEN,
        "event_id": GWFlowEventID("GW230101_000000", "S230101a", "GW230101", 1356566418.0),
        "files": GWFlowFileList(gw_file(n) for n in range(n_files)),
        "bilby_jobs": [GWFlowLinkedBilbyJob("QmlsYnk6MQ==", "bilby-run", "bilby-1")],
    }
    fields.update(extra)
    return GWFlowJob(**fields)


def assert_escaped(page: str) -> None:
    assert "<script>" not in page and '"onmouseover' not in page
    assert ESCAPED in page
    assert TOKEN not in page


# --------------------------------------------------------------------------- the job


def test_job_str_shows_what_a_person_needs() -> None:
    text = str(make_job(n_files=12))
    lines = text.splitlines()
    assert lines[0] == "GWFlowJob S230101a"
    for needed in (
        "pruned:      no",
        "cbc-library, o4-library",
        "GW230101_000000 (GW230101)",
        "12 files, 78.0 KiB (12 uploaded)",
        "bilby-1/Bilby/run_0/result.json (1.0 KiB)",
        "... and 7 more",
        "bilby jobs:  1 linked",
        "bilby-run (QmlsYnk6MQ==) -> bilby-1",
        "2026-01-02 03:04:05+00:00",
    ):
        assert needed in text, needed
    assert TOKEN not in text


def test_listed_job_reads_with_dashes_not_none() -> None:
    job = GWFlowJob("GWFlowJob:1", "S1", "", [], True, "", None, None)
    text = str(job)
    assert "None" not in text and "pruned:      yes" in text and "libraries:   -" in text
    assert "0 files, 0 B (0 uploaded)" in text
    assert "None" not in job._repr_html_()


def test_job_repr_is_one_bounded_line() -> None:
    job = make_job(n_files=10_000)
    line = repr(job)
    assert line == (
        "GWFlowJob(sname='S230101a', id='GWFlowJob:7', is_pruned=False,"
        " files=10000 files, bilby_jobs=1)"
    )
    assert TOKEN not in line


def test_job_html_has_field_files_and_linked_tables_escaped() -> None:
    job = make_job(
        sname=HOSTILE,
        libraries=[HOSTILE],
        files=[gw_file(0, path=HOSTILE + "/{}.json"), gw_file(1, uploaded=False, file_size=None)],
        bilby_jobs=[GWFlowLinkedBilbyJob("id", HOSTILE, HOSTILE)],
    )
    page = job._repr_html_()
    assert_escaped(page)
    assert page.count("<table>") == 3
    assert "files: 2 files, 1.0 KiB (1 uploaded)" in page
    assert "linked Bilby jobs: 1" in page


def test_job_html_bounds_a_huge_manifest() -> None:
    page = make_job(n_files=5000)._repr_html_()
    files_table = page.split("<table>")[2]
    assert files_table.count("<tr>") == 1 + 50 + 1  # header, 50 files, "more" row
    assert "... and 4950 more" in files_table


def test_from_dict_gives_a_readable_files_list_that_is_still_a_list() -> None:
    job = GWFlowJob.from_dict(
        {
            "id": "GWFlowJob:1",
            "sname": "S1",
            "schemaVersion": "",
            "libraries": '["a"]',
            "isPruned": False,
            "currentHistoryId": "",
            "currentHistoryTimestamp": None,
            "lastUpdated": None,
            "files": [
                {
                    "id": "f0",
                    "analysisUid": "",
                    "path": "superevent.json",
                    "fileName": "superevent.json",
                    "fileSize": 10,
                    "uploaded": False,
                    "downloadToken": TOKEN,
                }
            ],
        }
    )
    assert isinstance(job.files, GWFlowFileList) and isinstance(job.files, list)
    assert job.files == [
        gw_file(
            0,
            analysis_uid="",
            path="superevent.json",
            file_size=10,
            file_name="superevent.json",
            uploaded=False,
        )
    ]
    assert str(job.files).splitlines() == [
        "GWFlowFileList: 1 file, 10 B (0 uploaded)",
        "  superevent.json (10 B, pending)",
    ]
    # equality and fields stay the dataclass's (gwcloud-python 3.0.0's)
    plain = dataclasses.replace(job, files=list(job.files))
    assert plain == job
    assert [f.name for f in dataclasses.fields(GWFlowJob)][-2:] == ["files", "bilby_jobs"]


def test_job_list_is_a_list_with_a_text_and_html_table() -> None:
    jobs = GWFlowJobList([make_job(), make_job("S230202b", is_pruned=True, event_id=None)])
    assert jobs == list(jobs) and jobs[:1] == [jobs[0]]
    lines = str(jobs).splitlines()
    assert lines[0] == "GWFlowJobList: 2 jobs"
    assert lines[1].split() == ["sname", "pruned", "event", "libraries", "updated"]
    assert lines[3].split()[:3] == ["S230101a", "no", "GW230101_000000"]
    assert lines[4].split()[:3] == ["S230202b", "yes", "-"]
    assert repr(jobs) == "GWFlowJobList(['S230101a', 'S230202b'])"
    page = GWFlowJobList([make_job(HOSTILE, libraries=[HOSTILE])] * 300)._repr_html_()
    assert_escaped(page)
    assert page.count("<tr>") == 1 + 50 + 1 and "... and 250 more" in page
    assert str(GWFlowJobList()).startswith("GWFlowJobList: 0 jobs")


# --------------------------------------------------------------------------- files


def test_file_str_and_html_hide_the_download_token() -> None:
    item = gw_file(1, path=HOSTILE)
    assert str(item) == f"bilby-1/{HOSTILE} (2.0 KiB)"
    assert (
        str(gw_file(0, analysis_uid="", uploaded=False))
        == "Bilby/run_0/result.json (1.0 KiB, pending)"
    )
    assert_escaped(item._repr_html_())
    # the repr stays the dataclass's, field by field (as gwcloud-python 3.0.0's)
    assert repr(gw_file(0)).startswith("GWFlowFile(id='f0', analysis_uid='bilby-1',")


def test_file_list_text_html_and_repr_are_bounded() -> None:
    files = GWFlowFileList(gw_file(n, path=HOSTILE + "/{}") for n in range(1000))
    lines = str(files).splitlines()
    assert lines[0] == "GWFlowFileList: 1000 files, 488.8 MiB (1000 uploaded)"
    assert len(lines) == 12 and lines[-1] == "  ... and 990 more"
    page = files._repr_html_()
    assert_escaped(page)
    assert page.count("<tr>") == 1 + 50 + 1
    line = repr(files)
    assert "\n" not in line and "990 more" in line and TOKEN not in line and len(line) < 2000


def test_pending_file_and_list() -> None:
    item = pending(0, sname=HOSTILE)
    assert str(item) == f"{HOSTILE} bilby-1/run_0/data.h5"
    assert_escaped(item._repr_html_())
    assert "ab" * 16 in item._repr_html_()
    files = GWFlowPendingFileList(pending(n) for n in range(12))
    assert files == [pending(n) for n in range(12)]
    lines = str(files).splitlines()
    assert lines[0] == "GWFlowPendingFileList: 12 files"
    assert lines[1] == "  S230101a bilby-1/run_0/data.h5" and lines[-1] == "  ... and 2 more"
    page = GWFlowPendingFileList([pending(0, path=HOSTILE)])._repr_html_()
    assert_escaped(page)
    assert "GWFlowPendingFileList: 1 file" in page


# --------------------------------------------------------------------------- upsert, mirror


def test_upsert_result_text_html_and_repr() -> None:
    result = GWFlowJobUpsertResult.from_dict(
        {
            "gwflowJobId": "R1dGbG93Sm9iTm9kZTo3",  # GWFlowJobNode:7, re-encoded as GWFlowJob:7
            "sname": HOSTILE,
            "created": True,
            "filesPending": [
                {
                    "id": "p1",
                    "sname": HOSTILE,
                    "analysisUid": "u",
                    "path": HOSTILE,
                    "fileName": "x",
                    "md5Sum": "00",
                }
            ],
            "removedFiles": [],
        }
    )
    assert isinstance(result.files_pending, GWFlowPendingFileList)
    text = str(result)
    assert text.splitlines()[0] == f"GWFlowJobUpsertResult {HOSTILE}"
    for needed in (
        "created:     yes",
        "pending:     1 file",
        "removed:     0 files",
        "job id:      R1dGbG93Sm9iOjc=",
        f"{HOSTILE} u/{HOSTILE}",
    ):
        assert needed in text, needed
    page = result._repr_html_()
    assert_escaped(page)
    assert page.count("<table>") == 2  # the result, its pending files (none removed)
    assert repr(result) == (
        f"GWFlowJobUpsertResult(job_id='R1dGbG93Sm9iOjc=', sname={HOSTILE!r}, created=True,"
        " files_pending=1 file, removed_files=0 files)"
    )
    same = dataclasses.replace(result, files_pending=list(result.files_pending))
    assert same == result


def test_mirror_summary_str_describe_and_html(tmp_path: Path) -> None:
    summary = GWFlowMirrorSummary(
        uploaded=[MirroredFile(pending(n), tmp_path / f"{n}.h5", 2048) for n in range(12)],
        skipped=[UnmirroredFile(pending(99, path=HOSTILE), "md5 differs: " + HOSTILE)],
        failed=[UnmirroredFile(pending(98), "HTTP 500")],
    )
    assert str(summary) == "12 uploaded, 1 skipped, 1 failed"  # the log line, unchanged
    assert repr(summary) == "GWFlowMirrorSummary(12 uploaded, 1 skipped, 1 failed)"
    text = summary.describe()
    lines = text.splitlines()
    assert lines[0] == "GWFlowMirrorSummary: 12 uploaded, 1 skipped, 1 failed (24.0 KiB uploaded)"
    assert "    ... and 2 more" in lines
    assert f"    S230101a bilby-1/{HOSTILE}: md5 differs: {HOSTILE}" in lines
    assert "    S230101a bilby-1/run_98/data.h5: HTTP 500" in lines
    page = summary._repr_html_()
    assert_escaped(page)
    rows = page.split("<tbody>")[1]
    assert rows.index("failed") < rows.index("skipped") < rows.index("uploaded")
    assert GWFlowMirrorSummary().describe() == (
        "GWFlowMirrorSummary: 0 uploaded, 0 skipped, 0 failed (0 B uploaded)"
    )


def test_event_and_linked_job_read_as_one_line() -> None:
    assert str(GWFlowEventID("GW1", None, None, 0.0)) == "GW1"
    assert str(GWFlowEventID("GW1", "S1", "nick", 0.0)) == "GW1 (nick)"
    assert str(GWFlowLinkedBilbyJob("id", "run", None)) == "run (id) -> -"

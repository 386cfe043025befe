"""How jobs, event IDs, file lists and job lists render as text and as HTML (issue #23)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from gwcloud_python import BilbyJob, EventID, FileReference, FileReferenceList, JobList

JOB_ID = "QmlsYnlKb2JOb2RlOjQ="
TOKEN = "secret-download-token-1234"
HOSTILE = '<script>alert(1)</script>"onmouseover=x'


def make_job(name: str = "GW150914-uploaded", **extra: Any) -> BilbyJob:
    fields: dict[str, Any] = {
        "description": "A run on GW150914",
        "user": "Ada Lovelace",
        "event_id": EventID(event_id="GW150914_095045", nickname="GW150914"),
        "job_status": {"name": "Completed", "date": "2021-01-02T03:04:05Z"},
        "private": False,
        "creation_time": "2021-01-01T00:00:00Z",
    }
    fields.update(extra)
    return BilbyJob(None, JOB_ID, name, **fields)


def refs(job: BilbyJob, count: int, path: str = "result/file_{}.json") -> FileReferenceList:
    return FileReferenceList(
        FileReference(path.format(n), 1024 * (n + 1), TOKEN, job) for n in range(count)
    )


def test_job_str_shows_what_a_person_needs() -> None:
    text = str(make_job(description="word " * 100))
    for needed in ("GW150914-uploaded", JOB_ID, "Completed", "GW150914_095045", "Ada Lovelace"):
        assert needed in text
    assert "private:     no" in text and "..." in text and "word " * 30 not in text


def test_job_missing_values_read_as_dash() -> None:
    job = BilbyJob(None, JOB_ID, "n", None, None, None, None)
    assert "None" not in str(job) and "status:      -" in str(job)
    assert "None" not in job._repr_html_()


def test_job_repr_is_unchanged_one_line() -> None:
    assert repr(make_job()) == f"BilbyJob(name='GW150914-uploaded', job_id={JOB_ID!r})"


def test_job_html_escapes_server_values() -> None:
    page = make_job(name=HOSTILE, description=HOSTILE, user=HOSTILE)._repr_html_()
    assert "<script>" not in page and '"onmouseover' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=x" in page
    assert page.startswith("<table>") and "Completed" in page


def test_event_id_str_and_html() -> None:
    event = EventID("GW150914_095045", "S150914a", "GW150914", True, 1126259462.4)
    assert str(event) == "GW150914_095045"  # composes in f-strings, as before
    text = event.describe()
    for needed in ("GW150914_095045", "S150914a", "GW150914", "1126259462.4", "yes"):
        assert needed in text
    bare = EventID("GW1").describe()
    assert "None" not in bare and "trigger id: -" in bare
    assert "\n" not in repr(event) and repr(event).startswith("EventID(")
    page = EventID(HOSTILE, nickname=HOSTILE)._repr_html_()
    assert "<script>" not in page and '"onmouseover' not in page and "&lt;script&gt;" in page


def test_file_reference_str_repr_html_hide_the_token() -> None:
    ref = FileReference(HOSTILE + ".json", 2048, TOKEN, make_job())
    assert str(ref) == f"{HOSTILE}.json (2.0 KiB)"
    assert TOKEN not in repr(ref) and TOKEN not in str(ref) and "\n" not in repr(ref)
    page = ref._repr_html_()
    assert TOKEN not in page and "<script>" not in page and '"onmouseover' not in page


def test_file_list_str_shows_count_size_and_first_paths() -> None:
    text = str(refs(make_job(), 25))
    lines = text.splitlines()
    assert lines[0] == "FileReferenceList: 25 files, 325.0 KiB"
    assert "result/file_0.json (1.0 KiB)" in lines[1]
    assert lines[-1].strip() == "... and 15 more" and len(lines) == 12
    assert str(FileReferenceList()) == "FileReferenceList: 0 files, 0 B"


def test_huge_file_list_renders_bounded() -> None:
    huge = refs(make_job(), 100_000, HOSTILE + "/{}.h5")
    page = huge._repr_html_()
    assert page.count("<tr>") == 1 + 50 + 1  # header, 50 files, "more" row
    assert "... and 99950 more" in page and "<script>" not in page and TOKEN not in page
    assert len(str(huge).splitlines()) == 12
    line = repr(huge)
    assert "\n" not in line and "99990 more" in line and TOKEN not in line and len(line) < 2000


def test_job_list_is_still_a_list() -> None:
    jobs = JobList([make_job("a"), make_job("b", job_type=1)])
    assert isinstance(jobs, list) and jobs == list(jobs) and jobs[:1] == [jobs[0]]
    assert JobList() == []


def test_job_list_str_is_a_text_table() -> None:
    jobs = JobList([make_job(), make_job("other", private=True, event_id=None, job_status=None)])
    lines = str(jobs).splitlines()
    assert lines[0] == "JobList: 2 jobs"
    assert lines[1].split() == ["name", "status", "event", "user", "private"]
    assert "GW150914-uploaded" in lines[3] and "Completed" in lines[3] and "no" in lines[3]
    assert lines[4].split()[:3] == ["other", "-", "-"] and lines[4].endswith("yes")


def test_job_list_html_is_escaped_and_bounded() -> None:
    jobs = JobList([make_job(HOSTILE, user=HOSTILE)] * 1000)
    page = jobs._repr_html_()
    assert "<script>" not in page and '"onmouseover' not in page
    assert page.count("<tr>") == 1 + 50 + 1 and "... and 950 more" in page
    assert len(str(jobs).splitlines()) == 3 + 50 + 1


class _FakeSeries:
    def __init__(self, values: Any, dtype: str | None = None) -> None:
        self.values, self.dtype = list(values), dtype


class _FakeFrame:
    def __init__(self, data: dict[str, _FakeSeries]) -> None:
        self.data = data


def _fake_pandas() -> types.ModuleType:
    fake = types.ModuleType("pandas")

    def to_datetime(series: _FakeSeries, utc: bool = False) -> _FakeSeries:
        assert utc
        return _FakeSeries(series.values, "datetime64[ns, UTC]")

    fake.Series = _FakeSeries  # type: ignore[attr-defined]
    fake.DataFrame = _FakeFrame  # type: ignore[attr-defined]
    fake.to_datetime = to_datetime  # type: ignore[attr-defined]
    return fake


def test_to_pandas_builds_typed_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", _fake_pandas())
    frame = JobList([make_job(), make_job("b", user=None, private=None)]).to_pandas()
    dtypes = {name: column.dtype for name, column in frame.data.items()}
    assert dtypes == {
        "job_id": "string",
        "name": "string",
        "status": "string",
        "event_id": "string",
        "user": "string",
        "description": "string",
        "private": "boolean",
        "creation_time": "datetime64[ns, UTC]",
    }
    assert frame.data["name"].values == ["GW150914-uploaded", "b"]
    assert frame.data["user"].values == ["Ada Lovelace", None]
    assert frame.data["private"].values == [False, None]
    assert frame.data["status"].values == ["Completed", "Completed"]
    assert frame.data["creation_time"].values[0].year == 2021


def test_to_pandas_without_pandas_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match="pip install pandas"):
        JobList([make_job()]).to_pandas()


def test_to_pandas_with_real_pandas() -> None:
    pd = pytest.importorskip("pandas")
    frame = JobList([make_job(), make_job("b", private=None)]).to_pandas()
    assert str(frame["name"].dtype) == "string" and str(frame["private"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(frame["creation_time"])

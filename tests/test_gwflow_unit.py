"""GWFlow on the client: request shapes, answers into models, and every error path.

Requests are pinned at the HTTP layer (pytest-httpx): GraphQL through ``fake_gql``,
downloads as GET responses on the configured service's ``file_download/`` route.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from _gql_fake import SENTINEL_TOKEN, FakeGraphQL
from _gwflow_fake import DOWNLOAD, ENDPOINT, ingest, md5hex, rid

from gwcloud_python import AsyncGWCloud, GWCloud
from gwcloud_python.exceptions import (
    AuthenticationError,
    DownloadError,
    GraphQLError,
    GWCloudError,
    GWCloudException,
    ValidationError,
)
from gwcloud_python.gwflow_event_id import GWFlowEventID
from gwcloud_python.gwflow_file import GWFlowFile
from gwcloud_python.gwflow_job import GWFlowJob
from gwcloud_python.gwflow_job_upsert_result import GWFlowJobUpsertResult
from gwcloud_python.gwflow_pending_file import GWFlowPendingFile

TOKEN = "0b6e2c1e-9a4f-4c35-a0a7-2f8d7c9b1e11"


def sent(fake_gql: FakeGraphQL, name: str) -> list[dict[str, Any]]:
    return [variables for op, variables, _ in fake_gql.calls if op == name]


def upsert_answer(pk: int = 7, pending: Any = (), removed: Any = (), created: bool = True) -> Any:
    return {
        "data": {
            "upsertGwflowJob": {
                "result": {
                    "gwflowJobId": rid("GWFlowJobNode", pk),
                    "sname": "S230101a",
                    "created": created,
                    "filesPending": list(pending),
                    "removedFiles": list(removed),
                }
            }
        }
    }


def pending(pk: int, path: str = "/p/a.h5", md5: str = "") -> dict[str, Any]:
    return {
        "id": rid("GWFlowFileNode", pk),
        "sname": "S230101a",
        "analysisUid": "",
        "path": path,
        "fileName": path.rsplit("/", 1)[-1],
        "md5Sum": md5,
    }


def job_node(pk: int, sname: str = "S230101a", **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": rid("GWFlowJob", pk),
        "sname": sname,
        "schemaVersion": "1.0",
        "libraries": '["cbc-workflow-o4a", "cbc-workflow-o4c"]',
        "isPruned": False,
        "currentHistoryId": "abc123",
        "currentHistoryTimestamp": "2026-01-01T10:00:00+00:00",
        "lastUpdated": "2026-01-02 03:04:05 UTC",
        "eventId": None,
    }
    node.update(extra)
    return node


def page(nodes: list[dict[str, Any]], has_next: bool, end: str | None) -> Any:
    edges = [{"node": n, "cursor": f"cur-{n['id']}"} for n in nodes]
    return {
        "data": {
            "gwflowJobs": {"edges": edges, "pageInfo": {"hasNextPage": has_next, "endCursor": end}}
        }
    }


# -- the service ------------------------------------------------------------------------


def test_every_method_refuses_the_2023_service_before_any_request(
    fake_gql: FakeGraphQL, tmp_path: Path
) -> None:
    gw = GWCloud(progress=False)
    assert gw.service == "2023"
    local = tmp_path / "f.txt"
    local.write_bytes(b"x")
    calls = [
        lambda: gw.upsert_gwflow_job("S230101a"),
        lambda: gw.upload_gwflow_file("id", local),
        gw.get_gwflow_pending_files,
        lambda: gw.link_bilby_job_to_gwflow("j", "S230101a", "u"),
        gw.get_gwflow_job_list,
        lambda: gw.get_gwflow_job("S230101a"),
        lambda: gw.download_gwflow_file(TOKEN, tmp_path / "out"),
    ]
    for call in calls:
        with pytest.raises(GWCloudError, match="2026 GWCloud service") as info:
            call()
        assert "gwcloud.org.au/graphql" in str(info.value)
    assert fake_gql.calls == []


def test_sync_and_async_clients_have_the_real_signatures() -> None:
    for cls in (GWCloud, AsyncGWCloud):
        upsert = list(inspect.signature(cls.upsert_gwflow_job).parameters)
        assert upsert == [
            "self", "sname", "schema_version", "metadata", "libraries", "is_pruned",
            "event_id", "current_history_id", "current_history_timestamp", "files",
        ]  # fmt: skip
        list_params = inspect.signature(cls.get_gwflow_job_list).parameters
        assert [(p.name, p.default) for p in list(list_params.values())[1:]] == [
            ("search", ""),
            ("time_range", "all"),
            ("include_pruned", False),
        ]
        assert list(inspect.signature(cls.upload_gwflow_file).parameters)[1:] == [
            "gwflow_file_id",
            "file_path",
        ]
        assert list(inspect.signature(cls.link_bilby_job_to_gwflow).parameters)[1:] == [
            "job_id",
            "sname",
            "analysis_uid",
        ]
        download = inspect.signature(cls.download_gwflow_file).parameters
        assert list(download)[1:3] == ["download_token", "output_path"]
        assert download["skip_existing"].kind is inspect.Parameter.KEYWORD_ONLY
        assert inspect.signature(cls.get_gwflow_job).parameters["job_id"].kind is (
            inspect.Parameter.KEYWORD_ONLY
        )
    assert GWCloudException is GWCloudError


# -- upsert -----------------------------------------------------------------------------


def test_upsert_minimal_sends_only_sname_and_selects_removed_files(
    fake_gql: FakeGraphQL,
) -> None:
    gw = ingest(fake_gql)
    fake_gql.on(
        "UpsertGwflowJob",
        upsert_answer(pending=[pending(1)], removed=[pending(2, "/p/old.h5", "a" * 32)]),
    )
    result = gw.upsert_gwflow_job("S230101a")
    assert sent(fake_gql, "UpsertGwflowJob") == [{"input": {"params": {"sname": "S230101a"}}}]
    query = json.loads(fake_gql.calls[-1][2].content)["query"]
    assert "removedFiles" in query and "ligoOnly" not in query
    assert isinstance(result, GWFlowJobUpsertResult)
    assert result.job_id == rid("GWFlowJob", 7)  # re-encoded from GWFlowJobNode:7
    assert result.created is True
    assert [f.path for f in result.files_pending] == ["/p/a.h5"]
    assert result.removed_files == [
        GWFlowPendingFile(rid("GWFlowFileNode", 2), "S230101a", "", "/p/old.h5", "old.h5", "a" * 32)
    ]
    assert fake_gql.calls[-1][2].headers["authorization"] == SENTINEL_TOKEN


def test_upsert_every_field_and_its_wire_form(fake_gql: FakeGraphQL) -> None:
    gw = ingest(fake_gql)
    fake_gql.on("UpsertGwflowJob", upsert_answer())
    gw.upsert_gwflow_job(
        "S230101a",
        schema_version="1.0",
        metadata={"ParameterEstimation": {"Results": []}},
        libraries=("cbc-workflow-o4a",),
        is_pruned=False,
        event_id="GW230101_000000",
        current_history_id="sha",
        current_history_timestamp="2026-01-01T10:00:00Z",
        files=[
            {"analysisUid": "pe1", "path": "CIT:/x/r.h5", "fileSize": 0, "md5Sum": "A" * 32},
            {"path": "CIT:/x/plain.txt"},
        ],
    )
    params = sent(fake_gql, "UpsertGwflowJob")[0]["input"]["params"]
    assert params == {
        "sname": "S230101a",
        "schemaVersion": "1.0",
        "metadata": json.dumps({"ParameterEstimation": {"Results": []}}),
        "libraries": ["cbc-workflow-o4a"],
        "isPruned": False,
        "eventId": "GW230101_000000",
        "currentHistoryId": "sha",
        "currentHistoryTimestamp": "2026-01-01T10:00:00Z",
        "files": [
            # md5 in lower case (the service compares with a lower-case digest); size 0 kept
            {"analysisUid": "pe1", "path": "CIT:/x/r.h5", "fileName": "r.h5", "fileSize": 0,
             "md5Sum": "a" * 32},
            {"path": "CIT:/x/plain.txt", "fileName": "plain.txt"},  # file_name derived
        ],
    }  # fmt: skip


def test_upsert_accepts_paths_and_hashes_them_streaming(
    fake_gql: FakeGraphQL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = ingest(fake_gql)
    fake_gql.on("UpsertGwflowJob", upsert_answer())
    data = bytes(range(256)) * 9000  # over two of the 1 MiB reads
    local = tmp_path / "result.h5"
    local.write_bytes(data)
    other = tmp_path / "copy.bin"
    other.write_bytes(b"copy")
    reads: list[int] = []
    real_open = open

    def spying_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        if "b" in mode and str(file) == str(local):
            original = handle.read

            def read(n: int = -1) -> bytes:
                reads.append(n)
                return original(n)

            handle.read = read
        return handle

    monkeypatch.setattr("builtins.open", spying_open)
    gw.upsert_gwflow_job(
        "S230101a",
        files=[
            local,
            {"analysis_uid": "pe1", "path": "CIT:/home/pe/copy.bin", "local_path": other},
            {"path": "CIT:/given.bin", "local_path": other, "md5_sum": "b" * 32, "file_size": 9},
        ],
    )
    files = sent(fake_gql, "UpsertGwflowJob")[0]["input"]["params"]["files"]
    assert files == [
        {"path": str(local), "fileName": "result.h5", "fileSize": len(data),
         "md5Sum": md5hex(data)},
        {"analysisUid": "pe1", "path": "CIT:/home/pe/copy.bin", "fileName": "copy.bin",
         "fileSize": 4, "md5Sum": md5hex(b"copy")},
        {"path": "CIT:/given.bin", "fileName": "given.bin", "fileSize": 9, "md5Sum": "b" * 32},
    ]  # fmt: skip
    assert reads and all(0 < n <= 1024 * 1024 for n in reads)  # never read whole


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "/p", "file_name": "f", "md5": "x"}, "unknown key 'md5'"),
        ({"path": "/p", "fileName": "f", "ligo_only": True}, "unknown key 'ligo_only'"),
        ({"path": "/p", "file_name": "a", "fileName": "b"}, "file_name twice"),
        ({"file_name": "f"}, "non-empty string path"),
        ({"path": "/p", "file_size": -1}, "file_size"),
        ({"path": "/p", "file_size": True}, "file_size"),
        ({"path": "/p", "md5_sum": "f" * 33}, "md5_sum"),
        ({"path": "/p", "analysis_uid": "u" * 129}, "128"),
        ({"path": "/p", "local_path": "/no/such/file"}, "does not exist"),
        ("/a/string/path", "mapping or a path"),
        (Path("/no/such/file.h5"), "does not exist"),
    ],
)
def test_upsert_refuses_bad_entries_before_any_request(
    fake_gql: FakeGraphQL, entry: Any, message: str
) -> None:
    gw = ingest(fake_gql)
    with pytest.raises(ValidationError, match=message) as info:
        gw.upsert_gwflow_job("S230101a", files=[entry])
    assert "files[0]" in str(info.value)
    assert fake_gql.names() == ["SessionUser"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sname": "S" * 65}, "64"),
        ({"sname": ""}, "non-empty"),
        ({"schema_version": "123456789"}, "8 characters"),
        ({"libraries": "cbc-workflow-o4a"}, "list of names"),
        ({"is_pruned": "no"}, "is_pruned"),
        ({"current_history_timestamp": "yesterday"}, "not a time"),
        ({"metadata": {"x": object()}}, "JSON"),
        ({"files": {"path": "/p"}}, "list of entries"),
    ],
)
def test_upsert_refuses_bad_arguments_before_any_request(
    fake_gql: FakeGraphQL, kwargs: dict[str, Any], message: str
) -> None:
    gw = ingest(fake_gql)
    sname = kwargs.pop("sname", "S230101a")
    with pytest.raises(ValidationError, match=message):
        gw.upsert_gwflow_job(sname, **kwargs)
    assert fake_gql.names() == ["SessionUser"]


def test_upsert_warns_of_an_md5_that_no_upload_can_match(
    fake_gql: FakeGraphQL, caplog: pytest.LogCaptureFixture
) -> None:
    gw = ingest(fake_gql)
    fake_gql.on("UpsertGwflowJob", upsert_answer())
    with caplog.at_level("WARNING", logger="gwcloud_python"):
        gw.upsert_gwflow_job("S230101a", files=[{"path": "/p", "md5_sum": "abc"}])
    assert "not an md5 hex digest" in caplog.text
    assert sent(fake_gql, "UpsertGwflowJob")[0]["input"]["params"]["files"][0]["md5Sum"] == "abc"


def test_upsert_removed_keyword_and_anonymous_client(fake_gql: FakeGraphQL) -> None:
    gw = ingest(fake_gql)
    with pytest.raises(TypeError):
        gw.upsert_gwflow_job("S230101a", ligo_only=True)  # type: ignore[call-arg]
    with pytest.raises(AuthenticationError):
        GWCloud(endpoint=ENDPOINT).upsert_gwflow_job("S230101a")
    assert fake_gql.names() == ["SessionUser"]


def test_upsert_files_empty_list_is_sent_and_server_errors_surface(
    fake_gql: FakeGraphQL,
) -> None:
    gw = ingest(fake_gql)
    fake_gql.on("UpsertGwflowJob", {"errors": [{"message": "Permission Denied"}], "data": None})
    with pytest.raises(GraphQLError, match="Permission Denied"):
        gw.upsert_gwflow_job("S230101a", files=[])
    assert sent(fake_gql, "UpsertGwflowJob")[0]["input"]["params"]["files"] == []


def test_upsert_id_fetches_the_job(fake_gql: FakeGraphQL) -> None:
    gw = ingest(fake_gql)
    fake_gql.on("UpsertGwflowJob", upsert_answer(pk=42))
    detail = dict(job_node(42), creationTime="2026-01-01T00:00:00+00:00", files=[], bilbyJobs=[])
    fake_gql.on("GwflowJob", {"data": {"gwflowJob": detail}})
    result = gw.upsert_gwflow_job("S230101a")
    job = gw.get_gwflow_job(job_id=result.job_id)
    assert job is not None and job.id == result.job_id
    assert sent(fake_gql, "GwflowJob") == [{"id": rid("GWFlowJob", 42)}]
    gw.get_gwflow_job(job_id=rid("GWFlowJobNode", 42))  # the raw upsert ID works too
    gw.get_gwflow_job(job_id=42)
    assert sent(fake_gql, "GwflowJob")[1:] == [{"id": rid("GWFlowJob", 42)}] * 2


# -- upload -----------------------------------------------------------------------------


def test_upload_is_a_streamed_multipart_request(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    gw = ingest(fake_gql)
    fake_gql.on(
        "UploadGwflowFile",
        {"data": {"uploadGwflowFile": {"result": {"success": True, "fileSize": 5}}}},
    )
    local = tmp_path / "r.h5"
    local.write_bytes(b"hello")
    file_id = rid("GWFlowFileNode", 3)
    assert gw.upload_gwflow_file(file_id, local) == 5
    request = fake_gql.calls[-1][2]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert request.headers["authorization"] == SENTINEL_TOKEN
    body = request.content.decode("latin-1")
    assert '{"0": ["variables.input.file"]}' in body
    operations = sent(fake_gql, "UploadGwflowFile")[0]
    assert operations == {"input": {"gwflowFileId": file_id, "file": None}}
    assert "hello" in body


def test_upload_failures(fake_gql: FakeGraphQL, tmp_path: Path, caplog: Any) -> None:
    gw = ingest(fake_gql)
    local = tmp_path / "r.h5"
    local.write_bytes(b"hello")
    with pytest.raises(ValidationError, match="does not exist"):
        gw.upload_gwflow_file("id", tmp_path / "missing.h5")
    assert fake_gql.names() == ["SessionUser"]
    fake_gql.on(
        "UploadGwflowFile",
        {"data": {"uploadGwflowFile": {"result": {"success": False, "fileSize": None}}}},
    )
    with pytest.raises(GWCloudError, match=r"Failed to upload GWFlow file\."):
        gw.upload_gwflow_file("id", local)
    fake_gql.on("UploadGwflowFile", {"errors": [{"message": "MD5 checksum mismatch"}]})
    with pytest.raises(GraphQLError, match="MD5 checksum mismatch"):
        gw.upload_gwflow_file("id", local)
    fake_gql.on(
        "UploadGwflowFile",
        {"data": {"uploadGwflowFile": {"result": {"success": True, "fileSize": 3}}}},
    )
    with caplog.at_level("WARNING", logger="gwcloud_python"):
        assert gw.upload_gwflow_file("id", local) == 3
    assert "stored 3 bytes" in caplog.text
    with pytest.raises(AuthenticationError):
        GWCloud(endpoint=ENDPOINT).upload_gwflow_file("id", local)


# -- pending files and links ------------------------------------------------------------


def test_pending_files(fake_gql: FakeGraphQL) -> None:
    gw = ingest(fake_gql)
    fake_gql.on(
        "GwflowPendingFiles",
        {"data": {"gwflowPendingFiles": [pending(1, md5="c" * 32), None, pending(2)]}},
    )
    files = gw.get_gwflow_pending_files()
    assert [(f.id, f.md5_sum) for f in files] == [
        (rid("GWFlowFileNode", 1), "c" * 32),
        (rid("GWFlowFileNode", 2), ""),
    ]
    assert files[1].analysis_uid == ""  # an empty value is kept, not turned into None
    fake_gql.on("GwflowPendingFiles", {"errors": [{"message": "Permission Denied"}]})
    with pytest.raises(GraphQLError, match="Permission Denied"):
        gw.get_gwflow_pending_files()
    with pytest.raises(AuthenticationError):
        GWCloud(endpoint=ENDPOINT).get_gwflow_pending_files()


def test_link_and_unlink(fake_gql: FakeGraphQL) -> None:
    gw = ingest(fake_gql)
    fake_gql.on(
        "LinkBilbyJobToGwflow", {"data": {"linkBilbyJobToGwflow": {"result": {"success": True}}}}
    )
    gw.link_bilby_job_to_gwflow(rid("BilbyJobNode", 5), "S230101a", "pe1")
    gw.link_bilby_job_to_gwflow(5, "", "")
    assert sent(fake_gql, "LinkBilbyJobToGwflow") == [
        {"input": {"jobId": rid("BilbyJobNode", 5), "sname": "S230101a", "analysisUid": "pe1"}},
        {"input": {"jobId": rid("BilbyJobNode", 5), "sname": "", "analysisUid": ""}},
    ]
    fake_gql.on(
        "LinkBilbyJobToGwflow", {"data": {"linkBilbyJobToGwflow": {"result": {"success": False}}}}
    )
    with pytest.raises(GWCloudError, match="Failed to link"):
        gw.link_bilby_job_to_gwflow(5, "S230101a", "pe1")
    message = "GWFlowJob with sname 'S9' does not exist"
    fake_gql.on("LinkBilbyJobToGwflow", {"errors": [{"message": message}]})
    with pytest.raises(GraphQLError, match=message):
        gw.link_bilby_job_to_gwflow(5, "S9", "pe1")
    with pytest.raises(ValidationError):
        gw.link_bilby_job_to_gwflow(True, "S9", "pe1")  # type: ignore[arg-type]


# -- the list ---------------------------------------------------------------------------


def test_list_pages_with_first_after_and_drops_the_boundary_duplicate(
    fake_gql: FakeGraphQL,
) -> None:
    gw = ingest(fake_gql)
    pages = {
        None: page([job_node(1), job_node(2)], True, "arrayconnection:1"),
        # the service repeats the first page's last job at the top of the second page
        "arrayconnection:1": page([job_node(2), job_node(3)], True, "arrayconnection:3"),
        "arrayconnection:3": page([job_node(4)], False, "arrayconnection:4"),
    }
    fake_gql.on("GwflowJobs", lambda variables, _r: pages[variables.get("after")])
    jobs = gw.get_gwflow_job_list("sname:S23*", "1w", include_pruned=True)
    assert [j.id for j in jobs] == [rid("GWFlowJob", pk) for pk in (1, 2, 3, 4)]
    calls = sent(fake_gql, "GwflowJobs")
    assert calls[0] == {"search": "sname:S23*", "timeRange": "1w", "includePruned": True,
                        "first": 100}  # fmt: skip
    assert [c.get("after") for c in calls] == [None, "arrayconnection:1", "arrayconnection:3"]
    assert all("cursor" not in c and "count" not in c for c in calls)
    job = jobs[0]
    assert isinstance(job, GWFlowJob)
    assert job.libraries == ["cbc-workflow-o4a", "cbc-workflow-o4c"]
    assert job.current_history_timestamp == datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    assert job.last_updated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert job.creation_time is None and job.files == [] and job.bilby_jobs == []


@pytest.mark.parametrize("end", [None, "same"])
def test_list_stops_on_a_missing_or_repeated_cursor(fake_gql: FakeGraphQL, end: Any) -> None:
    gw = ingest(fake_gql)
    fake_gql.on("GwflowJobs", page([job_node(1)], True, end))
    jobs = gw.get_gwflow_job_list()
    assert [j.id for j in jobs] == [rid("GWFlowJob", 1)]
    assert len(sent(fake_gql, "GwflowJobs")) == (1 if end is None else 2)


def test_list_refuses_bad_arguments_and_surfaces_search_errors(fake_gql: FakeGraphQL) -> None:
    gw = ingest(fake_gql)
    with pytest.raises(ValidationError, match="time_range"):
        gw.get_gwflow_job_list(time_range="forever")
    with pytest.raises(ValidationError, match="include_pruned"):
        gw.get_gwflow_job_list(include_pruned="yes")  # type: ignore[arg-type]
    assert sent(fake_gql, "GwflowJobs") == []
    fake_gql.on("GwflowJobs", {"errors": [{"message": "search_phase_execution_exception"}]})
    with pytest.raises(GraphQLError, match="search_phase"):
        gw.get_gwflow_job_list("sname:(")


# -- one job ----------------------------------------------------------------------------


def test_get_job_by_sname_in_full(fake_gql: FakeGraphQL) -> None:
    gw = GWCloud(endpoint=ENDPOINT, progress=False)  # reads need no token
    detail = dict(
        job_node(9, eventId={"eventId": "GW1", "triggerId": "S1", "nickname": None, "gpsTime": 0}),
        creationTime="2025-12-31T23:00:00+00:00",
        files=[
            {"id": rid("GWFlowFileNode", 1), "analysisUid": "", "path": "/a", "fileName": "a",
             "fileSize": 0, "uploaded": True, "downloadToken": TOKEN},
        ],
        bilbyJobs=[{"id": rid("BilbyJobNode", 5), "name": "pe", "gwflowAnalysisUid": "pe1"}],
    )  # fmt: skip
    fake_gql.on("GwflowJobBySname", {"data": {"gwflowJobBySname": detail}})
    job = gw.get_gwflow_job("S230101a")
    assert job is not None
    assert job.creation_time == datetime(2025, 12, 31, 23, tzinfo=timezone.utc)
    assert job.event_id == GWFlowEventID("GW1", "S1", None, 0)
    assert job.files == [GWFlowFile(rid("GWFlowFileNode", 1), "", "/a", "a", 0, True, TOKEN)]
    assert job.bilby_jobs[0].gwflow_analysis_uid == "pe1"
    assert sent(fake_gql, "GwflowJobBySname") == [{"sname": "S230101a"}]
    assert "x-correlation-id" in fake_gql.calls[-1][2].headers
    fake_gql.on("GwflowJobBySname", {"data": {"gwflowJobBySname": None}})
    assert gw.get_gwflow_job("S230101a") is None


def test_get_job_argument_checks(fake_gql: FakeGraphQL) -> None:
    gw = GWCloud(endpoint=ENDPOINT, progress=False)
    with pytest.raises(ValidationError, match="exactly one"):
        gw.get_gwflow_job()
    with pytest.raises(ValidationError, match="exactly one"):
        gw.get_gwflow_job("S1", job_id=1)
    with pytest.raises(ValidationError, match="GWFlow job ID"):
        gw.get_gwflow_job(job_id=rid("BilbyJobNode", 1))
    with pytest.raises(ValidationError, match="GWFlow job ID"):
        gw.get_gwflow_job(job_id="not an id")
    assert fake_gql.calls == []


# -- downloads --------------------------------------------------------------------------


def test_download_goes_to_the_configured_host_with_the_token(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql)
    body = b"gwflow bytes" * 1000
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=body)
    target = tmp_path / "deep" / "dir" / "r.h5"
    assert gw.download_gwflow_file(TOKEN, target) is None
    assert target.read_bytes() == body
    request = httpx_mock.get_requests(method="GET")[0]
    assert request.headers["authorization"] == SENTINEL_TOKEN
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.h5"]  # nothing left over


def test_download_anonymous_sends_no_credentials(httpx_mock: Any, tmp_path: Path) -> None:
    gw = GWCloud(endpoint=ENDPOINT, progress=False, max_retries=0)
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=b"abc")
    gw.download_gwflow_file(TOKEN, tmp_path / "a")
    assert "authorization" not in httpx_mock.get_requests()[0].headers


def test_download_never_sends_the_token_to_another_host(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql, file_download_url="https://mirror.test/file_download/")
    httpx_mock.add_response(
        method="GET", url=f"https://mirror.test/file_download/?fileId={TOKEN}", content=b"abc"
    )
    gw.download_gwflow_file(TOKEN, tmp_path / "a")
    assert "authorization" not in httpx_mock.get_requests(method="GET")[0].headers


def test_download_404_is_a_gwcloud_exception_with_the_real_message(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql)
    target = tmp_path / "r.h5"
    target.write_bytes(b"old copy")
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, status_code=404, text="<html>")
    with pytest.raises(GWCloudException) as info:
        gw.download_gwflow_file(TOKEN, target)
    assert isinstance(info.value, DownloadError) and info.value.status_code == 404
    assert str(info.value) == (
        "File not found or not available for download (404). "
        "It may be restricted or not yet mirrored."
    )
    assert target.read_bytes() == b"old copy"  # never truncated


def test_download_server_error_is_retried_then_named(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql, max_retries=1)
    gw.sync_client.sleep = lambda _seconds: None  # type: ignore[method-assign]
    for _ in range(2):
        httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, status_code=500)
    with pytest.raises(DownloadError, match=r"Failed to download GWFlow file: HTTP 500\."):
        gw.download_gwflow_file(TOKEN, tmp_path / "r.h5")
    assert len(httpx_mock.get_requests(method="GET")) == 2
    assert list(tmp_path.iterdir()) == []


def test_download_short_body_is_refused_and_nothing_is_left(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql)
    httpx_mock.add_response(
        method="GET", url=DOWNLOAD + TOKEN, content=b"abc", headers={"Content-Length": "10"}
    )
    with pytest.raises(DownloadError, match="3 of 10"):
        gw.download_gwflow_file(TOKEN, tmp_path / "r.h5")
    assert list(tmp_path.iterdir()) == []


def test_download_checks_the_listed_size(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql)
    listed = GWFlowFile("id", "", "/a", "a", 10, True, TOKEN)
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=b"abc")
    with pytest.raises(DownloadError, match="3 of 10"):
        gw.download_gwflow_file(listed, tmp_path / "a")
    assert list(tmp_path.iterdir()) == []


def test_download_restarts_the_whole_file_on_a_dropped_transfer(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = ingest(fake_gql, max_retries=1)
    gw.sync_client.sleep = lambda _seconds: None  # type: ignore[method-assign]
    body = b"0123456789"

    class Dropping(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield body[:4]
            raise httpx.ReadError("dropped")

    httpx_mock.add_response(
        method="GET", url=DOWNLOAD + TOKEN, stream=Dropping(), headers={"Content-Length": "10"}
    )
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=body)
    gw.download_gwflow_file(TOKEN, tmp_path / "r")
    assert (tmp_path / "r").read_bytes() == body
    second = httpx_mock.get_requests(method="GET")[1]
    assert "range" not in second.headers  # no validators: the retry asks for all of it


def test_download_skip_existing(fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path) -> None:
    gw = ingest(fake_gql)
    target = tmp_path / "a"
    target.write_bytes(b"abc")
    gw.download_gwflow_file(TOKEN, target, skip_existing=True)
    gw.download_gwflow_file(GWFlowFile("i", "", "/a", "a", 3, True, TOKEN), target,
                            skip_existing=True)  # fmt: skip
    assert httpx_mock.get_requests(method="GET") == []
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=b"abcd")
    gw.download_gwflow_file(GWFlowFile("i", "", "/a", "a", 4, True, TOKEN), target,
                            skip_existing=True)  # fmt: skip  # a different size is fetched
    assert target.read_bytes() == b"abcd"


def test_download_argument_checks(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    gw = ingest(fake_gql)
    with pytest.raises(ValidationError, match="directory"):
        gw.download_gwflow_file(TOKEN, tmp_path)
    with pytest.raises(ValidationError, match="download_token"):
        gw.download_gwflow_file("", tmp_path / "a")
    with pytest.raises(ValidationError, match="output_path"):
        gw.download_gwflow_file(TOKEN, 5)  # type: ignore[arg-type]


# -- the async client -------------------------------------------------------------------


def test_async_client_upserts_and_downloads(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    fake_gql.on("UpsertGwflowJob", upsert_answer(pending=[pending(1)]))
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=b"async bytes")
    local = tmp_path / "in.txt"
    local.write_bytes(b"in")

    async def main() -> GWFlowJobUpsertResult:
        async with AsyncGWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, progress=False) as gw:
            result = await gw.upsert_gwflow_job("S230101a", files=[local])
            await gw.download_gwflow_file(TOKEN, tmp_path / "out.txt")
            return result

    result = asyncio.run(main())
    assert result.files_pending[0].id == rid("GWFlowFileNode", 1)
    files = sent(fake_gql, "UpsertGwflowJob")[0]["input"]["params"]["files"]
    assert files[0]["md5Sum"] == md5hex(b"in")
    assert (tmp_path / "out.txt").read_bytes() == b"async bytes"
    assert httpx_mock.get_requests(method="GET")[0].headers["authorization"] == SENTINEL_TOKEN


# -- the models -------------------------------------------------------------------------


def test_models_from_camel_or_snake_keys_keep_falsy_values() -> None:
    camel = GWFlowJob.from_dict(dict(job_node(1), isPruned=False, libraries="[]"))
    snake = GWFlowJob.from_dict(
        {
            "id": rid("GWFlowJob", 1), "sname": "S230101a", "schema_version": "1.0",
            "libraries": ["cbc-workflow-o4a", "cbc-workflow-o4c"], "is_pruned": False,
            "current_history_id": "abc123",
            "current_history_timestamp": datetime(2026, 1, 1, 10, tzinfo=timezone.utc),
            "last_updated": "2026-01-02T03:04:05Z", "event_id": None,
        }
    )  # fmt: skip
    assert camel.libraries == [] and camel.is_pruned is False
    assert snake.last_updated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert GWFlowJob.from_dict(dict(job_node(1), libraries='"one"')).libraries == ["one"]
    assert GWFlowPendingFile.from_dict({"id": "i", "sname": "s", "analysisUid": "",
                                        "path": "p", "fileName": "f"}).md5_sum is None  # fmt: skip
    with pytest.raises(ValidationError, match="last_updated"):
        GWFlowJob.from_dict(dict(job_node(1), lastUpdated="soon"))


def test_download_to_a_relative_path_with_a_progress_bar(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    seen: list[tuple[int, int]] = []
    gw = GWCloud(
        SENTINEL_TOKEN,
        endpoint=ENDPOINT,
        progress=True,
        progress_callback=lambda done, total: seen.append((done, total)),
    )
    monkeypatch.chdir(tmp_path)
    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, content=b"relative")
    gw.download_gwflow_file(TOKEN, "here.bin")
    assert (tmp_path / "here.bin").read_bytes() == b"relative"
    assert seen and seen[-1][0] == len(b"relative")


def test_download_item_of_a_gwflow_file_keeps_the_token_out_of_repr(
    fake_gql: FakeGraphQL,
) -> None:
    gw = ingest(fake_gql)
    listed = GWFlowFile("id", "pe1", "CIT:/x/r.h5", "r.h5", 12, True, TOKEN)
    item = gw._gwflow_download_item(listed)
    assert item.url == DOWNLOAD + TOKEN and item.path == "CIT:/x/r.h5" and item.size == 12
    assert item.size_known and item.auth is not None
    assert SENTINEL_TOKEN not in repr(item)
    unsized = gw._gwflow_download_item(TOKEN)
    assert not unsized.size_known and unsized.size == 0


def test_download_without_content_length_is_saved_as_sent(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gw = ingest(fake_gql)

    class Chunked(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield b"chunk one, "
            yield b"chunk two"

    httpx_mock.add_response(method="GET", url=DOWNLOAD + TOKEN, stream=Chunked())
    with caplog.at_level("WARNING", logger="gwcloud_python"):
        gw.download_gwflow_file(TOKEN, tmp_path / "c")
    assert (tmp_path / "c").read_bytes() == b"chunk one, chunk two"
    assert "grew" not in caplog.text  # no size was listed, so nothing grew

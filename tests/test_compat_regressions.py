"""Regression tests for the 1.x divergences of issue 12, with pytest-httpx.

Each test names the divergence it guards: job attributes and equality, file
references of external jobs, path filters, ``None`` for unknown jobs and event IDs,
the environment token, the 1.x ``utils``/``settings`` modules, download hosts per
deployment, JWT-free uploads, and tokens that go only where the user pointed.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from _gql_fake import (
    SENTINEL_TOKEN,
    FakeGraphQL,
    connection,
    job_node,
    jwt_answer,
    private_job_node,
)

import gwcloud_python
from gwcloud_python import (
    AsyncGWCloud,
    AuthenticationError,
    BilbyJob,
    EventID,
    FileReference,
    FileReferenceList,
    GWCloud,
    GWCloudError,
    JobStatus,
    JobType,
    NotFoundError,
    ValidationError,
    _profiles,
)

CUSTOM = "https://my-host.test/bilby/graphql"
CUSTOM_AUTH = "https://my-host.test/auth/graphql"
PUBLIC_2026 = "https://gwcloud.org.au/graphql"
JOB_ID = job_node(7)["id"]


def listing(job_type: int, *paths: str, size: str | None = "3") -> dict[str, Any]:
    files = [
        {"path": p, "isDir": False, "fileSize": size, "downloadToken": f"tok-{i}"}
        for i, p in enumerate(paths)
    ]
    return {"data": {"bilbyResultFiles": {"jobType": job_type, "files": files}}}


def ids_answer(variables: dict[str, Any], _request: httpx.Request) -> dict[str, Any]:
    tokens = variables["downloadTokens"]
    return {"data": {"generateFileDownloadIds": {"result": [f"id-{t}" for t in tokens]}}}


def public_client(fake: FakeGraphQL, **options: Any) -> GWCloud:
    """An authenticated client of the public 2023 service (all mocked)."""
    fake.on("JwtToken", jwt_answer())
    return GWCloud(SENTINEL_TOKEN, progress=False, **options)


def job(gw: Any = None, job_type: int | None = None, job_id: str = JOB_ID) -> BilbyJob:
    return BilbyJob(gw, job_id, "n", "d", "u", None, None, job_type=job_type)


# -- job.type, equality, dict arguments ----------------------------------------------------


def test_job_type_attribute_like_1x() -> None:
    unknown = job()
    assert unknown.type is None
    unknown.type = 1
    assert unknown.type is JobType.UPLOADED and unknown.type == 1 and unknown.is_uploaded()
    assert job(job_type=2).type == 2
    with pytest.raises(ValidationError, match="'weird'"):
        unknown.type = "weird"  # type: ignore[assignment]


def test_job_type_learnt_from_file_list(fake_gql: FakeGraphQL) -> None:
    gw = public_client(fake_gql)
    fake_gql.on("BilbyResultFiles", listing(1, "result/a.png"))
    uploaded = job(gw)
    assert uploaded.type is None
    uploaded.get_full_file_list()
    assert uploaded.type is JobType.UPLOADED


def test_equality_compares_id_and_type() -> None:
    assert job(job_type=0) == job(job_type=0)
    assert job(job_type=0) != job(job_type=1)
    assert job(job_type=0) != job(job_type=0, job_id=job_node(8)["id"])
    assert job(job_type=0) != "not a job"


def test_dict_event_id_and_status_are_converted() -> None:
    made = BilbyJob(
        None,
        JOB_ID,
        "n",
        "d",
        "u",
        event_id={"event_id": "GW123456", "nickname": "nick"},
        job_status={"name": "Completed", "date": "2021-12-02"},
    )
    assert made.event_id == EventID(event_id="GW123456", nickname="nick")
    assert isinstance(made.status, JobStatus)
    assert made.status == JobStatus(status="Completed", date="2021-12-02")
    assert made.status.status == "Completed"
    assert BilbyJob(None, JOB_ID, "n", "d", "u", {}, None).event_id is None
    with pytest.raises(ValidationError, match="job_status"):
        BilbyJob(None, JOB_ID, "n", "d", "u", None, "Completed")  # type: ignore[arg-type]


def test_job_status_equal_across_date_forms() -> None:
    parsed = JobStatus("Completed", datetime(2021, 12, 2), 500)
    assert parsed == JobStatus("Completed", "2021-12-02")
    assert hash(parsed) == hash(JobStatus("Completed", "2021-12-02"))
    assert parsed != JobStatus("Error", "2021-12-02")
    assert parsed != JobStatus("Completed", "2021-12-03")


# -- file references -------------------------------------------------------------------------


def test_file_reference_without_size_for_external_jobs() -> None:
    external = job(job_type=2)
    ref = FileReference("https://host.example/run/a_result.json", None, None, external)
    assert ref.path == "https://host.example/run/a_result.json"
    assert ref.file_size is None and ref.url == ref.path
    assert ref.path.name == "a_result.json" and ref.path.suffix == ".json"
    refs = FileReferenceList([ref, FileReference("result/b.png", "5", "t", job(job_type=0))])
    assert refs.get_total_bytes() == 5
    assert refs.get_parent_type() == [JobType.EXTERNAL, JobType.NORMAL]


def test_external_listing_keeps_urls_intact(fake_gql: FakeGraphQL) -> None:
    gw = public_client(fake_gql)
    url = "https://host.example/run//data/GW150914.h5?x=1"
    fake_gql.on("BilbyResultFiles", listing(2, url, size=None))
    refs = job(gw).get_full_file_list()
    assert refs.get_paths() == [url]
    assert refs[0].url == url and refs[0].file_size is None
    assert "https:/host" not in repr(refs[0])


def test_filter_by_name_matches_the_stem() -> None:
    parent = job(job_type=0)
    refs = FileReferenceList(
        [
            FileReference("dir/name.test", 1, "a", parent),
            FileReference("dir/test.ext", 1, "b", parent),
        ]
    )
    assert refs.filter_list_by_path(name="test").get_paths() == [Path("dir/test.ext")]
    assert refs.filter_list_by_path(name="name").get_paths() == [Path("dir/name.test")]
    assert refs.filter_list_by_path(name="ext") == []
    assert refs.filter_list_by_path(name="") == refs


# -- None where 1.x returned None ----------------------------------------------------------


def test_unknown_job_is_none_unless_strict(fake_gql: FakeGraphQL) -> None:
    gw = public_client(fake_gql)
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": None}})
    assert gw.get_job_by_id(JOB_ID) is None
    with pytest.raises(NotFoundError, match=JOB_ID):
        gw.get_job_by_id(JOB_ID, strict=True)


def test_unknown_job_error_answer_is_none_unless_strict(
    fake_gql: FakeGraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = public_client(fake_gql)

    class NotFoundServer:
        """Stands in for the generated client when the server answers "not found"."""

        @staticmethod
        def bilby_job(**_kw: Any) -> Any:
            raise NotFoundError([{"message": "BilbyJob matching query does not exist."}])

    monkeypatch.setattr(gw, "_bilby", NotFoundServer())
    assert gw.get_job_by_id(JOB_ID) is None
    with pytest.raises(NotFoundError, match="does not exist"):
        gw.get_job_by_id(JOB_ID, strict=True)


def test_event_id_empty_is_none_unless_strict(fake_gql: FakeGraphQL) -> None:
    gw = public_client(fake_gql)
    assert gw.get_event_id("") is None
    with pytest.raises(ValidationError):
        gw.get_event_id("", strict=True)
    fake_gql.on("EventId", {"data": {"eventId": None}})
    assert gw.get_event_id("GW150914_095045") is None
    with pytest.raises(NotFoundError):
        gw.get_event_id("GW150914_095045", strict=True)
    assert fake_gql.names() == ["JwtToken", "EventId", "EventId"]


def test_async_client_returns_none_too(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": None}})

    async def run() -> tuple[Any, Any]:
        async with AsyncGWCloud(progress=False) as gw:
            job_none = await gw.get_job_by_id(JOB_ID)
            event_none = await gw.get_event_id("")
            with pytest.raises(NotFoundError):
                await gw.get_job_by_id(JOB_ID, strict=True)
            return job_none, event_none

    assert asyncio.run(run()) == (None, None)


# -- environment ---------------------------------------------------------------------------


def test_env_token_leaves_library_client_anonymous(
    fake_gql: FakeGraphQL, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GWCLOUD_TOKEN", SENTINEL_TOKEN)
    gw = GWCloud(progress=False)
    assert "anonymous" in repr(gw)
    assert httpx_mock.get_requests() == []
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection([job_node(1)])}})
    gw.get_public_job_list("x")
    request = httpx_mock.get_requests()[0]
    assert "authorization" not in request.headers and "x-correlation-id" in request.headers


def test_cli_still_reads_env_token_and_endpoint(
    fake_gql: FakeGraphQL, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gwcloud_python.cli import main

    monkeypatch.setenv("GWCLOUD_TOKEN", SENTINEL_TOKEN)
    monkeypatch.setenv("GWCLOUD_ENDPOINT", CUSTOM)
    fake_gql.on("JwtToken", jwt_answer())
    fake_gql.on("AllEventIds", {"data": {"allEventIds": []}})
    assert main(["event-id", "list"]) == 0
    auth_call = fake_gql.calls[0]
    assert auth_call[0] == "JwtToken" and auth_call[1] == {"token": SENTINEL_TOKEN}
    assert str(auth_call[2].url) == CUSTOM_AUTH
    assert all(r.url.host == "my-host.test" for r in httpx_mock.get_requests())


# -- tokens only where the user pointed ----------------------------------------------------


def test_custom_endpoint_derives_its_own_auth_endpoint(
    fake_gql: FakeGraphQL, httpx_mock: Any
) -> None:
    fake_gql.on("JwtToken", jwt_answer())
    fake_gql.on("BilbyJobs", {"data": {"bilbyJobs": connection([private_job_node(1)])}})
    gw = GWCloud(SENTINEL_TOKEN, endpoint=CUSTOM, progress=False)
    gw.get_user_jobs(1)
    assert gw.auth_endpoint == CUSTOM_AUTH
    urls = [str(r.url) for r in httpx_mock.get_requests()]
    assert urls == [CUSTOM_AUTH, CUSTOM]
    assert not any("gwcloud.org.au" in url for url in urls)


def test_env_endpoint_without_auth_endpoint_stays_on_its_host(
    fake_gql: FakeGraphQL, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GWCLOUD_ENDPOINT", "https://other.test/prefix/bilby/graphql")
    fake_gql.on("JwtToken", jwt_answer())
    gw = GWCloud(SENTINEL_TOKEN, progress=False)
    assert gw.auth_endpoint == "https://other.test/prefix/auth/graphql"
    assert [r.url.host for r in httpx_mock.get_requests()] == ["other.test"]


def test_explicit_auth_endpoint_is_kept(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("JwtToken", jwt_answer())
    gw = GWCloud(
        SENTINEL_TOKEN, auth_endpoint="https://auth.test/graphql", endpoint=CUSTOM, progress=False
    )
    assert gw.auth_endpoint == "https://auth.test/graphql"
    assert str(fake_gql.calls[0][2].url) == "https://auth.test/graphql"


# -- download hosts per deployment ---------------------------------------------------------


def downloaded_urls(fake: FakeGraphQL, httpx_mock: Any, gw: GWCloud, job_type: int) -> list[str]:
    fake.on("BilbyResultFiles", listing(job_type, "result/a.png"))
    fake.on("GenerateFileDownloadIds", ids_answer)
    httpx_mock.add_response(method="GET", content=b"abc", is_reusable=True)
    gw.get_files_by_reference(job(gw).get_full_file_list())
    return [str(r.url) for r in httpx_mock.get_requests() if r.method == "GET"]


@pytest.mark.parametrize(
    ("job_type", "expected"),
    [
        (0, "https://jobcontroller.adacs.org.au/job/apiv1/file/?fileId=id-tok-0"),
        (1, "https://gwcloud.org.au/bilby/file_download/?fileId=id-tok-0"),
    ],
)
def test_public_2023_download_hosts(
    fake_gql: FakeGraphQL, httpx_mock: Any, job_type: int, expected: str
) -> None:
    gw = public_client(fake_gql)
    assert downloaded_urls(fake_gql, httpx_mock, gw, job_type) == [expected]


@pytest.mark.parametrize(
    ("job_type", "expected"),
    [
        (0, "https://jobcontroller.adacs.org.au/job/apiv1/file/?fileId=id-tok-0"),
        (1, "https://gwcloud.org.au/file_download/?fileId=id-tok-0"),
    ],
)
def test_public_2026_download_hosts(
    fake_gql: FakeGraphQL, httpx_mock: Any, job_type: int, expected: str
) -> None:
    gw = GWCloud(endpoint=PUBLIC_2026, progress=False)
    assert downloaded_urls(fake_gql, httpx_mock, gw, job_type) == [expected]


@pytest.mark.parametrize(
    ("job_type", "expected"),
    [
        (0, "https://my-host.test/job/apiv1/file/?fileId=id-tok-0"),
        (1, "https://my-host.test/bilby/file_download/?fileId=id-tok-0"),
    ],
)
def test_other_host_serves_both_kinds(
    fake_gql: FakeGraphQL, httpx_mock: Any, job_type: int, expected: str
) -> None:
    gw = GWCloud(endpoint=CUSTOM, progress=False)
    assert downloaded_urls(fake_gql, httpx_mock, gw, job_type) == [expected]


def test_job_controller_table_is_keyed_by_origin(
    fake_gql: FakeGraphQL, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(_profiles.JOB_CONTROLLERS, "https://my-host.test", "http://127.0.0.1:9")
    gw = GWCloud(endpoint=CUSTOM, progress=False)
    assert gw.job_file_download_url == "http://127.0.0.1:9/job/apiv1/file/"
    assert gw.file_download_url == "https://my-host.test/bilby/file_download/"
    assert downloaded_urls(fake_gql, httpx_mock, gw, 0) == [
        "http://127.0.0.1:9/job/apiv1/file/?fileId=id-tok-0"
    ]


def test_download_urls_overridable(fake_gql: FakeGraphQL, httpx_mock: Any) -> None:
    gw = public_client(
        fake_gql,
        file_download_url="https://up.test/files/",
        job_file_download_url="https://normal.test/files/",
    )
    assert downloaded_urls(fake_gql, httpx_mock, gw, 0) == [
        "https://normal.test/files/?fileId=id-tok-0"
    ]


# -- the 1.x modules -----------------------------------------------------------------------


def test_1x_modules_importable() -> None:
    from gwcloud_python import settings, utils
    from gwcloud_python.utils import file_download, file_filters, file_upload, identifiers

    assert settings.GWCLOUD_ENDPOINT == "https://gwcloud.org.au/bilby/graphql"
    assert settings.GWCLOUD_AUTH_ENDPOINT == "https://gwcloud.org.au/auth/graphql"
    assert settings.GWCLOUD_FILE_DOWNLOAD_ENDPOINT == (
        "https://jobcontroller.adacs.org.au/job/apiv1/file/?fileId="
    )
    assert settings.GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT == (
        "https://gwcloud.org.au/bilby/file_download/?fileId="
    )
    assert utils.file_filters is file_filters and callable(file_filters.default_filter)
    assert callable(identifiers.result_json_file) and callable(file_upload.check_file)
    assert callable(file_download._download_files)


@pytest.mark.parametrize(
    "module", ["gwcloud_python.settings", "gwcloud_python.utils.file_download"]
)
def test_settings_reassigned_by_a_script_are_honoured(
    fake_gql: FakeGraphQL, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    gw = public_client(fake_gql)  # created before the script changes the setting
    monkeypatch.setattr(f"{module}.GWCLOUD_FILE_DOWNLOAD_ENDPOINT", "http://127.0.0.1:9/f/?fileId=")
    assert gw.job_file_download_url == "http://127.0.0.1:9/f/"
    assert downloaded_urls(fake_gql, httpx_mock, gw, 0) == ["http://127.0.0.1:9/f/?fileId=id-tok-0"]


def test_explicit_urls_beat_settings(
    fake_gql: FakeGraphQL, httpx_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "gwcloud_python.settings.GWCLOUD_FILE_DOWNLOAD_ENDPOINT", "http://127.0.0.1:9/f/?fileId="
    )
    gw = public_client(fake_gql, job_file_download_url="https://normal.test/files/")
    assert downloaded_urls(fake_gql, httpx_mock, gw, 0) == [
        "https://normal.test/files/?fileId=id-tok-0"
    ]


# -- uploads carry no JWT and are sent once ------------------------------------------------


def _job_archive(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name in ("data", "result", "results_page"):
            info = tarfile.TarInfo(f"./{name}")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        data = b"label = up\n"
        info = tarfile.TarInfo("./up_config_complete.ini")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def _upload_setup(fake: FakeGraphQL) -> GWCloud:
    gw = public_client(fake)
    fake.on(
        "GenerateBilbyJobUploadToken",
        {"data": {"generateBilbyJobUploadToken": {"token": "up-token-1"}}},
    )
    fake.on("BilbyJob", {"data": {"bilbyJob": private_job_node(5, "up", job_type=1)}})
    return gw


def test_upload_sends_no_jwt(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    gw = _upload_setup(fake_gql)
    fake_gql.on(
        "UploadBilbyJob", {"data": {"uploadBilbyJob": {"result": {"jobId": job_node(5)["id"]}}}}
    )
    gw.upload_job_archive("d", _job_archive(tmp_path / "job.tar.gz"))
    calls = {name: request for name, _, request in fake_gql.calls}
    assert "authorization" not in calls["UploadBilbyJob"].headers
    assert calls["GenerateBilbyJobUploadToken"].headers["authorization"].startswith("JWT ")
    assert fake_gql.names().count("UploadBilbyJob") == 1


def test_refused_upload_is_not_resent(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    gw = _upload_setup(fake_gql)
    fake_gql.on("RefreshToken", {"data": {"refreshToken": {"token": "t2", "refreshToken": "r2"}}})
    fake_gql.on("UploadBilbyJob", {"errors": [{"message": "Signature has expired"}]})
    with pytest.raises(AuthenticationError):
        gw.upload_job_archive("d", _job_archive(tmp_path / "job.tar.gz"))
    assert fake_gql.names().count("UploadBilbyJob") == 1
    assert "RefreshToken" not in fake_gql.names()


# -- typed job attributes (other kept as a read-only view) ----------------------------------


def test_typed_job_attributes(fake_gql: FakeGraphQL) -> None:
    gw = public_client(fake_gql)
    node = private_job_node(5, "typed", job_type=1)
    node.update({"private": True, "cluster": "ozstar", "labels": [{"name": "Official"}]})
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": node}})
    found = gw.get_job_by_id(5, strict=True)
    utc = timezone.utc
    assert found.creation_time == datetime(2026, 1, 1, tzinfo=utc)
    assert found.last_updated == datetime(2026, 1, 1, tzinfo=utc)
    assert found.labels == ["Official"] and found.private is True
    assert found.cluster == "ozstar" and found.is_ligo_job is False
    assert found.job_type is JobType.UPLOADED and found.job_controller_id is None
    other = found.other
    assert other["creation_time"] == found.creation_time
    assert isinstance(other["last_updated"], datetime)
    assert other["labels"] == ["Official"] and other["job_type"] == 1
    other["labels"].append("changed")
    other["private"] = False
    assert found.labels == ["Official"] and found.other["private"] is True
    with pytest.raises(AttributeError):
        found.other = {}  # type: ignore[misc]


def test_public_list_jobs_leave_unfetched_fields_none(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection([job_node(1)])}})
    listed = GWCloud(progress=False).get_public_job_list("x")[0]
    assert listed.labels is None and listed.creation_time is None and listed.type is None
    assert "labels" not in listed.other and "job_type" not in listed.other
    assert listed.timestamp is None and listed.private is None


def test_extra_keywords_stay_in_other() -> None:
    made = BilbyJob(None, JOB_ID, "n", "d", "u", None, None, custom="x", creation_time="2021-01-02")
    assert made.other == {"creation_time": datetime(2021, 1, 2), "custom": "x"}
    assert made.creation_time == datetime(2021, 1, 2)


def test_public_names_exported() -> None:
    assert gwcloud_python.NotFoundError is NotFoundError


def test_supporting_file_upload_sends_no_jwt_and_is_sent_once(
    fake_gql: FakeGraphQL, tmp_path: Path
) -> None:
    (tmp_path / "prior.prior").write_text("mass = 1\n")
    ini = tmp_path / "job.ini"
    ini.write_text("label = demo\nprior-file = prior.prior\n")
    gw = public_client(fake_gql)
    created = {
        "jobId": job_node(9)["id"],
        "supportingFiles": [{"filePath": "prior.prior", "token": "t1"}],
    }
    fake_gql.on(
        "NewBilbyJobFromIniString", {"data": {"newBilbyJobFromIniString": {"result": created}}}
    )
    fake_gql.on("RefreshToken", {"data": {"refreshToken": {"token": "t2", "refreshToken": "r2"}}})
    fake_gql.on("UploadSupportingFiles", {"errors": [{"message": "Signature has expired"}]})
    with pytest.raises(GWCloudError) as info:
        gw.start_bilby_job_from_file("demo", "d", False, ini)
    assert job_node(9)["id"] in str(info.value)  # the error names the job that was created
    uploads = [request for name, _, request in fake_gql.calls if name == "UploadSupportingFiles"]
    assert len(uploads) == 1
    assert "authorization" not in uploads[0].headers
    assert "RefreshToken" not in fake_gql.names()


def test_async_upload_sends_no_jwt_and_is_sent_once(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    archive = _job_archive(tmp_path / "job.tar.gz")
    fake_gql.on("JwtToken", jwt_answer())
    fake_gql.on(
        "GenerateBilbyJobUploadToken",
        {"data": {"generateBilbyJobUploadToken": {"token": "up-token-1"}}},
    )
    fake_gql.on("UploadBilbyJob", {"errors": [{"message": "Signature has expired"}]})

    async def run() -> None:
        async with AsyncGWCloud(SENTINEL_TOKEN, progress=False) as gw:
            with pytest.raises(AuthenticationError):
                await gw.upload_job_archive("d", archive)

    asyncio.run(run())
    uploads = [request for name, _, request in fake_gql.calls if name == "UploadBilbyJob"]
    assert len(uploads) == 1 and "authorization" not in uploads[0].headers
    assert "RefreshToken" not in fake_gql.names()


def test_async_jobs_have_typed_attributes(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(5, "typed")}})

    async def run() -> Any:
        async with AsyncGWCloud(progress=False) as gw:
            return await gw.get_job_by_id(5, strict=True)

    found = asyncio.run(run())
    assert found.creation_time == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert found.last_updated == found.creation_time and found.type is JobType.NORMAL
    assert found.other["private"] is False and found.other is not found.other


def test_1x_save_file_map_fn_keeps_paths_inside_root_and_writes_whole_files(
    httpx_mock: Any, tmp_path: Path
) -> None:
    from gwcloud_python.utils.file_download import _save_file_map_fn

    job = BilbyJob(None, JOB_ID, "n", "d", "u", None, None, job_type=JobType.NORMAL)
    root = tmp_path / "root"
    escaping = FileReference("../outside.txt", 3, "tok", job)
    with pytest.raises(ValidationError, match="outside"):
        _save_file_map_fn("id1", escaping, progress_bar=_NoBar(), root_path=root)
    assert not (tmp_path / "outside.txt").exists()
    assert httpx_mock.get_requests() == []  # refused before any request

    httpx_mock.add_response(content=b"abc")
    inside = FileReference("result/a.txt", 3, "tok", job)
    _save_file_map_fn("id2", inside, progress_bar=_NoBar(), root_path=root)
    assert (root / "result" / "a.txt").read_bytes() == b"abc"
    assert sorted(p.name for p in (root / "result").iterdir()) == ["a.txt"]  # no temporary left


class _NoBar:
    def update(self, n: float | None = 1) -> None:
        """Accept progress updates and ignore them."""

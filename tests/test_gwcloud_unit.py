"""Unit tests of the GWCloud facade: request shapes and error paths, with pytest-httpx."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from _gql_fake import (
    AUTH_ENDPOINT,
    ENDPOINT,
    SENTINEL_JWT,
    SENTINEL_REFRESH,
    SENTINEL_TOKEN,
    FakeGraphQL,
    connection,
    job_node,
    jwt_answer,
    private_job_node,
)

from gwcloud_python import (
    AuthenticationError,
    BilbyJob,
    Cluster,
    GraphQLError,
    GWCloud,
    GWCloudAuthenticationError,
    GWCloudError,
    OperationOutcomeUnknown,
    TimeRange,
    TransportError,
    ValidationError,
)


def anonymous() -> GWCloud:
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    gw.client.sleep = lambda _s: None
    return gw


def authenticated(fake: FakeGraphQL) -> GWCloud:
    fake.on("JwtToken", jwt_answer())
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    gw.client.sleep = lambda _s: None
    return gw


def test_public_job_list_request_shape(fake_gql: FakeGraphQL) -> None:
    fake_gql.on(
        "PublicBilbyJobs",
        {"data": {"publicBilbyJobs": connection([job_node(1, "a"), job_node(2, "b")])}},
    )
    jobs = anonymous().get_public_job_list("GW150914", "1w", number=5)
    name, variables, request = fake_gql.calls[0]
    assert name == "PublicBilbyJobs"
    assert variables == {"search": "GW150914", "timeRange": "1w", "first": 5}
    assert "authorization" not in request.headers
    assert str(request.url) == ENDPOINT
    assert [j.name for j in jobs] == ["a", "b"]
    assert jobs[0].status is not None and jobs[0].status.status == "Completed"
    assert jobs[0].job_id == base64.b64encode(b"BilbyJobNode:1").decode()


def test_public_job_list_pages_until_number(fake_gql: FakeGraphQL) -> None:
    pages = {
        None: connection([job_node(1), job_node(2)], has_next=True, cursor="p1"),
        "p1": connection([job_node(3)], has_next=False, cursor="p2"),
    }
    fake_gql.on(
        "PublicBilbyJobs", lambda v, _r: {"data": {"publicBilbyJobs": pages[v.get("after")]}}
    )
    jobs = anonymous().get_public_job_list(number=10)
    assert [j.job_id for j in jobs] == [job_node(i)["id"] for i in (1, 2, 3)]
    assert [c[1].get("after") for c in fake_gql.calls] == [None, "p1"]


@pytest.mark.parametrize("bad", ["2w", "ANY", None, 7])
def test_bad_time_range_names_value(fake_gql: FakeGraphQL, bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        anonymous().get_public_job_list(time_range=bad)
    assert repr(bad) in str(info.value)
    assert "'1w'" in str(info.value)
    assert fake_gql.calls == []


def test_official_list_adds_label_term(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection([job_node(1)])}})
    anonymous().get_official_job_list("GW170817")
    assert fake_gql.calls[0][1]["search"] == "labels.name:Official GW170817"
    assert fake_gql.calls[0][1]["timeRange"] == TimeRange.ANY.value


def test_token_exchange_and_jwt_header(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on("BilbyJobs", {"data": {"bilbyJobs": connection([private_job_node(4)])}})
    jobs = gw.get_user_jobs(number=3)
    assert fake_gql.names() == ["JwtToken", "BilbyJobs"]
    auth_call, bilby_call = fake_gql.calls
    assert str(auth_call[2].url) == AUTH_ENDPOINT
    assert auth_call[1] == {"token": SENTINEL_TOKEN}
    assert bilby_call[2].headers["authorization"] == f"JWT {SENTINEL_JWT}"
    assert bilby_call[1] == {"first": 3}
    assert jobs[0].is_normal()


def test_expired_jwt_refreshes_once_and_resends(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fresh = SENTINEL_JWT + "fresh"
    fake_gql.on(
        "RefreshToken",
        {"data": {"refreshToken": {"token": fresh, "refreshToken": "r2-token"}}},
    )

    def jobs(_v: dict[str, Any], request: httpx.Request) -> dict[str, Any]:
        if request.headers["authorization"] == f"JWT {SENTINEL_JWT}":
            return {"data": None, "errors": [{"message": "Signature has expired"}]}
        return {"data": {"bilbyJobs": connection([])}}

    fake_gql.on("BilbyJobs", jobs)
    assert gw.get_user_jobs() == []
    assert fake_gql.names() == ["JwtToken", "BilbyJobs", "RefreshToken", "BilbyJobs"]
    assert fake_gql.calls[2][1] == {"refreshToken": SENTINEL_REFRESH}
    assert fake_gql.calls[3][2].headers["authorization"] == f"JWT {fresh}"


def test_still_expired_after_refresh_raises_auth_error(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on(
        "RefreshToken", {"data": {"refreshToken": {"token": "x" * 20, "refreshToken": "y" * 20}}}
    )
    fake_gql.on("BilbyJobs", {"data": None, "errors": [{"message": "Signature has expired"}]})
    with pytest.raises(AuthenticationError):
        gw.get_user_jobs()
    assert fake_gql.names().count("BilbyJobs") == 2


def test_wrong_token_raises_without_leaking(fake_gql: FakeGraphQL) -> None:
    fake_gql.on(
        "JwtToken", {"data": {"jwtToken": None}, "errors": [{"message": f"bad {SENTINEL_TOKEN}"}]}
    )
    with pytest.raises(GWCloudAuthenticationError) as info:
        GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    assert isinstance(info.value, AuthenticationError)
    for text in (str(info.value), repr(info.value)):
        assert SENTINEL_TOKEN not in text


def test_anonymous_write_refused_before_any_request(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    gw = anonymous()
    with pytest.raises(AuthenticationError, match="anonymous"):
        gw.start_bilby_job_from_string("name", "desc", False, "label = x\n")
    with pytest.raises(AuthenticationError):
        gw.create_event_id("GW150914_095045", 1126259462.391)
    with pytest.raises(AuthenticationError):
        gw.get_user_jobs()
    assert fake_gql.calls == []


def test_graphql_error_keeps_partial_data(fake_gql: FakeGraphQL) -> None:
    fake_gql.on(
        "AllEventIds",
        {"data": {"allEventIds": []}, "errors": [{"message": "boom", "path": ["allEventIds"]}]},
    )
    with pytest.raises(GraphQLError) as info:
        anonymous().get_all_event_ids()
    assert info.value.operation_name == "AllEventIds"
    assert info.value.data == {"allEventIds": []}
    assert info.value.messages == ["boom"]


def test_query_retries_5xx_then_gives_up(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("AllEventIds", lambda _v, _r: httpx.Response(503, headers={"Retry-After": "0"}))
    gw = anonymous()
    with pytest.raises(TransportError) as info:
        gw.get_all_event_ids()
    assert info.value.status_code == 503
    assert fake_gql.names().count("AllEventIds") == gw.client.max_retries + 1


def test_query_retry_succeeds(fake_gql: FakeGraphQL) -> None:
    answers = [httpx.Response(500), httpx.Response(200, json={"data": {"allEventIds": []}})]
    fake_gql.on("AllEventIds", lambda _v, _r: answers.pop(0))
    assert anonymous().get_all_event_ids() == []


def test_malformed_json_is_transport_error(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("AllEventIds", lambda _v, _r: httpx.Response(200, content=b"<html>oops"))
    with pytest.raises(TransportError, match="not valid JSON"):
        anonymous().get_all_event_ids()


def test_mutation_5xx_is_sent_once_and_says_outcome_unknown(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on("DeleteEventId", lambda _v, _r: httpx.Response(502))
    with pytest.raises(OperationOutcomeUnknown) as info:
        gw.delete_event_id("GW150914_095045")
    assert fake_gql.names().count("DeleteEventId") == 1
    assert "may or may not" in str(info.value)


def test_get_job_by_integer_key(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(42, "answer")}})
    job = anonymous().get_job_by_id(42)
    assert fake_gql.calls[0][1] == {"id": base64.b64encode(b"BilbyJobNode:42").decode()}
    assert isinstance(job, BilbyJob) and job.name == "answer"
    assert repr(job) == f"BilbyJob(name='answer', job_id={job.job_id!r})"


@pytest.mark.parametrize("bad", ["abc", "", -1, 0, "QmlsYnk=", 1.5, True])
def test_bad_job_id(fake_gql: FakeGraphQL, bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        anonymous().get_job_by_id(bad)
    assert repr(bad) in str(info.value)
    assert fake_gql.calls == []


def test_event_id_create_sends_decimal_string(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on("CreateEventId", {"data": {"createEventId": {"result": "ok"}}})
    fake_gql.on(
        "EventId",
        {
            "data": {
                "eventId": {
                    "eventId": "GW150914_095045",
                    "triggerId": "S150914a",
                    "nickname": "GW150914",
                    "isLigoEvent": False,
                    "gpsTime": 1126259462.391,
                }
            }
        },
    )
    event = gw.create_event_id("GW150914_095045", 1126259462.391, "S150914a", "GW150914")
    assert fake_gql.calls[1][0] == "CreateEventId"
    create = fake_gql.calls[1][1]
    assert create["gpsTime"] == "1126259462.391"
    # the LIGO flag is sent only when asked for (tests/test_ligo_flag.py)
    assert create["eventId"] == "GW150914_095045" and "isLigoEvent" not in create
    assert event.nickname == "GW150914"


def test_update_event_id_sends_only_given_fields(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on("UpdateEventId", {"data": {"updateEventId": {"result": "ok"}}})
    fake_gql.on("EventId", {"data": {"eventId": None}, "errors": [{"message": "gone"}]})
    with pytest.raises(GraphQLError):
        gw.update_event_id("GW150914_095045", nickname="new")
    assert fake_gql.calls[1][1] == {"eventId": "GW150914_095045", "nickname": "new"}


def test_submit_from_file_uploads_supporting_files(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    (tmp_path / "prior.prior").write_text("mass = 1\n")
    (tmp_path / "h1.txt").write_text("psd\n")
    ini = tmp_path / "job.ini"
    ini.write_text("label = demo\nprior-file = prior.prior\npsd_dict = {H1: h1.txt}\n")
    gw = authenticated(fake_gql)
    fake_gql.on(
        "NewBilbyJobFromIniString",
        {
            "data": {
                "newBilbyJobFromIniString": {
                    "result": {
                        "jobId": job_node(9)["id"],
                        "supportingFiles": [
                            {"filePath": "prior.prior", "token": "t1"},
                            {"filePath": "h1.txt", "token": "t2"},
                        ],
                    }
                }
            }
        },
    )
    fake_gql.on(
        "UploadSupportingFiles", {"data": {"uploadSupportingFiles": {"result": {"result": True}}}}
    )
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(9, "demo")}})
    job = gw.start_bilby_job_from_file("demo", "a demo", True, ini, cluster="ozstar")
    assert job.name == "demo"
    submit = fake_gql.calls[1][1]
    assert submit["cluster"] == "ozstar" and submit["private"] is True
    upload_request = fake_gql.calls[2][2]
    body = upload_request.read()
    assert b'"map": "{\\"0\\": [\\"variables.supportingFiles.0.supportingFile\\"]' in body or (
        b"variables.supportingFiles.1.supportingFile" in body
    )
    assert b"mass = 1" in body and b"psd" in body
    operations = fake_gql.calls[2][1]
    assert operations["supportingFiles"] == [
        {"fileToken": "t1", "supportingFile": None},
        {"fileToken": "t2", "supportingFile": None},
    ]


def test_submit_refuses_missing_supporting_file(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    ini = tmp_path / "job.ini"
    ini.write_text("prior-file = missing.prior\n")
    gw = authenticated(fake_gql)
    with pytest.raises(ValidationError, match=r"missing\.prior"):
        gw.start_bilby_job_from_file("demo", "d", False, ini)
    assert fake_gql.names() == ["JwtToken"]


def test_bad_cluster(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    with pytest.raises(ValidationError, match="'mars'"):
        gw.start_bilby_job_from_string("n", "d", False, "label = x\n", cluster="mars")
    assert Cluster("cit") is Cluster.CIT


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


def test_upload_archive_multipart_map(fake_gql: FakeGraphQL, tmp_path: Path) -> None:
    archive = _job_archive(tmp_path / "job.tar.gz")
    gw = authenticated(fake_gql)
    fake_gql.on(
        "GenerateBilbyJobUploadToken",
        {"data": {"generateBilbyJobUploadToken": {"token": "up-token-1"}}},
    )
    fake_gql.on(
        "UploadBilbyJob", {"data": {"uploadBilbyJob": {"result": {"jobId": job_node(5)["id"]}}}}
    )
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(5, "up", job_type=1)}})
    job = gw.upload_job_archive("uploaded", archive, public=True)
    assert job.is_uploaded()
    name, variables, request = fake_gql.calls[2]
    assert name == "UploadBilbyJob"
    assert variables == {
        "uploadToken": "up-token-1",
        "description": "uploaded",
        "private": False,
        "jobFile": None,
    }
    body = request.read()
    assert b'{"0": ["variables.jobFile"]}' in body
    assert archive.read_bytes() in body


def test_download_urls_derive_from_endpoint(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path
) -> None:
    gw = anonymous()
    assert gw.file_download_url == "https://gwcloud.test/bilby/file_download/"
    assert gw.job_file_download_url == "https://gwcloud.test/job/apiv1/file/"
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(3, "n")}})
    fake_gql.on(
        "BilbyResultFiles",
        {
            "data": {
                "bilbyResultFiles": {
                    "jobType": 0,
                    "files": [
                        {"path": "/data", "isDir": True, "fileSize": "0", "downloadToken": None},
                        {
                            "path": "/data/a.png",
                            "isDir": False,
                            "fileSize": "3",
                            "downloadToken": "tok-a",
                        },
                    ],
                }
            }
        },
    )
    fake_gql.on(
        "GenerateFileDownloadIds",
        lambda v, _r: {
            "data": {
                "generateFileDownloadIds": {"result": [f"id-{t}" for t in v["downloadTokens"]]}
            }
        },
    )
    job = gw.get_job_by_id(3)
    files = job.get_full_file_list()
    assert [str(p) for p in files.get_paths()] == ["data/a.png"]
    assert files[0].file_size == 3
    httpx_mock.add_response(
        url="https://gwcloud.test/job/apiv1/file/?fileId=id-tok-a", content=b"png"
    )
    saved = gw.save_files_by_reference(files, tmp_path)
    assert saved == [tmp_path / "data" / "a.png"]
    assert (tmp_path / "data" / "a.png").read_bytes() == b"png"


def test_request_body_is_json_graphql(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("AllEventIds", {"data": {"allEventIds": []}})
    anonymous().get_all_event_ids()
    body = json.loads(fake_gql.calls[0][2].content)
    assert body["operationName"] == "AllEventIds"
    assert body["query"].lstrip().startswith("query AllEventIds")
    assert "fragment EventIDFields" in body["query"]


def test_job_updates_send_only_changed_fields(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(7, "old")}})
    fake_gql.on("UpdateBilbyJob", {"data": {"updateBilbyJob": {"result": "ok", "jobId": "x"}}})
    job = gw.get_job_by_id(7)
    job.set_name("new")
    job.set_description("words")
    job.set_event_id(None)
    updates = [v for name, v, _ in fake_gql.calls if name == "UpdateBilbyJob"]
    assert updates == [
        {"jobId": job.job_id, "name": "new"},
        {"jobId": job.job_id, "description": "words"},
        {"jobId": job.job_id, "eventId": ""},
    ]
    assert (job.name, job.description, job.event_id) == ("new", "words", None)


def test_upload_external_job_request(fake_gql: FakeGraphQL) -> None:
    gw = authenticated(fake_gql)
    fake_gql.on(
        "UploadExternalBilbyJob",
        {"data": {"uploadExternalBilbyJob": {"result": {"jobId": job_node(8)["id"]}}}},
    )
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(8, "ext", job_type=2)}})
    job = gw.upload_external_job("ext", "desc", True, "label = ext\n", "https://x.org/r")
    assert fake_gql.calls[1][1] == {
        "name": "ext",
        "description": "desc",
        "private": True,
        "iniFile": "label = ext\n",
        "resultUrl": "https://x.org/r",
    }
    assert job.is_external()


def test_query_4xx_is_not_retried(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("AllEventIds", lambda _v, _r: httpx.Response(404))
    with pytest.raises(TransportError) as info:
        anonymous().get_all_event_ids()
    assert info.value.status_code == 404
    assert fake_gql.names() == ["AllEventIds"]


def test_download_ids_are_retried_like_a_query(fake_gql: FakeGraphQL, httpx_mock: Any) -> None:
    answers = [
        httpx.Response(503),
        httpx.Response(200, json={"data": {"generateFileDownloadIds": {"result": ["id-1"]}}}),
    ]
    fake_gql.on("GenerateFileDownloadIds", lambda _v, _r: answers.pop(0))
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": private_job_node(3, "n")}})
    fake_gql.on(
        "BilbyResultFiles",
        {
            "data": {
                "bilbyResultFiles": {
                    "jobType": 1,
                    "files": [
                        {"path": "a.ini", "isDir": False, "fileSize": "2", "downloadToken": "t"}
                    ],
                }
            }
        },
    )
    gw = anonymous()
    job = gw.get_job_by_id(3)
    download_url = "https://gwcloud.test/bilby/file_download/?fileId=id-1"
    httpx_mock.add_response(method="GET", url=download_url, content=b"{}")
    gw.get_files_by_reference(job.get_full_file_list())
    [download] = [r for r in httpx_mock.get_requests() if r.method == "GET"]
    assert str(download.url) == download_url
    assert fake_gql.names().count("GenerateFileDownloadIds") == 2


def test_schema_mismatch_is_transport_error(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("AllEventIds", {"data": {"allEventIds": [{"eventId": 5}]}})
    with pytest.raises(TransportError, match="does not match the GraphQL schema"):
        anonymous().get_all_event_ids()


SESSION_ENDPOINT = "https://gwcloud.test/graphql"


def test_2026_profile_sends_token_as_is(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    fake_gql.on("AllEventIds", {"data": {"allEventIds": []}})
    gw = GWCloud(SENTINEL_TOKEN, endpoint=SESSION_ENDPOINT)
    assert gw.service == "2026" and gw.auth_endpoint is None
    assert gw.file_download_url == "https://gwcloud.test/file_download/"
    assert gw.job_file_download_url == "https://gwcloud.test/job/apiv1/file/"
    gw.get_all_event_ids()
    assert fake_gql.names() == ["SessionUser", "AllEventIds"]
    for _, _, request in fake_gql.calls:
        assert request.headers["authorization"] == SENTINEL_TOKEN
        assert str(request.url) == SESSION_ENDPOINT


def test_2026_public_service_uses_job_controller_for_normal_jobs() -> None:
    gw = GWCloud(endpoint="https://gwcloud.org.au/graphql")
    assert gw.service == "2026"
    assert gw.job_file_download_url == "https://jobcontroller.adacs.org.au/job/apiv1/file/"
    assert gw.file_download_url == "https://gwcloud.org.au/file_download/"
    override = GWCloud(
        endpoint="https://gwcloud.org.au/graphql", job_file_download_url="https://j.test/f/"
    )
    assert override.job_file_download_url == "https://j.test/f/"


def test_2026_anonymous_sends_correlation_id(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("AllEventIds", {"data": {"allEventIds": []}})
    GWCloud(endpoint=SESSION_ENDPOINT).get_all_event_ids()
    request = fake_gql.calls[0][2]
    assert "authorization" not in request.headers
    public_id, session_id = request.headers["x-correlation-id"].split(" ")
    assert public_id and session_id


def test_2026_refused_session_token(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": False}}})
    with pytest.raises(GWCloudAuthenticationError) as info:
        GWCloud(SENTINEL_TOKEN, endpoint=SESSION_ENDPOINT)
    assert SENTINEL_TOKEN not in str(info.value)


def test_service_choice_is_explicit_or_detected() -> None:
    assert GWCloud().service == "2023"
    assert GWCloud(endpoint="https://h.test/bilby/graphql").service == "2023"
    assert GWCloud(endpoint="https://h.test/graphql", service="2023").service == "2023"
    assert GWCloud(endpoint="https://h.test/api", service="2026").service == "2026"
    with pytest.raises(ValidationError, match="'2025'"):
        GWCloud(service="2025")


def test_hdf5_upload_refused_on_2023_before_any_request(
    fake_gql: FakeGraphQL, tmp_path: Path
) -> None:
    gw = authenticated(fake_gql)
    hdf5 = tmp_path / "r.hdf5"
    hdf5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"0" * 10)
    ini = tmp_path / "r.ini"
    ini.write_text("label = r\n")
    with pytest.raises(GWCloudError, match="2026"):
        gw.upload_hdf5_job("d", hdf5, ini)
    assert fake_gql.names() == ["JwtToken"]


def test_plain_http_token_needs_opt_in(
    fake_gql: FakeGraphQL, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValidationError, match="plain http"):
        GWCloud(SENTINEL_TOKEN, endpoint="http://remote.test/graphql")
    assert fake_gql.calls == []
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    with caplog.at_level("WARNING", logger="gwcloud_python"):
        GWCloud(SENTINEL_TOKEN, endpoint="http://remote.test/graphql", allow_insecure_http=True)
    assert "plain http" in caplog.text and SENTINEL_TOKEN not in caplog.text

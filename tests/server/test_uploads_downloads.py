"""Job archive uploads and file downloads (routes, Range, expiry)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from server_helpers import error_messages, gql, job_archive, multipart

from gwcloud_python.server import LocalServer


def _token(server: LocalServer, jwt: str) -> str:
    body = gql(server.endpoint, "GenerateBilbyJobUploadToken", jwt=jwt)
    token: str = body["data"]["generateBilbyJobUploadToken"]["token"]
    return token


def _upload(server: LocalServer, token: str, data: bytes) -> dict[str, Any]:
    return multipart(
        server.endpoint,
        "UploadBilbyJob",
        {"uploadToken": token, "description": "up", "private": False, "jobFile": None},
        {"variables.jobFile": ("job.tar.gz", data)},
    )


def _download_ids(
    server: LocalServer, job_id: str, paths: list[str], jwt: str | None = None
) -> list[str]:
    files = gql(server.endpoint, "BilbyResultFiles", {"jobId": job_id}, jwt=jwt)["data"][
        "bilbyResultFiles"
    ]["files"]
    tokens = {f["path"]: f["downloadToken"] for f in files}
    body = gql(
        server.endpoint,
        "GenerateFileDownloadIds",
        {"jobId": job_id, "downloadTokens": [tokens[p] for p in paths]},
        jwt=jwt,
    )
    ids: list[str] = body["data"]["generateFileDownloadIds"]["result"]
    return ids


def test_upload_valid_archive(local_server: LocalServer, jwts: dict[str, str]) -> None:
    token = _token(local_server, jwts["demo"])
    body = _upload(local_server, token, job_archive("good_upload"))
    job_id = body["data"]["uploadBilbyJob"]["result"]["jobId"]
    job = gql(local_server.endpoint, "BilbyJob", {"id": job_id})["data"]["bilbyJob"]
    assert job["name"] == "good_upload" and job["jobType"] == 1
    assert job["jobStatus"]["name"] == "Completed" and job["description"] == "up"
    files = gql(local_server.endpoint, "BilbyResultFiles", {"jobId": job_id})["data"][
        "bilbyResultFiles"
    ]
    assert {f["path"] for f in files["files"]} >= {"data", "result/good_upload_result.json"}
    reuse = _upload(local_server, token, job_archive("again"))
    assert error_messages(reuse) == ["Job upload token is invalid or expired."]


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (job_archive(extra=[("../x", b"evil", None)]), "not under './'"),
        (job_archive(extra=[("./data/../../x", b"evil", None)]), "escapes"),
        (job_archive(extra=[("/etc/x", b"evil", None)]), "absolute"),
        (job_archive(extra=[("./result/link", None, "../../../etc/passwd")]), "outside"),
        (job_archive(extra=[("./result/abs", None, "/etc/passwd")]), "absolute"),
        (job_archive(skip="data"), "data/"),
        (
            job_archive(extra=[("./second_config_complete.ini", b"label = b\n", None)]),
            "exactly one",
        ),
        (b"plain text, not gzip", "gzipped tar"),
        (b"\x1f\x8b\x08\x00garbage", "not a valid"),
    ],
)
def test_upload_rejects_bad_archives(
    local_server: LocalServer, jwts: dict[str, str], archive: bytes, message: str
) -> None:
    before = sorted(p.name for p in (local_server.data_dir / "jobs").iterdir())
    body = _upload(local_server, _token(local_server, jwts["demo"]), archive)
    assert message in error_messages(body)[0]
    assert sorted(p.name for p in (local_server.data_dir / "jobs").iterdir()) == before
    assert not list((local_server.data_dir / "tmp").glob("upload-*"))


def test_download_normal_job_with_range(local_server: LocalServer, demo: dict[str, Any]) -> None:
    job_id = demo["jobs"]["GW150914"]
    path = "result/GW150914_corner.png"
    expected = local_server.file_bytes(job_id, path)
    (file_id,) = _download_ids(local_server, job_id, [path])
    url = f"{local_server.base_url}/job/apiv1/file/?fileId={file_id}"
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == expected
    assert whole.headers["content-length"] == str(len(expected))
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "application/octet-stream"
    part = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == expected[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(expected)}"
    tail = httpx.get(url, headers={"Range": "bytes=100-"})
    assert tail.status_code == 206 and tail.content == expected[100:]
    bad = httpx.get(url, headers={"Range": f"bytes={len(expected)}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(expected)}"
    wrong_route = httpx.get(f"{local_server.base_url}/bilby/file_download/?fileId={file_id}")
    assert wrong_route.status_code == 404
    assert httpx.get(f"{local_server.base_url}/job/apiv1/file/?fileId=nope").status_code == 404


def test_download_uploaded_job(local_server: LocalServer, demo: dict[str, Any]) -> None:
    job_id = demo["jobs"]["GW151226"]
    paths = ["results_page/home.html", "GW151226_config_complete.ini"]
    ids = _download_ids(local_server, job_id, paths)
    assert len(ids) == 2
    for file_id, path in zip(ids, paths, strict=True):
        response = httpx.get(f"{local_server.base_url}/bilby/file_download/?fileId={file_id}")
        assert response.status_code == 200
        assert response.content == local_server.file_bytes(job_id, path)
        wrong = httpx.get(f"{local_server.base_url}/job/apiv1/file/?fileId={file_id}")
        assert wrong.status_code == 404


def test_download_ids_need_tokens_of_the_job(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    files = gql(local_server.endpoint, "BilbyResultFiles", {"jobId": demo["jobs"]["GW150914"]})
    token = next(
        f["downloadToken"] for f in files["data"]["bilbyResultFiles"]["files"] if f["downloadToken"]
    )
    body = gql(
        local_server.endpoint,
        "GenerateFileDownloadIds",
        {"jobId": demo["jobs"]["GW170817"], "downloadTokens": [token]},
    )
    assert body["errors"]
    hidden = gql(
        local_server.endpoint,
        "GenerateFileDownloadIds",
        {"jobId": demo["jobs"]["demo-private"], "downloadTokens": [token]},
        jwt=jwts["ligo"],
    )
    assert error_messages(hidden) == ["BilbyJobNode matching query does not exist."]


def test_scale_seed_generated_downloads(local_server: LocalServer) -> None:
    summary = local_server.seed_scale(jobs=20, files_per_job=2, file_size=3_000_000)
    job_id = summary["first_job_id"]
    (file_id,) = _download_ids(local_server, job_id, ["result/scale_0001.dat"])
    url = f"{local_server.base_url}/job/apiv1/file/?fileId={file_id}"
    expected = local_server.file_bytes(job_id, "result/scale_0001.dat")
    assert len(expected) == 3_000_000
    assert httpx.get(url).content == expected
    part = httpx.get(url, headers={"Range": "bytes=65530-1000000"})
    assert part.status_code == 206 and part.content == expected[65530:1000001]
    body = gql(
        local_server.endpoint,
        "PublicBilbyJobs",
        {"timeRange": "all", "first": 100, "search": "labels.name:Scale"},
    )
    assert len(body["data"]["publicBilbyJobs"]["edges"]) >= 20


def test_expired_download_ids(tmp_path_factory: pytest.TempPathFactory) -> None:
    with LocalServer(tmp_path_factory.mktemp("dl"), download_id_ttl=-1) as server:
        jobs = server.seed_demo()["jobs"]
        (file_id,) = _download_ids(server, jobs["GW150914"], ["results_page/home.html"])
        assert httpx.get(f"{server.base_url}/job/apiv1/file/?fileId={file_id}").status_code == 404

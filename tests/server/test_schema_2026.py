"""The 2026 server mode: one ``/graphql`` endpoint, API tokens, ``uploadHdf5BilbyJob``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    build_client_schema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_introspection_query,
)
from server_helpers import error_messages, job_archive, operation

from gwcloud_python.server import LocalServer

SCHEMA_2026 = Path(__file__).resolve().parents[2] / "schema" / "2026"
DENIED = "You do not have permission to perform this action"
NOT_FOUND = "BilbyJobNode matching query does not exist."
HDF5 = b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture(scope="session")
def server26(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One 2026-mode server for this module's session."""
    server = LocalServer(tmp_path_factory.mktemp("gwcloud-2026"), job_duration=0.3, schema="2026")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo26(server26: LocalServer) -> dict[str, Any]:
    """The demo data set of the 2026 server."""
    return server26.seed_demo()


@pytest.fixture(scope="session")
def tokens(demo26: dict[str, Any]) -> dict[str, str]:
    """API tokens of the demo users."""
    users: dict[str, str] = demo26["users"]
    return users


def _headers(token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    headers = {"Authorization": token} if token is not None else {}
    headers.update(extra or {})
    return headers


def gql26(
    server: LocalServer,
    name: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a client operation with ``Authorization: <token>``; assert HTTP 200."""
    response = httpx.post(
        server.endpoint,
        json={"query": operation(name), "operationName": name, "variables": variables or {}},
        headers=_headers(token, headers),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def raw26(server: LocalServer, query: str, token: str | None = None) -> dict[str, Any]:
    """POST an ad-hoc document; assert HTTP 200."""
    response = httpx.post(
        server.endpoint, json={"query": query}, headers=_headers(token, None), timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def multipart26(
    server: LocalServer,
    name: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes]],
) -> dict[str, Any]:
    """POST a client operation as a GraphQL multipart request (no Authorization)."""
    keys = list(files)
    data = {
        "operations": json.dumps(
            {"query": operation(name), "operationName": name, "variables": variables}
        ),
        "map": json.dumps({str(i): [key] for i, key in enumerate(keys)}),
    }
    upload = {
        str(i): (files[key][0], files[key][1], "application/octet-stream")
        for i, key in enumerate(keys)
    }
    response = httpx.post(server.endpoint, data=data, files=upload, timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _upload_token(server: LocalServer, token: str) -> str:
    body = gql26(server, "GenerateBilbyJobUploadToken", token=token)
    value: str = body["data"]["generateBilbyJobUploadToken"]["token"]
    return value


def _upload_hdf5(
    server: LocalServer, upload_token: str, hdf5: bytes, ini: bytes, private: bool = False
) -> dict[str, Any]:
    return multipart26(
        server,
        "UploadHdf5BilbyJob",
        {
            "uploadToken": upload_token,
            "description": "hdf5 upload",
            "private": private,
            "hdf5File": None,
            "iniFile": None,
        },
        {"variables.hdf5File": ("run.hdf5", hdf5), "variables.iniFile": ("run.ini", ini)},
    )


def _files(server: LocalServer, job_id: str, token: str | None = None) -> dict[str, Any]:
    body = gql26(server, "BilbyResultFiles", {"jobId": job_id}, token=token)
    assert body.get("errors") is None, body
    files: dict[str, Any] = body["data"]["bilbyResultFiles"]
    return files


def _download_id(server: LocalServer, job_id: str, path: str, token: str | None = None) -> str:
    tokens = {f["path"]: f["downloadToken"] for f in _files(server, job_id, token)["files"]}
    body = gql26(
        server,
        "GenerateFileDownloadIds",
        {"jobId": job_id, "downloadTokens": [tokens[path]]},
        token=token,
    )
    file_id: str = body["data"]["generateFileDownloadIds"]["result"][0]
    return file_id


def _public_names(server: LocalServer, token: str | None = None) -> list[str]:
    body = gql26(server, "PublicBilbyJobs", {"timeRange": "all", "first": 50}, token=token)
    return [e["node"]["name"] for e in body["data"]["publicBilbyJobs"]["edges"]]


# -- the server ------------------------------------------------------------------------
def test_introspection_matches_recorded_2026_schema(server26: LocalServer) -> None:
    body = httpx.post(server26.endpoint, json={"query": get_introspection_query()}).json()
    served = build_client_schema(body["data"])
    recorded = build_schema(
        (SCHEMA_2026 / "bilby.graphql").read_text()
        + "\n"
        + (SCHEMA_2026 / "session_user.graphql").read_text()
    )
    assert "uploadHdf5BilbyJob" in served.mutation_type.fields  # type: ignore[union-attr]
    assert "sessionUser" in served.query_type.fields  # type: ignore[union-attr]
    for old, new in ((recorded, served), (served, recorded)):
        assert find_breaking_changes(old, new) == []
        assert find_dangerous_changes(old, new) == []


def test_local_server_2026_addresses(server26: LocalServer) -> None:
    assert server26.schema == "2026"
    assert server26.endpoint == server26.base_url + "/graphql"
    assert server26.file_download_url == server26.base_url + "/file_download/"
    assert server26.job_file_download_url == server26.base_url + "/job/apiv1/file/"
    with pytest.raises(RuntimeError, match="no auth endpoint"):
        server26.auth_endpoint  # noqa: B018
    with pytest.raises(ValueError, match="schema"):
        LocalServer(schema="2025")


def test_2023_routes_are_gone(server26: LocalServer) -> None:
    query = {"query": "{ __typename }"}
    for path in ("/bilby/graphql", "/bilby/graphql/", "/auth/graphql", "/auth/graphql/"):
        assert httpx.post(server26.base_url + path, json=query).status_code == 404, path
    assert httpx.get(server26.base_url + "/bilby/file_download/?fileId=x").status_code == 404
    assert httpx.post(server26.base_url + "/graphql/", json=query).json() == {
        "data": {"__typename": "Query"}
    }


# -- authentication --------------------------------------------------------------------
def test_session_user(server26: LocalServer, tokens: dict[str, str]) -> None:
    def authenticated(token: str | None, headers: dict[str, str] | None = None) -> Any:
        body = gql26(server26, "SessionUser", token=token, headers=headers)
        assert body.get("errors") is None, body
        return body["data"]["sessionUser"]["isAuthenticated"]

    assert authenticated(tokens["demo"]) is True
    assert authenticated(None) is False
    assert authenticated(None, {"X-Correlation-ID": "public-id session-id"}) is False
    assert authenticated("0" * 64) is False
    assert authenticated(f"JWT {tokens['demo']}") is False
    assert authenticated(f"Bearer {tokens['demo']}") is False


def test_api_token_header(server26: LocalServer, tokens: dict[str, str]) -> None:
    body = gql26(server26, "BilbyJobs", {"first": 50}, token=tokens["demo"])
    names = [e["node"]["name"] for e in body["data"]["bilbyJobs"]["edges"]]
    assert "demo-private" in names and "GW150914" not in names
    for token in (None, "unknown-token", f"JWT {tokens['demo']}"):
        body = gql26(
            server26,
            "BilbyJobs",
            {"first": 50},
            token=token,
            headers={"X-Correlation-ID": "pub sess"},
        )
        assert error_messages(body) == [DENIED], token
        body = gql26(server26, "GenerateBilbyJobUploadToken", token=token)
        assert error_messages(body) == [DENIED], token
    log = (server26.data_dir / "server.log").read_text()
    assert "correlation-id" in log and "pub sess" not in log


def test_bilby_jobs_2026_arguments(server26: LocalServer, tokens: dict[str, str]) -> None:
    edges = "{ edges { node { name userId gwflowJob { id } gwflowAnalysisUid } } }"
    body = raw26(server26, f'{{ bilbyJobs(first: 50, user: "someone") {edges} }}', tokens["demo"])
    nodes = [e["node"] for e in body["data"]["bilbyJobs"]["edges"]]
    assert "demo-private" in {n["name"] for n in nodes}
    assert all(n["gwflowJob"] is None and n["gwflowAnalysisUid"] is None for n in nodes)
    assert all(isinstance(n["userId"], int) for n in nodes)
    body = raw26(server26, f'{{ bilbyJobs(first: 50, gwflowJob: "x") {edges} }}', tokens["demo"])
    assert body["data"]["bilbyJobs"]["edges"] == []
    body = raw26(
        server26,
        '{ gwflowJobs(first: 5) { edges { node { sname } } } gwflowJob(id: "x") { id } '
        'eventId(eventId: "GW150914_095045") { gwflowjobSet { edges { cursor } } } }',
    )
    # anonymous callers see the one public demo GWFlow job; "x" is not a relay id
    assert body["data"] == {
        "gwflowJobs": {"edges": [{"node": {"sname": "S230518h"}}]},
        "gwflowJob": None,
        "eventId": {"gwflowjobSet": {"edges": []}},
    }
    assert error_messages(body) == [
        'Unable to parse global ID "x". Make sure it is a base64 encoded string in the '
        'format: "TypeName:id". Exception message: Invalid Global ID'
    ]


# -- reads -----------------------------------------------------------------------------
def test_visibility(server26: LocalServer, demo26: dict[str, Any], tokens: dict[str, str]) -> None:
    anonymous = _public_names(server26)
    assert "GW150914" in anonymous and "GW190521-external" in anonymous
    assert "demo-private" not in anonymous and "GW190425-ligo" not in anonymous
    assert "GW190425-ligo" in _public_names(server26, tokens["ligo"])
    assert "GW190425-ligo" not in _public_names(server26, tokens["demo"])
    private = demo26["jobs"]["demo-private"]
    ligo = demo26["jobs"]["GW190425-ligo"]
    for token in (None, tokens["official"]):
        body = gql26(server26, "BilbyJob", {"id": private}, token=token)
        assert error_messages(body) == [NOT_FOUND]
    assert gql26(server26, "BilbyJob", {"id": private}, token=tokens["demo"])["data"]["bilbyJob"][
        "private"
    ]
    assert error_messages(gql26(server26, "BilbyJob", {"id": ligo}, token=tokens["demo"])) == [
        NOT_FOUND
    ]
    assert gql26(server26, "BilbyJob", {"id": ligo}, token=tokens["ligo"])["data"]["bilbyJob"][
        "isLigoJob"
    ]
    events = {e["eventId"] for e in gql26(server26, "AllEventIds")["data"]["allEventIds"]}
    ligo_events = {
        e["eventId"]
        for e in gql26(server26, "AllEventIds", token=tokens["ligo"])["data"]["allEventIds"]
    }
    assert "GW190425_081805" in ligo_events - events
    files = _files(server26, demo26["jobs"]["GW150914"])
    assert files["jobType"] == 0 and "id" not in files
    assert any(f["path"] == "result/GW150914_corner.png" for f in files["files"])


def test_download_routes(server26: LocalServer, demo26: dict[str, Any]) -> None:
    base = server26.base_url
    normal = demo26["jobs"]["GW150914"]
    path = "result/GW150914_corner.png"
    expected = server26.file_bytes(normal, path)
    file_id = _download_id(server26, normal, path)
    response = httpx.get(f"{base}/job/apiv1/file/", params={"fileId": file_id})
    assert response.status_code == 200 and response.content == expected
    ranged = httpx.get(
        f"{base}/job/apiv1/file/", params={"fileId": file_id}, headers={"Range": "bytes=4-11"}
    )
    assert ranged.status_code == 206 and ranged.content == expected[4:12]
    assert ranged.headers["Content-Range"] == f"bytes 4-11/{len(expected)}"
    assert httpx.get(f"{base}/file_download/", params={"fileId": file_id}).status_code == 404

    uploaded = demo26["jobs"]["GW151226"]
    files = [f for f in _files(server26, uploaded)["files"] if not f["isDir"]]
    up_path = files[0]["path"]
    up_id = _download_id(server26, uploaded, up_path)
    response = httpx.get(f"{base}/file_download/", params={"fileId": up_id})
    assert response.status_code == 200
    assert response.content == server26.file_bytes(uploaded, up_path)
    assert httpx.get(f"{base}/job/apiv1/file/", params={"fileId": up_id}).status_code == 404


# -- writes ----------------------------------------------------------------------------
def test_job_mutations(
    server26: LocalServer, demo26: dict[str, Any], tokens: dict[str, str]
) -> None:
    job_id = demo26["jobs"]["demo-private"]
    body = gql26(
        server26,
        "UpdateBilbyJob",
        {"jobId": job_id, "description": "2026 text", "eventId": "GW170817_124104"},
        token=tokens["demo"],
    )
    assert body["data"]["updateBilbyJob"] == {"result": "Job saved!", "jobId": job_id}
    job = gql26(server26, "BilbyJob", {"id": job_id}, token=tokens["demo"])["data"]["bilbyJob"]
    assert job["description"] == "2026 text"
    assert job["eventId"]["eventId"] == "GW170817_124104"
    body = gql26(server26, "UpdateBilbyJob", {"jobId": job_id, "name": "x"}, token="bad")
    assert error_messages(body) == [DENIED]

    ini = "label = run26\nprior-file = ./my.prior\n"
    submit = {"name": "run26", "description": "d", "private": False, "iniString": ini}
    assert error_messages(gql26(server26, "NewBilbyJobFromIniString", submit)) == [DENIED]
    body = gql26(server26, "NewBilbyJobFromIniString", submit, token=tokens["demo"])
    result = body["data"]["newBilbyJobFromIniString"]["result"]
    (wanted,) = result["supportingFiles"]
    assert wanted["filePath"] == "./my.prior"
    body = multipart26(
        server26,
        "UploadSupportingFiles",
        {"supportingFiles": [{"fileToken": wanted["token"], "supportingFile": None}]},
        {"variables.supportingFiles.0.supportingFile": ("my.prior", b"mass = 1")},
    )
    assert body["data"]["uploadSupportingFiles"]["result"]["result"] is True

    external = {
        "name": "ext26",
        "description": "elsewhere",
        "private": False,
        "iniFile": "label = ext26\n",
        "resultUrl": "https://example.org/r",
    }
    body = gql26(server26, "UploadExternalBilbyJob", external, token=tokens["demo"])
    ext_id = body["data"]["uploadExternalBilbyJob"]["result"]["jobId"]
    assert _files(server26, ext_id)["files"][0]["path"] == "https://example.org/r"

    archive = {"uploadToken": _upload_token(server26, tokens["demo"]), "private": False}
    body = multipart26(
        server26,
        "UploadBilbyJob",
        {**archive, "description": "tar", "jobFile": None},
        {"variables.jobFile": ("job.tar.gz", job_archive("tar_upload26"))},
    )
    tar_id = body["data"]["uploadBilbyJob"]["result"]["jobId"]
    paths = {f["path"] for f in _files(server26, tar_id)["files"]}
    assert "result/tar_upload26_result.json" in paths


def test_event_id_mutations(server26: LocalServer, tokens: dict[str, str]) -> None:
    create = {"eventId": "GW260101_000000", "gpsTime": "1451606418.0", "isLigoEvent": False}
    assert error_messages(gql26(server26, "CreateEventId", create, token=tokens["demo"])) == [
        DENIED
    ]
    body = gql26(server26, "CreateEventId", create, token=tokens["admin"])
    assert body["data"]["createEventId"]["result"] == "Event ID created!"
    event = gql26(server26, "EventId", {"eventId": "GW260101_000000"})["data"]["eventId"]
    assert event["gpsTime"] == 1451606418.0
    body = gql26(
        server26,
        "UpdateEventId",
        {"eventId": "GW260101_000000", "nickname": "new-year"},
        token=tokens["admin"],
    )
    assert body["data"]["updateEventId"]["result"] == "Event ID updated!"
    body = gql26(server26, "DeleteEventId", {"eventId": "GW260101_000000"}, token=tokens["admin"])
    assert body["data"]["deleteEventId"]["result"] == "Event ID deleted!"


# -- uploadHdf5BilbyJob ----------------------------------------------------------------
def test_upload_hdf5_job(server26: LocalServer, tokens: dict[str, str]) -> None:
    upload_token = _upload_token(server26, tokens["demo"])
    ini = b"label = hdf5_run\noutdir = ./\ndetectors = ['H1', 'L1']\n"
    body = _upload_hdf5(server26, upload_token, HDF5, ini, private=True)
    assert body.get("errors") is None, body
    job_id = body["data"]["uploadHdf5BilbyJob"]["result"]["jobId"]
    job = gql26(server26, "BilbyJob", {"id": job_id}, token=tokens["demo"])["data"]["bilbyJob"]
    assert job["name"] == "hdf5_run" and job["jobType"] == 1 and job["private"] is True
    assert job["jobStatus"]["name"] == "Completed" and job["description"] == "hdf5 upload"
    assert error_messages(gql26(server26, "BilbyJob", {"id": job_id})) == [NOT_FOUND]
    files = _files(server26, job_id, tokens["demo"])
    assert files["jobType"] == 1
    assert {(f["path"], f["isDir"]) for f in files["files"]} == {
        ("hdf5_run_config_complete.ini", False),
        ("result", True),
        ("result/hdf5_run_result.hdf5", False),
    }
    file_id = _download_id(server26, job_id, "result/hdf5_run_result.hdf5", tokens["demo"])
    response = httpx.get(server26.file_download_url, params={"fileId": file_id})
    assert response.status_code == 200 and response.content == HDF5
    ini_id = _download_id(server26, job_id, "hdf5_run_config_complete.ini", tokens["demo"])
    assert httpx.get(server26.file_download_url, params={"fileId": ini_id}).content == ini

    reuse = _upload_hdf5(server26, upload_token, HDF5, b"label = again\n")
    assert error_messages(reuse) == ["Job upload token is invalid or expired."]


def test_upload_hdf5_rejects_bad_files(server26: LocalServer, tokens: dict[str, str]) -> None:
    upload_token = _upload_token(server26, tokens["demo"])
    ini = b"label = hdf5_bad\n"
    bad = _upload_hdf5(server26, upload_token, b"PK\x03\x04 not hdf5" * 100, ini)
    assert bad["data"]["uploadHdf5BilbyJob"] is None
    assert "HDF5 signature" in error_messages(bad)[0]
    no_label = _upload_hdf5(server26, upload_token, HDF5, b"outdir = ./\n")
    assert "label" in error_messages(no_label)[0]
    broken = _upload_hdf5(server26, upload_token, HDF5, b"[section\nnot an ini")
    assert error_messages(broken)
    assert not list((server26.data_dir / "tmp").glob("upload-*"))
    names = [
        e["node"]["name"]
        for e in gql26(server26, "BilbyJobs", {"first": 100}, token=tokens["demo"])["data"][
            "bilbyJobs"
        ]["edges"]
    ]
    assert "hdf5_bad" not in names
    # a failed upload leaves the token usable
    body = _upload_hdf5(server26, upload_token, HDF5, ini)
    assert body["data"]["uploadHdf5BilbyJob"]["result"]["jobId"]

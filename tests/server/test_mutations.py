"""Write resolvers: event IDs, job updates, ini submission, external jobs."""

from __future__ import annotations

import time
from typing import Any

from server_helpers import error_messages, gql, login, multipart

from gwcloud_python.server import LocalServer

DENIED = "You do not have permission to perform this action"

INI = """\
label = my_run
outdir = ./
detectors = ['H1', 'L1']
prior_file = ./my.prior
psd-dict = {H1: h1_psd.txt, L1: 'l1_psd.txt'}
gps-file = None
n-parallel = 2
"""


def _submit(server: LocalServer, jwt: str | None, **overrides: Any) -> dict[str, Any]:
    variables = {
        "name": "my-run_1",
        "description": "d",
        "private": False,
        "cluster": None,
        "iniString": INI,
    }
    variables.update(overrides)
    return gql(server.endpoint, "NewBilbyJobFromIniString", variables, jwt=jwt)


def test_event_id_lifecycle(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    admin = jwts["admin"]
    create = {
        "eventId": "GW200129_065458",
        "gpsTime": "1264316116.4",
        "triggerId": "S200129m",
        "nickname": "GW200129",
        "isLigoEvent": False,
    }
    body = gql(local_server.endpoint, "CreateEventId", create, jwt=admin)
    assert body["data"]["createEventId"]["result"] == "Event ID created!"
    duplicate = gql(local_server.endpoint, "CreateEventId", create, jwt=admin)
    assert "already exists" in error_messages(duplicate)[0]
    body = gql(
        local_server.endpoint,
        "UpdateEventId",
        {"eventId": "GW200129_065458", "nickname": "X"},
        jwt=admin,
    )
    assert body["data"]["updateEventId"]["result"] == "Event ID updated!"
    event = gql(local_server.endpoint, "EventId", {"eventId": "GW200129_065458"})["data"]["eventId"]
    assert event == {
        "eventId": "GW200129_065458",
        "triggerId": "S200129m",
        "nickname": "X",
        "isLigoEvent": False,
        "gpsTime": 1264316116.4,
    }
    body = gql(local_server.endpoint, "DeleteEventId", {"eventId": "GW200129_065458"}, jwt=admin)
    assert body["data"]["deleteEventId"]["result"] == "Event ID deleted!"
    assert gql(local_server.endpoint, "EventId", {"eventId": "GW200129_065458"})["errors"]


def test_event_id_validation(local_server: LocalServer, jwts: dict[str, str]) -> None:
    bad = [
        {"eventId": "GW20012_065458", "gpsTime": 1.0},
        {"eventId": "gw200129_065458", "gpsTime": 1.0},
        {"eventId": "GW200129_065458", "gpsTime": 1.0, "triggerId": "S200129"},
        {"eventId": "GW200129_065458", "gpsTime": 1.0, "triggerId": "S200129abc"},
        {"eventId": "GW200129_065458", "gpsTime": -5},
        {"eventId": "GW200129_065458", "gpsTime": "NaN"},
    ]
    for variables in bad:
        body = gql(local_server.endpoint, "CreateEventId", variables, jwt=jwts["admin"])
        assert body.get("errors"), variables


def test_event_id_writes_need_admin(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    create = {"eventId": "GW200130_000000", "gpsTime": 1.5}
    for jwt in (None, jwts["ligo"]):
        assert error_messages(gql(local_server.endpoint, "CreateEventId", create, jwt=jwt)) == [
            DENIED
        ]
        body = gql(local_server.endpoint, "DeleteEventId", {"eventId": "GW150914_095045"}, jwt=jwt)
        assert error_messages(body) == [DENIED]


def test_update_job(local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]) -> None:
    job_id = demo["jobs"]["demo-private"]
    body = gql(
        local_server.endpoint,
        "UpdateBilbyJob",
        {"jobId": job_id, "description": "new text", "eventId": "GW170817_124104"},
        jwt=jwts["demo"],
    )
    assert body["data"]["updateBilbyJob"] == {"result": "Job saved!", "jobId": job_id}
    job = gql(local_server.endpoint, "BilbyJob", {"id": job_id}, jwt=jwts["demo"])["data"][
        "bilbyJob"
    ]
    assert job["description"] == "new text" and job["name"] == "demo-private"
    assert job["eventId"]["eventId"] == "GW170817_124104"
    gql(local_server.endpoint, "UpdateBilbyJob", {"jobId": job_id, "eventId": ""}, jwt=jwts["demo"])
    job = gql(local_server.endpoint, "BilbyJob", {"id": job_id}, jwt=jwts["demo"])["data"][
        "bilbyJob"
    ]
    assert job["eventId"] is None and job["description"] == "new text"
    unknown = gql(
        local_server.endpoint,
        "UpdateBilbyJob",
        {"jobId": job_id, "eventId": "GW999999_999999"},
        jwt=jwts["demo"],
    )
    assert unknown["errors"]


def test_update_job_permissions(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    job_id = demo["jobs"]["GW150914"]
    anonymous = gql(local_server.endpoint, "UpdateBilbyJob", {"jobId": job_id, "name": "x"})
    assert error_messages(anonymous) == [DENIED]
    other = gql(
        local_server.endpoint, "UpdateBilbyJob", {"jobId": job_id, "name": "x"}, jwt=jwts["demo"]
    )
    assert error_messages(other) == [DENIED]


def test_submit_validation(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    assert error_messages(_submit(local_server, None)) == [DENIED]
    assert "cluster" in error_messages(_submit(local_server, jwts["demo"], cluster="bogus"))[0]
    assert _submit(local_server, jwts["demo"], name="has space")["errors"]
    assert _submit(local_server, jwts["demo"], name="")["errors"]


def test_submit_upload_run_complete(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    body = _submit(local_server, jwts["demo"], cluster="cit")
    result = body["data"]["newBilbyJobFromIniString"]["result"]
    files = result["supportingFiles"]
    assert [f["filePath"] for f in files] == ["./my.prior", "h1_psd.txt", "l1_psd.txt"]
    job_id = result["jobId"]
    job = gql(local_server.endpoint, "BilbyJob", {"id": job_id}, jwt=jwts["demo"])["data"][
        "bilbyJob"
    ]
    assert job["jobStatus"]["name"] == "Pending" and job["cluster"] == "cit"
    uploads = [{"fileToken": f["token"], "supportingFile": None} for f in files]
    body = multipart(
        local_server.endpoint,
        "UploadSupportingFiles",
        {"supportingFiles": uploads},
        {
            f"variables.supportingFiles.{i}.supportingFile": (f["filePath"], b"x" * (i + 1))
            for i, f in enumerate(files)
        },
    )
    assert body["data"]["uploadSupportingFiles"]["result"]["result"] is True
    again = multipart(
        local_server.endpoint,
        "UploadSupportingFiles",
        {"supportingFiles": uploads[:1]},
        {"variables.supportingFiles.0.supportingFile": ("a", b"y")},
    )
    assert again["errors"]
    deadline = time.monotonic() + 10
    while True:
        job = gql(local_server.endpoint, "BilbyJob", {"id": job_id}, jwt=jwts["demo"])["data"][
            "bilbyJob"
        ]
        if job["jobStatus"]["name"] == "Completed" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert job["jobStatus"] == {
        "name": "Completed",
        "number": 500,
        "date": job["jobStatus"]["date"],
    }
    assert job["jobControllerId"]
    files = gql(local_server.endpoint, "BilbyResultFiles", {"jobId": job_id}, jwt=jwts["demo"])
    paths = {f["path"] for f in files["data"]["bilbyResultFiles"]["files"]}
    assert {
        "my_run_config_complete.ini",
        "result/my_run_merge_result.json",
        "result/my_run_corner.png",
        "results_page/home.html",
        "data",
    } <= paths
    png = local_server.file_bytes(job_id, "result/my_run_corner.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_job_without_supporting_files_waits_for_none(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    body = _submit(local_server, jwts["demo"], iniString="label = plain\nprior-file = 4s\n")
    assert body["data"]["newBilbyJobFromIniString"]["result"]["supportingFiles"] == []


def test_external_job(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    variables = {
        "name": "ext-job",
        "description": "elsewhere",
        "private": False,
        "iniFile": "label = ext\n",
        "resultUrl": "https://example.org/r",
    }
    assert error_messages(gql(local_server.endpoint, "UploadExternalBilbyJob", variables)) == [
        DENIED
    ]
    body = gql(local_server.endpoint, "UploadExternalBilbyJob", variables, jwt=jwts["demo"])
    job_id = body["data"]["uploadExternalBilbyJob"]["result"]["jobId"]
    job = gql(local_server.endpoint, "BilbyJob", {"id": job_id})["data"]["bilbyJob"]
    assert job["jobType"] == 2 and job["jobStatus"]["name"] == "Completed"


def test_upload_token_needs_login(local_server: LocalServer, demo: dict[str, Any]) -> None:
    body = gql(local_server.endpoint, "GenerateBilbyJobUploadToken")
    assert error_messages(body) == [DENIED]
    jwt = login(local_server, demo["users"]["demo"])["jwtToken"]
    body = gql(local_server.endpoint, "GenerateBilbyJobUploadToken", jwt=jwt)
    assert body["data"]["generateBilbyJobUploadToken"]["token"]

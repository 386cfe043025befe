"""Fault injection switches and the request log."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import gql, operation

from gwcloud_python.server import LocalServer


def _post_public(server: LocalServer) -> httpx.Response:
    return httpx.post(
        server.endpoint,
        json={
            "query": operation("PublicBilbyJobs"),
            "operationName": "PublicBilbyJobs",
            "variables": {"timeRange": "all", "first": 5},
        },
    )


def test_status_fault_with_retry_after(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.set_fault("status", match="PublicBilbyJobs", status=503, retry_after=2)
    response = _post_public(local_server)
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert _post_public(local_server).status_code == 200


def test_fault_matches_operation_only(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.set_fault("status", match="AllEventIds", status=500, times=2)
    assert _post_public(local_server).status_code == 200
    query = {"query": operation("AllEventIds"), "operationName": "AllEventIds"}
    assert httpx.post(local_server.endpoint, json=query).status_code == 500
    assert httpx.post(local_server.endpoint, json=query).status_code == 500
    assert httpx.post(local_server.endpoint, json=query).status_code == 200


def test_delay_fault(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.set_fault("delay", match="/bilby/graphql", seconds=0.4)
    started = time.monotonic()
    assert _post_public(local_server).status_code == 200
    assert time.monotonic() - started >= 0.4


def test_malformed_json_fault(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.set_fault("malformed_json", match="PublicBilbyJobs")
    response = _post_public(local_server)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_graphql_error_fault_keeps_data(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.set_fault("graphql_error", match="PublicBilbyJobs", message="boom")
    body = _post_public(local_server).json()
    assert body["data"]["publicBilbyJobs"]["edges"]
    assert [e["message"] for e in body["errors"]] == ["boom"]


@pytest.mark.parametrize("kind", ["drop", "truncate"])
def test_connection_cut_faults(local_server: LocalServer, demo: dict[str, Any], kind: str) -> None:
    local_server.set_fault(kind, match="/job/apiv1/file/", after_bytes=100)
    files = gql(local_server.endpoint, "BilbyResultFiles", {"jobId": demo["jobs"]["GW150914"]})
    token = next(
        f["downloadToken"]
        for f in files["data"]["bilbyResultFiles"]["files"]
        if f["path"].endswith("corner.png")
    )
    ids = gql(
        local_server.endpoint,
        "GenerateFileDownloadIds",
        {"jobId": demo["jobs"]["GW150914"], "downloadTokens": [token]},
    )
    file_id = ids["data"]["generateFileDownloadIds"]["result"][0]
    url = f"{local_server.base_url}/job/apiv1/file/?fileId={file_id}"
    received = bytearray()
    with pytest.raises(httpx.TransportError), httpx.stream("GET", url) as response:
        assert response.status_code == 200
        if kind == "truncate":
            assert int(response.headers["content-length"]) > 100
        else:
            assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            received += chunk
    assert len(received) == 100
    assert httpx.get(url).status_code == 200


def test_request_log(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.reset_requests()
    _post_public(local_server)
    httpx.get(f"{local_server.base_url}/job/apiv1/file/?fileId=missing")
    assert local_server.requests() == [
        {"method": "POST", "path": "/bilby/graphql", "operation": "PublicBilbyJobs", "status": 200},
        {"method": "GET", "path": "/job/apiv1/file/", "operation": None, "status": 404},
    ]


def test_clear_faults(local_server: LocalServer, demo: dict[str, Any]) -> None:
    local_server.set_fault("status", status=500, times=0)
    assert _post_public(local_server).status_code == 500
    assert _post_public(local_server).status_code == 500
    local_server.clear_faults()
    assert _post_public(local_server).status_code == 200


def test_unknown_fault_kind_is_refused(local_server: LocalServer) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        local_server.set_fault("explode")


def test_admin_routes_refuse_remote_clients(tmp_path: Path) -> None:
    from gwcloud_python.server.app import create_app
    from gwcloud_python.server.state import ServerConfig

    secret = "s" * 32
    config = ServerConfig(data_dir=tmp_path, admin_secret=secret)
    app, state = create_app(config, run_jobs=False)

    async def probe() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        headers = {"X-Admin-Secret": secret}
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = await client.get("/_admin/requests", headers=headers)
            second = await client.post("/_admin/users", json={"name": "x"}, headers=headers)
            return [first.status_code, second.status_code]

    try:
        assert asyncio.run(probe()) == [403, 403]
    finally:
        state.db.close()

"""Restart persistence, the command line and schema conformance."""

from __future__ import annotations

import json
import subprocess
import sys
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
from server_helpers import gql, login

from gwcloud_python.server import LocalServer

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


def test_restart_keeps_data(tmp_path: Path) -> None:
    server = LocalServer(tmp_path / "data")
    server.start()
    try:
        seeded = server.seed_demo()
        token = server.add_user("persist", ligo=True)
        first = login(server, token)
        job_id = seeded["jobs"]["GW150914"]
        before = server.file_bytes(job_id, "result/GW150914_corner.png")
        port = server.base_url
    finally:
        server.stop()
    server.start()
    try:
        assert server.base_url
        job = gql(server.endpoint, "BilbyJob", {"id": job_id}, jwt=first["jwtToken"])
        assert job["data"]["bilbyJob"]["name"] == "GW150914"
        assert server.file_bytes(job_id, "result/GW150914_corner.png") == before
        assert login(server, token)["jwtToken"]
        assert port.startswith("http://127.0.0.1:")
    finally:
        server.cleanup()


def _cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "gwcloud_python.server", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PYTHONPATH": ":".join(p for p in sys.path if p), "PATH": "/usr/bin:/bin"},
    )
    return result.stdout


def test_cli_add_user_seed_scale(tmp_path: Path) -> None:
    token = _cli("add-user", "zoe", "--ligo", "--data-dir", str(tmp_path))
    assert len(token.strip()) == 64 and "\n" not in token.strip()
    summary = json.loads(
        _cli(
            "seed-scale",
            "--data-dir",
            str(tmp_path),
            "--jobs",
            "10000",
            "--files-per-job",
            "3",
            "--file-size",
            "2000000000",
        )
    )
    assert summary["jobs"] == 10000 and summary["files"] == 30000
    with LocalServer(tmp_path) as server:
        body = gql(
            server.endpoint,
            "PublicBilbyJobs",
            {"timeRange": "all", "first": 100, "search": "labels.name:Scale"},
        )
        assert len(body["data"]["publicBilbyJobs"]["edges"]) == 100
        assert login(server, token.strip())["jwtToken"]
        response = httpx.get(f"{server.base_url}/_admin/requests", headers=server.admin_headers)
        assert response.status_code == 200


@pytest.mark.parametrize("name", ["bilby", "auth"])
def test_introspection_matches_recorded_schema(local_server: LocalServer, name: str) -> None:
    url = local_server.endpoint if name == "bilby" else local_server.auth_endpoint
    body: dict[str, Any] = httpx.post(url, json={"query": get_introspection_query()}).json()
    served = build_client_schema(body["data"])
    recorded = build_schema((SCHEMA_DIR / f"{name}.graphql").read_text())
    for old, new in ((recorded, served), (served, recorded)):
        assert find_breaking_changes(old, new) == []
        assert find_dangerous_changes(old, new) == []

"""Fixtures of the local-server tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import gwcloud_python.server  # noqa: F401
except ImportError:  # source checkout without an install
    _ROOT = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(_ROOT / "src"))

from server_helpers import login

from gwcloud_python.server import LocalServer


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One server for the session, with the demo data set."""
    server = LocalServer(tmp_path_factory.mktemp("gwcloud-data"), job_duration=0.3)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo(local_server: LocalServer) -> dict[str, Any]:
    """The demo data set (users' API tokens and job IDs)."""
    return local_server.seed_demo()


@pytest.fixture(scope="session")
def jwts(local_server: LocalServer, demo: dict[str, Any]) -> dict[str, str]:
    """A JWT per demo user (issued once; tests that expire JWTs use their own users)."""
    return {name: login(local_server, token)["jwtToken"] for name, token in demo["users"].items()}


@pytest.fixture(autouse=True)
def _no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "local_server" in request.fixturenames:
        request.getfixturevalue("local_server").clear_faults()

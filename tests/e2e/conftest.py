"""End-to-end fixtures: one local GWCloud server per test session, over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gwcloud_python import GWCloud
from gwcloud_python.server import LocalServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A local server with the demo data set."""
    srv = LocalServer(tmp_path_factory.mktemp("e2e-server"), job_duration=0.3)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def demo(server: LocalServer) -> dict[str, Any]:
    """Users' API tokens and the demo jobs' IDs."""
    return server.seed_demo()


@pytest.fixture
def connect(server: LocalServer, demo: dict[str, Any]) -> Iterator[Any]:
    """``connect(user)``: a GWCloud for a demo user (None: anonymous), closed afterwards."""
    clients: list[GWCloud] = []

    def make(user: str | None = None, **options: Any) -> GWCloud:
        token = demo["users"][user] if user else ""
        gw = GWCloud(
            token,
            auth_endpoint=server.auth_endpoint,
            endpoint=server.endpoint,
            progress=False,
            **options,
        )
        clients.append(gw)
        return gw

    yield make
    for gw in clients:
        gw.close()


@pytest.fixture(autouse=True)
def _clear_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").clear_faults()

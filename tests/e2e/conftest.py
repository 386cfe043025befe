"""End-to-end fixtures: one local GWCloud server per test session, over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests_e2e_support import endpoints

from gwcloud_python import GWCloud
from gwcloud_python.pytest_plugin import start_server
from gwcloud_python.server import LocalServer


@pytest.fixture(scope="session", params=["2023", "2026", "2026-next"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    """A local server with the demo data set, in each deployment mode (2023 and 2026).

    ``2026-next`` is the 2026 service with the schema it has announced (no LIGO flags).
    """
    # built by the pytest plugin's helper (the gwcloud_server fixture's), so the
    # plugin's construction path runs under every e2e test
    srv = start_server(
        request.param,
        data_dir=tmp_path_factory.mktemp(f"e2e-server-{request.param}"),
        job_duration=0.3,
    )
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
        gw = GWCloud(token, progress=False, **endpoints(server), **options)
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

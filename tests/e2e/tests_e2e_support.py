"""Helpers shared by the end-to-end tests."""

from __future__ import annotations

from gwcloud_python.server import LocalServer


def endpoints(server: LocalServer) -> dict[str, str]:
    """Constructor arguments for ``server``: 1.x style for 2023, the one endpoint for 2026."""
    if server.service == "2026":  # also "2026-next", the announced 2026 schema
        return {"endpoint": server.endpoint}
    return {"auth_endpoint": server.auth_endpoint, "endpoint": server.endpoint}

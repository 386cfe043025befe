"""Shared fixtures: a clean environment, and a fake GraphQL server for pytest-httpx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _gql_fake import FakeGraphQL


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a user's GWCloud settings."""
    for name in ("GWCLOUD_TOKEN", "GWCLOUD_ENDPOINT", "GWCLOUD_AUTH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_gql(httpx_mock: Any) -> Iterator[FakeGraphQL]:
    """A FakeGraphQL wired into pytest-httpx for every POST request."""
    fake = FakeGraphQL()
    httpx_mock.add_callback(fake, method="POST", is_reusable=True, is_optional=True)
    yield fake

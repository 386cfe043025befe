"""Fixtures of the ported gwcloud-python 3.0.0 GWFlow tests (see ``compat_gwflow_support``).

3.0.0's ``mock_gwdc_init`` replaced ``GWDC.__init__`` so that ``GWCloud(token=...)``
sent nothing.  Its default endpoint is the 2026 service's ``https://gwcloud.org.au/graphql``;
ours stays the 1.x one, so the fixture points ``$GWCLOUD_ENDPOINT`` there and the token
check (``sessionUser``) is answered.  Retries wait no time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from compat_gwflow_support import ENDPOINT_3X, GWDCMocker, RequestsMock


@pytest.fixture
def mocker(httpx_mock: Any) -> Iterator[GWDCMocker]:
    """``mocker`` whose ``GWDC.request`` patches answer the client's HTTP requests."""
    yield GWDCMocker(httpx_mock)


@pytest.fixture
def requests_mock(httpx_mock: Any) -> RequestsMock:
    """``requests_mock`` for the download tests."""
    return RequestsMock(httpx_mock)


@pytest.fixture
def mock_gwdc_init(mocker: GWDCMocker, monkeypatch: pytest.MonkeyPatch) -> None:
    """``GWCloud(token=...)`` talks to the 3.0.0 client's service, and retries at once."""
    monkeypatch.setenv("GWCLOUD_ENDPOINT", ENDPOINT_3X)
    monkeypatch.setattr("gwcloud_python._files.backoff_delay", lambda *_args: 0.0)

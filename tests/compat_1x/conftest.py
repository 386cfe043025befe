"""Plumbing for the ported gwcloud-python 1.15.0 / gwdc-python 0.8.1.1 tests.

The 1.x suites used pytest-mock's ``mocker``, ``requests_mock`` and gwdc-python's
``GWDCObjectBase`` / ``GWDCObjectType``.  Here ``mocker`` is a small stand-in built on
:mod:`unittest.mock` (pytest-mock is not a dependency), HTTP is mocked with pytest-httpx,
and the gwdc-python objects map to ours: ``GWDCObjectType`` is :class:`JobType` and a
``GWDCObjectBase(client, id, type)`` is a :class:`BilbyJob` with that ID and type.
Expected values in the tests are 1.x's, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest


class Mocker:
    """The parts of pytest-mock's ``mocker`` the 1.x tests use."""

    Mock = mock.Mock
    MagicMock = mock.MagicMock
    call = mock.call

    def __init__(self) -> None:
        self._patches: list[Any] = []

    def patch(self, target: str, new: Any = mock.DEFAULT, **kwargs: Any) -> Any:
        patcher = mock.patch(target, new, **kwargs)
        started = patcher.start()
        self._patches.append(patcher)
        return started

    def stopall(self) -> None:
        for patcher in reversed(self._patches):
            patcher.stop()
        self._patches.clear()


@pytest.fixture
def mocker() -> Iterator[Mocker]:
    """A pytest-mock-like ``mocker`` whose patches are undone after the test."""
    helper = Mocker()
    yield helper
    helper.stopall()

"""Fixtures of the reliability suite, and the plugin that records each case's outcome.

Every test says which *class* of fault or input it exercises and how it ended
(``rel.classify(...)``, ``rel.byte_exact()``, ``rel.typed_error(err)``,
``rel.nothing_lost()``).  When ``--reliability-log PATH`` or
``$GWCLOUD_RELIABILITY_LOG`` is set, one JSON line per test is appended to that
file; ``tools/reliability_report.py`` turns the lines into docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pytest

from gwcloud_python import GWCloud
from gwcloud_python.server import LocalServer

LOG_ENV = "GWCLOUD_RELIABILITY_LOG"
_WRITE_LOCK = threading.Lock()
_OUTCOME_KEY = pytest.StashKey["Outcome"]()

BYTE_EXACT = "byte-exact"
TYPED_ERROR = "typed error"


# -- outcome recording -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one test case found; written as a JSON line."""

    group: str = ""
    klass: str = ""
    invariant: str = ""
    result: str = ""
    error: str = ""
    safe: bool = False


class Recorder:
    """Handed to tests as the ``rel`` fixture."""

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome

    def classify(self, group: str, klass: str, invariant: str | None = None) -> None:
        """Name the group and the fault or input class of this case."""
        self._outcome.group = group
        self._outcome.klass = klass
        if invariant is not None:
            self._outcome.invariant = invariant

    def byte_exact(self) -> None:
        """The operation succeeded and every byte matched the server's copy."""
        self._outcome.result = BYTE_EXACT

    def typed_error(self, err: BaseException) -> None:
        """The operation failed with the library's typed error ``err``."""
        self._outcome.result = TYPED_ERROR
        self._outcome.error = type(err).__name__

    def nothing_lost(self) -> None:
        """The case's safety invariant (no partial file, no repeat, no leak...) was checked."""
        self._outcome.safe = True


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-log",
        default=None,
        help=f"append one JSON line per reliability case to this file (or set ${LOG_ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reliability(group, klass, invariant): default class of a reliability case",
    )


def _log_path(config: pytest.Config) -> str | None:
    try:
        option = config.getoption("reliability_log", default=None)
    except ValueError:  # pragma: no cover - option registered by a late conftest
        option = None
    return option or os.environ.get(LOG_ENV) or None


def _outcome_for(item: pytest.Item) -> Outcome:
    outcome = item.stash.get(_OUTCOME_KEY, None)
    if outcome is None:
        outcome = Outcome()
        marker = item.get_closest_marker("reliability")
        if marker is not None:
            names = ("group", "klass", "invariant")
            for name, value in zip(names, marker.args, strict=False):
                setattr(outcome, name, value)
            for name in names:
                if name in marker.kwargs:
                    setattr(outcome, name, marker.kwargs[name])
        item.stash[_OUTCOME_KEY] = outcome
    return outcome


@pytest.fixture
def rel(request: pytest.FixtureRequest) -> Recorder:
    """Record the class and outcome of this case for the reliability report."""
    return Recorder(_outcome_for(request.node))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    final = report.when == "call" or (report.when == "setup" and not report.passed)
    path = _log_path(item.config)
    if final and path and "reliability" in item.nodeid:
        outcome = _outcome_for(item)
        record: dict[str, Any] = asdict(outcome)
        xfail_reason = getattr(report, "wasxfail", None)
        if xfail_reason is not None and report.skipped:
            status = "xfail"
        elif report.failed:
            status = "failed"
        elif report.skipped:
            status = "skipped"
        else:
            status = "passed"
        record.update(
            nodeid=item.nodeid,
            module=item.nodeid.split("::")[0].rsplit("/", 1)[-1],
            case=item.name,
            status=status,
            xfail_reason=xfail_reason or "",
            skip_reason=(str(report.longrepr[2]) if status == "skipped" else ""),
            duration=round(report.duration, 3),
        )
        if status != "passed":
            record["safe"] = bool(outcome.safe) and status != "failed"
        with _WRITE_LOCK, open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
    return report


# -- the local server ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One local GWCloud server for the reliability session."""
    srv = LocalServer(tmp_path_factory.mktemp("reliability-server"), job_duration=0.2)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def demo(server: LocalServer) -> dict[str, Any]:
    """The demo users' API tokens and the demo jobs' IDs."""
    return server.seed_demo()


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff delay the clients of this test asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def connect(
    server: LocalServer, demo: dict[str, Any], sleeps: list[float]
) -> Iterator[Callable[..., GWCloud]]:
    """``connect(user=None, **options)``: a GWCloud for a demo user whose backoff is recorded."""
    clients: list[GWCloud] = []

    def make(user: str | None = None, *, token: str | None = None, **options: Any) -> GWCloud:
        secret = token if token is not None else (demo["users"][user] if user else "")
        options.setdefault("progress", False)
        gw = GWCloud(
            secret, auth_endpoint=server.auth_endpoint, endpoint=server.endpoint, **options
        )
        gw.client.sleep = sleeps.append
        clients.append(gw)
        return gw

    yield make
    for gw in clients:
        gw.close()


@pytest.fixture(autouse=True)
def _server_hygiene(request: pytest.FixtureRequest) -> Iterator[None]:
    """No fault rule survives a test."""
    uses_server = "server" in request.fixturenames
    if uses_server:
        request.getfixturevalue("server").clear_faults()
    yield
    if uses_server:
        request.getfixturevalue("server").clear_faults()

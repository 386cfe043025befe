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
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import pytest

from gwcloud_python import BilbyJob, FileReferenceList, GWCloud, _transport
from gwcloud_python import _constants as C
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

    def typed_error(self, err: BaseException | str) -> None:
        """The operation failed with the library's typed error ``err`` (or one so described)."""
        self._outcome.result = TYPED_ERROR
        self._outcome.error = err if isinstance(err, str) else type(err).__name__

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


class ReliabilityServer(LocalServer):
    """A :class:`LocalServer` whose admin calls share one connection, for a faster suite.

    It also remembers whether a test injected a fault (so that only those pay for
    clearing them) and caches the server's copy of each file.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._admin_client = httpx.Client(timeout=60)
        self._bytes: dict[tuple[str, str], bytes] = {}
        self.faulted = False

    def _admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **self.admin_headers}
        response = self._admin_client.request(
            method, f"{self.base_url}/_admin/{path}", headers=headers, **kwargs
        )
        response.raise_for_status()
        return response

    def set_fault(
        self, kind: str, *, match: str | None = None, times: int = 1, **params: Any
    ) -> None:
        self.faulted = True
        super().set_fault(kind, match=match, times=times, **params)

    def clear_faults(self) -> None:
        super().clear_faults()
        self.faulted = False

    def file_bytes(self, job_id: str, path: str) -> bytes:
        key = (job_id, path)
        if key not in self._bytes:
            self._bytes[key] = super().file_bytes(job_id, path)
        return self._bytes[key]

    def stop(self, timeout: float = 10.0) -> None:
        self._admin_client.close()
        super().stop(timeout)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReliabilityServer]:
    """One local GWCloud server for the reliability session."""
    srv = ReliabilityServer(tmp_path_factory.mktemp("reliability-server"), job_duration=0.2)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def demo(server: ReliabilityServer) -> dict[str, Any]:
    """The demo users' API tokens and the demo jobs' IDs."""
    return server.seed_demo()


@pytest.fixture(scope="session")
def shared_http() -> Iterator[httpx.Client]:
    """One pooled httpx client shared by the suite's GWCloud objects (building one is slow)."""
    client = httpx.Client(
        timeout=C.DEFAULT_TIMEOUT,
        limits=httpx.Limits(
            max_connections=C.MAX_CONNECTIONS, max_keepalive_connections=C.MAX_KEEPALIVE_CONNECTIONS
        ),
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def mock_http() -> Iterator[httpx.Client]:
    """A pooled client for tests over pytest-httpx (which mocks every transport)."""
    client = httpx.Client()
    yield client
    client.close()


class Catalog:
    """The demo jobs and their file lists, fetched once per session."""

    def __init__(self, server: ReliabilityServer, demo: dict[str, Any], http: httpx.Client):
        self._server = server
        self._demo = demo
        self._gw = GWCloud(
            demo["users"]["demo"],
            auth_endpoint=server.auth_endpoint,
            endpoint=server.endpoint,
            progress=False,
            http_client=http,
        )
        self._jobs: dict[str, BilbyJob] = {}
        self._files: dict[str, FileReferenceList] = {}

    def job(self, name: str) -> BilbyJob:
        """The demo job ``name``."""
        if name not in self._jobs:
            self._jobs[name] = self._gw.get_job_by_id(self._demo["jobs"][name])
        return self._jobs[name]

    def refs(
        self, name: str, *, larger_than: int = 0, containing: str | None = None
    ) -> FileReferenceList:
        """Files of job ``name``, optionally only those bigger than or named like something."""
        if name not in self._files:
            self._files[name] = self.job(name).get_full_file_list()
        refs = self._files[name]
        if containing is not None:
            refs = refs.filter_list_by_path(name=containing)
        return FileReferenceList(r for r in refs if r.file_size > larger_than)

    def expected(self, refs: FileReferenceList) -> dict[str, bytes]:
        """The server's bytes of each file, by relative path."""
        return {
            r.path.as_posix(): self._server.file_bytes(r.parent.job_id, r.path.as_posix())
            for r in refs
        }


@pytest.fixture(scope="session")
def catalog(server: ReliabilityServer, demo: dict[str, Any], shared_http: httpx.Client) -> Catalog:
    """Cached demo jobs, file lists and file contents."""
    return Catalog(server, demo, shared_http)


class _RecordingTime:
    """Stands in for the ``time`` module inside ``gwcloud_python._transport``.

    Every :class:`Transport` made while it is installed, including the one a
    constructor uses for the token exchange, then records its backoff instead
    of sleeping.
    """

    def __init__(self, record: Callable[[float], None]) -> None:
        self.sleep = record

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every backoff delay the clients of this test asked for (nothing really sleeps)."""
    recorded: list[float] = []
    monkeypatch.setattr(_transport, "time", _RecordingTime(recorded.append), raising=False)
    return recorded


@pytest.fixture
def connect(
    server: ReliabilityServer,
    demo: dict[str, Any],
    sleeps: list[float],
    shared_http: httpx.Client,
) -> Iterator[Callable[..., GWCloud]]:
    """``connect(user=None, *, token=None, **options)``: a GWCloud whose backoff is recorded.

    Clients share one pooled httpx client unless ``timeout`` or ``http_client``
    is given or ``own_http=True``.
    """
    clients: list[GWCloud] = []

    def make(
        user: str | None = None, *, token: str | None = None, own_http: bool = False, **options: Any
    ) -> GWCloud:
        secret = token if token is not None else (demo["users"][user] if user else "")
        options.setdefault("progress", False)
        if not own_http and "timeout" not in options:
            options.setdefault("http_client", shared_http)
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
    yield
    if "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        if srv.faulted:
            srv.clear_faults()

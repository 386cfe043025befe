"""The ``gwcloud`` pytest plugin: test code that uses GWCloud against a real, local server.

Installed with ``pip install "gwcloud-python[server]"``, pytest loads it by itself (entry
point ``pytest11``, name ``gwcloud``), and a test only names a fixture::

    def test_lists_official_jobs(gwcloud_server, gwcloud_client):
        gwcloud_server.create_bilby_job("GW150914", labels=["Official"])
        assert [job.name for job in gwcloud_client.get_official_job_list()] == ["GW150914"]

The fixtures:

gwcloud_server
    Session scope: one :class:`~gwcloud_python.server.LocalServer` per test process (per
    xdist worker), on a free loopback port, with a data directory under pytest's
    temporary directory.  Its schema is ``--gwcloud-schema`` or the ini option
    ``gwcloud_schema`` (``"2023"`` or ``"2026"``, default ``"2026"``).  Before every test
    that uses it, its data is emptied (:meth:`~gwcloud_python.server.LocalServer.reset`),
    so each test starts from a freshly started server; a test marked
    ``@pytest.mark.gwcloud_keep_data`` is not preceded by a reset.
gwcloud_client, gwcloud_async_client
    Function scope: an anonymous :class:`~gwcloud_python.GWCloud` /
    :class:`~gwcloud_python.AsyncGWCloud` bound to the server, closed after the test.
gwcloud_client_for
    Function scope: ``gwcloud_client_for(token, **options)`` makes a ``GWCloud`` for a
    user's token (from ``gwcloud_server.add_user``); every client it made is closed
    after the test.

Without the ``server`` extra the plugin still loads, and every fixture fails with one
line naming ``gwcloud-python[server]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gwcloud_python import AsyncGWCloud, GWCloud
    from gwcloud_python.server import LocalServer

__all__ = [
    "DEFAULT_SCHEMA",
    "JOB_DURATION",
    "KEEP_DATA_MARKER",
    "SCHEMAS",
    "SERVER_EXTRA_MESSAGE",
    "client_options",
    "configured_schema",
    "gwcloud_async_client",
    "gwcloud_client",
    "gwcloud_client_for",
    "gwcloud_server",
    "missing_server_modules",
    "start_server",
]

#: Schema of the session server when neither the option nor the ini value names one.
DEFAULT_SCHEMA = "2026"
#: The service generations the local server imitates.
SCHEMAS = ("2023", "2026")
#: Modules the ``server`` extra installs, each with the alternatives that also do.
_SERVER_MODULES: tuple[tuple[str, ...], ...] = (
    ("ariadne",),
    ("starlette",),
    ("uvicorn",),
    ("jwt",),
    ("python_multipart", "multipart"),
)
#: The one line every fixture fails with when the ``server`` extra is missing.
SERVER_EXTRA_MESSAGE = (
    "the gwcloud pytest fixtures need the local server: "
    "pip install 'gwcloud-python[server]' (missing: {missing})"
)
#: How long a submitted job takes to complete on the session server, seconds.
JOB_DURATION = 0.5
#: Marker of tests before which the session server is not emptied.
KEEP_DATA_MARKER = "gwcloud_keep_data"


def _importable(name: str) -> bool:
    """Tell whether a top-level module can be imported, without importing it."""
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_server_modules() -> list[str]:
    """Name the modules of the ``server`` extra that can not be imported.

    Returns
    -------
    list of str
        Empty when the extra is installed.
    """
    return [names[0] for names in _SERVER_MODULES if not any(map(_importable, names))]


def _require_server_extra() -> None:
    """Fail the current test (one line, no traceback) when the extra is missing."""
    missing = missing_server_modules()
    if missing:
        pytest.fail(SERVER_EXTRA_MESSAGE.format(missing=", ".join(missing)), pytrace=False)


def configured_schema(config: pytest.Config) -> str:
    """Return the schema the session server imitates.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration: ``--gwcloud-schema`` wins over the ini option
        ``gwcloud_schema``, which wins over :data:`DEFAULT_SCHEMA`.

    Returns
    -------
    str
        ``"2023"`` or ``"2026"``.

    Raises
    ------
    pytest.UsageError
        For another value.
    """
    option = config.getoption("gwcloud_schema", default=None)
    value = str(option or config.getini("gwcloud_schema") or DEFAULT_SCHEMA).strip()
    if value not in SCHEMAS:
        raise pytest.UsageError(
            f"gwcloud_schema must be one of {', '.join(SCHEMAS)}, not {value!r}"
        )
    return value


def start_server(
    schema: str = DEFAULT_SCHEMA, *, data_dir: Path | None = None, **options: Any
) -> LocalServer:
    """Start a local server with its admin routes, as the ``gwcloud_server`` fixture does.

    For a test suite that needs more than the session server (another schema, a
    split job-controller host, short JWT lifetimes...).  The caller stops it
    (``server.cleanup()``).

    Parameters
    ----------
    schema : str
        ``"2023"`` or ``"2026"``.
    data_dir : Path, optional
        Data directory (a temporary one, removed by ``cleanup()``, when None).
    **options
        Other :class:`~gwcloud_python.server.LocalServer` arguments
        (``job_duration`` defaults to :data:`JOB_DURATION`).

    Returns
    -------
    LocalServer
        The running server.
    """
    _require_server_extra()
    from gwcloud_python.server import LocalServer

    options.setdefault("job_duration", JOB_DURATION)
    options["admin"] = True
    return LocalServer(data_dir, schema=schema, **options).start()


def client_options(server: LocalServer) -> dict[str, Any]:
    """Return the ``GWCloud(...)`` keyword arguments that point a client at ``server``.

    Parameters
    ----------
    server : LocalServer
        A running server.

    Returns
    -------
    dict
        ``endpoint`` and ``service`` (and ``auth_endpoint`` for a 2023-mode server),
        plus ``progress=False``.
    """
    if server.schema == "2023":
        return {
            "endpoint": server.endpoint,
            "auth_endpoint": server.auth_endpoint,
            "service": "2023",
            "progress": False,
        }
    # every other variant the server has is a schema of the 2026 service
    return {"endpoint": server.endpoint, "service": "2026", "progress": False}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--gwcloud-schema`` and the ini option ``gwcloud_schema``."""
    group = parser.getgroup("gwcloud", "GWCloud local server (gwcloud-python)")
    group.addoption(
        "--gwcloud-schema",
        dest="gwcloud_schema",
        choices=SCHEMAS,
        default=None,
        help=f"service generation the gwcloud_server fixture imitates (default "
        f"{DEFAULT_SCHEMA}, or the ini option gwcloud_schema)",
    )
    parser.addini(
        "gwcloud_schema",
        f"service generation of the gwcloud_server fixture: 2023 or 2026 ({DEFAULT_SCHEMA})",
        default=DEFAULT_SCHEMA,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; refuse an unknown ``gwcloud_schema`` before any test runs."""
    config.addinivalue_line(
        "markers",
        f"{KEEP_DATA_MARKER}: do not empty the gwcloud_server before this test (it sees "
        "what earlier tests and session- or module-scoped fixtures made)",
    )
    configured_schema(config)


@pytest.fixture(scope="session")
def gwcloud_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    """A local GWCloud server for the test session (one per xdist worker).

    Its data is emptied before every test that uses it; see the module docstring.
    """
    schema = configured_schema(request.config)
    server = start_server(schema, data_dir=tmp_path_factory.mktemp(f"gwcloud-{schema}"))
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(autouse=True)
def _gwcloud_clean_state(request: pytest.FixtureRequest) -> None:
    """Before each test that uses ``gwcloud_server``, empty the server's data.

    Not for a test marked ``gwcloud_keep_data``.
    """
    if (
        "gwcloud_server" in request.fixturenames
        and request.node.get_closest_marker(KEEP_DATA_MARKER) is None
    ):
        server: LocalServer = request.getfixturevalue("gwcloud_server")
        server.reset()


@pytest.fixture
def gwcloud_client(gwcloud_server: LocalServer) -> Iterator[GWCloud]:
    """An anonymous ``GWCloud`` bound to ``gwcloud_server``, closed after the test."""
    from gwcloud_python import GWCloud

    client = GWCloud("", **client_options(gwcloud_server))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def gwcloud_async_client(gwcloud_server: LocalServer) -> Iterator[AsyncGWCloud]:
    """An anonymous ``AsyncGWCloud`` bound to ``gwcloud_server``, closed after the test.

    Closing needs the event loop its connections were opened in: a test that runs its
    own loop (``asyncio.run``) should close the client inside it
    (``async with gwcloud_async_client as gw:``); otherwise the fixture closes it.
    """
    from gwcloud_python import AsyncGWCloud

    client = AsyncGWCloud("", **client_options(gwcloud_server))
    try:
        yield client
    finally:
        _close_async(client)


def _close_async(client: AsyncGWCloud) -> None:
    """Close an async client from synchronous teardown code, in a loop of its own."""
    with contextlib.suppress(RuntimeError):  # its connections' event loop has ended
        asyncio.run(client.aclose())


@pytest.fixture
def gwcloud_client_for(gwcloud_server: LocalServer) -> Iterator[Callable[..., GWCloud]]:
    """``gwcloud_client_for(token, **options)``: a ``GWCloud`` for a user of the server.

    ``token`` comes from ``gwcloud_server.add_user(name)``; ``options`` are further
    ``GWCloud`` arguments.  Every client made is closed after the test.
    """
    from gwcloud_python import GWCloud

    made: list[GWCloud] = []

    def make(token: str, **options: Any) -> GWCloud:
        client = GWCloud(token, **{**client_options(gwcloud_server), **options})
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            client.close()

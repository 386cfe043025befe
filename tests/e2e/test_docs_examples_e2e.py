"""The README's and the quickstart's examples, run as written against a local server.

Every Python example of ``README.md`` and ``docs/quickstart.rst`` runs in order in one
namespace, as a reader pasting them one after the other would, and the README's
``gwcloud`` commands run too.  The only changes are the ones the pages tell a reader
to make for a local server: its endpoints instead of the public service's, a demo
user's token for ``<your API token>``, and the input files the examples name
(``GW150914.ini``, a job output directory) put in the working directory first.  A
block that cannot run offline (it names a made-up host) must be in :data:`OFFLINE`,
so a new example is never skipped without notice.

The examples create public jobs and event IDs, so the server here is this module's own.
"""

from __future__ import annotations

import re
import shlex
import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests_e2e_support import endpoints

from gwcloud_python.cli import main
from gwcloud_python.pytest_plugin import start_server
from gwcloud_python.server import LocalServer

ROOT = Path(__file__).resolve().parents[2]
INI = ROOT / "tests" / "data" / "ini" / "docs_example.ini"
PUBLIC = ('endpoint="https://gwcloud.org.au/graphql"',)
#: Blocks that only show constructor calls for hosts that cannot be reached offline.
OFFLINE = ("my.host",)
#: The README's own local-server example (a 2023 server on port 8000).
README_LOCAL = ('"http://127.0.0.1:8000/auth/graphql"', '"http://127.0.0.1:8000/bilby/graphql"')


@pytest.fixture(scope="module", params=["2023", "2026"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    """This module's own server, with the demo data, in each deployment mode."""
    srv = start_server(
        request.param, data_dir=tmp_path_factory.mktemp("docs-examples"), job_duration=0.3
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def demo(server: LocalServer) -> dict[str, Any]:
    """The demo users' tokens and jobs' IDs."""
    return server.seed_demo()


def python_blocks(path: Path) -> list[str]:
    """The Python examples of a Markdown or reStructuredText page, in order."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    found = re.findall(r"^\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text, re.M)
    return [textwrap.dedent(block) for block in found]


def shell_commands(path: Path) -> list[str]:
    """The ``gwcloud`` command lines of a Markdown page's ``sh`` blocks."""
    blocks = re.findall(r"^```sh\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("gwcloud ")]


def localise(code: str, server: LocalServer, token: str) -> str:
    """Point an example at ``server``, as the pages tell a reader to."""
    local = ", ".join(f"{key}={value!r}" for key, value in endpoints(server).items())
    code = code.replace("GWCloud()", f"GWCloud({local})")
    code = code.replace("GWCloud(token=", f"GWCloud({local}, token=")
    for public in PUBLIC:
        code = code.replace(public, local)
    if server.schema == "2023":
        code = code.replace(README_LOCAL[0], repr(server.auth_endpoint))
        code = code.replace(README_LOCAL[1], repr(server.endpoint))
    for placeholder in ("<your API token>", "<the token add-user printed>"):
        code = code.replace(placeholder, token)
    return code


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the files the examples name."""
    (tmp_path / "runs").mkdir()
    shutil.copy(INI, tmp_path / "runs" / "GW150914.ini")
    shutil.copy(INI, tmp_path / "GW150914.ini")
    shutil.copy(INI, tmp_path / "run.ini")
    outdir = tmp_path / "outdir_GW150914"
    for sub in ("data", "result", "results_page"):
        (outdir / sub).mkdir(parents=True)
    (outdir / "GW150914_config_complete.ini").write_text(INI.read_text())
    (outdir / "result" / "GW150914_result.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: sleep(min(seconds, 0.2)))
    return tmp_path


def run_page(page: Path, server: LocalServer, token: str) -> tuple[dict[str, Any], list[str]]:
    """Run a page's examples in one namespace; return it and the blocks left out."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    left_out = []
    for index, block in enumerate(python_blocks(page)):
        code = localise(block, server, token)
        if any(host in code for host in OFFLINE) or (
            server.schema != "2023" and "127.0.0.1:8000" in code
        ):
            left_out.append(block)
            continue
        try:
            exec(compile(code, f"{page.name}, example {index + 1}", "exec"), namespace)  # noqa: S102
        except ImportError as err:
            # to_pandas() without pandas installed: the message tells the reader what to do
            assert "to_pandas" in code and "pip install pandas" in str(err), code
    return namespace, left_out


def test_quickstart_examples_run_as_written(
    server: LocalServer,
    demo: dict[str, Any],
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the admin demo user, so that the event-ID administration example is allowed too
    monkeypatch.setenv("GWCLOUD_TOKEN", demo["users"]["admin"])
    namespace, left_out = run_page(ROOT / "docs" / "quickstart.rst", server, "")
    assert left_out == []
    out = capsys.readouterr().out
    assert "GW190521-external is at https://" in out  # the bulk save's external job
    assert namespace["saved"].external and namespace["job"].is_uploaded()
    assert (workdir / "results").is_dir() and (workdir / "configs").is_dir()


def test_readme_examples_run_as_written(
    server: LocalServer, demo: dict[str, Any], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = demo["users"]["demo"]
    namespace, left_out = run_page(ROOT / "README.md", server, token)
    assert [block for block in left_out if "my.host" not in block] == (
        [] if server.schema == "2023" else [b for b in left_out if "127.0.0.1:8000" in b]
    )
    assert len(left_out) == (1 if server.schema == "2023" else 2)
    saved = sorted(p.relative_to(workdir).as_posix() for p in (workdir / "results").rglob("*"))
    # each job's files under its own folder, never mixed together
    assert saved and all(path.startswith("results/GW150914") for path in saved)
    assert "jobs" in namespace and "gw" in namespace
    capsys.readouterr()


def test_readme_commands_run_as_written(
    server: LocalServer,
    demo: dict[str, Any],
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GWCLOUD_TOKEN", demo["users"]["demo"])
    for key, value in endpoints(server).items():
        monkeypatch.setenv(f"GWCLOUD_{key.upper()}", value)
    commands = shell_commands(ROOT / "README.md")
    assert any(line.startswith("gwcloud files download") for line in commands)
    for line in commands:
        argv = shlex.split(line.replace("<job id>", demo["jobs"]["GW150914"]))[1:]
        code = main(["--no-progress", *argv] if argv[0] != "schema-check" else argv)
        assert code == 0, (line, capsys.readouterr().err)
    assert (workdir / "results" / "result" / "GW150914_corner.png").is_file()

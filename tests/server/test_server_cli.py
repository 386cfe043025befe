"""``gwcloud-server`` as a new user meets it: start-up text, safe user commands, help, errors."""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from gwcloud_python.server import LocalServer
from gwcloud_python.server.auth import user_by_api_token
from gwcloud_python.server.cli import EXTRA_MISSING, _parser, main
from gwcloud_python.server.errors import ServiceError
from gwcloud_python.server.state import ServerConfig, ServerState

_ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(_ROOT / "src"), *(p for p in sys.path if p)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _valid(data_dir: Path, token: str) -> bool:
    state = ServerState.open(ServerConfig(data_dir=data_dir))
    try:
        user_by_api_token(state, token)
    except ServiceError:
        return False
    finally:
        state.db.close()
    return True


def _server_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# -- run ----------------------------------------------------------------------------------


@pytest.fixture
def running(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``running(*args)``: start ``gwcloud-server run`` and return its first stdout lines."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, until: str = "gw = GWCloud(") -> list[str]:
        command = [sys.executable, "-m", "gwcloud_python.server", "run", "--port", "0"]
        process = subprocess.Popen(
            [*command, "--data-dir", str(tmp_path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_env(),
        )
        processes.append(process)
        lines: queue.Queue[str] = queue.Queue()

        def pump(stream: IO[str]) -> None:
            for line in stream:
                lines.put(line.rstrip("\n"))
            lines.put("")

        assert process.stdout is not None
        threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
        seen: list[str] = []
        while not seen or until not in seen[-1]:
            line = lines.get(timeout=60)
            assert line, f"server stopped early: {seen}"
            seen.append(line)
        return seen

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize("schema", ["2023", "2026"])
def test_run_prints_endpoints_and_a_ready_gwcloud_line(
    running: Any, tmp_path: Path, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, token, _ = _server_cli(capsys, "add-user", "alice", "--data-dir", str(tmp_path))
    assert code == 0
    lines = running("--schema", schema)
    assert lines[0].startswith("gwcloud-server listening on http://127.0.0.1:")
    base = lines[0].rsplit(" ", 1)[1]
    text = "\n".join(lines)
    if schema == "2023":
        assert f"bilby endpoint:   {base}/bilby/graphql" in text
        assert f"auth endpoint:    {base}/auth/graphql" in text
    else:
        assert f"GraphQL endpoint: {base}/graphql" in text and "auth endpoint" not in text
    # the printed Python lines work as pasted, with the token add-user printed
    python = textwrap.dedent(
        "\n".join(line for line in lines if line.startswith("    ") and "export" not in line)
    )
    assert python.startswith("from gwcloud_python import GWCloud\ngw = GWCloud(token, ")
    namespace: dict[str, Any] = {"token": token.strip()}
    exec(python, namespace)  # noqa: S102 - the text the server printed for users to paste
    with namespace["gw"] as gw:
        assert gw.get_user_jobs() == []  # authenticated against the printed endpoints


def test_run_prints_the_job_controller_in_split_mode(running: Any) -> None:
    lines = running("--job-controller-port", "0")
    assert lines[0].startswith("gwcloud-server job controller listening on http://127.0.0.1:")
    controller = lines[0].rsplit(" ", 1)[1]
    assert lines[1].startswith("gwcloud-server listening on ")
    text = "\n".join(lines)
    assert f"job_file_download_url='{controller}/job/apiv1/file/'" in text


# -- add-user and seed-demo ---------------------------------------------------------------


def test_add_user_refuses_to_replace_a_token_unless_rotate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    code, first, _ = _server_cli(capsys, "add-user", "alice", *data)
    assert code == 0 and len(first.strip()) == 64
    code, out, err = _server_cli(capsys, "add-user", "alice", "--ligo", *data)
    assert code == 1 and out == ""
    assert err.startswith("gwcloud-server: error: ") and err.count("\n") == 1
    assert "'alice' already exists" in err and "--rotate" in err
    assert _valid(tmp_path, first.strip())  # untouched

    code, second, _ = _server_cli(capsys, "add-user", "alice", "--rotate", *data)
    assert code == 0 and second.strip() != first.strip()
    assert _valid(tmp_path, second.strip()) and not _valid(tmp_path, first.strip())


def test_seed_demo_again_keeps_existing_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    data = ["--data-dir", str(tmp_path)]
    code, out, _ = _server_cli(capsys, "seed-demo", *data)
    assert code == 0
    first = json.loads(out)
    assert set(first["users"]) == {"official", "demo", "ligo", "admin", "gwflow-ingest"}
    assert all(isinstance(token, str) for token in first["users"].values())

    code, out, err = _server_cli(capsys, "seed-demo", *data)
    assert code == 0
    again = json.loads(out)
    assert again["jobs"] == first["jobs"]  # no duplicates
    assert again["users"] == dict.fromkeys(first["users"])  # null: token unchanged
    assert "keep their tokens" in err
    assert all(_valid(tmp_path, token) for token in first["users"].values())


# -- help and errors ------------------------------------------------------------------------


def _actions(parser: argparse.ArgumentParser, where: str = "gwcloud-server") -> Iterator[Any]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{where} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield where, action


def test_every_option_has_help() -> None:
    missing = [
        f"{where} {action.option_strings or action.dest}"
        for where, action in _actions(_parser())
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []


_BLOCK_EXTRA = """
import importlib.abc, runpy, sys

class NoServerExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"ariadne", "graphql", "starlette", "uvicorn", "jwt"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoServerExtra())
sys.argv = ["gwcloud-server", *sys.argv[1:]]
runpy.run_module("gwcloud_python.server", run_name="__main__")
"""


@pytest.mark.parametrize("command", ["run", "add-user alice", "seed-demo"])
def test_without_the_server_extra_one_line(tmp_path: Path, command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BLOCK_EXTRA, *command.split(), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert done.returncode == 1
    assert done.stderr == f"gwcloud-server: error: {EXTRA_MISSING}\n"
    assert EXTRA_MISSING == "the local server needs: pip install 'gwcloud-python[server]'"
    assert done.stdout == ""


def test_import_failure_at_run_time_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("gwcloud_python.server.cli._missing_extra", lambda: None)
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ModuleNotFoundError
    code, _, err = _server_cli(capsys, "run", "--port", "0", "--data-dir", str(tmp_path))
    assert code == 1 and err == f"gwcloud-server: error: {EXTRA_MISSING}\n"


# -- LocalServer start-up failures ----------------------------------------------------------


def test_failed_start_keeps_the_log_of_a_temporary_data_dir() -> None:
    server = LocalServer()
    (server.data_dir / "gwcloud.sqlite3").mkdir(parents=True)  # the database cannot open
    with pytest.raises(RuntimeError) as info:
        server.start(timeout=60)
    server.cleanup()
    assert not server.data_dir.exists()  # the temporary directory is gone...
    message = str(info.value)
    log = Path(message.rsplit("full log: ", 1)[1])
    try:
        assert log.is_file()  # ...but the log the message names is kept
        assert "gwcloud-server did not start" in message
        assert "Traceback" in log.read_text() or "sqlite" in log.read_text().lower()
    finally:
        log.unlink()


def test_failed_start_names_the_log_in_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / "gwcloud.sqlite3").mkdir()
    server = LocalServer(tmp_path)
    with pytest.raises(RuntimeError, match="full log: ") as info:
        server.start(timeout=60)
    server.cleanup()
    log = Path(str(info.value).rsplit("full log: ", 1)[1])
    assert log == tmp_path / "server.log" and log.stat().st_size > 0


def test_usage_lines_name_a_reachable_address() -> None:
    from gwcloud_python.server.cli import _reachable, usage_lines

    assert _reachable("http://0.0.0.0:8000") == "http://127.0.0.1:8000"
    assert _reachable("http://[::]:8000") == "http://[::1]:8000"
    lines = usage_lines("http://127.0.0.1:8000", "2026")
    assert "    gw = GWCloud(token, endpoint='http://127.0.0.1:8000/graphql')" in lines
    assert not any("GWCLOUD_AUTH_ENDPOINT" in line for line in lines)


def test_a_taken_port_is_named_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["run", "--port", str(port), "--data-dir", str(tmp_path / "gwc")])
    assert code == 1
    [line] = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line.startswith("gwcloud-server: error: ") and f"port {port}" in line
    assert "--port" in line

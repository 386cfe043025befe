"""``gwcloud`` conveniences: truncation notices, confirmations, exit codes, completion,
skipping files already downloaded; end to end against a local server."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli import Run, cli, demo, server  # noqa: F401 - fixtures shared with test_cli

import gwcloud_python.cli as gwcli
from gwcloud_python.cli import main
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e


# -- --limit says when it cut the list ----------------------------------------------------


def test_limit_says_when_it_truncates(cli: Run) -> None:  # noqa: F811
    every = cli("jobs", "search", "--json").json()
    assert len(every) > 2
    cut = cli("jobs", "search", "--limit", "2", "--json")
    assert len(cut.json()) == 2  # stdout stays valid JSON; the notice is on stderr
    assert cut.err.strip() == "showing 2 jobs; more available, raise --limit to see them"
    whole = cli("jobs", "search", "--limit", str(len(every)))
    assert whole.err == ""  # nothing was cut

    official = cli("jobs", "search", "--official", "--json").json()
    one = cli("jobs", "search", "--official", "--limit", "1")
    assert one.err.strip() == f"showing 1 of {len(official)} jobs; raise --limit to see more"

    mine = cli("jobs", "mine", "--json", user="official").json()
    assert len(mine) > 1
    first = cli("jobs", "mine", "--limit", "1", user="official")
    assert first.err.strip() == "showing 1 job; more available, raise --limit to see them"
    assert cli("jobs", "mine", "--limit", str(len(mine)), user="official").err == ""


# -- event-id delete asks first -------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("\n", False), ("no\n", False)])
def test_delete_asks_on_a_terminal(
    cli: Run,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    deleted: bool,
) -> None:
    event = "GW200311_115853"
    create = ("event-id", "create", event, "--gps-time", "1267963151.3")
    assert cli(*create, user="admin").code == 0
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    result = cli("event-id", "delete", event, user="admin")
    assert result.code == 0
    assert f"delete event ID {event}? [y/N]" in result.err
    listed = {e["event_id"] for e in cli("event-id", "list", "--json").json()}
    assert (event not in listed) is deleted
    if not deleted:
        assert "not deleted" in result.err
        assert cli("event-id", "delete", event, "-y", user="admin").code == 0


# -- exit codes -----------------------------------------------------------------------------


def test_exit_codes_are_distinct_and_documented(
    cli: Run,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (gwcli.EXIT_ERROR, gwcli.EXIT_USAGE, gwcli.EXIT_NOT_FOUND, gwcli.EXIT_AUTH) == (
        1,
        2,
        3,
        4,
    )
    cli("jobs", "show", "424242").assert_error(3)
    cli("event-id", "show", "GW999999_999999").assert_error(3)
    cli("jobs", "mine").assert_error(4)  # no token
    cli("jobs", "mine", token="not-a-valid-token-at-all").assert_error(4)
    cli("event-id", "delete", "GW150914_095045", "--yes", user="demo").assert_error(4)
    for argv in ([], ["jobs", "search"], ["event-id", "delete"]):
        assert main([*argv, "--help"]) == 0
        out = capsys.readouterr().out
        assert "exit status:" in out
        assert "3    not found" in out and "4    authentication" in out


# -- files download skips what is already there ---------------------------------------------


def test_download_skips_existing_files(
    cli: Run,  # noqa: F811
    demo: dict[str, Any],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative DEST
    job_id = demo["jobs"]["GW151226"]
    argv = ("--no-progress", "files", "download", job_id, "out", "--filter", "png")
    first = cli(*argv)
    assert first.code == 0, first.err
    saved = [Path(line) for line in first.out.splitlines()]
    assert len(saved) > 1 and "skipped" not in first.err
    # change one file's size: it is fetched again; the others are skipped
    saved[0].write_bytes(b"changed")
    second = cli(*argv)
    assert second.code == 0, second.err
    assert [Path(line) for line in second.out.splitlines()] == [saved[0]]
    assert f"skipped {len(saved) - 1} already there" in second.err
    assert saved[0].read_bytes() != b"changed"
    stamp = saved[1].stat().st_mtime_ns
    again = cli(*argv, "--no-skip-existing")
    assert again.code == 0 and len(again.out.splitlines()) == len(saved)
    assert "skipped" not in again.err
    assert saved[1].stat().st_mtime_ns >= stamp


# -- token from the environment, shell completion -------------------------------------------


def test_token_from_environment(
    server: LocalServer,  # noqa: F811
    demo: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GWCLOUD_TOKEN", demo["users"]["demo"])
    monkeypatch.setenv("GWCLOUD_ENDPOINT", server.endpoint)
    monkeypatch.setenv("GWCLOUD_AUTH_ENDPOINT", server.auth_endpoint)
    assert main(["jobs", "mine", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "demo-private" in out and demo["users"]["demo"] not in out + err


def test_completion_without_the_optional_dependency(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "shtab", None)  # import shtab -> ImportError
    assert main(["completion", "bash"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == "gwcloud: error: shell completion needs: pip install 'gwcloud-python[completion]'\n"
    )


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_script(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("shtab", reason="the [completion] extra is not installed")
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for word in ("gwcloud", "search", "download", "--no-skip-existing", "event-id"):
        assert word in script


def test_messages_name_cli_arguments(cli: Run, tmp_path: Path) -> None:  # noqa: F811
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    message = cli("files", "download", "1", str(not_a_dir)).assert_error(1)
    assert message.startswith("DEST ") and "root_path" not in message


def test_2026_service_json_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalServer(tmp_path, schema="2026", job_duration=0.3) as server26:
        server26.seed_demo()
        base = ["--endpoint", server26.endpoint]

        def run(*argv: str) -> tuple[int, str, str]:
            capsys.readouterr()
            code = main([*base, *argv])
            out, err = capsys.readouterr()
            return code, out, err

        code, out, _ = run("jobs", "search", "GW170817", "--json")
        assert code == 0
        (listed,) = json.loads(out)
        code, out, _ = run("jobs", "show", listed["id"], "--json")
        assert code == 0 and json.loads(out) == listed  # same fields on the 2026 service
        assert listed["labels"] and listed["creation_time"]
        assert run("--token", "wrong-token-2026-xyz", "jobs", "mine")[0] == 4
        assert run("jobs", "show", "987654")[0] == 3

"""The ``gwcloud`` command line, end to end against a local GWCloud server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import gwcloud_python.gwcloud
from gwcloud_python.cli import main
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

#: A token that must never be shown, whatever happens.
SENTINEL = "sentinel-token-d3adb33f-never-print-me"
JOB_KEYS = {
    "id",
    "name",
    "description",
    "user",
    "status",
    "status_date",
    "event_id",
    "labels",
    "private",
    "is_ligo_job",
    "job_type",
    "cluster",
    "creation_time",
    "last_updated",
    "timestamp",
}


@dataclass
class Result:
    """What one ``gwcloud`` run printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def assert_error(self, code: int = 1) -> str:
        """Check for exactly one ``gwcloud: error:`` line on stderr; return its message."""
        assert self.code == code, (self.code, self.out, self.err)
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("gwcloud: error: ")
        assert "Traceback" not in self.err
        return lines[0].removeprefix("gwcloud: error: ")


Run = Callable[..., Result]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    srv = LocalServer(tmp_path_factory.mktemp("cli-server"), job_duration=0.3)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def demo(server: LocalServer) -> dict[str, Any]:
    return server.seed_demo()


@pytest.fixture
def cli(server: LocalServer, demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> Run:
    """``cli(*argv, user=None, token=None)``: run ``gwcloud`` in-process against the server.

    Every run checks that no API token (the demo users' or the sentinel) was printed.
    """
    secrets = [SENTINEL, *demo["users"].values()]

    def run(*argv: str, user: str | None = None, token: str | None = None) -> Result:
        given = token or (demo["users"][user] if user else None)
        options = ["--endpoint", server.endpoint, "--auth-endpoint", server.auth_endpoint]
        if given:
            options += ["--token", given]
        capsys.readouterr()
        code = main([*options, *argv])
        out, err = capsys.readouterr()
        for secret in secrets:
            assert secret not in out and secret not in err
        return Result(code, out, err)

    return run


def table_column(out: str, header: str) -> list[str]:
    """Cells of one column of a printed table (columns are split on two spaces)."""
    lines = out.strip().splitlines()
    start = lines[0].index(header)
    return [line[start:].split("  ")[0].strip() for line in lines[1:]]


def make_job_dir(root: Path, label: str) -> Path:
    job = root / label
    for sub in ("data", "result", "results_page"):
        (job / sub).mkdir(parents=True)
    (job / f"{label}_config_complete.ini").write_text(f"label = {label}\n")
    (job / "data" / f"{label}_data.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"d" * 100)
    (job / "result" / f"{label}_result.json").write_text('{"posterior": []}')
    (job / "result" / f"{label}_corner.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"c" * 50)
    (job / "results_page" / "home.html").write_text("<html></html>")
    return job


# -- jobs -----------------------------------------------------------------------------------


def test_search_prints_aligned_table(cli: Run) -> None:
    result = cli("jobs", "search")
    assert result.code == 0 and result.err == ""
    header = result.out.splitlines()[0].split()
    assert header == ["NAME", "ID", "STATUS", "USER", "EVENT"]
    names = table_column(result.out, "NAME")
    assert {"GW150914", "GW170817", "GW151226", "GW190521-external"} <= set(names)
    assert "demo-private" not in names
    assert set(table_column(result.out, "STATUS")) == {"Completed"}
    assert "GW150914_095045" in table_column(result.out, "EVENT")


def test_search_terms_json_and_time_range(cli: Run, demo: dict[str, Any]) -> None:
    found = cli("jobs", "search", "GW170817", "--time-range", "1d", "--json").json()
    assert [job["name"] for job in found] == ["GW170817"]
    job = found[0]
    assert set(job) == JOB_KEYS
    assert job["id"] == demo["jobs"]["GW170817"]
    assert job["event_id"] == {
        "event_id": "GW170817_124104",
        "trigger_id": "S170817a",
        "nickname": "GW170817",
        "is_ligo_event": False,
        "gps_time": 1187008882.4,  # fetched for --json although listing omits it
    }
    assert job["status"] == "Completed" and "Official" in job["labels"]
    # search --json and show --json print the same fields with the same values
    shown = cli("jobs", "show", job["id"], "--json").json()
    assert job == shown
    assert job["private"] is False and job["job_type"] == "normal" and job["cluster"]
    datetime.fromisoformat(job["status_date"])
    datetime.fromisoformat(job["creation_time"])


def test_search_official_and_limit(cli: Run) -> None:
    official = cli("jobs", "search", "--official", "--json").json()
    assert {"GW150914", "GW151226", "GW190521-external"} <= {j["name"] for j in official}
    assert [
        j["name"] for j in cli("jobs", "search", "GW151226", "--official", "--json").json()
    ] == ["GW151226"]
    assert len(cli("jobs", "search", "--official", "--limit", "1", "--json").json()) == 1
    assert len(cli("jobs", "search", "--limit", "2", "--json").json()) == 2
    assert len(cli("jobs", "search", "--limit", "2").out.strip().splitlines()) == 3


def test_search_without_matches(cli: Run) -> None:
    empty = cli("jobs", "search", "no-such-job-anywhere")
    assert empty.code == 0 and empty.out == "" and "no jobs found" in empty.err
    assert cli("jobs", "search", "no-such-job-anywhere", "--json").json() == []


def test_mine_table_json_and_limit(cli: Run) -> None:
    result = cli("jobs", "mine", user="demo")
    assert result.code == 0
    assert "demo-private" in table_column(result.out, "NAME")
    mine = cli("jobs", "mine", "--json", user="demo").json()
    assert all(job["user"] == mine[0]["user"] for job in mine)
    assert "demo-private" in {job["name"] for job in mine}
    assert len(cli("jobs", "mine", "--limit", "1", "--json", user="official").json()) == 1


def test_show_table_and_json(cli: Run, demo: dict[str, Any]) -> None:
    job_id = demo["jobs"]["GW150914"]
    text = cli("jobs", "show", job_id)
    assert text.code == 0
    fields = dict(line.split(":", 1) for line in text.out.splitlines())
    assert fields["Name"].strip() == "GW150914" and fields["ID"].strip() == job_id
    assert fields["Event"].strip() == "GW150914_095045 (GW150914)"
    assert fields["Status"].strip().startswith("Completed (")
    assert fields["Type"].strip() == "normal"
    data = cli("jobs", "show", "1", "--json").json()
    assert set(data) == JOB_KEYS
    assert data["id"] == job_id and data["job_type"] == "normal" and data["private"] is False
    datetime.fromisoformat(data["creation_time"])


def test_show_unknown_job_is_one_line_error(cli: Run) -> None:
    assert "999999" in cli("jobs", "show", "999999").assert_error(3)  # not found: 3
    message = cli("jobs", "show", "not-an-id").assert_error(1)
    assert message.startswith("ID ") and "job_id" not in message  # CLI terms


# -- files ----------------------------------------------------------------------------------


def test_files_list(cli: Run, demo: dict[str, Any]) -> None:
    job_id = demo["jobs"]["GW150914"]
    every = cli("files", "list", job_id, "--json").json()
    assert {"GW150914_config_complete.ini", "result/GW150914_corner.png"} <= {
        f["path"] for f in every
    }
    assert all(set(f) == {"path", "size", "url"} and f["size"] > 0 for f in every)
    pngs = cli("files", "list", job_id, "--filter", "png", "--json").json()
    assert pngs and all(f["path"].endswith(".png") for f in pngs)
    assert len(pngs) < len(every)
    text = cli("files", "list", job_id, "--filter", "corner_plot")
    lines = text.out.strip().splitlines()
    assert lines[0].split() == ["PATH", "SIZE"]
    assert lines[1].startswith("result/GW150914_corner.png")
    assert lines[-1].startswith("1 file, ")


def test_files_download_with_filter(
    cli: Run, demo: dict[str, Any], server: LocalServer, tmp_path: Path
) -> None:
    job_id = demo["jobs"]["GW151226"]
    dest = tmp_path / "out"
    result = cli("--no-progress", "files", "download", job_id, str(dest), "--filter", "default")
    assert result.code == 0, result.err
    saved = [Path(line) for line in result.out.splitlines()]
    expected = cli("files", "list", job_id, "--filter", "default", "--json").json()
    assert sorted(p.relative_to(dest).as_posix() for p in saved) == sorted(
        f["path"] for f in expected
    )
    for path in saved:
        assert path.read_bytes() == server.file_bytes(job_id, path.relative_to(dest).as_posix())
    assert "saved" in result.err and not list(dest.rglob("*.part"))


def test_files_of_external_job(cli: Run, demo: dict[str, Any], tmp_path: Path) -> None:
    job_id = demo["jobs"]["GW190521-external"]
    listed = cli("files", "list", job_id)
    assert listed.code == 0 and "https://example.org/gw190521/results.html" in listed.out
    message = cli("files", "download", job_id, str(tmp_path)).assert_error(1)
    assert "outside GWCloud" in message
    assert not list(tmp_path.iterdir())


def test_files_download_several_jobs_reports_the_external_one(
    cli: Run, demo: dict[str, Any], server: LocalServer, tmp_path: Path
) -> None:
    ids = [demo["jobs"][key] for key in ("GW150914", "GW190521-external", "GW151226")]
    dest = tmp_path / "out"
    result = cli("--no-progress", "files", "download", *ids, str(dest), "--filter", "config")
    assert result.code == 0, result.err
    saved = sorted(Path(line).relative_to(dest).as_posix() for line in result.out.splitlines())
    assert saved == [
        "GW150914/GW150914_config_complete.ini",
        "GW151226/GW151226_config_complete.ini",
    ]
    assert sorted(p.name for p in dest.iterdir()) == ["GW150914", "GW151226"]
    content = (dest / "GW150914/GW150914_config_complete.ini").read_bytes()
    assert content == server.file_bytes(ids[0], "GW150914_config_complete.ini")
    lines = result.err.strip().splitlines()
    [summary] = [line for line in lines if line.startswith("saved ")]
    assert summary.startswith("saved 2 file(s), ")
    [warning] = [line for line in lines if "outside GWCloud" in line]
    assert warning.startswith("gwcloud: warning: skipped 1 job(s) ")
    assert "'GW190521-external' (https://example.org/gw190521/results.html)" in warning
    assert len(lines) == 2, result.err  # one warning line, not the library's and a second
    # --json: the same outcome for scripts; a second run finds the files already there
    again = cli(
        "--no-progress", "files", "download", *ids, str(dest), "--filter", "config", "--json"
    )
    assert again.code == 0, again.err
    report = again.json()
    assert report["saved"] == [] and len(report["skipped_existing"]) == 2
    assert report["external"] == [
        {
            "job_id": ids[1],
            "name": "GW190521-external",
            "url": "https://example.org/gw190521/results.html",
        }
    ]
    assert "skipped 2 already there" in again.err


def test_files_download_several_jobs_checks_every_id_first(
    cli: Run, demo: dict[str, Any], tmp_path: Path
) -> None:
    job_id = demo["jobs"]["GW150914"]
    message = cli("files", "download", job_id, "999999", str(tmp_path)).assert_error(3)
    assert "'999999'" in message and not list(tmp_path.iterdir())
    # the same job twice is downloaded once, still under its own folder
    twice = cli(
        "--no-progress", "files", "download", job_id, job_id, str(tmp_path), "--filter", "config"
    )
    assert twice.code == 0, twice.err
    assert [Path(p).relative_to(tmp_path).as_posix() for p in twice.out.split()] == [
        "GW150914/GW150914_config_complete.ini"
    ]


def test_files_download_one_job_json(cli: Run, demo: dict[str, Any], tmp_path: Path) -> None:
    job_id = demo["jobs"]["GW151226"]
    report = cli("--no-progress", "files", "download", job_id, str(tmp_path), "--json").json()
    assert report["external"] == [] and report["skipped_existing"] == []
    assert report["saved"] and all(Path(p).is_file() for p in report["saved"])
    assert all(Path(p).parent.is_relative_to(tmp_path) for p in report["saved"])
    assert not (tmp_path / "GW151226").exists()  # one job: straight under DEST, as before


# -- submit and upload ----------------------------------------------------------------------


def test_submit_ini_with_supporting_file(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "my.prior").write_text("chirp_mass = Uniform(25, 35)\n")
    ini = tmp_path / "run.ini"
    ini.write_text("label = clirun\ntrigger-time = 1126259462.391\nprior-file = my.prior\n")
    args = ("submit", str(ini), "--name", "cli-run", "--description", "from the CLI")
    job = cli(*args, "--cluster", "ozstar", "--json", user="demo").json()
    assert job["name"] == "cli-run" and job["description"] == "from the CLI"
    assert job["private"] is True and job["cluster"] == "ozstar"  # private by default
    assert cli(*args, "--private", "--json", user="demo").json()["private"] is True
    assert cli(*args, "--public", "--json", user="demo").json()["private"] is False
    cli(*args, "--public", "--private", user="demo").assert_error(2)
    mine = cli("jobs", "mine", "--json", user="demo").json()
    assert job["id"] in {j["id"] for j in mine}
    text = cli(*args, user="demo")
    assert text.code == 0 and "Name:" in text.out and "cli-run" in text.out


def test_submit_errors(cli: Run, tmp_path: Path) -> None:
    ini = tmp_path / "run.ini"
    ini.write_text("label = x\nprior-file = missing.prior\n")
    args = ("submit", str(ini), "--name", "x", "--description", "d")
    assert "missing.prior" in cli(*args, user="demo").assert_error(1)
    ini.write_text("label = x\n")
    assert "--token" in cli(*args).assert_error(4)  # no token: the auth exit status
    missing = cli("submit", str(tmp_path / "nope.ini"), *args[2:], user="demo").assert_error(1)
    assert missing.startswith("INI_FILE ") and "does not exist" in missing
    assert "ini_file" not in missing
    cli("submit", str(ini), "--name", "x").assert_error(2)
    cli(*args, "--cluster", "mars").assert_error(2)


def test_upload_directory_and_archive(cli: Run, tmp_path: Path) -> None:
    job_dir = make_job_dir(tmp_path, "cliupdir")
    job = cli("upload", str(job_dir), "--description", "dir", "--public", "--json", user="demo")
    data = job.json()
    assert data["name"] == "cliupdir" and data["job_type"] == "uploaded"
    assert data["private"] is False
    assert "cliupdir" in {j["name"] for j in cli("jobs", "search", "cliupdir", "--json").json()}

    archive = tmp_path / "job.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(make_job_dir(tmp_path / "x", "cliuparch"), arcname=".")
    text = cli("upload", str(archive), "--description", "archive", user="demo")
    assert text.code == 0 and "cliuparch" in text.out and "Private:     yes" in text.out
    assert "does not exist" in cli(
        "upload", str(tmp_path / "missing.tar.gz"), "--description", "x", user="demo"
    ).assert_error(1)


# -- event IDs ------------------------------------------------------------------------------


def test_event_id_lifecycle(cli: Run) -> None:
    listed = cli("event-id", "list")
    header = listed.out.splitlines()[0]
    assert re.split(r"\s{2,}", header) == ["EVENT ID", "TRIGGER ID", "NICKNAME", "GPS TIME", "LIGO"]
    assert "GW150914_095045" in table_column(listed.out, "EVENT ID")

    event = "GW200129_065458"
    create = ("event-id", "create", event, "--gps-time", "1264316116.4")
    created = cli(*create, "--trigger-id", "S200129m", "--nickname", "BBH", "--json", user="admin")
    assert created.json() == {
        "event_id": event,
        "trigger_id": "S200129m",
        "nickname": "BBH",
        "is_ligo_event": False,
        "gps_time": 1264316116.4,
    }
    shown = cli("event-id", "show", event)
    assert "Nickname:   BBH" in shown.out and "LIGO only:  no" in shown.out
    updated = cli(
        "event-id", "update", event, "--nickname", "NSBH", "--ligo", "--json", user="admin"
    )
    assert updated.json()["nickname"] == "NSBH" and updated.json()["is_ligo_event"] is True
    assert event in {e["event_id"] for e in cli("event-id", "list", "--json", user="ligo").json()}
    assert event not in {e["event_id"] for e in cli("event-id", "list", "--json").json()}
    again = cli("event-id", "update", event, "--no-ligo", "--json", user="admin").json()
    assert again["is_ligo_event"] is False and again["nickname"] == "NSBH"

    cli("event-id", "update", event, user="admin").assert_error(2)
    assert "permission" in cli(*create, user="demo").assert_error(4)  # not an admin: 4
    # no terminal to confirm on (pytest's stdin): refused without --yes
    assert "--yes" in cli("event-id", "delete", event, user="admin").assert_error(2)
    assert event in {e["event_id"] for e in cli("event-id", "list", "--json").json()}
    deleted = cli("event-id", "delete", event, "--yes", user="admin")
    assert deleted.code == 0 and event in deleted.out
    assert event not in {e["event_id"] for e in cli("event-id", "list", "--json").json()}
    cli("event-id", "show", event).assert_error(3)
    assert "GW123456_123456" in cli("event-id", "show", "GW1").assert_error(1)


# -- errors and secrets ---------------------------------------------------------------------


def test_usage_errors_are_one_line_exit_2(cli: Run) -> None:
    assert "'3d'" in cli("jobs", "search", "--time-range", "3d").assert_error(2)
    assert "--official" in cli("jobs", "search", "--official", "--time-range", "1d").assert_error(2)
    assert "positive" in cli("jobs", "mine", "--limit", "0").assert_error(2)
    cli("files", "list", "1", "--filter", "pdf").assert_error(2)
    cli("jobs").assert_error(2)
    cli().assert_error(2)
    cli("frobnicate").assert_error(2)


def test_anonymous_mine_fails_cleanly(cli: Run) -> None:
    message = cli("jobs", "mine").assert_error(4)
    assert "--token" in message and "GWCLOUD_TOKEN" in message
    assert "get_user_jobs" not in message


def test_wrong_token_is_refused_and_never_printed(cli: Run) -> None:
    for argv in (("jobs", "mine"), ("jobs", "search"), ("event-id", "list")):
        cli(*argv, token=SENTINEL).assert_error(4)
    # placed after the command, and with a usage error still to report
    cli("jobs", "search", "--time-range", "3d", "--token", SENTINEL).assert_error(2)
    cli("jobs", "search", f"--token={SENTINEL}", "--bogus").assert_error(2)


def test_options_after_the_command(cli: Run, server: LocalServer, demo: dict[str, Any]) -> None:
    token = demo["users"]["demo"]
    result = cli("jobs", "mine", "--json", "--token", token, "--endpoint", server.endpoint)
    assert result.code == 0 and "demo-private" in {j["name"] for j in result.json()}


def test_help_does_not_show_environment(
    cli: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GWCLOUD_TOKEN", SENTINEL)
    monkeypatch.setenv("GWCLOUD_ENDPOINT", "https://example.invalid/bilby/graphql")
    for argv in ((), ("jobs", "search"), ("submit",), ("event-id", "update")):
        assert main([*argv, "--help"]) == 0
        out, err = capsys.readouterr()
        assert "usage: gwcloud" in out and "$GWCLOUD_TOKEN" in out
        assert SENTINEL not in out + err and "example.invalid" not in out + err
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("gwcloud ")


class FakeGWCloud:
    """Records how the CLI builds its client; ``action`` decides what happens next."""

    calls: list[tuple[str, dict[str, Any]]] = []
    action: Callable[[], None] = staticmethod(lambda: None)

    def __init__(self, token: str = "", **options: Any) -> None:
        type(self).calls.append((token, options))
        type(self).action()

    def __enter__(self) -> FakeGWCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def get_all_event_ids(self) -> list[Any]:
        return []


class FakeGWCloud2026(FakeGWCloud):
    def __init__(self, token: str = "", *, service: str | None = None, **options: Any) -> None:
        super().__init__(token, service=service, **options)


def test_connect_options_and_service(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    FakeGWCloud.calls = []
    monkeypatch.setattr(gwcloud_python.gwcloud, "GWCloud", FakeGWCloud)
    monkeypatch.setenv("GWCLOUD_TOKEN", SENTINEL)
    monkeypatch.setenv("GWCLOUD_AUTH_ENDPOINT", "https://auth.example/graphql")
    assert main(["event-id", "list"]) == 0
    assert (
        main(["--no-progress", "--endpoint", "https://b.example/graphql", "event-id", "list"]) == 0
    )
    assert FakeGWCloud.calls == [
        (SENTINEL, {"progress": None, "auth_endpoint": "https://auth.example/graphql"}),
        (
            SENTINEL,
            {
                "progress": False,
                "endpoint": "https://b.example/graphql",
                "auth_endpoint": "https://auth.example/graphql",
            },
        ),
    ]
    # --service is passed only when given, and only to a library that accepts it
    result = Result(main(["--service", "2026", "event-id", "list"]), *capsys.readouterr())
    assert "--service" in result.assert_error(2) and len(FakeGWCloud.calls) == 2
    monkeypatch.setattr(gwcloud_python.gwcloud, "GWCloud", FakeGWCloud2026)
    assert main(["event-id", "list", "--service", "2026"]) == 0
    assert FakeGWCloud.calls[-1][1]["service"] == "2026"


def test_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(FakeGWCloud, "action", staticmethod(interrupt))
    monkeypatch.setattr(gwcloud_python.gwcloud, "GWCloud", FakeGWCloud)
    result = Result(main(["event-id", "list"]), *capsys.readouterr())
    assert result.assert_error(130) == "interrupted"


def test_console_entry_reads_environment(
    server: LocalServer, demo: dict[str, Any], tmp_path: Path
) -> None:
    env = dict(os.environ)
    env.update(
        GWCLOUD_TOKEN=demo["users"]["demo"],
        GWCLOUD_ENDPOINT=server.endpoint,
        GWCLOUD_AUTH_ENDPOINT=server.auth_endpoint,
    )
    command = [sys.executable, "-m", "gwcloud_python.cli", "jobs", "mine", "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "demo-private" in {job["name"] for job in json.loads(done.stdout)}
    assert demo["users"]["demo"] not in done.stdout + done.stderr

    env["GWCLOUD_TOKEN"] = SENTINEL
    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 4  # authentication failure
    assert failed.stderr.startswith("gwcloud: error: ") and failed.stderr.count("\n") == 1
    assert SENTINEL not in failed.stdout + failed.stderr and "Traceback" not in failed.stderr

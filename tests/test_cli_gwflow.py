"""``gwcloud gwflow list|show|pending|download|mirror|link`` against a 2026 local server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gwcloud_python.cli import main
from gwcloud_python.pytest_plugin import start_server
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

JOB_KEYS = {
    "id",
    "sname",
    "schema_version",
    "libraries",
    "is_pruned",
    "current_history_id",
    "current_history_timestamp",
    "last_updated",
    "creation_time",
    "event_id",
    "files",
    "bilby_jobs",
}
FILE_KEYS = {"id", "analysis_uid", "path", "file_name", "file_size", "uploaded", "download_token"}
PENDING_KEYS = {"id", "sname", "analysis_uid", "path", "file_name", "md5_sum"}
#: Server text that must never reach a terminal raw: ESC (a colour), BEL, a bidi override.
HOSTILE = "\x1b[31mred\x07\u202e"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def error(self, code: int) -> str:
        """Check the exit status and the one ``gwcloud: error:`` line; return its message."""
        assert self.code == code, (self.code, self.out, self.err)
        lines = self.err.strip().splitlines()
        assert lines[-1].startswith("gwcloud: error: "), self.err
        assert "Traceback" not in self.err
        return lines[-1].removeprefix("gwcloud: error: ")


@dataclass
class Setup:
    server: LocalServer
    tokens: dict[str, str]
    run: Callable[..., Result]


@pytest.fixture(scope="module")
def gwflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    srv = start_server("2026", data_dir=tmp_path_factory.mktemp("cli-gwflow"), job_duration=0.3)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def gwflow(gwflow_server: LocalServer, capsys: pytest.CaptureFixture[str]) -> Setup:
    """An emptied server with an ingest user, a LIGO member and a plain user."""
    gwflow_server.reset()
    tokens = {
        "ingest": gwflow_server.add_user("ingest", ligo=True, gwflow_ingest=True),
        "ligo": gwflow_server.add_user("ligo-member", ligo=True),
        "user": gwflow_server.add_user("plain-user"),
    }

    def run(*argv: str, user: str | None = None) -> Result:
        options = ["--endpoint", gwflow_server.endpoint, "--service", "2026", "--no-progress"]
        if user is not None:
            options += ["--token", tokens[user]]
        capsys.readouterr()
        code = main([*options, "gwflow", *argv])
        out, err = capsys.readouterr()
        for token in tokens.values():
            assert token not in out and token not in err
        return Result(code, out, err)

    return Setup(gwflow_server, tokens, run)


def uploaded(path: str, data: bytes, uid: str = "pe") -> dict[str, Any]:
    return {"analysis_uid": uid, "path": path, "file_name": path.rsplit("/", 1)[-1], "data": data}


def pending(path: str, data: bytes, uid: str = "pe") -> dict[str, Any]:
    return {
        "analysis_uid": uid,
        "path": path,
        "file_name": path.rsplit("/", 1)[-1],
        "data": None,
        "md5_sum": md5(data),
    }


# -- list and show ----------------------------------------------------------------------


def test_list_json_table_limit_and_empty(gwflow: Setup) -> None:
    empty = gwflow.run("list", "--json")
    assert (empty.code, empty.json()) == (0, [])
    none = gwflow.run("list")
    assert (none.code, none.out, none.err.strip()) == (0, "", "no GWFlow jobs found")

    gwflow.server.create_gwflow_job("S230101a", ligo_only=False, libraries=["cbc-workflow-o4a"])
    gwflow.server.create_gwflow_job("S230102b", ligo_only=False, libraries=[HOSTILE])
    gwflow.server.create_gwflow_job("S230103c", ligo_only=False, is_pruned=True)
    gwflow.server.create_gwflow_job("S230104d")  # LIGO-only

    listed = gwflow.run("list", "--json")
    assert listed.code == 0
    jobs = listed.json()
    assert [j["sname"] for j in jobs] == ["S230102b", "S230101a"]
    assert all(set(j) == JOB_KEYS for j in jobs)
    assert jobs[1]["libraries"] == ["cbc-workflow-o4a"]
    assert jobs[0]["libraries"] == [HOSTILE]  # JSON keeps the text, escaped
    assert "\x1b" not in listed.out and "\\u001b" in listed.out
    assert jobs[0]["files"] == [] and jobs[0]["creation_time"] is None
    assert isinstance(jobs[0]["last_updated"], str) and "T" in jobs[0]["last_updated"]

    ligo = gwflow.run("list", "--json", "--include-pruned", user="ligo").json()
    assert {j["sname"] for j in ligo} == {"S230101a", "S230102b", "S230103c", "S230104d"}
    assert [j["sname"] for j in gwflow.run("list", "--json", "sname:S230101*").json()] == [
        "S230101a"
    ]

    table = gwflow.run("list")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["SNAME", "LIBRARIES", "STATE", "UPDATED", "ID"]
    assert [line.split()[0] for line in lines[1:]] == ["S230102b", "S230101a"]
    assert "\x1b" not in table.out and "\x07" not in table.out and "\u202e" not in table.out
    assert "\\x1b[31mred\\x07\\u202e" in table.out

    cut = gwflow.run("list", "--json", "--limit", "1")
    assert len(cut.json()) == 1
    assert cut.err.strip() == "showing 1 of 2 GWFlow jobs; raise --limit to see more"
    assert gwflow.run("list", "--limit", "0").code == 2
    assert gwflow.run("list", "--time-range", "2w").code == 2


def test_show_json_table_and_a_missing_sname(gwflow: Setup) -> None:
    gwflow.server.create_gwflow_job(
        "S230201a",
        [
            uploaded("CIT:/home/pe/result.json", b"{}" * 600),
            pending(f"odd{HOSTILE}.h5", b"later"),
        ],
        ligo_only=False,
        libraries=["lib"],
    )
    bilby = gwflow.server.create_bilby_job("linked-pe")
    assert gwflow.run("link", bilby, "S230201a", "pe", user="ingest").code == 0

    shown = gwflow.run("show", "S230201a", "--json")
    assert shown.code == 0
    job = shown.json()
    assert set(job) == JOB_KEYS
    assert job["sname"] == "S230201a" and job["libraries"] == ["lib"]
    assert job["creation_time"] is not None
    assert all(set(f) == FILE_KEYS for f in job["files"])
    by_path = {f["path"]: f for f in job["files"]}
    assert by_path["CIT:/home/pe/result.json"]["file_size"] == 1200
    assert by_path["CIT:/home/pe/result.json"]["uploaded"] is True
    assert by_path[f"odd{HOSTILE}.h5"]["uploaded"] is False
    assert job["bilby_jobs"] == [{"id": bilby, "name": "linked-pe", "gwflow_analysis_uid": "pe"}]
    assert "\x1b" not in shown.out

    table = gwflow.run("show", "S230201a")
    assert table.code == 0
    assert "Sname:" in table.out and "S230201a" in table.out
    assert "1.2 KiB" in table.out and "pending" in table.out
    assert "linked-pe" in table.out
    assert "\x1b" not in table.out and "\x07" not in table.out and "\u202e" not in table.out
    assert "odd\\x1b[31mred\\x07\\u202e.h5" in table.out

    for args in (("show", "S999999zz"), ("show", "S999999zz", "--json")):
        missing = gwflow.run(*args)
        assert "S999999zz" in missing.error(3)
        assert missing.out == ""
    # LIGO-only jobs are not found for anonymous callers, and found with a LIGO token
    gwflow.server.create_gwflow_job("S230202b")
    gwflow.run("show", "S230202b").error(3)
    assert gwflow.run("show", "S230202b", "--json", user="ligo").json()["sname"] == "S230202b"


# -- the ingest commands ------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [("pending",), ("mirror", "."), ("link", "job", "S230101a", "pe"), ("link", "j", "--unlink")],
)
def test_ingest_commands_need_a_token(gwflow: Setup, argv: tuple[str, ...]) -> None:
    gwflow.server.reset_requests()
    result = gwflow.run(*argv)
    assert "needs an API token" in result.error(4)
    assert gwflow.server.requests() == []


@pytest.mark.parametrize("argv", [("pending",), ("mirror", "ROOT"), ("link", "JOB", "S1", "pe")])
def test_ingest_commands_refuse_a_non_ingest_token(
    gwflow: Setup, argv: tuple[str, ...], tmp_path: Path
) -> None:
    gwflow.server.create_gwflow_job("S1", [pending("a.txt", b"a")], ligo_only=False)
    job = gwflow.server.create_bilby_job("some-job")
    args = [{"ROOT": str(tmp_path), "JOB": job}.get(a, a) for a in argv]
    assert gwflow.run(*args, user="user").error(4).endswith("Permission Denied")


def test_pending_json_and_table(gwflow: Setup) -> None:
    assert gwflow.run("pending", "--json", user="ingest").json() == []
    assert gwflow.run("pending", user="ingest").err.strip() == "no pending GWFlow files"
    gwflow.server.create_gwflow_job(
        "S230301a",
        [
            pending("b.h5", b"b"),
            pending(f"x{HOSTILE}.h5", b"x", uid="pe2"),
            uploaded("done.txt", b"d"),
        ],
    )
    records = gwflow.run("pending", "--json", user="ingest").json()
    assert all(set(r) == PENDING_KEYS for r in records)
    assert [(r["analysis_uid"], r["path"], r["md5_sum"]) for r in records] == [
        ("pe", "b.h5", md5(b"b")),
        ("pe2", f"x{HOSTILE}.h5", md5(b"x")),
    ]
    table = gwflow.run("pending", user="ingest")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["SNAME", "ANALYSIS", "PATH", "MD5"]
    assert len(lines) == 3 and md5(b"b") in lines[1]
    assert "\x1b" not in table.out and "x\\x1b[31mred\\x07\\u202e.h5" in table.out


def test_mirror_json_summary_and_then_download(gwflow: Setup, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "S230401a/pe").mkdir(parents=True)
    (tree / "S230401a/pe/good.txt").write_bytes(b"good")
    (tree / "S230401a/pe/bad.txt").write_bytes(b"not what was registered")
    gwflow.server.create_gwflow_job(
        "S230401a",
        [pending("good.txt", b"good"), pending("bad.txt", b"bad"), pending("gone.txt", b"g")],
        ligo_only=False,
    )
    result = gwflow.run("mirror", str(tree), "--json", user="ingest")
    assert result.code == 0, result.err
    summary = result.json()
    assert set(summary) == {"uploaded", "skipped", "failed"}
    assert [(u["path"], u["size"]) for u in summary["uploaded"]] == [
        (str(tree / "S230401a/pe/good.txt"), 4)
    ]
    assert set(summary["uploaded"][0]) == {"id", "path", "size"}
    assert sorted(s["path"] for s in summary["skipped"]) == ["bad.txt", "gone.txt"]
    assert all(set(s) == {"id", "path", "reason"} for s in summary["skipped"])
    assert summary["failed"] == []
    assert [r["path"] for r in gwflow.run("pending", "--json", user="ingest").json()] == [
        "bad.txt",
        "gone.txt",
    ]

    text = gwflow.run("mirror", str(tree), user="ingest")
    assert text.code == 0 and text.out == ""
    assert "uploaded 0 file(s); skipped 2; failed 0" in text.err
    assert "skipped S230401a/bad.txt: local md5" in text.err

    dest = tmp_path / "dest"
    saved = gwflow.run("download", "S230401a", str(dest))
    assert saved.code == 0, saved.err
    assert saved.out.splitlines() == [str((dest / "S230401a/pe/good.txt").resolve())]
    assert (dest / "S230401a/pe/good.txt").read_bytes() == b"good"
    assert f"saved 1 file(s) of S230401a under {dest}" in saved.err
    assert gwflow.run("mirror", str(tmp_path / "no-such-dir"), user="ingest").code == 1


def test_mirror_exits_1_when_an_upload_fails(gwflow: Setup, tmp_path: Path) -> None:
    (tmp_path / "S230501a").mkdir()
    (tmp_path / "S230501a/a.txt").write_bytes(b"a")
    gwflow.server.create_gwflow_job("S230501a", [pending("a.txt", b"a", uid="")])
    # every upload is answered 500 before it reaches the resolver
    with gwflow.server.faults("5xx", times=0, match="UploadGwflowFile", status=500):
        result = gwflow.run("mirror", str(tmp_path), "--json", user="ingest")
    assert result.error(1) == "1 upload(s) failed"
    summary = result.json()  # the summary is still printed for scripts
    assert summary["uploaded"] == [] and summary["skipped"] == []
    (failed,) = summary["failed"]
    assert failed["path"] == "a.txt" and failed["reason"].startswith("upload failed")
    assert "500" in failed["reason"]
    assert len(gwflow.run("pending", "--json", user="ingest").json()) == 1


def test_download_skips_existing_files_and_reports_errors(gwflow: Setup, tmp_path: Path) -> None:
    gwflow.server.create_gwflow_job(
        "S230601a", [uploaded("a.txt", b"server"), uploaded("b.txt", b"bbb", uid="")]
    )
    dest = tmp_path / "dest"
    anonymous = gwflow.run("download", "S230601a", str(dest))
    assert "S230601a" in anonymous.error(3)  # LIGO-only: not found without a LIGO token
    assert not dest.exists()

    assert gwflow.run("download", "S230601a", str(dest), user="ligo").code == 0
    (dest / "S230601a/pe/a.txt").write_bytes(b"kept!!")  # the listed size: kept by default
    gwflow.server.reset_requests()
    assert gwflow.run("download", "S230601a", str(dest), user="ligo").code == 0
    assert (dest / "S230601a/pe/a.txt").read_bytes() == b"kept!!"
    assert not [r for r in gwflow.server.requests() if r["path"].startswith("/file_download")]
    again = gwflow.run("download", "S230601a", str(dest), "--no-skip-existing", user="ligo")
    assert again.code == 0
    assert (dest / "S230601a/pe/a.txt").read_bytes() == b"server"

    only = gwflow.run("download", "S230601a", str(tmp_path / "only"), "--analysis", "", user="ligo")
    assert only.out.splitlines() == [str((tmp_path / "only/S230601a/b.txt").resolve())]

    gwflow.server.create_gwflow_job(
        "S230603c", [uploaded(f"n{HOSTILE}.txt", b"n")], ligo_only=False
    )
    odd = gwflow.run("download", "S230603c", str(tmp_path / "odd"))
    assert odd.code == 0, odd.err
    assert (tmp_path / f"odd/S230603c/pe/n{HOSTILE}.txt").read_bytes() == b"n"
    assert "\x1b" not in odd.out + odd.err and "\u202e" not in odd.out + odd.err
    assert odd.out.strip().endswith("n\\x1b[31mred\\x07\\u202e.txt")

    gwflow.server.create_gwflow_job(
        "S230602b", [uploaded("../../escape.txt", b"evil")], ligo_only=False
    )
    hostile = gwflow.run("download", "S230602b", str(tmp_path / "h"))
    assert "'..'" in hostile.error(1)
    assert not (tmp_path / "escape.txt").exists()


def test_link_unlink_json_and_errors(gwflow: Setup) -> None:
    gwflow.server.create_gwflow_job("S230701a", ligo_only=False)
    job = gwflow.server.create_bilby_job("pe-job")
    linked = gwflow.run("link", job, "S230701a", "pe-online", "--json", user="ingest")
    assert linked.code == 0
    assert linked.json() == {"job_id": job, "sname": "S230701a"}
    assert linked.err.strip() == f"linked {job} to S230701a analysis 'pe-online'"
    show = gwflow.run("show", "S230701a", "--json").json()
    assert [b["gwflow_analysis_uid"] for b in show["bilby_jobs"]] == ["pe-online"]

    unlinked = gwflow.run("link", job, "--unlink", "--json", user="ingest")
    assert unlinked.code == 0 and unlinked.json() == {"job_id": job, "sname": ""}
    assert gwflow.run("show", "S230701a", "--json").json()["bilby_jobs"] == []

    assert "link needs ID SNAME ANALYSIS_UID" in gwflow.run("link", job, user="ingest").error(2)
    unknown = gwflow.run("link", job, "S000000x", "pe", user="ingest")
    assert "GWFlowJob with sname 'S000000x' does not exist" in unknown.error(1)


def test_gwflow_on_the_2023_service_is_one_clear_error(
    gwflow: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = gwflow.server.endpoint
    gwflow.server.reset_requests()
    capsys.readouterr()
    options = ["--endpoint", endpoint, "--auth-endpoint", endpoint, "--service", "2023"]
    code = main([*options, "gwflow", "list"])
    _, err = capsys.readouterr()
    result = Result(code, "", err)
    assert "gwflow_job_list needs the 2026 GWCloud service" in result.error(1)
    assert gwflow.server.requests() == []


def test_library_warnings_reach_stderr_escaped_and_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    from gwcloud_python.cli import _remove_logging, _setup_logging

    handler = _setup_logging(None)
    try:
        logging.getLogger("gwcloud_python").warning("3 file(s) of S1\x1b[2J are not mirrored")
    finally:
        _remove_logging(handler)
    err = capsys.readouterr().err
    assert err == "gwcloud: warning: 3 file(s) of S1\\x1b[2J are not mirrored\n"
    logging.getLogger("gwcloud_python").warning("after")
    assert "gwcloud: warning" not in capsys.readouterr().err

"""docs/gwflow.rst's examples are tests: examples/gwflow_walkthrough.py against a 2026 server.

The page includes its code from the script (``literalinclude`` between markers); this
test runs the script as a user would (a subprocess, the endpoint and an ingest token
on its command line) and checks what it changed on the server and on disk, and that
every marker the page names is in the script.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gwcloud_python import GWCloud
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "gwflow_walkthrough.py"
PAGE = ROOT / "docs" / "gwflow.rst"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("gwflow-docs"), schema="2026") as running:
        yield running


def run_walkthrough(server: LocalServer, token: str, work: Path, *extra: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), server.endpoint, token, str(work), *extra],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert token not in result.stdout + result.stderr
    return result.stdout


def test_walkthrough_does_what_the_page_says(server: LocalServer, tmp_path: Path) -> None:
    token = server.add_user("ingest", ligo=True, gwflow_ingest=True)
    bilby_job = server.create_bilby_job("bilby-run", {"result/x.json": b"{}"}, owner="ingest")
    work = tmp_path / "work"
    out = run_walkthrough(server, token, work, bilby_job)
    report = json.loads((work / "report.json").read_text())

    # register: a new job, all three files waiting for their bytes
    assert report["created"] is True
    assert report["first_pending"] == ["plots/corner.png", "result.json", "superevent.json"]
    # mirror: all three uploaded; then only the changed file was pending, and got mirrored
    assert report["first_mirror"] == [3, 0, 0]
    assert report["changed_pending"] == ["result.json"]
    assert report["pending_after"] == 0
    assert "1 uploaded, 0 skipped, 0 failed" in out
    # find: the search and the job's text
    assert report["listed"] == ["S230101a"]
    assert "search analyses.software:bilby: ['S230101a']" in out
    assert "GWFlowJob S230101a" in out and "3 files" in out
    # download: the layout save_gwflow_files writes, with the bytes the ingest had
    assert report["saved"] == [
        "downloads/S230101a/bilby-1/plots/corner.png",
        "downloads/S230101a/bilby-1/result.json",
        "downloads/S230101a/superevent.json",
    ]
    local = work / "ingest" / "S230101a"
    for rel in ("superevent.json", "bilby-1/result.json", "bilby-1/plots/corner.png"):
        assert (work / "downloads" / "S230101a" / rel).read_bytes() == (local / rel).read_bytes()
    assert (work / "corner.png").read_bytes() == (local / "bilby-1/plots/corner.png").read_bytes()
    # permissions: anonymous callers see no LIGO-only job and may not ingest
    assert report["anonymous_jobs"] == 0
    assert "refused: AuthenticationError" in out

    # the server's own view, through a fresh client of the ingest user
    with GWCloud(token, endpoint=server.endpoint, service="2026", progress=False) as gw:
        job = gw.get_gwflow_job("S230101a")
        assert job is not None
        assert job.libraries == ["cbc-o4"] and job.current_history_id == "3f2a9c1"
        assert all(f.uploaded for f in job.files) and len(job.files) == 3
        assert [(b.id, b.gwflow_analysis_uid) for b in job.bilby_jobs] == [(bilby_job, "bilby-1")]
        assert gw.get_gwflow_pending_files() == []
        assert job.id == report["job_id"]

    # run again: the job exists; the script writes result.json's first version again,
    # so only that file (its md5 changed back) is pending and uploaded
    run_walkthrough(server, token, work)
    report = json.loads((work / "report.json").read_text())
    assert report["created"] is False and report["first_pending"] == ["result.json"]
    assert report["first_mirror"] == [1, 0, 0] and report["pending_after"] == 0


def test_every_marker_the_page_includes_is_in_the_script() -> None:
    page = PAGE.read_text(encoding="utf-8")
    script = SCRIPT.read_text(encoding="utf-8")
    markers = set(re.findall(r":(?:start-after|end-before): (# \[/?[a-z]+\])", page))
    assert len(markers) >= 10
    for marker in markers:
        assert script.count(marker + "\n") == 1, marker
    assert "examples/gwflow_walkthrough.py" in page

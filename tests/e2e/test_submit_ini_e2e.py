"""Submitting bilby_pipe ini files to the local server: completely, or not at all.

The ini below spreads ``psd-dict`` and ``spline-calibration-envelope-dict``
over several lines, as bilby_pipe allows; a line-by-line reader missed their
files, so the job was created and its uploads then failed.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gwcloud_python import GraphQLError, GWCloud, ValidationError
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

INI = """\
# a bilby_pipe ini with multi-line dicts
label = multiline
trigger-time = 1126259462.4
detectors = [H1, L1]
prior_file: GW150914.prior

psd-dict = {
    H1: psds/h1_psd.txt,
    L1: psds/l1_psd.txt,
}
spline-calibration-envelope-dict = {
    H1: calibration/h1.txt
    L1: calibration/l1.txt
}
"""
FILES = {
    "GW150914.prior": b"chirp_mass = Uniform(name='chirp_mass', minimum=25, maximum=35)\n",
    "psds/h1_psd.txt": b"10.0 1e-46\n20.0 2e-46\n",
    "psds/l1_psd.txt": b"10.0 3e-46\n20.0 4e-46\n",
    "calibration/h1.txt": b"# H1 calibration envelope\n" + bytes(range(256)) * 64,
    "calibration/l1.txt": b"# L1 calibration envelope\n",
}


def _write_run(root: Path, skip: str | None = None) -> Path:
    for name, content in FILES.items():
        if name == skip:
            continue
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    ini = root / "run.ini"
    ini.write_text(INI)
    return ini


def _supporting(server: LocalServer, job_pk: int) -> list[tuple[str, str, int]]:
    db = sqlite3.connect(f"file:{server.data_dir / 'gwcloud.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT path, token, uploaded FROM supporting_files WHERE job_id = ? ORDER BY id",
            (job_pk,),
        )
        return [(str(path), str(token), int(done)) for path, token, done in rows]
    finally:
        db.close()


def _mutations(server: LocalServer) -> list[str]:
    return [
        str(r.get("operation"))
        for r in server.requests()
        if r.get("operation") in ("NewBilbyJobFromIniString", "UploadSupportingFiles")
    ]


def test_multiline_ini_submits_completely(
    server: LocalServer, connect: Callable[..., GWCloud], tmp_path: Path
) -> None:
    ini = _write_run(tmp_path)
    gw = connect("demo")
    job = gw.start_bilby_job_from_file("multiline-e2e", "multi-line dicts", True, ini)
    rows = _supporting(server, _pk(job.id))
    assert [path for path, _, _ in rows] == [
        "GW150914.prior",
        "psds/h1_psd.txt",
        "psds/l1_psd.txt",
        "calibration/h1.txt",
        "calibration/l1.txt",
    ]
    assert all(done == 1 for _, _, done in rows)
    for path, token, _ in rows:
        assert (server.data_dir / "supporting" / token).read_bytes() == FILES[path]


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


@pytest.mark.parametrize("missing", ["psds/l1_psd.txt", "calibration/l1.txt"])
def test_missing_file_sends_no_mutation(
    server: LocalServer, connect: Callable[..., GWCloud], tmp_path: Path, missing: str
) -> None:
    ini = _write_run(tmp_path, skip=missing)
    gw = connect("demo")
    gw.get_official_job_list()  # any token exchange happens before the log is cleared
    server.reset_requests()
    with pytest.raises(ValidationError) as info:
        gw.start_bilby_job_from_file("missing-e2e", "one file missing", True, ini)
    assert repr(missing) in str(info.value) and "nothing was sent" in str(info.value)
    seen: list[dict[str, Any]] = server.requests()
    assert _mutations(server) == [], seen
    # The same submission with the file in place is seen in the log: the check above can fail.
    (tmp_path / missing).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / missing).write_bytes(FILES[missing])
    gw.start_bilby_job_from_file("missing-e2e", "file back", True, ini)
    assert _mutations(server) == ["NewBilbyJobFromIniString", "UploadSupportingFiles"]


def test_server_reads_the_ini_with_the_client_reader(
    server: LocalServer, connect: Callable[..., GWCloud]
) -> None:
    gw = connect("demo")
    created = gw._bilby.new_bilby_job_from_ini_string(
        name="server-reader", private=True, ini_string=INI, description="d", cluster=None
    ).new_bilby_job_from_ini_string
    assert created is not None and created.result is not None
    listed = [f.file_path for f in created.result.supporting_files or [] if f is not None]
    assert listed == list(FILES)  # the service's order: prior, psd-dict, calibration
    with pytest.raises(GraphQLError, match="'label' is set again"):
        gw._bilby.new_bilby_job_from_ini_string(
            name="server-reader-dup",
            private=True,
            ini_string="label = a\nlabel = b\n",
            description="d",
            cluster=None,
        )
    with pytest.raises(GraphQLError, match="psd-dict must be a"):
        gw._bilby.new_bilby_job_from_ini_string(
            name="server-reader-bad",
            private=True,
            ini_string="psd-dict = {H1: {a: b}}\n",
            description="d",
            cluster=None,
        )

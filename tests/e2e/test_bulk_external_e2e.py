"""Bulk saves over the demo's official jobs, one of which keeps its results elsewhere."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests_e2e_support import endpoints

from gwcloud_python import (
    AsyncGWCloud,
    ExternalFileDownloadException,
    FileReferenceList,
    GWCloud,
    SavedFiles,
)
from gwcloud_python.server import LocalServer


def _external(jobs: list[Any]) -> list[Any]:
    found = []
    for job in jobs:
        job.get_full_file_list()
        if job.is_external():
            found.append(job)
    return found


def test_readme_bulk_example_saves_every_official_job_but_the_external_one(
    connect: Callable[..., GWCloud], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gw = connect()
    jobs = gw.get_official_job_list("")
    [outside] = _external(list(jobs))
    with caplog.at_level(logging.WARNING, logger="gwcloud_python"):
        saved = gw.save_job_files(jobs, tmp_path / "results", skip_existing=True)
    assert isinstance(saved, SavedFiles) and saved
    assert all(path.is_file() for path in saved)
    [skipped] = saved.external
    assert (skipped.job_id, skipped.name) == (outside.job_id, outside.name)
    assert skipped.url.startswith("http")
    assert not (tmp_path / "results" / outside.name).exists()
    [line] = [r.getMessage() for r in caplog.records if "outside GWCloud" in r.getMessage()]
    assert outside.name in line and skipped.url in line
    # Running it again skips everything already there and reports the same job.
    again = gw.save_job_files(jobs, tmp_path / "results", skip_existing=True)
    assert sorted(again) == sorted(saved) and again.external == saved.external


def test_references_from_several_jobs_skip_the_external_one(
    connect: Callable[..., GWCloud], tmp_path: Path
) -> None:
    gw = connect()
    jobs = list(gw.get_official_job_list(""))
    [outside] = _external(jobs)
    inside = next(job for job in jobs if job is not outside)
    refs = FileReferenceList([*outside.get_full_file_list(), *inside.get_config_file_list()])
    saved = gw.save_files_by_reference(refs, tmp_path)
    assert [s.name for s in saved.external] == [outside.name]
    assert len(saved) == len(inside.get_config_file_list()) and all(p.is_file() for p in saved)


def test_one_external_job_alone_still_raises_as_in_1x(
    connect: Callable[..., GWCloud], tmp_path: Path
) -> None:
    gw = connect()
    [outside] = _external(list(gw.get_official_job_list("")))
    with pytest.raises(ExternalFileDownloadException):
        outside.save_default_files(tmp_path)
    with pytest.raises(ExternalFileDownloadException):
        gw.save_files_by_reference(outside.get_full_file_list(), tmp_path)


def test_async_bulk_save_reports_the_external_job(server: LocalServer, tmp_path: Path) -> None:
    async def main() -> SavedFiles:
        async with AsyncGWCloud(progress=False, **endpoints(server)) as gw:
            jobs = await gw.get_official_job_list("")
            return await gw.save_job_files(jobs, tmp_path)

    saved = asyncio.run(main())
    assert len(saved.external) == 1 and saved and all(p.is_file() for p in saved)


def _cli_options(server: LocalServer) -> list[str]:
    return [f"--{key.replace('_', '-')}={value}" for key, value in endpoints(server).items()]


def test_cli_downloads_every_official_job_and_names_the_external_one(
    server: LocalServer, connect: Callable[..., GWCloud], tmp_path: Path, capsys: Any
) -> None:
    from gwcloud_python.cli import main

    jobs = list(connect().get_official_job_list(""))
    [outside] = _external(jobs)
    ids = [job.id for job in jobs]
    dest = tmp_path / "results"
    argv = [*_cli_options(server), "--no-progress", "files", "download", *ids, str(dest)]
    capsys.readouterr()
    assert main([*argv, "--filter", "default", "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    [skipped] = report["external"]
    assert (skipped["job_id"], skipped["name"]) == (outside.job_id, outside.name)
    assert skipped["url"].startswith("http")
    [warning] = [line for line in err.splitlines() if "outside GWCloud" in line]
    assert warning.startswith("gwcloud: warning: ") and skipped["url"] in warning
    saved = [Path(p) for p in report["saved"]]
    assert saved and all(p.is_file() for p in saved)
    folders = {p.relative_to(dest).parts[0] for p in saved}
    assert folders == {job.name for job in jobs if job is not outside}
    # the same job alone keeps the 1.x failure: one error line, exit status 1
    assert main([*_cli_options(server), "files", "download", outside.id, str(tmp_path / "x")]) == 1
    assert "outside GWCloud" in capsys.readouterr().err

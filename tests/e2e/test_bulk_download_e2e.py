"""Many jobs' files in one pipeline, sync and async, against the local server (both schemas).

``GWCloud.save_job_files`` / ``AsyncGWCloud.save_job_files`` list the jobs' files,
then save them all in one pipeline with one progress bar; files of several jobs
given to ``save_files_by_reference`` form one pipeline too.  ``skip_existing``
makes a re-run send no download request at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests_e2e_support import endpoints

from gwcloud_python import AsyncGWCloud, FileReferenceList, GWCloud, ValidationError
from gwcloud_python.server import LocalServer

JOBS = ["GW150914", "GW170817", "GW151226", "GW150914-uploaded"]


def _file_gets(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in log if r["method"] == "GET" and "graphql" not in r["path"]]


def _id_requests(log: list[dict[str, Any]]) -> int:
    return sum(1 for r in log if r["operation"] == "GenerateFileDownloadIds")


class Progress:
    """Records ``progress_callback`` calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))


def _check_one_bar(progress: Progress, total: int) -> None:
    """One progress sequence for the whole set: one start, one total, ending at it."""
    assert progress.calls[0] == (0, total)
    assert {t for _, t in progress.calls} == {total}
    assert sum(1 for done, _ in progress.calls if done == 0) == 1
    assert progress.calls[-1] == (total, total)


def test_save_job_files_is_one_pipeline_in_a_folder_per_job(
    server: LocalServer,
    demo: dict[str, Any],
    connect: Callable[..., GWCloud],
    tmp_path: Path,
) -> None:
    progress = Progress()
    gw = connect("demo", progress_callback=progress)
    jobs = [gw.get_job_by_id(demo["jobs"][name]) for name in JOBS]
    server.reset_requests()
    paths = gw.save_job_files(jobs, tmp_path)
    log = server.requests()
    expected: dict[Path, bytes] = {}
    for job in jobs:
        for ref in job.get_default_file_list():
            relative = ref.path.as_posix()
            expected[(tmp_path / job.name / relative).resolve()] = server.file_bytes(
                job.job_id, relative
            )
    assert sorted(paths) == sorted(expected)
    assert {p: p.read_bytes() for p in paths} == expected
    assert _id_requests(log) == len(JOBS)
    assert len(_file_gets(log)) == len(expected)
    _check_one_bar(progress, sum(len(data) for data in expected.values()))
    # A second run with skip_existing lists the files again and fetches nothing.
    server.reset_requests()
    assert gw.save_job_files(jobs, tmp_path, skip_existing=True) == paths
    log = server.requests()
    assert _file_gets(log) == [] and _id_requests(log) == 0


def test_save_job_files_names_folders_and_filters(
    server: LocalServer, demo: dict[str, Any], connect: Callable[..., GWCloud], tmp_path: Path
) -> None:
    gw = connect("demo")
    job = gw.get_job_by_id(demo["jobs"]["GW150914"])
    twin = gw.get_job_by_id(demo["jobs"]["GW150914"])
    with pytest.raises(ValidationError, match="more than once"):
        gw.save_job_files([job, twin], tmp_path)
    with pytest.raises(ValidationError, match="file_filter"):
        gw.save_job_files([job], tmp_path, "no-such-filter")
    other = gw.get_job_by_id(demo["jobs"]["GW170817"])
    other.name = job.name  # two jobs of one name get name and name-2
    paths = gw.save_job_files([job, other], tmp_path, "config")
    assert {p.relative_to(tmp_path.resolve()).parts[0] for p in paths} == {
        job.name,
        f"{job.name}-2",
    }
    assert all(p.name.endswith("_config_complete.ini") for p in paths)
    assert not list(tmp_path.rglob("*gwcloud-part*"))


def test_references_of_several_jobs_are_one_pipeline(
    server: LocalServer, demo: dict[str, Any], connect: Callable[..., GWCloud], tmp_path: Path
) -> None:
    progress = Progress()
    gw = connect("demo", progress_callback=progress)
    refs = FileReferenceList()
    for name in ("GW150914", "GW151226"):
        refs.extend(gw.get_job_by_id(demo["jobs"][name]).get_config_file_list())
    paths = gw.save_files_by_reference(refs, tmp_path)
    assert len(paths) == len(refs) == 2
    _check_one_bar(progress, sum(ref.file_size or 0 for ref in refs))
    contents = gw.get_files_by_reference(refs)
    assert [data for _, data in contents] == [p.read_bytes() for p in paths]


def test_job_save_methods_skip_existing(
    server: LocalServer, demo: dict[str, Any], connect: Callable[..., GWCloud], tmp_path: Path
) -> None:
    gw = connect("demo")
    job = gw.get_job_by_id(demo["jobs"]["GW150914"])
    first = job.save_default_files(tmp_path)
    server.reset_requests()
    assert job.save_default_files(tmp_path, skip_existing=True) == first
    log = server.requests()
    assert _file_gets(log) == [] and _id_requests(log) == 0
    with pytest.raises(ValidationError, match="skip_existing"):
        job.save_default_files(tmp_path, skip_existing="yes")  # type: ignore[arg-type]


def test_async_save_job_files(server: LocalServer, demo: dict[str, Any], tmp_path: Path) -> None:
    progress = Progress()

    async def main() -> tuple[list[Path], list[Path]]:
        async with AsyncGWCloud(
            demo["users"]["demo"],
            progress=False,
            progress_callback=progress,
            **endpoints(server),
        ) as gw:
            jobs = [await gw.get_job_by_id(demo["jobs"][name]) for name in JOBS]
            saved = await gw.save_job_files(jobs, tmp_path)
            server.reset_requests()
            again = await gw.save_job_files(jobs, tmp_path, skip_existing=True)
            job = jobs[0]
            await job.save_default_files(tmp_path / "one", skip_existing=True)
            return saved, again

    saved, again = asyncio.run(main())
    assert saved == again and saved
    log = server.requests()
    gets = _file_gets(log)
    assert _id_requests(log) == 1 and 0 < len(gets) < len(saved)  # only the new folder
    root = tmp_path.resolve()
    expected = {
        p: server.file_bytes(
            demo["jobs"][p.relative_to(root).parts[0]], "/".join(p.relative_to(root).parts[1:])
        )
        for p in saved
    }
    assert {p: p.read_bytes() for p in saved} == expected
    # The bulk call drew one bar; the job's own save later started a second one.
    starts = [i for i, (done, _) in enumerate(progress.calls) if done == 0]
    assert len(starts) == 2
    bulk = Progress()
    bulk.calls = progress.calls[: starts[1]]
    _check_one_bar(bulk, sum(len(data) for data in expected.values()))

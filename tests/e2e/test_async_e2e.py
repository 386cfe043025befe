"""AsyncGWCloud against the local server: the same behaviour as GWCloud, awaited."""

from __future__ import annotations

import asyncio
import tarfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from tests_e2e_support import endpoints

from gwcloud_python import (
    AsyncBilbyJob,
    AsyncGWCloud,
    AuthenticationError,
    ExternalFileDownloadException,
    GWCloudAuthenticationError,
    ValidationError,
)
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def run(server: LocalServer, token: str, body: Callable[[AsyncGWCloud], Awaitable[T]]) -> T:
    async def main() -> T:
        async with AsyncGWCloud(token, progress=False, **endpoints(server)) as gw:
            return await body(gw)

    return asyncio.run(main())


def test_async_search_and_pages(server: LocalServer, demo: dict[str, Any]) -> None:
    async def body(gw: AsyncGWCloud) -> None:
        jobs = await gw.get_public_job_list(number=3)
        assert len(jobs) == 3 and all(isinstance(j, AsyncBilbyJob) for j in jobs)
        walked = [job.name async for job in gw.iter_public_jobs(page_size=2)]
        listed = [job.name for job in await gw.get_public_job_list(number=100)]
        assert walked == listed
        official = await gw.get_official_job_list("GW150914")
        assert {j.name for j in official} == {"GW150914", "GW150914-uploaded"}
        with pytest.raises(ValidationError):
            await gw.get_public_job_list(time_range="2w")

    run(server, "", body)


def test_async_user_jobs_files_and_updates(
    server: LocalServer, demo: dict[str, Any], tmp_path: Path
) -> None:
    async def body(gw: AsyncGWCloud) -> None:
        mine = [job.name async for job in gw.iter_user_jobs(page_size=1)]
        assert "demo-private" in mine
        job = await gw.get_job_by_id(demo["jobs"]["GW150914"])
        assert await job.is_normal()
        files = await job.get_default_files()
        for path, data in files:
            assert data == server.file_bytes(job.job_id, path.as_posix())
        saved = await job.save_corner_plot_files(tmp_path)
        assert saved and all(p.is_file() for p in saved)
        own = await gw.get_job_by_id(demo["jobs"]["demo-private"])
        await own.set_description("async words")
        await own.set_event_id("GW170817_124104")
        again = await gw.get_job_by_id(own.job_id)
        assert again.description == "async words"
        assert again.event_id is not None and again.event_id.event_id == "GW170817_124104"
        await own.set_event_id(None)
        external = await gw.get_job_by_id(demo["jobs"]["GW190521-external"])
        with pytest.raises(ExternalFileDownloadException):
            await gw.get_files_by_reference(await external.get_full_file_list())

    run(server, demo["users"]["demo"], body)


def test_async_many_concurrent_downloads(server: LocalServer, demo: dict[str, Any]) -> None:
    async def body(gw: AsyncGWCloud) -> None:
        job = await gw.get_job_by_id(demo["jobs"]["GW151226"])
        refs = await job.get_config_file_list()
        results = await asyncio.gather(*(gw.get_files_by_reference(refs) for _ in range(40)))
        expected = server.file_bytes(job.job_id, refs[0].path.as_posix())
        assert all(r[0][1] == expected for r in results)

    run(server, "", body)


def test_async_submit_upload_and_events(
    server: LocalServer, demo: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "p.prior").write_text("mass = 1\n")
    ini = tmp_path / "a.ini"
    ini.write_text("label = asyncrun\nprior-file = p.prior\n")
    job_dir = tmp_path / "asyncup"
    for sub in ("data", "result", "results_page"):
        (job_dir / sub).mkdir(parents=True)
    (job_dir / "asyncup_config_complete.ini").write_text("label = asyncup\n")
    archive = tmp_path / "asyncup.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(job_dir, arcname=".")

    async def user(gw: AsyncGWCloud) -> None:
        job = await gw.start_bilby_job_from_file("asyncrun", "async submit", True, ini)
        assert job.name == "asyncrun"
        uploaded = await gw.upload_job_directory("async upload", job_dir)
        assert await uploaded.is_uploaded()
        from_archive = await gw.upload_job_archive("async archive", archive)
        assert from_archive.name == "asyncup"
        external = await gw.upload_external_job("ext", "d", False, "label = e\n", "https://x.org/")
        assert await external.is_external()

    async def admin(gw: AsyncGWCloud) -> None:
        event = await gw.create_event_id("GW200129_065458", 1264316116.4, "S200129m")
        assert event.trigger_id == "S200129m"
        changed = await gw.update_event_id("GW200129_065458", nickname="async")
        assert changed.nickname == "async"
        assert "GW200129_065458" in {e.event_id for e in await gw.get_all_event_ids()}
        await gw.delete_event_id("GW200129_065458")

    run(server, demo["users"]["demo"], user)
    run(server, demo["users"]["admin"], admin)


def test_async_auth_errors(server: LocalServer) -> None:
    async def anonymous(gw: AsyncGWCloud) -> None:
        with pytest.raises(AuthenticationError):
            await gw.get_user_jobs()

    run(server, "", anonymous)
    token = "wrong-async-token-123456"
    with pytest.raises(GWCloudAuthenticationError) as info:
        run(server, token, anonymous)
    assert token not in str(info.value)


def test_async_expiry_refreshes_once(server: LocalServer, demo: dict[str, Any]) -> None:
    async def body(gw: AsyncGWCloud) -> None:
        await gw.get_user_jobs(number=1)
        server.expire_jwts()
        server.reset_requests()
        results = await asyncio.gather(*(gw.get_user_jobs(number=1) for _ in range(20)))
        assert all(results)

    run(server, demo["users"]["demo"], body)
    operations = [r["operation"] for r in server.requests()]
    expected_refreshes = 1 if server.schema == "2023" else 0
    assert operations.count("RefreshToken") == expected_refreshes
    assert operations.count("JwtToken") == 0

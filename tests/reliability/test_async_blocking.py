"""Issue 14 item 7: the async client must not stall the event loop while it uploads.

A probe task sleeps 5 ms at a time on the loop and records how late each wake-up
is; its worst lateness is the longest time the loop was blocked.  The bound is
deliberately generous (a quarter second, where a blocked loop shows seconds):
it is a correctness property - no CPU-heavy or whole-file work on the loop -
not a speed target.  Before the fix, archiving this job on the loop blocked it
for over a second, and checking an archive decompressed it all on the loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

import gwcloud_python
from gwcloud_python._archive import job_directory_archive

if TYPE_CHECKING:
    from .conftest import Recorder, ReliabilityServer

GROUP = "Async blocking"
INV = "no call of the async client blocks the event loop for long"
MIB = 1024 * 1024
#: Longest tolerated event-loop stall, seconds.
MAX_LAG = 0.25
T = TypeVar("T")


def make_job(root: Path) -> Path:
    """A job of ~80 MiB: 48 MiB of text that deflates, 32 MiB of noise that is stored."""
    for name in ("data", "result", "results_page"):
        (root / name).mkdir(parents=True)
    (root / "lag_config_complete.ini").write_text("label = lag_probe\n")
    (root / "results_page" / "index.html").write_text("<html></html>")
    line = b"".join(b"%06d 0.%012d posterior sample\n" % (i, i * 7919) for i in range(4096))
    with open(root / "result" / "samples.dat", "wb") as handle:
        for _ in range(48 * MIB // len(line) + 1):
            handle.write(line)
    noise = os.urandom(8 * MIB)
    with open(root / "result" / "samples.h5", "wb") as handle:
        for _ in range(4):
            handle.write(noise)
    return root


async def with_lag_probe(call: Callable[[], Awaitable[T]]) -> tuple[T, float, int]:
    """Run ``call()`` while measuring the event loop's worst stall; (result, lag, wake-ups)."""
    done = asyncio.Event()
    worst = 0.0
    wakeups = 0

    async def probe() -> None:
        nonlocal worst, wakeups
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - start - 0.005)
            wakeups += 1

    task = asyncio.create_task(probe())
    await asyncio.sleep(0)
    try:
        result = await call()
    finally:
        done.set()
        await task
    return result, worst, wakeups


@pytest.fixture(scope="module")
def job_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_job(tmp_path_factory.mktemp("lag") / "job")


def client(server: ReliabilityServer, demo: dict[str, Any]) -> gwcloud_python.AsyncGWCloud:
    return gwcloud_python.AsyncGWCloud(
        demo["users"]["demo"],
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        progress=False,
    )


def test_upload_job_directory_keeps_the_loop_running(
    server: ReliabilityServer, demo: dict[str, Any], job_dir: Path, rel: Recorder
) -> None:
    rel.classify(GROUP, "AsyncGWCloud.upload_job_directory of 80 MiB", INV)

    async def main() -> tuple[Any, float, int]:
        async with client(server, demo) as agw:
            await agw.authenticate()
            return await with_lag_probe(
                lambda: agw.upload_job_directory("lag probe", job_dir, False)
            )

    job, lag, wakeups = asyncio.run(main())
    assert job.job_id
    assert wakeups > 1
    assert lag < MAX_LAG, f"the event loop was blocked for {lag:.3f} s"
    rel.nothing_lost()


def test_upload_job_archive_keeps_the_loop_running(
    server: ReliabilityServer,
    demo: dict[str, Any],
    job_dir: Path,
    tmp_path: Path,
    rel: Recorder,
) -> None:
    rel.classify(GROUP, "AsyncGWCloud.upload_job_archive of 80 MiB", INV)
    with job_directory_archive(job_dir) as built:
        archive = Path(shutil.copy(built, tmp_path / "job.tar.gz"))

    async def main() -> tuple[Any, float, int]:
        async with client(server, demo) as agw:
            await agw.authenticate()
            return await with_lag_probe(lambda: agw.upload_job_archive("lag probe", archive))

    job, lag, wakeups = asyncio.run(main())
    assert job.job_id
    assert wakeups > 1
    assert lag < MAX_LAG, f"the event loop was blocked for {lag:.3f} s"
    rel.nothing_lost()

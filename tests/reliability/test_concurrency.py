"""Many threads (and coroutines) sharing one client: every byte right, one JWT refresh.

16 threads share one authenticated :class:`GWCloud` and mix searches, job
lookups, file listings, in-memory downloads and downloads to disk.  Then every
JWT is expired and the threads go again: the server must see exactly one
``RefreshToken`` (single-flight) and no ``JwtToken``.  The async client does
200 concurrent downloads, also across an expired JWT.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import gwcloud_python
from gwcloud_python import FileReferenceList, GWCloud

from ._helpers import assert_nothing_partial, operations, settled
from .conftest import ReliabilityServer

if TYPE_CHECKING:
    from .conftest import Catalog, Recorder

GROUP = "Concurrency"
INVARIANT = "every result byte-exact; exactly one RefreshToken after expiry; no .part left"
THREADS = 16
JOBS = ["GW150914", "GW170817", "GW151226", "GW150914-uploaded"]


def _round(
    gw: GWCloud,
    catalog: Catalog,
    demo: dict[str, Any],
    baseline: dict[str, Any],
    out: Path,
) -> int:
    """Run THREADS workers at once; return how many checks passed."""
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> int:
        name = JOBS[index % len(JOBS)]
        refs = catalog.refs(name)
        want = catalog.expected(refs)
        barrier.wait(timeout=30)
        checks = 0
        assert [j.job_id for j in gw.get_user_jobs(number=5)] == baseline["mine"]
        checks += 1
        job = gw.get_job_by_id(demo["jobs"][name])
        listed = job.get_full_file_list()
        assert listed.get_paths() == refs.get_paths()
        checks += 1
        if index % 2:
            got = {p.as_posix(): data for p, data in gw.get_files_by_reference(listed)}
        else:
            root = out / f"t{index}"
            written = gw.save_files_by_reference(listed, root)
            got = {p.relative_to(root.resolve()).as_posix(): p.read_bytes() for p in written}
            assert_nothing_partial(root, want)
        assert got == want
        checks += 1
        if index % 4 == 3:
            assert [j.job_id for j in gw.get_public_job_list(number=10)] == baseline["public"]
            checks += 1
        return checks

    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(work, range(THREADS)))


def test_threads_share_one_client(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    catalog: Catalog,
    server: ReliabilityServer,
    demo: dict[str, Any],
    tmp_path: Path,
) -> None:
    rel.classify(GROUP, f"{THREADS} threads sharing one GWCloud", INVARIANT)
    gw = connect("demo", own_http=True)
    baseline = {
        "mine": [j.job_id for j in gw.get_user_jobs(number=5)],
        "public": [j.job_id for j in gw.get_public_job_list(number=10)],
    }
    for name in JOBS:
        catalog.expected(catalog.refs(name))
    assert _round(gw, catalog, demo, baseline, tmp_path / "first") == THREADS * 3 + THREADS // 4
    rel.byte_exact()
    rel.nothing_lost()


def test_threads_refresh_an_expired_jwt_once(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    catalog: Catalog,
    server: ReliabilityServer,
    demo: dict[str, Any],
    tmp_path: Path,
) -> None:
    rel.classify(GROUP, f"{THREADS} threads sharing one GWCloud", INVARIANT)
    gw = connect("demo", own_http=True)
    baseline = {
        "mine": [j.job_id for j in gw.get_user_jobs(number=5)],
        "public": [j.job_id for j in gw.get_public_job_list(number=10)],
    }
    for name in JOBS:
        catalog.expected(catalog.refs(name))
    server.expire_jwts()
    server.reset_requests()
    assert _round(gw, catalog, demo, baseline, tmp_path / "second") == THREADS * 3 + THREADS // 4
    ops = operations(server, at_least=THREADS * 4)
    assert ops.count("RefreshToken") == 1, ops.count("RefreshToken")
    assert "JwtToken" not in ops
    assert gw._jwt is not None
    rel.byte_exact()
    rel.nothing_lost()


ASYNC_DOWNLOADS = 200


def test_async_concurrent_downloads(
    rel: Recorder, server: ReliabilityServer, demo: dict[str, Any], catalog: Catalog
) -> None:
    rel.classify(GROUP, f"{ASYNC_DOWNLOADS} concurrent async downloads", INVARIANT)
    if not hasattr(gwcloud_python, "AsyncGWCloud"):
        pytest.skip("AsyncGWCloud is not available yet")
    want = {name: catalog.expected(catalog.refs(name)) for name in JOBS}

    async def main() -> tuple[list[tuple[str, str]], list[Any]]:
        async with gwcloud_python.AsyncGWCloud(
            demo["users"]["demo"],
            auth_endpoint=server.auth_endpoint,
            endpoint=server.endpoint,
            progress=False,
        ) as gw:
            files: list[tuple[str, Any]] = []
            for name in JOBS:
                job = await gw.get_job_by_id(demo["jobs"][name])
                files += [(name, ref) for ref in await job.get_full_file_list()]
            picks = [files[i % len(files)] for i in range(ASYNC_DOWNLOADS)]
            server.expire_jwts()
            server.reset_requests()
            results = await asyncio.gather(
                *(gw.get_files_by_reference(FileReferenceList([ref])) for _, ref in picks)
            )
        return [(name, ref.path.as_posix()) for name, ref in picks], results

    picks, results = asyncio.run(main())
    assert len(results) == ASYNC_DOWNLOADS
    for (name, path), result in zip(picks, results, strict=True):
        assert [(p.as_posix(), data) for p, data in result] == [(path, want[name][path])]
    log = settled(server, lambda log: len(log) >= 2 * ASYNC_DOWNLOADS + 1)
    ops = [r["operation"] for r in log]
    assert ops.count("RefreshToken") == 1 and "JwtToken" not in ops
    assert ops.count("GenerateFileDownloadIds") >= ASYNC_DOWNLOADS
    rel.byte_exact()
    rel.nothing_lost()

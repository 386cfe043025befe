"""GWFlow end to end: every client method over a real socket against a 2026 local server.

Each test runs twice, with :class:`~gwcloud_python.GWCloud` and with
:class:`~gwcloud_python.AsyncGWCloud` (driven on one event loop in a thread, so a test
body is written once).  One server per schema (the 2026 service's, and the one it announced without
``ligoOnly``) serves the module; every test starts from :meth:`LocalServer.reset`
with its own users.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gwcloud_python import (
    AsyncGWCloud,
    AuthenticationError,
    DownloadError,
    GraphQLError,
    GWCloud,
    GWCloudError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from gwcloud_python.exceptions import GWCloudException
from gwcloud_python.gwflow_file import GWFlowFile
from gwcloud_python.gwflow_job import GWFlowJob
from gwcloud_python.gwflow_mirror import GWFlowMirrorSummary
from gwcloud_python.gwflow_pending_file import GWFlowPendingFile
from gwcloud_python.pytest_plugin import client_options, start_server
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

NOT_FOUND_404 = (
    "File not found or not available for download (404). It may be restricted or not yet mirrored."
)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def pk_of(relay_id: str) -> int:
    return int(base64.b64decode(relay_id).decode().rsplit(":", 1)[1])


class AsyncDriver:
    """An :class:`AsyncGWCloud` on its own event loop thread, called like a ``GWCloud``.

    Every coroutine method is awaited on that loop, so one client (and its
    connection pool) serves the whole test, as in an application.
    """

    def __init__(self, token: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

        async def make() -> AsyncGWCloud:
            return AsyncGWCloud(token, **options)

        self.client: AsyncGWCloud = self._await(make())

    def _await(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            return self._await(result) if inspect.isawaitable(result) else result

        return call

    def close(self) -> None:
        try:
            self._await(self.client.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()


@dataclass
class World:
    """The server, emptied for this test, its users' tokens and a client maker."""

    server: LocalServer
    kind: str
    ingest_token: str
    ligo_token: str
    user_token: str
    connect: Callable[..., Any]

    def ingest(self) -> Any:
        return self.connect(self.ingest_token)

    def ligo(self) -> Any:
        return self.connect(self.ligo_token)

    def user(self) -> Any:
        return self.connect(self.user_token)

    def anonymous(self) -> Any:
        return self.connect("")

    def operations(self) -> list[str | None]:
        return [r["operation"] for r in self.server.requests()]

    def download_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.server.requests() if r["path"].startswith("/file_download")]


@pytest.fixture(scope="module", params=["2026", "2026-next"])
def gwflow_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    """The 2026 service, and the schema it announced (without ``ligoOnly``)."""
    srv = start_server(
        request.param, data_dir=tmp_path_factory.mktemp("gwflow-e2e"), job_duration=0.3
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(params=["sync", "async"])
def world(request: pytest.FixtureRequest, gwflow_server: LocalServer) -> Iterator[World]:
    gwflow_server.reset()
    ingest = gwflow_server.add_user("ingest", ligo=True, gwflow_ingest=True)
    ligo = gwflow_server.add_user("ligo-member", ligo=True)
    user = gwflow_server.add_user("plain-user")
    made: list[Any] = []

    def connect(token: str, **options: Any) -> Any:
        settings = {**client_options(gwflow_server), **options}
        client = (
            GWCloud(token, **settings)
            if request.param == "sync"
            else AsyncDriver(token, **settings)
        )
        made.append(client)
        return client

    yield World(gwflow_server, request.param, ingest, ligo, user, connect)
    for client in made:
        client.close()


def write(root: Path, relative: str, data: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- the ingest flow --------------------------------------------------------------------


def test_ingest_register_mirror_fetch_and_save(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = world.ingest()
    if world.kind == "async":
        assert isinstance(gw.client, AsyncGWCloud)
    tree = tmp_path / "tree"
    top = b"superevent summary\n"
    result_bytes = b"x" * 70_000
    posterior = b"posterior samples" * 100
    write(tree, "S230101a/summary.txt", top)
    write(tree, "S230101a/pe1/CIT/home/pe/result.json", result_bytes)
    write(tree, "S230101a/pe2/posterior.h5", posterior)
    # Path entries are registered under str(path): relative to the job's own folder
    monkeypatch.chdir(tree / "S230101a")
    answer = gw.upsert_gwflow_job(
        "S230101a",
        schema_version="v2",
        metadata={"Sname": "S230101a"},
        libraries=["cbc-workflow-o4a"],
        current_history_id="abc123",
        current_history_timestamp="2026-01-01T10:00:00Z",
        files=[
            Path("summary.txt"),
            {
                "analysis_uid": "pe1",
                "path": "CIT:/home/pe/result.json",
                "local_path": tree / "S230101a/pe1/CIT/home/pe/result.json",
            },
            {
                "analysisUid": "pe2",
                "path": "posterior.h5",
                "fileSize": len(posterior),
                "md5Sum": md5(posterior).upper(),
            },
        ],
    )
    assert answer.created is True and answer.sname == "S230101a"
    assert answer.removed_files == []
    pending = {(f.analysis_uid, f.path): f.md5_sum for f in answer.files_pending}
    assert pending == {
        ("", "summary.txt"): md5(top),
        ("pe1", "CIT:/home/pe/result.json"): md5(result_bytes),
        ("pe2", "posterior.h5"): md5(posterior),
    }
    # nothing is uploaded yet: a save writes nothing and asks for nothing
    world.server.reset_requests()
    assert list(gw.save_gwflow_files("S230101a", tmp_path / "early")) == []
    assert world.download_requests() == []
    assert not any(p.is_file() for p in (tmp_path / "early").rglob("*"))
    listed = gw.get_gwflow_pending_files()
    assert all(isinstance(f, GWFlowPendingFile) for f in listed)
    assert sorted(f.id for f in listed) == sorted(f.id for f in answer.files_pending)

    summary = gw.mirror_gwflow_files(tree, concurrency=2)
    assert isinstance(summary, GWFlowMirrorSummary)
    assert (summary.skipped, summary.failed) == ([], [])
    assert sorted(m.size for m in summary.uploaded) == sorted(
        [len(top), len(result_bytes), len(posterior)]
    )
    assert gw.get_gwflow_pending_files() == []

    job = gw.get_gwflow_job("S230101a")
    assert isinstance(job, GWFlowJob)
    assert job.libraries == ["cbc-workflow-o4a"] and job.schema_version == "v2"
    assert job.current_history_id == "abc123"
    assert job.current_history_timestamp is not None
    assert job.current_history_timestamp.isoformat().startswith("2026-01-01T10:00:00")
    sizes = {(f.analysis_uid, f.path): (f.file_size, f.uploaded) for f in job.files}
    assert sizes == {
        ("", "summary.txt"): (len(top), True),
        ("pe1", "CIT:/home/pe/result.json"): (len(result_bytes), True),
        ("pe2", "posterior.h5"): (len(posterior), True),
    }
    # the upsert's id (the service's other encoding) fetches the same job
    assert gw.get_gwflow_job(job_id=answer.job_id).id == job.id

    out = tmp_path / "out"
    saved = gw.save_gwflow_files(job, out)
    expected = {
        out / "S230101a/summary.txt": top,
        out / "S230101a/pe1/CIT/home/pe/result.json": result_bytes,
        out / "S230101a/pe2/posterior.h5": posterior,
    }
    assert {Path(p) for p in saved} == {p.resolve() for p in expected}
    for path, data in expected.items():
        assert path.read_bytes() == data
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == sorted(p.name for p in expected)

    # skip_existing keeps a file of the listed size; without it the file is fetched again
    world.server.reset_requests()
    marked = b"y" * len(result_bytes)
    (out / "S230101a/pe1/CIT/home/pe/result.json").write_bytes(marked)
    gw.save_gwflow_files("S230101a", out, skip_existing=True)
    assert (out / "S230101a/pe1/CIT/home/pe/result.json").read_bytes() == marked
    assert world.download_requests() == []
    gw.save_gwflow_files("S230101a", out)
    assert (out / "S230101a/pe1/CIT/home/pe/result.json").read_bytes() == result_bytes
    assert len(world.download_requests()) == 3

    # a job as listed (without its files) is fetched again for them
    (from_list,) = [j for j in gw.get_gwflow_job_list() if j.sname == "S230101a"]
    assert from_list.files == []
    again_saved = gw.save_gwflow_files(from_list, tmp_path / "from-list")
    assert sorted(Path(p).read_bytes() for p in again_saved) == sorted(expected.values())

    # analysis_uid picks one analysis; "" the superevent-level files
    only = tmp_path / "only"
    assert [Path(p) for p in gw.save_gwflow_files("S230101a", only, analysis_uid="pe2")] == [
        (only / "S230101a/pe2/posterior.h5").resolve()
    ]
    assert [p for p in only.rglob("*") if p.is_file()] == [only / "S230101a/pe2/posterior.h5"]
    top_only = gw.save_gwflow_files("S230101a", tmp_path / "top", analysis_uid="")
    assert [Path(p).name for p in top_only] == ["summary.txt"]

    # the same upsert again changes nothing: not created, nothing pending
    again = gw.upsert_gwflow_job(
        "S230101a",
        files=[
            Path("summary.txt"),
            {
                "analysis_uid": "pe1",
                "path": "CIT:/home/pe/result.json",
                "md5_sum": md5(result_bytes),
            },
            {"analysis_uid": "pe2", "path": "posterior.h5", "md5_sum": md5(posterior)},
        ],
    )
    assert (again.created, again.files_pending, again.removed_files) == (False, [], [])


def test_mismatched_and_missing_local_files_are_skipped_and_not_sent(
    world: World, tmp_path: Path
) -> None:
    gw = world.ingest()
    tree = tmp_path / "tree"
    good, old, new = b"good bytes", b"first version", b"second version"
    write(tree, "S230202b/pe/good.dat", good)
    write(tree, "S230202b/pe/changed.dat", old)
    first = gw.upsert_gwflow_job(
        "S230202b",
        files=[
            {"analysis_uid": "pe", "path": "good.dat", "md5_sum": md5(good)},
            {"analysis_uid": "pe", "path": "changed.dat", "md5_sum": md5(old)},
        ],
    )
    assert len(first.files_pending) == 2
    assert len(gw.mirror_gwflow_files(tree).uploaded) == 2
    changed_id = next(f.id for f in first.files_pending if f.path == "changed.dat")
    stored = world.server.data_dir / "gwflow" / str(pk_of(first.job_id)) / str(pk_of(changed_id))
    assert stored.read_bytes() == old

    # the manifest now wants new bytes for changed.dat and a file nobody has
    second = gw.upsert_gwflow_job(
        "S230202b",
        files=[
            {"analysis_uid": "pe", "path": "good.dat", "md5_sum": md5(good)},
            {"analysis_uid": "pe", "path": "changed.dat", "md5_sum": md5(new)},
            {"analysis_uid": "pe", "path": "missing.dat", "md5_sum": md5(b"never")},
        ],
    )
    assert sorted(f.path for f in second.files_pending) == ["changed.dat", "missing.dat"]
    world.server.reset_requests()
    summary = gw.mirror_gwflow_files(tree)  # the local changed.dat still has the old bytes
    assert summary.uploaded == [] and summary.failed == []
    reasons = {s.record.path: s.reason for s in summary.skipped}
    assert set(reasons) == {"changed.dat", "missing.dat"}
    assert f"local md5 {md5(old)} differs from the registered {md5(new)}" in reasons["changed.dat"]
    assert "no local file at" in reasons["missing.dat"]
    assert "UploadGwflowFile" not in world.operations()
    assert stored.read_bytes() == old  # the service never saw the bad bytes
    assert sorted(f.path for f in gw.get_gwflow_pending_files()) == ["changed.dat", "missing.dat"]

    # what mirror avoided: a direct upload of mismatching bytes is refused by the
    # service, which deletes its earlier copy
    with pytest.raises(GraphQLError, match="MD5 checksum mismatch"):
        gw.upload_gwflow_file(changed_id, tree / "S230202b/pe/changed.dat")
    assert not stored.exists()

    write(tree, "S230202b/pe/changed.dat", new)
    assert gw.upload_gwflow_file(changed_id, tree / "S230202b/pe/changed.dat") == len(new)
    assert [f.path for f in gw.get_gwflow_pending_files()] == ["missing.dat"]


def test_mirror_skips_an_upper_case_registered_md5_the_service_can_never_match(
    world: World, tmp_path: Path
) -> None:
    made = world.server.create_gwflow_job(
        "S230210b",
        [{"analysis_uid": "pe", "path": "f.dat", "file_name": "f.dat", "data": b"earlier"}],
    )
    stored = (
        world.server.data_dir
        / "gwflow"
        / str(pk_of(made["id"]))
        / str(pk_of(made["files"][0]["id"]))
    )
    assert stored.read_bytes() == b"earlier"
    # another ingest tool (not this library, which lower-cases md5s) registers new
    # bytes with an upper-case md5
    data = b"bytes whose md5 was registered in upper case"
    mutation = (
        'mutation($md5: String) { upsertGwflowJob(input: {params: {sname: "S230210b", '
        'files: [{analysisUid: "pe", path: "f.dat", fileName: "f.dat", md5Sum: $md5}]}}) '
        "{ result { created } } }"
    )
    answer = httpx.post(
        world.server.endpoint,
        json={"query": mutation, "variables": {"md5": md5(data).upper()}},
        headers={"Authorization": world.ingest_token},
        trust_env=False,
    ).json()
    assert answer == {"data": {"upsertGwflowJob": {"result": {"created": False}}}}
    write(tmp_path, "S230210b/pe/f.dat", data)

    gw = world.ingest()
    (record,) = gw.get_gwflow_pending_files()
    assert record.md5_sum == md5(data).upper()
    world.server.reset_requests()
    summary = gw.mirror_gwflow_files(tmp_path)
    assert summary.uploaded == [] and summary.failed == []
    (skipped,) = summary.skipped
    assert "is not lower case" in skipped.reason
    assert "UploadGwflowFile" not in world.operations()
    assert stored.read_bytes() == b"earlier"  # not deleted by a doomed upload
    # what mirror avoided: the service refuses those bytes and drops its copy
    with pytest.raises(GraphQLError, match="MD5 checksum mismatch"):
        gw.upload_gwflow_file(record.id, tmp_path / "S230210b/pe/f.dat")
    assert not stored.exists()


def test_mirror_from_a_mapping_and_from_a_function(world: World, tmp_path: Path) -> None:
    gw = world.ingest()
    data = {name: f"bytes of {name}".encode() for name in ("a.txt", "b.txt", "c.txt")}
    for name, content in data.items():
        write(tmp_path / "anywhere", name, content)
    answer = gw.upsert_gwflow_job(
        "S230303c",
        files=[{"analysis_uid": "u", "path": n, "md5_sum": md5(d)} for n, d in data.items()],
    )
    ids = {f.path: f.id for f in answer.files_pending}

    # a mapping value or a function's answer that is not a path stops the run before
    # any upload; so does an async function (it would give coroutines, not paths)
    async def async_locate(record: GWFlowPendingFile) -> Path:
        return tmp_path / "anywhere" / record.path

    world.server.reset_requests()
    with pytest.raises(ValidationError, match=r"gave 5 for S230303c/a\.txt"):
        gw.mirror_gwflow_files({ids["a.txt"]: 5, ids["b.txt"]: tmp_path / "anywhere/b.txt"})
    with pytest.raises(ValidationError, match="not a coroutine function"):
        gw.mirror_gwflow_files(async_locate)
    assert "UploadGwflowFile" not in world.operations()
    mapping = {
        ids["a.txt"]: tmp_path / "anywhere/a.txt",
        ("S230303c", "u", "b.txt"): str(tmp_path / "anywhere/b.txt"),
    }
    summary = gw.mirror_gwflow_files(mapping)
    assert sorted(m.record.path for m in summary.uploaded) == ["a.txt", "b.txt"]
    assert [(s.record.path, s.reason) for s in summary.skipped] == [
        ("c.txt", "no local file given")
    ]

    seen: list[str] = []

    def locate(record: GWFlowPendingFile) -> Path | None:
        seen.append(record.path)
        return tmp_path / "anywhere" / record.path

    summary = gw.mirror_gwflow_files(locate)
    assert seen == ["c.txt"]
    assert [(m.record.path, m.size) for m in summary.uploaded] == [("c.txt", len(data["c.txt"]))]
    assert gw.get_gwflow_pending_files() == []
    job = gw.get_gwflow_job("S230303c")
    assert job is not None and all(f.uploaded for f in job.files)
    gw.save_gwflow_files(job, tmp_path / "saved")
    for name, content in data.items():
        assert (tmp_path / "saved/S230303c/u" / name).read_bytes() == content

    assert gw.mirror_gwflow_files(lambda record: None).uploaded == []
    with pytest.raises(ValidationError, match="local_root_or_mapping"):
        gw.mirror_gwflow_files(42)
    with pytest.raises(ValidationError, match="not a directory"):
        gw.mirror_gwflow_files(tmp_path / "no-such-dir")


def test_upsert_reconciles_the_manifest_and_reports_removed_files(world: World) -> None:
    gw = world.ingest()
    keep = {"analysis_uid": "pe", "path": "keep.txt", "md5_sum": md5(b"keep")}
    drop = {"analysis_uid": "pe", "path": "drop.txt", "md5_sum": md5(b"drop")}
    first = gw.upsert_gwflow_job("S230404d", files=[keep, drop])
    drop_id = next(f.id for f in first.files_pending if f.path == "drop.txt")

    second = gw.upsert_gwflow_job("S230404d", files=[keep])
    assert [(f.id, f.path, f.md5_sum) for f in second.removed_files] == [
        (drop_id, "drop.txt", md5(b"drop"))
    ]
    assert [f.path for f in second.files_pending] == ["keep.txt"]
    job = gw.get_gwflow_job("S230404d")
    assert job is not None and [f.path for f in job.files] == ["keep.txt"]

    # files=None ("prune only") leaves the files alone; files=[] removes them all
    assert gw.upsert_gwflow_job("S230404d", is_pruned=False).removed_files == []
    assert [f.path for f in gw.upsert_gwflow_job("S230404d", files=[]).removed_files] == [
        "keep.txt"
    ]
    job = gw.get_gwflow_job("S230404d")
    assert job is not None and job.files == []

    # an unknown key is refused before any request
    world.server.reset_requests()
    with pytest.raises(ValidationError, match="unknown key 'md5'"):
        gw.upsert_gwflow_job("S230404d", files=[{"path": "x", "md5": "0" * 32}])
    assert world.server.requests() == []


def test_upsert_id_pruned_jobs_and_id_forms(world: World) -> None:
    gw = world.ingest()
    answer = gw.upsert_gwflow_job("S230505e", libraries=["one", "two"])
    pk = pk_of(answer.job_id)
    job = gw.get_gwflow_job(job_id=answer.job_id)
    assert job is not None and job.sname == "S230505e" and job.libraries == ["one", "two"]
    # the service's raw upsert encoding and the integer key name the same job
    assert gw.get_gwflow_job(job_id=b64(f"GWFlowJobNode:{pk}")).id == job.id
    assert gw.get_gwflow_job(job_id=pk).id == job.id

    gw.upsert_gwflow_job("S230505e", is_pruned=True)
    assert gw.get_gwflow_job("S230505e") is None  # pruned: not found by sname
    pruned = gw.get_gwflow_job(job_id=answer.job_id)
    assert pruned is not None and pruned.is_pruned is True
    assert gw.get_gwflow_job_list() == []
    assert [j.sname for j in gw.get_gwflow_job_list(include_pruned=True)] == ["S230505e"]
    assert gw.get_gwflow_job("S999999zz") is None
    assert gw.get_gwflow_job(job_id=b64("GWFlowJob:999999")) is None
    with pytest.raises(ValidationError, match="exactly one"):
        gw.get_gwflow_job("S230505e", job_id=pk)
    with pytest.raises(ValidationError, match="exactly one"):
        gw.get_gwflow_job()


def test_list_pages_over_more_than_a_hundred_jobs_and_returns_each_once(world: World) -> None:
    for index in range(130):
        world.server.create_gwflow_job(
            f"S24{index:04d}a", ligo_only=False, libraries=[f"lib{index % 3}"]
        )
    gw = world.anonymous()
    world.server.reset_requests()
    jobs = gw.get_gwflow_job_list()
    assert len(jobs) == 130
    assert len({j.id for j in jobs}) == 130
    assert {j.sname for j in jobs} == {f"S24{i:04d}a" for i in range(130)}
    assert world.operations().count("GwflowJobs") == 2
    updates = [j.last_updated for j in jobs]
    assert updates == sorted(updates, reverse=True)
    assert all(j.files == [] and j.creation_time is None for j in jobs)

    found = gw.get_gwflow_job_list("libraries:lib1")
    assert len(found) == len([i for i in range(130) if i % 3 == 1])
    assert {j.libraries[0] for j in found} == {"lib1"}
    hundred = gw.get_gwflow_job_list("sname:S2400*")  # exactly one full page
    assert len(hundred) == 100 and len({j.id for j in hundred}) == 100
    over = gw.get_gwflow_job_list("sname:S2400* OR sname:S240100a")
    assert len(over) == 101 and len({j.id for j in over}) == 101
    with pytest.raises(ValidationError):
        gw.get_gwflow_job_list(time_range="2w")


def test_link_and_unlink_a_bilby_job(world: World) -> None:
    gw = world.ingest()
    gw.upsert_gwflow_job("S230606f")
    first = world.server.create_bilby_job("gwflow-pe-1")
    second = world.server.create_bilby_job("gwflow-pe-2")

    gw.link_bilby_job_to_gwflow(first, "S230606f", "pe-online")
    gw.link_bilby_job_to_gwflow(first, "S230606f", "pe-online")  # idempotent
    job = gw.get_gwflow_job("S230606f")
    assert job is not None
    assert [(b.id, b.name, b.gwflow_analysis_uid) for b in job.bilby_jobs] == [
        (first, "gwflow-pe-1", "pe-online")
    ]
    with pytest.raises(
        GraphQLError,
        match="analysis_uid 'pe-online' already linked to another BilbyJob on GWFlowJob 'S230606f'",
    ):
        gw.link_bilby_job_to_gwflow(second, "S230606f", "pe-online")
    with pytest.raises(GraphQLError, match="GWFlowJob with sname 'S000000x' does not exist"):
        gw.link_bilby_job_to_gwflow(second, "S000000x", "pe")
    with pytest.raises(GraphQLError, match="Invalid job_id"):
        gw.link_bilby_job_to_gwflow(b64("BilbyJobNode:999999"), "S230606f", "pe")
    gw.link_bilby_job_to_gwflow(pk_of(second), "S230606f", "pe-offline")  # integer key
    job = gw.get_gwflow_job("S230606f")
    assert job is not None
    assert sorted(b.gwflow_analysis_uid for b in job.bilby_jobs) == ["pe-offline", "pe-online"]

    gw.link_bilby_job_to_gwflow(first, "", "")
    job = gw.get_gwflow_job("S230606f")
    assert job is not None and [b.name for b in job.bilby_jobs] == ["gwflow-pe-2"]


# -- who may see and do what ------------------------------------------------------------


def test_ligo_only_jobs_are_hidden_from_anonymous_and_downloaded_with_a_ligo_token(
    world: World, tmp_path: Path
) -> None:
    made = world.server.create_gwflow_job(
        "S230707g",
        [{"analysis_uid": "pe", "path": "secret.json", "file_name": "secret.json", "data": b"{}"}],
    )
    ligo = world.ligo()
    job = ligo.get_gwflow_job("S230707g")
    assert job is not None and job.id == made["id"]
    (listed,) = job.files
    assert isinstance(listed, GWFlowFile) and listed.uploaded

    for client in (world.anonymous(), world.user()):
        assert client.get_gwflow_job("S230707g") is None
        assert client.get_gwflow_job(job_id=made["id"]) is None
        assert client.get_gwflow_job_list() == []
        target = tmp_path / "anon" / "secret.json"
        with pytest.raises(DownloadError) as info:
            client.download_gwflow_file(listed.download_token, target)
        assert str(info.value) == NOT_FOUND_404 and info.value.status_code == 404
        assert isinstance(info.value, GWCloudException)
        assert not target.exists()
        with pytest.raises(NotFoundError, match="S230707g"):
            client.save_gwflow_files("S230707g", tmp_path / "anon")
    assert not (tmp_path / "anon").exists() or list((tmp_path / "anon").rglob("*")) == []

    ligo.download_gwflow_file(listed.download_token, tmp_path / "ligo" / "by-token.json")
    assert (tmp_path / "ligo" / "by-token.json").read_bytes() == b"{}"
    ligo.download_gwflow_file(listed, tmp_path / "ligo" / "by-file.json")
    assert (tmp_path / "ligo" / "by-file.json").read_bytes() == b"{}"
    saved = ligo.save_gwflow_files("S230707g", tmp_path / "tree")
    assert [Path(p).read_bytes() for p in saved] == [b"{}"]
    assert [j.sname for j in ligo.get_gwflow_job_list()] == ["S230707g"]


def test_the_demo_data_set_as_each_caller_sees_it(world: World, tmp_path: Path) -> None:
    demo = world.server.seed_demo()
    snames = set(demo["gwflow_jobs"])
    assert snames == {"S230518h", "S230529ay", "S190425z", "S230601bf"}
    ingest = world.connect(demo["users"]["gwflow-ingest"])
    assert sorted(j.sname for j in ingest.get_gwflow_job_list()) == [
        "S190425z",
        "S230518h",
        "S230529ay",
    ]
    assert {j.sname for j in ingest.get_gwflow_job_list(include_pruned=True)} == snames
    assert [j.sname for j in world.anonymous().get_gwflow_job_list()] == ["S230518h"]
    pending = ingest.get_gwflow_pending_files()
    assert sorted(f.sname for f in pending) == ["S230518h", "S230529ay", "S230601bf"]
    job = ingest.get_gwflow_job("S190425z")
    assert job is not None and job.event_id is not None
    assert job.event_id.trigger_id == "S190425z"
    assert ingest.get_gwflow_job(job_id=demo["gwflow_jobs"]["S230601bf"]).is_pruned is True
    saved = world.anonymous().save_gwflow_files("S230518h", tmp_path)
    assert len(saved) == 2  # its pending file is left out
    assert Path(saved[0]).read_bytes() == b'{"sname": "S230518h"}'


def test_non_ingest_callers_get_the_services_errors_and_change_nothing(
    world: World, tmp_path: Path
) -> None:
    local = write(tmp_path, "f.txt", b"bytes")
    pending = world.server.create_gwflow_job(
        "S230808h",
        [{"analysis_uid": "", "path": "f.txt", "file_name": "f.txt", "data": None}],
        ligo_only=False,
    )
    file_id = pending["files"][0]["id"]
    bilby = world.server.create_bilby_job("not-linked")
    for client in (world.user(), world.ligo()):
        refused: list[tuple[str, tuple[Any, ...]]] = [
            ("upsert_gwflow_job", ("S230808x",)),
            ("upload_gwflow_file", (file_id, local)),
            ("get_gwflow_pending_files", ()),
            ("link_bilby_job_to_gwflow", (bilby, "S230808h", "pe")),
            ("mirror_gwflow_files", (tmp_path,)),
        ]
        for method, args in refused:
            with pytest.raises(PermissionDeniedError) as info:
                getattr(client, method)(*args)
            assert info.value.messages == ["Permission Denied"], method
    anonymous = world.anonymous()
    with pytest.raises(AuthenticationError):
        anonymous.upsert_gwflow_job("S230808x")
    with pytest.raises(AuthenticationError):
        anonymous.get_gwflow_pending_files()
    with pytest.raises(AuthenticationError):
        anonymous.mirror_gwflow_files(tmp_path)

    ingest = world.ingest()
    assert ingest.get_gwflow_job("S230808x") is None
    job = ingest.get_gwflow_job("S230808h")
    assert job is not None and [f.uploaded for f in job.files] == [False]
    assert job.bilby_jobs == []
    assert [f.id for f in ingest.get_gwflow_pending_files()] == [file_id]
    with pytest.raises(GraphQLError, match="Invalid gwflow_file_id"):
        ingest.upload_gwflow_file(b64("GWFlowFileNode:999999"), local)
    with pytest.raises(ValidationError):
        ingest.upload_gwflow_file(file_id, tmp_path / "missing.txt")


def test_hostile_server_paths_are_refused_before_any_download_and_skipped_by_mirror(
    world: World, tmp_path: Path
) -> None:
    world.server.create_gwflow_job(
        "S230909i",
        [
            {"analysis_uid": "pe", "path": "ok.txt", "file_name": "ok.txt", "data": b"ok"},
            {
                "analysis_uid": "pe",
                "path": "../../../escaped.txt",
                "file_name": "escaped.txt",
                "data": b"evil",
            },
        ],
        ligo_only=False,
    )
    gw = world.ingest()
    root = tmp_path / "root"
    world.server.reset_requests()
    with pytest.raises(ValidationError, match=r"\.\."):
        gw.save_gwflow_files("S230909i", root)
    # the job's query (after the async client's token check), and no download
    assert [op for op in world.operations() if op != "SessionUser"] == ["GwflowJobBySname"]
    job = gw.get_gwflow_job("S230909i")
    world.server.reset_requests()
    with pytest.raises(ValidationError, match=r"contains a '\.\.' component"):
        gw.save_gwflow_files(job, root)
    assert world.server.requests() == []
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []

    # the ingest registers a pending file whose path climbs out of the tree
    write(tmp_path / "tree", "escaped.txt", b"local secret")
    write(tmp_path / "tree", "S231010j/pe/good.txt", b"good")
    gw.upsert_gwflow_job(
        "S231010j",
        files=[
            {"analysis_uid": "pe", "path": "../../escaped.txt"},
            {"analysis_uid": "..", "path": "escaped.txt"},
            {"analysis_uid": "pe", "path": "good.txt", "md5_sum": md5(b"good")},
        ],
    )
    world.server.reset_requests()
    summary = gw.mirror_gwflow_files(tmp_path / "tree")
    assert [m.record.path for m in summary.uploaded] == ["good.txt"]
    assert world.operations().count("UploadGwflowFile") == 1
    assert sorted((s.record.analysis_uid, s.record.path) for s in summary.skipped) == [
        ("..", "escaped.txt"),
        ("pe", "../../escaped.txt"),
    ]
    assert all(s.reason.startswith("unsafe path") for s in summary.skipped)
    assert summary.failed == []
    assert len(gw.get_gwflow_pending_files()) == 2


def test_download_is_atomic_and_skip_existing_keeps_a_file(world: World, tmp_path: Path) -> None:
    made = world.server.create_gwflow_job(
        "S231111k",
        [{"analysis_uid": "", "path": "a.txt", "file_name": "a.txt", "data": b"server bytes"}],
        ligo_only=False,
    )
    token = made["files"][0]["download_token"]
    gw = world.anonymous()
    target = tmp_path / "dir" / "a.txt"
    target.parent.mkdir()
    target.write_bytes(b"precious")
    with pytest.raises(DownloadError, match=r"\(404\)"):
        gw.download_gwflow_file("00000000-0000-4000-8000-000000000000", target)
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]

    world.server.reset_requests()
    gw.download_gwflow_file(token, target, skip_existing=True)
    assert target.read_bytes() == b"precious" and world.download_requests() == []
    gw.download_gwflow_file(token, target)
    assert target.read_bytes() == b"server bytes"
    nested = tmp_path / "new" / "deeper" / "a.txt"
    gw.download_gwflow_file(token, nested)
    assert nested.read_bytes() == b"server bytes"
    with pytest.raises(ValidationError, match="is a directory"):
        gw.download_gwflow_file(token, tmp_path / "dir")


def test_download_errors_do_not_spell_out_the_permanent_download_token(
    world: World, tmp_path: Path
) -> None:
    made = world.server.create_gwflow_job(
        "S231212l",
        [{"analysis_uid": "", "path": "a.txt", "file_name": "a.txt", "data": b"abc"}],
        ligo_only=False,
    )
    token = made["files"][0]["download_token"]
    gw = world.connect("", max_retries=0)
    (tmp_path / "a-file").write_bytes(b"")
    with pytest.raises(DownloadError) as info:
        gw.download_gwflow_file(token, tmp_path / "a-file" / "below")
    assert token not in str(info.value) and token[:8] in str(info.value)
    fault = world.server.faults("5xx", times=0, match="/file_download", status=500)
    with fault, pytest.raises(DownloadError, match="HTTP 500") as info:
        gw.download_gwflow_file(token, tmp_path / "out.txt")
    assert token not in str(info.value) and token not in (info.value.url or "")
    assert not (tmp_path / "out.txt").exists()


def test_a_2023_client_refuses_every_gwflow_method_before_any_request(
    world: World, tmp_path: Path
) -> None:
    gw = world.connect(
        "",
        endpoint=world.server.endpoint + "-2023",
        auth_endpoint="http://127.0.0.1:9/x",
        service="2023",
    )
    local = write(tmp_path, "f.txt", b"x")
    calls: list[Callable[[], Any]] = [
        lambda: gw.upsert_gwflow_job("S230101a"),
        lambda: gw.upload_gwflow_file("id", local),
        gw.get_gwflow_pending_files,
        lambda: gw.link_bilby_job_to_gwflow("j", "S230101a", "u"),
        gw.get_gwflow_job_list,
        lambda: gw.get_gwflow_job("S230101a"),
        lambda: gw.download_gwflow_file("token", tmp_path / "out"),
        lambda: gw.save_gwflow_files("S230101a", tmp_path / "saved"),
        lambda: gw.mirror_gwflow_files(tmp_path),
    ]
    world.server.reset_requests()
    for call in calls:
        with pytest.raises(GWCloudError, match="needs the 2026 GWCloud service"):
            call()
    assert world.server.requests() == []
    assert not (tmp_path / "out").exists() and not (tmp_path / "saved").exists()

"""Every documented GWCloud method, as a user calls it, against the local server."""

from __future__ import annotations

import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from tests_e2e_support import endpoints

from gwcloud_python import (
    AuthenticationError,
    BilbyJob,
    EventID,
    ExternalFileDownloadException,
    FileReferenceList,
    GraphQLError,
    GWCloud,
    GWCloudAuthenticationError,
    GWCloudError,
    NotFoundError,
    TimeRange,
    ValidationError,
)
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e


def wait_until_completed(gw: GWCloud, job: BilbyJob, timeout: float = 30.0) -> BilbyJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = gw.get_job_by_id(job.job_id)
        if job.status is not None and job.status.status == "Completed":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job!r} did not complete: {job.status}")


def make_job_dir(root: Path, label: str = "upjob") -> Path:
    job = root / label
    for sub in ("data", "result", "results_page"):
        (job / sub).mkdir(parents=True)
    (job / f"{label}_config_complete.ini").write_text(f"label = {label}\n")
    (job / "data" / f"{label}_data.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"d" * 100)
    (job / "result" / f"{label}_result.json").write_text('{"posterior": []}')
    (job / "result" / f"{label}_corner.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"c" * 50)
    (job / "results_page" / "home.html").write_text("<html></html>")
    return job


# -- searching -------------------------------------------------------------------------------


def test_public_list_anonymous(connect: Any, demo: dict[str, Any]) -> None:
    jobs = connect().get_public_job_list()
    names = {j.name for j in jobs}
    assert {"GW150914", "GW170817", "GW151226"} <= names
    assert "demo-private" not in names and "GW190425-ligo" not in names
    assert all(isinstance(j, BilbyJob) for j in jobs)


def test_public_list_search_time_range_and_number(connect: Any) -> None:
    gw = connect()
    found = gw.get_public_job_list(search="GW170817", time_range=TimeRange.DAY)
    assert [j.name for j in found] == ["GW170817"]
    assert found[0].event_id is not None and found[0].event_id.event_id == "GW170817_124104"
    assert len(gw.get_public_job_list(number=2)) == 2
    assert gw.get_public_job_list(search="GW170817", time_range="1y")[0].name == "GW170817"
    with pytest.raises(ValidationError, match="'3d'"):
        gw.get_public_job_list(time_range="3d")


def test_official_list(connect: Any) -> None:
    gw = connect()
    official = gw.get_official_job_list()
    assert {"GW150914", "GW151226", "GW190521-external"} <= {j.name for j in official}
    assert all("Official" in gw.get_job_by_id(j.job_id).other["labels"] for j in official)
    assert [j.name for j in connect().get_official_job_list("GW151226")] == ["GW151226"]


def test_ligo_visibility(connect: Any) -> None:
    assert "GW190425-ligo" in {j.name for j in connect("ligo").get_public_job_list()}
    assert "GW190425-ligo" not in {j.name for j in connect("demo").get_public_job_list()}


def test_user_jobs_and_private_visibility(connect: Any, demo: dict[str, Any]) -> None:
    mine = connect("demo").get_user_jobs()
    assert "demo-private" in {j.name for j in mine}
    private_id = demo["jobs"]["demo-private"]
    assert connect("demo").get_job_by_id(private_id).name == "demo-private"
    # As in 1.x, a job you may not see is None; strict=True raises instead.
    assert connect("official").get_job_by_id(private_id) is None
    assert connect().get_job_by_id(private_id) is None
    with pytest.raises(NotFoundError):
        connect().get_job_by_id(private_id, strict=True)
    with pytest.raises(AuthenticationError):
        connect().get_user_jobs()


def test_get_job_by_id_accepts_integer_key(connect: Any, demo: dict[str, Any]) -> None:
    gw = connect()
    job = gw.get_job_by_id(demo["jobs"]["GW150914"])
    import base64

    pk = int(base64.b64decode(job.job_id).decode().split(":")[1])
    assert gw.get_job_by_id(pk) == job
    assert job.id == job.job_id
    assert repr(job) == f"BilbyJob(name='GW150914', job_id={job.job_id!r})"


# -- files -----------------------------------------------------------------------------------


def test_normal_job_files_round_trip(
    connect: Any, server: LocalServer, demo: dict[str, Any], tmp_path: Path
) -> None:
    gw = connect()
    job = gw.get_job_by_id(demo["jobs"]["GW150914"])
    assert job.is_normal() and not job.is_uploaded() and not job.is_external()
    full = job.get_full_file_list()
    assert isinstance(full, FileReferenceList) and len(full) >= 5
    default = job.get_default_file_list()
    assert {p.suffix for p in default.get_paths()} >= {".png", ".ini", ".html", ".json"}
    assert len(job.get_config_file_list()) == 1
    assert all(p.name.endswith("_corner.png") for p in job.get_corner_plot_file_list().get_paths())
    assert all(p.suffix == ".png" for p in job.get_png_file_list().get_paths())
    result_json = job.get_result_json_file_list().get_paths()
    assert len(result_json) == 1 and result_json[0].parts[0] == "result"
    for path, data in job.get_default_files():
        assert data == server.file_bytes(job.job_id, path.as_posix())
    saved = job.save_corner_plot_files(tmp_path)
    for target in saved:
        rel = target.relative_to(tmp_path).as_posix()
        assert target.read_bytes() == server.file_bytes(job.job_id, rel)


def test_uploaded_job_files_and_mixed_list(
    connect: Any, server: LocalServer, demo: dict[str, Any], tmp_path: Path
) -> None:
    gw = connect()
    uploaded = gw.get_job_by_id(demo["jobs"]["GW151226"])
    normal = gw.get_job_by_id(demo["jobs"]["GW170817"])
    assert uploaded.is_uploaded()
    mixed = uploaded.get_config_file_list() + normal.get_config_file_list()
    assert set(mixed.batched) == {uploaded.job_id, normal.job_id}
    results = gw.get_files_by_reference(mixed)
    assert [p for p, _ in results] == mixed.get_paths()
    for ref, (_, data) in zip(mixed, results, strict=True):
        assert data == server.file_bytes(ref.parent.job_id, ref.path.as_posix())
    written = gw.save_files_by_reference(mixed, tmp_path / "out")
    assert all(p.is_file() for p in written)


def test_external_job_files_refused(connect: Any, demo: dict[str, Any]) -> None:
    job = connect().get_job_by_id(demo["jobs"]["GW190521-external"])
    assert job.is_external()
    files = job.get_full_file_list()
    assert len(files) == 1 and files[0].url is not None and files[0].url.startswith("https://")
    with pytest.raises(ExternalFileDownloadException, match=r"example\.org"):
        connect().get_files_by_reference(files)


def test_register_custom_filter(connect: Any, demo: dict[str, Any], tmp_path: Path) -> None:
    def html_only(files: list[Any]) -> list[Any]:
        return [f for f in files if f.path.suffix == ".html"]

    BilbyJob.register_file_list_filter("html_pages", html_only)
    job = connect().get_job_by_id(demo["jobs"]["GW150914"])
    listed = job.get_html_pages_file_list()  # type: ignore[attr-defined]
    assert listed and all(p.suffix == ".html" for p in listed.get_paths())
    assert len(job.get_html_pages_files()) == len(listed)  # type: ignore[attr-defined]
    assert len(job.save_html_pages_files(tmp_path)) == len(listed)  # type: ignore[attr-defined]


# -- updating jobs ---------------------------------------------------------------------------


def test_job_updates(connect: Any, demo: dict[str, Any]) -> None:
    gw = connect("demo")
    job = gw.get_job_by_id(demo["jobs"]["demo-private"])
    job.set_name("demo-private-renamed")
    job.set_description("new words")
    job.set_event_id("GW150914_095045")
    again = gw.get_job_by_id(job.job_id)
    assert again.name == "demo-private-renamed" and again.description == "new words"
    assert again.event_id is not None and again.event_id.nickname == "GW150914"
    assert job.event_id == again.event_id
    job.set_event_id(None)
    assert gw.get_job_by_id(job.job_id).event_id is None and job.event_id is None
    job.set_name("demo-private")
    with pytest.raises(ValidationError):
        job.set_event_id("GW1234")
    other = connect("official").get_job_by_id(demo["jobs"]["GW150914"])
    with pytest.raises(AuthenticationError):
        connect().get_job_by_id(other.job_id).set_name("nope")
    with pytest.raises(GraphQLError):
        gw.get_job_by_id(other.job_id).set_name("not-mine")


# -- event IDs -------------------------------------------------------------------------------


def test_event_ids(connect: Any) -> None:
    admin = connect("admin")
    created = admin.create_event_id("GW200105_162426", 1262276684.0, "S200105ae", "GW200105")
    assert created == EventID("GW200105_162426", "S200105ae", "GW200105", False, 1262276684.0)
    updated = admin.update_event_id("GW200105_162426", nickname="NSBH")
    assert updated.nickname == "NSBH" and updated.trigger_id == "S200105ae"
    assert connect().get_event_id("GW200105_162426").nickname == "NSBH"
    assert "GW200105_162426" in {e.event_id for e in connect().get_all_event_ids()}
    with pytest.raises(GraphQLError):
        connect("demo").create_event_id("GW200115_042309", 1263097407.7)
    admin.delete_event_id("GW200105_162426")
    assert "GW200105_162426" not in {e.event_id for e in admin.get_all_event_ids()}
    assert admin.get_event_id("GW200105_162426") is None
    with pytest.raises(NotFoundError):
        admin.get_event_id("GW200105_162426", strict=True)
    assert "GW190425_081805" not in {e.event_id for e in connect().get_all_event_ids()}
    assert "GW190425_081805" in {e.event_id for e in connect("ligo").get_all_event_ids()}


# -- submitting and uploading ---------------------------------------------------------------


def test_submit_from_file_round_trip(connect: Any, server: LocalServer, tmp_path: Path) -> None:
    (tmp_path / "my.prior").write_text("chirp_mass = Uniform(25, 35)\n")
    (tmp_path / "h1.txt").write_text("10 1e-46\n")
    ini = tmp_path / "run.ini"
    ini.write_text(
        "label = roundtrip\ntrigger-time = 1126259462.391\nprior-file = my.prior\n"
        "psd-dict = {H1: h1.txt}\ndetectors = ['H1']\n"
    )
    gw = connect("demo")
    job = gw.start_bilby_job_from_file("roundtrip", "e2e round trip", True, ini, cluster="ozstar")
    assert job.name == "roundtrip" and job.other["private"] is True
    done = wait_until_completed(gw, job)
    saved = done.save_default_files(tmp_path / "out")
    assert saved
    for target in saved:
        rel = target.relative_to(tmp_path / "out").as_posix()
        assert target.read_bytes() == server.file_bytes(done.job_id, rel)
    assert done in gw.get_user_jobs()


def test_submit_from_string(connect: Any) -> None:
    job = connect("demo").start_bilby_job_from_string(
        "fromstring", "from a string", False, "label = fromstring\ndetectors = ['H1']\n"
    )
    assert job.name == "fromstring" and job.is_normal()


def test_upload_directory_and_archive(connect: Any, server: LocalServer, tmp_path: Path) -> None:
    gw = connect("demo")
    job_dir = make_job_dir(tmp_path, "updir")
    before = set(p.name for p in job_dir.iterdir())
    job = gw.upload_job_directory("uploaded from a directory", job_dir, public=True)
    assert job.is_uploaded() and job.name == "updir"
    assert set(p.name for p in job_dir.iterdir()) == before
    data = dict(job.get_result_json_files())
    assert data[Path("result/updir_result.json")] == b'{"posterior": []}'

    archive = tmp_path / "arch.tar.gz"
    job_dir2 = make_job_dir(tmp_path / "x", "uparch")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(job_dir2, arcname=".")
    job2 = gw.upload_job_archive("uploaded archive", archive)
    assert job2.is_uploaded() and job2.other["private"] is True
    assert job2 not in connect().get_public_job_list(search="uparch")


def test_upload_external(connect: Any) -> None:
    job = connect("demo").upload_external_job(
        "ext", "external results", False, "label = ext\n", "https://example.org/ext/"
    )
    assert job.is_external()
    with pytest.raises(ExternalFileDownloadException):
        connect().get_files_by_reference(job.get_full_file_list())


# -- authentication --------------------------------------------------------------------------


def test_wrong_token(server: LocalServer) -> None:
    token = "not-a-real-token-0123456789"
    with pytest.raises(GWCloudAuthenticationError) as info:
        GWCloud(token, **endpoints(server))
    assert token not in str(info.value) and token not in repr(info.value)


def test_profile_matches_server(connect: Any, server: LocalServer) -> None:
    gw = connect("demo")
    assert gw.service == server.service
    assert gw.endpoint == server.endpoint
    assert gw.file_download_url == server.file_download_url
    assert gw.job_file_download_url == server.job_file_download_url


def test_expired_jwt_and_refresh_token_recover(connect: Any, server: LocalServer) -> None:
    gw = connect("demo")
    if server.service == "2026":
        # The session token is sent as is: nothing to refresh, nothing expires client-side.
        server.reset_requests()
        server.expire_jwts()
        assert gw.get_user_jobs(number=1)
        # on the announced schema, a new client falls back once to the query without the flag
        fallback = ["BilbyJobsNoLigoFlag"] if server.schema == "2026-next" else []
        assert [r["operation"] for r in server.requests()] == ["BilbyJobs", *fallback]
        return
    assert gw.get_user_jobs(number=1)
    server.reset_requests()
    server.expire_jwts()
    assert gw.get_user_jobs(number=1)
    ops = [r["operation"] for r in server.requests()]
    assert ops == ["BilbyJobs", "RefreshToken", "BilbyJobs"]
    server.expire_jwts()
    server.expire_refresh_tokens()
    server.reset_requests()
    assert gw.get_user_jobs(number=1)
    ops = [r["operation"] for r in server.requests()]
    assert ops == ["BilbyJobs", "RefreshToken", "JwtToken", "BilbyJobs"]


def make_hdf5(path: Path) -> Path:
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 40)
    return path


def test_upload_hdf5_job(connect: Any, server: LocalServer, tmp_path: Path) -> None:
    hdf5 = make_hdf5(tmp_path / "run_result.hdf5")
    ini = tmp_path / "run.ini"
    ini.write_text("label = hdf5run\n")
    gw = connect("demo")
    if server.schema == "2023":
        with pytest.raises(GWCloudError, match="2026"):
            gw.upload_hdf5_job("hdf5 upload", hdf5, ini)
        return
    job = gw.upload_hdf5_job("hdf5 upload", hdf5, ini, public=True)
    assert job.is_uploaded() and job.name == "hdf5run"
    data = dict(job.get_full_file_list().batched)
    assert job.job_id in data
    contents = dict(gw.get_files_by_reference(job.get_full_file_list()))
    assert contents[Path("result/hdf5run_result.hdf5")] == hdf5.read_bytes()


def test_upload_hdf5_job_checks_files_first(
    connect: Any, tmp_path: Path, server: LocalServer
) -> None:
    gw = connect("demo")
    server.reset_requests()
    not_hdf5 = tmp_path / "x.hdf5"
    not_hdf5.write_bytes(b"plain text")
    ini = tmp_path / "x.ini"
    ini.write_text("label = x\n")
    with pytest.raises(ValidationError, match="not an HDF5 file"):
        gw.upload_hdf5_job("d", not_hdf5, ini)
    with pytest.raises(ValidationError, match=r"missing\.ini"):
        gw.upload_hdf5_job("d", make_hdf5(tmp_path / "y.hdf5"), tmp_path / "missing.ini")
    assert server.requests() == []


def test_progress_callback_and_no_bars(
    connect: Any, server: LocalServer, demo: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    seen: list[tuple[int, int]] = []
    gw = connect("demo", progress_callback=lambda done, total: seen.append((done, total)))
    job_dir = make_job_dir(tmp_path, "progress")
    archive = tmp_path / "progress.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(job_dir, arcname=".")
    gw.upload_job_archive("with progress", archive)
    size = archive.stat().st_size
    assert seen and seen[-1] == (size, size)
    seen.clear()
    job = gw.get_job_by_id(demo["jobs"]["GW150914"])
    files = job.get_default_file_list()
    job.save_default_files(tmp_path / "out")
    assert seen[-1] == (files.get_total_bytes(), files.get_total_bytes())
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""

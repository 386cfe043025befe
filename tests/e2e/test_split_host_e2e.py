"""Split-host downloads: normal-job files from the job controller's host, by default.

The public service answers GraphQL and uploaded-job files on ``gwcloud.org.au`` but
serves normal-job files from its job controller, another host.  The client finds that
host in ``gwcloud_python._profiles.JOB_CONTROLLERS`` (keyed by the service's origin).
Here the local server runs a second listener that serves only ``/job/apiv1/file/`` (and
the main listener refuses that route), and the table maps the local server's origin to
it, so the default mapping is exercised end to end, with no download URL override.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests_e2e_support import endpoints

from gwcloud_python import GWCloud, GWCloudError, _profiles
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

NORMAL = "/job/apiv1/file/"


@pytest.fixture(scope="module", params=["2023", "2026"])
def split(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalServer, dict[str, Any]]]:
    """A server whose normal-job files come from a second listener, and its demo data."""
    server = LocalServer(
        tmp_path_factory.mktemp(f"split-{request.param}"),
        job_duration=0.3,
        schema=request.param,
        split_job_controller=True,
    )
    with server:
        yield server, server.seed_demo()


def _uploaded_route(server: LocalServer) -> str:
    return "/file_download/" if server.schema == "2026" else "/bilby/file_download/"


def _download(gw: GWCloud, job_id: str, dest: Path) -> dict[str, bytes]:
    job = gw.get_job_by_id(job_id)
    assert job is not None
    refs = job.get_full_file_list()
    saved = gw.save_files_by_reference(refs, dest)
    assert len(saved) == len(refs) > 0
    return {Path(p).relative_to(dest).as_posix(): Path(p).read_bytes() for p in saved}


def test_listeners_are_split(split: tuple[LocalServer, dict[str, Any]]) -> None:
    server, _ = split
    assert server.job_controller_url != server.base_url
    assert server.job_file_download_url == server.job_controller_url + NORMAL
    refused = httpx.get(f"{server.base_url}{NORMAL}", params={"fileId": "x"})
    assert refused.status_code == 404 and "job controller" in refused.text
    # the job controller serves nothing but normal-job files
    assert httpx.post(f"{server.job_controller_url}/graphql", json={}).status_code == 404
    assert httpx.get(f"{server.job_controller_url}{_uploaded_route(server)}").status_code == 404
    unknown = httpx.get(f"{server.job_controller_url}{NORMAL}", params={"fileId": "x"})
    assert unknown.status_code == 404 and "job controller" not in unknown.text


def test_default_client_uses_the_job_controller_table(
    split: tuple[LocalServer, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, demo = split
    monkeypatch.setitem(_profiles.JOB_CONTROLLERS, server.base_url, server.job_controller_url)
    with GWCloud("", progress=False, **endpoints(server)) as gw:  # no download URL override
        assert gw.job_file_download_url == server.job_controller_url + NORMAL
        assert gw.file_download_url == server.base_url + _uploaded_route(server)
        server.reset_requests()
        normal_id = demo["jobs"]["GW150914"]
        normal = _download(gw, normal_id, tmp_path / "normal")
        uploaded_id = demo["jobs"]["GW151226"]
        uploaded = _download(gw, uploaded_id, tmp_path / "uploaded")
    for path, content in normal.items():
        assert content == server.file_bytes(normal_id, path)
    for path, content in uploaded.items():
        assert content == server.file_bytes(uploaded_id, path)
    gets = [r["path"] for r in server.requests() if r["method"] == "GET"]
    # each normal-job file came through the job-controller route (which only the second
    # listener serves) and each uploaded-job file through the main listener's route
    assert gets.count(NORMAL) == len(normal)
    assert gets.count(_uploaded_route(server)) == len(uploaded)
    assert all(r["status"] in (200, 206) for r in server.requests() if r["method"] == "GET")


def test_without_an_entry_normal_files_are_fetched_from_the_main_host(
    split: tuple[LocalServer, dict[str, Any]], tmp_path: Path
) -> None:
    """The control: an origin not in the table keeps both routes on its own host."""
    server, demo = split
    assert server.base_url not in _profiles.JOB_CONTROLLERS
    with GWCloud("", progress=False, **endpoints(server)) as gw:
        assert gw.job_file_download_url == server.base_url + NORMAL
        job = gw.get_job_by_id(demo["jobs"]["GW150914"])
        assert job is not None
        with pytest.raises(GWCloudError):  # the main listener refuses the route here
            gw.save_files_by_reference(job.get_full_file_list()[:1], tmp_path)
        uploaded = gw.get_job_by_id(demo["jobs"]["GW151226"])
        assert uploaded is not None
        assert gw.save_files_by_reference(uploaded.get_full_file_list()[:1], tmp_path)

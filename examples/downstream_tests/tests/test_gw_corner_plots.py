"""Tests of gw_corner_plots against a local GWCloud server, through the gwcloud fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from gw_corner_plots import official_job_names, save_official_corner_plots

CORNER = b"\x89PNG corner plot"


def test_saves_the_corner_plots_of_official_jobs(gwcloud_server, gwcloud_client, tmp_path):
    gwcloud_server.create_bilby_job(
        "GW150914_prod",
        {"result/GW150914_corner.png": CORNER, "result/GW150914_result.json": b"{}"},
        labels=["Official"],
    )
    gwcloud_server.create_bilby_job("GW150914_test", {"result/x_corner.png": b"not official"})

    saved = save_official_corner_plots(gwcloud_client, "GW150914", tmp_path)

    assert list(saved) == ["GW150914_prod"]
    [plot] = saved["GW150914_prod"]
    assert plot == tmp_path / "GW150914_prod" / "result" / "GW150914_corner.png"
    assert plot.read_bytes() == CORNER


def test_each_test_starts_with_an_empty_server(gwcloud_client):
    # the jobs made by the test above are gone
    assert official_job_names(gwcloud_client) == []
    with pytest.raises(LookupError):
        save_official_corner_plots(gwcloud_client, "GW150914", Path("unused"))


def test_private_jobs_need_their_owner(gwcloud_server, gwcloud_client, gwcloud_client_for):
    token = gwcloud_server.add_user("alice")
    job_id = gwcloud_server.create_bilby_job(
        "alice_run", {"result/a_corner.png": CORNER}, private=True, owner="alice"
    )

    assert gwcloud_client.get_job_by_id(job_id) is None
    alice = gwcloud_client_for(token)
    assert alice.get_job_by_id(job_id, strict=True).name == "alice_run"


def test_survives_a_flaky_service(gwcloud_server, gwcloud_client, tmp_path):
    gwcloud_server.create_bilby_job(
        "GW150914_prod", {"result/GW150914_corner.png": CORNER * 1000}, labels=["Official"]
    )

    # two 503 answers to the search, then the download cut after 1 KiB: the client
    # retries, resumes, and the saved plot is whole
    with (
        gwcloud_server.faults("5xx", times=2, match="PublicBilbyJobs"),
        gwcloud_server.faults("drop", match="/job/apiv1/file/", after_bytes=1024),
    ):
        saved = save_official_corner_plots(gwcloud_client, "GW150914", tmp_path)

    assert saved["GW150914_prod"][0].read_bytes() == CORNER * 1000
    statuses = [entry["status"] for entry in gwcloud_server.requests()]
    assert statuses.count(503) == 2

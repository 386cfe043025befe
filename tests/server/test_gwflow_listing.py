"""GWFlow listing, search, seeding, CLI and direct creation on the local server (2026)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gwflow_helpers import (
    DENIED,
    PENDING,
    download,
    entry,
    errors,
    job,
    listing,
    md5,
    new_sname,
    post,
    snames,
    upload,
    upserted,
)

from gwcloud_python.server import LocalServer
from gwcloud_python.server.auth import add_user
from gwcloud_python.server.db import Database
from gwcloud_python.server.gwflow import create_gwflow_job
from gwcloud_python.server.ids import encode_cursor
from gwcloud_python.server.state import ServerConfig, ServerState


@pytest.fixture(scope="module")
def gl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A 2026 server without demo data."""
    server = LocalServer(tmp_path_factory.mktemp("gwflow-list"), schema="2026")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def users(gl: LocalServer) -> dict[str, str]:
    """Tokens: a LIGO ingest user, a LIGO reader and a normal user."""
    return {
        "ingest": gl.add_user("listing-ingest", ligo=True, gwflow_ingest=True),
        "ligo": gl.add_user("reader", ligo=True),
        "normal": gl.add_user("normal"),
    }


def _metadata(software: str, waveform: str, gracedb: str) -> str:
    return json.dumps(
        {
            "ParameterEstimation": {
                "results": [
                    {
                        "uid": f"{software}-run",
                        "inference_software": software,
                        "waveform_approximant": waveform,
                        "analysts": [{"name": "Ann Alyst"}],
                    }
                ]
            },
            "GraceDB": {"Events": [{"uid": gracedb}], "instruments": "H1,L1,V1"},
        }
    )


@pytest.fixture(scope="module")
def searchable(gl: LocalServer, users: dict[str, str]) -> dict[str, str]:
    """Three jobs tagged ``filt``: public bilby, LIGO-only rift, public pruned."""
    one, two, three = new_sname("S2306"), new_sname("S2401"), new_sname("S2402")
    ingest = users["ingest"]
    upserted(
        gl,
        ingest,
        sname=one,
        libraries=["filt", "lib-one"],
        ligoOnly=False,
        schemaVersion="v1",
        metadata=_metadata("bilby", "IMRPhenomXPHM", "G111111"),
    )
    upserted(
        gl,
        ingest,
        sname=two,
        libraries=["filt", "lib-two"],
        metadata=_metadata("rift", "SEOBNRv5PHM", "G222222"),
    )
    upserted(gl, ingest, sname=three, libraries=["filt"], ligoOnly=False, isPruned=True)
    return {"one": one, "two": two, "three": three}


def test_paging_quirks_with_45_jobs(gl: LocalServer, users: dict[str, str]) -> None:
    made = [new_sname("S45") for _ in range(45)]
    for sname in made:
        upserted(gl, users["ingest"], sname=sname, libraries=["page45"])
    newest_first = made[::-1]
    search = "libraries:page45"
    # without `first`: 21 jobs, hasNextPage false
    whole = listing(gl, users["ligo"], search=search)
    assert snames(whole) == newest_first[:21]
    assert whole["pageInfo"]["hasNextPage"] is False
    assert [e["cursor"] for e in whole["edges"]] == [encode_cursor(i) for i in range(21)]
    # `count` and `cursor` are ignored
    assert listing(gl, users["ligo"], search=search, count=5, cursor="abc") == whole
    # with `first`: 20, 20 and 6 edges; page 2 repeats the last job of page 1
    pages, after = [], None
    while True:
        page = listing(gl, users["ligo"], search=search, first=20, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(p["edges"]) for p in pages] == [20, 20, 6]
    assert pages[0]["pageInfo"]["endCursor"] == encode_cursor(19)
    assert pages[1]["pageInfo"]["endCursor"] == encode_cursor(39)
    assert snames(pages[1])[0] == snames(pages[0])[-1]
    assert snames(pages[2])[0] != snames(pages[1])[-1]
    seen = [s for p in pages for s in snames(p)]
    assert len(seen) == 46 and len(set(seen)) == 45 and set(seen) == set(made)
    # a malformed cursor is the first page
    assert snames(listing(gl, users["ligo"], search=search, first=20, after="%%%")) == snames(
        pages[0]
    )
    # LIGO-only by default: nobody else sees them
    assert listing(gl, None, search=search)["edges"] == []
    assert listing(gl, users["normal"], search=search)["edges"] == []
    # the last update orders the list: an upsert moves a job to the top
    upserted(gl, users["ingest"], sname=made[0])
    assert snames(listing(gl, users["ligo"], search=search, first=1)) == [made[0]]


def test_visibility_and_pruned_filters(
    gl: LocalServer, users: dict[str, str], searchable: dict[str, str]
) -> None:
    one, two, three = searchable["one"], searchable["two"], searchable["three"]
    assert set(snames(listing(gl, None, search="libraries:filt"))) == {one}
    assert set(snames(listing(gl, users["normal"], search="libraries:filt"))) == {one}
    assert set(snames(listing(gl, users["ligo"], search="libraries:filt"))) == {one, two}
    every = listing(gl, users["ligo"], search="libraries:filt", includePruned=True)
    assert set(snames(every)) == {one, two, three}
    assert listing(gl, users["ligo"], search="libraries:filt _private_info_")["edges"] == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("analyses.software:bilby AND analyses.waveform:IMRPhenomXPHM", {"one"}),
        ("sname:S2306*", {"one"}),
        ("sname:s2306*", {"one"}),
        ("libraries:lib-one OR libraries:lib-two", {"one", "two"}),
        ("libraries:(lib-one OR lib-two)", {"one", "two"}),
        ("(libraries:lib-one OR libraries:lib-two) AND analyses.software:rift", {"two"}),
        ("libraries:filt AND NOT analyses.software:bilby", {"two"}),
        ("libraries:filt AND -analyses.software:rift", {"one"}),
        ("rift", {"two"}),
        ("gracedb.uids:G111111", {"one"}),
        ("gracedb.instruments:V1 AND libraries:filt", {"one", "two"}),
        ('analyses.analysts:"ann alyst" AND schemaVersion:v1', {"one"}),
        ("user.name:listing-ingest AND libraries:filt", {"one", "two"}),
        ("analyses.*:SEOBNRv5PHM", {"two"}),
        ("unknownfield:bilby", set()),
        ("libraries:nothing-here", set()),
        ("libraries:filt AND *", {"one", "two"}),
        ("libraries:fil?", {"one", "two"}),
        ("libraries:[fi*", set()),
    ],
)
def test_search_syntax(
    gl: LocalServer,
    users: dict[str, str],
    searchable: dict[str, str],
    search: str,
    expected: set[str],
) -> None:
    found = set(snames(listing(gl, users["ligo"], search=search)))
    mine = {key for key, sname in searchable.items() if sname in found}
    assert mine == expected


@pytest.mark.parametrize("search", ["(", "libraries:filt AND", "sname:", '"open', "a)", "()"])
def test_malformed_search_is_an_error(gl: LocalServer, search: str) -> None:
    body = post(
        gl, "query($s: String) { gwflowJobs(search: $s) { edges { cursor } } }", {"s": search}
    )
    assert body["data"]["gwflowJobs"] is None
    assert errors(body) == [
        "BadRequestError(400, 'search_phase_execution_exception', "
        f"'Failed to parse query [{search}]')"
    ]


def test_time_range(gl: LocalServer, users: dict[str, str], searchable: dict[str, str]) -> None:
    old = new_sname("S1990")
    upserted(gl, users["ingest"], sname=old, libraries=["filt-time"])
    with sqlite3.connect(gl.data_dir / "gwcloud.sqlite3", timeout=10) as conn:
        conn.execute(
            "UPDATE gwflow_jobs SET last_updated = ? WHERE sname = ?",
            (time.time() - 40 * 86400, old),
        )
    search = "libraries:filt-time OR libraries:lib-one"
    fresh = searchable["one"]
    for time_range, expected in [
        ("all", {old, fresh}),
        ("1d", {fresh}),
        ("1w", {fresh}),
        ("1m", {fresh}),
        ("1y", {old, fresh}),
        ("bogus", {old, fresh}),
    ]:
        got = set(snames(listing(gl, users["ligo"], search=search, timeRange=time_range)))
        assert got == expected, time_range


# -- seeding, CLI and direct creation ------------------------------------------------------------
def test_demo_seed_has_an_ingest_user_and_gwflow_jobs(tmp_path: Path) -> None:
    with LocalServer(tmp_path / "data", schema="2026") as server:
        demo = server.seed_demo()
        ingest = demo["users"]["gwflow-ingest"]
        assert set(demo["gwflow_jobs"]) >= {"S230518h", "S230529ay"}
        public = listing(server, None)
        assert snames(public) == ["S230518h"]
        assert len(snames(listing(server, demo["users"]["ligo"]))) == 3  # one of 4 is pruned
        pending = post(server, PENDING, token=ingest)["data"]["gwflowPendingFiles"]
        assert pending and all(p["md5Sum"] == "0" * 32 for p in pending)
        assert errors(post(server, PENDING, token=demo["users"]["ligo"])) == [DENIED]
        value = job(server, "S230518h", None)
        assert value is not None
        uploaded = [f for f in value["files"] if f["uploaded"]]
        assert uploaded and download(server, uploaded[0]["downloadToken"]).status_code == 200
        again = server.seed_demo()  # seeding twice keeps the jobs
        assert again["gwflow_jobs"] == demo["gwflow_jobs"]


def test_create_gwflow_job_and_cli_ingest_user(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    state = ServerState.open(ServerConfig(data_dir=data_dir))
    try:
        add_user(state, "owner")
        made = create_gwflow_job(
            state,
            "S250101a",
            files=[
                {"analysis_uid": "", "path": "top.json", "file_name": "top.json", "data": b"{}"},
                {"analysis_uid": "pe", "path": "p/r.h5", "file_name": "r.h5", "data": None},
            ],
            ligo_only=False,
            metadata={"ParameterEstimation": {"results": [{"uid": "pe", "software": "bilby"}]}},
            libraries=["lib"],
            event_id=None,
            owner="owner",
        )
        assert made["sname"] == "S250101a"
        assert made["id"].startswith("R1dGbG93Sm9i")  # base64 "GWFlowJob:"
        assert [f["path"] for f in made["files"]] == ["top.json", "p/r.h5"]
        assert all(
            set(f) == {"id", "download_token", "path", "analysis_uid"} for f in made["files"]
        )
        with pytest.raises(ValueError, match="already exists"):
            create_gwflow_job(state, "S250101a", files=[])
        with pytest.raises(ValueError, match="64"):
            create_gwflow_job(state, "S" * 65, files=[])
        with pytest.raises(ValueError, match="no user"):
            create_gwflow_job(state, "S250101b", files=[], owner="ghost")
    finally:
        state.db.close()
    command = [sys.executable, "-m", "gwcloud_python.server", "add-user", "ing", "--gwflow-ingest"]
    done = subprocess.run(
        [*command, "--data-dir", str(data_dir)], capture_output=True, text=True, check=True
    )
    token = done.stdout.strip()
    stale = data_dir / "gwflow" / "1" / "999.part"  # an upload a killed server left
    stale.write_bytes(b"half")
    with LocalServer(data_dir, schema="2026") as server:
        assert not stale.exists()
        pending = post(server, PENDING, token=token)["data"]["gwflowPendingFiles"]
        assert [(p["sname"], p["path"]) for p in pending] == [("S250101a", "p/r.h5")]
        got = download(server, made["files"][0]["download_token"])
        assert got.status_code == 200 and got.content == b"{}"
        assert upload(server, token, made["files"][1]["id"], b"h5").get("errors") is None
        assert download(server, made["files"][1]["download_token"]).content == b"h5"
        found = snames(listing(server, None, search="analyses.software:bilby"))
        assert found == ["S250101a"]


def test_old_data_directory_gains_the_gwflow_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, "
            "api_token TEXT UNIQUE NOT NULL, is_ligo INTEGER NOT NULL DEFAULT 0, "
            "is_event_admin INTEGER NOT NULL DEFAULT 0)"
        )
        conn.execute("INSERT INTO users (username, api_token) VALUES ('old', 'x')")
    db = Database(path)
    try:
        row = db.one("SELECT is_gwflow_ingest FROM users WHERE username = 'old'")
        assert row is not None and row["is_gwflow_ingest"] == 0
        columns = {r["name"] for r in db.query("PRAGMA table_info(jobs)")}
        assert {"gwflow_job_id", "gwflow_analysis_uid"} <= columns
    finally:
        db.close()


def test_upload_answers_md5_of_the_registered_value(gl: LocalServer, users: dict[str, str]) -> None:
    sname = new_sname()
    data = b"payload"
    made = upserted(gl, users["ingest"], sname=sname, files=[entry("f", md5_sum=md5(data))])
    body = upload(gl, users["ingest"], made["filesPending"][0]["id"], data)
    assert body["data"]["uploadGwflowFile"]["result"] == {"success": True, "fileSize": 7}
    response = httpx.get(gl.file_download_url, params={"fileId": "x"}, timeout=10)
    assert response.status_code == 404

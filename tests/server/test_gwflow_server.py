"""GWFlow on the local server (2026 schema), over real HTTP: permissions, upsert, uploads."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gwflow_helpers import (
    BY_ID,
    DENIED,
    LINK,
    LOGIN,
    PENDING,
    UPLOAD,
    download,
    entry,
    errors,
    job,
    md5,
    new_sname,
    node_id,
    pk_of,
    post,
    upload,
    upload_response,
    upsert,
    upserted,
)

from gwcloud_python.server import LocalServer

LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A 2026 server with the demo data and a 256 KiB upload limit."""
    server = LocalServer(
        tmp_path_factory.mktemp("gwflow"), schema="2026", job_duration=0.3, max_upload_bytes=LIMIT
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def demo(gw: LocalServer) -> dict[str, Any]:
    """The demo data set."""
    return gw.seed_demo()


@pytest.fixture(scope="module")
def tok(gw: LocalServer, demo: dict[str, Any]) -> dict[str, str]:
    """API tokens: the demo users, ``ingest`` (LIGO) and ``plain_ingest`` (not LIGO)."""
    users: dict[str, str] = dict(demo["users"])
    users["ingest"] = users["gwflow-ingest"]
    users["plain_ingest"] = gw.add_user("plain-ingest", gwflow_ingest=True)
    return users


def _file_ids(result: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["id"] for f in result["filesPending"]}


def _files(gw: LocalServer, sname: str, token: str) -> dict[str, dict[str, Any]]:
    value = job(gw, sname, token)
    assert value is not None
    return {f["path"]: f for f in value["files"]}


# -- who may call what ---------------------------------------------------------------------
def test_ingest_operations_refuse_anonymous_and_normal_users(
    gw: LocalServer, tok: dict[str, str]
) -> None:
    sname = new_sname()
    for token in (None, tok["demo"], tok["ligo"], tok["admin"]):
        assert errors(upsert(gw, token, sname=sname, files=[entry("a")])) == [DENIED]
    assert job(gw, sname, tok["ingest"]) is None  # nothing was created
    made = upserted(gw, tok["ingest"], sname=sname, files=[entry("a", md5_sum=md5(b"x"))])
    file_id = made["filesPending"][0]["id"]
    for token in (None, tok["demo"], tok["ligo"]):
        assert errors(upload(gw, token, file_id, b"x")) == [DENIED]
        body = post(
            gw, LINK, {"jobId": node_id("BilbyJobNode", 1), "sname": sname, "uid": "u"}, token
        )
        assert errors(body) == [DENIED]
    assert _files(gw, sname, tok["ingest"])["a"]["uploaded"] is False
    # pending files: login first (graphql_jwt's message), then the ingest check
    assert errors(post(gw, PENDING)) == [LOGIN]
    assert errors(post(gw, PENDING, token=tok["demo"])) == [DENIED]
    assert errors(post(gw, PENDING, token="not-a-token")) == [LOGIN]
    assert post(gw, PENDING, token=tok["plain_ingest"]).get("errors") is None


# -- upsert ------------------------------------------------------------------------------------
def test_upsert_creates_with_defaults_and_is_idempotent(
    gw: LocalServer, tok: dict[str, str]
) -> None:
    sname = new_sname()
    first = upserted(gw, tok["ingest"], sname=sname)
    assert first["created"] is True and first["sname"] == sname
    pk = pk_of(first["gwflowJobId"])
    assert first["gwflowJobId"] == node_id("GWFlowJobNode", pk)
    assert first["filesPending"] == [] and first["removedFiles"] == []
    value = job(gw, sname, tok["ingest"])
    assert value is not None
    assert value["id"] == node_id("GWFlowJob", pk)
    assert value["ligoOnly"] is True and value["isPruned"] is False
    assert value["libraries"] == "[]" and value["schemaVersion"] == ""
    assert value["currentHistoryId"] == "" and value["currentHistoryTimestamp"] is None
    assert value["user"] == "gwflow-ingest" and isinstance(value["userId"], int)
    assert value["lastUpdated"].endswith(" UTC") and len(value["lastUpdated"]) == 23
    assert value["creationTime"].endswith("+00:00") and value["eventId"] is None
    again = upserted(gw, tok["ingest"], sname=sname)
    assert again["created"] is False and again["gwflowJobId"] == first["gwflowJobId"]
    # the upsert's id is not a node id of the schema
    body = post(gw, BY_ID, {"id": first["gwflowJobId"]})
    assert errors(body) == ['Relay Node "GWFlowJobNode" not found in schema']


def test_upsert_updates_only_non_null_fields(gw: LocalServer, tok: dict[str, str]) -> None:
    sname = new_sname()
    upserted(
        gw,
        tok["ingest"],
        sname=sname,
        schemaVersion="v2",
        libraries=["cbc-a", "cbc-b"],
        currentHistoryId="abc123",
        currentHistoryTimestamp="2026-01-01T10:00:00Z",
        isPruned=True,
        ligoOnly=False,
    )
    value = job(gw, sname, None)
    assert value is None  # pruned: hidden by sname
    upserted(gw, tok["ingest"], sname=sname, isPruned=False, schemaVersion=None, libraries=None)
    value = job(gw, sname, None)  # public now: anonymous sees it
    assert value is not None
    assert value["schemaVersion"] == "v2" and value["libraries"] == '["cbc-a", "cbc-b"]'
    assert value["currentHistoryId"] == "abc123"
    assert value["currentHistoryTimestamp"] == "2026-01-01T10:00:00+00:00"
    upserted(
        gw,
        tok["ingest"],
        sname=sname,
        schemaVersion="",
        libraries=[],
        currentHistoryTimestamp="2026-02-03T04:05:06",  # naive: UTC
    )
    value = job(gw, sname, None)
    assert value is not None
    assert value["schemaVersion"] == "" and value["libraries"] == "[]"
    assert value["currentHistoryId"] == "abc123"
    assert value["currentHistoryTimestamp"] == "2026-02-03T04:05:06+00:00"
    upserted(gw, tok["ingest"], sname=sname, currentHistoryTimestamp="2026-02-03T14:05:06+10:00")
    value = job(gw, sname, None)
    assert value is not None and value["currentHistoryTimestamp"] == "2026-02-03T04:05:06+00:00"


def test_upsert_links_events_by_trigger_or_event_id(gw: LocalServer, tok: dict[str, str]) -> None:
    sname = new_sname()
    upserted(gw, tok["ingest"], sname=sname, eventId="S150914a")
    value = job(gw, sname, tok["ingest"])
    assert value is not None and value["eventId"]["eventId"] == "GW150914_095045"
    for other in ("S999999zz", ""):  # unknown or empty: the old link stays
        upserted(gw, tok["ingest"], sname=sname, eventId=other)
        value = job(gw, sname, tok["ingest"])
        assert value is not None and value["eventId"]["triggerId"] == "S150914a"
    upserted(gw, tok["ingest"], sname=sname, eventId="GW170817_124104")
    value = job(gw, sname, tok["ingest"])
    assert value is not None and value["eventId"]["nickname"] == "GW170817"
    body = post(
        gw,
        '{ eventId(eventId: "GW170817_124104") { gwflowjobSet { edges { node { sname } } } } }',
        token=tok["ligo"],
    )
    edges = body["data"]["eventId"]["gwflowjobSet"]["edges"]
    assert sname in {e["node"]["sname"] for e in edges}
    anonymous = post(
        gw, '{ eventId(eventId: "GW170817_124104") { gwflowjobSet { edges { node { sname } } } } }'
    )
    assert sname not in {
        e["node"]["sname"] for e in anonymous["data"]["eventId"]["gwflowjobSet"]["edges"]
    }


def test_manifest_rules(gw: LocalServer, tok: dict[str, str]) -> None:
    sname, ingest = new_sname(), tok["ingest"]
    a, b = b"alpha" * 100, b"beta" * 100
    made = upserted(
        gw,
        ingest,
        sname=sname,
        files=[entry("p/b", "u1", md5(b), 400), entry("p/a", "u1", md5(a)), entry("top", "")],
    )
    # pending, ordered by (analysisUid, path)
    assert [(f["analysisUid"], f["path"]) for f in made["filesPending"]] == [
        ("", "top"),
        ("u1", "p/a"),
        ("u1", "p/b"),
    ]
    assert made["filesPending"][1]["md5Sum"] == md5(a) and made["filesPending"][0]["md5Sum"] == ""
    files = _files(gw, sname, ingest)
    assert files["p/b"]["fileSize"] == 400 and files["p/a"]["fileSize"] is None
    tokens = {path: f["downloadToken"] for path, f in files.items()}
    ids = _file_ids(made)
    assert upload(gw, ingest, ids["p/a"], a)["data"]["uploadGwflowFile"]["result"] == {
        "success": True,
        "fileSize": len(a),
    }
    assert upload(gw, ingest, ids["p/b"], b).get("errors") is None
    # same or empty md5: name and (given) size updated, uploaded left alone
    again = upserted(
        gw,
        ingest,
        sname=sname,
        files=[
            {**entry("p/a", "u1", ""), "fileName": "renamed.txt", "fileSize": 7},
            entry("p/b", "u1", md5(b)),
            entry("top"),
        ],
    )
    assert [f["path"] for f in again["filesPending"]] == ["top"]
    files = _files(gw, sname, ingest)
    assert files["p/a"]["fileName"] == "renamed.txt" and files["p/a"]["fileSize"] == 7
    assert files["p/a"]["uploaded"] and files["p/b"]["fileSize"] == len(b)
    # a different md5: pending again, size replaced even by null, old bytes answer 404
    changed = upserted(
        gw,
        ingest,
        sname=sname,
        files=[entry("p/a", "u1", md5(b"new")), entry("p/b", "u1"), entry("top")],
    )
    assert [(f["analysisUid"], f["path"]) for f in changed["filesPending"]] == [
        ("", "top"),
        ("u1", "p/a"),
    ]
    files = _files(gw, sname, ingest)
    assert files["p/a"]["uploaded"] is False and files["p/a"]["fileSize"] is None
    assert files["p/a"]["fileName"] == "a"
    assert {path: f["downloadToken"] for path, f in files.items()} == tokens  # tokens survive
    assert download(gw, tokens["p/a"], ingest).status_code == 404
    assert download(gw, tokens["p/b"], ingest).content == b
    # duplicates in one manifest: later entries update the row the earlier ones made
    dup = upserted(
        gw,
        ingest,
        sname=sname,
        files=[
            entry("p/a", "u1"),
            entry("p/b", "u1"),
            entry("top"),
            {**entry("top"), "fileName": "last"},
        ],
    )
    assert [f["fileName"] for f in dup["filesPending"] if f["path"] == "top"] == ["last"]
    # omitted files: nothing touched ("prune only")
    upserted(gw, ingest, sname=sname, isPruned=False)
    assert len(_files(gw, sname, ingest)) == 3
    # reconcile: rows not in the manifest are deleted with their bytes
    job_pk = pk_of(made["gwflowJobId"])
    b_pk = pk_of(ids["p/b"])
    stored = gw.data_dir / "gwflow" / str(job_pk) / str(b_pk)
    assert stored.read_bytes() == b
    kept = upserted(gw, ingest, sname=sname, files=[entry("p/a", "u1")])
    assert sorted((f["path"], f["md5Sum"]) for f in kept["removedFiles"]) == [
        ("p/b", md5(b)),
        ("top", ""),
    ]
    assert {f["id"] for f in kept["removedFiles"]} == {ids["p/b"], ids["top"]}
    assert not stored.exists()
    assert download(gw, tokens["p/b"], ingest).status_code == 404
    # re-adding a dropped file makes a new row and token
    back = upserted(gw, ingest, sname=sname, files=[entry("p/a", "u1"), entry("p/b", "u1")])
    assert _files(gw, sname, ingest)["p/b"]["downloadToken"] != tokens["p/b"]
    assert _file_ids(back)["p/b"] != ids["p/b"]
    # files: [] removes everything
    empty = upserted(gw, ingest, sname=sname, files=[])
    assert len(empty["removedFiles"]) == 2 and _files(gw, sname, ingest) == {}


def test_bad_metadata_answers_after_the_commit(gw: LocalServer, tok: dict[str, str]) -> None:
    sname = new_sname()
    body = upsert(
        gw,
        tok["ingest"],
        sname=sname,
        metadata="{not json",
        files=[entry("f1")],
        schemaVersion="v1",
    )
    assert errors(body) == ["Invalid metadata JSON"]
    value = job(gw, sname, tok["ingest"])
    assert value is not None and value["schemaVersion"] == "v1"
    assert [f["path"] for f in value["files"]] == ["f1"]
    # a JSON value that is not an object is accepted
    assert upsert(gw, tok["ingest"], sname=sname, metadata="[1, 2]").get("errors") is None
    # empty metadata is not parsed
    assert upsert(gw, tok["ingest"], sname=sname, metadata="").get("errors") is None


@pytest.mark.parametrize(
    ("params", "column"),
    [
        ({"schemaVersion": "123456789"}, "schema_version"),
        ({"currentHistoryId": "h" * 65}, "current_history_id"),
        ({"files": [entry("x", "u" * 129)]}, "analysis_uid"),
        ({"files": [entry("x", "", "0" * 33)]}, "md5_sum"),
    ],
)
def test_values_too_long_change_nothing(
    gw: LocalServer, tok: dict[str, str], params: dict[str, Any], column: str
) -> None:
    sname = new_sname()
    upserted(gw, tok["ingest"], sname=sname, schemaVersion="v1", files=[entry("old")])
    before = job(gw, sname, tok["ingest"])
    assert before is not None
    body = upsert(gw, tok["ingest"], sname=sname, libraries=["changed"], **params)
    assert errors(body) == [f"(1406, \"Data too long for column '{column}' at row 1\")"]
    after = job(gw, sname, tok["ingest"])
    assert after == before


def test_sname_over_64_characters_creates_nothing(gw: LocalServer, tok: dict[str, str]) -> None:
    sname = "S" + "x" * 64
    body = upsert(gw, tok["ingest"], sname=sname, files=[entry("f")])
    assert errors(body) == ["(1406, \"Data too long for column 'sname' at row 1\")"]
    assert job(gw, sname, tok["ingest"]) is None
    pending = post(gw, PENDING, token=tok["ingest"])["data"]["gwflowPendingFiles"]
    assert sname not in {p["sname"] for p in pending}
    assert upserted(gw, tok["ingest"], sname="S" + "x" * 63)["created"] is True


# -- uploads and downloads ---------------------------------------------------------------------
def test_upload_then_download_with_the_route_facts(gw: LocalServer, tok: dict[str, str]) -> None:
    sname, ingest = new_sname(), tok["ingest"]
    data = bytes(range(256)) * 300
    made = upserted(
        gw,
        ingest,
        sname=sname,
        files=[{**entry("../../etc/passwd", "pe", md5(data)), "fileName": 'we"ird\r\nname.h5'}],
    )
    file_id = made["filesPending"][0]["id"]
    result = upload(gw, ingest, file_id, data)["data"]["uploadGwflowFile"]["result"]
    assert result == {"success": True, "fileSize": len(data)}
    pending = post(gw, PENDING, token=ingest)["data"]["gwflowPendingFiles"]
    assert sname not in {p["sname"] for p in pending}
    stored = gw.data_dir / "gwflow" / str(pk_of(made["gwflowJobId"])) / str(pk_of(file_id))
    assert stored.read_bytes() == data
    assert list(stored.parent.iterdir()) == [stored]  # no .part left, nothing at "../.."
    token = _files(gw, sname, ingest)["../../etc/passwd"]["downloadToken"]
    assert _files(gw, sname, ingest)["../../etc/passwd"]["fileSize"] == len(data)
    # LIGO-only: anonymous, unknown tokens and non-LIGO users get 404
    assert download(gw, token).status_code == 404
    assert download(gw, token, tok["demo"]).status_code == 404
    assert download(gw, token, "bogus").status_code == 404
    got = download(gw, token, tok["ligo"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == 'inline; filename="we\\"irdname.h5"'
    for header in ("etag", "last-modified", "accept-ranges"):
        assert header not in got.headers
    ranged = httpx_get_range(gw, token, tok["ligo"])
    assert ranged.status_code == 200 and ranged.content == data
    forced = download(gw, token, tok["ligo"], forceDownload="1")
    assert forced.headers["content-disposition"].startswith("attachment;")
    for bad in ("", "nope", "00000000-0000-4000-8000-000000000000"):
        assert download(gw, bad, tok["ligo"]).status_code == 404


def httpx_get_range(gw: LocalServer, token: str, auth: str) -> Any:
    """GET a GWFlow file with a ``Range`` header."""
    return httpx.get(
        gw.file_download_url,
        params={"fileId": token},
        headers={"Authorization": auth, "Range": "bytes=0-9"},
        timeout=30,
    )


def test_upload_rules(gw: LocalServer, tok: dict[str, str]) -> None:
    sname, ingest = new_sname(), tok["ingest"]
    good = b"good bytes"
    made = upserted(
        gw,
        ingest,
        sname=sname,
        ligoOnly=False,
        files=[entry("m", md5_sum=md5(good)), entry("free")],
    )
    ids = _file_ids(made)
    for bad_id in (
        "not-base64!",
        node_id("GWFlowFileNode", 10**9),
        base64.b64encode(b"x").decode(),
    ):
        assert errors(upload(gw, ingest, bad_id, good)) == ["Invalid gwflow_file_id"]
    # the type part is ignored
    pk = pk_of(ids["free"])
    any_type = node_id("Whatever", pk)
    assert (
        upload(gw, ingest, any_type, b"anything")["data"]["uploadGwflowFile"]["result"]["fileSize"]
        == 8
    )
    # a non-LIGO ingest user may upload too (the job's LIGO state is not checked)
    assert upload(gw, tok["plain_ingest"], ids["free"], b"v2!").get("errors") is None
    token_free = _files(gw, sname, ingest)["free"]["downloadToken"]
    assert download(gw, token_free).content == b"v2!"  # re-upload overwrote, same token
    assert upload(gw, ingest, ids["m"], good).get("errors") is None
    token_m = _files(gw, sname, ingest)["m"]["downloadToken"]
    assert download(gw, token_m).content == good
    # md5 mismatch: error, the earlier copy deleted, uploaded left true
    assert errors(upload(gw, ingest, ids["m"], b"evil bytes")) == ["MD5 checksum mismatch"]
    assert _files(gw, sname, ingest)["m"]["uploaded"] is True
    assert download(gw, token_m).status_code == 404
    stored = gw.data_dir / "gwflow" / str(pk_of(made["gwflowJobId"])) / str(pk_of(ids["m"]))
    assert not stored.exists() and not stored.with_name(stored.name + ".part").exists()
    pending = post(gw, PENDING, token=ingest)["data"]["gwflowPendingFiles"]
    assert sname not in {p["sname"] for p in pending}
    # an upper-case registered md5 never matches
    upper = upserted(
        gw, ingest, sname=sname, files=[entry("m", md5_sum=md5(good).upper()), entry("free")]
    )
    assert errors(upload(gw, ingest, _file_ids(upper)["m"], good)) == ["MD5 checksum mismatch"]


def test_oversized_upload_is_refused_and_changes_nothing(
    gw: LocalServer, tok: dict[str, str]
) -> None:
    sname, ingest = new_sname(), tok["ingest"]
    made = upserted(gw, ingest, sname=sname, files=[entry("big")])
    file_id = made["filesPending"][0]["id"]
    response = upload_response(gw, ingest, file_id, b"z" * (LIMIT + 1024))
    assert response.status_code == 413
    assert f"larger than {LIMIT} bytes" in response.json()["errors"][0]["message"]
    assert _files(gw, sname, ingest)["big"]["uploaded"] is False
    folder = gw.data_dir / "gwflow" / str(pk_of(made["gwflowJobId"]))
    assert not folder.exists() or list(folder.iterdir()) == []
    # the same without Content-Length (chunked): refused while streaming
    boundary = "gwflowtestboundary"
    operations = json.dumps({"query": UPLOAD, "variables": {"id": file_id, "file": None}})
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{operations}\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.file"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="f"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(LIMIT // 16384 + 2):
            yield b"y" * 16384
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = httpx.post(
        gw.endpoint,
        content=chunks(),
        headers={
            "Authorization": ingest,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        timeout=60,
    )
    assert chunked.status_code == 413
    assert _files(gw, sname, ingest)["big"]["uploaded"] is False
    assert not folder.exists() or list(folder.iterdir()) == []
    # a refused caller is answered before the file part is read
    assert errors(upload(gw, tok["demo"], file_id, b"small")) == [DENIED]
    assert errors(upload(gw, None, file_id, b"small")) == [DENIED]


# -- links --------------------------------------------------------------------------------------
def _link(gw: LocalServer, token: str, job_id: str, sname: str, uid: str) -> dict[str, Any]:
    return post(gw, LINK, {"jobId": job_id, "sname": sname, "uid": uid}, token)


def test_link_and_unlink(gw: LocalServer, demo: dict[str, Any], tok: dict[str, str]) -> None:
    ingest, plain = tok["ingest"], tok["plain_ingest"]
    sname, other = new_sname(), new_sname()
    upserted(gw, ingest, sname=sname, ligoOnly=False)
    upserted(gw, ingest, sname=other)  # LIGO-only
    jobs = demo["jobs"]
    public, public2 = jobs["GW150914-uploaded"], jobs["GW151226"]
    ok = {"linkBilbyJobToGwflow": {"result": {"success": True}}}
    assert _link(gw, ingest, public, sname, "pe-1")["data"] == ok
    assert _link(gw, ingest, public, sname, "pe-1")["data"] == ok  # idempotent
    assert errors(_link(gw, ingest, public2, sname, "pe-1")) == [
        f"analysis_uid 'pe-1' already linked to another BilbyJob on GWFlowJob '{sname}'"
    ]
    assert errors(_link(gw, ingest, public2, "S000000nope", "x")) == [
        "GWFlowJob with sname 'S000000nope' does not exist"
    ]
    for bad in ("x", node_id("BilbyJobNode", 10**9), jobs["demo-private"]):
        assert errors(_link(gw, ingest, bad, sname, "z")) == ["Invalid job_id"]
    assert errors(_link(gw, plain, jobs["GW190425-ligo"], sname, "z")) == ["Invalid job_id"]
    assert _link(gw, ingest, jobs["GW190425-ligo"], other, "")["data"] == ok
    # any <type>:<pk> id of the Bilby job is accepted; "" uids conflict too
    any_type = node_id("Anything", pk_of(public2))
    assert errors(_link(gw, ingest, any_type, other, "")) == [
        f"analysis_uid '' already linked to another BilbyJob on GWFlowJob '{other}'"
    ]
    assert _link(gw, ingest, any_type, sname, "pe-2")["data"] == ok
    value = job(gw, sname, None)
    assert value is not None
    assert [(b["name"], b["gwflowAnalysisUid"]) for b in value["bilbyJobs"]] == [
        ("GW150914-uploaded", "pe-1"),  # newest update first
        ("GW151226", "pe-2"),
    ]
    node = "{ bilbyJob(id: $id) { gwflowJob { sname } gwflowAnalysisUid } }"
    query = f"query B($id: ID!) {node}"
    assert post(gw, query, {"id": public})["data"]["bilbyJob"] == {
        "gwflowJob": {"sname": sname},
        "gwflowAnalysisUid": "pe-1",
    }
    # the LIGO-only parent is hidden from a non-LIGO caller, shown to LIGO ones
    ligo_job = jobs["GW190425-ligo"]
    assert post(gw, query, {"id": ligo_job}, tok["ligo"])["data"]["bilbyJob"] == {
        "gwflowJob": {"sname": other},
        "gwflowAnalysisUid": None,
    }
    # bilbyJobs(gwflowJob:, gwflowAnalysisUid:) filter the caller's own jobs
    mine = (
        "query M($g: ID, $u: String) { bilbyJobs(first: 50, gwflowJob: $g, "
        "gwflowAnalysisUid: $u) { edges { node { name } } } }"
    )
    gid = node_id("GWFlowJob", pk_of(value["id"]))
    names = [
        e["node"]["name"]
        for e in post(gw, mine, {"g": gid}, tok["official"])["data"]["bilbyJobs"]["edges"]
    ]
    assert sorted(names) == ["GW150914-uploaded", "GW151226"]
    names = [
        e["node"]["name"]
        for e in post(gw, mine, {"g": gid, "u": "pe-2"}, tok["official"])["data"]["bilbyJobs"][
            "edges"
        ]
    ]
    assert names == ["GW151226"]
    assert post(gw, mine, {"g": gid}, tok["demo"])["data"]["bilbyJobs"]["edges"] == []
    # pruning hides the parent from BilbyJobNode.gwflowJob
    upserted(gw, ingest, sname=sname, isPruned=True)
    assert post(gw, query, {"id": public})["data"]["bilbyJob"]["gwflowJob"] is None
    upserted(gw, ingest, sname=sname, isPruned=False)
    # unlink: sname "" (uid ignored), also when not linked
    assert _link(gw, ingest, public, "", "ignored")["data"] == ok
    assert _link(gw, ingest, public, "", "")["data"] == ok
    assert post(gw, query, {"id": public})["data"]["bilbyJob"] == {
        "gwflowJob": None,
        "gwflowAnalysisUid": None,
    }
    # moving a linked job to another GWFlow job
    assert _link(gw, ingest, public2, other, "moved")["data"] == ok
    value = job(gw, sname, None)
    assert value is not None and value["bilbyJobs"] == []


# -- reads ---------------------------------------------------------------------------------------
def test_job_reads_and_visibility(
    gw: LocalServer, demo: dict[str, Any], tok: dict[str, str]
) -> None:
    ingest = tok["ingest"]
    hidden, pruned = new_sname(), new_sname()
    h = upserted(gw, ingest, sname=hidden)
    p = upserted(gw, ingest, sname=pruned, ligoOnly=False, isPruned=True)
    h_id = node_id("GWFlowJob", pk_of(h["gwflowJobId"]))
    p_id = node_id("GWFlowJob", pk_of(p["gwflowJobId"]))
    assert job(gw, hidden, None) is None and job(gw, hidden, tok["demo"]) is None
    assert job(gw, hidden, tok["ligo"]) is not None
    assert job(gw, pruned, tok["ligo"]) is None  # pruned: hidden by sname
    assert job(gw, "S000000none", tok["ligo"]) is None
    assert post(gw, BY_ID, {"id": h_id})["data"]["gwflowJob"] is None
    assert post(gw, BY_ID, {"id": h_id}, tok["ligo"])["data"]["gwflowJob"]["sname"] == hidden
    assert post(gw, BY_ID, {"id": p_id})["data"]["gwflowJob"]["isPruned"] is True  # shown by id
    assert post(gw, BY_ID, {"id": node_id("GWFlowJob", 10**9)})["data"]["gwflowJob"] is None
    assert errors(post(gw, BY_ID, {"id": demo["jobs"]["GW150914"]})) == [
        "Must receive a GWFlowJob id."
    ]
    assert errors(post(gw, BY_ID, {"id": "garbage"})) == [
        'Unable to parse global ID "garbage". Make sure it is a base64 encoded string in the '
        'format: "TypeName:id". Exception message: Invalid Global ID'
    ]


def test_pending_files_across_jobs_in_order(gw: LocalServer, tok: dict[str, str]) -> None:
    ingest = tok["ingest"]
    first, second = "S99" + new_sname("b")[1:], "S99" + new_sname("a")[1:]
    upserted(gw, ingest, sname=first, isPruned=True, files=[entry("z", "u2"), entry("y", "u1")])
    upserted(gw, ingest, sname=second, files=[entry("b"), entry("a", "", "f" * 32)])
    pending = post(gw, PENDING, token=ingest)["data"]["gwflowPendingFiles"]
    keys = [(p["sname"], p["analysisUid"], p["path"]) for p in pending]
    assert keys == sorted(keys)
    mine = [k for k in keys if k[0] in (first, second)]
    assert mine == sorted(
        [(first, "u2", "z"), (first, "u1", "y"), (second, "", "b"), (second, "", "a")]
    )
    md5s = {p["path"]: p["md5Sum"] for p in pending if p["sname"] == second}
    assert md5s == {"a": "f" * 32, "b": ""}

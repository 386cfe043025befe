"""Read resolvers: public search, jobs, result files, event IDs, permissions."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from server_helpers import error_messages, gql

from gwcloud_python.server import LocalServer

DENIED = "You do not have permission to perform this action"
NOT_FOUND = "BilbyJobNode matching query does not exist."


def _public(server: LocalServer, jwt: str | None = None, **variables: Any) -> dict[str, Any]:
    variables.setdefault("timeRange", "all")
    variables.setdefault("first", 50)
    return gql(server.endpoint, "PublicBilbyJobs", variables, jwt=jwt)


def _names(body: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in body["data"]["publicBilbyJobs"]["edges"]]


def test_public_jobs_anonymous(local_server: LocalServer, demo: dict[str, Any]) -> None:
    body = _public(local_server)
    assert body.get("errors") is None
    names = _names(body)
    assert "GW150914" in names and "GW190521-external" in names
    assert "demo-private" not in names and "GW190425-ligo" not in names
    node = body["data"]["publicBilbyJobs"]["edges"][0]["node"]
    assert base64.b64decode(node["id"]).decode().startswith("BilbyJobNode:")
    assert node["jobStatus"]["name"] == "Completed" and node["jobStatus"]["date"]


def test_public_jobs_newest_first(local_server: LocalServer, demo: dict[str, Any]) -> None:
    query = (
        'query { publicBilbyJobs(search: "Demo", timeRange: "all", first: 50) '
        "{ edges { node { timestamp labels { name } jobStatus { name number } } } } }"
    )
    body = httpx.post(local_server.endpoint, json={"query": query}).json()
    nodes = [e["node"] for e in body["data"]["publicBilbyJobs"]["edges"]]
    assert nodes and all(n["labels"] is not None for n in nodes)
    assert all(
        n["jobStatus"]["number"] == 500 for n in nodes if n["jobStatus"]["name"] == "Completed"
    )
    stamps = [n["timestamp"] for n in nodes]
    assert stamps == sorted(stamps, reverse=True)


def test_ligo_user_sees_ligo_job(local_server: LocalServer, jwts: dict[str, str]) -> None:
    assert "GW190425-ligo" in _names(_public(local_server, jwt=jwts["ligo"]))
    assert "GW190425-ligo" not in _names(_public(local_server, jwt=jwts["demo"]))


def test_public_jobs_requires_time_range_and_first(
    local_server: LocalServer, demo: dict[str, Any]
) -> None:
    query = "query($t: String, $f: Int){publicBilbyJobs(timeRange: $t, first: $f){edges{cursor}}}"
    for variables in ({"f": 5}, {"t": "all"}, {"t": "2w", "f": 5}):
        body = httpx.post(
            local_server.endpoint, json={"query": query, "variables": variables}
        ).json()
        assert body["errors"], variables
        assert body["data"] == {"publicBilbyJobs": None}


def test_search_terms(local_server: LocalServer, demo: dict[str, Any]) -> None:
    official = _names(_public(local_server, search="labels.name:Official"))
    assert set(official) == {
        "GW150914",
        "GW170817",
        "GW151226",
        "GW150914-uploaded",
        "GW190521-external",
    }
    assert _names(_public(local_server, search="gw150914 uploaded")) == ["GW150914-uploaded"]
    assert set(_names(_public(local_server, search="S150914a"))) == {
        "GW150914",
        "GW150914-uploaded",
    }
    assert _names(_public(local_server, search="name:GW170817")) == ["GW170817"]
    assert set(_names(_public(local_server, search="user:official"))) == set(official)
    assert _names(_public(local_server, search="labels.name:Official nomatchxyz")) == []


def test_pagination(local_server: LocalServer, demo: dict[str, Any]) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = _public(local_server, search="labels.name:Official", first=2, after=after)
        conn = body["data"]["publicBilbyJobs"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5


def test_bilby_job_visibility(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    jobs = demo["jobs"]
    own = gql(local_server.endpoint, "BilbyJob", {"id": jobs["demo-private"]}, jwt=jwts["demo"])
    assert own["data"]["bilbyJob"]["private"] is True
    assert own["data"]["bilbyJob"]["user"] == "demo"
    other = gql(local_server.endpoint, "BilbyJob", {"id": jobs["demo-private"]}, jwt=jwts["ligo"])
    assert error_messages(other) == [NOT_FOUND]
    ligo = gql(local_server.endpoint, "BilbyJob", {"id": jobs["GW190425-ligo"]}, jwt=jwts["demo"])
    assert error_messages(ligo) == [NOT_FOUND]
    ligo = gql(local_server.endpoint, "BilbyJob", {"id": jobs["GW190425-ligo"]}, jwt=jwts["ligo"])
    assert ligo["data"]["bilbyJob"]["isLigoJob"] is True
    assert ligo["data"]["bilbyJob"]["eventId"]["eventId"] == "GW190425_081805"
    missing = gql(local_server.endpoint, "BilbyJob", {"id": "QmlsYnlKb2JOb2RlOjk5OTk5"})
    assert error_messages(missing) == [NOT_FOUND]


def test_bilby_job_fields(local_server: LocalServer, demo: dict[str, Any]) -> None:
    job = gql(local_server.endpoint, "BilbyJob", {"id": demo["jobs"]["GW150914"]})["data"][
        "bilbyJob"
    ]
    assert job["jobType"] == 0 and job["cluster"] == "ozstar"
    assert job["eventId"] == {
        "eventId": "GW150914_095045",
        "triggerId": "S150914a",
        "nickname": "GW150914",
        "isLigoEvent": False,
        "gpsTime": 1126259462.391,
    }
    assert {label["name"] for label in job["labels"]} == {"Official", "Production Run"}
    assert job["creationTime"].startswith("20")


def test_bilby_jobs_own_and_anonymous(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    body = gql(local_server.endpoint, "BilbyJobs", {"first": 10})
    assert error_messages(body) == [DENIED]
    body = gql(local_server.endpoint, "BilbyJobs", {"first": 2}, jwt=jwts["official"])
    conn = body["data"]["bilbyJobs"]
    assert len(conn["edges"]) == 2 and conn["pageInfo"]["hasNextPage"]
    rest = gql(
        local_server.endpoint,
        "BilbyJobs",
        {"first": 10, "after": conn["pageInfo"]["endCursor"]},
        jwt=jwts["official"],
    )["data"]["bilbyJobs"]
    assert len(rest["edges"]) == 3 and not rest["pageInfo"]["hasNextPage"]
    assert all(e["node"]["user"] == "official" for e in conn["edges"] + rest["edges"])


def test_result_files(local_server: LocalServer, demo: dict[str, Any]) -> None:
    body = gql(local_server.endpoint, "BilbyResultFiles", {"jobId": demo["jobs"]["GW150914"]})
    files = body["data"]["bilbyResultFiles"]["files"]
    by_path = {f["path"]: f for f in files}
    assert by_path["data"] == {
        "path": "data",
        "isDir": True,
        "fileSize": "0",
        "downloadToken": None,
    }
    assert "GW150914_config_complete.ini" in by_path
    corner = by_path["result/GW150914_corner.png"]
    assert corner["isDir"] is False and int(corner["fileSize"]) > 0 and corner["downloadToken"]
    assert isinstance(corner["fileSize"], str)
    again = gql(local_server.endpoint, "BilbyResultFiles", {"jobId": demo["jobs"]["GW150914"]})
    assert again["data"]["bilbyResultFiles"]["files"] == files


def test_result_files_external(local_server: LocalServer, demo: dict[str, Any]) -> None:
    body = gql(
        local_server.endpoint, "BilbyResultFiles", {"jobId": demo["jobs"]["GW190521-external"]}
    )
    result = body["data"]["bilbyResultFiles"]
    assert result["jobType"] == 2
    assert result["files"] == [
        {
            "path": "https://example.org/gw190521/results.html",
            "isDir": False,
            "fileSize": "0",
            "downloadToken": None,
        }
    ]


def test_event_ids_read(
    local_server: LocalServer, demo: dict[str, Any], jwts: dict[str, str]
) -> None:
    body = gql(local_server.endpoint, "EventId", {"eventId": "GW170817_124104"})
    assert body["data"]["eventId"]["nickname"] == "GW170817"
    anonymous = [
        e["eventId"] for e in gql(local_server.endpoint, "AllEventIds")["data"]["allEventIds"]
    ]
    assert "GW150914_095045" in anonymous and "GW190425_081805" not in anonymous
    ligo = gql(local_server.endpoint, "AllEventIds", jwt=jwts["ligo"])["data"]["allEventIds"]
    assert "GW190425_081805" in [e["eventId"] for e in ligo]
    hidden = gql(local_server.endpoint, "EventId", {"eventId": "GW190425_081805"})
    assert hidden["errors"] and hidden["data"] == {"eventId": None}

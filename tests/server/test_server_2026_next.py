"""The local server on the announced 2026 schema (``--schema 2026-next``).

The 2026 service without ``isLigoEvent`` and ``ligoOnly`` (schema/2026-next). The
resolvers are the 2026 ones; these tests pin that the fields are really gone (a request
naming them is refused before it runs, with graphene's messages and HTTP 400), and that
everything else behaves as on the 2026 schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    build_client_schema,
    build_schema,
    find_breaking_changes,
    get_introspection_query,
)
from server_helpers import operation

from gwcloud_python.server import LocalServer
from gwcloud_python.server.cli import _parser, usage_lines

NEXT_SDL = Path(__file__).resolve().parents[2] / "schema" / "2026-next" / "bilby.graphql"
EVENT = "GW260102_000000"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    srv = LocalServer(tmp_path_factory.mktemp("gwcloud-2026-next"), schema="2026-next")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def tokens(server: LocalServer) -> dict[str, str]:
    users: dict[str, str] = server.seed_demo()["users"]
    return users


def post(
    server: LocalServer, query: str, variables: dict[str, Any] | None = None, token: str = ""
) -> httpx.Response:
    headers = {"Authorization": token} if token else {}
    body = {"query": query, "variables": variables or {}}
    return httpx.post(server.endpoint, json=body, headers=headers, timeout=30)


def test_a_2026_service_in_shape(server: LocalServer) -> None:
    assert server.schema == "2026-next" and server.service == "2026"
    assert server.endpoint.endswith("/graphql") and server.file_download_url.endswith(
        "/file_download/"
    )
    with pytest.raises(RuntimeError):
        _ = server.auth_endpoint


def test_introspection_is_the_recorded_schema(server: LocalServer) -> None:
    body = post(server, get_introspection_query()).json()
    served = build_client_schema(body["data"])
    recorded = build_schema(NEXT_SDL.read_text())
    assert find_breaking_changes(recorded, served) == []  # the sign-on field is extra
    assert "isLigoEvent" not in served.type_map["EventIDType"].fields  # type: ignore[attr-defined]
    assert "ligoOnly" not in served.type_map["GWFlowJob"].fields  # type: ignore[attr-defined]
    assert "ligoOnly" not in served.type_map["GWFlowUpsertInput"].fields  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("EventId", "Cannot query field 'isLigoEvent' on type 'EventIDType'."),
        (
            "CreateEventIdWithLigoFlag",
            "Field 'isLigoEvent' is not defined by type 'EventIDMutationInput'.",
        ),
    ],
)
def test_naming_the_flag_is_refused_before_it_runs(
    server: LocalServer, tokens: dict[str, str], name: str, message: str
) -> None:
    variables = {"eventId": EVENT, "gpsTime": "1451692818.0", "isLigoEvent": True}
    response = post(server, operation(name), variables, tokens["admin"])
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == [message]


def test_event_ids_without_the_flag(server: LocalServer, tokens: dict[str, str]) -> None:
    create = {"eventId": EVENT, "gpsTime": "1451692818.0", "nickname": "next"}
    body = post(server, operation("CreateEventId"), create, tokens["admin"]).json()
    assert body["data"]["createEventId"]["result"] == "Event ID created!"
    # not LIGO-only: an anonymous caller sees it
    event = post(server, operation("EventIdNoLigoFlag"), {"eventId": EVENT}).json()
    assert event["data"]["eventId"]["nickname"] == "next"
    listed = post(server, operation("AllEventIdsNoLigoFlag")).json()["data"]["allEventIds"]
    assert EVENT in {e["eventId"] for e in listed}


def test_gwflow_upsert_without_ligo_only(server: LocalServer, tokens: dict[str, str]) -> None:
    upsert = """
    mutation U($params: GWFlowUpsertInput!) {
      upsertGwflowJob(input: {params: $params}) { result { sname created } }
    }"""
    body = post(server, upsert, {"params": {"sname": "S260102a"}}, tokens["gwflow-ingest"]).json()
    assert body["data"]["upsertGwflowJob"]["result"] == {"sname": "S260102a", "created": True}
    refused = post(
        server,
        upsert,
        {"params": {"sname": "S260102b", "ligoOnly": False}},
        tokens["gwflow-ingest"],
    )
    # a variable of the wrong shape: refused before anything runs (graphene answers 400;
    # the local server 200 with null data), naming the field
    assert refused.json()["data"] is None
    assert refused.json()["errors"][0]["message"].endswith(
        "Field 'ligoOnly' is not defined by type 'GWFlowUpsertInput'."
    )
    read = post(server, '{ gwflowJobBySname(sname: "S260102a") { sname ligoOnly } }')
    assert read.status_code == 400
    assert (
        read.json()["errors"][0]["message"] == "Cannot query field 'ligoOnly' on type 'GWFlowJob'."
    )


def test_cli_offers_the_schema() -> None:
    args = _parser().parse_args(["run", "--data-dir", "d", "--schema", "2026-next"])
    assert args.schema == "2026-next"
    lines = usage_lines("http://127.0.0.1:8000", "2026-next")
    assert any("http://127.0.0.1:8000/graphql" in line for line in lines)


def test_unknown_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="2026-next"):
        LocalServer(schema="2027")

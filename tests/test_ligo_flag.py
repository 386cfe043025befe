"""The LIGO flag of event IDs, which the service has announced it will drop.

Request shapes of the event-ID calls, pinned at the HTTP layer (pytest-httpx), against
a service that still has ``isLigoEvent`` (2023 and today's 2026) and one that does not
(``schema/2026-next``). See "The announced removal of the LIGO flags" in
docs/migration.rst.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from _gql_fake import ENDPOINT, SENTINEL_TOKEN, FakeGraphQL, jwt_answer

from gwcloud_python import AsyncGWCloud, GWCloud
from gwcloud_python._client_base import lacks_ligo_flag
from gwcloud_python._errors import GraphQLError, OperationRefused, TransportError, ValidationError

NEXT = "https://gwcloud.test/graphql"
EVENT = "GW150914_095045"
GPS = 1126259462.391

#: What graphql-core 3 (graphene 3, the local server) answers, with HTTP 400.
NO_SELECTION = "Cannot query field 'isLigoEvent' on type 'EventIDType'."
NO_INPUT = "Field 'isLigoEvent' is not defined by type 'EventIDMutationInput'."
NO_UPDATE_INPUT = "Field 'isLigoEvent' is not defined by type 'UpdateEventIDMutationInput'."


def refused(message: str) -> httpx.Response:
    return httpx.Response(400, json={"errors": [{"message": message}]})


def event_node(*, ligo: bool | None) -> dict[str, Any]:
    node: dict[str, Any] = {
        "eventId": EVENT,
        "triggerId": "S150914a",
        "nickname": "GW150914",
        "gpsTime": GPS,
    }
    if ligo is not None:
        node["isLigoEvent"] = ligo
    return node


def sent(fake: FakeGraphQL, index: int) -> tuple[str, dict[str, Any], str]:
    """Operation name, variables and query text of the ``index``-th request."""
    name, variables, request = fake.calls[index]
    return name, variables, json.loads(request.content)["query"]


def today(fake: FakeGraphQL) -> GWCloud:
    """An event administrator's client of a service that has the flag (2023 shape)."""
    fake.on("JwtToken", jwt_answer())
    fake.on("EventId", {"data": {"eventId": event_node(ligo=True)}})
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=ENDPOINT.replace("bilby", "auth"))
    gw.client.sleep = lambda _s: None
    return gw


def without_flag(fake: FakeGraphQL) -> GWCloud:
    """An event administrator's client of a 2026 service without the flag."""
    fake.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    fake.on("EventId", lambda _v, _r: refused(NO_SELECTION))
    fake.on("EventIdNoLigoFlag", {"data": {"eventId": event_node(ligo=None)}})
    gw = GWCloud(SENTINEL_TOKEN, endpoint=NEXT, service="2026")
    gw.client.sleep = lambda _s: None
    return gw


# -- a service that has the flag: 1.x calls unchanged --------------------------------------


def test_create_without_the_flag_sends_the_lean_mutation(fake_gql: FakeGraphQL) -> None:
    gw = today(fake_gql)
    fake_gql.on("CreateEventId", {"data": {"createEventId": {"result": "ok"}}})
    event = gw.create_event_id(EVENT, GPS, "S150914a", "GW150914", is_ligo_event=False)
    name, variables, query = sent(fake_gql, 1)
    assert name == "CreateEventId"
    assert variables == {
        "eventId": EVENT,
        "gpsTime": "1126259462.391",
        "triggerId": "S150914a",
        "nickname": "GW150914",
    }
    assert "isLigoEvent" not in query
    # the event is read back with the flag, as the service still reports it
    assert fake_gql.names()[2:] == ["EventId"] and event.is_ligo_event is True
    assert "isLigoEvent" in sent(fake_gql, 2)[2]


def test_create_a_ligo_event_sends_the_flag(fake_gql: FakeGraphQL) -> None:
    gw = today(fake_gql)
    fake_gql.on("CreateEventIdWithLigoFlag", {"data": {"createEventId": {"result": "ok"}}})
    assert gw.create_event_id(EVENT, GPS, is_ligo_event=True).is_ligo_event is True
    name, variables, query = sent(fake_gql, 1)
    assert name == "CreateEventIdWithLigoFlag"
    assert variables == {
        "eventId": EVENT,
        "gpsTime": "1126259462.391",
        "triggerId": None,
        "nickname": None,
        "isLigoEvent": True,
    }
    assert "isLigoEvent: $isLigoEvent" in query


@pytest.mark.parametrize(
    ("flag", "operation"),
    [
        (None, "UpdateEventId"),
        (False, "UpdateEventIdWithLigoFlag"),
        (True, "UpdateEventIdWithLigoFlag"),
    ],
)
def test_update_sends_the_flag_only_when_given(
    fake_gql: FakeGraphQL, flag: bool | None, operation: str
) -> None:
    gw = today(fake_gql)
    fake_gql.on(operation, {"data": {"updateEventId": {"result": "ok"}}})
    gw.update_event_id(EVENT, nickname="new", is_ligo_event=flag)
    name, variables, query = sent(fake_gql, 1)
    assert name == operation
    expected: dict[str, Any] = {"eventId": EVENT, "nickname": "new"}
    if flag is not None:
        expected["isLigoEvent"] = flag
    assert variables == expected
    assert ("isLigoEvent" in query) is (flag is not None)


def test_reads_select_the_flag_once(fake_gql: FakeGraphQL) -> None:
    gw = today(fake_gql)
    fake_gql.on("AllEventIds", {"data": {"allEventIds": [event_node(ligo=True)]}})
    assert gw.get_event_id(EVENT).is_ligo_event is True
    assert [e.is_ligo_event for e in gw.get_all_event_ids()] == [True]
    assert fake_gql.names() == ["JwtToken", "EventId", "AllEventIds"]
    assert gw._ligo_flag is True


def test_other_errors_are_not_taken_for_a_missing_flag(fake_gql: FakeGraphQL) -> None:
    gw = today(fake_gql)
    fake_gql.on(
        "EventId", lambda _v, _r: refused("Cannot query field 'nickname' on type 'EventIDType'.")
    )
    with pytest.raises(OperationRefused) as info:
        gw.get_event_id(EVENT)
    assert isinstance(info.value, TransportError) and info.value.status_code == 400
    assert "Cannot query field 'nickname'" in str(info.value)
    assert fake_gql.names() == ["JwtToken", "EventId"] and gw._ligo_flag is True


# -- a service without the flag -----------------------------------------------------------


def test_read_falls_back_once_and_remembers(fake_gql: FakeGraphQL) -> None:
    gw = without_flag(fake_gql)
    fake_gql.on("AllEventIdsNoLigoFlag", {"data": {"allEventIds": [event_node(ligo=None)]}})
    event = gw.get_event_id(EVENT)
    assert event is not None and event.is_ligo_event is False and event.gps_time == GPS
    assert [e.event_id for e in gw.get_all_event_ids()] == [EVENT]
    assert fake_gql.names() == [
        "SessionUser",
        "EventId",
        "EventIdNoLigoFlag",
        "AllEventIdsNoLigoFlag",
    ]
    _, variables, query = sent(fake_gql, 2)
    assert variables == {"eventId": EVENT} and "isLigoEvent" not in query
    assert "isLigoEvent" not in sent(fake_gql, 3)[2]


def test_job_reads_fall_back_too(fake_gql: FakeGraphQL) -> None:
    gw = without_flag(fake_gql)
    fake_gql.on("PublicBilbyJobs", lambda _v, _r: refused(NO_SELECTION))
    page = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []}
    fake_gql.on("PublicBilbyJobsNoLigoFlag", {"data": {"publicBilbyJobs": page}})
    assert list(gw.get_public_job_list()) == []
    assert gw.get_event_id(EVENT) is not None  # already known: no second refusal
    # the token is checked before the first request
    assert fake_gql.names() == [
        "SessionUser",
        "PublicBilbyJobs",
        "PublicBilbyJobsNoLigoFlag",
        "EventIdNoLigoFlag",
    ]


def test_create_without_the_flag_works(fake_gql: FakeGraphQL) -> None:
    gw = without_flag(fake_gql)
    fake_gql.on("CreateEventId", {"data": {"createEventId": {"result": "ok"}}})
    assert gw.create_event_id(EVENT, GPS).is_ligo_event is False
    assert fake_gql.names() == ["SessionUser", "CreateEventId", "EventId", "EventIdNoLigoFlag"]


def test_ligo_event_is_refused_naming_the_field(fake_gql: FakeGraphQL) -> None:
    gw = without_flag(fake_gql)
    fake_gql.on("CreateEventIdWithLigoFlag", lambda _v, _r: refused(NO_INPUT))
    with pytest.raises(ValidationError) as info:
        gw.create_event_id(EVENT, GPS, is_ligo_event=True)
    message = str(info.value)
    assert message.startswith("is_ligo_event: ") and "isLigoEvent" in message
    assert "nothing was changed" in message
    assert isinstance(info.value.__cause__, OperationRefused)
    assert fake_gql.names() == ["SessionUser", "CreateEventIdWithLigoFlag"]
    # known now: the next call is refused before any request
    with pytest.raises(ValidationError, match="is_ligo_event"):
        gw.update_event_id(EVENT, is_ligo_event=False)
    assert fake_gql.names() == ["SessionUser", "CreateEventIdWithLigoFlag"]


def test_update_flag_refused_after_a_read_taught_the_client(fake_gql: FakeGraphQL) -> None:
    gw = without_flag(fake_gql)
    gw.get_event_id(EVENT)
    with pytest.raises(ValidationError, match="isLigoEvent"):
        gw.update_event_id(EVENT, is_ligo_event=True)
    assert "UpdateEventIdWithLigoFlag" not in fake_gql.names()


def test_update_refusal_from_the_server(fake_gql: FakeGraphQL) -> None:
    gw = without_flag(fake_gql)
    fake_gql.on("UpdateEventIdWithLigoFlag", lambda _v, _r: refused(NO_UPDATE_INPUT))
    with pytest.raises(ValidationError, match="is_ligo_event"):
        gw.update_event_id(EVENT, nickname="x", is_ligo_event=True)
    assert fake_gql.names() == ["SessionUser", "UpdateEventIdWithLigoFlag"]


def test_async_client_falls_back_the_same_way(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("EventId", lambda _v, _r: refused(NO_SELECTION))
    fake_gql.on("EventIdNoLigoFlag", {"data": {"eventId": event_node(ligo=None)}})

    async def run() -> None:
        async with AsyncGWCloud(endpoint=NEXT, service="2026") as gw:
            first = await gw.get_event_id(EVENT)
            second = await gw.get_event_id(EVENT)
            assert first == second and first is not None and first.is_ligo_event is False

    asyncio.run(run())
    assert fake_gql.names() == ["EventId", "EventIdNoLigoFlag", "EventIdNoLigoFlag"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (NO_SELECTION, True),
        (NO_INPUT, True),
        ('Cannot query field "isLigoEvent" on type "EventIDType".', True),  # graphql-core 2
        ('Argument "input" has invalid value {}.\nIn field "isLigoEvent": Unknown field.', True),
        ("Cannot query field 'isLigoJob' on type 'BilbyJobNode'.", False),
        ("isLigoEvent must be a boolean", False),
    ],
)
def test_which_errors_mean_no_flag(message: str, expected: bool) -> None:
    assert lacks_ligo_flag(GraphQLError([{"message": message}])) is expected


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, text="Bad Request"),
        httpx.Response(400, json={"errors": "not a list"}),
        httpx.Response(400, json={"data": None}),
    ],
)
def test_a_400_without_graphql_errors_stays_a_transport_error(
    fake_gql: FakeGraphQL, answer: httpx.Response
) -> None:
    gw = today(fake_gql)
    fake_gql.on("EventId", lambda _v, _r: answer)
    with pytest.raises(TransportError) as info:
        gw.get_event_id(EVENT)
    assert not isinstance(info.value, OperationRefused) and info.value.status_code == 400
    assert gw._ligo_flag is True

"""Public job lists built from the answer's JSON (gwcloud_python._job_answers)."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from _gql_fake import AUTH_ENDPOINT, ENDPOINT, FakeGraphQL, connection, job_node

from gwcloud_python import BilbyJob, GWCloud, TransportError
from gwcloud_python._generated.bilby import PublicBilbyJobs
from gwcloud_python._generated.bilby.fragments import PublicBilbyJobFields
from gwcloud_python._job_answers import public_job_page

EVENT = {"eventId": "GW150914_095045", "triggerId": "S1", "nickname": "GW150914"}


def anonymous() -> GWCloud:
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    gw.client.sleep = lambda _s: None
    return gw


def nodes() -> list[dict[str, Any]]:
    """Nodes that cover every shape a public list's job can take."""
    return [
        job_node(1, "plain"),
        job_node(2, "with event", eventId={**EVENT, "isLigoEvent": True}),
        job_node(3, "no status", jobStatus=None, description=None, user=None),
        job_node(4, "", eventId={**EVENT, "triggerId": None, "isLigoEvent": False}),
        job_node(5, "odd date", jobStatus={"name": "Running", "date": "yesterday"}),
    ]


def described(job: BilbyJob) -> tuple[Any, ...]:
    return (
        job.job_id,
        job.name,
        job.description,
        job.user,
        job.event_id,
        None if job.status is None else (job.status.status, job.status.date, job.status.number),
        job.labels,
        job.private,
        job.other,
    )


@pytest.mark.parametrize("index", range(5))
def test_job_from_json_equals_job_from_model(index: int) -> None:
    node = nodes()[index]
    from_model = BilbyJob._from_gql(None, PublicBilbyJobFields.model_validate(node))
    from_json = BilbyJob._from_answer(None, node)
    assert described(from_json) == described(from_model)


def test_listing_builds_no_pydantic_models(
    fake_gql: FakeGraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a public list built pydantic models")

    monkeypatch.setattr(PublicBilbyJobs, "model_validate", refuse)
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection(nodes())}})
    jobs = anonymous().get_public_job_list(number=10)
    assert [j.name for j in jobs] == ["plain", "with event", "no status", "", "odd date"]
    assert jobs[1].event_id is not None and jobs[1].event_id.is_ligo_event is True


def test_data_method_sends_the_models_document(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection([job_node(1)])}})
    gw = anonymous()
    gw._bilby.public_bilby_jobs(time_range="all", first=3)
    data = gw._bilby.public_bilby_jobs_data(time_range="all", first=3)
    first, second = (json.loads(call[2].content) for call in fake_gql.calls)
    assert first == second
    assert data == {"publicBilbyJobs": connection([job_node(1)])}


def test_null_page_edges_and_nodes_are_skipped() -> None:
    assert public_job_page({"publicBilbyJobs": None}, "Op", ligo_flag=True) == ([], None)
    page = connection([job_node(1)], has_next=True, cursor="c")
    page["edges"] = [None, {"node": None}, *page["edges"]]
    found, cursor = public_job_page({"publicBilbyJobs": page}, "Op", ligo_flag=True)
    assert [n["name"] for n in found] == ["job"] and cursor == "c"


def test_cursor_only_when_there_is_a_next_page() -> None:
    page = connection([job_node(1)], has_next=False, cursor="c")
    assert public_job_page({"publicBilbyJobs": page}, "Op", ligo_flag=True)[1] is None


def _set(path: str, value: Any) -> dict[str, Any]:
    """A one-job answer with the value at ``path`` replaced (``...`` deletes it)."""
    answer: dict[str, Any] = {
        "publicBilbyJobs": connection([job_node(1, eventId={**EVENT, "isLigoEvent": True})])
    }
    parent: Any = answer["publicBilbyJobs"]
    keys = path.split(".")
    for key in keys[:-1]:
        parent = parent[int(key)] if key.isdigit() else parent[key]
    last: Any = int(keys[-1]) if keys[-1].isdigit() else keys[-1]
    if value is ...:
        del parent[last]
    else:
        parent[last] = value
    return answer


HOSTILE = [
    ("pageInfo", "x", "publicBilbyJobs.pageInfo"),
    ("pageInfo.hasNextPage", "true", "publicBilbyJobs.pageInfo.hasNextPage"),
    ("pageInfo.endCursor", 7, "publicBilbyJobs.pageInfo.endCursor"),
    ("edges", {"node": {}}, "publicBilbyJobs.edges"),
    ("edges.0", "node", "publicBilbyJobs.edges.0"),
    ("edges.0.node", [], "publicBilbyJobs.edges.0.node"),
    ("edges.0.node.id", 12, "publicBilbyJobs.edges.0.node.id"),
    ("edges.0.node.name", ["a"], "publicBilbyJobs.edges.0.node.name"),
    ("edges.0.node.user", ..., "publicBilbyJobs.edges.0.node.user"),
    ("edges.0.node.jobStatus", "done", "publicBilbyJobs.edges.0.node.jobStatus"),
    ("edges.0.node.jobStatus.date", 20260101, "publicBilbyJobs.edges.0.node.jobStatus.date"),
    ("edges.0.node.eventId.eventId", None, "publicBilbyJobs.edges.0.node.eventId.eventId"),
    ("edges.0.node.eventId.nickname", {}, "publicBilbyJobs.edges.0.node.eventId.nickname"),
    ("edges.0.node.eventId.isLigoEvent", "yes", "publicBilbyJobs.edges.0.node.eventId.isLigoEvent"),
]


@pytest.mark.parametrize(("path", "value", "named"), HOSTILE)
def test_answer_that_does_not_fit_is_a_transport_error(path: str, value: Any, named: str) -> None:
    with pytest.raises(TransportError) as info:
        public_job_page(_set(path, value), "PublicBilbyJobs", ligo_flag=True)
    message = str(info.value)
    assert "does not match the GraphQL schema" in message
    assert f"first at {named}:" in message and "PublicBilbyJobs" in message


#: Text for a bool: pydantic's lax mode reads ``"true"``/``"yes"`` as True; the hand
#: checks take only JSON booleans, as the schema says.
STRICTER_THAN_MODELS = {"pageInfo.hasNextPage", "edges.0.node.eventId.isLigoEvent"}


@pytest.mark.parametrize(("path", "value", "named"), HOSTILE)
def test_hand_checks_are_at_least_as_strict_as_the_models(
    path: str, value: Any, named: str
) -> None:
    """The models refuse every hostile answer here but the bool-as-text ones."""
    answer = _set(path, value)
    if path in STRICTER_THAN_MODELS:
        PublicBilbyJobs.model_validate(copy.deepcopy(answer))
    else:
        with pytest.raises(ValueError, match="validation error"):
            PublicBilbyJobs.model_validate(copy.deepcopy(answer))


def test_whole_listing_reports_a_hostile_answer(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("PublicBilbyJobs", {"data": _set("edges.0.node.id", 12)})
    with pytest.raises(TransportError, match=r"edges\.0\.node\.id"):
        anonymous().get_public_job_list()


def test_flag_not_required_of_the_twin_without_it() -> None:
    answer = _set("edges.0.node.eventId.isLigoEvent", ...)
    [node], _ = public_job_page(answer, "PublicBilbyJobsNoLigoFlag", ligo_flag=False)
    event = BilbyJob._from_answer(None, node).event_id
    assert event is not None and event.is_ligo_event is False
    with pytest.raises(TransportError, match="isLigoEvent: field required"):
        public_job_page(answer, "PublicBilbyJobs", ligo_flag=True)


def test_listing_falls_back_to_the_twin_and_reads_it(fake_gql: FakeGraphQL) -> None:
    refused = httpx.Response(
        400,
        json={"errors": [{"message": "Cannot query field 'isLigoEvent' on type 'EventIDType'."}]},
    )
    fake_gql.on("PublicBilbyJobs", lambda _v, _r: refused)
    twin = _set("edges.0.node.eventId.isLigoEvent", ...)
    fake_gql.on("PublicBilbyJobsNoLigoFlag", {"data": twin})
    gw = anonymous()
    [job] = gw.get_public_job_list()
    assert job.event_id is not None and job.event_id.event_id == EVENT["eventId"]
    [again] = gw.get_public_job_list()
    assert again.job_id == job.job_id
    assert fake_gql.names() == [
        "PublicBilbyJobs",
        "PublicBilbyJobsNoLigoFlag",
        "PublicBilbyJobsNoLigoFlag",
    ]


def _aliases(model: Any) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_checked_fields_are_the_fragments_fields() -> None:
    """A field added to or dropped from ``PublicBilbyJobFields`` fails here first."""
    from gwcloud_python import _job_answers as answers
    from gwcloud_python._generated.bilby import fragments

    checked = {name for name, _ in answers._JOB_FIELDS} | {"jobStatus", "eventId"}
    assert _aliases(PublicBilbyJobFields) == checked
    assert _aliases(fragments.PublicBilbyJobFieldsJobStatus) == {
        name for name, _ in answers._STATUS_FIELDS
    }
    event = {name for name, _ in answers._EVENT_FIELDS}
    assert _aliases(fragments.PublicBilbyJobFieldsEventId) == event | {"isLigoEvent"}
    assert _aliases(fragments.PublicBilbyJobFieldsNoLigoFlagEventId) == event

"""Errors a user can act on, against the local server in both deployment modes.

The local server answers with the real service's messages; the client must
turn "does not exist / not visible" into NotFoundError and "log in / not
allowed" into PermissionDeniedError, raise ClientClosedError after close()
(GraphQL calls and downloads, sync and async), and say which URL was meant
when the endpoint answers HTTP 404.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tests_e2e_support import endpoints

from gwcloud_python import (
    AsyncGWCloud,
    ClientClosedError,
    GraphQLError,
    GWCloud,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
)
from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

UNKNOWN_JOB = "QmlsYnlKb2JOb2RlOjk5OTk5"  # BilbyJobNode:99999
UNKNOWN_EVENT = "GW000101_000000"


def test_unknown_job_is_not_found(connect: Any) -> None:
    gw = connect("demo")
    with pytest.raises(NotFoundError) as info:
        gw.get_job_by_id(UNKNOWN_JOB, strict=True)
    assert isinstance(info.value, GraphQLError)
    assert gw.get_job_by_id(UNKNOWN_JOB) is None


def test_someone_elses_private_job_is_not_found(connect: Any, demo: dict[str, Any]) -> None:
    private = demo["jobs"]["demo-private"]
    with pytest.raises(NotFoundError):
        connect("official").get_job_by_id(private, strict=True)
    with pytest.raises(NotFoundError):
        connect().get_job_by_id(private, strict=True)
    assert connect("demo").get_job_by_id(private, strict=True).job_id == private


def test_file_list_of_a_hidden_job_is_not_found(connect: Any, demo: dict[str, Any]) -> None:
    gw = connect()
    with pytest.raises(NotFoundError):
        gw._bilby.bilby_result_files(job_id=demo["jobs"]["demo-private"])


def test_unknown_event_id_is_not_found(connect: Any) -> None:
    with pytest.raises(NotFoundError):
        connect().get_event_id(UNKNOWN_EVENT, strict=True)
    with pytest.raises(NotFoundError):
        connect("admin").delete_event_id(UNKNOWN_EVENT)


def test_ligo_event_is_not_found_for_others(connect: Any) -> None:
    with pytest.raises(NotFoundError):
        connect("demo").get_event_id("GW190425_081805", strict=True)
    assert connect("ligo").get_event_id("GW190425_081805", strict=True) is not None


def test_event_id_changes_need_the_event_admin_role(connect: Any) -> None:
    with pytest.raises(PermissionDeniedError) as info:
        connect("demo").create_event_id(UNKNOWN_EVENT, 1000000000.0)
    assert isinstance(info.value, GraphQLError)
    with pytest.raises(PermissionDeniedError):
        connect("demo").delete_event_id("GW150914_095045")


def test_changing_someone_elses_job_is_permission_denied(
    connect: Any, demo: dict[str, Any]
) -> None:
    job = connect("demo").get_job_by_id(demo["jobs"]["GW150914"], strict=True)
    with pytest.raises(PermissionDeniedError):
        job.set_name("taken_over")


def test_login_required_is_permission_denied(connect: Any, server: LocalServer) -> None:
    # The library refuses anonymous get_user_jobs itself; the server's answer to the raw
    # query, had it been sent, is the login-required message. (A raw query has no
    # fallback: on the announced schema, send the one without the LIGO flag.)
    bilby = connect()._bilby
    raw = bilby.bilby_jobs_no_ligo_flag if server.schema == "2026-next" else bilby.bilby_jobs
    with pytest.raises(PermissionDeniedError):
        raw(first=1)


# -- closed clients -----------------------------------------------------------------------------


def test_graphql_and_downloads_after_close(
    connect: Any, demo: dict[str, Any], tmp_path: Path
) -> None:
    gw = connect()
    job = gw.get_job_by_id(demo["jobs"]["GW150914"], strict=True)
    refs = job.get_full_file_list()
    gw.close()
    with pytest.raises(ClientClosedError):
        gw.get_public_job_list("GW150914")
    with pytest.raises(ClientClosedError):
        gw.get_files_by_reference(refs[:1])
    with pytest.raises(ClientClosedError):
        gw.save_files_by_reference(refs[:1], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_async_graphql_and_downloads_after_close(
    server: LocalServer, demo: dict[str, Any], tmp_path: Path
) -> None:
    async def scenario() -> None:
        gw = AsyncGWCloud(progress=False, **endpoints(server))
        job = await gw.get_job_by_id(demo["jobs"]["GW150914"], strict=True)
        refs = await job.get_full_file_list()
        await gw.aclose()
        with pytest.raises(ClientClosedError):
            await gw.get_public_job_list("GW150914")
        with pytest.raises(ClientClosedError):
            await gw.get_files_by_reference(refs[:1])
        with pytest.raises(ClientClosedError):
            await gw.save_files_by_reference(refs[:1], tmp_path / "out")

    asyncio.run(scenario())


# -- the endpoint itself ------------------------------------------------------------------------


def test_server_root_as_endpoint_hints_at_the_graphql_url(server: LocalServer) -> None:
    root = server.base_url.rstrip("/")
    gw = GWCloud(endpoint=root, auth_endpoint=f"{root}/auth/graphql", max_retries=0)
    try:
        with pytest.raises(TransportError) as info:
            gw.get_public_job_list("GW150914")
    finally:
        gw.close()
    assert info.value.status_code == 404
    assert f"{root}/bilby/graphql" in str(info.value)
    assert f"{root}/graphql" in str(info.value)
    assert server.endpoint in str(info.value)

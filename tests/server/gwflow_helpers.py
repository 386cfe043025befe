"""Helpers of the GWFlow server tests: post ad-hoc GWFlow operations to a 2026 server."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from typing import Any

import httpx

from gwcloud_python.server import LocalServer

DENIED = "Permission Denied"
LOGIN = "You do not have permission to perform this action"

UPSERT = """
mutation Upsert($params: GWFlowUpsertInput!) {
  upsertGwflowJob(input: {params: $params}) {
    result {
      gwflowJobId sname created
      filesPending { id sname analysisUid path fileName md5Sum }
      removedFiles { id sname analysisUid path fileName md5Sum }
    }
  }
}
"""
UPLOAD = """
mutation Upload($id: ID!, $file: Upload!) {
  uploadGwflowFile(input: {gwflowFileId: $id, file: $file}) { result { success fileSize } }
}
"""
LINK = """
mutation Link($jobId: ID!, $sname: String!, $uid: String!) {
  linkBilbyJobToGwflow(input: {jobId: $jobId, sname: $sname, analysisUid: $uid}) {
    result { success }
  }
}
"""
PENDING = "{ gwflowPendingFiles { id sname analysisUid path fileName md5Sum } }"
JOB_FIELDS = """
  id sname schemaVersion libraries isPruned ligoOnly currentHistoryId
  currentHistoryTimestamp lastUpdated creationTime user userId
  eventId { id eventId triggerId nickname gpsTime }
  files { id analysisUid path fileName fileSize uploaded downloadToken }
  bilbyJobs { id name gwflowAnalysisUid }
"""
BY_SNAME = f"query J($sname: String!) {{ gwflowJobBySname(sname: $sname) {{ {JOB_FIELDS} }} }}"
BY_ID = f"query J($id: ID!) {{ gwflowJob(id: $id) {{ {JOB_FIELDS} }} }}"
LIST = """
query L($search: String, $timeRange: String, $includePruned: Boolean, $first: Int,
        $after: String, $count: Int, $cursor: ID) {
  gwflowJobs(search: $search, timeRange: $timeRange, includePruned: $includePruned,
             first: $first, after: $after, count: $count, cursor: $cursor) {
    edges { cursor node { id sname isPruned ligoOnly } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

_names = itertools.count(1)


def new_sname(prefix: str = "S26") -> str:
    """Return a superevent name no other test uses."""
    return f"{prefix}{next(_names):04d}x"


def md5(data: bytes) -> str:
    """Hex md5 of some bytes."""
    return hashlib.md5(data).hexdigest()  # noqa: S324


def node_id(type_name: str, pk: int | str) -> str:
    """``base64("<type>:<pk>")``."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def pk_of(global_id: str) -> int:
    """The pk of any relay id."""
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def post(
    server: LocalServer,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """POST a document with ``Authorization: <token>``; assert HTTP 200."""
    headers = {"Authorization": token} if token else {}
    response = httpx.post(
        server.endpoint,
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def errors(body: dict[str, Any]) -> list[str]:
    """The messages of a response's errors."""
    return [e["message"] for e in body.get("errors") or []]


def upsert(server: LocalServer, token: str | None, **params: Any) -> dict[str, Any]:
    """Call ``upsertGwflowJob``; return the whole body."""
    return post(server, UPSERT, {"params": params}, token)


def upserted(server: LocalServer, token: str, **params: Any) -> dict[str, Any]:
    """Call ``upsertGwflowJob``, assert success and return its ``result``."""
    body = upsert(server, token, **params)
    assert body.get("errors") is None, body
    result: dict[str, Any] = body["data"]["upsertGwflowJob"]["result"]
    return result


def upload_response(
    server: LocalServer, token: str | None, file_id: str, data: bytes
) -> httpx.Response:
    """POST ``uploadGwflowFile`` as a GraphQL multipart request."""
    operations = {"query": UPLOAD, "variables": {"id": file_id, "file": None}}
    headers = {"Authorization": token} if token else {}
    return httpx.post(
        server.endpoint,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("ignored.bin", data, "application/octet-stream")},
        headers=headers,
        timeout=60,
    )


def upload(server: LocalServer, token: str | None, file_id: str, data: bytes) -> dict[str, Any]:
    """Upload one file; assert HTTP 200 and return the body."""
    response = upload_response(server, token, file_id, data)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def download(
    server: LocalServer, token: str, auth: str | None = None, **params: str
) -> httpx.Response:
    """GET ``/file_download/?fileId=<token>``."""
    headers = {"Authorization": auth} if auth else {}
    return httpx.get(
        server.file_download_url, params={"fileId": token, **params}, headers=headers, timeout=30
    )


def job(server: LocalServer, sname: str, token: str | None) -> dict[str, Any] | None:
    """``gwflowJobBySname``."""
    body = post(server, BY_SNAME, {"sname": sname}, token)
    assert body.get("errors") is None, body
    value: dict[str, Any] | None = body["data"]["gwflowJobBySname"]
    return value


def listing(server: LocalServer, token: str | None = None, **args: Any) -> dict[str, Any]:
    """``gwflowJobs``; assert no error."""
    body = post(server, LIST, args, token)
    assert body.get("errors") is None, body
    connection: dict[str, Any] = body["data"]["gwflowJobs"]
    return connection


def snames(connection: dict[str, Any]) -> list[str]:
    """The snames of a listing page, in order."""
    return [edge["node"]["sname"] for edge in connection["edges"]]


def entry(path: str, uid: str = "", md5_sum: str = "", size: int | None = None) -> dict[str, Any]:
    """One manifest entry (file name = the path's last part)."""
    value: dict[str, Any] = {
        "analysisUid": uid,
        "path": path,
        "fileName": path.rsplit("/", 1)[-1],
        "md5Sum": md5_sum,
    }
    if size is not None:
        value["fileSize"] = size
    return value

"""GraphQL resolvers of GWFlow (2026 schema), bound by :mod:`.bilby2026`.

The rules live in :mod:`.gwflow` (records), :mod:`.gwflow_files` (bytes) and
:mod:`.gwflow_search` (listing); these functions check who is calling, convert
arguments and shape the answers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from ariadne import ObjectType
from graphql import GraphQLResolveInfo

from .context import caller, login, state_of
from .errors import ServiceError
from .gwflow import (
    JOB_NODE,
    file_value,
    gwflow_job_value,
    job_rows,
    link_bilby_job,
    pending_files,
    require_ingest,
    upsert_gwflow_job,
    visible_to,
)
from .gwflow_files import store_upload
from .gwflow_search import connection_of, gwflow_connection
from .jobs import can_see, job_value, labels_of, select_jobs

__all__ = [
    "bilby_job_node_2026",
    "gwflow_job_type",
    "resolve_gwflow_job",
    "resolve_gwflow_job_by_sname",
    "resolve_gwflow_jobs",
    "resolve_gwflow_pending_files",
    "resolve_gwflowjob_set",
    "resolve_link_bilby_job",
    "resolve_upload_gwflow_file",
    "resolve_upsert_gwflow_job",
]

gwflow_job_type: ObjectType = ObjectType("GWFlowJob")
bilby_job_node_2026: ObjectType = ObjectType("BilbyJobNode")


def _unbase64(text: str) -> str:
    try:
        return base64.b64decode(text.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return ""


def _node_pk(info: GraphQLResolveInfo, global_id: str) -> int:
    """Decode a ``gwflowJob(id:)`` argument with graphene's ``Node`` errors."""
    text = _unbase64(global_id)
    kind, sep, raw = text.partition(":")
    if not sep or not kind:
        raise ServiceError(
            f'Unable to parse global ID "{global_id}". Make sure it is a base64 encoded '
            'string in the format: "TypeName:id". Exception message: Invalid Global ID'
        )
    if info.schema.get_type(kind) is None:
        raise ServiceError(f'Relay Node "{kind}" not found in schema')
    if kind != JOB_NODE:
        raise ServiceError(f"Must receive a {JOB_NODE} id.")
    if not raw.strip().isdigit():
        raise ServiceError(f"Field 'id' expected a number but got '{raw}'.")
    return int(raw)


def resolve_gwflow_job(_obj: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
    """Return one job by ``GWFlowJob:<pk>`` id: null when missing or hidden, pruned shown."""
    user = caller(info)
    pk = _node_pk(info, id)
    rows = job_rows(state_of(info), "g.id = ?", (pk,))
    if not rows or not visible_to(user, rows[0]):
        return None
    return gwflow_job_value(rows[0], user)


def resolve_gwflow_job_by_sname(
    _obj: Any, info: GraphQLResolveInfo, sname: str
) -> dict[str, Any] | None:
    """Return one job by sname: null when missing, pruned or hidden."""
    user = caller(info)
    rows = job_rows(state_of(info), "g.sname = ?", (sname,))
    if not rows or rows[0]["is_pruned"] or not visible_to(user, rows[0]):
        return None
    return gwflow_job_value(rows[0], user)


def resolve_gwflow_jobs(_obj: Any, info: GraphQLResolveInfo, **kwargs: Any) -> dict[str, Any]:
    """Search and page the visible jobs (see :mod:`.gwflow_search`)."""
    return gwflow_connection(state_of(info), caller(info), kwargs)


def resolve_gwflow_pending_files(_obj: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """List every not-uploaded file: login first, then the ingest check."""
    require_ingest(login(info))
    return pending_files(state_of(info))


def resolve_upsert_gwflow_job(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Get or create a job and reconcile its manifest (ingest users only)."""
    user = require_ingest(caller(info))
    return {"result": upsert_gwflow_job(state_of(info), user, input["params"])}


async def resolve_upload_gwflow_file(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Store the bytes of one registered file (ingest users only)."""
    user = require_ingest(caller(info))
    upload = input.get("file")
    source = getattr(upload, "file", None)
    if source is None:
        raise ServiceError("file must be an uploaded file")
    size = await asyncio.to_thread(
        store_upload, state_of(info), user, input.get("gwflow_file_id"), source
    )
    return {"result": {"success": True, "file_size": size}}


def resolve_link_bilby_job(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Link a Bilby job to a GWFlow analysis, or unlink it with ``sname: ""``."""
    user = require_ingest(caller(info))
    link_bilby_job(
        state_of(info), user, input.get("job_id"), input["sname"], input.get("analysis_uid") or ""
    )
    return {"result": {"success": True}}


@gwflow_job_type.field("files")
def resolve_files(obj: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """Every file row of the job, uploaded or not."""
    rows = state_of(info).db.query(
        "SELECT * FROM gwflow_files WHERE job_id = ? ORDER BY id", (obj["_pk"],)
    )
    return [file_value(row) for row in rows]


@gwflow_job_type.field("bilbyJobs")
def resolve_linked_bilby_jobs(
    obj: dict[str, Any], info: GraphQLResolveInfo
) -> list[dict[str, Any]]:
    """The linked Bilby jobs the caller may see, newest update first, then by name."""
    state = state_of(info)
    user = caller(info)
    rows = [
        row
        for row in select_jobs(
            state, "j.gwflow_job_id = ?", [obj["_pk"]], "ORDER BY j.last_updated DESC, j.name"
        )
        if can_see(user, row)
    ]
    labels = labels_of(state, [int(row["id"]) for row in rows])
    return [job_value(row, user, labels[int(row["id"])]) for row in rows]


@bilby_job_node_2026.field("gwflowJob")
def resolve_bilby_gwflow_job(
    obj: dict[str, Any], info: GraphQLResolveInfo
) -> dict[str, Any] | None:
    """The job's GWFlow job: null when unlinked, pruned or hidden from the caller."""
    pk = obj.get("gwflow_job_fk")
    if pk is None:
        return None
    user = caller(info)
    rows = job_rows(state_of(info), "g.id = ?", (int(pk),))
    if not rows or rows[0]["is_pruned"] or not visible_to(user, rows[0]):
        return None
    return gwflow_job_value(rows[0], user)


def resolve_gwflowjob_set(
    obj: dict[str, Any], info: GraphQLResolveInfo, **kwargs: Any
) -> dict[str, Any]:
    """The event's GWFlow jobs the caller may see (pruned ones included)."""
    user = caller(info)
    rows = job_rows(state_of(info), "e.event_id = ?", (obj.get("event_id"),), "ORDER BY g.id")
    nodes = [gwflow_job_value(row, user) for row in rows if visible_to(user, row)]
    return connection_of(nodes, kwargs)

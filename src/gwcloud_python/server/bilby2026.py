"""Resolvers that differ in the 2026 schema: the Query root, ``sessionUser``, GWFlow.

The 2026 Bilby schema drops ``gwclouduser`` (so the 2023 ``QueryType`` can not be bound
to it), adds GWFlow types and fields, and the sign-on plugin adds ``sessionUser``.  The
Bilby resolvers themselves are the 2023 ones; GWFlow's are in :mod:`.gwflow_api`.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from .bilby_queries import (
    _ORDER,
    _job_page,
    _page_size,
    resolve_all_labels,
    resolve_bilby_job,
    resolve_bilby_result_files,
    resolve_public_bilby_jobs,
    resolve_upload_token,
)
from .context import caller, login
from .errors import ServiceError
from .gwflow import decode_any_pk
from .gwflow_api import (
    bilby_job_node_2026,
    gwflow_job_type,
    resolve_gwflow_job,
    resolve_gwflow_job_by_sname,
    resolve_gwflow_jobs,
    resolve_gwflow_pending_files,
    resolve_gwflowjob_set,
    resolve_link_bilby_job,
    resolve_upload_gwflow_file,
    resolve_upsert_gwflow_job,
)

__all__ = [
    "bilby_job_node_2026",
    "event_type_2026",
    "gwflow_job_type",
    "gwflow_mutation",
    "query_2026",
]

query_2026: QueryType = QueryType()
gwflow_mutation: MutationType = MutationType()
event_type_2026: ObjectType = ObjectType("EventIDType")

query_2026.set_field("publicBilbyJobs", resolve_public_bilby_jobs)
query_2026.set_field("bilbyJob", resolve_bilby_job)
query_2026.set_field("bilbyResultFiles", resolve_bilby_result_files)
query_2026.set_field("generateBilbyJobUploadToken", resolve_upload_token)
query_2026.set_field("allLabels", resolve_all_labels)


@query_2026.field("bilbyJobs")
def resolve_bilby_jobs_2026(
    _obj: Any,
    info: GraphQLResolveInfo,
    gwflow_job: str | None = None,
    gwflow_analysis_uid: str | None = None,
    first: int | None = None,
    after: str | None = None,
    order_by: str | None = None,
    **_kwargs: Any,
) -> dict[str, Any]:
    """Page through the caller's own jobs, optionally those linked to GWFlow.

    ``user`` is accepted and ignored (the caller's jobs are returned, as in 2023).
    ``gwflowJob`` (any ``<type>:<pk>`` id of a GWFlow job; an undecodable one matches
    nothing) and ``gwflowAnalysisUid`` (exact) filter the caller's jobs by their link.
    """
    user = login(info)
    order = _ORDER.get(order_by or "-creationTime")
    if order is None:
        raise ServiceError(f"Unsupported orderBy {order_by!r}")
    where, params = ["j.user_id = ?"], list[Any]([user.id])
    if gwflow_job is not None:
        where.append("j.gwflow_job_id = ?")
        params.append(decode_any_pk(gwflow_job) or -1)
    if gwflow_analysis_uid is not None:
        where.append("j.gwflow_analysis_uid = ?")
        params.append(gwflow_analysis_uid)
    return _job_page(info, " AND ".join(where), params, order, _page_size(first), after)


@query_2026.field("sessionUser")
def resolve_session_user(_obj: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    """Tell whether the request carried a valid API token."""
    return {"is_authenticated": caller(info) is not None}


query_2026.set_field("gwflowJob", resolve_gwflow_job)
query_2026.set_field("gwflowJobBySname", resolve_gwflow_job_by_sname)
query_2026.set_field("gwflowJobs", resolve_gwflow_jobs)
query_2026.set_field("gwflowPendingFiles", resolve_gwflow_pending_files)
gwflow_mutation.set_field("upsertGwflowJob", resolve_upsert_gwflow_job)
gwflow_mutation.set_field("uploadGwflowFile", resolve_upload_gwflow_file)
gwflow_mutation.set_field("linkBilbyJobToGwflow", resolve_link_bilby_job)
event_type_2026.set_field("gwflowjobSet", resolve_gwflowjob_set)

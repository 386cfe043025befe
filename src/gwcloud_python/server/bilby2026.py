"""Resolvers that differ in the 2026 schema: the Query root, ``sessionUser``, GWFlow.

The 2026 Bilby schema drops ``gwclouduser`` (so the 2023 ``QueryType`` can not be bound
to it), adds GWFlow types and fields, and the sign-on plugin adds ``sessionUser``.  The
Bilby resolvers themselves are the 2023 ones.  The local server keeps no GWFlow jobs:
GWFlow queries answer null or empty and GWFlow mutations are refused.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from .bilby_queries import (
    connection,
    resolve_all_labels,
    resolve_bilby_job,
    resolve_bilby_jobs,
    resolve_bilby_result_files,
    resolve_public_bilby_jobs,
    resolve_upload_token,
)
from .context import caller, login
from .errors import ServiceError

__all__ = ["event_type_2026", "gwflow_mutation", "query_2026"]

GWFLOW_UNSUPPORTED = "GWFlow jobs are not supported by the local server"

query_2026: QueryType = QueryType()
gwflow_mutation: MutationType = MutationType()
event_type_2026: ObjectType = ObjectType("EventIDType")

query_2026.set_field("publicBilbyJobs", resolve_public_bilby_jobs)
query_2026.set_field("bilbyJob", resolve_bilby_job)
query_2026.set_field("bilbyResultFiles", resolve_bilby_result_files)
query_2026.set_field("generateBilbyJobUploadToken", resolve_upload_token)
query_2026.set_field("allLabels", resolve_all_labels)


def _empty_connection() -> dict[str, Any]:
    return connection([], 0, False)


@query_2026.field("bilbyJobs")
def resolve_bilby_jobs_2026(
    obj: Any,
    info: GraphQLResolveInfo,
    gwflow_job: str | None = None,
    gwflow_analysis_uid: str | None = None,
    user: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Page through the caller's own jobs.

    ``user`` is accepted and ignored (the caller's jobs are returned, as in 2023); a
    ``gwflowJob`` or ``gwflowAnalysisUid`` filter matches nothing, since no local job
    is linked to a GWFlow job.
    """
    page: dict[str, Any] = resolve_bilby_jobs(obj, info, **kwargs)
    if gwflow_job is not None or gwflow_analysis_uid is not None:
        return _empty_connection()
    return page


@query_2026.field("sessionUser")
def resolve_session_user(_obj: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    """Tell whether the request carried a valid API token."""
    return {"is_authenticated": caller(info) is not None}


@query_2026.field("gwflowJob")
@query_2026.field("gwflowJobBySname")
def resolve_gwflow_job(_obj: Any, info: GraphQLResolveInfo, **_kwargs: Any) -> None:
    """Return null: there are no GWFlow jobs."""
    caller(info)


@query_2026.field("gwflowJobs")
def resolve_gwflow_jobs(_obj: Any, info: GraphQLResolveInfo, **_kwargs: Any) -> dict[str, Any]:
    """Return an empty connection."""
    caller(info)
    return _empty_connection()


@query_2026.field("gwflowPendingFiles")
def resolve_gwflow_pending_files(_obj: Any, info: GraphQLResolveInfo) -> list[Any]:
    """Return no pending files (login required, like the real service)."""
    login(info)
    return []


@gwflow_mutation.field("upsertGwflowJob")
@gwflow_mutation.field("uploadGwflowFile")
@gwflow_mutation.field("linkBilbyJobToGwflow")
def resolve_gwflow_mutation(_obj: Any, info: GraphQLResolveInfo, **_kwargs: Any) -> None:
    """Refuse GWFlow changes."""
    login(info)
    raise ServiceError(GWFLOW_UNSUPPORTED)


@event_type_2026.field("gwflowjobSet")
def resolve_gwflowjob_set(_obj: Any, _info: GraphQLResolveInfo, **_kwargs: Any) -> dict[str, Any]:
    """Return an empty connection."""
    return _empty_connection()

"""Resolvers of the Bilby schema's query fields."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from ariadne import QueryType
from graphql import GraphQLResolveInfo

from .context import caller, login, state_of
from .db import hash_token
from .errors import ServiceError
from .ids import decode_cursor, encode_cursor, new_token, to_global_id
from .jobs import (
    JOB_TYPE_EXTERNAL,
    get_visible_job,
    job_value,
    labels_of,
    select_jobs,
    visibility_sql,
)
from .search import search_sql, time_range_sql

__all__ = ["connection", "query"]

query: QueryType = QueryType()

_ORDER = {
    "lastUpdated": "j.last_updated ASC, j.id ASC",
    "-lastUpdated": "j.last_updated DESC, j.id DESC",
    "creationTime": "j.creation_time ASC, j.id ASC",
    "-creationTime": "j.creation_time DESC, j.id DESC",
    "name": "j.name ASC, j.id ASC",
    "-name": "j.name DESC, j.id DESC",
}


def connection(nodes: list[Any], offset: int, has_next: bool) -> dict[str, Any]:
    """Build a Relay connection value from one page of nodes.

    Parameters
    ----------
    nodes : list
        The page.
    offset : int
        Position of the first node.
    has_next : bool
        Whether more nodes follow.

    Returns
    -------
    dict
        ``{page_info, edges}``.
    """
    edges = [{"node": node, "cursor": encode_cursor(offset + i)} for i, node in enumerate(nodes)]
    return {
        "page_info": {
            "has_next_page": has_next,
            "has_previous_page": offset > 0,
            "start_cursor": edges[0]["cursor"] if edges else None,
            "end_cursor": edges[-1]["cursor"] if edges else None,
        },
        "edges": edges,
    }


def _page_size(first: int | None) -> int:
    if first is None:
        raise ServiceError("You must provide a `first` value to paginate this connection.")
    if first < 0:
        raise ServiceError("Argument `first` must be a non-negative integer.")
    return first


def _job_page(
    info: GraphQLResolveInfo,
    where: str,
    params: list[Any],
    order: str,
    first: int,
    after: str | None,
) -> dict[str, Any]:
    state = state_of(info)
    user = caller(info)
    offset = decode_cursor(after)
    rows = select_jobs(
        state, where, [*params, first + 1, offset], f"ORDER BY {order} LIMIT ? OFFSET ?"
    )
    page = rows[:first]
    labels = labels_of(state, [int(row["id"]) for row in page])
    nodes = [job_value(row, user, labels[int(row["id"])]) for row in page]
    return connection(nodes, offset, len(rows) > first)


@query.field("publicBilbyJobs")
def resolve_public_bilby_jobs(
    _obj: Any,
    info: GraphQLResolveInfo,
    search: str | None = None,
    time_range: str | None = None,
    first: int | None = None,
    after: str | None = None,
    **_kwargs: Any,
) -> dict[str, Any]:
    """Page through the public jobs the caller may see, newest first."""
    user = caller(info)
    if time_range is None:
        raise ServiceError("publicBilbyJobs requires the timeRange argument")
    size = _page_size(first)
    visible, visible_params = visibility_sql(user)
    when, when_params = time_range_sql(time_range)
    limits = state_of(info).config
    match, match_params = search_sql(
        search, max_terms=limits.max_search_terms, max_length=limits.max_search_term_length
    )
    where = f"{visible} AND {when} AND {match}"
    return _job_page(
        info,
        where,
        [*visible_params, *when_params, *match_params],
        _ORDER["-creationTime"],
        size,
        after,
    )


@query.field("bilbyJobs")
def resolve_bilby_jobs(
    _obj: Any,
    info: GraphQLResolveInfo,
    first: int | None = None,
    after: str | None = None,
    order_by: str | None = None,
    **_kwargs: Any,
) -> dict[str, Any]:
    """Page through the caller's own jobs."""
    user = login(info)
    order = _ORDER.get(order_by or "-creationTime")
    if order is None:
        raise ServiceError(f"Unsupported orderBy {order_by!r}")
    return _job_page(info, "j.user_id = ?", [user.id], order, _page_size(first), after)


@query.field("bilbyJob")
def resolve_bilby_job(_obj: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    """Return one job by global ID."""
    state = state_of(info)
    user = caller(info)
    row = get_visible_job(state, user, id)
    return job_value(row, user, labels_of(state, [int(row["id"])])[int(row["id"])])


@query.field("bilbyResultFiles")
def resolve_bilby_result_files(_obj: Any, info: GraphQLResolveInfo, job_id: str) -> dict[str, Any]:
    """List the files of a job."""
    state = state_of(info)
    row = get_visible_job(state, caller(info), job_id)
    pk = int(row["id"])
    files: list[dict[str, Any]]
    if int(row["job_type"]) == JOB_TYPE_EXTERNAL:
        files = [
            {
                "path": row["result_url"],
                "is_dir": False,
                "file_size": Decimal(0),
                "download_token": None,
            }
        ]
    else:
        files = [
            {
                "path": f["path"],
                "is_dir": bool(f["is_dir"]),
                "file_size": Decimal(int(f["size"])),
                "download_token": f["token"],
            }
            for f in state.db.query("SELECT * FROM files WHERE job_id = ? ORDER BY path", (pk,))
        ]
    return {
        "id": to_global_id("BilbyResultFiles", pk),
        "job_type": int(row["job_type"]),
        "files": files,
    }


@query.field("generateBilbyJobUploadToken")
def resolve_upload_token(_obj: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    """Issue a one-use token for ``uploadBilbyJob`` (only its hash is stored)."""
    user = login(info)
    token = new_token()
    state_of(info).db.execute(
        "INSERT INTO upload_tokens (token, user_id, created) VALUES (?, ?, ?)",
        (hash_token(token), user.id, time.time()),
    )
    return {"token": token}


@query.field("gwclouduser")
def resolve_gwclouduser(_obj: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    """Return the caller's user name."""
    user = caller(info)
    return None if user is None else {"username": user.username}


@query.field("allLabels")
def resolve_all_labels(
    _obj: Any,
    info: GraphQLResolveInfo,
    first: int | None = None,
    after: str | None = None,
    **_kwargs: Any,
) -> dict[str, Any]:
    """Page through every label."""
    caller(info)
    offset = decode_cursor(after)
    rows = state_of(info).db.query("SELECT * FROM labels ORDER BY name")
    end = len(rows) if first is None else offset + first
    nodes = [
        {
            "id": to_global_id("LabelType", int(r["id"])),
            "name": r["name"],
            "description": r["description"],
            "protected": bool(r["protected"]),
        }
        for r in rows[offset:end]
    ]
    return connection(nodes, offset, end < len(rows))

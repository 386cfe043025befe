"""Public job lists read straight from the answer's JSON.

A page of a thousand public jobs would otherwise become some twelve thousand
pydantic objects, built only to be copied into :class:`BilbyJob` objects and thrown
away: most of the garbage a listing makes, and what set off the interpreter's full
garbage collection inside the call.  The generated ``*_data`` methods
(``tools/codegen_plugins.py``) send the same operation and return its ``data``;
this module checks every value the facade reads against the fragment
``PublicBilbyJobFields`` (``queries/bilby/fragments.graphql``) as strictly as the
models would, so a hostile answer still fails with :class:`TransportError`
naming where.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._client_base import next_cursor
from ._graphql import answer_mismatch

__all__ = ["public_job_page"]

_Fields = tuple[tuple[str, tuple[type, ...]], ...]
_TEXT: tuple[type, ...] = (str, type(None))
_STATUS_FIELDS: _Fields = (("name", _TEXT), ("date", _TEXT))
_JOB_FIELDS: _Fields = (("id", _TEXT), ("name", _TEXT), ("description", _TEXT), ("user", _TEXT))
_EVENT_FIELDS: _Fields = (("eventId", (str,)), ("triggerId", _TEXT), ("nickname", _TEXT))


def public_job_page(
    data: Mapping[str, Any], operation: str, *, ligo_flag: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """The checked job nodes of one ``publicBilbyJobs`` page and the next page's cursor.

    Parameters
    ----------
    data : mapping
        The answer's ``data``.
    operation : str
        The operation's name, for the error message.
    ligo_flag : bool
        Whether the operation selected ``eventId.isLigoEvent`` (then it must be a bool).

    Returns
    -------
    tuple
        The nodes (null edges and nodes left out) and the cursor of the next page,
        None on the last page.

    Raises
    ------
    TransportError
        A value has a type the schema does not allow, or a selected field is missing.
    """
    page = _value(data, "publicBilbyJobs", (dict, type(None)), operation, "")
    if page is None:
        return [], None
    info = _value(page, "pageInfo", (dict,), operation, "publicBilbyJobs")
    more = _value(info, "hasNextPage", (bool,), operation, "publicBilbyJobs.pageInfo")
    cursor = _value(info, "endCursor", _TEXT, operation, "publicBilbyJobs.pageInfo")
    edges = _value(page, "edges", (list,), operation, "publicBilbyJobs")
    nodes = []
    for index, edge in enumerate(edges):
        where = f"publicBilbyJobs.edges.{index}"
        if edge is None:
            continue
        if not isinstance(edge, dict):
            raise _mismatch(operation, where, edge)
        node = _value(edge, "node", (dict, type(None)), operation, where)
        if node is not None:
            _check_job(node, operation, where + ".node", ligo_flag)
            nodes.append(node)
    return nodes, next_cursor(more, cursor)


def _check_job(node: dict[str, Any], operation: str, where: str, ligo_flag: bool) -> None:
    for name, kinds in _JOB_FIELDS:
        _value(node, name, kinds, operation, where)
    status = _value(node, "jobStatus", (dict, type(None)), operation, where)
    if status is not None:
        for name, kinds in _STATUS_FIELDS:
            _value(status, name, kinds, operation, where + ".jobStatus")
    event = _value(node, "eventId", (dict, type(None)), operation, where)
    if event is not None:
        for name, kinds in _EVENT_FIELDS:
            _value(event, name, kinds, operation, where + ".eventId")
        if ligo_flag:
            _value(event, "isLigoEvent", (bool,), operation, where + ".eventId")


def _value(
    parent: Mapping[str, Any], name: str, kinds: tuple[type, ...], operation: str, where: str
) -> Any:
    path = f"{where}.{name}" if where else name
    if name not in parent:
        raise answer_mismatch(operation, path, "field required")
    value = parent[name]
    if not isinstance(value, kinds):
        raise _mismatch(operation, path, value)
    return value


def _mismatch(operation: str, path: str, value: object) -> Exception:
    return answer_mismatch(operation, path, f"unexpected {type(value).__name__}")

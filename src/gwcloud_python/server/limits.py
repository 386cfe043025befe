"""Bounds on what one request may cost: body size, query size and shape, upload tokens.

* :func:`make_query_parser` refuses a GraphQL document that is too long, has too many
  tokens, aliases or fields, or nests too deeply, before it is validated or executed
  (validation of thousands of aliased fields alone costs seconds of CPU);
* :class:`BodyGuardMiddleware` refuses request bodies larger than the configured
  limits (from ``Content-Length`` at once, or while streaming), and for multipart
  uploads reads only the leading ``operations`` part, checks the upload tokens it
  names and answers at once, without reading the files, when one is not valid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    value_from_ast_untyped,
)
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .db import hash_token
from .gwflow_files import upload_problem as gwflow_upload_problem
from .state import ServerConfig, ServerState

__all__ = [
    "UPLOAD_FIELDS",
    "BodyGuardMiddleware",
    "check_query_cost",
    "make_query_parser",
    "upload_token_problem",
]

#: Mutations that carry files; the only ones a multipart request may hold.
UPLOAD_FIELDS = (
    "uploadBilbyJob",
    "uploadHdf5BilbyJob",
    "uploadSupportingFiles",
    "uploadGwflowFile",
)
#: Largest ``operations`` part read before the files of a multipart request.
_MAX_OPERATIONS_BYTES = 1024 * 1024
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PART_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)


# -- query cost ------------------------------------------------------------------------


def _measure(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    memo: dict[str, tuple[int, int, int]],
    visiting: set[str],
) -> tuple[int, int, int]:
    """Return (fields, aliases, depth) of a selection set, fragments expanded."""
    fields = aliases = depth = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields += 1
            aliases += selection.alias is not None
            inner = (0, 0, 0)
            if selection.selection_set is not None:
                inner = _measure(selection.selection_set, fragments, memo, visiting)
            fields, aliases = fields + inner[0], aliases + inner[1]
            depth = max(depth, inner[2] + 1)
        elif isinstance(selection, InlineFragmentNode):
            inner = _measure(selection.selection_set, fragments, memo, visiting)
            fields, aliases, depth = fields + inner[0], aliases + inner[1], max(depth, inner[2])
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visiting or name not in fragments:
                continue  # cycles and unknown fragments are reported by validation
            if name not in memo:
                visiting.add(name)
                memo[name] = _measure(fragments[name].selection_set, fragments, memo, visiting)
                visiting.discard(name)
            inner = memo[name]
            fields, aliases, depth = fields + inner[0], aliases + inner[1], max(depth, inner[2])
    return fields, aliases, depth


def check_query_cost(document: DocumentNode, config: ServerConfig) -> None:
    """Refuse a parsed document whose shape passes the configured bounds.

    Parameters
    ----------
    document : DocumentNode
        The parsed document.
    config : ServerConfig
        ``max_query_depth``, ``max_query_aliases`` and ``max_query_fields``.

    Raises
    ------
    GraphQLError
        Naming the bound that was passed.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, tuple[int, int, int]] = {}
    fields = aliases = depth = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            f, a, d = _measure(definition.selection_set, fragments, memo, set())
            fields, aliases, depth = fields + f, aliases + a, max(depth, d)
    if depth > config.max_query_depth:
        raise GraphQLError(
            f"The query is nested {depth} levels deep; at most {config.max_query_depth} "
            "are allowed."
        )
    if aliases > config.max_query_aliases:
        raise GraphQLError(
            f"The query has {aliases} aliased fields; at most {config.max_query_aliases} "
            "are allowed."
        )
    if fields > config.max_query_fields:
        raise GraphQLError(
            f"The query selects {fields} fields; at most {config.max_query_fields} are allowed."
        )


def make_query_parser(config: ServerConfig) -> Callable[[Any, dict[str, Any]], DocumentNode]:
    """Return an ariadne ``query_parser`` that enforces the query bounds.

    Parameters
    ----------
    config : ServerConfig
        The bounds (``max_query_bytes``, ``max_query_tokens`` and the shape bounds).

    Returns
    -------
    callable
        ``(context, data) -> DocumentNode``, raising ``GraphQLError`` for a document
        that is too large, too deep or too wide.
    """

    def parse_query(_context: Any, data: dict[str, Any]) -> DocumentNode:
        query = data.get("query")
        if not isinstance(query, str):
            raise GraphQLError("The query must be a string.")
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > config.max_query_bytes:
            raise GraphQLError(
                f"The query is {size} bytes long; at most {config.max_query_bytes} are allowed."
            )
        try:
            document = parse(query, max_tokens=config.max_query_tokens)
            check_query_cost(document, config)
        except RecursionError:
            raise GraphQLError("The query is nested too deeply.") from None
        return document

    return parse_query


# -- request bodies ----------------------------------------------------------------------


async def _json_response(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _too_large(limit: int) -> dict[str, Any]:
    return {"errors": [{"message": f"The request body is larger than {limit} bytes."}]}


def _operations_part(body: bytes, boundary: bytes) -> tuple[bytes, bytes] | None:
    """Return (name, content) of the first part once it is complete, else None."""
    start = body.find(b"--" + boundary)
    if start < 0:
        return None
    header_end = body.find(b"\r\n\r\n", start)
    if header_end < 0:
        return None
    end = body.find(b"\r\n--" + boundary, header_end + 4)
    if end < 0:
        return None
    found = _PART_NAME.search(body[start:header_end])
    name = found.group(1) if found else b""
    return name, body[header_end + 4 : end]


def _upload_fields(operations: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Return (field name, response key, input) of each root field of an upload request.

    Raises
    ------
    ValueError
        When the request is not a single operation made only of upload mutations.
    """
    if not isinstance(operations, dict) or not isinstance(operations.get("query"), str):
        raise ValueError("the operations part must be a JSON object with a query")
    document = parse(operations["query"], max_tokens=10_000)
    variables = operations.get("variables") or {}
    if not isinstance(variables, dict):
        raise ValueError("variables must be a JSON object")
    wanted = operations.get("operationName")
    chosen = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (wanted is None or (d.name is not None and d.name.value == wanted))
    ]
    if len(chosen) != 1:
        raise ValueError("the operations part must name exactly one operation")
    result: list[tuple[str, str, dict[str, Any]]] = []
    for selection in chosen[0].selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value not in UPLOAD_FIELDS:
            raise ValueError("multipart requests are accepted only for " + ", ".join(UPLOAD_FIELDS))
        arguments = {
            arg.name.value: value_from_ast_untyped(arg.value, variables)
            for arg in selection.arguments
        }
        value = arguments.get("input")
        key = selection.alias.value if selection.alias else selection.name.value
        result.append((selection.name.value, key, value if isinstance(value, dict) else {}))
    return result


def upload_token_problem(
    state: ServerState, operations: Any, authorization: str = ""
) -> tuple[str, str | None] | None:
    """Check the tokens of a multipart upload before its files are read.

    Parameters
    ----------
    state : ServerState
        Server state.
    operations : object
        The decoded ``operations`` part.
    authorization : str
        The request's ``Authorization`` header (``uploadGwflowFile`` needs an ingest
        user's API token).

    Returns
    -------
    tuple of (str, str or None) or None
        ``(message, response key)`` of the first problem, None when every token is
        usable.
    """
    try:
        fields = _upload_fields(operations)
    except (GraphQLError, ValueError, TypeError) as exc:
        return f"Invalid upload request: {exc}", None
    for name, key, value in fields:
        if name == "uploadGwflowFile":
            gwflow_problem = gwflow_upload_problem(state, authorization, value)
            if gwflow_problem is not None:
                return gwflow_problem, key
        elif name == "uploadSupportingFiles":
            entries = value.get("supportingFiles") or []
            for entry in entries if isinstance(entries, list) else []:
                token = entry.get("fileToken") if isinstance(entry, dict) else None
                row = state.db.one(
                    "SELECT uploaded FROM supporting_files WHERE token = ?",
                    (hash_token(str(token or "")),),
                )
                if row is None:
                    return "Invalid supporting file token", key
                if row["uploaded"]:
                    return "Supporting file token has already been used", key
        else:
            token = str(value.get("uploadToken") or "")
            row = state.db.one(
                "SELECT 1 FROM upload_tokens WHERE token = ? AND used = 0", (hash_token(token),)
            )
            if row is None:
                return "Job upload token is invalid or expired.", key
    return None


class BodyGuardMiddleware:
    """Bound the request bodies of the GraphQL endpoints and check upload tokens first.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    state : ServerState
        Limits (``max_upload_bytes``, ``max_json_bytes``) and the database.
    """

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].rstrip("/").endswith("graphql")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        multipart = content_type.lower().startswith("multipart/")
        config = self.state.config
        limit = config.max_upload_bytes if multipart else config.max_json_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _json_response(send, 413, _too_large(limit))
            return
        received = 0
        exceeded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        source: Callable[[], Awaitable[Message]] = counted
        if multipart:
            found = _BOUNDARY.search(content_type)
            if found is None:
                await _json_response(
                    send, 400, {"errors": [{"message": "multipart body without a boundary"}]}
                )
                return
            buffered: list[Message] = []
            body = b""
            part: tuple[bytes, bytes] | None = None
            more = True
            while part is None and more and len(body) <= _MAX_OPERATIONS_BYTES:
                message = await counted()
                buffered.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                more = bool(message.get("more_body", False))
                part = _operations_part(body, found.group(1).encode("latin-1"))
            if exceeded:
                await _json_response(send, 413, _too_large(limit))
                return
            problem: tuple[str, str | None] | None
            if part is None or part[0] != b"operations":
                problem = ("Invalid upload request: the first part must be 'operations'", None)
            else:
                try:
                    operations = json.loads(part[1])
                except ValueError:
                    operations = None
                problem = upload_token_problem(
                    self.state, operations, headers.get("authorization", "")
                )
            if problem is not None:
                message_text, key = problem
                error: dict[str, Any] = {"message": message_text}
                if key is None:
                    await _json_response(send, 400, {"errors": [error]})
                else:
                    error["path"] = [key]
                    await _json_response(send, 200, {"data": {key: None}, "errors": [error]})
                return

            async def replay() -> Message:
                if buffered:
                    return buffered.pop(0)
                return await counted()

            source = replay

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the answer is the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, source, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _json_response(send, 413, _too_large(limit))

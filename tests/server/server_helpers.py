"""Helpers for the local-server tests: load the client's operations and post them."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

QUERIES = Path(__file__).resolve().parents[2] / "queries"


def _definitions() -> tuple[dict[str, OperationDefinitionNode], dict[str, FragmentDefinitionNode]]:
    operations: dict[str, OperationDefinitionNode] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for path in sorted(QUERIES.glob("*/*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                operations[definition.name.value] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
    return operations, fragments


_OPERATIONS, _FRAGMENTS = _definitions()


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: Any) -> None:
        self.names.add(node.name.value)


def operation(name: str) -> str:
    """Return the document of one client operation plus the fragments it uses."""
    needed: list[str] = []
    pending = [_OPERATIONS[name]]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for fragment in sorted(spreads.names):
            if fragment not in needed:
                needed.append(fragment)
                pending.append(_FRAGMENTS[fragment])  # type: ignore[arg-type]
    parts = [print_ast(_OPERATIONS[name])] + [print_ast(_FRAGMENTS[f]) for f in needed]
    return "\n\n".join(parts)


def gql(
    url: str,
    name: str,
    variables: dict[str, Any] | None = None,
    jwt: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """POST one client operation; return the JSON body (asserting HTTP 200)."""
    headers = {"Authorization": f"JWT {jwt}"} if jwt else {}
    response = httpx.post(
        url,
        json={"query": operation(name), "operationName": name, "variables": variables or {}},
        headers=headers,
        timeout=30,
        **kwargs,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_messages(body: dict[str, Any]) -> list[str]:
    """Return the messages of a response's errors."""
    return [error["message"] for error in body.get("errors") or []]


def multipart(
    url: str,
    name: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes]],
    jwt: str | None = None,
) -> dict[str, Any]:
    """POST an operation as a GraphQL multipart request.

    ``files`` maps a variable path (``variables.jobFile``) to ``(filename, bytes)``.
    """
    import json

    keys = list(files)
    data = {
        "operations": json.dumps(
            {"query": operation(name), "operationName": name, "variables": variables}
        ),
        "map": json.dumps({str(i): [key] for i, key in enumerate(keys)}),
    }
    upload = {
        str(i): (files[key][0], files[key][1], "application/octet-stream")
        for i, key in enumerate(keys)
    }
    headers = {"Authorization": f"JWT {jwt}"} if jwt else {}
    response = httpx.post(url, data=data, files=upload, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def make_tar(members: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """Build a gzipped tar: ``(name, content or None for a dir, symlink target or None)``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = link
                tar.addfile(info)
            elif content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def job_archive(
    label: str = "uploaded_job",
    extra: list[tuple[str, bytes | None, str | None]] | None = None,
    skip: str | None = None,
) -> bytes:
    """A valid uploaded-job archive, optionally with extra members or without one directory."""
    members: list[tuple[str, bytes | None, str | None]] = [
        ("./", None, None),
        (f"./{label}_config_complete.ini", f"label = {label}\noutdir = ./\n".encode(), None),
        ("./data", None, None),
        (f"./data/{label}_data0_dump.png", b"\x89PNG fake", None),
        ("./result", None, None),
        (f"./result/{label}_result.json", b'{"label": "%s"}' % label.encode(), None),
        ("./results_page", None, None),
        ("./results_page/home.html", b"<html></html>", None),
    ]
    if skip:
        members = [m for m in members if not m[0].startswith(f"./{skip}")]
    return make_tar(members + (extra or []))


def login(server: Any, api_token: str) -> dict[str, str]:
    """Return ``{"jwtToken", "refreshToken"}`` for an API token."""
    body = gql(server.auth_endpoint, "JwtToken", {"token": api_token})
    assert body.get("errors") is None, body
    pair: dict[str, str] = body["data"]["jwtToken"]
    return pair

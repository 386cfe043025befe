"""Checks shared by the reliability tests: secrets in text, files on disk, server requests."""

from __future__ import annotations

import os
import re
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gwcloud_python import GWCloud
from gwcloud_python.server import LocalServer

_JWT_SHAPE = re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$")
#: The shortest piece of a secret whose appearance counts as a leak.
FRAGMENT = 16


def client_secrets(gw: GWCloud) -> list[str]:
    """The API token, JWT and refresh token a client holds (test-only peek)."""
    found = [gw._token]
    auth = gw._jwt
    if auth is not None:
        found += [auth._jwt or "", auth._refresh_token or ""]
    return [s for s in found if s]


def fragments(secret: str) -> list[str]:
    """The secret and the pieces of it that would still be a leak when shown truncated.

    Pydantic and loggers truncate long values to their head and tail, so the
    last :data:`FRAGMENT` characters count, and the first ones too unless the
    secret is a JWT (whose first segment is the public ``{"alg":...}`` header).
    The payload and signature segments of a JWT count on their own.
    """
    pieces = {secret}
    if len(secret) >= 2 * FRAGMENT:
        pieces.add(secret[-FRAGMENT:])
        if _JWT_SHAPE.match(secret):
            pieces.update(seg for seg in secret.split(".")[1:] if len(seg) >= FRAGMENT)
        else:
            pieces.add(secret[:FRAGMENT])
    return sorted(pieces)


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """Return a description of every secret fragment found in ``texts``."""
    found = []
    texts = list(texts)
    for secret in secrets:
        for piece in fragments(secret):
            for index, text in enumerate(texts):
                if piece in text:
                    found.append(f"text #{index} contains {piece!r}: {text[:300]!r}")
    return found


def error_texts(err: BaseException) -> list[str]:
    """``str``, ``repr`` and the formatted traceback (with its chained causes) of ``err``."""
    return [str(err), repr(err), "".join(traceback.format_exception(err))]


def assert_no_secrets(texts: Iterable[str], secrets: Iterable[str]) -> None:
    """Fail when any secret (or a telling fragment of it) occurs in any text."""
    found = leaks(texts, [s for s in secrets if s])
    assert not found, "secret leaked:\n" + "\n".join(found)


def assert_error_clean(err: BaseException, secrets: Iterable[str]) -> None:
    """Fail when ``str``/``repr``/traceback of ``err`` shows a secret."""
    assert_no_secrets(error_texts(err), secrets)


def snapshot(root: Path) -> dict[str, Any]:
    """Every entry under ``root`` (symlinks not followed): file bytes, link targets, dirs."""
    tree: dict[str, Any] = {}
    if not root.exists():
        return tree
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                tree[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                tree[rel] = ("dir",)
            else:
                tree[rel] = ("file", path.read_bytes())
    return tree


def files_under(root: Path) -> dict[str, bytes]:
    """Regular files under ``root`` (relative POSIX path → bytes)."""
    return {rel: entry[1] for rel, entry in snapshot(root).items() if entry[0] == "file"}


def assert_nothing_partial(root: Path, expected: dict[str, bytes]) -> None:
    """Every file under ``root`` is complete: no ``.part``, and byte-exact where expected.

    ``expected`` maps relative paths to the server's bytes; a file that is not
    listed there must not exist at all.
    """
    for rel, data in files_under(root).items():
        assert not rel.endswith((".part", ".gwcloud-part", ".gwcloud-part.json")), (
            f"partial file left behind: {rel}"
        )
        assert rel in expected, f"unexpected file {rel} under {root}"
        assert data == expected[rel], f"{rel} is not byte-exact ({len(data)} bytes)"


def settled(
    server: LocalServer,
    ready: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 3.0,
) -> list[dict[str, Any]]:
    """The server's request log once ``ready(log)`` holds (or after ``timeout`` seconds).

    The server appends a request to its log only after the response is done, which
    can be a moment after the client has all the bytes.
    """
    deadline = time.monotonic() + timeout
    while True:
        log = server.requests()
        if ready(log) or time.monotonic() > deadline:
            return log
        time.sleep(0.02)


def _name(entry: dict[str, Any]) -> str:
    return entry["operation"] or f"{entry['method']} {entry['path']}"


def operations(server: LocalServer, *, at_least: int = 0) -> list[str]:
    """GraphQL operation names (or ``GET <path>``) of the requests seen, in order.

    Waits until at least ``at_least`` requests are logged.
    """
    return [_name(r) for r in settled(server, lambda log: len(log) >= at_least)]


def count(server: LocalServer, name: str, *, expect: int = 1) -> int:
    """How many requests for operation ``name`` the server saw, once ``expect`` are logged."""
    log = settled(server, lambda log: [_name(r) for r in log].count(name) >= expect)
    return [_name(r) for r in log].count(name)


def gets(server: LocalServer, prefix: str, *, expect: int = 1) -> list[dict[str, Any]]:
    """The GET requests whose path starts with ``prefix``, once ``expect`` are logged."""

    def matching(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in log if r["method"] == "GET" and r["path"].startswith(prefix)]

    return matching(settled(server, lambda log: len(matching(log)) >= expect))

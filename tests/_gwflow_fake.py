"""Shared pieces of the GWFlow unit tests: the fake service, relay ids, an ingest client."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from _gql_fake import SENTINEL_TOKEN, FakeGraphQL

from gwcloud_python import GWCloud

ENDPOINT = "https://gwcloud.test/graphql"
DOWNLOAD = "https://gwcloud.test/file_download/?fileId="


def md5hex(data: bytes) -> str:
    """The lower-case md5 the service registers."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def rid(kind: str, pk: int) -> str:
    """A relay id, ``base64("<kind>:<pk>")``."""
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def ingest(fake_gql: FakeGraphQL, **options: Any) -> GWCloud:
    """A 2026 client with a token (its session check answered), no retries by default."""
    fake_gql.on("SessionUser", {"data": {"sessionUser": {"isAuthenticated": True}}})
    options.setdefault("max_retries", 0)
    return GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, progress=False, **options)

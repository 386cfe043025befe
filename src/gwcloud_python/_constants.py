"""Named defaults for endpoints, timeouts, retries and transfers, kept in one place."""

from __future__ import annotations

import httpx

#: 1.x default endpoints of the public service (the 2023 deployment).
DEFAULT_AUTH_ENDPOINT = "https://gwcloud.org.au/auth/graphql"
DEFAULT_ENDPOINT = "https://gwcloud.org.au/bilby/graphql"

#: Environment variables read when the matching constructor argument is not given.
ENV_TOKEN = "GWCLOUD_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_ENDPOINT = "GWCLOUD_ENDPOINT"
ENV_AUTH_ENDPOINT = "GWCLOUD_AUTH_ENDPOINT"

#: Timeouts in seconds.  httpx's 5 s default is too short for large uploads.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0
WRITE_TIMEOUT = 600.0
POOL_TIMEOUT = 60.0
DEFAULT_TIMEOUT = httpx.Timeout(
    connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=WRITE_TIMEOUT, pool=POOL_TIMEOUT
)

#: Mutations that only hand out short-lived IDs and change nothing: safe to retry like queries.
SAFE_TO_REPEAT_MUTATIONS = frozenset({"GenerateFileDownloadIds"})

#: Retries for queries and downloads (never for mutations).
DEFAULT_MAX_RETRIES = 3
RETRY_INITIAL_DELAY = 0.5
RETRY_MAX_DELAY = 8.0
RETRY_AFTER_MAX = 60.0
RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503, 504})

#: Downloads.
DEFAULT_DOWNLOAD_CONCURRENCY = 8
DOWNLOAD_CHUNK_SIZE = 1024 * 1024
PART_SUFFIX = ".part"
#: In-memory downloads at least this large are spooled through a temporary file, so that
#: building the returned ``bytes`` does not need a second full-size buffer.
MEMORY_SPOOL_THRESHOLD = 16 * 1024 * 1024

#: Connection pool shared by GraphQL calls and transfers.
MAX_CONNECTIONS = 32
MAX_KEEPALIVE_CONNECTIONS = 16

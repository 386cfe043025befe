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

#: Downloads.  None: choose the number of parallel transfers from the number of files
#: and the link's latency (LOW_LATENCY_CONCURRENCY on a fast link, up to
#: MAX_DOWNLOAD_CONCURRENCY when answers take HIGH_LATENCY_SECONDS or more to start).
DEFAULT_DOWNLOAD_CONCURRENCY: int | None = None
LOW_LATENCY_CONCURRENCY = 8
MAX_DOWNLOAD_CONCURRENCY = 32
HIGH_LATENCY_SECONDS = 0.02
#: Before the first answer, an ID request taking this long counts as a distant server.
HIGH_LATENCY_HINT_SECONDS = 0.08
#: Download-ID requests in flight at once, and files per request.
ID_REQUEST_CONCURRENCY = 8
ID_BATCH_SIZE = 250
#: Largest single socket read on a plain-TCP connection.  httpcore asks for 64 KiB; a
#: 16 KiB piece (TLS records are no larger, and curl reads the same) is still in the
#: CPU's first-level cache when it is written on, which made the 1 GiB save ~10 %
#: faster on the 2-core reference machine (bench/README.md).
SOCKET_READ_SIZE = 16 * 1024
#: Temporary download files are ``.<name>.<tag>.gwcloud-part``; files at least
#: RESUME_MIN_SIZE bytes long keep resume data in ``<that>.json`` while they download.
PART_SUFFIX = ".gwcloud-part"
SIDECAR_SUFFIX = ".json"
RESUME_MIN_SIZE = 1024 * 1024
#: In-memory downloads at least this large are spooled through a temporary file, so that
#: building the returned ``bytes`` does not need a second full-size buffer.
MEMORY_SPOOL_THRESHOLD = 16 * 1024 * 1024

#: How many bytes more than listed a file may bring (a running job's log keeps growing
#: between the listing and the download).  A longer answer is refused, so an endless
#: one cannot fill the disk or the memory; an announced ``Content-Length`` over the
#: bound is refused before its body is read.
DOWNLOAD_GROWTH_MARGIN = 64 * 1024 * 1024

#: The most bytes a download whose size nobody listed may bring (a GWFlow file fetched by
#: its token alone, checked against its Content-Length): 1 TiB, a bound on an endless answer.
UNSIZED_DOWNLOAD_LIMIT = 1024**4

#: GWFlow jobs asked for per page of ``gwflowJobs`` (graphene-django's usual maximum).
GWFLOW_PAGE_SIZE = 100
#: GWFlow uploads at once in ``mirror_gwflow_files`` (the service buffers each body whole).
GWFLOW_MIRROR_CONCURRENCY = 8

#: Connection pool shared by GraphQL calls and transfers.
MAX_CONNECTIONS = 32
MAX_KEEPALIVE_CONNECTIONS = 32

#: Bounds of one GraphQL call: the largest answer accepted (bytes, after decompression) and
#: the seconds a call may take in all, retries included, on top of the per-phase timeouts.
#: A listing of thousands of jobs is a few MiB, so 64 MiB leaves a wide margin.
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
DEFAULT_CALL_TIMEOUT = 600.0
#: How often an async call checks whether its upload is out and its deadline clock runs.
DEADLINE_POLL = 0.5
#: Largest piece a compressed answer is inflated in at a time (bounds a compression bomb).
DECOMPRESS_STEP = 256 * 1024
#: A job listing that sends this many pages in a row without a job is treated as broken.
MAX_EMPTY_PAGES = 10
#: Seconds a TCP connection opened ahead of a download on a slow link may wait to be used.
PREWARM_EXPIRY_SECONDS = 5.0
#: Jobs one ``BilbyJobsById`` request fetches in full (its aliases j0..j9).
JOBS_PER_FULL_REQUEST = 10

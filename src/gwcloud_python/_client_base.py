"""Logic shared by :class:`GWCloud` and :class:`AsyncGWCloud`: everything but the I/O.

Configuration (endpoints, environment, deployment profile, the token and its
auth flow), argument checks, request variables and the conversion of
generated models into domain objects live here once; the two clients only
send requests.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from . import _constants as C
from ._auth import CorrelationIdAuth, JWTAuth, SessionTokenAuth, install_log_redaction, refused
from ._errors import (
    AuthenticationError,
    ExternalFileDownloadException,
    GraphQLError,
    GWCloudError,
    NotFoundError,
    OperationOutcomeUnknown,
    TransportError,
    ValidationError,
    register_secret,
)
from ._files import DownloadItem, ProgressCallback, already_saved, resolve_targets
from ._generated.auth import AuthClient
from ._graphql import guarded
from ._ini import IniError, LocalFile, local_supporting_files, match_requested_files
from ._job_base import JobRecord, check_job_name
from ._profiles import (
    ServiceProfile,
    download_url,
    effective_download_base,
    origin_of,
    resolve_profile,
)
from ._progress_io import ProgressReader, open_for_upload
from ._sync.graphql import Channel
from ._transport import Transport
from ._validation import (
    check_bool,
    check_event_id,
    check_gps_time,
    check_number,
    check_readable_file,
    check_text,
    check_timeout,
    check_trigger_id,
    to_cluster,
    to_time_range,
)
from .event_id import EventID
from .file_filters import BUILTIN_FILTERS, FileFilter
from .file_reference import FileReference, FileReferenceList
from .helpers import Cluster, JobType

__all__ = [
    "LIGO_FLAG",
    "ClientCore",
    "DownloadBatch",
    "DownloadPlan",
    "PageGuard",
    "SubmitRequest",
    "lacks_ligo_flag",
]

logger = logging.getLogger("gwcloud_python")

PathLike = str | os.PathLike[str]
OFFICIAL_SEARCH = "labels.name:Official"
#: Page size used when walking every page of a job search.
PAGE_SIZE = 100
#: First bytes of every HDF5 file.
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


#: ``root_path`` of a download plan that fetches into memory.
_IN_MEMORY: Any = object()

#: The event-ID field that gwcloud-python 3.0.0 announced the service will drop.
LIGO_FLAG = "isLigoEvent"
#: How graphql-core 3 (graphene 3, the local server) and graphql-core 2 (graphene 2) say
#: that a document names a field the schema does not have: a selection, an input field.
_NO_LIGO_FLAG = re.compile(
    r"Cannot query field ['\"]isLigoEvent['\"]"
    r"|Field ['\"]isLigoEvent['\"] is not defined by type"
    r"|In field ['\"]isLigoEvent['\"]: Unknown field"
)


def lacks_ligo_flag(err: GraphQLError) -> bool:
    """Whether the service refused an operation because it has no ``isLigoEvent`` field.

    Parameters
    ----------
    err : GraphQLError
        The error an operation that names the field was answered with.

    Returns
    -------
    bool
        True when some message is a schema-validation error about ``isLigoEvent``
        (the operation was not run); False for any other error.
    """
    return any(_NO_LIGO_FLAG.search(str(e.get("message", ""))) for e in err.errors)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _PageInfo(Protocol):
    @property
    def has_next_page(self) -> bool: ...

    @property
    def end_cursor(self) -> str | None: ...


class _Edge(Protocol):
    @property
    def node(self) -> Any: ...


class _Connection(Protocol):
    @property
    def page_info(self) -> _PageInfo: ...

    @property
    def edges(self) -> Sequence[_Edge | None]: ...


class _FileEntry(Protocol):
    path: str | None
    is_dir: bool | None
    file_size: Decimal | None
    download_token: str | None


class _FileListing(Protocol):
    job_type: int | None

    @property
    def files(self) -> Sequence[_FileEntry | None] | None: ...


def next_cursor(has_next_page: bool, end_cursor: str | None) -> str | None:
    """The cursor to ask for the next page with, or None when the page was the last.

    A page that says there is more but gives no cursor is taken as the last.
    """
    return end_cursor if has_next_page and end_cursor else None


class PageGuard:
    """Stops a page walk that would never end: a repeated cursor, or empty pages without end.

    A server that answers every page with the same ``endCursor`` (or keeps
    saying there is a next page while sending none of it) would otherwise
    make a listing loop forever.

    Parameters
    ----------
    endpoint : str
        The endpoint walked, for the error message.
    """

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self._cursors: set[str] = set()
        self._empty = 0

    def advance(self, nodes: Sequence[Any], after: str | None) -> None:
        """Check the page just received and the cursor of the next one.

        Raises
        ------
        TransportError
            The cursor was seen before, or too many pages in a row were empty.
        """
        if after is None:
            return
        if after in self._cursors:
            raise TransportError(
                f"the server at {self._endpoint} sent the page cursor {after!r} twice; "
                "the listing would never end, so it was stopped",
                url=self._endpoint,
            )
        self._cursors.add(after)
        self._empty = 0 if nodes else self._empty + 1
        if self._empty >= C.MAX_EMPTY_PAGES:
            raise TransportError(
                f"the server at {self._endpoint} sent {self._empty} empty pages in a row while "
                "saying more follow; the listing was stopped",
                url=self._endpoint,
            )


@dataclass(frozen=True)
class DownloadBatch:
    """The files of one job in a download request."""

    job_id: str
    kind: JobType
    indices: list[int]
    tokens: list[str]


@dataclass(frozen=True)
class DownloadPlan:
    """What one download call will fetch: checked before any download-ID request.

    ``requests`` holds one entry per download-ID request (at most
    :data:`~gwcloud_python._constants.ID_BATCH_SIZE` files of one job each);
    files already present (``skip_existing``) are in no request.
    """

    refs: FileReferenceList
    requests: list[DownloadBatch]
    targets: list[Path] | None
    count: int
    total_bytes: int

    @property
    def target_map(self) -> dict[int, Path]:
        """The final path of each file index (saves only)."""
        return dict(enumerate(self.targets or []))


@dataclass(frozen=True)
class SubmitRequest:
    """Checked arguments of a job submission from ini text."""

    name: str
    description: str
    private: bool
    ini_string: str
    cluster: str | None
    base_dir: Path
    #: The supporting files the ini names, checked, by normalised path (see ``_ini``).
    supporting: dict[str, LocalFile] = field(default_factory=dict)


class ClientCore:
    """Configuration and non-I/O logic of a GWCloud client (see :class:`GWCloud`)."""

    _token: str
    profile: ServiceProfile
    #: Whether the service is believed to have the LIGO flag of event IDs (``isLigoEvent``).
    #: True until the service refuses an operation that names it; then False for good,
    #: and reads go out as their ``...NoLigoFlag`` twins (see docs/migration.rst).
    _ligo_flag: bool = True

    def _configure(
        self,
        token: str,
        auth_endpoint: str,
        endpoint: str,
        *,
        service: str | None,
        timeout: object,
        max_retries: int,
        download_concurrency: int | None,
        progress: bool | None,
        progress_callback: ProgressCallback | None,
        allow_insecure_http: bool,
        file_download_url: str | None,
        job_file_download_url: str | None,
    ) -> None:
        install_log_redaction()
        if not isinstance(token, str):
            # Never echo the value: it may be a real token of the wrong type.
            raise ValidationError(f"token must be a string, got a {type(token).__name__}")
        # As in 1.x, the library never reads $GWCLOUD_TOKEN: GWCloud() is anonymous.
        # (The gwcloud command line reads it itself.)
        auth_given = auth_endpoint != C.DEFAULT_AUTH_ENDPOINT
        if not auth_given:
            env_auth = os.environ.get(C.ENV_AUTH_ENDPOINT)
            auth_given = bool(env_auth)
            auth_endpoint = env_auth or auth_endpoint
        if endpoint == C.DEFAULT_ENDPOINT:
            endpoint = os.environ.get(C.ENV_ENDPOINT) or endpoint
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValidationError(
                f"max_retries must be a non-negative integer, got {max_retries!r}"
            )
        if download_concurrency is not None:
            check_number(download_concurrency, "download_concurrency")
        check_bool(progress, "progress", optional=True)
        check_timeout(timeout)
        if progress_callback is not None and not callable(progress_callback):
            raise ValidationError(f"progress_callback must be callable, got {progress_callback!r}")
        self.profile = resolve_profile(
            endpoint=endpoint,
            auth_endpoint=auth_endpoint,
            auth_endpoint_given=auth_given,
            service=service,
            file_download_url=file_download_url,
            job_file_download_url=job_file_download_url,
        )
        if token:
            register_secret(token)
            self._check_secure(allow_insecure_http)
        self._token = token
        self._progress = progress
        self._progress_callback = progress_callback
        self._download_concurrency = download_concurrency
        self._max_retries = max_retries
        self._jwt: JWTAuth | None = None

    def _check_secure(self, allow: bool) -> None:
        urls = [self.profile.endpoint]
        if self.profile.auth_endpoint:
            urls.append(self.profile.auth_endpoint)
        for url in urls:
            if urlsplit(url).scheme == "http" and not _is_loopback(url):
                if not allow:
                    raise ValidationError(
                        f"refusing to send an API token over plain http to {url}; use https, "
                        "or pass allow_insecure_http=True if you really mean it"
                    )
                logger.warning("sending an API token over plain http to %s", url)

    # -- configuration views ----------------------------------------------------------------

    @property
    def service(self) -> str:
        """Which deployment profile is in use, ``"2023"`` or ``"2026"``."""
        return self.profile.service

    @property
    def endpoint(self) -> str:
        """GraphQL endpoint of the Bilby service."""
        return self.profile.endpoint

    @property
    def auth_endpoint(self) -> str | None:
        """GraphQL endpoint of the auth service (None on the 2026 profile)."""
        return self.profile.auth_endpoint

    @property
    def file_download_url(self) -> str:
        """Download URL of uploaded-job files (as used now; see :mod:`gwcloud_python.settings`)."""
        return effective_download_base(self.profile, uploaded=True)

    @property
    def job_file_download_url(self) -> str:
        """Download URL of normal-job files (as used now; see :mod:`gwcloud_python.settings`)."""
        return effective_download_base(self.profile, uploaded=False)

    def __repr__(self) -> str:
        who = "authenticated" if self._token else "anonymous"
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, service={self.service!r}, {who})"

    # -- authentication ---------------------------------------------------------------------

    def _bilby_auth(self, auth_transport: Transport) -> httpx.Auth | None:
        """The auth flow for Bilby requests; builds the JWT flow on the 2023 profile.

        Anonymous clients mark their requests with ``X-Correlation-ID`` on both
        profiles, as gwcloud-python 1.x did.
        """
        if self.service == "2026":
            return SessionTokenAuth(self._token) if self._token else CorrelationIdAuth()
        if not self._token:
            return CorrelationIdAuth()
        assert self.profile.auth_endpoint is not None
        self._auth_api = guarded(
            AuthClient(url=self.profile.auth_endpoint, http_client=Channel(auth_transport))
        )
        self._jwt = JWTAuth(self._obtain_jwt, self._refresh_jwt)
        return self._jwt

    def _obtain_jwt(self) -> tuple[str, str]:
        where = self.profile.auth_endpoint or self.endpoint
        try:
            result = self._auth_api.jwt_token(token=self._token).jwt_token
        except (AuthenticationError, GraphQLError):
            raise refused(where) from None
        if result is None or not result.jwt_token or not result.refresh_token:
            raise refused(where)
        return result.jwt_token, result.refresh_token

    def _refresh_jwt(self, refresh_token: str) -> tuple[str, str]:
        try:
            result = self._auth_api.refresh_token(refresh_token=refresh_token).refresh_token
        except GraphQLError as err:
            raise AuthenticationError(f"refreshing the session failed: {err}") from None
        if result is None:
            raise AuthenticationError("refreshing the session failed: no token returned")
        return result.token, result.refresh_token

    def _session_refused(self, authenticated: bool | None) -> None:
        if not authenticated:
            raise refused(self.endpoint)

    def _require_token(self, action: str) -> None:
        if not self._token:
            raise AuthenticationError(
                f"{action} needs an API token: this GWCloud client is anonymous and read-only"
            )

    # -- jobs -------------------------------------------------------------------------------

    @staticmethod
    def _public_args(search: object, time_range: object, number: object) -> tuple[str, str, int]:
        check_text(search, "search")
        window = to_time_range(time_range)
        return str(search), window.value, check_number(number)

    @staticmethod
    def _official_search(search: object) -> str:
        check_text(search, "search")
        return f"{OFFICIAL_SEARCH} {search}".strip()

    @staticmethod
    def _page_request(
        page_size: int, limit: int | None, seen: int, after: str | None
    ) -> dict[str, Any]:
        first = page_size if limit is None else min(page_size, limit - seen)
        request: dict[str, Any] = {"first": first}
        if after:
            request["after"] = after
        return request

    @staticmethod
    def _page_nodes(page: _Connection | None) -> tuple[list[Any], str | None]:
        """The nodes of one page and the cursor of the next (None on the last page)."""
        if page is None:
            return [], None
        nodes = [edge.node for edge in page.edges if edge is not None and edge.node is not None]
        info = page.page_info
        return nodes, next_cursor(info.has_next_page, info.end_cursor)

    @staticmethod
    def _listing(job: JobRecord, listing: _FileListing | None) -> tuple[FileReferenceList, JobType]:
        if listing is None:
            raise GWCloudError(f"no file list for job {job.job_id!r}")
        kind = JobType(listing.job_type if listing.job_type is not None else 0)
        job._job_type = kind  # before the references: they read it (external paths are URLs)
        refs = FileReferenceList()
        for entry in listing.files or []:
            if entry is None or entry.is_dir or entry.path is None:
                continue
            if kind is JobType.EXTERNAL:
                refs.append(FileReference(entry.path, None, None, job, url=entry.path))
            else:
                size = int(entry.file_size or 0)
                refs.append(FileReference(entry.path, size, entry.download_token, job))
        return refs, kind

    @staticmethod
    def _event_value(event_id: EventID | str | None) -> str:
        if isinstance(event_id, EventID):
            return check_event_id(event_id.event_id)
        if event_id is None:
            return ""
        return check_event_id(event_id)

    # -- files ------------------------------------------------------------------------------

    @staticmethod
    def _download_batches(
        file_references: Sequence[FileReference],
    ) -> tuple[FileReferenceList, list[DownloadBatch]]:
        if not isinstance(file_references, (list, tuple)):
            raise ValidationError(
                f"file_references must be a FileReferenceList, got {type(file_references).__name__}"
            )
        refs = FileReferenceList(_as_reference(r) for r in file_references)
        groups: dict[str, list[int]] = {}
        for index, ref in enumerate(refs):
            groups.setdefault(ref.parent.job_id, []).append(index)
        batches = []
        for job_id, indices in groups.items():
            first = refs[indices[0]]
            kind = first.parent.job_type
            if kind is JobType.EXTERNAL:
                link = first.url or first.path.as_posix()
                raise ExternalFileDownloadException(
                    f"job {job_id!r} keeps its results outside GWCloud; open {link} instead"
                )
            tokens = [refs[i].download_token or "" for i in indices]
            batches.append(DownloadBatch(job_id, kind, indices, tokens))
        return refs, batches

    def _batch_items(
        self, refs: FileReferenceList, batch: DownloadBatch, ids: Sequence[str | None] | None
    ) -> list[tuple[int, DownloadItem]]:
        if ids is None or len(ids) != len(batch.indices):
            raise GWCloudError(f"the server gave no download IDs for job {batch.job_id!r}")
        uploaded = batch.kind is not JobType.NORMAL
        items = []
        for index, file_id in zip(batch.indices, ids, strict=True):
            url = download_url(self.profile, uploaded=uploaded, file_id=file_id or "")
            ref = refs[index]
            if ref.file_size is None:
                raise ValidationError(
                    f"file {ref.path.as_posix()!r} of job {batch.job_id!r} has no size; "
                    "list the job's files again (get_full_file_list) to download it"
                )
            items.append(
                (index, DownloadItem(url=url, path=ref.path.as_posix(), size=ref.file_size))
            )
        return items

    def _download_origins(self, plan: DownloadPlan) -> list[tuple[str, int]]:
        """``(url, files)`` per download-ID request: where its files will come from.

        The URL is built for a placeholder file ID, before the server gives the
        real ones, so connections can be opened while the IDs are requested.
        """
        return [
            (
                download_url(self.profile, uploaded=batch.kind is not JobType.NORMAL, file_id="0"),
                len(batch.indices),
            )
            for batch in plan.requests
        ]

    def _downloads_share_endpoint(self, origins: Sequence[tuple[str, int]]) -> bool:
        """Whether every download of ``origins`` (:meth:`_download_origins`) goes to the
        GraphQL endpoint's own origin.

        Then the GraphQL answers' times bound the download link's round trip too.
        """
        home = origin_of(self.profile.endpoint)
        return all(origin_of(url) == home for url, _ in origins)

    @staticmethod
    def _check_root(
        file_references: Sequence[FileReference], root_path: object
    ) -> tuple[Path, list[Path] | None]:
        """Check ``root_path`` and where each file would go, before any request.

        Returns the root and the files' resolved targets (None when
        ``file_references`` is not a list; the download step refuses it).
        """
        if not isinstance(root_path, (str, os.PathLike)):
            raise ValidationError(f"root_path must be a path, got {root_path!r}")
        root = Path(root_path)
        if root.exists() and not root.is_dir():
            raise ValidationError(f"root_path {str(root)!r} exists and is not a directory")
        if not isinstance(file_references, (list, tuple)):
            return root, None
        paths = [_as_reference(ref).path.as_posix() for ref in file_references]
        return root, resolve_targets(root, paths)

    def _download_plan(
        self,
        file_references: Sequence[FileReference],
        root_path: object = _IN_MEMORY,
        *,
        skip_existing: object = False,
        relative_paths: Sequence[str] | None = None,
    ) -> DownloadPlan:
        """Check a download call and split it into download-ID requests, before any request.

        With ``root_path`` (a save) every target is resolved and checked, and
        with ``skip_existing`` the files whose target already holds a regular
        file of the listed size are left out.  Without it, the plan is for an
        in-memory fetch.  ``relative_paths`` replaces the
        references' own paths under the root (the bulk job call adds a folder
        per job).
        """
        check_bool(skip_existing, "skip_existing")
        targets: list[Path] | None = None
        if root_path is not _IN_MEMORY:
            if relative_paths is None:
                _, targets = self._check_root(file_references, root_path)
            else:
                root, _ = self._check_root([], root_path)
                targets = resolve_targets(root, list(relative_paths))
        refs, batches = self._download_batches(file_references)
        skipped: set[int] = set()
        if skip_existing and targets is not None:
            skipped = {
                index
                for index, ref in enumerate(refs)
                if ref.file_size is not None and already_saved(targets[index], ref.file_size)
            }
            if skipped:
                logger.info("skipping %d file(s) already saved", len(skipped))
        requests: list[DownloadBatch] = []
        for batch in batches:
            pairs = [
                (index, token)
                for index, token in zip(batch.indices, batch.tokens, strict=True)
                if index not in skipped
            ]
            for start in range(0, len(pairs), C.ID_BATCH_SIZE):
                chunk = pairs[start : start + C.ID_BATCH_SIZE]
                requests.append(
                    DownloadBatch(
                        batch.job_id, batch.kind, [i for i, _ in chunk], [t for _, t in chunk]
                    )
                )
        count = sum(len(request.indices) for request in requests)
        total = sum(refs[i].file_size or 0 for request in requests for i in request.indices)
        return DownloadPlan(refs, requests, targets, count, total)

    @staticmethod
    def _job_folders(jobs: Sequence[JobRecord]) -> list[str]:
        """One folder name per job for the bulk save: its name, made unique where needed.

        Jobs that share a name get ``<name>-<n>`` with ``n`` counting from 2 in
        the order given; a repeated job is refused.
        """
        seen_ids: set[str] = set()
        used: set[str] = set()
        folders = []
        for job in jobs:
            if job.job_id in seen_ids:
                raise ValidationError(f"job {job.job_id!r} is given more than once")
            seen_ids.add(job.job_id)
            base = job.name or "job"
            name, n = base, 1
            while name.casefold() in used:
                n += 1
                name = f"{base}-{n}"
            used.add(name.casefold())
            folders.append(name)
        return folders

    @staticmethod
    def _job_file_paths(
        folders: Sequence[str], lists: Sequence[FileReferenceList]
    ) -> tuple[FileReferenceList, list[str]]:
        """Join the jobs' file lists for the bulk save: all references, and each one's path
        under its job's folder (``<folder>/<listed path>``), in the same order."""
        refs = FileReferenceList(ref for files in lists for ref in files)
        paths = [
            f"{folder}/{ref.path.as_posix()}"
            for folder, files in zip(folders, lists, strict=True)
            for ref in files
        ]
        return refs, paths

    # -- submitting and uploading -----------------------------------------------------------

    def _submit_request(
        self,
        job_name: object,
        job_description: object,
        private: object,
        ini_string: object,
        cluster: object,
        base_dir: Path,
    ) -> SubmitRequest:
        name = check_job_name(job_name, "job_name")
        check_text(job_description, "job_description")
        check_bool(private, "private")
        if not isinstance(ini_string, str) or not ini_string.strip():
            raise ValidationError(
                f"ini_string must be the non-empty text of an ini file, got {ini_string!r}"
            )
        target: Cluster = to_cluster(cluster)
        try:
            supporting, problems = local_supporting_files(ini_string, base_dir)
        except IniError as err:
            raise ValidationError(f"the ini cannot be read as bilby_pipe reads it: {err}") from None
        if problems:
            raise ValidationError(
                "supporting files named in the ini cannot be uploaded (nothing was sent): "
                + "; ".join(problems)
            )
        self._require_token("submitting a job")
        return SubmitRequest(
            name,
            str(job_description),
            bool(private),
            ini_string,
            target.value,
            base_dir,
            supporting,
        )

    @staticmethod
    def _read_ini_file(ini_file: object) -> tuple[str, Path]:
        path = check_readable_file(ini_file, "ini_file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ValidationError(f"ini_file {str(path)!r} cannot be read as text: {err}") from None
        return text, path.parent

    @staticmethod
    def _supporting_paths(entries: Sequence[Any], request: SubmitRequest) -> list[tuple[Path, str]]:
        """Local files and tokens of the supporting files the server asked for.

        Only files the ini names (checked by :meth:`_submit_request`) can be
        given; a request for any other path fails before anything is read or
        sent, as a hostile server could otherwise name any file on the machine.
        """
        requested = [(e.file_path or "", e.token or "") for e in entries if e is not None]
        pairs, refused = match_requested_files(requested, request.supporting, request.base_dir)
        if refused:
            raise GWCloudError(
                "the server asked for supporting files the ini does not name: "
                + ", ".join(repr(path) for path in refused)
                + "; only files the ini names, inside its directory, are ever uploaded"
            )
        return [(local.path, token) for local, token in pairs]

    @staticmethod
    def _check_same_file(path: Path, handle: ProgressReader, request: SubmitRequest) -> None:
        """Refuse an opened supporting file that is not the one checked before submission."""
        info = os.fstat(handle.fileno())
        for local in request.supporting.values():
            if local.path == path and (local.device, local.inode) == (info.st_dev, info.st_ino):
                return
        raise GWCloudError(f"supporting file {str(path)!r} was replaced after it was checked")

    def _external_request(
        self,
        job_name: object,
        job_description: object,
        private: object,
        ini_string: object,
        url: object,
    ) -> dict[str, Any]:
        check_job_name(job_name, "job_name")
        check_text(job_description, "job_description")
        check_bool(private, "private")
        check_text(ini_string, "ini_string")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValidationError(f"url must be an http(s) URL, got {url!r}")
        self._require_token("upload_external_job")
        return {
            "name": job_name,
            "private": private,
            "ini_file": ini_string,
            "result_url": url,
            "description": job_description,
        }

    def _open_upload(self, path: Path) -> ProgressReader:
        """Open a file to stream in an upload, with the client's progress settings."""
        return open_for_upload(
            path,
            progress=self._progress,
            callback=self._progress_callback,
            description=f"Uploading {path.name}",
        )

    @staticmethod
    def _upload_checks(description: object, public: object) -> None:
        check_text(description, "description")
        check_bool(public, "public")

    def _hdf5_request(
        self, description: object, hdf5_file: object, ini_file: object, public: object
    ) -> tuple[Path, Path]:
        check_text(description, "description")
        check_bool(public, "public")
        hdf5 = check_readable_file(hdf5_file, "hdf5_file")
        ini = check_readable_file(ini_file, "ini_file")
        with open(hdf5, "rb") as handle:
            if handle.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
                raise ValidationError(f"hdf5_file {str(hdf5)!r} is not an HDF5 file")
        if self.service != "2026":
            raise GWCloudError(
                "upload_hdf5_job needs the 2026 GWCloud service; this client talks to the "
                f"{self.service} service ({self.endpoint}), which has no HDF5 upload"
            )
        self._require_token("upload_hdf5_job")
        return hdf5, ini

    # -- event IDs --------------------------------------------------------------------------

    def _create_event_vars(
        self,
        event_id: object,
        gps_time: object,
        trigger_id: object,
        nickname: object,
        is_ligo_event: object,
    ) -> dict[str, Any]:
        check_event_id(event_id)
        gps = check_gps_time(gps_time)
        check_trigger_id(trigger_id)
        check_text(nickname, "nickname", optional=True)
        check_bool(is_ligo_event, "is_ligo_event")
        self._require_token("create_event_id")
        variables: dict[str, Any] = {
            "event_id": event_id,
            "gps_time": Decimal(repr(gps)),
            "trigger_id": trigger_id,
            "nickname": nickname,
        }
        # An omitted flag is "not LIGO-only" on every service; only True needs the field.
        if is_ligo_event:
            variables["is_ligo_event"] = True
        return variables

    def _update_event_vars(
        self,
        event_id: object,
        gps_time: object,
        trigger_id: object,
        nickname: object,
        is_ligo_event: object,
    ) -> dict[str, Any]:
        check_event_id(event_id)
        changes: dict[str, Any] = {"event_id": event_id}
        if gps_time is not None:
            changes["gps_time"] = check_gps_time(gps_time)
        if trigger_id is not None:
            changes["trigger_id"] = check_trigger_id(trigger_id)
        if nickname is not None:
            changes["nickname"] = check_text(nickname, "nickname")
        if is_ligo_event is not None:
            changes["is_ligo_event"] = check_bool(is_ligo_event, "is_ligo_event")
        self._require_token("update_event_id")
        return changes

    def _ligo_flag_refused(self, cause: GraphQLError | None = None) -> ValidationError:
        """The error for ``is_ligo_event=`` on a service without the LIGO flag.

        Marks the client as talking to such a service. ``cause`` is the server's
        refusal, when that is how the client learnt it.
        """
        self._ligo_flag = False
        error = ValidationError(
            f"is_ligo_event: the GWCloud service at {self.endpoint} no longer has the"
            f" {LIGO_FLAG} field (gwcloud-python 3.0.0 announced its removal), so an event"
            " ID cannot be made or unmade LIGO-only through it; leave is_ligo_event out"
            " (nothing was changed)"
        )
        error.__cause__ = cause
        return error

    @staticmethod
    def _event(event_id: str, node: Any, *, strict: bool = True) -> EventID | None:
        if node is None:
            if not strict:
                return None
            raise NotFoundError(
                [{"message": f"event ID {event_id!r} does not exist or is not visible"}],
                None,
                "EventId",
            )
        return EventID._from_gql(node)

    @staticmethod
    def _half_submitted(
        job_id: str, err: BaseException, *, sent: bool = True
    ) -> OperationOutcomeUnknown:
        """The error for a job that was created but whose supporting files did not all arrive.

        ``sent=False`` says that no supporting file was sent at all (the
        server's list was refused before any upload).
        """
        reason = str(err) if isinstance(err, GWCloudError) else f"{type(err).__name__}: {err}"
        where = (
            "none of them was sent. The job waits for files that will not come"
            if not sent
            else "the server may hold some of them"
        )
        error = OperationOutcomeUnknown(
            f"job {job_id!r} was created, but uploading its supporting files failed ({reason}); "
            f"{where}. Check the job with get_job_by_id({job_id!r}) before submitting again.",
            operation_name="UploadSupportingFiles",
        )
        error.job_id = job_id
        return error

    @staticmethod
    def _created_job_id(created: Any, what: str) -> str:
        if created is None or created.result is None or created.result.job_id is None:
            raise GWCloudError(f"the server did not return the {what}'s ID")
        return str(created.result.job_id)


def job_not_found(job_id: object) -> NotFoundError:
    """The error for a job the server did not return (strict ``get_job_by_id``)."""
    return NotFoundError(
        [{"message": f"job {job_id!r} does not exist or is not visible to this client"}],
        None,
        "BilbyJob",
    )


def latency_hint(elapsed: float, known: float | None) -> float:
    """Return the best upper bound of the link's latency before any file answer arrives.

    Parameters
    ----------
    elapsed : float
        How long a download-ID request took, seconds (server work on the batch included).
    known : float or None
        The quickest recent GraphQL answer of the same client, seconds (None if none yet).

    Returns
    -------
    float
        The smaller of the two: a large batch's server time alone must not make a
        fast link look distant (which would start too many transfers at once).
    """
    return elapsed if known is None else min(elapsed, known)


def _as_reference(item: object) -> FileReference:
    if not isinstance(item, FileReference):
        raise ValidationError(f"file_references may hold only FileReference objects, not {item!r}")
    return item


_JobT = TypeVar("_JobT", bound=JobRecord)


def check_jobs(jobs: object, kind: type[_JobT]) -> list[_JobT]:
    """Return ``jobs`` as a list if it is a list or tuple of ``kind`` objects."""
    if not isinstance(jobs, (list, tuple)):
        raise ValidationError(f"jobs must be a list of {kind.__name__}, got {jobs!r}")
    for job in jobs:
        if not isinstance(job, kind):
            raise ValidationError(f"jobs may hold only {kind.__name__} objects, not {job!r}")
    return list(jobs)


def job_file_filter(job: JobRecord, file_filter: object) -> FileFilter:
    """The filter ``file_filter`` names for ``job`` (a registered name, ``"full"`` or a function).

    Raises
    ------
    ValidationError
        ``file_filter`` is neither a known filter name nor callable.
    """
    if callable(file_filter):
        return file_filter
    if file_filter == "full":
        return list
    registry: dict[str, FileFilter] = getattr(type(job), "FILE_LIST_FILTERS", BUILTIN_FILTERS)
    if not isinstance(file_filter, str) or file_filter not in registry:
        names = ", ".join(repr(name) for name in [*sorted(registry), "full"])
        raise ValidationError(
            f"file_filter must be a filter name ({names}) or a function, got {file_filter!r}"
        )
    return registry[file_filter]

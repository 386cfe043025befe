"""The :class:`GWCloud` client: search, download, submit and upload Bilby jobs."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from gwcloud_auth_client import AuthClient
from gwcloud_bilby_client import BilbyClient, SupportingFileUploadInput, Upload

from . import _constants as C
from ._archive import check_job_archive, check_job_directory, job_directory_archive
from ._auth import JWTAuth, install_log_redaction, refused
from ._errors import (
    AuthenticationError,
    ExternalFileDownloadException,
    GraphQLError,
    GWCloudError,
    ValidationError,
    register_secret,
)
from ._files import Downloader, DownloadItem, ProgressCallback, resolve_target
from ._graphql import Channel
from ._ini import missing_supporting_files
from ._transport import Transport
from ._validation import (
    check_bool,
    check_event_id,
    check_gps_time,
    check_number,
    check_readable_file,
    check_text,
    check_trigger_id,
    to_cluster,
    to_global_job_id,
    to_time_range,
)
from .bilby_job import BilbyJob
from .event_id import EventID
from .file_reference import FileReference, FileReferenceList
from .helpers import Cluster, JobType, TimeRange

__all__ = ["GWCloud"]

logger = logging.getLogger("gwcloud_python")

PathLike = str | os.PathLike[str]
OFFICIAL_SEARCH = "labels.name:Official"
#: Page size used when walking every page of a job search.
PAGE_SIZE = 100


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def derive_download_urls(endpoint: str) -> tuple[str, str]:
    """Download URLs ``(uploaded_jobs, normal_jobs)`` for a 2023-style Bilby endpoint.

    ``https://host/bilby/graphql`` gives ``https://host/bilby/file_download/``
    and ``https://host/job/apiv1/file/``; any other path keeps only the origin.
    """
    base = endpoint.rstrip("/")
    suffix = "/bilby/graphql"
    if base.endswith(suffix):
        base = base[: -len(suffix)]
    else:
        parts = urlsplit(endpoint)
        base = f"{parts.scheme}://{parts.netloc}"
    return f"{base}/bilby/file_download/", f"{base}/job/apiv1/file/"


class GWCloud:
    """Client for GWCloud, the service that runs, stores and shares Bilby jobs.

    Parameters
    ----------
    token : str, optional
        API token of a GWCloud user.  Empty (the default) gives an anonymous,
        read-only client; ``$GWCLOUD_TOKEN`` is used when set.
    auth_endpoint : str, optional
        GraphQL endpoint of the auth service that trades the token for a JWT
        (``$GWCLOUD_AUTH_ENDPOINT`` overrides the default).
    endpoint : str, optional
        GraphQL endpoint of the Bilby service (``$GWCLOUD_ENDPOINT`` overrides
        the default).  File download URLs are derived from it.
    timeout : float or httpx.Timeout, optional
        Request timeout; long write and read timeouts suit large transfers.
    max_retries : int, optional
        Retries of queries and downloads on connection errors, 429 and 5xx.
        Mutations are never retried.
    download_concurrency : int, optional
        Files downloaded at once.
    progress : bool or None, optional
        Show progress bars on transfers: None (default) when stderr is a terminal.
    progress_callback : callable, optional
        Called as ``callback(bytes_done, bytes_total)`` during transfers.
    http_client : httpx.Client, optional
        A client to use instead of the built-in pooled one.
    allow_insecure_http : bool, optional
        Allow sending a token over plain ``http://`` to a non-loopback host
        (a warning is logged).  Refused by default.
    file_download_url, job_file_download_url : str, optional
        Override the derived download URLs of uploaded-job files and of
        normal-job files.

    Raises
    ------
    GWCloudAuthenticationError
        The token was refused.
    ValidationError
        An argument is invalid.

    Examples
    --------
    >>> gw = GWCloud()                                    # anonymous, read-only
    >>> jobs = gw.get_official_job_list("GW150914")       # doctest: +SKIP
    """

    def __init__(
        self,
        token: str = "",
        auth_endpoint: str = C.DEFAULT_AUTH_ENDPOINT,
        endpoint: str = C.DEFAULT_ENDPOINT,
        *,
        timeout: float | httpx.Timeout = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        download_concurrency: int = C.DEFAULT_DOWNLOAD_CONCURRENCY,
        progress: bool | None = None,
        progress_callback: ProgressCallback | None = None,
        http_client: httpx.Client | None = None,
        allow_insecure_http: bool = False,
        file_download_url: str | None = None,
        job_file_download_url: str | None = None,
    ) -> None:
        install_log_redaction()
        token = token or os.environ.get(C.ENV_TOKEN, "")
        if auth_endpoint == C.DEFAULT_AUTH_ENDPOINT:
            auth_endpoint = os.environ.get(C.ENV_AUTH_ENDPOINT) or auth_endpoint
        if endpoint == C.DEFAULT_ENDPOINT:
            endpoint = os.environ.get(C.ENV_ENDPOINT) or endpoint
        check_text(token, "token")
        check_number(max_retries + 1, "max_retries + 1")
        check_number(download_concurrency, "download_concurrency")
        for name, url in (("endpoint", endpoint), ("auth_endpoint", auth_endpoint)):
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                raise ValidationError(f"{name} must be an http(s) URL, got {url!r}")
        if token:
            register_secret(token)
            self._check_secure(token, endpoint, auth_endpoint, allow_insecure_http)
        self.endpoint = endpoint
        self.auth_endpoint = auth_endpoint
        self._token = token
        self._progress = progress
        self._progress_callback = progress_callback
        self._download_concurrency = download_concurrency
        derived_uploaded, derived_normal = derive_download_urls(endpoint)
        self.file_download_url = file_download_url or derived_uploaded
        self.job_file_download_url = job_file_download_url or derived_normal
        #: The shared transport (pooled httpx client, retries); low level, not a stable API.
        self.client = Transport(timeout=timeout, max_retries=max_retries, http_client=http_client)
        self._auth_api = AuthClient(url=auth_endpoint, http_client=Channel(self.client))
        self._jwt: JWTAuth | None = None
        if token:
            self._jwt = JWTAuth(self._obtain_jwt, self._refresh_jwt)
        self._bilby = BilbyClient(url=endpoint, http_client=Channel(self.client, self._jwt))
        if self._jwt is not None:
            self._jwt.current_jwt()

    @staticmethod
    def _check_secure(token: str, endpoint: str, auth_endpoint: str, allow: bool) -> None:
        for url in (endpoint, auth_endpoint):
            if urlsplit(url).scheme == "http" and not _is_loopback(url):
                if not allow:
                    raise ValidationError(
                        f"refusing to send an API token over plain http to {url}; use https, "
                        "or pass allow_insecure_http=True if you really mean it"
                    )
                logger.warning("sending an API token over plain http to %s", url)

    def __repr__(self) -> str:
        who = "authenticated" if self._token else "anonymous"
        return f"GWCloud(endpoint={self.endpoint!r}, {who})"

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def __enter__(self) -> GWCloud:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- authentication ---------------------------------------------------------------------

    def _obtain_jwt(self) -> tuple[str, str]:
        try:
            result = self._auth_api.jwt_token(token=self._token).jwt_token
        except (AuthenticationError, GraphQLError):
            raise refused(self.auth_endpoint) from None
        if result is None or not result.jwt_token or not result.refresh_token:
            raise refused(self.auth_endpoint)
        return result.jwt_token, result.refresh_token

    def _refresh_jwt(self, refresh_token: str) -> tuple[str, str]:
        try:
            result = self._auth_api.refresh_token(refresh_token=refresh_token).refresh_token
        except GraphQLError as err:
            raise AuthenticationError(f"refreshing the session failed: {err}") from None
        if result is None:
            raise AuthenticationError("refreshing the session failed: no token returned")
        return result.token, result.refresh_token

    def _require_token(self, action: str) -> None:
        if not self._token:
            raise AuthenticationError(
                f"{action} needs an API token: this GWCloud client is anonymous and read-only"
            )

    # -- jobs -------------------------------------------------------------------------------

    def _public_pages(
        self, search: str, time_range: TimeRange, page_size: int, limit: int | None
    ) -> Iterator[BilbyJob]:
        after: str | None = None
        seen = 0
        while True:
            first = page_size if limit is None else min(page_size, limit - seen)
            cursor = {"after": after} if after else {}
            page = self._bilby.public_bilby_jobs(
                time_range=time_range.value, first=first, search=search, **cursor
            ).public_bilby_jobs
            if page is None:
                return
            for edge in page.edges:
                if edge is not None and edge.node is not None:
                    yield BilbyJob._from_gql(self, edge.node)
                    seen += 1
                    if limit is not None and seen >= limit:
                        return
            if not page.page_info.has_next_page or not page.page_info.end_cursor:
                return
            after = page.page_info.end_cursor

    def _user_pages(self, page_size: int, limit: int | None) -> Iterator[BilbyJob]:
        after: str | None = None
        seen = 0
        while True:
            first = page_size if limit is None else min(page_size, limit - seen)
            cursor = {"after": after} if after else {}
            page = self._bilby.bilby_jobs(first=first, **cursor).bilby_jobs
            if page is None:
                return
            for edge in page.edges:
                if edge is not None and edge.node is not None:
                    yield BilbyJob._from_gql(self, edge.node)
                    seen += 1
                    if limit is not None and seen >= limit:
                        return
            if not page.page_info.has_next_page or not page.page_info.end_cursor:
                return
            after = page.page_info.end_cursor

    def get_public_job_list(
        self,
        search: str = "",
        time_range: TimeRange | str = TimeRange.ANY,
        number: int = 100,
    ) -> list[BilbyJob]:
        """Search public jobs by terms and creation time.

        Parameters
        ----------
        search : str, optional
            Terms matched against name, description, user, event ID and
            labels (``labels.name:Official`` matches a label exactly).
        time_range : TimeRange or str, optional
            Creation-time window, a :class:`TimeRange` or ``"all"``, ``"1d"``,
            ``"1w"``, ``"1m"``, ``"1y"``.  Default: any time.
        number : int, optional
            How many jobs to return at most (positive), default 100.

        Returns
        -------
        list of BilbyJob
            Matching jobs in the server's order (newest first).

        Raises
        ------
        ValidationError
            An argument is invalid.
        GraphQLError, TransportError
            The request failed.
        """
        check_text(search, "search")
        window = to_time_range(time_range)
        limit = check_number(number)
        return list(self._public_pages(search, window, limit, limit))

    def iter_public_jobs(
        self,
        search: str = "",
        time_range: TimeRange | str = TimeRange.ANY,
        *,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[BilbyJob]:
        """Walk every matching public job, fetching one page at a time.

        Parameters
        ----------
        search, time_range
            As for :meth:`get_public_job_list`.
        page_size : int, optional
            Jobs fetched per request.

        Yields
        ------
        BilbyJob
            Each matching job, newest first.
        """
        check_text(search, "search")
        window = to_time_range(time_range)
        check_number(page_size, "page_size")
        return self._public_pages(search, window, page_size, None)

    def get_official_job_list(self, search: str = "") -> list[BilbyJob]:
        """Every public job labelled *Official* that matches ``search``, any creation time.

        Parameters
        ----------
        search : str, optional
            Extra search terms.

        Returns
        -------
        list of BilbyJob
            The official jobs, newest first.
        """
        check_text(search, "search")
        terms = f"{OFFICIAL_SEARCH} {search}".strip()
        return list(self._public_pages(terms, TimeRange.ANY, PAGE_SIZE, None))

    def get_user_jobs(self, number: int = 100) -> list[BilbyJob]:
        """The caller's own jobs, most recently updated first.

        Parameters
        ----------
        number : int, optional
            How many jobs to return at most (positive), default 100.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        ValidationError
            ``number`` is not a positive integer.
        """
        limit = check_number(number)
        self._require_token("get_user_jobs")
        return list(self._user_pages(limit, limit))

    def iter_user_jobs(self, *, page_size: int = PAGE_SIZE) -> Iterator[BilbyJob]:
        """Walk all of the caller's jobs, fetching one page at a time.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        """
        check_number(page_size, "page_size")
        self._require_token("iter_user_jobs")
        return self._user_pages(page_size, None)

    def get_job_by_id(self, job_id: str | int) -> BilbyJob:
        """Fetch one job by its ID.

        Parameters
        ----------
        job_id : str or int
            The ID as :attr:`BilbyJob.job_id` gives it, or the job's integer key.

        Raises
        ------
        ValidationError
            ``job_id`` is not a job ID.
        GraphQLError
            No such job, or it is not visible to this client.
        """
        global_id = to_global_job_id(job_id)
        node = self._bilby.bilby_job(id=global_id).bilby_job
        if node is None:
            raise GWCloudError(f"job {job_id!r} does not exist or is not visible to this client")
        return BilbyJob._from_gql(self, node)

    # -- job updates (used by BilbyJob) -----------------------------------------------------

    def _update_job(self, job_id: str, **changes: str) -> None:
        self._require_token("updating a job")
        self._bilby.update_bilby_job(job_id=job_id, **changes)

    def _set_job_event_id(self, job_id: str, event_id: EventID | str | None) -> EventID | None:
        if isinstance(event_id, EventID):
            value = check_event_id(event_id.event_id)
        elif event_id is None:
            value = ""
        else:
            value = check_event_id(event_id)
        self._require_token("set_event_id")
        self._bilby.update_bilby_job(job_id=job_id, event_id=value)
        if isinstance(event_id, EventID) or not value:
            return event_id if isinstance(event_id, EventID) else None
        return self.get_event_id(value)

    # -- files ------------------------------------------------------------------------------

    def _get_job_files(self, job: BilbyJob) -> tuple[FileReferenceList, JobType]:
        listing = self._bilby.bilby_result_files(job_id=job.job_id).bilby_result_files
        if listing is None:
            raise GWCloudError(f"no file list for job {job.job_id!r}")
        kind = JobType(listing.job_type if listing.job_type is not None else 0)
        refs = FileReferenceList()
        for entry in listing.files or []:
            if entry is None or entry.is_dir or entry.path is None:
                continue
            if kind is JobType.EXTERNAL:
                refs.append(FileReference(entry.path, 0, None, job, url=entry.path))
            else:
                size = int(entry.file_size or 0)
                refs.append(FileReference(entry.path, size, entry.download_token, job))
        return refs, kind

    def _download_items(self, file_references: Sequence[FileReference]) -> list[DownloadItem]:
        if not isinstance(file_references, (list, tuple)):
            raise ValidationError(
                f"file_references must be a FileReferenceList, got {type(file_references).__name__}"
            )
        refs = FileReferenceList(_as_reference(r) for r in file_references)
        groups: dict[str, list[int]] = {}
        for index, ref in enumerate(refs):
            groups.setdefault(ref.parent.job_id, []).append(index)
        items: list[DownloadItem | None] = [None] * len(refs)
        for job_id, indices in groups.items():
            first = refs[indices[0]]
            kind = first.parent.job_type
            if kind is JobType.EXTERNAL:
                link = first.url or first.path.as_posix()
                raise ExternalFileDownloadException(
                    f"job {job_id!r} keeps its results outside GWCloud; open {link} instead"
                )
            tokens = [refs[i].download_token or "" for i in indices]
            ids = self._bilby.generate_file_download_ids(
                job_id=job_id, download_tokens=tokens
            ).generate_file_download_ids
            if ids is None or ids.result is None or len(ids.result) != len(indices):
                raise GWCloudError(f"the server gave no download IDs for job {job_id!r}")
            base = self.job_file_download_url if kind is JobType.NORMAL else self.file_download_url
            for index, file_id in zip(indices, ids.result, strict=True):
                url = str(httpx.URL(base, params={"fileId": file_id or ""}))
                ref = refs[index]
                items[index] = DownloadItem(url=url, path=ref.path.as_posix(), size=ref.file_size)
        return [item for item in items if item is not None]

    def _downloader(self) -> Downloader:
        return Downloader(
            self.client.http,
            concurrency=self._download_concurrency,
            max_retries=self.client.max_retries,
            progress=self._progress,
            callback=self._progress_callback,
            sleep=self.client.sleep,
        )

    def get_files_by_reference(
        self, file_references: Sequence[FileReference]
    ) -> list[tuple[Path, bytes]]:
        """Download files into memory.

        Parameters
        ----------
        file_references : FileReferenceList
            Files to fetch, possibly from several jobs.

        Returns
        -------
        list of (Path, bytes)
            Each file's path and contents, in the order of ``file_references``.

        Raises
        ------
        ExternalFileDownloadException
            A file belongs to an external job.
        DownloadError
            A transfer failed after retries.
        """
        items = self._download_items(file_references)
        contents = self._downloader().fetch(items)
        return [(Path(item.path), data) for item, data in zip(items, contents, strict=True)]

    def save_files_by_reference(
        self, file_references: Sequence[FileReference], root_path: PathLike
    ) -> list[Path]:
        """Download files to disk under ``root_path``, keeping their directories.

        Each file is written to ``<name>.part``, checked against its listed
        size and renamed into place, so no partial file ever has the final name.

        Parameters
        ----------
        file_references : FileReferenceList
            Files to save.
        root_path : str or Path
            Directory to save under (created if missing).

        Returns
        -------
        list of Path
            Where each file was written, in order.

        Raises
        ------
        ValidationError
            ``root_path`` is not a directory, or a listed path would escape it.
        ExternalFileDownloadException
            A file belongs to an external job.
        DownloadError
            A transfer failed after retries.
        """
        if not isinstance(root_path, (str, os.PathLike)):
            raise ValidationError(f"root_path must be a path, got {root_path!r}")
        root = Path(root_path)
        if root.exists() and not root.is_dir():
            raise ValidationError(f"root_path {str(root)!r} exists and is not a directory")
        for ref in file_references:
            resolve_target(root, _as_reference(ref).path.as_posix())
        items = self._download_items(file_references)
        return self._downloader().save(items, root)

    # -- submitting and uploading -----------------------------------------------------------

    def start_bilby_job_from_string(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        cluster: Cluster | str | None = Cluster.DEFAULT,
    ) -> BilbyJob:
        """Submit a job from the text of a bilby_pipe ini file.

        Supporting files the ini names (prior, PSD, calibration files...) are
        read relative to the working directory and uploaded after the job is
        created.

        Parameters
        ----------
        job_name : str
            Name of the new job.
        job_description : str
            Its description.
        private : bool
            Whether only you may see it.
        ini_string : str
            Contents of the ini file.
        cluster : Cluster or str or None, optional
            Where to run it (``"ozstar"``, ``"cit"``); default lets the server choose.

        Returns
        -------
        BilbyJob
            The new job.

        Raises
        ------
        ValidationError
            An argument is invalid or a supporting file is missing (nothing is sent).
        AuthenticationError
            The client is anonymous.
        """
        return self._submit(job_name, job_description, private, ini_string, cluster, Path.cwd())

    def start_bilby_job_from_file(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_file: PathLike,
        cluster: Cluster | str | None = Cluster.DEFAULT,
    ) -> BilbyJob:
        """Submit a job from a bilby_pipe ini file; supporting files are relative to it.

        Parameters
        ----------
        ini_file : str or Path
            The ini file.
        job_name, job_description, private, cluster
            As for :meth:`start_bilby_job_from_string`.

        Returns
        -------
        BilbyJob
            The new job.

        Raises
        ------
        ValidationError
            The ini file or a supporting file is missing, or an argument is invalid.
        AuthenticationError
            The client is anonymous.
        """
        path = check_readable_file(ini_file, "ini_file")
        text = path.read_text(encoding="utf-8")
        return self._submit(job_name, job_description, private, text, cluster, path.parent)

    def _submit(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        cluster: Cluster | str | None,
        base_dir: Path,
    ) -> BilbyJob:
        if not isinstance(job_name, str) or not job_name:
            raise ValidationError(f"job_name must be a non-empty string, got {job_name!r}")
        check_text(job_description, "job_description")
        check_bool(private, "private")
        if not isinstance(ini_string, str) or not ini_string.strip():
            raise ValidationError(
                f"ini_string must be the non-empty text of an ini file, got {ini_string!r}"
            )
        target = to_cluster(cluster)
        missing = missing_supporting_files(ini_string, base_dir)
        if missing:
            names = ", ".join(repr(str(p)) for p in missing)
            raise ValidationError(f"supporting files named in the ini do not exist: {names}")
        self._require_token("submitting a job")
        created = self._bilby.new_bilby_job_from_ini_string(
            name=job_name,
            private=private,
            ini_string=ini_string,
            description=job_description,
            cluster=target.value,
        ).new_bilby_job_from_ini_string
        if created is None or created.result is None or created.result.job_id is None:
            raise GWCloudError("the server did not return the new job's ID")
        job_id = created.result.job_id
        wanted = [f for f in created.result.supporting_files or [] if f is not None]
        if wanted:
            with ExitStack() as stack:
                uploads = []
                for entry in wanted:
                    relative = Path(entry.file_path or "")
                    local = relative if relative.is_absolute() else base_dir / relative
                    handle = stack.enter_context(open(local, "rb"))
                    upload = Upload(local.name, handle, "application/octet-stream")
                    uploads.append(
                        SupportingFileUploadInput(fileToken=entry.token, supportingFile=upload)
                    )
                self._bilby.upload_supporting_files(supporting_files=uploads)
        return self.get_job_by_id(job_id)

    def upload_external_job(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        url: str,
    ) -> BilbyJob:
        """Register a job whose results live elsewhere, at ``url``.

        Parameters
        ----------
        job_name, job_description, private, ini_string
            As for :meth:`start_bilby_job_from_string`.
        url : str
            Where the results are (a result file, a directory listing, a page).

        Returns
        -------
        BilbyJob
            The new job.
        """
        if not isinstance(job_name, str) or not job_name:
            raise ValidationError(f"job_name must be a non-empty string, got {job_name!r}")
        check_text(job_description, "job_description")
        check_bool(private, "private")
        check_text(ini_string, "ini_string")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise ValidationError(f"url must be an http(s) URL, got {url!r}")
        self._require_token("upload_external_job")
        created = self._bilby.upload_external_bilby_job(
            name=job_name,
            private=private,
            ini_file=ini_string,
            result_url=url,
            description=job_description,
        ).upload_external_bilby_job
        if created is None or created.result is None or created.result.job_id is None:
            raise GWCloudError("the server did not return the new job's ID")
        return self.get_job_by_id(created.result.job_id)

    def upload_job_archive(
        self, description: str, job_archive: PathLike, public: bool = False
    ) -> BilbyJob:
        """Upload a finished job from a ``.tar.gz`` of its output directory.

        The archive is checked first (gzip, ``data/``, ``result/``,
        ``results_page/``, exactly one ``*_config_complete.ini``) and streamed
        from disk.

        Parameters
        ----------
        description : str
            Description of the job.
        job_archive : str or Path
            The archive.
        public : bool, optional
            Whether everyone may see the job (default: private).

        Returns
        -------
        BilbyJob
            The uploaded job.
        """
        check_text(description, "description")
        check_bool(public, "public")
        archive = check_job_archive(job_archive)
        self._require_token("upload_job_archive")
        return self._upload_archive(description, archive, public)

    def upload_job_directory(
        self, description: str, job_directory: PathLike, public: bool = False
    ) -> BilbyJob:
        """Upload a finished job from its output directory.

        The directory is checked, packed into a temporary ``.tar.gz`` outside
        it (members under ``./``) and streamed to the server.

        Parameters
        ----------
        description : str
            Description of the job.
        job_directory : str or Path
            The job's output directory.
        public : bool, optional
            Whether everyone may see the job (default: private).

        Returns
        -------
        BilbyJob
            The uploaded job.
        """
        check_text(description, "description")
        check_bool(public, "public")
        directory = check_job_directory(job_directory)
        self._require_token("upload_job_directory")
        with job_directory_archive(directory) as archive:
            return self._upload_archive(description, archive, public)

    def _upload_archive(self, description: str, archive: Path, public: bool) -> BilbyJob:
        grant = self._bilby.generate_bilby_job_upload_token().generate_bilby_job_upload_token
        if grant is None or not grant.token:
            raise GWCloudError("the server did not issue an upload token")
        register_secret(grant.token)
        with open(archive, "rb") as handle:
            upload = Upload(archive.name, handle, "application/gzip")
            created = self._bilby.upload_bilby_job(
                upload_token=grant.token,
                private=not public,
                job_file=upload,
                description=description,
            ).upload_bilby_job
        if created is None or created.result is None or created.result.job_id is None:
            raise GWCloudError("the server did not return the uploaded job's ID")
        return self.get_job_by_id(created.result.job_id)

    # -- event IDs --------------------------------------------------------------------------

    def create_event_id(
        self,
        event_id: str,
        gps_time: float,
        trigger_id: str | None = None,
        nickname: str | None = None,
        is_ligo_event: bool = False,
    ) -> EventID:
        """Create an event ID that jobs can be attached to (event administrators only).

        Parameters
        ----------
        event_id : str
            ``GW123456_123456``.
        gps_time : float
            GPS time of the event, a finite positive number.
        trigger_id : str, optional
            ``S123456a``.
        nickname : str, optional
            Common name.
        is_ligo_event : bool, optional
            Visible to LIGO members only.

        Returns
        -------
        EventID
            The event as stored by the server.
        """
        check_event_id(event_id)
        gps = check_gps_time(gps_time)
        check_trigger_id(trigger_id)
        check_text(nickname, "nickname", optional=True)
        check_bool(is_ligo_event, "is_ligo_event")
        self._require_token("create_event_id")
        self._bilby.create_event_id(
            event_id=event_id,
            gps_time=Decimal(repr(gps)),
            trigger_id=trigger_id,
            nickname=nickname,
            is_ligo_event=is_ligo_event,
        )
        return self.get_event_id(event_id)

    def update_event_id(
        self,
        event_id: str,
        gps_time: float | None = None,
        trigger_id: str | None = None,
        nickname: str | None = None,
        is_ligo_event: bool | None = None,
    ) -> EventID:
        """Change the given fields of an event ID (event administrators only).

        Parameters
        ----------
        event_id : str
            The event to change.
        gps_time, trigger_id, nickname, is_ligo_event : optional
            New values; None leaves a field unchanged.

        Returns
        -------
        EventID
            The event as stored by the server after the change.
        """
        check_event_id(event_id)
        changes: dict[str, Any] = {}
        if gps_time is not None:
            changes["gps_time"] = check_gps_time(gps_time)
        if trigger_id is not None:
            changes["trigger_id"] = check_trigger_id(trigger_id)
        if nickname is not None:
            changes["nickname"] = check_text(nickname, "nickname")
        if is_ligo_event is not None:
            changes["is_ligo_event"] = check_bool(is_ligo_event, "is_ligo_event")
        self._require_token("update_event_id")
        self._bilby.update_event_id(event_id=event_id, **changes)
        return self.get_event_id(event_id)

    def delete_event_id(self, event_id: str) -> None:
        """Delete an event ID (event administrators only)."""
        check_event_id(event_id)
        self._require_token("delete_event_id")
        self._bilby.delete_event_id(event_id=event_id)

    def get_event_id(self, event_id: str) -> EventID:
        """Fetch one event ID.

        Raises
        ------
        ValidationError
            ``event_id`` is malformed.
        GraphQLError
            No such event, or not visible to this client.
        """
        check_event_id(event_id)
        node = self._bilby.event_id(event_id=event_id).event_id
        if node is None:
            raise GWCloudError(f"event ID {event_id!r} does not exist or is not visible")
        return EventID._from_gql(node)

    def get_all_event_ids(self) -> list[EventID]:
        """Every event ID visible to this client."""
        nodes = self._bilby.all_event_ids().all_event_ids or []
        return [EventID._from_gql(node) for node in nodes if node is not None]


def _as_reference(item: object) -> FileReference:
    if not isinstance(item, FileReference):
        raise ValidationError(f"file_references may hold only FileReference objects, not {item!r}")
    return item

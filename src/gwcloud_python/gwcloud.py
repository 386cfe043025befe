"""The :class:`GWCloud` client: search, download, submit and upload Bilby jobs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from gwcloud_bilby2026_client import Bilby2026Client
from gwcloud_bilby2026_client import Upload as Upload2026
from gwcloud_bilby_client import BilbyClient, SupportingFileUploadInput, Upload

from . import _constants as C
from ._archive import check_job_archive, check_job_directory, job_directory_archive
from ._client_base import PAGE_SIZE, ClientCore, SubmitRequest
from ._errors import GWCloudError, register_secret
from ._files import Downloader, DownloadItem, ProgressCallback
from ._graphql import Channel, guarded
from ._transport import Transport
from ._validation import check_event_id, check_number, to_global_job_id
from .bilby_job import BilbyJob
from .event_id import EventID
from .file_reference import FileReference, FileReferenceList
from .helpers import Cluster, JobType, TimeRange

__all__ = ["GWCloud"]

PathLike = str | os.PathLike[str]


class GWCloud(ClientCore):
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
    service : {"2023", "2026"} or None, optional
        Which GWCloud deployment to speak to.  ``"2023"``: separate auth
        endpoint and JWTs (gwcloud-python 1.x).  ``"2026"``: one ``/graphql``
        endpoint and API session tokens.  None (default) picks ``"2026"`` when
        ``endpoint``'s path is ``/graphql`` and no auth endpoint is given.
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
        service: str | None = None,
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
        self._configure(
            token,
            auth_endpoint,
            endpoint,
            service=service,
            timeout=timeout,
            max_retries=max_retries,
            download_concurrency=download_concurrency,
            progress=progress,
            progress_callback=progress_callback,
            allow_insecure_http=allow_insecure_http,
            file_download_url=file_download_url,
            job_file_download_url=job_file_download_url,
        )
        #: The shared transport (pooled httpx client, retries); low level, not a stable API.
        self.client = Transport(timeout=timeout, max_retries=max_retries, http_client=http_client)
        channel = Channel(self.client, self._bilby_auth(self.client))
        self._bilby = guarded(BilbyClient(url=self.endpoint, http_client=channel))
        self._bilby2026 = guarded(Bilby2026Client(url=self.endpoint, http_client=channel))
        if self._jwt is not None:
            self._jwt.current_jwt()
        elif self._token and self.service == "2026":
            session = self._bilby2026.session_user().session_user
            self._session_refused(session.is_authenticated if session else None)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def __enter__(self) -> GWCloud:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- jobs -------------------------------------------------------------------------------

    def _walk(
        self, fetch: Callable[..., Any], page_size: int, limit: int | None
    ) -> Iterator[BilbyJob]:
        """Yield jobs page by page; ``fetch(first=, after=)`` returns one connection."""
        seen, after = 0, None
        while True:
            nodes, after = self._page_nodes(
                fetch(**self._page_request(page_size, limit, seen, after))
            )
            for node in nodes[: None if limit is None else limit - seen]:
                seen += 1
                yield BilbyJob._from_gql(self, node)
            if after is None or (limit is not None and seen >= limit):
                return

    def _walk_public(
        self, search: str, time_range: str, page_size: int, limit: int | None
    ) -> Iterator[BilbyJob]:
        def fetch(**page: Any) -> Any:
            result = self._bilby.public_bilby_jobs(time_range=time_range, search=search, **page)
            return result.public_bilby_jobs

        return self._walk(fetch, page_size, limit)

    def _walk_user(self, page_size: int, limit: int | None) -> Iterator[BilbyJob]:
        return self._walk(
            lambda **page: self._bilby.bilby_jobs(**page).bilby_jobs, page_size, limit
        )

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
        terms, window, limit = self._public_args(search, time_range, number)
        return list(self._walk_public(terms, window, limit, limit))

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
        terms, window, size = self._public_args(search, time_range, page_size)
        return self._walk_public(terms, window, size, None)

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
        terms = self._official_search(search)
        return list(self._walk_public(terms, TimeRange.ANY.value, PAGE_SIZE, None))

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
        return list(self._walk_user(limit, limit))

    def iter_user_jobs(self, *, page_size: int = PAGE_SIZE) -> Iterator[BilbyJob]:
        """Walk all of the caller's jobs, fetching one page at a time.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        """
        check_number(page_size, "page_size")
        self._require_token("iter_user_jobs")
        return self._walk_user(page_size, None)

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
        GWCloudError
            No such job, or it is not visible to this client (a
            :class:`GraphQLError` when the server reports it as an error).
        """
        node = self._bilby.bilby_job(id=to_global_job_id(job_id)).bilby_job
        if node is None:
            raise GWCloudError(f"job {job_id!r} does not exist or is not visible to this client")
        return BilbyJob._from_gql(self, node)

    # -- used by BilbyJob -------------------------------------------------------------------

    def _update_job(self, job_id: str, **changes: str) -> None:
        self._require_token("updating a job")
        self._bilby.update_bilby_job(job_id=job_id, **changes)

    def _set_job_event_id(self, job_id: str, event_id: EventID | str | None) -> EventID | None:
        value = self._event_value(event_id)
        self._require_token("set_event_id")
        self._bilby.update_bilby_job(job_id=job_id, event_id=value)
        if isinstance(event_id, EventID) or not value:
            return event_id if isinstance(event_id, EventID) else None
        return self.get_event_id(value)

    def _get_job_files(self, job: BilbyJob) -> tuple[FileReferenceList, JobType]:
        listing = self._bilby.bilby_result_files(job_id=job.job_id).bilby_result_files
        return self._listing(job, listing)

    # -- files ------------------------------------------------------------------------------

    def _download_items(self, file_references: Sequence[FileReference]) -> list[DownloadItem]:
        refs, batches = self._download_batches(file_references)
        items: list[DownloadItem | None] = [None] * len(refs)
        for batch in batches:
            ids = self._bilby.generate_file_download_ids(
                job_id=batch.job_id, download_tokens=list(batch.tokens)
            ).generate_file_download_ids
            for index, item in self._batch_items(refs, batch, ids.result if ids else None):
                items[index] = item
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
        root, targets = self._check_root(file_references, root_path)
        items = self._download_items(file_references)
        return self._downloader().save(items, root, targets=targets)

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
        request = self._submit_request(
            job_name, job_description, private, ini_string, cluster, Path.cwd()
        )
        return self._submit(request)

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
        text, base_dir = self._read_ini_file(ini_file)
        request = self._submit_request(job_name, job_description, private, text, cluster, base_dir)
        return self._submit(request)

    def _submit(self, request: SubmitRequest) -> BilbyJob:
        created = self._bilby.new_bilby_job_from_ini_string(
            name=request.name,
            private=request.private,
            ini_string=request.ini_string,
            description=request.description,
            cluster=request.cluster,
        ).new_bilby_job_from_ini_string
        job_id = self._created_job_id(created, "new job")
        assert created is not None and created.result is not None
        try:
            wanted = self._supporting_paths(created.result.supporting_files or [], request.base_dir)
            if wanted:
                with ExitStack() as stack:
                    uploads = [
                        SupportingFileUploadInput(
                            fileToken=token,
                            supportingFile=Upload(
                                local.name,
                                stack.enter_context(self._open_upload(local)),
                                "application/octet-stream",
                            ),
                        )
                        for local, token in wanted
                    ]
                    self._bilby.upload_supporting_files(supporting_files=list(uploads))
        except GWCloudError as err:
            raise self._half_submitted(job_id, err) from err
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
        request = self._external_request(job_name, job_description, private, ini_string, url)
        created = self._bilby.upload_external_bilby_job(**request).upload_external_bilby_job
        return self.get_job_by_id(self._created_job_id(created, "new job"))

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
        self._upload_checks(description, public)
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
        self._upload_checks(description, public)
        directory = check_job_directory(job_directory)
        self._require_token("upload_job_directory")
        with job_directory_archive(directory) as archive:
            return self._upload_archive(description, archive, public)

    def _upload_token(self) -> str:
        grant = self._bilby.generate_bilby_job_upload_token().generate_bilby_job_upload_token
        if grant is None or not grant.token:
            raise GWCloudError("the server did not issue an upload token")
        register_secret(grant.token)
        return grant.token

    def _upload_archive(self, description: str, archive: Path, public: bool) -> BilbyJob:
        token = self._upload_token()
        with self._open_upload(archive) as handle:
            created = self._bilby.upload_bilby_job(
                upload_token=token,
                private=not public,
                job_file=Upload(archive.name, handle, "application/gzip"),
                description=description,
            ).upload_bilby_job
        return self.get_job_by_id(self._created_job_id(created, "uploaded job"))

    def upload_hdf5_job(
        self, description: str, hdf5_file: PathLike, ini_file: PathLike, public: bool = False
    ) -> BilbyJob:
        """Upload a finished job as one HDF5 result file plus its ini file (2026 service only).

        Both files are checked (they exist, are readable, and the result file
        is HDF5) before any request, then streamed from disk.

        Parameters
        ----------
        description : str
            Description of the job.
        hdf5_file : str or Path
            The job's HDF5 result file.
        ini_file : str or Path
            The ini file the job ran with.
        public : bool, optional
            Whether everyone may see the job (default: private).

        Returns
        -------
        BilbyJob
            The uploaded job.

        Raises
        ------
        ValidationError
            A file is missing, unreadable or not HDF5.
        GWCloudError
            The client talks to the 2023 service, which has no HDF5 upload.
        AuthenticationError
            The client is anonymous.
        """
        hdf5, ini = self._hdf5_request(description, hdf5_file, ini_file, public)
        token = self._upload_token()
        with self._open_upload(hdf5) as hdf5_handle, self._open_upload(ini) as ini_handle:
            created = self._bilby2026.upload_hdf_5_bilby_job(
                upload_token=token,
                private=not public,
                hdf_5_file=Upload2026(hdf5.name, hdf5_handle, "application/x-hdf5"),
                ini_file=Upload2026(ini.name, ini_handle, "text/plain"),
                description=description,
            ).upload_hdf_5_bilby_job
        return self.get_job_by_id(self._created_job_id(created, "uploaded job"))

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
        variables = self._create_event_vars(event_id, gps_time, trigger_id, nickname, is_ligo_event)
        self._bilby.create_event_id(**variables)
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
        variables = self._update_event_vars(event_id, gps_time, trigger_id, nickname, is_ligo_event)
        self._bilby.update_event_id(**variables)
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
        GWCloudError
            No such event, or not visible to this client (a
            :class:`GraphQLError` when the server reports it as an error).
        """
        check_event_id(event_id)
        return self._event(event_id, self._bilby.event_id(event_id=event_id).event_id)

    def get_all_event_ids(self) -> list[EventID]:
        """Every event ID visible to this client."""
        nodes = self._bilby.all_event_ids().all_event_ids or []
        return [EventID._from_gql(node) for node in nodes if node is not None]

"""The :class:`GWCloud` client: search, download, submit and upload Bilby jobs."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal, overload

import httpx
from gwcloud_bilby2026_client import Bilby2026Client
from gwcloud_bilby2026_client import Upload as Upload2026
from gwcloud_bilby_client import BilbyClient, SupportingFileUploadInput, Upload

from . import _constants as C
from ._archive import check_job_archive, check_job_directory, job_directory_archive
from ._client_base import (
    PAGE_SIZE,
    ClientCore,
    DownloadBatch,
    DownloadPlan,
    PageGuard,
    SubmitRequest,
    check_jobs,
    job_file_filter,
    job_not_found,
    latency_hint,
)
from ._errors import GWCloudError, NotFoundError, register_secret
from ._files import Downloader, DownloadFeed, DownloadItem, ProgressCallback, make_output_directory
from ._graphql import Channel, guarded
from ._transport import Transport
from ._validation import check_event_id, check_number, to_global_job_id
from .bilby_job import BilbyJob
from .event_id import EventID
from .file_filters import FileFilter
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
        read-only client, as in 1.x even when ``$GWCLOUD_TOKEN`` is set (the
        ``gwcloud`` command line reads that variable; a script passes it on).
    auth_endpoint : str, optional
        GraphQL endpoint of the auth service that trades the token for a JWT
        (``$GWCLOUD_AUTH_ENDPOINT`` overrides the default).  When neither is
        given, the 2023 profile uses ``<base>/auth/graphql`` on the endpoint's
        own host, so the token never goes to a host you did not name.
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
    download_concurrency : int or None, optional
        Files downloaded at once.  None (default) chooses from the number of
        files and the link's latency: up to 8 on a fast link, up to 32 (the
        connection pool's size) to a distant server.  An integer fixes it
        (at most 32 are used).
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
    call_timeout : float or None, optional
        Seconds one GraphQL call may take in all, retries included (default
        600), on top of the per-phase ``timeout``; an answer trickled in
        slowly fails with :class:`TransportError` once it is reached.  For a
        call that uploads files the clock starts when the upload is sent.
        None: no overall deadline.
    max_response_size : int, optional
        Largest GraphQL answer accepted, in bytes after decompression
        (default 64 MiB); a larger one fails with :class:`TransportError`
        without being held in memory.

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
        download_concurrency: int | None = C.DEFAULT_DOWNLOAD_CONCURRENCY,
        progress: bool | None = None,
        progress_callback: ProgressCallback | None = None,
        http_client: httpx.Client | None = None,
        allow_insecure_http: bool = False,
        file_download_url: str | None = None,
        job_file_download_url: str | None = None,
        call_timeout: float | None = C.DEFAULT_CALL_TIMEOUT,
        max_response_size: int = C.DEFAULT_MAX_RESPONSE_SIZE,
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
        self.client: Transport = Transport(
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            call_timeout=call_timeout,
            max_response_size=max_response_size,
        )
        channel = Channel(self.client, self._bilby_auth(self.client))
        self._bilby = guarded(BilbyClient(url=self.endpoint, http_client=channel))
        self._bilby2026 = guarded(Bilby2026Client(url=self.endpoint, http_client=channel))
        if self._jwt is not None:
            self._jwt.current_jwt()
        elif self._token and self.service == "2026":
            session = self._bilby2026.session_user().session_user
            self._session_refused(session.is_authenticated if session else None)

    def close(self) -> None:
        """Close the client's connections.

        Later calls raise :class:`~gwcloud_python.ClientClosedError`.
        """
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
        pages = PageGuard(self.endpoint)
        while True:
            nodes, after = self._page_nodes(
                fetch(**self._page_request(page_size, limit, seen, after))
            )
            pages.advance(nodes, after)
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

    @overload
    def get_job_by_id(self, job_id: str | int, *, strict: Literal[True]) -> BilbyJob: ...

    @overload
    def get_job_by_id(self, job_id: str | int, *, strict: bool = False) -> BilbyJob | None: ...

    def get_job_by_id(self, job_id: str | int, *, strict: bool = False) -> BilbyJob | None:
        """Fetch one job by its ID.

        Parameters
        ----------
        job_id : str or int
            The ID as :attr:`BilbyJob.job_id` gives it, or the job's integer key.
        strict : bool, optional
            Raise :class:`NotFoundError` instead of returning None when there is no
            such job (keyword only).

        Returns
        -------
        BilbyJob or None
            The job; None when it does not exist or is not visible to this client
            (as in gwcloud-python 1.x), unless ``strict``.

        Raises
        ------
        ValidationError
            ``job_id`` is not a job ID.
        NotFoundError
            With ``strict=True``: no such job, or not visible to this client.
        """
        global_id = to_global_job_id(job_id)
        try:
            node = self._bilby.bilby_job(id=global_id).bilby_job
        except NotFoundError:
            if strict:
                raise
            return None
        if node is None:
            if strict:
                raise job_not_found(job_id)
            return None
        return BilbyJob._from_gql(self, node)

    def _jobs_in_full(self, job_ids: Sequence[str]) -> list[BilbyJob | None]:
        """Each job in full, as :meth:`get_job_by_id` returns it, ten to a request.

        Public listings select only what a listed job needs; the command line's
        ``jobs search --json`` completes them with this.  None where a job is not
        visible to this client.
        """
        found: list[BilbyJob | None] = []
        size = C.JOBS_PER_FULL_REQUEST
        for start in range(0, len(job_ids), size):
            chunk = [to_global_job_id(job_id) for job_id in job_ids[start : start + size]]
            ids = chunk + [chunk[-1]] * (size - len(chunk))  # the query always names ten
            answer = self._bilby.bilby_jobs_by_id(*ids)
            nodes = (
                answer.j_0, answer.j_1, answer.j_2, answer.j_3, answer.j_4,
                answer.j_5, answer.j_6, answer.j_7, answer.j_8, answer.j_9,
            )  # fmt: skip
            found.extend(
                None if node is None else BilbyJob._from_gql(self, node)
                for node in nodes[: len(chunk)]
            )
        return found

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

    def _get_files_by_bilby_job(self, job: BilbyJob) -> FileReferenceList:
        # gwcloud-python 1.x's name for this step; BilbyJob.get_full_file_list calls it.
        files, _ = self._get_job_files(job)
        return files

    # -- files ------------------------------------------------------------------------------

    def _request_ids(
        self, plan: DownloadPlan, batch: DownloadBatch
    ) -> list[tuple[int, DownloadItem]]:
        ids = self._bilby.generate_file_download_ids(
            job_id=batch.job_id, download_tokens=list(batch.tokens)
        ).generate_file_download_ids
        return self._batch_items(plan.refs, batch, ids.result if ids else None)

    def _download_items(self, file_references: Sequence[FileReference]) -> list[DownloadItem]:
        plan = self._download_plan(file_references)
        items: dict[int, DownloadItem] = {}
        for batch in plan.requests:
            items.update(self._request_ids(plan, batch))
        return [items[index] for index in sorted(items)]

    def _feed(
        self, plan: DownloadPlan, *, bounds_downloads: bool
    ) -> tuple[DownloadFeed, threading.Thread | None]:
        """Start asking for the plan's download IDs; transfers start as each answer arrives.

        Up to :data:`~gwcloud_python._constants.ID_REQUEST_CONCURRENCY` requests
        are in flight at once, from a background thread.  ``bounds_downloads`` goes to
        the feed (see :class:`~gwcloud_python._files.DownloadFeed`).
        """
        feed = DownloadFeed(bounds_downloads=bounds_downloads)

        def resolve(batch: DownloadBatch) -> None:
            if feed.cancelled:
                return
            started = time.perf_counter()
            entries = self._request_ids(plan, batch)
            # The link's latency hint: the ID request's time includes the server's work
            # on a large batch, so the quickest recent GraphQL answer bounds it better.
            feed.put(
                entries, latency=latency_hint(time.perf_counter() - started, self.client.latency)
            )

        def produce() -> None:
            try:
                workers = min(C.ID_REQUEST_CONCURRENCY, len(plan.requests))
                with ThreadPoolExecutor(workers, thread_name_prefix="gwcloud-ids") as pool:
                    for future in [pool.submit(resolve, batch) for batch in plan.requests]:
                        future.result()
                feed.close()
            except BaseException as err:  # handed to the caller through the feed
                feed.fail(err)

        if len(plan.requests) <= 1:
            for batch in plan.requests:
                resolve(batch)
            feed.close()
            return feed, None
        thread = threading.Thread(target=produce, name="gwcloud-ids", daemon=True)
        thread.start()
        return feed, thread

    def _run_plan(self, plan: DownloadPlan) -> dict[int, Any]:
        if plan.count == 0:
            return {}
        downloader = self._downloader()
        origins = self._download_origins(plan)
        # On a slow link, open the transfers' connections while the IDs are requested.
        self.client.prewarm(origins, limit=self._download_concurrency or C.MAX_DOWNLOAD_CONCURRENCY)
        feed, producer = self._feed(plan, bounds_downloads=self._downloads_share_endpoint(origins))
        try:
            if plan.targets is not None:
                return downloader.run_save(feed, plan.target_map, plan.count, plan.total_bytes)
            return downloader.run_fetch(feed, plan.count, plan.total_bytes)
        finally:
            if producer is not None and not feed.cancelled:
                producer.join()

    def _save_plan(self, plan: DownloadPlan, root_path: PathLike) -> list[Path]:
        if plan.count:
            make_output_directory(Path(root_path))
        self._run_plan(plan)
        assert plan.targets is not None
        return list(plan.targets)

    def _downloader(self) -> Downloader:
        self.client.check_open()
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
        plan = self._download_plan(file_references)
        contents = self._run_plan(plan)
        return [(Path(ref.path.as_posix()), contents[i]) for i, ref in enumerate(plan.refs)]

    def save_files_by_reference(
        self,
        file_references: Sequence[FileReference],
        root_path: PathLike,
        *,
        skip_existing: bool = False,
    ) -> list[Path]:
        """Download files to disk under ``root_path``, keeping their directories.

        Each file is written to a hidden ``.<name>.<tag>.gwcloud-part`` file,
        checked against its listed size and renamed into place, so no partial
        file ever has the final name.  References from several jobs form one
        pipeline with one progress bar: transfers start while the download IDs
        of further jobs are still being requested.  A large file whose
        download was interrupted (process killed) is resumed where it stopped.

        Parameters
        ----------
        file_references : FileReferenceList
            Files to save.
        root_path : str or Path
            Directory to save under (created if missing).
        skip_existing : bool, optional
            Do not fetch a file whose final path already holds a file of the
            listed size (no download ID is requested for it either).  Off by
            default, as in gwcloud-python 1.x.

        Returns
        -------
        list of Path
            Where each file was written (or already was), in order.

        Raises
        ------
        ValidationError
            ``root_path`` is not a directory, or a listed path would escape it.
        ExternalFileDownloadException
            A file belongs to an external job.
        DownloadError
            A transfer failed after retries.
        """
        plan = self._download_plan(file_references, root_path, skip_existing=skip_existing)
        return self._save_plan(plan, root_path)

    def save_job_files(
        self,
        jobs: Sequence[BilbyJob],
        root_path: PathLike,
        file_filter: str | FileFilter = "default",
        *,
        skip_existing: bool = False,
    ) -> list[Path]:
        """Save the files of many jobs in one pipeline, each job in its own folder.

        The jobs' file lists are fetched in parallel, then every file is saved
        as by :meth:`save_files_by_reference` (one progress bar, transfers
        starting while further download IDs are requested) under
        ``root_path/<job name>/``.  Jobs that share a name get
        ``<name>-2``, ``<name>-3``... in the order given.

        Parameters
        ----------
        jobs : sequence of BilbyJob
            The jobs, from this client.
        root_path : str or Path
            Directory to save under (created if missing).
        file_filter : str or callable, optional
            Which files of each job: the name of a filter (``"default"``,
            ``"config"``, ``"png"``, ``"corner_plot"``, ``"result_json"``,
            ``"full"`` for every file, or one added with
            :meth:`BilbyJob.register_file_list_filter`), or a function taking a
            list of :class:`FileReference` and returning the ones to keep.
        skip_existing : bool, optional
            As for :meth:`save_files_by_reference`.

        Returns
        -------
        list of Path
            Where each file was written, job by job.

        Raises
        ------
        ValidationError
            An argument is invalid, a job is given twice, or a listed path
            would escape ``root_path``.
        ExternalFileDownloadException
            A job keeps its files outside GWCloud.
        DownloadError
            A transfer failed after retries.

        Examples
        --------
        >>> jobs = gw.get_official_job_list("GW150914")        # doctest: +SKIP
        >>> gw.save_job_files(jobs, "results/")                 # doctest: +SKIP
        """
        jobs = check_jobs(jobs, BilbyJob)
        filters = [job_file_filter(job, file_filter) for job in jobs]
        self._check_root([], root_path)
        folders = self._job_folders(jobs)
        workers = max(1, min(C.ID_REQUEST_CONCURRENCY, len(jobs)))
        with ThreadPoolExecutor(workers, thread_name_prefix="gwcloud-list") as pool:
            lists = list(pool.map(lambda job, chosen: job._filtered(chosen), jobs, filters))
        refs, paths = self._job_file_paths(folders, lists)
        plan = self._download_plan(
            refs, root_path, skip_existing=skip_existing, relative_paths=paths
        )
        return self._save_plan(plan, root_path)

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
            An argument is invalid, the ini cannot be read as bilby_pipe reads it, or
            a supporting file it names is missing, unreadable, or outside the current
            directory (nothing is sent).
        AuthenticationError
            The client is anonymous.
        OperationOutcomeUnknown
            The job was created but its supporting files did not all arrive, or the
            server asked for a file the ini does not name (then nothing is uploaded);
            ``job_id`` names the job.
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
            The ini file is missing or not a bilby_pipe ini, a supporting file it names
            is missing, unreadable, absolute, or outside the ini file's directory
            (symbolic links included), or an argument is invalid; nothing is sent.
        AuthenticationError
            The client is anonymous.
        OperationOutcomeUnknown
            The job was created but its supporting files did not all arrive, or the
            server asked for a file the ini does not name (then nothing is read or
            uploaded); ``job_id`` names the job.
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
            wanted = self._supporting_paths(created.result.supporting_files or [], request)
        except GWCloudError as err:
            raise self._half_submitted(job_id, err, sent=False) from err
        sending = False
        try:
            if wanted:
                with ExitStack() as stack:
                    uploads = []
                    for local, token in wanted:
                        reader = stack.enter_context(self._open_upload(local))
                        self._check_same_file(local, reader, request)
                        upload = Upload(local.name, reader, "application/octet-stream")
                        uploads.append(
                            SupportingFileUploadInput(fileToken=token, supportingFile=upload)
                        )
                    sending = True
                    self._bilby.upload_supporting_files(supporting_files=uploads)
        except Exception as err:  # the job exists: every failure must name it
            raise self._half_submitted(job_id, err, sent=sending) from err
        return self.get_job_by_id(job_id, strict=True)

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
        return self.get_job_by_id(self._created_job_id(created, "new job"), strict=True)

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
        it (members under ``./``) and streamed to the server.  Parts that do
        not compress (HDF5, PNG...) are stored rather than deflated, so packing
        costs little more than reading the files.  Every file is opened
        without following symlinks and must be the file the initial scan
        listed: anything swapped or replaced while the archive is written
        raises :class:`ValidationError` instead of being uploaded.

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
        register_secret(grant.token, owner=self, slot="upload")
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
        return self.get_job_by_id(self._created_job_id(created, "uploaded job"), strict=True)

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
        return self.get_job_by_id(self._created_job_id(created, "uploaded job"), strict=True)

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
        return self.get_event_id(event_id, strict=True)

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
        return self.get_event_id(event_id, strict=True)

    def delete_event_id(self, event_id: str) -> None:
        """Delete an event ID (event administrators only)."""
        check_event_id(event_id)
        self._require_token("delete_event_id")
        self._bilby.delete_event_id(event_id=event_id)

    @overload
    def get_event_id(self, event_id: str, *, strict: Literal[True]) -> EventID: ...

    @overload
    def get_event_id(self, event_id: str, *, strict: bool = False) -> EventID | None: ...

    def get_event_id(self, event_id: str, *, strict: bool = False) -> EventID | None:
        """Fetch one event ID.

        Parameters
        ----------
        event_id : str
            ``GW123456_123456``; ``""`` gives None, as in gwcloud-python 1.x.
        strict : bool, optional
            Raise instead of returning None (keyword only): :class:`ValidationError`
            for ``""``, :class:`NotFoundError` for an unknown event.

        Returns
        -------
        EventID or None
            The event; None for ``""`` or an event that does not exist or is not
            visible to this client, unless ``strict``.

        Raises
        ------
        ValidationError
            ``event_id`` is malformed.
        NotFoundError
            With ``strict=True``: no such event, or not visible to this client.
        """
        if event_id == "" and not strict:
            return None
        check_event_id(event_id)
        try:
            node = self._bilby.event_id(event_id=event_id).event_id
        except NotFoundError:
            if strict:
                raise
            return None
        return self._event(event_id, node, strict=strict)

    def get_all_event_ids(self) -> list[EventID]:
        """Every event ID visible to this client."""
        nodes = self._bilby.all_event_ids().all_event_ids or []
        return [EventID._from_gql(node) for node in nodes if node is not None]

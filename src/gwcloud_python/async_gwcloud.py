"""The :class:`AsyncGWCloud` client: every :class:`GWCloud` method as a coroutine.

Argument checks, request variables and model conversion are shared with
:class:`GWCloud` through :class:`~gwcloud_python._client_base.ClientCore`;
GraphQL requests go over one :class:`httpx.AsyncClient`.  Token exchanges
and file transfers run the same engine as the sync client in worker threads,
off the event loop, so a JWT is refreshed once however many coroutines see it
expire.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

import httpx
from gwcloud_bilby2026_client_async import AsyncBilby2026Client
from gwcloud_bilby2026_client_async import Upload as Upload2026
from gwcloud_bilby_client_async import AsyncBilbyClient, SupportingFileUploadInput, Upload

from . import _constants as C
from ._archive import async_job_directory_archive, check_job_archive, check_job_directory
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
from ._graphql import AsyncChannel, guarded
from ._transport import AsyncTransport, Transport
from ._validation import check_event_id, check_number, to_global_job_id
from .async_bilby_job import AsyncBilbyJob
from .event_id import EventID
from .file_filters import FileFilter
from .file_reference import FileReference, FileReferenceList
from .helpers import Cluster, JobType, TimeRange

__all__ = ["AsyncGWCloud"]

_R = TypeVar("_R")

PathLike = str | os.PathLike[str]


class AsyncGWCloud(ClientCore):
    """Asynchronous client for GWCloud; the same methods and arguments as :class:`GWCloud`.

    Create it inside a running event loop, preferably as ``async with``, and
    call :meth:`authenticate` (``async with`` does) before the first request
    of an authenticated client.  Jobs it returns are :class:`AsyncBilbyJob`
    objects whose methods are coroutines too.

    Parameters
    ----------
    token, auth_endpoint, endpoint
        As for :class:`GWCloud`.
    service, timeout, max_retries, download_concurrency, progress
        Keyword-only, as for :class:`GWCloud`.
    progress_callback, allow_insecure_http, file_download_url, job_file_download_url
        Keyword-only, as for :class:`GWCloud`.
    call_timeout, max_response_size
        Keyword-only bounds of every GraphQL call, as for :class:`GWCloud`.
    http_client : httpx.AsyncClient, optional
        A client to use for GraphQL requests instead of the built-in one.

    Examples
    --------
    >>> async def main():                                   # doctest: +SKIP
    ...     async with AsyncGWCloud() as gw:
    ...         async for job in gw.iter_public_jobs("GW150914"):
    ...             print(job.name)
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
        http_client: httpx.AsyncClient | None = None,
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
        #: The async transport of GraphQL requests; low level, not a stable API.
        self.client: AsyncTransport = AsyncTransport(
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            call_timeout=call_timeout,
            max_response_size=max_response_size,
        )
        #: The sync transport used (in worker threads) for token exchanges and transfers.
        self.sync_client: Transport = Transport(
            timeout=timeout,
            max_retries=max_retries,
            call_timeout=call_timeout,
            max_response_size=max_response_size,
        )
        channel = AsyncChannel(self.client, self._bilby_auth(self.sync_client))
        self._bilby = guarded(AsyncBilbyClient(url=self.endpoint, http_client=channel))
        self._bilby2026 = guarded(AsyncBilby2026Client(url=self.endpoint, http_client=channel))
        self._authenticated = not self._token

    async def authenticate(self) -> None:
        """Check the token now (JWT exchange or session check); later calls do it lazily.

        Raises
        ------
        GWCloudAuthenticationError
            The token was refused.
        """
        if self._authenticated:
            return
        if self._jwt is not None:
            await asyncio.to_thread(self._jwt.current_jwt)
        elif self.service == "2026":
            session = (await self._bilby2026.session_user()).session_user
            self._session_refused(session.is_authenticated if session else None)
        self._authenticated = True

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()
        self.sync_client.close()

    async def __aenter__(self) -> AsyncGWCloud:
        await self.authenticate()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- jobs -------------------------------------------------------------------------------

    async def _walk(
        self, fetch: Callable[..., Awaitable[Any]], page_size: int, limit: int | None
    ) -> AsyncIterator[AsyncBilbyJob]:
        """Yield jobs page by page; ``await fetch(first=, after=)`` returns one connection."""
        await self.authenticate()
        seen, after = 0, None
        pages = PageGuard(self.endpoint)
        while True:
            page = await fetch(**self._page_request(page_size, limit, seen, after))
            nodes, after = self._page_nodes(page)
            pages.advance(nodes, after)
            for node in nodes[: None if limit is None else limit - seen]:
                seen += 1
                yield AsyncBilbyJob._from_gql(self, node)
            if after is None or (limit is not None and seen >= limit):
                return

    def _walk_public(
        self, search: str, time_range: str, page_size: int, limit: int | None
    ) -> AsyncIterator[AsyncBilbyJob]:
        async def fetch(**page: Any) -> Any:
            result = await self._bilby.public_bilby_jobs(
                time_range=time_range, search=search, **page
            )
            return result.public_bilby_jobs

        return self._walk(fetch, page_size, limit)

    def _walk_user(self, page_size: int, limit: int | None) -> AsyncIterator[AsyncBilbyJob]:
        async def fetch(**page: Any) -> Any:
            return (await self._bilby.bilby_jobs(**page)).bilby_jobs

        return self._walk(fetch, page_size, limit)

    async def get_public_job_list(
        self,
        search: str = "",
        time_range: TimeRange | str = TimeRange.ANY,
        number: int = 100,
    ) -> list[AsyncBilbyJob]:
        """Search public jobs (see :meth:`GWCloud.get_public_job_list`)."""
        terms, window, limit = self._public_args(search, time_range, number)
        return [job async for job in self._walk_public(terms, window, limit, limit)]

    def iter_public_jobs(
        self,
        search: str = "",
        time_range: TimeRange | str = TimeRange.ANY,
        *,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[AsyncBilbyJob]:
        """Walk every matching public job with ``async for``, one page per request."""
        terms, window, size = self._public_args(search, time_range, page_size)
        return self._walk_public(terms, window, size, None)

    async def get_official_job_list(self, search: str = "") -> list[AsyncBilbyJob]:
        """Every public job labelled *Official* that matches ``search``."""
        terms = self._official_search(search)
        return [job async for job in self._walk_public(terms, "all", PAGE_SIZE, None)]

    async def get_user_jobs(self, number: int = 100) -> list[AsyncBilbyJob]:
        """The caller's own jobs, most recently updated first."""
        limit = check_number(number)
        self._require_token("get_user_jobs")
        return [job async for job in self._walk_user(limit, limit)]

    def iter_user_jobs(self, *, page_size: int = PAGE_SIZE) -> AsyncIterator[AsyncBilbyJob]:
        """Walk all of the caller's jobs with ``async for``, one page per request."""
        check_number(page_size, "page_size")
        self._require_token("iter_user_jobs")
        return self._walk_user(page_size, None)

    @overload
    async def get_job_by_id(self, job_id: str | int, *, strict: Literal[True]) -> AsyncBilbyJob: ...

    @overload
    async def get_job_by_id(
        self, job_id: str | int, *, strict: bool = False
    ) -> AsyncBilbyJob | None: ...

    async def get_job_by_id(
        self, job_id: str | int, *, strict: bool = False
    ) -> AsyncBilbyJob | None:
        """Fetch one job by its ID or integer key (see :meth:`GWCloud.get_job_by_id`).

        Returns None when there is no such job, unless ``strict=True`` (then
        :class:`NotFoundError`).
        """
        global_id = to_global_job_id(job_id)
        await self.authenticate()
        try:
            node = (await self._bilby.bilby_job(id=global_id)).bilby_job
        except NotFoundError:
            if strict:
                raise
            return None
        if node is None:
            if strict:
                raise job_not_found(job_id)
            return None
        return AsyncBilbyJob._from_gql(self, node)

    # -- used by AsyncBilbyJob --------------------------------------------------------------

    async def _update_job(self, job_id: str, **changes: str) -> None:
        self._require_token("updating a job")
        await self.authenticate()
        await self._bilby.update_bilby_job(job_id=job_id, **changes)

    async def _set_job_event_id(
        self, job_id: str, event_id: EventID | str | None
    ) -> EventID | None:
        value = self._event_value(event_id)
        self._require_token("set_event_id")
        await self.authenticate()
        await self._bilby.update_bilby_job(job_id=job_id, event_id=value)
        if isinstance(event_id, EventID) or not value:
            return event_id if isinstance(event_id, EventID) else None
        return await self.get_event_id(value)

    async def _get_job_files(self, job: AsyncBilbyJob) -> tuple[FileReferenceList, JobType]:
        await self.authenticate()
        listing = (await self._bilby.bilby_result_files(job_id=job.job_id)).bilby_result_files
        return self._listing(job, listing)

    # -- files ------------------------------------------------------------------------------

    async def _request_ids(
        self, plan: DownloadPlan, batch: DownloadBatch
    ) -> list[tuple[int, DownloadItem]]:
        ids = (
            await self._bilby.generate_file_download_ids(
                job_id=batch.job_id, download_tokens=list(batch.tokens)
            )
        ).generate_file_download_ids
        return self._batch_items(plan.refs, batch, ids.result if ids else None)

    async def _download_items(self, file_references: Sequence[FileReference]) -> list[DownloadItem]:
        plan = self._download_plan(file_references)
        await self.authenticate()
        items: dict[int, DownloadItem] = {}
        for batch in plan.requests:
            items.update(await self._request_ids(plan, batch))
        return [items[index] for index in sorted(items)]

    async def _run_plan(self, plan: DownloadPlan) -> dict[int, Any]:
        """Run the transfers in worker threads while download IDs are requested on the loop.

        Up to :data:`~gwcloud_python._constants.ID_REQUEST_CONCURRENCY` ID
        requests are in flight at once; each answer's files start transferring
        as soon as it arrives.  Cancelling the call stops the transfers (an
        interrupted large file is kept for a later resume).
        """
        if plan.count == 0:
            return {}
        await self.authenticate()
        downloader = self._downloader()
        # On a slow link (as the GraphQL calls saw it), open the transfers' connections
        # while the IDs are requested; the transfers use the sync client's pool.
        origins = self._download_origins(plan)
        self.sync_client.prewarm(
            origins,
            latency=self.client.latency,
            limit=self._download_concurrency or C.MAX_DOWNLOAD_CONCURRENCY,
        )
        feed = DownloadFeed(bounds_downloads=self._downloads_share_endpoint(origins))
        limit = asyncio.Semaphore(C.ID_REQUEST_CONCURRENCY)

        async def resolve(batch: DownloadBatch) -> None:
            async with limit:
                if feed.cancelled:
                    return
                started = time.perf_counter()
                entries = await self._request_ids(plan, batch)
                # The link's latency hint: the ID request's time includes the server's work
                # on a large batch, so the quickest recent GraphQL answer bounds it better.
                feed.put(
                    entries,
                    latency=latency_hint(time.perf_counter() - started, self.client.latency),
                )

        async def produce() -> None:
            try:
                await asyncio.gather(*(resolve(batch) for batch in plan.requests))
                feed.close()
            except BaseException as err:  # handed to the caller through the feed
                feed.fail(err)

        if plan.targets is not None:
            run: Callable[[], dict[int, Any]] = functools.partial(
                downloader.run_save, feed, plan.target_map, plan.count, plan.total_bytes
            )
        else:
            run = functools.partial(downloader.run_fetch, feed, plan.count, plan.total_bytes)
        producer = asyncio.ensure_future(produce())
        try:
            # Not asyncio.to_thread: the engine waits for the feed, and the ID requests may
            # need the default executor (token exchange), which would deadlock if concurrent
            # downloads filled it.
            return await _in_own_thread(run)
        except BaseException as err:
            feed.fail(err)
            producer.cancel()
            raise
        finally:
            await asyncio.gather(producer, return_exceptions=True)

    def _downloader(self) -> Downloader:
        self.sync_client.check_open()
        return Downloader(
            self.sync_client.http,
            concurrency=self._download_concurrency,
            max_retries=self._max_retries,
            progress=self._progress,
            callback=self._progress_callback,
            sleep=self.sync_client.sleep,
        )

    async def get_files_by_reference(
        self, file_references: Sequence[FileReference]
    ) -> list[tuple[Path, bytes]]:
        """Download files into memory (see :meth:`GWCloud.get_files_by_reference`)."""
        plan = self._download_plan(file_references)
        contents = await self._run_plan(plan)
        return [(Path(ref.path.as_posix()), contents[i]) for i, ref in enumerate(plan.refs)]

    async def _save_plan(self, plan: DownloadPlan, root_path: PathLike) -> list[Path]:
        if plan.count:
            await asyncio.to_thread(make_output_directory, Path(root_path))
        await self._run_plan(plan)
        assert plan.targets is not None
        return list(plan.targets)

    async def save_files_by_reference(
        self,
        file_references: Sequence[FileReference],
        root_path: PathLike,
        *,
        skip_existing: bool = False,
    ) -> list[Path]:
        """Download files to disk (see :meth:`GWCloud.save_files_by_reference`).

        Paths are checked and existing files looked at in a worker thread, so
        the event loop is not held up by a long list.
        """
        plan = await asyncio.to_thread(
            functools.partial(
                self._download_plan, file_references, root_path, skip_existing=skip_existing
            )
        )
        return await self._save_plan(plan, root_path)

    async def save_job_files(
        self,
        jobs: Sequence[AsyncBilbyJob],
        root_path: PathLike,
        file_filter: str | FileFilter = "default",
        *,
        skip_existing: bool = False,
    ) -> list[Path]:
        """Save the files of many jobs in one pipeline (see :meth:`GWCloud.save_job_files`).

        The jobs' file lists are fetched concurrently (at most
        :data:`~gwcloud_python._constants.ID_REQUEST_CONCURRENCY` at once).
        """
        jobs = check_jobs(jobs, AsyncBilbyJob)
        filters = [job_file_filter(job, file_filter) for job in jobs]
        self._check_root([], root_path)
        folders = self._job_folders(jobs)
        limit = asyncio.Semaphore(C.ID_REQUEST_CONCURRENCY)

        async def listing(job: AsyncBilbyJob, chosen: FileFilter) -> FileReferenceList:
            async with limit:
                return await job._filtered(chosen)

        lists = await asyncio.gather(*map(listing, jobs, filters))
        refs, paths = self._job_file_paths(folders, lists)
        plan = await asyncio.to_thread(
            functools.partial(
                self._download_plan,
                refs,
                root_path,
                skip_existing=skip_existing,
                relative_paths=paths,
            )
        )
        return await self._save_plan(plan, root_path)

    # -- submitting and uploading -----------------------------------------------------------

    async def start_bilby_job_from_string(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        cluster: Cluster | str | None = Cluster.DEFAULT,
    ) -> AsyncBilbyJob:
        """Submit a job from ini text (see :meth:`GWCloud.start_bilby_job_from_string`)."""
        request = self._submit_request(
            job_name, job_description, private, ini_string, cluster, Path.cwd()
        )
        return await self._submit(request)

    async def start_bilby_job_from_file(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_file: PathLike,
        cluster: Cluster | str | None = Cluster.DEFAULT,
    ) -> AsyncBilbyJob:
        """Submit a job from an ini file (see :meth:`GWCloud.start_bilby_job_from_file`)."""
        text, base_dir = self._read_ini_file(ini_file)
        request = self._submit_request(job_name, job_description, private, text, cluster, base_dir)
        return await self._submit(request)

    async def _submit(self, request: SubmitRequest) -> AsyncBilbyJob:
        await self.authenticate()
        created = (
            await self._bilby.new_bilby_job_from_ini_string(
                name=request.name,
                private=request.private,
                ini_string=request.ini_string,
                description=request.description,
                cluster=request.cluster,
            )
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
                    await self._bilby.upload_supporting_files(supporting_files=uploads)
        except Exception as err:  # the job exists: every failure must name it
            raise self._half_submitted(job_id, err, sent=sending) from err
        return await self.get_job_by_id(job_id, strict=True)

    async def upload_external_job(
        self,
        job_name: str,
        job_description: str,
        private: bool,
        ini_string: str,
        url: str,
    ) -> AsyncBilbyJob:
        """Register a job whose results live elsewhere (see :meth:`GWCloud.upload_external_job`)."""
        request = self._external_request(job_name, job_description, private, ini_string, url)
        await self.authenticate()
        created = (await self._bilby.upload_external_bilby_job(**request)).upload_external_bilby_job
        return await self.get_job_by_id(self._created_job_id(created, "new job"), strict=True)

    async def upload_job_archive(
        self, description: str, job_archive: PathLike, public: bool = False
    ) -> AsyncBilbyJob:
        """Upload a job from a ``.tar.gz`` (see :meth:`GWCloud.upload_job_archive`)."""
        self._upload_checks(description, public)
        # Checking decompresses the whole archive: keep it off the event loop.
        archive = await asyncio.to_thread(check_job_archive, job_archive)
        self._require_token("upload_job_archive")
        return await self._upload_archive(description, archive, public)

    async def upload_job_directory(
        self, description: str, job_directory: PathLike, public: bool = False
    ) -> AsyncBilbyJob:
        """Upload a job from its output directory (see :meth:`GWCloud.upload_job_directory`)."""
        self._upload_checks(description, public)
        directory = await asyncio.to_thread(check_job_directory, job_directory)
        self._require_token("upload_job_directory")
        # The archive is built (read, compressed, written) in a worker thread.
        async with async_job_directory_archive(directory) as archive:
            return await self._upload_archive(description, archive, public)

    async def _upload_token(self) -> str:
        await self.authenticate()
        grant = (
            await self._bilby.generate_bilby_job_upload_token()
        ).generate_bilby_job_upload_token
        if grant is None or not grant.token:
            raise GWCloudError("the server did not issue an upload token")
        register_secret(grant.token, owner=self, slot="upload")
        return grant.token

    async def _upload_archive(self, description: str, archive: Path, public: bool) -> AsyncBilbyJob:
        token = await self._upload_token()
        with self._open_upload(archive) as handle:
            created = (
                await self._bilby.upload_bilby_job(
                    upload_token=token,
                    private=not public,
                    job_file=Upload(archive.name, handle, "application/gzip"),
                    description=description,
                )
            ).upload_bilby_job
        return await self.get_job_by_id(self._created_job_id(created, "uploaded job"), strict=True)

    async def upload_hdf5_job(
        self, description: str, hdf5_file: PathLike, ini_file: PathLike, public: bool = False
    ) -> AsyncBilbyJob:
        """Upload an HDF5 result and its ini (2026 only; see :meth:`GWCloud.upload_hdf5_job`)."""
        hdf5, ini = self._hdf5_request(description, hdf5_file, ini_file, public)
        token = await self._upload_token()
        with self._open_upload(hdf5) as hdf5_handle, self._open_upload(ini) as ini_handle:
            created = (
                await self._bilby2026.upload_hdf_5_bilby_job(
                    upload_token=token,
                    private=not public,
                    hdf_5_file=Upload2026(hdf5.name, hdf5_handle, "application/x-hdf5"),
                    ini_file=Upload2026(ini.name, ini_handle, "text/plain"),
                    description=description,
                )
            ).upload_hdf_5_bilby_job
        return await self.get_job_by_id(self._created_job_id(created, "uploaded job"), strict=True)

    # -- event IDs --------------------------------------------------------------------------

    async def create_event_id(
        self,
        event_id: str,
        gps_time: float,
        trigger_id: str | None = None,
        nickname: str | None = None,
        is_ligo_event: bool = False,
    ) -> EventID:
        """Create an event ID (see :meth:`GWCloud.create_event_id`)."""
        variables = self._create_event_vars(event_id, gps_time, trigger_id, nickname, is_ligo_event)
        await self.authenticate()
        await self._bilby.create_event_id(**variables)
        return await self.get_event_id(event_id, strict=True)

    async def update_event_id(
        self,
        event_id: str,
        gps_time: float | None = None,
        trigger_id: str | None = None,
        nickname: str | None = None,
        is_ligo_event: bool | None = None,
    ) -> EventID:
        """Change the given fields of an event ID (see :meth:`GWCloud.update_event_id`)."""
        variables = self._update_event_vars(event_id, gps_time, trigger_id, nickname, is_ligo_event)
        await self.authenticate()
        await self._bilby.update_event_id(**variables)
        return await self.get_event_id(event_id, strict=True)

    async def delete_event_id(self, event_id: str) -> None:
        """Delete an event ID (event administrators only)."""
        check_event_id(event_id)
        self._require_token("delete_event_id")
        await self.authenticate()
        await self._bilby.delete_event_id(event_id=event_id)

    @overload
    async def get_event_id(self, event_id: str, *, strict: Literal[True]) -> EventID: ...

    @overload
    async def get_event_id(self, event_id: str, *, strict: bool = False) -> EventID | None: ...

    async def get_event_id(self, event_id: str, *, strict: bool = False) -> EventID | None:
        """Fetch one event ID (see :meth:`GWCloud.get_event_id`).

        Returns None for ``""`` or an unknown event, unless ``strict=True``.
        """
        if event_id == "" and not strict:
            return None
        check_event_id(event_id)
        await self.authenticate()
        try:
            node = (await self._bilby.event_id(event_id=event_id)).event_id
        except NotFoundError:
            if strict:
                raise
            return None
        return self._event(event_id, node, strict=strict)

    async def get_all_event_ids(self) -> list[EventID]:
        """Every event ID visible to this client."""
        await self.authenticate()
        nodes = (await self._bilby.all_event_ids()).all_event_ids or []
        return [EventID._from_gql(node) for node in nodes if node is not None]


async def _in_own_thread(function: Callable[[], _R]) -> _R:
    """Run ``function`` in a new thread of its own and wait for it without blocking the loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_R] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def target() -> None:
        try:
            result = function()
        except BaseException as err:  # handed to the awaiting coroutine
            error = err
            deliver: Callable[[], None] = lambda: future.set_exception(error)  # noqa: E731
        else:
            deliver = lambda: future.set_result(result)  # noqa: E731
        with suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, deliver)

    threading.Thread(target=target, name="gwcloud-transfers", daemon=True).start()
    return await future

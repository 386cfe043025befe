"""GWFlow: analyses tracked per superevent, their files mirrored into GWCloud (2026 service)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import DownloadError, GWCloudError, ValidationError
from .._files import DownloadFeed, DownloadItem, already_saved
from .._gwflow_base import (
    GWFlowPager,
    check_sname,
    download_failure,
    file_entries,
    gwflow_download_item,
    hash_entries,
    page_size,
    require_gwflow_service,
    upsert_input,
)
from .._gwflow_wire import gwflow_job_global_id
from .._progress_io import UploadProgressCallback, open_for_upload
from .._seams import async_offload, async_run_transfers
from .._validation import check_readable_file, check_text, to_global_job_id, to_time_range
from ..gwflow_file import GWFlowFile
from ..gwflow_job import GWFlowJob
from ..gwflow_job_upsert_result import GWFlowJobUpsertResult
from ..gwflow_pending_file import GWFlowPendingFile, GWFlowPendingFileList
from ..helpers import TimeRange
from .downloads import AsyncDownloads

if TYPE_CHECKING:  # loaded by the calls that need them (a 2023 client never does)
    from .._generated.bilby2026 import GWFlowFileInput

__all__ = ["AsyncGWFlow"]

logger = logging.getLogger("gwcloud_python")

PathLike = str | os.PathLike[str]


class AsyncGWFlow(AsyncDownloads):
    """The client's GWFlow methods, named and shaped as in gwcloud-python 3.0.0.

    GWFlow exists only on the 2026 service: on a client of the 2023 service
    every method raises :class:`GWCloudError` before sending anything.  The
    three changing methods and :meth:`get_gwflow_pending_files` are for the
    service's ingest account; the reads are open to everyone, but jobs are
    LIGO-only unless made public, so anonymous and non-LIGO callers see none.
    """

    # -- the ingest side --------------------------------------------------------------------

    async def upsert_gwflow_job(
        self,
        sname: str,
        *,
        schema_version: str | None = None,
        metadata: Any = None,
        libraries: Sequence[str] | None = None,
        is_pruned: bool | None = None,
        event_id: str | None = None,
        current_history_id: str | None = None,
        current_history_timestamp: Any = None,
        files: Sequence[Any] | None = None,
    ) -> GWFlowJobUpsertResult:
        """Create the GWFlow job of ``sname`` or update it, and reconcile its file manifest.

        Only the arguments that are not None are sent; the service keeps the
        other fields as they are.  Repeating a call changes nothing but the
        job's update time, so a call whose answer was lost can be sent again.

        Parameters
        ----------
        sname : str
            Superevent name (at most 64 characters); the job's key.
        schema_version : str, optional
            Version of the metadata schema (at most 8 characters).
        metadata : object, optional
            The job's metadata, written as JSON (``json.dumps``) and used only for
            the search index.  A string is encoded too, as by gwcloud-python 3.0.0.
        libraries : list of str, optional
            The source libraries; replaces the stored list (``[]`` clears it).
        is_pruned : bool, optional
            Mark the job pruned (``False`` un-prunes it).
        event_id : str, optional
            Link the job to the event whose event ID or trigger ID this is; an
            unknown one leaves the link as it was.
        current_history_id : str, optional
            The source commit (at most 64 characters).
        current_history_timestamp : datetime or str, optional
            When that commit was made: a ``datetime`` or ISO 8601 text (checked
            here; a naive time is taken as UTC by the service).
        files : list, optional
            The whole manifest.  Files the job has that it does not list are
            deleted (``[]`` deletes them all); None leaves the files alone.  Each
            entry is

            * a mapping with ``path`` and optionally ``file_name``, ``analysis_uid``,
              ``file_size`` and ``md5_sum`` (camelCase keys are accepted too), plus
              ``local_path``, a local copy whose size and md5 are computed for the
              entry when it gives none; ``file_name`` defaults to the last part of
              ``path``;
            * or a :class:`~pathlib.Path` to a local file, registered under
              ``path = str(entry)`` with its name as ``file_name``, ``analysis_uid
              = ""``, and its size and md5 computed by reading it in 1 MiB pieces.

            The md5 is what makes a changed file pending again: an entry without one
            never does.  md5 sums are sent in lower case (the service compares
            uploads with a lower-case digest).

        Returns
        -------
        GWFlowJobUpsertResult
            The job's ID (usable with ``get_gwflow_job(job_id=...)``), whether it was
            created, the files still waiting for their bytes and the files removed.

        Raises
        ------
        ValidationError
            An argument is invalid, or a ``files`` entry has an unknown key or names a
            missing file; nothing is sent.
        AuthenticationError
            The client is anonymous.
        GWCloudError
            The client talks to the 2023 service.
        PermissionDeniedError, GraphQLError
            The service refused (``Permission Denied`` for anyone but the ingest
            account; ``Invalid metadata JSON`` arrives after the rest was committed).
        """
        require_gwflow_service(self.profile, "upsert_gwflow_job")
        request = upsert_input(
            sname,
            schema_version=schema_version,
            metadata=metadata,
            libraries=libraries,
            is_pruned=is_pruned,
            event_id=event_id,
            current_history_id=current_history_id,
            current_history_timestamp=current_history_timestamp,
            files=None,
        )
        entries = None if files is None else file_entries(files)
        self._require_token("upsert_gwflow_job")
        if entries is not None:
            # Every argument is checked before the (possibly long) hashing starts.
            manifest: list[GWFlowFileInput | None] = list(
                await async_offload(hash_entries, entries)
            )
            request.params.files = manifest
        answer = (await self._bilby2026.upsert_gwflow_job(input=request)).upsert_gwflow_job
        if answer is None or answer.result is None:
            raise GWCloudError(f"the service gave no upsert result for {sname!r}")
        return GWFlowJobUpsertResult.from_dict(answer.result.model_dump(by_alias=True))

    async def upload_gwflow_file(self, gwflow_file_id: str, file_path: PathLike) -> int:
        """Upload the bytes of one registered GWFlow file, streamed from disk.

        Parameters
        ----------
        gwflow_file_id : str
            The file's ID (:attr:`GWFlowPendingFile.id`, or :attr:`GWFlowFile.id` to
            upload it again).
        file_path : str or Path
            The local file.  When an md5 was registered, the service refuses bytes
            that do not match it (``MD5 checksum mismatch``) and deletes any earlier copy.

        Returns
        -------
        int
            How many bytes the service stored (a different count from the local
            file's size is logged as a warning).

        Raises
        ------
        ValidationError
            ``file_path`` is not a readable file; nothing is sent.
        AuthenticationError
            The client is anonymous.
        GWCloudError
            The client talks to the 2023 service, or the service reported failure.
        GraphQLError
            The service refused (``Permission Denied``, ``Invalid gwflow_file_id``,
            ``MD5 checksum mismatch``).
        """
        require_gwflow_service(self.profile, "upload_gwflow_file")
        check_text(gwflow_file_id, "gwflow_file_id")
        path = check_readable_file(file_path, "file_path")
        self._require_token("upload_gwflow_file")
        return await self._upload_gwflow_path(gwflow_file_id, path)

    async def _upload_gwflow_path(
        self,
        gwflow_file_id: str,
        path: Path,
        callback: UploadProgressCallback | None = None,
    ) -> int:
        """Upload one checked local file as the bytes of ``gwflow_file_id``; its stored size.

        The file is streamed (never read whole into memory), with the client's
        progress settings, or, given ``callback``, reporting to it alone (a bulk
        upload's shared bar); the mutation is not retried.
        """
        opened = (
            self._open_upload(path)
            if callback is None
            else open_for_upload(path, progress=False, callback=callback)
        )
        from .._generated.bilby2026 import Upload as Upload2026
        from .._generated.bilby2026 import UploadGwflowFileMutationInput

        with opened as handle:
            size = os.fstat(handle.fileno()).st_size
            request = UploadGwflowFileMutationInput(
                gwflowFileId=gwflow_file_id,
                file=Upload2026(path.name, handle, "application/octet-stream"),
            )
            answer = (await self._bilby2026.upload_gwflow_file(input=request)).upload_gwflow_file
        result = None if answer is None else answer.result
        if result is None or not result.success:
            raise GWCloudError("Failed to upload GWFlow file.")
        stored = int(result.file_size) if result.file_size is not None else size
        if stored != size:
            logger.warning(
                "the service stored %d bytes of %s, which has %d", stored, path.name, size
            )
        return stored

    async def get_gwflow_pending_files(self) -> list[GWFlowPendingFile]:
        """Every GWFlow file, of every job, that has no bytes in GWCloud yet.

        Pruned and LIGO-only jobs' files are included, ordered by sname, analysis
        and path.

        Returns
        -------
        list of GWFlowPendingFile
            The files to upload, each with its ID and registered md5.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        GWCloudError
            The client talks to the 2023 service.
        PermissionDeniedError, GraphQLError
            The caller is not the ingest account.
        """
        require_gwflow_service(self.profile, "get_gwflow_pending_files")
        self._require_token("get_gwflow_pending_files")
        files = (await self._bilby2026.gwflow_pending_files()).gwflow_pending_files or []
        return GWFlowPendingFileList(
            GWFlowPendingFile.from_dict(item.model_dump(by_alias=True))
            for item in files
            if item is not None
        )

    async def link_bilby_job_to_gwflow(
        self, job_id: str | int, sname: str, analysis_uid: str
    ) -> None:
        """Link a Bilby job to one analysis of a GWFlow job, or unlink it (``sname=""``).

        Linking again with the same analysis succeeds (it is idempotent); a job
        linked elsewhere moves.

        Parameters
        ----------
        job_id : str or int
            The Bilby job's ID (``BilbyJob.job_id``) or its integer key.
        sname : str
            The GWFlow job's superevent name; ``""`` unlinks the Bilby job.
        analysis_uid : str
            The analysis (free text; ignored when unlinking).

        Raises
        ------
        ValidationError
            An argument has the wrong type; nothing is sent.
        AuthenticationError
            The client is anonymous.
        GWCloudError
            The client talks to the 2023 service, or the service reported failure.
        GraphQLError
            The service refused (``Invalid job_id``, an unknown sname, the analysis
            already held by another Bilby job).
        """
        require_gwflow_service(self.profile, "link_bilby_job_to_gwflow")
        if isinstance(job_id, bool) or not isinstance(job_id, (str, int)) or job_id == "":
            raise ValidationError(f"job_id must be a Bilby job ID or key, got {job_id!r}")
        if isinstance(job_id, int) or job_id.isdigit():
            job_id = to_global_job_id(job_id)
        check_text(sname, "sname")
        check_text(analysis_uid, "analysis_uid")
        self._require_token("link_bilby_job_to_gwflow")
        from .._generated.bilby2026 import LinkBilbyJobToGwflowMutationInput

        request = LinkBilbyJobToGwflowMutationInput(
            jobId=job_id, sname=sname, analysisUid=analysis_uid
        )
        answer = (
            await self._bilby2026.link_bilby_job_to_gwflow(input=request)
        ).link_bilby_job_to_gwflow
        if answer is None or answer.result is None or not answer.result.success:
            raise GWCloudError("Failed to link Bilby job to GWFlow.")

    # -- reads ------------------------------------------------------------------------------

    async def get_gwflow_job_list(
        self,
        search: str = "",
        time_range: TimeRange | str = "all",
        include_pruned: bool = False,
    ) -> list[GWFlowJob]:
        """Every GWFlow job the caller may see that matches ``search``, newest update first.

        Pages of 100 are followed to the end (gwcloud-python 3.0.0 gets at most
        21 jobs).  Each job comes once, although the service repeats the first
        page's last job on the second page; the walk stops at a page without a
        next cursor or with one already followed.

        Parameters
        ----------
        search : str, optional
            A Lucene query over the search index (``sname:S2306*``,
            ``analyses.software:bilby``); ``""`` matches every job.
        time_range : TimeRange or str, optional
            Window on the last update: ``"all"`` (default), ``"1d"``, ``"1w"``,
            ``"1m"``, ``"1y"``.
        include_pruned : bool, optional
            List pruned jobs too.

        Returns
        -------
        list of GWFlowJob
            The jobs, without ``files``, ``bilby_jobs`` or ``creation_time`` (use
            :meth:`get_gwflow_job` for those).

        Raises
        ------
        ValidationError
            An argument is invalid.
        GWCloudError
            The client talks to the 2023 service.
        GraphQLError
            The search is malformed.
        """
        require_gwflow_service(self.profile, "get_gwflow_job_list")
        check_text(search, "search")
        window = to_time_range(time_range).value
        if not isinstance(include_pruned, bool):
            raise ValidationError(f"include_pruned must be True or False, got {include_pruned!r}")
        pager = GWFlowPager()
        while True:
            cursor = {} if pager.after is None else {"after": pager.after}
            page = (
                await self._bilby2026.gwflow_jobs(
                    search=search,
                    time_range=window,
                    include_pruned=include_pruned,
                    first=page_size(),
                    **cursor,
                )
            ).gwflow_jobs
            if page is None:
                break
            edges = [None if e is None else e.model_dump(by_alias=True) for e in page.edges]
            if not pager.add_page(edges, page.page_info.has_next_page, page.page_info.end_cursor):
                break
        return pager.jobs

    async def get_gwflow_job(
        self, sname: str | None = None, *, job_id: str | int | None = None
    ) -> GWFlowJob | None:
        """One GWFlow job with its files and linked Bilby jobs, by sname or by ID.

        Parameters
        ----------
        sname : str, optional
            The job's superevent name.  A pruned job is not found this way.
        job_id : str or int, optional
            Instead of ``sname`` (keyword only): :attr:`GWFlowJob.id`, the
            ``job_id`` of an upsert's result (either of the service's two
            encodings) or the integer key.  A pruned job is found this way.

        Returns
        -------
        GWFlowJob or None
            The job; None when it does not exist, or is hidden from the caller
            (LIGO-only jobs from non-LIGO callers, pruned jobs by sname).

        Raises
        ------
        ValidationError
            Neither or both of ``sname`` and ``job_id`` given, or one is malformed.
        GWCloudError
            The client talks to the 2023 service.
        """
        require_gwflow_service(self.profile, "get_gwflow_job")
        if (sname is None) == (job_id is None):
            raise ValidationError("get_gwflow_job needs exactly one of sname and job_id")
        if job_id is not None:
            global_id = gwflow_job_global_id(job_id)
            node: Any = (await self._bilby2026.gwflow_job(id=global_id)).gwflow_job
        else:
            node = (
                await self._bilby2026.gwflow_job_by_sname(sname=check_sname(sname))
            ).gwflow_job_by_sname
        if node is None:
            return None
        return GWFlowJob.from_dict(node.model_dump(by_alias=True))

    # -- downloads --------------------------------------------------------------------------

    async def download_gwflow_file(
        self,
        download_token: str | GWFlowFile,
        output_path: PathLike,
        *,
        skip_existing: bool = False,
    ) -> None:
        """Download one GWFlow file to ``output_path`` through the client's download engine.

        The file comes from the configured service's ``file_download/`` route
        (not always the public one), with the caller's API token when that route
        is on the endpoint's own host (LIGO-only jobs' files need it).  It is
        written to a hidden temporary file next to ``output_path`` and renamed
        into place only once its whole body arrived (checked against the
        answer's ``Content-Length``, and against ``file_size`` when a
        :class:`GWFlowFile` is given), so a failure never leaves a partial file
        under the name and never truncates an existing one.  Connection errors,
        429 and 5xx are retried; the service cannot resume, so a retry fetches
        the whole file again.  Parent directories are created.

        Parameters
        ----------
        download_token : str or GWFlowFile
            The file's :attr:`GWFlowFile.download_token` (permanent), or the file.
        output_path : str or Path
            Where to write it.
        skip_existing : bool, optional
            Do nothing when ``output_path`` already is a file (of the file's size,
            when a :class:`GWFlowFile` with a size is given).

        Raises
        ------
        ValidationError
            An argument is invalid, or ``output_path`` is a directory.
        GWCloudError
            The client talks to the 2023 service.
        DownloadError
            The service answered 404 (unknown token, file not uploaded yet, or
            hidden from the caller) with gwcloud-python 3.0.0's message, another
            error status, or the transfer failed after retries.
        """
        require_gwflow_service(self.profile, "download_gwflow_file")
        if not isinstance(output_path, (str, os.PathLike)):
            raise ValidationError(f"output_path must be a path, got {output_path!r}")
        target = Path(output_path)
        item = self._gwflow_download_item(download_token)
        size = item.size if item.size_known else None
        if target.is_dir():
            raise ValidationError(f"output_path {str(target)!r} is a directory")
        if skip_existing and await async_offload(functools.partial(file_present, target, size)):
            return
        await self._save_gwflow_items([(item, target)])

    def _gwflow_download_item(self, target: GWFlowFile | str) -> DownloadItem:
        """The engine's item for one GWFlow file (its size checked) or download token.

        The item's ``path`` is the file's registered path (for a bare token, a label
        with the token's first characters, as messages show it); a bulk save resolves
        its own target paths.  See
        :func:`~gwcloud_python._gwflow_base.gwflow_download_item`.
        """
        size = target.file_size if isinstance(target, GWFlowFile) else None
        return gwflow_download_item(self.profile, self._token, target, size=size)

    async def _save_gwflow_items(self, pairs: Sequence[tuple[DownloadItem, Path]]) -> list[Path]:
        """Save GWFlow files in one pipeline (one progress bar); their final paths.

        ``pairs`` are items from :meth:`_gwflow_download_item` and their final
        paths (checked by the caller).  A 404 or other failed status raises
        gwcloud-python 3.0.0's message.
        """
        if not pairs:
            return []
        downloader = self._downloader()
        feed = DownloadFeed()
        targets = {index: path for index, (_, path) in enumerate(pairs)}
        total = sum(item.size for item, _ in pairs)

        async def resolve(batch: Sequence[tuple[int, DownloadItem]]) -> None:
            feed.put(batch)

        run = functools.partial(downloader.run_save, feed, targets, len(pairs), total)
        entries = [list(enumerate(item for item, _ in pairs))]
        try:
            await async_run_transfers(run, feed, entries, resolve, 1)
        except DownloadError as err:
            raise download_failure(err) from err
        return [targets[index] for index in range(len(pairs))]


def file_present(target: Path, size: int | None) -> bool:
    """Whether a GWFlow file is already at ``target`` (at its listed size, when known)."""
    if size is not None:
        return already_saved(target, size)
    return target.is_file()

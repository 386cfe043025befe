# Generated from src/gwcloud_python/_async/downloads.py by tools/unasync.py: do not edit.
"""Downloading files: into memory, to disk, and many jobs' files in one pipeline."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import _constants as C
from .._client_base import (
    DownloadBatch,
    DownloadPlan,
    check_jobs,
    job_file_filter,
    latency_hint,
)
from .._files import Downloader, DownloadFeed, DownloadItem, make_output_directory
from .._seams import bounded_map, offload, run_transfers
from ..file_filters import FileFilter
from ..file_reference import FileReference, FileReferenceList
from ..saved_files import SavedFiles, split_external, split_external_refs
from .bilby_job import BilbyJob
from .jobs import Jobs

__all__ = ["Downloads"]

PathLike = str | os.PathLike[str]


class Downloads(Jobs):
    """The client's download methods, all run by one transfer engine."""

    def _request_ids(
        self, plan: DownloadPlan, batch: DownloadBatch
    ) -> list[tuple[int, DownloadItem]]:
        ids = (
            self._bilby.generate_file_download_ids(
                job_id=batch.job_id, download_tokens=list(batch.tokens)
            )
        ).generate_file_download_ids
        return self._batch_items(plan.refs, batch, ids.result if ids else None)

    def _run_plan(self, plan: DownloadPlan) -> dict[int, Any]:
        """Transfer the plan's files while their download IDs are still being requested.

        Up to :data:`~gwcloud_python._constants.ID_REQUEST_CONCURRENCY` ID
        requests are in flight at once; each answer's files start transferring
        as soon as it arrives.
        """
        if plan.count == 0:
            return {}
        downloader = self._downloader()
        # On a slow link (as the GraphQL calls saw it), open the transfers' connections
        # while the IDs are requested.
        origins = self._download_origins(plan)
        self.sync_client.prewarm(
            origins,
            latency=self.client.latency,
            limit=self._download_concurrency or C.MAX_DOWNLOAD_CONCURRENCY,
        )
        feed = DownloadFeed(bounds_downloads=self._downloads_share_endpoint(origins))

        def resolve(batch: DownloadBatch) -> None:
            if feed.cancelled:
                return
            started = time.perf_counter()
            entries = self._request_ids(plan, batch)
            # The link's latency hint: the ID request's time includes the server's work
            # on a large batch, so the quickest recent GraphQL answer bounds it better.
            elapsed = time.perf_counter() - started
            feed.put(entries, latency=latency_hint(elapsed, self.client.latency))

        if plan.targets is not None:
            run: Callable[[], dict[int, Any]] = functools.partial(
                downloader.run_save, feed, plan.target_map, plan.count, plan.total_bytes
            )
        else:
            run = functools.partial(downloader.run_fetch, feed, plan.count, plan.total_bytes)
        return run_transfers(run, feed, plan.requests, resolve, C.ID_REQUEST_CONCURRENCY)

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

    def _save_plan(self, plan: DownloadPlan, root_path: PathLike) -> list[Path]:
        if plan.count:
            offload(make_output_directory, Path(root_path))
        self._run_plan(plan)
        assert plan.targets is not None
        return list(plan.targets)

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
    ) -> SavedFiles:
        """Download files to disk under ``root_path``, keeping their directories.

        Each file is written to a hidden ``.<name>.<tag>.gwcloud-part`` file,
        checked against its listed size and renamed into place, so no partial
        file ever has the final name.  References from several jobs form one
        pipeline with one progress bar: transfers start while the download IDs
        of further jobs are still being requested.  A large file whose
        download was interrupted (process killed) is resumed where it stopped.
        Paths are checked, and existing files looked at, off the event loop.
        When the references come from several jobs, the files of an external
        job (results kept outside GWCloud) are skipped and reported in the
        result's ``external`` and in one warning, and the rest are saved;
        references from one external job raise, as in 1.x.

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
        SavedFiles
            Where each file was written (or already was), in order: a list of
            Path, whose ``external`` names the external jobs skipped.

        Raises
        ------
        ValidationError
            ``root_path`` is not a directory, or a listed path would escape it.
        ExternalFileDownloadException
            Every file belongs to one external job.
        DownloadError
            A transfer failed after retries.
        """
        refs, external = split_external_refs(file_references)
        plan = offload(
            functools.partial(self._download_plan, refs, root_path, skip_existing=skip_existing)
        )
        return SavedFiles(self._save_plan(plan, root_path), external)

    def save_job_files(
        self,
        jobs: Sequence[BilbyJob],
        root_path: PathLike,
        file_filter: str | FileFilter = "default",
        *,
        skip_existing: bool = False,
    ) -> SavedFiles:
        """Save the files of many jobs in one pipeline, each job in its own folder.

        The jobs' file lists are fetched in parallel (at most
        :data:`~gwcloud_python._constants.ID_REQUEST_CONCURRENCY` at once), then
        every file is saved as by :meth:`save_files_by_reference` (one progress
        bar, transfers starting while further download IDs are requested) under
        ``root_path/<job name>/``.  Jobs that share a name get ``<name>-2``,
        ``<name>-3``... in the order given.  A job whose results live outside
        GWCloud (an external job) does not stop the others: its files are
        skipped, and it is named with its link in the result's ``external``
        and in one warning line.

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
            :meth:`BilbyJob.register_file_list_filter`), or a function taking
            a list of :class:`FileReference` and returning the ones to keep.
        skip_existing : bool, optional
            As for :meth:`save_files_by_reference`.

        Returns
        -------
        SavedFiles
            Where each file was written, job by job (a list of Path), and in
            ``external`` the external jobs that were skipped.

        Raises
        ------
        ValidationError
            An argument is invalid, a job is given twice, or a listed path
            would escape ``root_path``.
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

        def listing(job: BilbyJob) -> FileReferenceList:
            return job.get_full_file_list()

        every = bounded_map(listing, jobs, C.ID_REQUEST_CONCURRENCY)
        # external jobs are told apart on their full lists, which hold their link
        keep, external = split_external(jobs, every)
        lists = [every[i].filter_list(filters[i]) for i in keep]
        refs, paths = self._job_file_paths([folders[i] for i in keep], lists)
        plan = offload(
            functools.partial(
                self._download_plan,
                refs,
                root_path,
                skip_existing=skip_existing,
                relative_paths=paths,
            )
        )
        return SavedFiles(self._save_plan(plan, root_path), external)

# Generated from src/gwcloud_python/_async/gwflow_bulk.py by tools/unasync.py: do not edit.
"""GWFlow in bulk: save a job's files in one call, mirror every pending file in one call."""

from __future__ import annotations

import functools
import inspect
import logging
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import _constants as C
from .._errors import AuthenticationError, GWCloudError, NotFoundError, ValidationError
from .._gwflow_base import md5_of, require_gwflow_service
from .._gwflow_layout import local_relative_path, local_source
from .._paths import resolve_targets
from .._progress_io import SharedProgress
from .._seams import bounded_map, offload
from ..gwflow_file import GWFlowFile
from ..gwflow_job import GWFlowJob
from ..gwflow_mirror import GWFlowMirrorSummary, MirroredFile, UnmirroredFile
from ..gwflow_pending_file import GWFlowPendingFile
from ..saved_files import SavedFiles
from .gwflow import GWFlow, file_present

__all__ = ["GWFlowBulk", "LocalFiles"]

logger = logging.getLogger("gwcloud_python")

PathLike = str | os.PathLike[str]
#: Where :meth:`GWFlowBulk.mirror_gwflow_files` finds each pending file's bytes.
LocalFiles = PathLike | Mapping[Any, PathLike] | Callable[[GWFlowPendingFile], PathLike | None]


class GWFlowBulk(GWFlow):
    """The client's bulk GWFlow methods: one call for what users otherwise loop over."""

    def save_gwflow_files(
        self,
        job_or_sname: GWFlowJob | str,
        root_path: PathLike,
        *,
        analysis_uid: str | None = None,
        skip_existing: bool = False,
    ) -> SavedFiles:
        """Save every uploaded file of a GWFlow job under ``root_path``, in one pipeline.

        Files go to ``root_path/<sname>/<analysis_uid>/<path>`` (superevent-level
        files, whose ``analysis_uid`` is ``""``, straight under ``<sname>/``; a
        cluster prefix such as ``CIT:`` becomes a folder), the layout
        :meth:`mirror_gwflow_files` reads.  Every target is checked before the
        first request: a listed path that would leave ``root_path`` is refused.
        Each file is written as by :meth:`download_gwflow_file` (a hidden
        temporary file renamed into place when complete, its size checked),
        several at once, with one progress bar.  Files not uploaded yet (which
        the service cannot send) are left out and counted in one log line.

        Parameters
        ----------
        job_or_sname : GWFlowJob or str
            The job (a listed one is fetched again for its files) or its sname.
        root_path : str or Path
            Directory to save under (created if missing).
        analysis_uid : str, optional
            Only this analysis's files (``""``: only the superevent-level ones).
        skip_existing : bool, optional
            Keep a file already at its target with the listed size instead of
            downloading it again.

        Returns
        -------
        SavedFiles
            The target of every file, saved or kept, in the job's order.

        Raises
        ------
        NotFoundError
            No such job, or it is hidden from this client (LIGO-only jobs need a
            LIGO member's token; a pruned job is found only through its object).
        ValidationError
            An argument is invalid, or a listed path would leave ``root_path``.
        DownloadError
            A transfer failed after retries.
        """
        require_gwflow_service(self.profile, "save_gwflow_files")
        root, _ = self._check_root([], root_path)
        if analysis_uid is not None and not isinstance(analysis_uid, str):
            raise ValidationError(f"analysis_uid must be a string, got {analysis_uid!r}")
        job = self._gwflow_job_with_files(job_or_sname)
        wanted = [f for f in job.files if analysis_uid is None or f.analysis_uid == analysis_uid]
        files = [f for f in wanted if f.uploaded]
        if len(files) < len(wanted):
            logger.warning(
                "%d file(s) of %s are not mirrored into GWCloud yet; skipped",
                len(wanted) - len(files),
                job.sname,
            )
        relatives = [local_relative_path(job.sname, f.analysis_uid, f.path) for f in files]
        targets = offload(resolve_targets, root, relatives)
        pairs = list(zip(files, targets, strict=True))
        if skip_existing:
            present = offload(_present, pairs)
            pairs = [pair for pair, there in zip(pairs, present, strict=True) if not there]
        items = [(self._gwflow_download_item(f), target) for f, target in pairs]
        self._save_gwflow_items(items)
        return SavedFiles(targets)

    def _gwflow_job_with_files(self, job_or_sname: GWFlowJob | str) -> GWFlowJob:
        if isinstance(job_or_sname, GWFlowJob):
            if job_or_sname.files or job_or_sname.creation_time is not None:
                return job_or_sname
            job = self.get_gwflow_job(job_id=job_or_sname.id)
            name = job_or_sname.sname
        elif isinstance(job_or_sname, str):
            job = self.get_gwflow_job(job_or_sname)
            name = job_or_sname
        else:
            raise ValidationError(
                f"job_or_sname must be a GWFlowJob or an sname, got {job_or_sname!r}"
            )
        if job is None:
            message = f"no GWFlow job {name!r}, or it is pruned or not visible to this client"
            raise NotFoundError([{"message": message}], None, "GwflowJobBySname")
        return job

    def mirror_gwflow_files(
        self, local_root_or_mapping: LocalFiles, *, concurrency: int | None = None
    ) -> GWFlowMirrorSummary:
        """Upload every pending GWFlow file whose local copy matches its registered md5.

        One :meth:`get_gwflow_pending_files` call, then each file's local copy is
        found, its md5 computed (read in 1 MiB pieces) and, when it matches the
        registered md5 (or none was registered), its bytes are streamed to the
        service; several files at once, with one progress bar.  A file without a
        local copy, with another md5, or at an unsafe path is skipped and
        reported, and nothing is sent for it (the service would delete an earlier
        good copy on a mismatch); a refused or failed upload is reported and the
        rest go on.  Running it again uploads what is still pending.

        Parameters
        ----------
        local_root_or_mapping : str, Path, mapping or callable
            Where the bytes are:

            * a directory laid out as :meth:`save_gwflow_files` writes it,
              ``<root>/<sname>/<analysis_uid>/<path>``;
            * a mapping from the pending file's ``id``, or from its
              ``(sname, analysis_uid, path)``, to a local path; files it does not
              name are skipped;
            * a function given each :class:`GWFlowPendingFile` and returning a
              local path, or None to skip it.
        concurrency : int, optional
            Uploads at once (default
            :data:`~gwcloud_python._constants.GWFLOW_MIRROR_CONCURRENCY`).

        Returns
        -------
        GWFlowMirrorSummary
            ``uploaded``, ``skipped`` and ``failed``, each in the service's order.

        Raises
        ------
        AuthenticationError
            The client is anonymous.
        PermissionDeniedError, GraphQLError
            The caller is not the ingest account (the listing was refused).
        ValidationError
            An argument is invalid.
        """
        require_gwflow_service(self.profile, "mirror_gwflow_files")
        locate = _locator(local_root_or_mapping)
        limit = _concurrency(concurrency)
        self._require_token("mirror_gwflow_files")
        records = self.get_gwflow_pending_files()
        plans = offload(_plan_all, locate, records)
        total = sum(plan.size for plan in plans if plan.path is not None)
        progress = SharedProgress(
            total,
            progress=self._progress,
            callback=self._progress_callback,
            description=f"Mirroring {len(records)} GWFlow file(s)",
        )

        summary = GWFlowMirrorSummary()

        def mirror_one(plan: _Plan) -> Callable[[], None]:
            """Upload one planned file; the step that files its outcome in ``summary``."""
            if plan.path is None:
                return functools.partial(
                    summary.skipped.append, UnmirroredFile(plan.record, plan.reason)
                )
            reason = offload(_md5_mismatch, plan.path, plan.record.md5_sum)
            if reason:
                progress.advance(plan.size)
                return functools.partial(
                    summary.skipped.append, UnmirroredFile(plan.record, reason)
                )
            try:
                size = self._upload_gwflow_path(
                    plan.record.id, plan.path, progress.reader_callback()
                )
            except AuthenticationError:
                raise
            except (GWCloudError, OSError) as err:
                failed = UnmirroredFile(plan.record, f"upload failed: {err}")
                return functools.partial(summary.failed.append, failed)
            return functools.partial(
                summary.uploaded.append, MirroredFile(plan.record, plan.path, size)
            )

        try:
            filings = bounded_map(mirror_one, plans, limit)
        finally:
            progress.close()
        for file_outcome in filings:  # in the service's order, whatever finished first
            file_outcome()
        if summary.skipped or summary.failed:
            logger.warning("GWFlow mirror: %s", summary)
        return summary


class _Plan:
    """One pending file and its local copy (``path`` None: skipped, for ``reason``)."""

    __slots__ = ("path", "reason", "record", "size")

    def __init__(
        self, record: GWFlowPendingFile, path: Path | None, size: int = 0, reason: str = ""
    ) -> None:
        self.record = record
        self.path = path
        self.size = size
        self.reason = reason


def _concurrency(value: object) -> int:
    if value is None:
        return C.GWFLOW_MIRROR_CONCURRENCY
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"concurrency must be a positive integer, got {value!r}")
    return value


def _locator(where: object) -> Callable[[GWFlowPendingFile], Path | None]:
    """Turn the caller's ``local_root_or_mapping`` into ``record -> local path or None``."""
    if isinstance(where, (str, os.PathLike)):
        root = Path(where)
        if not root.is_dir():
            raise ValidationError(f"local root {str(root)!r} is not a directory")

        def under_root(record: GWFlowPendingFile) -> Path | None:
            relative = local_relative_path(record.sname, record.analysis_uid or "", record.path)
            return local_source(root, relative)

        return under_root
    if isinstance(where, Mapping):
        table = where

        def from_mapping(record: GWFlowPendingFile) -> Path | None:
            key = (record.sname, record.analysis_uid or "", record.path)
            return _given_path(table.get(record.id, table.get(key)), record)

        return from_mapping
    if callable(where):
        if inspect.iscoroutinefunction(where):
            raise ValidationError(
                "local_root_or_mapping must be a plain function returning a path or None, "
                f"not a coroutine function ({where!r})"
            )
        function = where

        def from_function(record: GWFlowPendingFile) -> Path | None:
            return _given_path(function(record), record)

        return from_function
    raise ValidationError(
        f"local_root_or_mapping must be a directory, a mapping or a function, got {where!r}"
    )


class _BadLocation(ValidationError):
    """The caller's mapping or function gave something that is not a path (raised)."""


def _given_path(value: object, record: GWFlowPendingFile) -> Path | None:
    """The caller's answer for ``record`` as a path (None: skip the file)."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return Path(value)
    if inspect.iscoroutine(value):
        value.close()  # never awaited: say so once, without a RuntimeWarning
    raise _BadLocation(
        f"local_root_or_mapping gave {value!r} for {record.sname}/{record.path}; "
        "a path or None was expected"
    )


def _plan_all(
    locate: Callable[[GWFlowPendingFile], Path | None], records: list[GWFlowPendingFile]
) -> list[_Plan]:
    return [_plan(locate, record) for record in records]


def _plan(locate: Callable[[GWFlowPendingFile], Path | None], record: GWFlowPendingFile) -> _Plan:
    try:
        path = locate(record)
    except _BadLocation:
        raise
    except ValidationError as err:
        return _Plan(record, None, reason=f"unsafe path: {err.message}")
    if path is None:
        return _Plan(record, None, reason="no local file given")
    try:
        info = path.stat()
    except OSError:
        return _Plan(record, None, reason=f"no local file at {str(path)!r}")
    if not stat.S_ISREG(info.st_mode):
        return _Plan(record, None, reason=f"{str(path)!r} is not a file")
    return _Plan(record, path, info.st_size)


def _md5_mismatch(path: Path, registered: str | None) -> str:
    """``""`` when ``path`` may be sent for a file registered with md5 ``registered``."""
    if not registered:
        return ""
    try:
        _size, local = md5_of(path)
    except OSError as err:
        return f"cannot read {str(path)!r}: {err.strerror or err}"
    if local == registered:
        return ""
    if local == registered.lower():
        # The service compares the lower-case hex digest with the stored text, so an
        # upper-case registration can never match: sending would only make it delete
        # any earlier copy (``MD5 checksum mismatch``).
        return (
            f"the registered md5 {registered} is not lower case, so the service refuses "
            "any upload of it; register the file again (upsert_gwflow_job lower-cases md5s)"
        )
    return f"local md5 {local} differs from the registered {registered}"


def _present(pairs: list[tuple[GWFlowFile, Path]]) -> list[bool]:
    return [file_present(target, f.file_size) for f, target in pairs]

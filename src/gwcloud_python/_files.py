"""Download engine: concurrent, pipelined, resumable, path-safe file transfers.

Every download method of the client ends up here.  :class:`Downloader`
streams files over one shared, pooled :class:`httpx.Client` from a pool of
worker threads, either into memory (:meth:`Downloader.run_fetch`) or to disk
(:meth:`Downloader.run_save`).  The workers take files from a
:class:`~gwcloud_python._feed.DownloadFeed`, so transfers start while the
download IDs of further files are still being requested.

The engine's parts live in modules of one concern each, and their names are
re-exported here for the client modules:

* :mod:`~gwcloud_python._feed`: :class:`DownloadItem` and :class:`DownloadFeed`;
* :mod:`~gwcloud_python._paths`: target paths and their checks, temporary names;
* :mod:`~gwcloud_python._resume`: validators, sidecars, claiming a partial file;
* :mod:`~gwcloud_python._retry`: backoff and what an answer's status means;
* :mod:`~gwcloud_python._sinks`: the memory and file sinks of one transfer;
* :mod:`~gwcloud_python._pool`: the worker pool of one call;
* :mod:`~gwcloud_python._unnamed`: small files written with no name, named once whole.

This module keeps the :class:`Downloader` itself: saving one file (through an
unnamed or a named temporary file), retrying and resuming its transfer.

Guarantees
----------
* Only an HTTP 200 answer (or a 206 answer that matches the ``Range``
  request, see below) is ever treated as file content; an error page is never
  written or returned.
* A file is written to a hidden temporary file next to it,
  ``.<name>.<tag>.gwcloud-part``, where ``<tag>`` is derived from the name, and
  renamed onto its final name only once its whole body has arrived: the length
  its answer announced (``Content-Length``), or the size the server listed when
  the answer announces none.  A file that grew since it was listed (a running
  job's log) is saved whole, as sent, with a warning naming both sizes, up to
  the listed size plus :data:`~gwcloud_python._constants.DOWNLOAD_GROWTH_MARGIN`
  (the ``growth_margin`` of :class:`Downloader`); a longer answer is an error,
  so an endless one cannot fill the disk or the memory.  On Linux a file smaller than
  :data:`~gwcloud_python._constants.RESUME_MIN_SIZE` is instead written to a
  file with no name (``O_TMPFILE``) in the same directory and linked in under
  its final name once complete (through the temporary name and a rename when a
  file of that name exists); where that is not possible the named temporary
  file is used.  No partial or failed download ever appears under the final
  name (an older file there is left alone), and no file of the user's is ever
  used as a temporary file: a user's own ``<name>.part`` is never touched.
* A transfer that drops mid-file is resumed with ``Range: bytes=<n>-`` and
  ``If-Range`` carrying the ``ETag`` (or ``Last-Modified``) of the first answer.
  A 206 answer is used only when its ``Content-Range`` starts at ``n``, ends at
  the last byte and names the whole length of the first answer as the total,
  and when it carries the same validator; anything else restarts the file from
  its first byte.  When the first answer carried no validator (no strong
  ``ETag``, no ``Last-Modified``) nothing can prove that the rest of the file
  is the same version, and the retry asks for the whole file again instead of
  a range.  So a saved (or fetched) file is always one whole version, never
  two versions stitched.
* Files of at least :data:`~gwcloud_python._constants.RESUME_MIN_SIZE` bytes
  keep their validators in a small sidecar (``.<name>.<tag>.gwcloud-part.json``)
  while they download.  When a run is killed, the next run (with new download
  IDs) resumes the temporary file with ``If-Range`` instead of starting over; a
  temporary file that is larger than the listed size, lacks a sidecar or whose
  sidecar does not match is deleted and the file restarted.
* Connection errors, 429 and 5xx answers are retried with capped exponential
  backoff and jitter, honouring ``Retry-After``.
* Every target path is checked (no absolute paths, ``..``, NUL, backslashes
  or symlink escapes, no two names for one file even where file names ignore
  case or Unicode normalisation) before the first request is sent.
* The first failure stops the remaining downloads and is raised.
* Concurrency follows the work: at most one worker per file, 8 on a fast
  link and up to 32 (the connection pool's size) when answers take longer
  than :data:`~gwcloud_python._constants.HIGH_LATENCY_SECONDS` to start.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from . import _constants as C
from ._errors import DownloadError, ValidationError
from ._feed import DownloadFeed, DownloadItem, ProgressCallback
from ._paths import (
    _unlink,
    already_saved,
    make_output_directory,
    resolve_target,
    resolve_targets,
    same_file_key,
    temporary_paths,
)
from ._pool import _Run, run_workers, stderr_is_tty
from ._resume import _open_partial
from ._retry import _FatalError, _RetryableError, backoff_delay, check_status, warn_grown
from ._sinks import _FileSink, _MemorySink, _Sink
from ._unnamed import _O_TMPFILE, _NoUnnamedFiles, link_in, open_unnamed
from ._wire import _strip_query

__all__ = [
    "DownloadFeed",
    "DownloadItem",
    "Downloader",
    "ProgressCallback",
    "already_saved",
    "make_output_directory",
    "resolve_target",
    "resolve_targets",
    "same_file_key",
    "temporary_paths",
]

logger = logging.getLogger("gwcloud_python")

_T = TypeVar("_T")


def _write_error(item: DownloadItem, final: Path, err: OSError) -> DownloadError:
    """The error for a file that could not be written to its place on disk."""
    return DownloadError(
        f"could not write {item.path!r} to {str(final)!r}: {err}", url=_strip_query(item.url)
    )


def _prepare_directory(directory: Path, run: _Run[Any]) -> None:
    """Create ``directory``, noting whether it existed already (once per run)."""
    try:
        directory.mkdir(parents=True)
    except FileExistsError:
        if not directory.is_dir():
            raise
        run.existing.add(directory)
    run.directories.add(directory)


class Downloader:
    """Concurrent, resumable downloads over one pooled :class:`httpx.Client`.

    Parameters
    ----------
    client : httpx.Client
        Shared client (it is thread-safe).  Its ``auth`` and any
        ``Authorization`` header are *not* sent: download URLs carry the file
        ID themselves.  An item's own ``auth`` (see :class:`DownloadItem`) is.
    concurrency : int or None
        Files transferred at once.  None (default) chooses: one worker per
        file, at most 8 while answers start quickly and up to
        :data:`~gwcloud_python._constants.MAX_DOWNLOAD_CONCURRENCY` when they
        take longer than
        :data:`~gwcloud_python._constants.HIGH_LATENCY_SECONDS` (a distant
        server).  An integer fixes the number (capped at that maximum).
    max_retries : int
        Retries per file after the first attempt, for connection errors,
        dropped transfers, 429 and 5xx answers.
    progress : bool or None
        Show a tqdm progress bar on stderr: ``None`` (default) only when
        stderr is a terminal, ``True`` always, ``False`` never.  One bar
        covers all the files of a call.
    callback : callable, optional
        ``callback(bytes_done, bytes_total)``, called from worker threads
        (serialised, in order) as bytes arrive, once with ``(0, total)`` at
        the start and last with ``(total, total)`` on success.  ``bytes_done``
        goes back when a file restarts.  Keep it fast: it runs under a lock.
    sleep : callable
        Used to wait between retries; tests pass a recorder.
    fsync : bool
        ``fsync`` each file before renaming it to its final name (slower;
        protects against power loss).
    growth_margin : int
        How many bytes more than listed a file may bring: a file that grew
        since it was listed is saved whole up to this bound, and a longer
        answer is an error.

    Raises
    ------
    ValidationError
        ``concurrency`` is below 1, ``max_retries`` or ``growth_margin`` is negative.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        concurrency: int | None = C.DEFAULT_DOWNLOAD_CONCURRENCY,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        progress: bool | None = None,
        callback: ProgressCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
        fsync: bool = False,
        growth_margin: int = C.DOWNLOAD_GROWTH_MARGIN,
    ) -> None:
        if growth_margin < 0:
            raise ValidationError(f"growth_margin must not be negative, not {growth_margin}")
        if concurrency is not None and (
            isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1
        ):
            raise ValidationError(f"concurrency must be None or at least 1, not {concurrency!r}")
        if max_retries < 0:
            raise ValidationError(f"max_retries must not be negative, not {max_retries}")
        self._client = client
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.progress = progress
        self.callback = callback
        self._sleep = sleep
        self.fsync = fsync
        self.growth_margin = growth_margin
        #: Most worker threads one call had running at once (for benchmarks and tests).
        self.peak_workers = 0

    def __repr__(self) -> str:
        return f"Downloader(concurrency={self.concurrency}, max_retries={self.max_retries})"

    # ------------------------------------------------------------------ public

    def run_save(
        self,
        feed: DownloadFeed,
        targets: dict[int, Path],
        count: int,
        total_bytes: int,
    ) -> dict[int, Path]:
        """Save the files ``feed`` hands over, starting each as soon as it arrives.

        Parameters
        ----------
        feed : DownloadFeed
            Gives ``(index, item)`` pairs; closed (or failed) by its producer.
        targets : dict of int to pathlib.Path
            The checked final path of every index the feed will give.
        count : int
            How many files the feed will give.
        total_bytes : int
            Their total listed size (for progress).

        Returns
        -------
        dict of int to pathlib.Path
            The final path of each saved index.

        Raises
        ------
        DownloadError
            A file could not be downloaded or written.
        BaseException
            The error the feed's producer passed to :meth:`DownloadFeed.fail`.
        """
        return self._execute(
            feed,
            count,
            total_bytes,
            lambda index, item, run: self._save_one(item, targets[index], run),
        )

    def run_fetch(self, feed: DownloadFeed, count: int, total_bytes: int) -> dict[int, bytes]:
        """Download the files ``feed`` hands over into memory (see :meth:`run_save`).

        Returns
        -------
        dict of int to bytes
            The contents of each index.
        """
        return self._execute(
            feed, count, total_bytes, lambda index, item, run: self._fetch_one(item, run)
        )

    # ---------------------------------------------------------------- workers

    def _target_workers(self, run: _Run[Any], remaining: int) -> int:
        if self.concurrency is not None:
            cap = min(self.concurrency, C.MAX_DOWNLOAD_CONCURRENCY)
        else:
            hint = run.feed.latency
            if run.latency is not None:  # the shortest time an answer took to start
                seen = run.latency
                if run.feed.bounds_downloads and hint is not None:
                    # The first answers queue behind the server's other work (the next ID
                    # batches); a quicker GraphQL answer from the same host bounds the link.
                    seen = min(seen, hint)
                slow = seen >= C.HIGH_LATENCY_SECONDS
            else:  # until then, how long a download-ID request took (server time included)
                slow = hint is not None and hint >= C.HIGH_LATENCY_HINT_SECONDS
            cap = C.MAX_DOWNLOAD_CONCURRENCY if slow else C.LOW_LATENCY_CONCURRENCY
        return max(1, min(cap, remaining))

    def _execute(
        self,
        feed: DownloadFeed,
        count: int,
        total_bytes: int,
        work: Callable[[int, DownloadItem, _Run[_T]], _T],
    ) -> dict[int, _T]:
        if count == 0:
            if feed._error is not None:
                raise feed._error
            return {}
        show = stderr_is_tty() if self.progress is None else self.progress
        run: _Run[_T] = _Run(
            feed=feed,
            total_bytes=total_bytes,
            total_files=count,
            show_bar=show,
            callback=self.callback,
            unnamed=bool(_O_TMPFILE),
        )
        self.peak_workers = 0
        return run_workers(
            run,
            count,
            work,
            lambda remaining: self._target_workers(run, remaining),
            self._note_workers,
        )

    def _note_workers(self, live: int) -> None:
        self.peak_workers = max(self.peak_workers, live)

    def _fetch_one(self, item: DownloadItem, run: _Run[Any]) -> bytes:
        if item.size >= C.MEMORY_SPOOL_THRESHOLD:
            return self._fetch_spooled(item, run)
        sink = _MemorySink(item.size, self._limit(item))
        try:
            self._download(item, sink, run)
            data = sink.data()
        finally:
            sink.release()
        return data

    def _fetch_spooled(self, item: DownloadItem, run: _Run[Any]) -> bytes:
        # A large file goes through an anonymous temporary file and is read back with one
        # allocation of its exact size, so peak memory is the returned bytes, not twice them.
        with tempfile.TemporaryFile(buffering=0) as raw:
            sink = _FileSink(raw.fileno(), item.size, self._limit(item))
            self._download(item, sink, run)
            size = sink.position
            raw.seek(0)
            data = raw.read(size)
            while len(data) < size:  # reads over 2 GiB come back in pieces
                more = raw.read(size - len(data))
                if not more:
                    raise DownloadError(
                        f"could not read back {item.path!r}", url=_strip_query(item.url)
                    )
                data += more
        return data

    def _save_one(self, item: DownloadItem, final: Path, run: _Run[Any]) -> Path:
        directory = final.parent
        if directory not in run.directories:
            try:
                _prepare_directory(directory, run)
            except OSError as err:
                raise _write_error(item, final, err) from err
        if run.unnamed and item.size < C.RESUME_MIN_SIZE:
            try:
                return self._save_unnamed(item, final, run)
            except _NoUnnamedFiles:
                run.unnamed = False
        return self._save_named(item, final, run)

    def _save_unnamed(self, item: DownloadItem, final: Path, run: _Run[Any]) -> Path:
        """Save a small file through an unnamed file, linked in under its name once whole.

        Nothing with a name exists until the file is complete, so a failed or killed
        download leaves nothing behind; creating the file does not hold the directory's
        lock, which made 1,000 files in one directory with 8 workers twice as fast.
        """
        directory = final.parent
        try:
            fd = open_unnamed(directory)
            try:
                sink = _FileSink(fd, item.size, self._limit(item))
                self._download(item, sink, run)
                if self.fsync:
                    os.fsync(fd)
                try:
                    link_in(fd, final)
                except _NoUnnamedFiles:
                    run.advance(-sink.position)  # it is fetched again through a named file
                    raise
            finally:
                os.close(fd)
            if directory in run.existing:
                for temporary in temporary_paths(final):
                    if os.path.lexists(temporary):
                        _unlink(temporary)  # an earlier run's, of this same file
        except OSError as err:
            raise _write_error(item, final, err) from err
        return final

    def _save_named(self, item: DownloadItem, final: Path, run: _Run[Any]) -> Path:
        """Save through the named temporary file of :func:`temporary_paths` (resumable)."""
        part, sidecar = temporary_paths(final)
        resumable = item.size >= C.RESUME_MIN_SIZE
        sink: _FileSink | None = None
        keep = False
        try:
            try:
                fd, offset, claimed = _open_partial(part, sidecar, item.size)
                try:
                    sink = _FileSink(
                        fd,
                        item.size,
                        self._limit(item),
                        offset=offset,
                        validators=claimed[0] if claimed else None,
                        expected=claimed[1] if claimed else None,
                        sidecar=sidecar if resumable else None,
                    )
                    if offset:
                        logger.info("resuming %s at byte %d", item.path, offset)
                        run.advance(offset)
                    try:
                        self._download(item, sink, run)
                    except BaseException:
                        keep = run.keeps_partials() and sink.recorded and sink.position > 0
                        raise
                    if self.fsync:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(part, final)
                if sink.recorded:
                    sink.forget()
            except OSError as err:
                raise _write_error(item, final, err) from err
        except BaseException:
            if not keep:
                try:
                    _unlink(part)
                    if resumable:
                        _unlink(sidecar)
                except OSError:  # pragma: no cover - best effort
                    logger.warning("could not remove %s", part)
            raise
        return final

    # ------------------------------------------------------------- transfers

    def _limit(self, item: DownloadItem) -> int:
        """The most bytes ``item`` may bring: its listed size plus the growth margin."""
        if not item.size_known:
            return C.UNSIZED_DOWNLOAD_LIMIT
        return item.size + self.growth_margin

    def _download(self, item: DownloadItem, sink: _Sink, run: _Run[Any]) -> None:
        """Transfer one file into ``sink``, retrying and resuming as needed."""
        attempt = 0
        try:
            while True:
                run.check()
                try:
                    self._attempt(item, sink, run)
                    return
                except _RetryableError as retry:
                    url = _strip_query(item.url)
                    if attempt >= self.max_retries:
                        raise DownloadError(
                            f"download of {item.path!r} from {url} failed after "
                            f"{attempt + 1} attempt{'s' if attempt else ''}: {retry.reason}",
                            url=url,
                            status_code=retry.status_code,
                        ) from retry
                    delay = backoff_delay(attempt, retry.retry_after)
                    logger.info(
                        "retrying %s in %.2fs (%s, %d bytes kept)",
                        item.path,
                        delay,
                        retry.reason,
                        sink.position,
                    )
                    attempt += 1
                    self._wait(delay, run)
        except _FatalError as fatal:
            url = _strip_query(item.url)
            raise DownloadError(
                f"download of {item.path!r} from {url} failed: {fatal.reason}",
                url=url,
                status_code=fatal.status_code,
            ) from fatal

    def _wait(self, delay: float, run: _Run[Any]) -> None:
        if self._sleep is time.sleep:
            # Wake up early when another download failed.
            run.cancelled.wait(delay)
        else:
            self._sleep(delay)
        run.check()

    def _attempt(self, item: DownloadItem, sink: _Sink, run: _Run[Any]) -> None:
        """One GET: stream the body into ``sink`` or raise ``_RetryableError``/``_FatalError``."""
        offset = sink.position
        if offset and not sink.validators:
            # Nothing proves that the rest would be the same version: ask for all of it.
            logger.info("restarting %s: its first answer named no version to resume", item.path)
            run.advance(-offset)
            sink.restart()
            offset = 0
        ranged = offset > 0
        headers = {"Accept-Encoding": "identity"}
        if ranged:
            headers["Range"] = f"bytes={offset}-"
            token = sink.validators.if_range()
            if token is not None:
                headers["If-Range"] = token
        request = self._client.build_request("GET", item.url, headers=headers)
        request.headers.pop("Authorization", None)
        started = time.perf_counter()
        try:
            # Only an item's own auth is sent (httpx drops it on a redirect to another host).
            response = self._client.send(
                request, auth=item.auth, stream=True, follow_redirects=True
            )
        except httpx.TransportError as err:
            raise _RetryableError(f"{type(err).__name__}: {err}") from err
        except httpx.HTTPError as err:
            raise _FatalError(f"{type(err).__name__}: {err}") from err
        run.observe(time.perf_counter() - started)
        try:
            check_status(response, item, sink, run.advance, ranged=ranged, offset=offset)
            if not item.size_known and sink.expected is not None:
                run.count_unsized(item, sink.expected)  # the progress total learns its size
            # The length a complete body has: the one announced, else the listed size.
            whole = item.size if sink.expected is None else sink.expected
            try:
                # No chunk_size: httpx would hold back up to chunk_size bytes
                # and lose them when the connection drops, defeating resume.
                for chunk in response.iter_bytes():
                    run.check()
                    sink.write(chunk)
                    run.advance(len(chunk))
            except httpx.TransportError as err:
                if sink.position == whole:
                    # Every byte arrived; only the end of the stream broke.
                    return
                raise _RetryableError(
                    f"transfer dropped after {sink.position} of {whole} bytes "
                    f"({type(err).__name__})"
                ) from err
            except httpx.HTTPError as err:
                raise _FatalError(f"{type(err).__name__}: {err}") from err
        finally:
            response.close()
        if sink.position < whole:
            raise _RetryableError(f"body ended after {sink.position} of {whole} bytes")
        if sink.expected is None and item.size_known and sink.position != item.size:
            warn_grown(item, sink.position)  # a body that announced no length

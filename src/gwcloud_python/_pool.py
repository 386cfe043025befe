"""The worker pool of one download call and the state its workers share.

:class:`_Run` holds the progress, the results and the first error of one
``run_fetch``/``run_save`` call; :func:`run_workers` starts worker threads
that take files from the feed, adding workers while the link wants more
(a distant server) and retiring them when it wants fewer.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._errors import DownloadError
from ._feed import DownloadFeed, DownloadItem, ProgressCallback
from ._progress_io import progress_bar
from ._retry import _CancelledError

if TYPE_CHECKING:  # tqdm loads with the first bar drawn
    from tqdm import tqdm

__all__ = ["run_workers"]

_T = TypeVar("_T")


class _Run(Generic[_T]):
    """State shared by the workers of one ``run_fetch`` or ``run_save`` call.

    Parameters
    ----------
    feed : DownloadFeed
        Hands the files over.
    total_bytes : int
        Their total listed size (for progress).
    total_files : int
        How many files the feed will give.
    show_bar : bool
        Draw a tqdm progress bar on stderr.
    callback : callable or None
        ``callback(bytes_done, bytes_total)``, called under the run's lock.
    unnamed : bool, optional
        Whether small files may be saved through unnamed files (``O_TMPFILE``).
    """

    def __init__(
        self,
        *,
        feed: DownloadFeed,
        total_bytes: int,
        total_files: int,
        show_bar: bool,
        callback: ProgressCallback | None,
        unnamed: bool = False,
    ) -> None:
        self.feed = feed
        self.cancelled = feed._cancelled
        self.interrupted = False
        self.latency: float | None = None
        self.results: dict[int, _T] = {}
        self.directories: set[Path] = set()
        #: Directories that existed before the run (they may hold an earlier run's leftovers).
        self.existing: set[Path] = set()
        #: Whether small files may go through unnamed temporary files (``O_TMPFILE``).
        self.unnamed = unnamed
        self._lock = threading.Lock()
        self._first_error: BaseException | None = None
        self._done = 0
        self._total = total_bytes
        #: Announced lengths of the files whose size nobody listed, counted into the total.
        self._unsized: dict[object, int] = {}
        self._files = total_files
        self._callback = callback
        self._last_reported: int | None = None
        self._bar: tqdm[Any] | None = None
        self._quiet = callback is None and not show_bar
        if show_bar:
            label = f"Downloading {total_files} file{'s' if total_files != 1 else ''}"
            bar = progress_bar(total_bytes, label)
            bar.set_postfix_str(f"0/{total_files} files", refresh=False)
            self._bar = bar

    def start(self) -> None:
        with self._lock:
            self._report()

    def advance(self, nbytes: int) -> None:
        """Add ``nbytes`` (negative when a file restarts) to the progress."""
        if nbytes == 0 or self._quiet:
            return
        with self._lock:
            self._done += nbytes
            if self._bar is not None:
                self._bar.update(nbytes)
            self._report()

    def count_unsized(self, key: object, nbytes: int) -> None:
        """Count ``nbytes`` as the total of a file nobody listed the size of.

        Called when its answer announces its length; a later answer for the same
        file (a retry) replaces the earlier count instead of adding to it.
        """
        with self._lock:
            previous = self._unsized.get(key, 0)
            self._unsized[key] = nbytes
            self._total += nbytes - previous
            if self._bar is not None:
                self._bar.total = self._total
                self._bar.refresh()

    def file_done(self, index: int, result: _T) -> None:
        self.results[index] = result
        if self._bar is not None:
            with self._lock:
                self._bar.set_postfix_str(f"{len(self.results)}/{self._files} files", refresh=False)

    def observe(self, seconds: float) -> None:
        """Record how long an answer took to start (the shortest one is kept)."""
        latency = self.latency
        if latency is None or seconds < latency:
            self.latency = seconds

    def _report(self) -> None:
        if self._callback is not None:
            self._last_reported = self._done
            self._callback(self._done, self._total)

    def fail(self, error: BaseException) -> None:
        """Record ``error`` (the first one wins) and stop the other workers."""
        with self._lock:
            if self._first_error is None and not isinstance(error, _CancelledError):
                self._first_error = error
        self.feed._stop()

    @property
    def first_error(self) -> BaseException | None:
        return self._first_error

    def keeps_partials(self) -> bool:
        """Whether the run was interrupted (not failed), so resumable files are kept."""
        error = self.feed._error
        return self.interrupted or (error is not None and not isinstance(error, Exception))

    def check(self) -> None:
        if self.cancelled.is_set():
            raise _CancelledError

    def close(self, *, success: bool) -> None:
        with self._lock:
            if success and self._last_reported != self._total:
                self._done = self._total
                self._report()
            if self._bar is not None:
                self._bar.close()


def run_workers(
    run: _Run[_T],
    count: int,
    work: Callable[[int, DownloadItem, _Run[_T]], _T],
    target: Callable[[int], int],
    on_grow: Callable[[int], None],
) -> dict[int, _T]:
    """Transfer the ``count`` files of ``run.feed`` with a pool of worker threads.

    Parameters
    ----------
    run : _Run
        The call's shared state; closed (bar and final progress) on return.
    count : int
        How many files the feed will give.
    work : callable
        ``work(index, item, run)`` transfers one file and returns its result.
    target : callable
        ``target(remaining)``: how many workers suit the link now, for
        ``remaining`` files still to finish (asked again as answers arrive).
    on_grow : callable
        Called with the number of live workers each time the pool grows.

    Returns
    -------
    dict of int to result
        Each index's result.

    Raises
    ------
    DownloadError
        A file failed (the first failure; the others were stopped), or the
        feed closed before it gave ``count`` files.
    BaseException
        The error the feed's producer passed to :meth:`DownloadFeed.fail`.
    """
    feed = run.feed
    lock = threading.Lock()
    finished = threading.Condition(lock)
    threads: list[threading.Thread] = []
    live = [0]

    def remaining() -> int:
        return count - len(run.results)

    def worker() -> None:
        retired = False
        try:
            while True:
                # Checked without the lock first: the workers would queue on it per file.
                if live[0] > target(remaining()):
                    with lock:
                        if live[0] > target(remaining()):
                            live[0] -= 1  # fewer workers suit this link
                            retired = True
                            return
                entry = feed._take()
                if entry is None:
                    return
                index, item = entry
                try:
                    run.check()
                    result = work(index, item, run)
                except BaseException as err:
                    run.fail(err)
                    return
                run.file_done(index, result)
                if len(run.results) == count:
                    with finished:
                        finished.notify_all()
                elif live[0] < target(remaining()):
                    grow()
        finally:
            with finished:
                if not retired:
                    live[0] -= 1
                finished.notify_all()

    def grow() -> None:
        if run.cancelled.is_set():
            return
        with lock:
            want = target(remaining())
            while live[0] < want and not run.cancelled.is_set():
                live[0] += 1
                thread = threading.Thread(
                    target=worker, name=f"gwcloud-download-{len(threads)}", daemon=True
                )
                threads.append(thread)
                thread.start()
            on_grow(live[0])

    success = False
    run.start()
    feed._listener = grow
    try:
        grow()
        with finished:
            while (
                len(run.results) < count
                and not run.cancelled.is_set()
                and (live[0] > 0 or not feed._closed)
            ):
                finished.wait(0.5)
                if live[0] == 0 and not feed._closed:
                    finished.release()
                    try:
                        grow()
                    finally:
                        finished.acquire()
        if len(run.results) < count:
            error = run.first_error or feed._error
            if error is None:
                if run.cancelled.is_set():  # pragma: no cover - only cancellations seen
                    raise DownloadError("download cancelled")
                raise DownloadError(
                    f"only {len(run.results)} of {count} files were handed to the downloader"
                )
            raise error
        success = True
        return run.results
    except BaseException as err:
        if not isinstance(err, Exception):
            run.interrupted = True  # KeyboardInterrupt: keep resumable files
        raise
    finally:
        feed._listener = None
        feed._stop()
        for thread in threads:
            thread.join()
        run.close(success=success)


def stderr_is_tty() -> bool:
    """Whether stderr is a terminal (False when it was replaced or closed)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False

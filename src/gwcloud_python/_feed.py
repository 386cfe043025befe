"""What the download engine is given: the files to fetch and the feed that hands them over.

:class:`DownloadItem` describes one file as the server listed it.  A
:class:`DownloadFeed` is filled by whoever requests download IDs (a thread or
an event loop) and emptied by the transfer workers, so transfers begin while
further IDs are still being requested.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

__all__ = ["DownloadFeed", "DownloadItem", "ProgressCallback"]

#: ``callback(bytes_done, bytes_total)``, called from worker threads.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DownloadItem:
    """One file to download.

    Parameters
    ----------
    url : str
        Full download URL, including its ``?fileId=...`` query.
    path : str
        Path relative to the output directory, as listed by the server.  It is
        untrusted and checked by :func:`~gwcloud_python._paths.resolve_target`
        before use.
    size : int
        File size in bytes, as listed by the server.  The body must have the
        length its answer announces; a file that grew since it was listed may
        bring up to the downloader's ``growth_margin`` more bytes.
    size_known : bool, optional
        False when nobody listed the size (a GWFlow file fetched by its token
        alone): ``size`` is then 0, the body must have the length its answer
        announces (``Content-Length``), and it may be as long as
        :data:`~gwcloud_python._constants.UNSIZED_DOWNLOAD_LIMIT`.
    auth : httpx.Auth or None, optional
        Credentials the file's host needs (GWFlow files of LIGO-only jobs); by
        default none are sent, as download URLs carry the file ID.  Never shown
        in ``repr``.
    """

    url: str
    path: str
    size: int
    size_known: bool = True
    auth: httpx.Auth | None = field(default=None, repr=False, compare=False)


class DownloadFeed:
    """Hands files to download to the transfer workers as their download IDs arrive.

    Whoever asks the server for download IDs calls :meth:`put` with each
    answer's files and :meth:`close` after the last one (or :meth:`fail`), from
    any thread or an event loop (the calls never block for long).  A
    :class:`~gwcloud_python._files.Downloader` ``run_*`` method takes the files
    from it.

    Parameters
    ----------
    bounds_downloads : bool, optional
        Whether the ID requests' times (given to :meth:`put`) also bound the
        round trip to the files' host, because the files come from the origin
        the ID requests went to.  Then a quick ID answer keeps the workers at the
        fast-link number even when the first file answers start late (they queue
        behind the server's other work).

    Examples
    --------
    >>> feed = DownloadFeed()
    >>> feed.put([(0, DownloadItem("https://host/f?fileId=1", "a.txt", 3))])
    >>> feed.close()
    """

    def __init__(self, *, bounds_downloads: bool = False) -> None:
        #: Whether the latencies given to :meth:`put` also bound the download host's round
        #: trip (its files come from the origin the ID requests went to).
        self.bounds_downloads = bounds_downloads
        self._cond = threading.Condition()
        self._pending: deque[tuple[int, DownloadItem]] = deque()
        self._closed = False
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._latency: float | None = None
        self._listener: Callable[[], None] | None = None

    def put(
        self, entries: Iterable[tuple[int, DownloadItem]], *, latency: float | None = None
    ) -> None:
        """Add ``(index, item)`` pairs; ``latency`` is how long their ID request took (seconds).

        Raises
        ------
        RuntimeError
            The feed was closed.
        """
        with self._cond:
            if self._closed:
                raise RuntimeError("the download feed is closed")
            self._pending.extend(entries)
            if latency is not None:
                self._latency = latency if self._latency is None else min(self._latency, latency)
            self._cond.notify_all()
        self._notify()

    def close(self) -> None:
        """Say that every file has been put."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._notify()

    def fail(self, error: BaseException) -> None:
        """Stop the transfers and make the ``run_*`` call raise ``error``."""
        with self._cond:
            if self._error is None:
                self._error = error
            self._closed = True
            self._cancelled.set()
            self._cond.notify_all()

    @property
    def cancelled(self) -> bool:
        """Whether the transfers stopped (a file failed or :meth:`fail` was called)."""
        return self._cancelled.is_set()

    @property
    def latency(self) -> float | None:
        """The shortest ID-request time reported to :meth:`put`, seconds."""
        return self._latency

    def _notify(self) -> None:
        listener = self._listener
        if listener is not None:
            listener()

    def _take(self) -> tuple[int, DownloadItem] | None:
        if not self._cancelled.is_set():
            # Fast path without the lock: deque.popleft is atomic.
            try:
                return self._pending.popleft()
            except IndexError:
                pass
        with self._cond:
            while not self._pending and not self._closed and not self._cancelled.is_set():
                self._cond.wait()
            if self._cancelled.is_set() or not self._pending:
                return None
            return self._pending.popleft()

    def _stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cancelled.set()
            self._cond.notify_all()


def _filled(entries: Iterable[tuple[int, DownloadItem]]) -> DownloadFeed:
    """A closed feed that already holds every ``(index, item)`` pair of ``entries``."""
    feed = DownloadFeed()
    feed.put(entries)
    feed.close()
    return feed

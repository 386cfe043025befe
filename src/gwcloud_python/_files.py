"""Download engine: concurrent, resumable, path-safe file transfers.

Every download method of the client ends up here.  :class:`Downloader`
streams files over one shared, pooled :class:`httpx.Client` from a small
thread pool, either into memory (:meth:`Downloader.fetch`) or to disk
(:meth:`Downloader.save`).

Guarantees
----------
* Only an HTTP 200 answer (or 206 to a ``Range`` request) is ever treated as
  file content; an error page is never written or returned.
* A file is written to ``<name>.part`` and renamed onto its final name only
  once its size matches the size the server listed, so no partial or failed
  download ever appears under the final name (and an older file there is left
  alone).  The ``.part`` file is removed when the download finally fails.
* A transfer that drops mid-file is resumed with ``Range: bytes=<n>-``.
* Connection errors, 429 and 5xx answers are retried with capped exponential
  backoff and jitter, honouring ``Retry-After``.
* Every target path is checked (no absolute paths, ``..``, NUL, backslashes
  or symlink escapes) before the first request is sent.
* The first failure stops the remaining downloads and is raised.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any, Protocol, TypeVar

import httpx
from tqdm import tqdm

from . import _constants as C
from ._errors import DownloadError, ValidationError
from ._transport import _strip_query, backoff_delay

__all__ = [
    "DownloadItem",
    "Downloader",
    "ProgressCallback",
    "resolve_target",
    "resolve_targets",
]

logger = logging.getLogger("gwcloud_python")

#: ``callback(bytes_done, bytes_total)``, called from worker threads.
ProgressCallback = Callable[[int, int], None]

_T = TypeVar("_T")
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DownloadItem:
    """One file to download.

    Parameters
    ----------
    url : str
        Full download URL, including its ``?fileId=...`` query.
    path : str
        Path relative to the output directory, as listed by the server.  It is
        untrusted and checked by :func:`resolve_target` before use.
    size : int
        File size in bytes, as listed by the server; the received body must
        have exactly this length.
    """

    url: str
    path: str
    size: int


def resolve_target(root: Path, relative: str) -> Path:
    """Return the path under ``root`` where the file ``relative`` may be written.

    Parameters
    ----------
    root : pathlib.Path
        Output directory.  It need not exist yet.
    relative : str
        Untrusted ``/``-separated path, as listed by the server.  Empty and
        ``.`` components are ignored (``./a//b`` is ``a/b``).

    Returns
    -------
    pathlib.Path
        The absolute, resolved target path; it is inside ``root.resolve()``.

    Raises
    ------
    ValidationError
        ``relative`` is empty, absolute, has a drive, contains a ``..``
        component, a NUL byte or a backslash, or resolves (through existing
        symlinks) to somewhere outside ``root``.  The message names the path.
    """
    if not isinstance(relative, str):
        raise ValidationError(f"refusing file path {relative!r}: not a string")
    if relative.strip() == "":
        raise ValidationError(f"refusing file path {relative!r}: empty")
    if "\x00" in relative:
        raise ValidationError(f"refusing file path {relative!r}: contains a NUL byte")
    if "\\" in relative:
        raise ValidationError(f"refusing file path {relative!r}: contains a backslash")
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).anchor:
        raise ValidationError(f"refusing file path {relative!r}: absolute paths are not allowed")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValidationError(f"refusing file path {relative!r}: contains a '..' component")
    if not parts:
        raise ValidationError(f"refusing file path {relative!r}: names no file")
    try:
        base = root.resolve()
        target = base.joinpath(*parts).resolve(strict=False)
        if target.is_symlink():  # Python 3.13+ leaves a symlink loop unresolved
            raise RuntimeError("symlink loop")
    except (RuntimeError, OSError) as err:
        raise ValidationError(
            f"refusing file path {relative!r}: it cannot be resolved under {str(root)!r} ({err})"
        ) from None
    if target == base or base not in target.parents:
        raise ValidationError(
            f"refusing file path {relative!r}: it resolves to {str(target)!r}, "
            f"outside the output directory {str(base)!r}"
        )
    return target


class _CancelledError(Exception):
    """Raised inside a worker when another download failed first."""


class _RetryableError(Exception):
    """A retryable failure of one attempt."""

    def __init__(
        self, reason: str, *, status_code: int | None = None, retry_after: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


class _FatalError(Exception):
    """A failure of one attempt that retrying cannot fix."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class _Sink(Protocol):
    """Where the bytes of one file go."""

    @property
    def position(self) -> int: ...

    def write(self, chunk: bytes) -> None: ...

    def restart(self) -> None: ...


class _MemorySink:
    """Fills a preallocated buffer of exactly the expected size."""

    def __init__(self, size: int) -> None:
        self.buffer = bytearray(size)
        self._view = memoryview(self.buffer)
        self._size = size
        self._position = 0

    @property
    def position(self) -> int:
        return self._position

    def write(self, chunk: bytes) -> None:
        end = self._position + len(chunk)
        if end > self._size:
            raise _FatalError(f"the server sent more than the {self._size} bytes listed")
        self._view[self._position : end] = chunk
        self._position = end

    def restart(self) -> None:
        self._position = 0

    def release(self) -> None:
        self._view.release()


class _FileSink:
    """Writes to an open ``.part`` file."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self._handle = handle
        self._size = size
        self._position = 0

    @property
    def position(self) -> int:
        return self._position

    def write(self, chunk: bytes) -> None:
        end = self._position + len(chunk)
        if end > self._size:
            raise _FatalError(f"the server sent more than the {self._size} bytes listed")
        self._handle.write(chunk)
        self._position = end

    def restart(self) -> None:
        self._handle.seek(0)
        self._handle.truncate()
        self._position = 0


class _Run:
    """State shared by the workers of one ``fetch`` or ``save`` call."""

    def __init__(
        self,
        *,
        total_bytes: int,
        total_files: int,
        show_bar: bool,
        callback: ProgressCallback | None,
    ) -> None:
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._first_error: BaseException | None = None
        self._done = 0
        self._files_done = 0
        self._total = total_bytes
        self._files = total_files
        self._callback = callback
        self._last_reported: int | None = None
        self._bar: tqdm[Any] | None = None
        if show_bar:
            bar: tqdm[Any] = tqdm(
                total=total_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=f"Downloading {total_files} file{'s' if total_files != 1 else ''}",
                file=sys.stderr,
                dynamic_ncols=True,
            )
            bar.set_postfix_str(f"0/{total_files} files", refresh=False)
            self._bar = bar

    def start(self) -> None:
        with self._lock:
            self._report()

    def advance(self, nbytes: int) -> None:
        """Add ``nbytes`` (negative when a file restarts) to the progress."""
        if nbytes == 0:
            return
        with self._lock:
            self._done += nbytes
            if self._bar is not None:
                self._bar.update(nbytes)
            self._report()

    def file_done(self) -> None:
        with self._lock:
            self._files_done += 1
            if self._bar is not None:
                self._bar.set_postfix_str(f"{self._files_done}/{self._files} files", refresh=False)

    def _report(self) -> None:
        if self._callback is not None:
            self._last_reported = self._done
            self._callback(self._done, self._total)

    def fail(self, error: BaseException) -> None:
        """Record ``error`` (the first one wins) and stop the other workers."""
        with self._lock:
            if self._first_error is None and not isinstance(error, _CancelledError):
                self._first_error = error
        self.cancelled.set()

    @property
    def first_error(self) -> BaseException | None:
        return self._first_error

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


class Downloader:
    """Concurrent, resumable downloads over one pooled :class:`httpx.Client`.

    Parameters
    ----------
    client : httpx.Client
        Shared client (it is thread-safe).  Its ``auth`` and any
        ``Authorization`` header are *not* sent: download URLs carry the file
        ID themselves.
    concurrency : int
        Number of files transferred at once (worker threads).
    max_retries : int
        Retries per file after the first attempt, for connection errors,
        dropped transfers, 429 and 5xx answers.
    progress : bool or None
        Show a tqdm progress bar on stderr: ``None`` (default) only when
        stderr is a terminal, ``True`` always, ``False`` never.
    callback : callable, optional
        ``callback(bytes_done, bytes_total)``, called from worker threads
        (serialised, in order) as bytes arrive, once with ``(0, total)`` at
        the start and last with ``(total, total)`` on success.  ``bytes_done``
        goes back when a server ignores a ``Range`` request and a file
        restarts.  Keep it fast: it runs under a lock.
    sleep : callable
        Used to wait between retries; tests pass a recorder.
    fsync : bool
        ``fsync`` each file before renaming it to its final name (slower;
        protects against power loss).

    Raises
    ------
    ValidationError
        ``concurrency`` is below 1 or ``max_retries`` is negative.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        concurrency: int = C.DEFAULT_DOWNLOAD_CONCURRENCY,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        progress: bool | None = None,
        callback: ProgressCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
        fsync: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValidationError(f"concurrency must be at least 1, not {concurrency}")
        if max_retries < 0:
            raise ValidationError(f"max_retries must not be negative, not {max_retries}")
        self._client = client
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.progress = progress
        self.callback = callback
        self._sleep = sleep
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"Downloader(concurrency={self.concurrency}, max_retries={self.max_retries})"

    # ------------------------------------------------------------------ public

    def fetch(self, items: Sequence[DownloadItem]) -> list[bytes]:
        """Download files into memory.

        Each file is streamed into a ``bytearray`` preallocated to its listed
        size and converted to ``bytes`` once, as soon as it is complete.  Peak
        memory is therefore the total size of the files plus, for files being
        completed at the same moment (at most ``concurrency``), one extra copy
        of each.

        Parameters
        ----------
        items : sequence of DownloadItem
            Files to download.

        Returns
        -------
        list of bytes
            File contents, in the order of ``items``.

        Raises
        ------
        ValidationError
            An item has a negative size.
        DownloadError
            A file could not be downloaded (the first failure is raised; the
            other downloads are stopped).
        """
        items = list(items)
        _check_sizes(items)
        return self._run(items, lambda index, item, run: self._fetch_one(item, run))

    def save(
        self,
        items: Sequence[DownloadItem],
        root_path: str | os.PathLike[str],
        *,
        targets: Sequence[Path] | None = None,
    ) -> list[Path]:
        """Download files to ``root_path``, keeping their relative paths.

        Every path is checked before the first request, so an unsafe list
        writes nothing.  Each file goes to ``<name>.part`` first and is renamed
        to its final name once complete and of the listed size.

        Parameters
        ----------
        items : sequence of DownloadItem
            Files to download; ``item.path`` is relative to ``root_path``.
        root_path : str or os.PathLike
            Output directory, created when missing.
        targets : sequence of pathlib.Path, optional
            The items' final paths as :func:`resolve_targets` already gave
            them, so the caller's check need not be repeated; resolved here
            when not given.

        Returns
        -------
        list of pathlib.Path
            Absolute, resolved final paths, in the order of ``items``.

        Raises
        ------
        ValidationError
            ``root_path`` exists and is not a directory, an item path is
            unsafe (see :func:`resolve_target`), two items share a target, or
            an item has a negative size.
        DownloadError
            A file could not be downloaded or written; nothing is left under
            its final name.
        """
        items = list(items)
        _check_sizes(items)
        root = Path(root_path)
        if root.exists() and not root.is_dir():
            raise ValidationError(f"output path {str(root)!r} exists and is not a directory")
        if targets is None or len(targets) != len(items):
            targets = resolve_targets(root, [item.path for item in items])
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValidationError(f"cannot create output directory {str(root)!r}: {err}") from err
        return self._run(items, lambda index, item, run: self._save_one(item, targets[index], run))

    # ---------------------------------------------------------------- workers

    def _run(
        self,
        items: list[DownloadItem],
        work: Callable[[int, DownloadItem, _Run], _T],
    ) -> list[_T]:
        if not items:
            return []
        show = _stderr_is_tty() if self.progress is None else self.progress
        run = _Run(
            total_bytes=sum(item.size for item in items),
            total_files=len(items),
            show_bar=show,
            callback=self.callback,
        )
        success = False
        run.start()

        def task(index: int, item: DownloadItem) -> _T:
            try:
                run.check()
                result = work(index, item, run)
            except BaseException as err:
                run.fail(err)
                raise
            run.file_done()
            return result

        executor = ThreadPoolExecutor(
            max_workers=min(self.concurrency, len(items)), thread_name_prefix="gwcloud-download"
        )
        try:
            futures: list[Future[_T]] = [
                executor.submit(task, index, item) for index, item in enumerate(items)
            ]
            wait(futures, return_when=FIRST_EXCEPTION)
            if run.cancelled.is_set():
                executor.shutdown(wait=True, cancel_futures=True)
                error = run.first_error
                if error is None:  # pragma: no cover - only _CancelledError was seen
                    raise DownloadError("download cancelled")
                raise error
            results = [future.result() for future in futures]
            success = True
            return results
        finally:
            if not success:
                run.cancelled.set()
            executor.shutdown(wait=True, cancel_futures=True)
            run.close(success=success)

    def _fetch_one(self, item: DownloadItem, run: _Run) -> bytes:
        if item.size >= C.MEMORY_SPOOL_THRESHOLD:
            return self._fetch_spooled(item, run)
        sink = _MemorySink(item.size)
        try:
            self._download(item, sink, run)
            data = bytes(sink.buffer)
        finally:
            sink.release()
        return data

    def _fetch_spooled(self, item: DownloadItem, run: _Run) -> bytes:
        # A large file goes through an anonymous temporary file and is read back with one
        # allocation of its exact size, so peak memory is the returned bytes, not twice them.
        with tempfile.TemporaryFile(buffering=0) as raw:
            with open(raw.fileno(), "wb", buffering=C.DOWNLOAD_CHUNK_SIZE, closefd=False) as out:
                self._download(item, _FileSink(out, item.size), run)
            raw.seek(0)
            data = raw.read(item.size)
            while len(data) < item.size:  # reads over 2 GiB come back in pieces
                more = raw.read(item.size - len(data))
                if not more:
                    raise DownloadError(
                        f"could not read back {item.path!r}", url=_strip_query(item.url)
                    )
                data += more
        return data

    def _save_one(self, item: DownloadItem, final: Path, run: _Run) -> Path:
        part = final.with_name(final.name + C.PART_SUFFIX)
        created = False
        try:
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                # A stale .part (or a symlink planted there) is removed, never
                # written through; O_EXCL makes sure we create a new file.
                part.unlink(missing_ok=True)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                fd = os.open(part, flags, 0o666)
                created = True
                with os.fdopen(fd, "wb", buffering=C.DOWNLOAD_CHUNK_SIZE) as handle:
                    self._download(item, _FileSink(handle, item.size), run)
                    handle.flush()
                    if self.fsync:
                        os.fsync(handle.fileno())
                os.replace(part, final)
            except OSError as err:
                raise DownloadError(
                    f"could not write {item.path!r} to {str(final)!r}: {err}",
                    url=_strip_query(item.url),
                ) from err
        except BaseException:
            if created:
                try:
                    part.unlink(missing_ok=True)
                except OSError:  # pragma: no cover - best effort
                    logger.warning("could not remove %s", part)
            raise
        return final

    # ------------------------------------------------------------- transfers

    def _download(self, item: DownloadItem, sink: _Sink, run: _Run) -> None:
        """Transfer one file into ``sink``, retrying and resuming as needed."""
        url = _strip_query(item.url)
        attempt = 0
        try:
            while True:
                run.check()
                try:
                    self._attempt(item, sink, run)
                    return
                except _RetryableError as retry:
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
            raise DownloadError(
                f"download of {item.path!r} from {url} failed: {fatal.reason}",
                url=url,
                status_code=fatal.status_code,
            ) from fatal

    def _wait(self, delay: float, run: _Run) -> None:
        if self._sleep is time.sleep:
            # Wake up early when another download failed.
            run.cancelled.wait(delay)
        else:
            self._sleep(delay)
        run.check()

    def _attempt(self, item: DownloadItem, sink: _Sink, run: _Run) -> None:
        """One GET: stream the body into ``sink`` or raise ``_RetryableError``/``_FatalError``."""
        offset = sink.position
        ranged = offset > 0
        headers = {"Accept-Encoding": "identity"}
        if ranged:
            headers["Range"] = f"bytes={offset}-"
        request = self._client.build_request("GET", item.url, headers=headers)
        request.headers.pop("Authorization", None)
        try:
            response = self._client.send(request, auth=None, stream=True, follow_redirects=True)
        except httpx.TransportError as err:
            raise _RetryableError(f"{type(err).__name__}: {err}") from err
        except httpx.HTTPError as err:
            raise _FatalError(f"{type(err).__name__}: {err}") from err
        try:
            self._check_status(response, item, sink, run, ranged=ranged, offset=offset)
            try:
                # No chunk_size: httpx would hold back up to chunk_size bytes
                # and lose them when the connection drops, defeating resume.
                for chunk in response.iter_bytes():
                    run.check()
                    sink.write(chunk)
                    run.advance(len(chunk))
            except httpx.TransportError as err:
                if sink.position == item.size:
                    # Every listed byte arrived; only the end of the stream broke.
                    return
                raise _RetryableError(
                    f"transfer dropped after {sink.position} of {item.size} bytes "
                    f"({type(err).__name__})"
                ) from err
            except httpx.HTTPError as err:
                raise _FatalError(f"{type(err).__name__}: {err}") from err
        finally:
            response.close()
        if sink.position < item.size:
            raise _RetryableError(f"body ended after {sink.position} of {item.size} bytes")

    @staticmethod
    def _check_status(
        response: httpx.Response,
        item: DownloadItem,
        sink: _Sink,
        run: _Run,
        *,
        ranged: bool,
        offset: int,
    ) -> None:
        status = response.status_code
        if status == 200:
            if ranged:
                # The server ignored Range: start the file over.
                logger.info("server ignored Range for %s; restarting it", item.path)
                run.advance(-sink.position)
                sink.restart()
            return
        if status == 206 and ranged:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match is None or int(match.group(1)) != offset:
                run.advance(-sink.position)
                sink.restart()
                raise _RetryableError(
                    "the server answered the Range request with Content-Range "
                    f"{response.headers.get('Content-Range')!r}; starting over",
                    status_code=206,
                )
            return
        if status == 416 and ranged:
            run.advance(-sink.position)
            sink.restart()
            raise _RetryableError(
                "the server refused to resume (HTTP 416); starting over", status_code=416
            )
        if status in C.RETRYABLE_STATUS_CODES:
            raise _RetryableError(
                f"HTTP {status}",
                status_code=status,
                retry_after=response.headers.get("Retry-After"),
            )
        raise _FatalError(f"HTTP {status}", status_code=status)


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def _check_sizes(items: list[DownloadItem]) -> None:
    for item in items:
        if item.size < 0:
            raise ValidationError(f"file {item.path!r} has a negative size ({item.size})")


def resolve_targets(root: Path, paths: Sequence[str]) -> list[Path]:
    """Resolve every path under ``root`` (see :func:`resolve_target`) and check they differ.

    Raises
    ------
    ValidationError
        A path is unsafe, two paths name the same file, or one names another's
        ``.part`` file.
    """
    targets = [resolve_target(root, path) for path in paths]
    finals: dict[Path, str] = {}
    for path, target in zip(paths, targets, strict=True):
        if target in finals:
            raise ValidationError(
                f"file paths {finals[target]!r} and {path!r} name the same target"
            )
        finals[target] = path
    for path, target in zip(paths, targets, strict=True):
        part = target.with_name(target.name + C.PART_SUFFIX)
        if part in finals:
            raise ValidationError(
                f"file path {finals[part]!r} clashes with the temporary file of {path!r}"
            )
    return targets

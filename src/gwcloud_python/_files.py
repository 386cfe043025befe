"""Download engine: concurrent, pipelined, resumable, path-safe file transfers.

Every download method of the client ends up here.  :class:`Downloader`
streams files over one shared, pooled :class:`httpx.Client` from a pool of
worker threads, either into memory (:meth:`Downloader.fetch`) or to disk
(:meth:`Downloader.save`).  The workers take files from a
:class:`DownloadFeed`, so transfers start while the download IDs of further
files are still being requested (:meth:`Downloader.run_save`).

Guarantees
----------
* Only an HTTP 200 answer (or a 206 answer that matches the ``Range``
  request, see below) is ever treated as file content; an error page is never
  written or returned.
* A file is written to a hidden temporary file next to it,
  ``.<name>.<tag>.gwcloud-part``, where ``<tag>`` is derived from the name, and
  renamed onto its final name only once its size matches the size the server
  listed.  On Linux a file smaller than
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
  the last byte and names the listed size as the total, and when it carries
  the same validator; anything else restarts the file from its first byte, so
  a saved file is always one whole version, never two versions stitched.
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

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import stat
import sys
import tempfile
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Generic, Protocol, TypeVar

import httpx
from tqdm import tqdm

from . import _constants as C
from ._errors import DownloadError, ValidationError
from ._transport import _strip_query, backoff_delay

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

#: ``callback(bytes_done, bytes_total)``, called from worker threads.
ProgressCallback = Callable[[int, int], None]

_T = TypeVar("_T")
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Linux: open an unnamed file in a directory, to be linked in under its name once whole.
_O_TMPFILE: int = getattr(os, "O_TMPFILE", 0)

_proc_fds: list[int] = []  # this process's /proc/self/fd, opened on first use
_proc_lock = threading.Lock()


def _proc_fd_directory() -> int:
    """A descriptor of ``/proc/self/fd`` (this process's; reopened after a fork)."""
    if not _proc_fds:
        with _proc_lock:
            if not _proc_fds:
                flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
                _proc_fds.append(os.open("/proc/self/fd", flags))
    return _proc_fds[0]


def _forget_proc_fds() -> None:
    # In a forked child the inherited descriptor still lists the parent's files.
    for fd in _proc_fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    _proc_fds.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_proc_fds)


class _NoUnnamedFiles(Exception):
    """This directory or system cannot link an unnamed file in: use a named temporary file."""


#: The first line of every sidecar; a sidecar without it is not ours and is never trusted.
_SIDECAR_MAGIC = "gwcloud-python download part"
_SIDECAR_VERSION = 1
_SIDECAR_MAX_BYTES = 16 * 1024
#: Longest final name (in bytes) that keeps its name inside the temporary file's name.
_NAME_IN_PART_MAX = 200
#: How every temporary name ends, as :func:`same_file_key` writes it.
_TEMPORARY_ENDINGS = (C.PART_SUFFIX.casefold(), (C.PART_SUFFIX + C.SIDECAR_SUFFIX).casefold())


@dataclass(frozen=True, slots=True)
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


# -- paths ----------------------------------------------------------------------------------------


class _ResolveCache:
    """The resolved root and resolved parent directories, shared while resolving many paths."""

    def __init__(self, root: Path) -> None:
        self.base = root.resolve()
        #: Resolved parent directory, and whether it existed, per tuple of parent parts.
        self.parents: dict[tuple[str, ...], tuple[Path, bool]] = {}
        #: Whether a resolved directory is ``base`` or inside it.
        self.inside: dict[Path, bool] = {}

    def holds(self, target: Path) -> bool:
        """Whether ``target`` is strictly inside ``base`` (decided once per directory)."""
        if target == self.base:
            return False
        parent = target.parent
        verdict = self.inside.get(parent)
        if verdict is None:
            verdict = self.inside[parent] = parent == self.base or self.base in parent.parents
        return verdict


def _resolve_parts(base: Path, parts: list[str], cache: _ResolveCache | None) -> Path:
    """``base/parts...`` with every symlink resolved (a missing tail is kept as it is).

    Resolving the parent directory once for many files gives the same answer as
    resolving each path whole: resolution goes one component at a time.
    """
    if cache is None:
        target = base.joinpath(*parts).resolve(strict=False)
    else:
        key = tuple(parts[:-1])
        known = cache.parents.get(key)
        if known is None:
            parent = base.joinpath(*key).resolve(strict=False)
            known = cache.parents[key] = (parent, os.path.isdir(parent))
        parent, exists = known
        target = parent / parts[-1]
        # In a directory that does not exist yet, no file can be a symlink.
        if not exists or not os.path.islink(target):
            return target
        target = target.resolve(strict=False)
    if target.is_symlink():  # Python 3.13+ leaves a symlink loop unresolved
        raise RuntimeError("symlink loop")
    return target


def resolve_target(root: Path, relative: str, *, _cache: _ResolveCache | None = None) -> Path:
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
    # Only a path starting with "/" or with a drive ("C:") can be anchored; the rest
    # skip building two path objects.
    if (relative[:1] == "/" or relative[1:2] == ":") and (
        PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).anchor
    ):
        raise ValidationError(f"refusing file path {relative!r}: absolute paths are not allowed")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValidationError(f"refusing file path {relative!r}: contains a '..' component")
    if not parts:
        raise ValidationError(f"refusing file path {relative!r}: names no file")
    try:
        base = root.resolve() if _cache is None else _cache.base
        target = _resolve_parts(base, parts, _cache)
    except (RuntimeError, OSError) as err:
        raise ValidationError(
            f"refusing file path {relative!r}: it cannot be resolved under {str(root)!r} ({err})"
        ) from None
    inside = _cache.holds(target) if _cache is not None else base in target.parents
    if target == base or not inside:
        raise ValidationError(
            f"refusing file path {relative!r}: it resolves to {str(target)!r}, "
            f"outside the output directory {str(base)!r}"
        )
    return target


def same_file_key(path: Path | str) -> str:
    """A key under which two paths that may name one file compare equal.

    File systems on macOS and Windows ignore case and Unicode normalisation
    (``é`` as one code point or as ``e`` plus an accent), so names that differ
    only in those ways are one file there.

    Parameters
    ----------
    path : pathlib.Path or str
        The path.

    Returns
    -------
    str
        The path in NFC, case-folded.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", str(path)).casefold())


def temporary_paths(final: Path) -> tuple[Path, Path]:
    """Where the download of ``final`` is written and where its resume data is kept.

    The names are hidden, end in ``.gwcloud-part`` (and ``.gwcloud-part.json``)
    and carry a tag derived from the final name, so they are the same on every
    run (an interrupted download can be found again) yet cannot be a user's
    file.  A final name too long to repeat is replaced by its hash.

    Parameters
    ----------
    final : pathlib.Path
        The file's final path.

    Returns
    -------
    tuple of pathlib.Path
        The temporary file and its sidecar, in ``final``'s directory.
    """
    name = final.name
    digest = hashlib.sha256(b"gwcloud-part\x00" + os.fsencode(name)).hexdigest()
    if len(os.fsencode(name)) > _NAME_IN_PART_MAX:
        part = final.with_name(f".{digest[:32]}{C.PART_SUFFIX}")
    else:
        part = final.with_name(f".{name}.{digest[:8]}{C.PART_SUFFIX}")
    return part, part.with_name(part.name + C.SIDECAR_SUFFIX)


def resolve_targets(root: Path, paths: Sequence[str]) -> list[Path]:
    """Resolve every path under ``root`` (see :func:`resolve_target`) and check they differ.

    Parameters
    ----------
    root : pathlib.Path
        Output directory.
    paths : sequence of str
        Untrusted relative paths.

    Returns
    -------
    list of pathlib.Path
        The resolved targets, in order.

    Raises
    ------
    ValidationError
        A path is unsafe, two paths name the same file (also when they differ
        only by case or Unicode normalisation), or one names another's
        temporary file.
    """
    try:
        cache = _ResolveCache(root)
    except (RuntimeError, OSError) as err:
        raise ValidationError(
            f"output directory {str(root)!r} cannot be resolved ({err})"
        ) from None
    targets = [resolve_target(root, path, _cache=cache) for path in paths]
    finals: dict[str, str] = {}
    for path, target in zip(paths, targets, strict=True):
        key = same_file_key(target)
        if key in finals:
            raise ValidationError(f"file paths {finals[key]!r} and {path!r} name the same target")
        finals[key] = path
    if not any(key.endswith(_TEMPORARY_ENDINGS) for key in finals):
        return targets  # no final name looks like a temporary one: nothing can clash
    for path, target in zip(paths, targets, strict=True):
        for temporary in temporary_paths(target):
            clash = finals.get(same_file_key(temporary))
            if clash is not None:
                raise ValidationError(
                    f"file path {clash!r} clashes with the temporary file of {path!r}"
                )
    return targets


def already_saved(target: Path, size: int) -> bool:
    """Whether ``target`` is a regular file of exactly ``size`` bytes.

    Parameters
    ----------
    target : pathlib.Path
        A final path.
    size : int
        The size the server lists for the file.

    Returns
    -------
    bool
        True when the file need not be fetched again.
    """
    try:
        info = os.stat(target)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == size


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# -- validators and sidecars ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Validators:
    """What identifies one version of a file: its strong ETag and its Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> _Validators:
        etag = response.headers.get("ETag")
        if etag is not None and (not etag.strip() or etag.lstrip().startswith("W/")):
            etag = None  # a weak ETag may not be used with If-Range
        modified = response.headers.get("Last-Modified") or None
        return cls(etag, modified)

    def if_range(self) -> str | None:
        """The ``If-Range`` value, or None when there is no validator."""
        return self.etag or self.last_modified

    def matches(self, response: httpx.Response) -> bool:
        """Whether a 206 answer belongs to the version these validators name."""
        if self.etag is not None:
            return bool(response.headers.get("ETag") == self.etag)
        if self.last_modified is not None:
            other = response.headers.get("Last-Modified")
            return other is None or other == self.last_modified
        return True

    def __bool__(self) -> bool:
        return self.etag is not None or self.last_modified is not None


def _write_sidecar(sidecar: Path, size: int, validators: _Validators) -> None:
    """Record the validators of a temporary file (replacing any earlier sidecar)."""
    record = {
        "size": size,
        "etag": validators.etag,
        "last_modified": validators.last_modified,
        "version": _SIDECAR_VERSION,
    }
    data = (_SIDECAR_MAGIC + "\n" + json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
    _unlink(sidecar)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY
    fd = os.open(sidecar, flags, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _read_sidecar(sidecar: Path) -> tuple[int, _Validators] | None:
    """The listed size and validators a sidecar records, or None when it is not a valid one."""
    try:
        fd = os.open(sidecar, os.O_RDONLY | _O_NOFOLLOW | _O_BINARY)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, _SIDECAR_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        magic, body, tail = data.decode("utf-8").split("\n")
        record = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if magic != _SIDECAR_MAGIC or tail or not isinstance(record, dict):
        return None
    size, etag, modified = record.get("size"), record.get("etag"), record.get("last_modified")
    if record.get("version") != _SIDECAR_VERSION or type(size) is not int:
        return None
    if not isinstance(etag, str | None) or not isinstance(modified, str | None):
        return None
    validators = _Validators(etag or None, modified or None)
    return (size, validators) if validators else None


def _claim_partial(part: Path, sidecar: Path, size: int) -> tuple[int, _Validators] | None:
    """Offset and validators of a resumable temporary file left by an earlier run.

    A temporary file that cannot be trusted (no valid sidecar, another listed
    size, larger than the file, not a regular file) is removed with its
    sidecar and None is returned.  Both names belong to the library (see
    :func:`temporary_paths`); a symlink there is removed, never followed.
    """
    try:
        info = os.lstat(part)
    except FileNotFoundError:
        if size >= C.RESUME_MIN_SIZE:
            _unlink(sidecar)
        return None
    if stat.S_ISREG(info.st_mode) and 0 < info.st_size < size:
        record = _read_sidecar(sidecar)
        if record is not None and record[0] == size:
            return info.st_size, record[1]
    logger.info("discarding %s (%d bytes): it cannot be resumed", part.name, info.st_size)
    _unlink(part)
    _unlink(sidecar)
    return None


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


def _open_partial(part: Path, sidecar: Path, size: int) -> tuple[int, int, _Validators | None]:
    """Open the temporary file of a download: a new one, or one left to resume.

    Returns the descriptor (open for writing), the offset to continue from and,
    when resuming, the validators the earlier run recorded.  A new file is tried
    first, so an ordinary download costs one system call here.
    """
    create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY
    try:
        fd = os.open(part, create, 0o666)
    except FileExistsError:
        claimed = _claim_partial(part, sidecar, size)
        if claimed is None:  # it could not be trusted and is gone: start afresh
            return os.open(part, create, 0o666), 0, None
        fd = os.open(part, os.O_WRONLY | _O_NOFOLLOW | _O_BINARY)
        return fd, os.lseek(fd, 0, os.SEEK_END), claimed[1]
    if size >= C.RESUME_MIN_SIZE:
        _unlink(sidecar)  # resume data left without its file describes nothing
    return fd, 0, None


# -- errors of one attempt -------------------------------------------------------------------------


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


# -- sinks ---------------------------------------------------------------------------------------


class _Sink(Protocol):
    """Where the bytes of one file go."""

    validators: _Validators

    @property
    def position(self) -> int: ...

    def write(self, chunk: bytes) -> None: ...

    def restart(self) -> None: ...

    def begin(self, validators: _Validators) -> None: ...


class _MemorySink:
    """Fills a preallocated buffer of exactly the expected size."""

    def __init__(self, size: int) -> None:
        self.buffer = bytearray(size)
        self._view = memoryview(self.buffer)
        self._size = size
        self._position = 0
        self.validators = _Validators()

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

    def begin(self, validators: _Validators) -> None:
        self.validators = validators

    def release(self) -> None:
        self._view.release()


class _FileSink:
    """Writes to an open temporary file, keeping its sidecar (when it has one) current.

    Each chunk goes straight to the descriptor with ``os.write`` (no buffer, no file
    object): it reaches the page cache while it is still in the CPU's cache.
    """

    def __init__(
        self,
        fd: int,
        size: int,
        *,
        offset: int = 0,
        validators: _Validators | None = None,
        sidecar: Path | None = None,
    ) -> None:
        self._fd = fd
        self._size = size
        self._position = offset
        self._sidecar = sidecar
        self.validators = validators or _Validators()
        #: Whether the sidecar on disk describes the bytes of the temporary file.
        self.recorded = offset > 0 and sidecar is not None

    @property
    def position(self) -> int:
        return self._position

    def write(self, chunk: bytes) -> None:
        end = self._position + len(chunk)
        if end > self._size:
            raise _FatalError(f"the server sent more than the {self._size} bytes listed")
        written = os.write(self._fd, chunk)
        if written < len(chunk):
            # A write may take part of a chunk (a signal, a nearly full disk).
            rest = memoryview(chunk)[written:]
            while rest:
                more = os.write(self._fd, rest)
                if not more:
                    raise OSError(errno.ENOSPC, "the file system took no more bytes")
                rest = rest[more:]
        self._position = end

    def restart(self) -> None:
        # The sidecar goes first: it must never describe bytes of another version.
        self.forget()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        self._position = 0

    def begin(self, validators: _Validators) -> None:
        self.validators = validators
        if self._sidecar is None:
            return
        if validators:
            _write_sidecar(self._sidecar, self._size, validators)
            self.recorded = True
        else:
            self.forget()

    def forget(self) -> None:
        if self._sidecar is not None:
            _unlink(self._sidecar)
        self.recorded = False


# -- the hand-over from ID requests to transfers -------------------------------------------------


class DownloadFeed:
    """Hands files to download to the transfer workers as their download IDs arrive.

    Whoever asks the server for download IDs calls :meth:`put` with each
    answer's files and :meth:`close` after the last one (or :meth:`fail`), from
    any thread or an event loop (the calls never block for long).  A
    :class:`Downloader` ``run_*`` method takes the files from it.

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


# -- one run -------------------------------------------------------------------------------------


class _Run(Generic[_T]):
    """State shared by the workers of one ``fetch`` or ``save`` call."""

    def __init__(
        self,
        *,
        feed: DownloadFeed,
        total_bytes: int,
        total_files: int,
        show_bar: bool,
        callback: ProgressCallback | None,
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
        self.unnamed = bool(_O_TMPFILE)
        self._lock = threading.Lock()
        self._first_error: BaseException | None = None
        self._done = 0
        self._total = total_bytes
        self._files = total_files
        self._callback = callback
        self._last_reported: int | None = None
        self._bar: tqdm[Any] | None = None
        self._quiet = callback is None and not show_bar
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
        if nbytes == 0 or self._quiet:
            return
        with self._lock:
            self._done += nbytes
            if self._bar is not None:
                self._bar.update(nbytes)
            self._report()

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


class Downloader:
    """Concurrent, resumable downloads over one pooled :class:`httpx.Client`.

    Parameters
    ----------
    client : httpx.Client
        Shared client (it is thread-safe).  Its ``auth`` and any
        ``Authorization`` header are *not* sent: download URLs carry the file
        ID themselves.
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

    Raises
    ------
    ValidationError
        ``concurrency`` is below 1 or ``max_retries`` is negative.
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
    ) -> None:
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
        #: Most worker threads one call had running at once (for benchmarks and tests).
        self.peak_workers = 0

    def __repr__(self) -> str:
        return f"Downloader(concurrency={self.concurrency}, max_retries={self.max_retries})"

    # ------------------------------------------------------------------ public

    def fetch(self, items: Sequence[DownloadItem]) -> list[bytes]:
        """Download files into memory.

        Each file is streamed into a ``bytearray`` preallocated to its listed
        size and converted to ``bytes`` once, as soon as it is complete.  Peak
        memory is therefore the total size of the files plus, for files being
        completed at the same moment (at most the number of workers), one
        extra copy of each; files of 16 MiB or more go through a temporary
        file instead.

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
        feed = _filled(enumerate(items))
        results = self.run_fetch(feed, len(items), sum(item.size for item in items))
        return [results[index] for index in range(len(items))]

    def save(
        self,
        items: Sequence[DownloadItem],
        root_path: str | os.PathLike[str],
        *,
        skip_existing: bool = False,
    ) -> list[Path]:
        """Download files to ``root_path``, keeping their relative paths.

        Every path is checked before the first request, so an unsafe list
        writes nothing.  Each file goes to a hidden temporary file first (see
        :func:`temporary_paths`) and is renamed to its final name once
        complete and of the listed size.

        Parameters
        ----------
        items : sequence of DownloadItem
            Files to download; ``item.path`` is relative to ``root_path``.
        root_path : str or os.PathLike
            Output directory, created when missing.
        skip_existing : bool, optional
            Leave alone (and do not request) every file whose final path
            already holds a regular file of the listed size.

        Returns
        -------
        list of pathlib.Path
            Absolute, resolved final paths, in the order of ``items``
            (skipped files included).

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
        targets = resolve_targets(root, [item.path for item in items])
        make_output_directory(root)
        wanted = [
            (index, item)
            for index, item in enumerate(items)
            if not (skip_existing and already_saved(targets[index], item.size))
        ]
        feed = _filled(wanted)
        by_index = dict(enumerate(targets))
        self.run_save(feed, by_index, len(wanted), sum(item.size for _, item in wanted))
        return list(targets)

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
        show = _stderr_is_tty() if self.progress is None else self.progress
        run: _Run[_T] = _Run(
            feed=feed,
            total_bytes=total_bytes,
            total_files=count,
            show_bar=show,
            callback=self.callback,
        )
        lock = threading.Lock()
        finished = threading.Condition(lock)
        threads: list[threading.Thread] = []
        live = [0]

        def worker() -> None:
            retired = False
            try:
                while True:
                    # Checked without the lock first: the workers would queue on it per file.
                    if live[0] > self._target_workers(run, count - len(run.results)):
                        with lock:
                            if live[0] > self._target_workers(run, count - len(run.results)):
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
                    elif live[0] < self._target_workers(run, count - len(run.results)):
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
                want = self._target_workers(run, count - len(run.results))
                while live[0] < want and not run.cancelled.is_set():
                    live[0] += 1
                    thread = threading.Thread(
                        target=worker, name=f"gwcloud-download-{len(threads)}", daemon=True
                    )
                    threads.append(thread)
                    thread.start()
                self.peak_workers = max(self.peak_workers, live[0])

        success = False
        self.peak_workers = 0
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

    def _fetch_one(self, item: DownloadItem, run: _Run[Any]) -> bytes:
        if item.size >= C.MEMORY_SPOOL_THRESHOLD:
            return self._fetch_spooled(item, run)
        sink = _MemorySink(item.size)
        try:
            self._download(item, sink, run)
            data = bytes(sink.buffer)
        finally:
            sink.release()
        return data

    def _fetch_spooled(self, item: DownloadItem, run: _Run[Any]) -> bytes:
        # A large file goes through an anonymous temporary file and is read back with one
        # allocation of its exact size, so peak memory is the returned bytes, not twice them.
        with tempfile.TemporaryFile(buffering=0) as raw:
            self._download(item, _FileSink(raw.fileno(), item.size), run)
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
            try:
                fd = os.open(directory, _O_TMPFILE | os.O_WRONLY | _O_BINARY, 0o666)
            except OSError as err:
                if err.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOSYS):
                    raise _NoUnnamedFiles from err
                raise
            try:
                sink = _FileSink(fd, item.size)
                self._download(item, sink, run)
                if self.fsync:
                    os.fsync(fd)
                try:
                    self._link_in(fd, final)
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

    @staticmethod
    def _link_in(fd: int, final: Path) -> None:
        """Give the unnamed file ``fd`` the name ``final``, replacing a file already there."""
        try:
            proc = _proc_fd_directory()
        except OSError as err:  # no /proc: cannot name the file
            raise _NoUnnamedFiles from err
        try:
            os.link(str(fd), final, src_dir_fd=proc, follow_symlinks=True)
            return
        except FileExistsError:
            pass
        except OSError as err:
            if err.errno in (errno.EXDEV, errno.EPERM, errno.ENOENT, errno.EOPNOTSUPP):
                raise _NoUnnamedFiles from err
            raise
        # A file of that name exists: link in under the temporary name, then rename over
        # it, so the old file stays whole until the new one is.
        part = temporary_paths(final)[0]
        try:
            os.link(str(fd), part, src_dir_fd=proc, follow_symlinks=True)
        except FileExistsError:
            _unlink(part)  # a leftover (the name is reserved for this file)
            os.link(str(fd), part, src_dir_fd=proc, follow_symlinks=True)
        try:
            os.replace(part, final)
        except BaseException:
            _unlink(part)
            raise

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
                        offset=offset,
                        validators=claimed,
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
            response = self._client.send(request, auth=None, stream=True, follow_redirects=True)
        except httpx.TransportError as err:
            raise _RetryableError(f"{type(err).__name__}: {err}") from err
        except httpx.HTTPError as err:
            raise _FatalError(f"{type(err).__name__}: {err}") from err
        run.observe(time.perf_counter() - started)
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
        run: _Run[Any],
        *,
        ranged: bool,
        offset: int,
    ) -> None:
        status = response.status_code
        if status == 200:
            if ranged:
                # The server ignored Range, or the file changed (If-Range): start over.
                logger.info("the server sent all of %s again; restarting it", item.path)
                run.advance(-sink.position)
                sink.restart()
            sink.begin(_Validators.of(response))
            return
        if status == 206 and ranged:
            content_range = response.headers.get("Content-Range", "")
            match = _CONTENT_RANGE.match(content_range)
            reason = None
            if (
                match is None
                or int(match.group(1)) != offset
                or not int(match.group(1)) <= int(match.group(2)) < item.size
                or match.group(3) != str(item.size)
            ):
                reason = f"Content-Range {content_range!r} does not continue the file"
            elif not sink.validators.matches(response):
                reason = "the file changed on the server since the transfer began"
            if reason is not None:
                run.advance(-sink.position)
                sink.restart()
                raise _RetryableError(
                    f"the server answered the Range request for bytes {offset}- of "
                    f"{item.size} wrongly ({reason}); starting over",
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


def _filled(entries: Iterable[tuple[int, DownloadItem]]) -> DownloadFeed:
    feed = DownloadFeed()
    feed.put(entries)
    feed.close()
    return feed


def make_output_directory(root: Path) -> None:
    """Create the output directory ``root`` (and its parents) when missing.

    Raises
    ------
    ValidationError
        It cannot be created.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValidationError(f"cannot create output directory {str(root)!r}: {err}") from err


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def _check_sizes(items: list[DownloadItem]) -> None:
    for item in items:
        if item.size < 0:
            raise ValidationError(f"file {item.path!r} has a negative size ({item.size})")

"""Job upload archives: check a job directory or archive, and build the archive.

GWCloud accepts an uploaded Bilby job as a gzipped tar whose top level holds
``data/``, ``result/``, ``results_page/`` and exactly one
``*_config_complete.ini``.  Member names are written as ``./...``, the form
the 1.x client produced.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import posixpath
import shutil
import stat
import struct
import tarfile
import tempfile
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, NamedTuple

from ._errors import ValidationError
from ._files import ProgressCallback

__all__ = [
    "COMPRESS_LEVEL",
    "CONFIG_SUFFIX",
    "REQUIRED_DIRS",
    "async_job_directory_archive",
    "check_job_archive",
    "check_job_directory",
    "job_directory_archive",
]

#: Directories every job upload must have at its top level.
REQUIRED_DIRS = ("data", "result", "results_page")

#: Suffix of the one config file at the top level of a job.
CONFIG_SUFFIX = "_config_complete.ini"

#: gzip level of the compressible parts of built archives.  zlib levels 1-3
#: use its fast, non-lazy matcher; level 1 runs several times faster than
#: tarfile's default of 9 (and about twice as fast as 6), and buys nearly all
#: of the size on JSON and text files.  Incompressible parts (HDF5, pickles,
#: PNG) are not deflated at all but stored (see ``_ChunkedGzipWriter``).
COMPRESS_LEVEL = 1

#: How many offending names an error message lists before summarising.
_MAX_NAMED = 20


def _summarise(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_MAX_NAMED])
    if len(names) > _MAX_NAMED:
        shown += f" and {len(names) - _MAX_NAMED} more"
    return shown


def _layout_problems(dirs: set[str], configs: list[str]) -> list[str]:
    problems = [f"missing {name}/ directory" for name in REQUIRED_DIRS if name not in dirs]
    if not configs:
        problems.append(f"no *{CONFIG_SUFFIX} file at the top level")
    elif len(configs) > 1:
        problems.append(
            f"{len(configs)} *{CONFIG_SUFFIX} files at the top level, expected exactly one: "
            f"{_summarise(sorted(configs))}"
        )
    return problems


def check_job_directory(job_directory: str | os.PathLike[str]) -> Path:
    """Check that a directory has the layout of a Bilby job upload.

    Parameters
    ----------
    job_directory : str or os.PathLike
        Directory to check.

    Returns
    -------
    pathlib.Path
        The resolved directory.

    Raises
    ------
    ValidationError
        It is not a directory, or lacks any of ``data/``, ``result/``,
        ``results_page/``, or does not hold exactly one
        ``*_config_complete.ini`` at its top level.  The message lists every
        problem and names the config files found.
    """
    path = Path(job_directory)
    if not path.exists():
        raise ValidationError(f"job directory {str(path)!r} does not exist")
    if not path.is_dir():
        raise ValidationError(f"job directory {str(path)!r} is not a directory")
    try:
        entries = list(os.scandir(path))
    except OSError as err:
        raise ValidationError(f"cannot read job directory {str(path)!r}: {err}") from err
    dirs = {entry.name for entry in entries if entry.is_dir(follow_symlinks=False)}
    configs = [
        entry.name
        for entry in entries
        if entry.name.endswith(CONFIG_SUFFIX) and entry.is_file(follow_symlinks=False)
    ]
    problems = _layout_problems(dirs, configs)
    if problems:
        raise ValidationError(f"{str(path)!r} is not a valid job directory: " + "; ".join(problems))
    return path.resolve()


def _member_parts(name: str) -> list[str]:
    """Components of a member name without ``.`` and empty ones (``./a//b`` → a, b)."""
    return [part for part in name.split("/") if part not in ("", ".")]


def _unsafe_member(member: tarfile.TarInfo) -> str | None:
    """Why ``member`` may not be in an upload archive, or None when it is fine."""
    name = member.name
    if "\x00" in name or "\\" in name:
        return "bad characters in name"
    if name.startswith("/") or PurePosixPath(name).is_absolute():
        return "absolute name"
    if ".." in name.split("/"):
        return "'..' in name"
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        return "special file (device, FIFO)"
    if member.issym() or member.islnk():
        link = member.linkname
        if not link or link.startswith("/") or "\\" in link or "\x00" in link:
            return f"link to {link!r}"
        if member.issym():
            base = posixpath.dirname(posixpath.normpath(name))
            target = posixpath.normpath(posixpath.join(base, link))
        else:
            target = posixpath.normpath(link)
        if target == ".." or target.startswith("../"):
            return f"link to {link!r} points outside the archive"
    return None


def check_job_archive(job_archive: str | os.PathLike[str]) -> Path:
    """Check that a file is a gzipped tar with the layout of a job upload.

    Member names may be written with or without a ``./`` prefix.  The whole
    archive is read (decompressed) once, to list its members.

    Parameters
    ----------
    job_archive : str or os.PathLike
        Archive to check.

    Returns
    -------
    pathlib.Path
        The resolved archive path.

    Raises
    ------
    ValidationError
        The file is missing, not a regular file, not gzip (magic bytes),
        not a tar, has members with absolute names, ``..`` components, links
        pointing outside the archive or special files, or lacks the job
        layout (see :func:`check_job_directory`).
    """
    path = Path(job_archive)
    if not path.exists():
        raise ValidationError(f"job archive {str(path)!r} does not exist")
    if not path.is_file():
        raise ValidationError(f"job archive {str(path)!r} is not a file")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(2)
    except OSError as err:
        raise ValidationError(f"cannot read job archive {str(path)!r}: {err}") from err
    if magic != b"\x1f\x8b":
        raise ValidationError(f"job archive {str(path)!r} is not a gzip file (.tar.gz)")
    unsafe: list[str] = []
    dirs: set[str] = set()
    configs: list[str] = []
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                reason = _unsafe_member(member)
                if reason is not None:
                    unsafe.append(f"{member.name!r} ({reason})")
                    continue
                parts = _member_parts(member.name)
                if len(parts) > 1 or (len(parts) == 1 and member.isdir()):
                    dirs.add(parts[0])
                elif len(parts) == 1 and member.isreg() and parts[0].endswith(CONFIG_SUFFIX):
                    configs.append(parts[0])
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise ValidationError(
            f"job archive {str(path)!r} is not a valid gzipped tar: {err}"
        ) from err
    if unsafe:
        shown = ", ".join(unsafe[:_MAX_NAMED])
        if len(unsafe) > _MAX_NAMED:
            shown += f" and {len(unsafe) - _MAX_NAMED} more"
        raise ValidationError(f"job archive {str(path)!r} has unsafe members: {shown}")
    problems = _layout_problems(dirs, configs)
    if problems:
        raise ValidationError(
            f"job archive {str(path)!r} is not a valid job archive: " + "; ".join(problems)
        )
    return path.resolve()


@dataclass(frozen=True)
class _Entry:
    path: Path
    arcname: str
    kind: str  # "dir", "file" or "link"
    size: int = 0
    linkname: str = ""
    #: ``(st_dev, st_ino)`` seen by the scan; the writer checks what it opens against it.
    identity: tuple[int, int] = (0, 0)
    mode: int = 0
    mtime: float = 0.0


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class _Seen(NamedTuple):
    identity: tuple[int, int]
    mode: int
    mtime: float


def _identity(info: os.stat_result) -> tuple[int, int]:
    return (info.st_dev, info.st_ino)


def _scan(root: Path) -> list[_Entry]:
    """List everything under ``root`` (depth first, sorted), refusing what cannot be archived."""
    root_info = os.stat(root)
    entries: list[_Entry] = [
        _Entry(
            root,
            ".",
            "dir",
            identity=_identity(root_info),
            mode=root_info.st_mode,
            mtime=root_info.st_mtime,
        )
    ]
    outside: list[str] = []
    unreadable: list[str] = []
    special: list[str] = []

    def walk(directory: Path, prefix: str) -> None:
        try:
            with os.scandir(directory) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError:
            unreadable.append(str(directory))
            return
        for child in children:
            path = Path(child.path)
            arcname = f"{prefix}/{child.name}"
            try:
                info = child.stat(follow_symlinks=False)
            except OSError:
                unreadable.append(str(path))
                continue
            seen = _Seen(_identity(info), info.st_mode, info.st_mtime)
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = path.resolve()
                    if target.is_symlink():  # Python 3.13+ leaves a loop unresolved
                        raise RuntimeError("symlink loop")
                except (RuntimeError, OSError):
                    outside.append(f"{str(path)!r} (a symlink loop)")
                    continue
                if not _inside(target, root):
                    outside.append(f"{str(path)!r} -> {os.readlink(path)!r}")
                    continue
                linkname = os.path.relpath(target, directory)
                entries.append(_Entry(path, arcname, "link", linkname=linkname, **seen._asdict()))
            elif stat.S_ISDIR(info.st_mode):
                if not os.access(path, os.R_OK | os.X_OK):
                    unreadable.append(str(path))
                    continue
                entries.append(_Entry(path, arcname, "dir", **seen._asdict()))
                walk(path, arcname)
            elif stat.S_ISREG(info.st_mode):
                if not os.access(path, os.R_OK):
                    unreadable.append(str(path))
                    continue
                entries.append(_Entry(path, arcname, "file", size=info.st_size, **seen._asdict()))
            else:
                special.append(str(path))

    walk(root, ".")
    problems = []
    if outside:
        problems.append(
            "symlinks pointing outside the job directory (refusing to follow them): "
            + ", ".join(outside[:_MAX_NAMED])
            + (f" and {len(outside) - _MAX_NAMED} more" if len(outside) > _MAX_NAMED else "")
        )
    if unreadable:
        problems.append(f"unreadable files or directories: {_summarise(unreadable)}")
    if special:
        problems.append(f"special files (FIFOs, sockets, devices): {_summarise(special)}")
    if problems:
        raise ValidationError(f"cannot archive job directory {str(root)!r}: " + "; ".join(problems))
    return entries


class _ArchiveProgress:
    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self._callback = callback

    def advance(self, nbytes: int) -> None:
        if nbytes and self._callback is not None:
            self.done += nbytes
            self._callback(self.done, self.total)


# ------------------------------------------------------------------ gzip output
#
# The archive is ONE gzip member (so that streaming readers such as tarfile's
# "r|gz" mode, which stop after the first member, still see everything) whose
# deflate stream is built from independent 1 MiB chunks, as pigz does:
#
# * each chunk is deflated on its own (in a thread pool: zlib releases the GIL)
#   and ends byte-aligned with a sync flush, so chunks can be concatenated;
#   a chunk is primed with the previous chunk's last 32 KiB, so the ratio is
#   that of one continuous stream;
# * a chunk whose sample does not compress (HDF5, PNG, pickled floats...) is
#   written as deflate *stored* blocks instead, built here with no zlib call:
#   deflating incompressible data costs ~20 ns/byte and saves nothing, storing
#   it costs a copy.  Stored blocks are plain RFC 1951 and every inflater
#   (GNU tar/gzip, Python's tarfile and gzip) reads them;
# * the CRC-32 and length in the trailer are computed over the input in order.

#: Bytes of tar stream per independently deflated chunk.
_CHUNK = 1024 * 1024

#: Bytes sampled from the middle of a chunk to decide whether to deflate it.
_PROBE = 4096

#: A chunk whose sample deflates (level 1) to more than this fraction is stored.
_STORED_RATIO = 0.9

#: Largest stored deflate block (LEN is 16 bits).
_STORED_BLOCK = 0xFFFF

#: Deflate window; also the priming dictionary taken from the previous chunk.
_WINDOW = 32 * 1024

#: Final empty stored block (BFINAL=1, BTYPE=00, LEN=0, NLEN=0xFFFF).
_FINAL_BLOCK = b"\x01\x00\x00\xff\xff"


def _stored_blocks(chunk: bytes) -> bytes:
    """``chunk`` as non-final deflate stored blocks (the stream must be byte-aligned)."""
    view = memoryview(chunk)
    parts: list[bytes | memoryview] = []
    for offset in range(0, len(chunk), _STORED_BLOCK):
        piece = view[offset : offset + _STORED_BLOCK]
        parts.append(struct.pack("<BHH", 0, len(piece), len(piece) ^ 0xFFFF))
        parts.append(piece)
    return b"".join(parts)


def _deflate_chunk(chunk: bytes, zdict: bytes) -> bytes:
    """One chunk of the deflate stream: stored when its sample is incompressible."""
    if len(chunk) >= 2 * _PROBE:
        middle = len(chunk) // 2
        sample = chunk[middle : middle + _PROBE]
        probe = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
        if len(probe.compress(sample)) + len(probe.flush()) > _STORED_RATIO * len(sample):
            return _stored_blocks(chunk)
    if zdict:
        deflater = zlib.compressobj(
            COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, zdict
        )
    else:
        deflater = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return deflater.compress(chunk) + deflater.flush(zlib.Z_SYNC_FLUSH)


class _ChunkedGzipWriter:
    """Write one gzip member from chunks deflated (or stored) in parallel, in order."""

    def __init__(self, out: IO[bytes], workers: int) -> None:
        self._out = out
        self._crc = 0
        self._size = 0
        self._buffer = bytearray()
        self._zdict = b""
        self._pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
        self._pending: deque[Future[bytes]] = deque()
        self._max_pending = 2 * workers + 1
        mtime = int(time.time()) & 0xFFFFFFFF
        # ID1 ID2 CM=deflate FLG=0 MTIME XFL=0 OS=255 (unknown)
        out.write(b"\x1f\x8b\x08\x00" + struct.pack("<I", mtime) + b"\x00\xff")

    def room(self) -> int:
        """Bytes that would complete the chunk being collected."""
        return _CHUNK - len(self._buffer)

    def write(self, data: bytes) -> None:
        """Append tar stream bytes."""
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        if not self._buffer and len(data) == _CHUNK:
            self._submit(data)
            return
        self._buffer += data
        while len(self._buffer) >= _CHUNK:
            chunk = bytes(self._buffer[:_CHUNK])
            del self._buffer[:_CHUNK]
            self._submit(chunk)

    def _submit(self, chunk: bytes) -> None:
        zdict, self._zdict = self._zdict, chunk[-_WINDOW:]
        if self._pool is None:
            self._out.write(_deflate_chunk(chunk, zdict))
            return
        self._pending.append(self._pool.submit(_deflate_chunk, chunk, zdict))
        while len(self._pending) >= self._max_pending:
            self._out.write(self._pending.popleft().result())

    def finish(self) -> None:
        """Flush the last chunk and write the final block and the gzip trailer."""
        if self._buffer:
            chunk = bytes(self._buffer)
            self._buffer.clear()
            self._submit(chunk)
        while self._pending:
            self._out.write(self._pending.popleft().result())
        self._out.write(_FINAL_BLOCK)
        self._out.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        self.close()

    def close(self) -> None:
        """Stop the workers (after :meth:`finish`, or to abandon the archive)."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _compress_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# ------------------------------------------------------------------ tar output


def _tar_header(entry: _Entry, info: os.stat_result | None) -> bytes:
    member = tarfile.TarInfo(entry.arcname)
    # Local user and group names are no business of the server.
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    source_mode = entry.mode if info is None else info.st_mode
    member.mtime = int(entry.mtime if info is None else info.st_mtime)
    if entry.kind == "link":
        member.type = tarfile.SYMTYPE
        member.linkname = entry.linkname
        member.mode = 0o777
    elif entry.kind == "dir":
        member.type = tarfile.DIRTYPE
        member.mode = stat.S_IMODE(source_mode)
    else:
        member.type = tarfile.REGTYPE
        member.mode = stat.S_IMODE(source_mode)
        member.size = entry.size
    return member.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in must not block the open
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_RELATIVE_OPEN = os.open in os.supports_dir_fd and bool(_NOFOLLOW)


class _Changed(Exception):
    """An entry is no longer what the scan saw (swapped, replaced or shrunk)."""


class _Opener:
    """Open scanned entries relative to their parents' directory handles.

    Every path component is opened with ``O_NOFOLLOW`` relative to the handle
    of the directory above it, and every opened handle's ``(st_dev, st_ino)``
    must equal what the scan recorded.  So a directory or file swapped for a
    symlink (or anything else) between the scan and the read is refused
    instead of followed out of the job directory.  Where ``dir_fd`` is not
    available (Windows), files are opened by path and the identity check
    alone guards them.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[str, int]] = []

    def _parent_fd(self, arcname: str) -> int:
        parent = arcname.rsplit("/", 1)[0]
        while self._stack and self._stack[-1][0] != parent:
            os.close(self._stack.pop()[1])
        if not self._stack:
            raise _Changed("its directory was not opened")
        return self._stack[-1][1]

    def _open(self, entry: _Entry, flags: int) -> int:
        if not _RELATIVE_OPEN:
            return os.open(entry.path, flags)
        if entry.arcname == ".":
            return os.open(entry.path, flags | _NOFOLLOW)
        name = entry.arcname.rsplit("/", 1)[1]
        return os.open(name, flags | _NOFOLLOW, dir_fd=self._parent_fd(entry.arcname))

    @staticmethod
    def _check(fd: int, entry: _Entry, want: Callable[[int], bool]) -> os.stat_result:
        info = os.fstat(fd)
        if not want(info.st_mode) or _identity(info) != entry.identity:
            raise _Changed("it was replaced")
        return info

    def directory(self, entry: _Entry) -> os.stat_result:
        """Open a directory (kept open as the parent of what follows)."""
        if entry.arcname == ".":
            self.close()
        if not _RELATIVE_OPEN:  # Windows cannot open a directory: check it by path
            info = os.lstat(entry.path)
            if not stat.S_ISDIR(info.st_mode) or _identity(info) != entry.identity:
                raise _Changed("it was replaced")
            return info
        fd = self._open(entry, _DIR_FLAGS)
        try:
            info = self._check(fd, entry, stat.S_ISDIR)
        except BaseException:
            os.close(fd)
            raise
        self._stack.append((entry.arcname, fd))
        return info

    def file(self, entry: _Entry) -> tuple[int, os.stat_result]:
        """Open a regular file; the caller closes the returned descriptor."""
        fd = self._open(entry, _FILE_FLAGS)
        try:
            return fd, self._check(fd, entry, stat.S_ISREG)
        except BaseException:
            os.close(fd)
            raise

    def link(self, entry: _Entry) -> None:
        """Check that a symlink is still the one the scan saw."""
        if _RELATIVE_OPEN:
            name = entry.arcname.rsplit("/", 1)[1]
            info = os.lstat(name, dir_fd=self._parent_fd(entry.arcname))
        else:
            info = os.lstat(entry.path)
        if not stat.S_ISLNK(info.st_mode) or _identity(info) != entry.identity:
            raise _Changed("it was replaced")

    def close(self) -> None:
        """Close every directory handle."""
        while self._stack:
            os.close(self._stack.pop()[1])


def _copy_file(
    fd: int, entry: _Entry, writer: _ChunkedGzipWriter, progress: _ArchiveProgress
) -> None:
    left = entry.size
    while left > 0:
        data = os.read(fd, min(left, writer.room()))
        if not data:
            raise _Changed(f"it shrank by {left} bytes")
        writer.write(data)
        progress.advance(len(data))
        left -= len(data)
    remainder = entry.size % tarfile.BLOCKSIZE
    if remainder:
        writer.write(tarfile.NUL * (tarfile.BLOCKSIZE - remainder))


def _write_archive(
    archive_path: Path, entries: list[_Entry], callback: ProgressCallback | None
) -> None:
    total = sum(entry.size for entry in entries)
    progress = _ArchiveProgress(total, callback)
    if callback is not None:
        callback(0, total)
    opener = _Opener()
    with open(archive_path, "xb") as out:
        writer = _ChunkedGzipWriter(out, _compress_workers())
        try:
            offset = 0
            for entry in entries:
                try:
                    if entry.kind == "dir":
                        header = _tar_header(entry, opener.directory(entry))
                        writer.write(header)
                    elif entry.kind == "link":
                        opener.link(entry)
                        header = _tar_header(entry, None)
                        writer.write(header)
                    else:
                        fd, info = opener.file(entry)
                        try:
                            header = _tar_header(entry, info)
                            writer.write(header)
                            _copy_file(fd, entry, writer, progress)
                        finally:
                            os.close(fd)
                except (OSError, _Changed) as err:
                    raise ValidationError(
                        f"cannot archive {str(entry.path)!r}: it changed while archiving ({err})"
                    ) from err
                offset += len(header) + -(-entry.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
            end = tarfile.NUL * (tarfile.BLOCKSIZE * 2)
            offset += len(end)
            padding = -offset % tarfile.RECORDSIZE
            writer.write(end + tarfile.NUL * padding)
            writer.finish()
        finally:
            writer.close()
            opener.close()
    if callback is not None and progress.done != total:
        callback(total, total)


def _temporary_directory(job_directory: Path) -> Path:
    """A new temporary directory outside ``job_directory``."""
    tmp = Path(tempfile.mkdtemp(prefix="gwcloud-upload-")).resolve()
    if not _inside(tmp, job_directory):
        return tmp
    tmp.rmdir()
    parent = job_directory.parent
    tmp = Path(tempfile.mkdtemp(prefix=".gwcloud-upload-", dir=parent)).resolve()
    if _inside(tmp, job_directory):  # pragma: no cover - job directory is "/"
        tmp.rmdir()
        raise ValidationError(
            f"no place outside {str(job_directory)!r} for the temporary job archive"
        )
    return tmp


@contextmanager
def job_directory_archive(
    job_directory: str | os.PathLike[str], *, callback: ProgressCallback | None = None
) -> Iterator[Path]:
    """Build a ``.tar.gz`` of a job directory in a temporary directory.

    The directory is checked with :func:`check_job_directory` and scanned in
    full before anything is written.  Members are named ``./...``.  A symlink
    whose target lies inside the job directory is stored as a relative
    symlink; one pointing outside is refused, never followed.  Nothing is
    skipped silently.  Files are streamed from disk, so memory use does not
    grow with their size.  The archive is one gzip member built from 1 MiB
    chunks deflated at level :data:`COMPRESS_LEVEL` in parallel threads, or,
    when a chunk does not compress, written as deflate stored blocks; any
    gzip reader (GNU tar, Python's ``tarfile`` and ``gzip``) unpacks it.

    Every file and directory is opened relative to its parent's directory
    handle without following symlinks and must be the very file the scan
    listed (same device and inode), so swapping part of the job for a
    symlink while the archive is written cannot pull outside files into it.

    Parameters
    ----------
    job_directory : str or os.PathLike
        The job directory.
    callback : callable, optional
        ``callback(bytes_done, bytes_total)`` over the bytes of regular files
        read into the archive, ending with ``(total, total)``.

    Yields
    ------
    pathlib.Path
        ``<tmp>/<dirname>.tar.gz``, in a new temporary directory outside the
        job directory; the directory and archive are deleted on exit.

    Raises
    ------
    ValidationError
        The job directory is invalid (see :func:`check_job_directory`), holds
        symlinks pointing outside it, unreadable entries or special files, or
        an entry was replaced, swapped for a symlink, shrank or could not be
        read while archiving.  The message names them.
    """
    archive_path = _build_archive(job_directory, callback)
    try:
        yield archive_path
    finally:
        shutil.rmtree(archive_path.parent, ignore_errors=True)


def _build_archive(
    job_directory: str | os.PathLike[str], callback: ProgressCallback | None
) -> Path:
    """Check, scan and archive a job directory; the caller deletes the archive's directory."""
    root = check_job_directory(job_directory)
    entries = _scan(root)
    tmp = _temporary_directory(root)
    try:
        archive_path = tmp / f"{root.name or 'job'}.tar.gz"
        _write_archive(archive_path, entries, callback)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return archive_path


def _discard_built(future: asyncio.Future[Path]) -> None:
    if not future.cancelled() and future.exception() is None:
        shutil.rmtree(future.result().parent, ignore_errors=True)


@asynccontextmanager
async def async_job_directory_archive(
    job_directory: str | os.PathLike[str], *, callback: ProgressCallback | None = None
) -> AsyncIterator[Path]:
    """Build a job directory's ``.tar.gz`` in a worker thread, for the async client.

    The same archive as :func:`job_directory_archive`, but the checks, the
    scan, the reading and the compression all run in a thread, so the event
    loop is never blocked for more than a moment.  If the waiting task is
    cancelled, the thread finishes and its archive is deleted.

    Parameters
    ----------
    job_directory : str or os.PathLike
        The job directory.
    callback : callable, optional
        As for :func:`job_directory_archive` (called from the worker thread).

    Yields
    ------
    pathlib.Path
        The archive, deleted (in a thread) on exit.

    Raises
    ------
    ValidationError
        As :func:`job_directory_archive`.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future = loop.run_in_executor(
        None, functools.partial(context.run, _build_archive, job_directory, callback)
    )
    try:
        archive_path = await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_discard_built)
        raise
    try:
        yield archive_path
    finally:
        await asyncio.shield(
            asyncio.to_thread(shutil.rmtree, archive_path.parent, ignore_errors=True)
        )

"""Job upload archives: check a job directory or archive, and build the archive.

GWCloud accepts an uploaded Bilby job as a gzipped tar whose top level holds
``data/``, ``result/``, ``results_page/`` and exactly one
``*_config_complete.ini``.  Member names are written as ``./...``, the form
the 1.x client produced.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ._errors import ValidationError
from ._files import ProgressCallback

__all__ = [
    "COMPRESS_LEVEL",
    "CONFIG_SUFFIX",
    "REQUIRED_DIRS",
    "check_job_archive",
    "check_job_directory",
    "job_directory_archive",
]

#: Directories every job upload must have at its top level.
REQUIRED_DIRS = ("data", "result", "results_page")

#: Suffix of the one config file at the top level of a job.
CONFIG_SUFFIX = "_config_complete.ini"

#: gzip level of built archives.  zlib levels 1-3 use its fast, non-lazy
#: matcher; level 1 runs several times faster than tarfile's default of 9 (and
#: about twice as fast as 6) on gigabyte job directories, while Bilby output
#: (HDF5, pickles, PNG) is largely incompressible anyway, so higher levels buy
#: only a few per cent of size on the JSON and text files.
COMPRESS_LEVEL = 1

#: Read buffer used when copying files into the archive.
_COPY_BUFFER = 1024 * 1024

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


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _scan(root: Path) -> list[_Entry]:
    """List everything under ``root`` (depth first, sorted), refusing what cannot be archived."""
    entries: list[_Entry] = [_Entry(root, ".", "dir")]
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
                entries.append(_Entry(path, arcname, "link", linkname=linkname))
            elif stat.S_ISDIR(info.st_mode):
                if not os.access(path, os.R_OK | os.X_OK):
                    unreadable.append(str(path))
                    continue
                entries.append(_Entry(path, arcname, "dir"))
                walk(path, arcname)
            elif stat.S_ISREG(info.st_mode):
                if not os.access(path, os.R_OK):
                    unreadable.append(str(path))
                    continue
                entries.append(_Entry(path, arcname, "file", size=info.st_size))
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


class _CountingReader:
    """File wrapper that reports the bytes read to a progress callback."""

    def __init__(self, handle: IO[bytes], progress: _ArchiveProgress) -> None:
        self._handle = handle
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._progress.advance(len(data))
        return data


class _ArchiveProgress:
    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self._callback = callback

    def advance(self, nbytes: int) -> None:
        if nbytes and self._callback is not None:
            self.done += nbytes
            self._callback(self.done, self.total)


def _normalise_owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # Local user and group names are no business of the server.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_archive(
    archive_path: Path, entries: list[_Entry], callback: ProgressCallback | None
) -> None:
    total = sum(entry.size for entry in entries)
    progress = _ArchiveProgress(total, callback)
    if callback is not None:
        callback(0, total)
    with (
        gzip.GzipFile(archive_path, "wb", compresslevel=COMPRESS_LEVEL) as compressed,
        tarfile.TarFile(
            fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT, copybufsize=_COPY_BUFFER
        ) as archive,
    ):
        for entry in entries:
            try:
                info = _normalise_owner(archive.gettarinfo(str(entry.path), entry.arcname))
                if entry.kind == "link":
                    info.linkname = entry.linkname
                    archive.addfile(info)
                elif entry.kind == "file" and info.isreg():
                    with open(entry.path, "rb") as handle:
                        archive.addfile(info, _CountingReader(handle, progress))
                else:
                    archive.addfile(info)
            except OSError as err:
                raise ValidationError(
                    f"cannot archive {str(entry.path)!r} (did it change while archiving?): {err}"
                ) from err
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
    grow with their size.  The archive is written with gzip level
    :data:`COMPRESS_LEVEL` (1, chosen for speed: see its comment).

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
        a file could not be read while archiving.  The message names them.
    """
    root = check_job_directory(job_directory)
    entries = _scan(root)
    tmp = _temporary_directory(root)
    try:
        archive_path = tmp / f"{root.name or 'job'}.tar.gz"
        _write_archive(archive_path, entries, callback)
        yield archive_path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

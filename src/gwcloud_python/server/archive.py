"""Safe validation and extraction of uploaded job archives (gzipped tar)."""

from __future__ import annotations

import os
import posixpath
import shutil
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import ServiceError

__all__ = ["ArchiveLimits", "extract_job_archive", "make_tree_private"]

_REQUIRED_DIRS = ("data", "result", "results_page")
#: Below this many unpacked bytes the compression ratio is not checked.
_RATIO_FLOOR = 64 * 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what one uploaded archive may unpack to.

    Attributes
    ----------
    max_bytes : int
        Largest total size of the members.
    max_ratio : float
        Largest ratio of unpacked to compressed bytes (checked above 64 MiB unpacked).
    max_members : int
        Most members.
    """

    max_bytes: int = 16 * 1024**3
    max_ratio: float = 100.0
    max_members: int = 100_000


def _size_of(fileobj: IO[bytes]) -> int:
    position = fileobj.tell()
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def make_tree_private(root: Path) -> None:
    """Give every directory under ``root`` mode 0700 and every file 0600.

    Parameters
    ----------
    root : Path
        The tree (symlinks are left alone).
    """
    root.chmod(0o700)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o600)


def _member_path(member: tarfile.TarInfo) -> str:
    name = member.name
    if name.startswith("/"):
        raise ServiceError(f"Archive member {name!r} has an absolute path")
    if name != "." and not name.startswith("./"):
        raise ServiceError(
            f"Archive member {name!r} is not under './': create the archive from inside the "
            "job directory (tar -czf job.tar.gz -C <job directory> .)"
        )
    rel = posixpath.normpath(name[2:] or ".")
    if rel == ".." or rel.startswith("../") or ".." in name.split("/"):
        raise ServiceError(f"Archive member {name!r} escapes the job directory")
    return rel


def _check_link(member: tarfile.TarInfo, rel: str) -> None:
    target = member.linkname
    if target.startswith("/"):
        raise ServiceError(f"Archive link {member.name!r} points to an absolute path")
    if member.issym():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    else:
        resolved = posixpath.normpath(target[2:] if target.startswith("./") else target)
    if resolved == ".." or resolved.startswith("../"):
        raise ServiceError(f"Archive link {member.name!r} points outside the job directory")


def _extract(fileobj: IO[bytes], dest: Path, limits: ArchiveLimits) -> None:
    compressed = max(_size_of(fileobj), 1)
    total = 0
    count = 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r|gz") as tar:
            for member in tar:
                count += 1
                if count > limits.max_members:
                    raise ServiceError(
                        f"Invalid job archive: more than {limits.max_members} members"
                    )
                total += max(member.size, 0)
                if total > limits.max_bytes:
                    raise ServiceError(
                        f"Invalid job archive: it unpacks to more than {limits.max_bytes} bytes "
                        f"(member {member.name!r} passes the limit)"
                    )
                if total > _RATIO_FLOOR and total > limits.max_ratio * compressed:
                    raise ServiceError(
                        f"Invalid job archive: {compressed} compressed bytes unpack to more "
                        f"than {total} bytes (over {limits.max_ratio:g} times): refused as a "
                        "decompression bomb"
                    )
                rel = _member_path(member)
                if member.issym() or member.islnk():
                    _check_link(member, rel)
                elif not (member.isfile() or member.isdir()):
                    raise ServiceError(f"Archive member {member.name!r} has an unsupported type")
                tar.extract(member, dest, filter="data")
    except ServiceError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ServiceError(f"jobFile is not a valid gzipped tar archive: {exc}") from None


def extract_job_archive(
    fileobj: IO[bytes], dest: Path, limits: ArchiveLimits | None = None
) -> tuple[str, str]:
    """Check and unpack an uploaded job archive into a new directory.

    The archive must be a gzipped tar whose members are all under ``./``, with the
    directories ``data/``, ``result/`` and ``results_page/`` and exactly one
    ``*_config_complete.ini`` at the top level.  Absolute paths, ``..`` and links
    leaving the directory are refused, and so is an archive that passes ``limits``
    (checked from each member's header before its bytes are written).  On any error
    ``dest`` is removed.  Unpacked files get mode 0600, directories 0700.

    Parameters
    ----------
    fileobj : file object
        The uploaded bytes (read sequentially).
    dest : Path
        New directory to unpack into (must not exist).
    limits : ArchiveLimits, optional
        Size, ratio and member-count bounds (defaults: :class:`ArchiveLimits`).

    Returns
    -------
    tuple of (str, str)
        The name of the config file and its contents.

    Raises
    ------
    ServiceError
        With a message naming the problem.
    """
    fileobj.seek(0)
    if fileobj.read(2) != b"\x1f\x8b":
        raise ServiceError("jobFile must be a gzipped tar archive (.tar.gz)")
    fileobj.seek(0)
    dest.mkdir(parents=True)
    try:
        _extract(fileobj, dest, limits or ArchiveLimits())
        make_tree_private(dest)
        for name in _REQUIRED_DIRS:
            path = dest / name
            if path.is_symlink() or not path.is_dir():
                raise ServiceError(f"Invalid job archive: missing the {name}/ directory")
        configs = sorted(
            p for p in dest.glob("*_config_complete.ini") if p.is_file() and not p.is_symlink()
        )
        if len(configs) != 1:
            raise ServiceError(
                "Invalid job archive: expected exactly one *_config_complete.ini at the top "
                f"level, found {len(configs)}"
            )
        return configs[0].name, configs[0].read_text(errors="replace")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise

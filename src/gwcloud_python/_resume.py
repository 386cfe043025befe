"""Resuming a download: the validators of a file version and the sidecar that keeps them.

A large file's temporary file has a small sidecar next to it recording the
listed size, the ``ETag``/``Last-Modified`` of the answer it holds and the
length that answer announced (a file may have grown since it was listed), so
a later run (with new download IDs) can continue it with ``If-Range`` instead
of starting over.  Anything that cannot be trusted is deleted, never resumed,
and nothing is resumed without a validator: only a validator proves that the
rest of the file comes from the same version as its beginning.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import httpx

from . import _constants as C
from ._paths import _unlink

__all__: list[str] = []

logger = logging.getLogger("gwcloud_python")

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

#: The first line of every sidecar; a sidecar without it is not ours and is never trusted.
_SIDECAR_MAGIC = "gwcloud-python download part"
_SIDECAR_VERSION = 1
_SIDECAR_MAX_BYTES = 16 * 1024


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
        return False  # nothing proves the version: never continue it

    def __bool__(self) -> bool:
        return self.etag is not None or self.last_modified is not None


def _write_sidecar(
    sidecar: Path, size: int, validators: _Validators, expected: int | None = None
) -> None:
    """Record the validators of a temporary file (replacing any earlier sidecar).

    ``size`` is the listed size; ``expected`` the length the answer announced.
    """
    record = {
        "size": size,
        "expected": expected,
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


def _read_sidecar(sidecar: Path) -> tuple[int, _Validators, int | None] | None:
    """Listed size, validators and announced length a sidecar records, or None if invalid."""
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
    expected = record.get("expected")
    if expected is not None and (type(expected) is not int or expected < 1):
        return None
    validators = _Validators(etag or None, modified or None)
    return (size, validators, expected) if validators else None


def _claim_partial(
    part: Path, sidecar: Path, size: int
) -> tuple[int, _Validators, int | None] | None:
    """Offset, validators and announced length of a temporary file left by an earlier run.

    A temporary file that cannot be trusted (no valid sidecar, another listed
    size, not shorter than the file, not a regular file) is removed with its
    sidecar and None is returned.  Both names belong to the library (see
    :func:`temporary_paths`); a symlink there is removed, never followed.
    """
    try:
        info = os.lstat(part)
    except FileNotFoundError:
        if size >= C.RESUME_MIN_SIZE:
            _unlink(sidecar)
        return None
    record = _read_sidecar(sidecar) if stat.S_ISREG(info.st_mode) else None
    if record is not None and record[0] == size:
        whole = size if record[2] is None else record[2]
        if 0 < info.st_size < whole:
            return info.st_size, record[1], record[2]
    logger.info("discarding %s (%d bytes): it cannot be resumed", part.name, info.st_size)
    _unlink(part)
    _unlink(sidecar)
    return None


def _open_partial(
    part: Path, sidecar: Path, size: int
) -> tuple[int, int, tuple[_Validators, int | None] | None]:
    """Open the temporary file of a download: a new one, or one left to resume.

    Returns the descriptor (open for writing), the offset to continue from and,
    when resuming, the validators and announced length the earlier run recorded.
    A new file is tried first, so an ordinary download costs one system call here.
    """
    create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY
    try:
        fd = os.open(part, create, 0o666)
    except FileExistsError:
        claimed = _claim_partial(part, sidecar, size)
        if claimed is None:  # it could not be trusted and is gone: start afresh
            return os.open(part, create, 0o666), 0, None
        fd = os.open(part, os.O_WRONLY | _O_NOFOLLOW | _O_BINARY)
        return fd, os.lseek(fd, 0, os.SEEK_END), claimed[1:]
    if size >= C.RESUME_MIN_SIZE:
        _unlink(sidecar)  # resume data left without its file describes nothing
    return fd, 0, None

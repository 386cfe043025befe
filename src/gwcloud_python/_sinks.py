"""Where the bytes of one file go while it downloads: a buffer or a file.

Both sinks know their position (so a dropped transfer resumes from it), can
restart from the first byte, and keep what identifies the version they hold:
its validators and the length its first answer announced.
:class:`_FileSink` also keeps a resumable file's sidecar current.

A sink takes at most ``limit`` bytes: the listed size plus a margin for a file
that grew since it was listed (a running job's log).  More than that is an
error, so an endless answer stops.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Protocol

from ._paths import _unlink
from ._resume import _Validators, _write_sidecar
from ._retry import _FatalError

__all__: list[str] = []


class _Sink(Protocol):
    """Where the bytes of one file go."""

    validators: _Validators
    #: The whole length of the version held, when an answer announced it.
    expected: int | None
    #: The most bytes the sink takes.
    limit: int

    @property
    def position(self) -> int: ...

    def write(self, chunk: bytes) -> None: ...

    def restart(self) -> None: ...

    def begin(self, validators: _Validators, expected: int | None) -> None: ...


def _too_long(limit: int) -> _FatalError:
    return _FatalError(f"the server sent more than {limit} bytes, the most this file may have")


class _MemorySink:
    """Fills a buffer preallocated at the listed size, grown (up to ``limit``) when needed."""

    def __init__(self, size: int, limit: int) -> None:
        self.buffer = bytearray(size)
        self._view = memoryview(self.buffer)
        self.limit = limit
        self._position = 0
        self.validators = _Validators()
        self.expected: int | None = None

    @property
    def position(self) -> int:
        return self._position

    def write(self, chunk: bytes) -> None:
        end = self._position + len(chunk)
        if end > len(self.buffer):
            if end > self.limit:
                raise _too_long(self.limit)
            self._grow(min(self.limit, max(end, len(self.buffer) * 3 // 2)))
        self._view[self._position : end] = chunk
        self._position = end

    def _grow(self, size: int) -> None:
        # A bytearray cannot change size while a memoryview of it exists.
        self._view.release()
        self.buffer.extend(bytes(size - len(self.buffer)))
        self._view = memoryview(self.buffer)

    def restart(self) -> None:
        self._position = 0

    def begin(self, validators: _Validators, expected: int | None) -> None:
        self.validators = validators
        self.expected = expected
        if expected is not None and len(self.buffer) < expected <= self.limit:
            self._grow(expected)

    def data(self) -> bytes:
        """The bytes received, as one new object."""
        return bytes(self._view[: self._position])

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
        limit: int,
        *,
        offset: int = 0,
        validators: _Validators | None = None,
        expected: int | None = None,
        sidecar: Path | None = None,
    ) -> None:
        self._fd = fd
        self._size = size
        self.limit = limit
        self._position = offset
        self._sidecar = sidecar
        self.validators = validators or _Validators()
        self.expected = expected
        #: Whether the sidecar on disk describes the bytes of the temporary file.
        self.recorded = offset > 0 and sidecar is not None

    @property
    def position(self) -> int:
        return self._position

    def write(self, chunk: bytes) -> None:
        end = self._position + len(chunk)
        if end > self.limit:
            raise _too_long(self.limit)
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

    def begin(self, validators: _Validators, expected: int | None) -> None:
        self.validators = validators
        self.expected = expected
        if self._sidecar is None:
            return
        if validators:
            _write_sidecar(self._sidecar, self._size, validators, expected)
            self.recorded = True
        else:
            self.forget()

    def forget(self) -> None:
        if self._sidecar is not None:
            _unlink(self._sidecar)
        self.recorded = False

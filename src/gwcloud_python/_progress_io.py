"""Read-only file wrapper that reports upload progress.

httpx streams a multipart file part by calling ``fileno()`` and ``os.fstat``
to learn its length (so it can send ``Content-Length``), then ``seek(0)`` and
``read(64 KiB)`` until the end.  :class:`ProgressReader` passes those calls
through to the wrapped file and counts the bytes read, so an upload reports
progress as the body is sent, without ever holding the file in memory.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from ._errors import GWCloudError

if TYPE_CHECKING:  # tqdm loads with the first bar drawn
    from tqdm import tqdm

__all__ = [
    "ProgressReader",
    "SharedProgress",
    "UploadProgressCallback",
    "open_for_upload",
    "progress_bar",
]

#: ``callback(bytes_done, bytes_total)``.
UploadProgressCallback = Callable[[int, int], None]


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def _length(handle: IO[bytes]) -> int:
    try:
        return os.fstat(handle.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(position)
        return end


def progress_bar(total: int, description: str, *, initial: int = 0) -> tqdm[Any]:
    """The library's transfer bar on stderr: bytes, binary units, the terminal's width.

    Parameters
    ----------
    total : int
        Bytes to move.
    description : str
        Its label.
    initial : int, optional
        Bytes already moved.
    """
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=description,
        file=sys.stderr,
        dynamic_ncols=True,
    )


class ProgressReader(io.RawIOBase):
    """A read-only binary file that reports how many of its bytes have been read.

    The count is the file position reached by reading: a ``seek`` (httpx
    rewinds a file part before sending it, and again if it resends the
    request) moves the count to the new position, so ``seek(0)`` starts the
    progress over.

    Parameters
    ----------
    handle : binary file object
        An open, readable binary file.  It is closed with the reader when
        ``close_handle`` is true.
    callback : callable, optional
        ``callback(bytes_done, bytes_total)``, called with ``(position,
        total)`` at the start and whenever the count changes; after the last
        byte has been read it has been called with ``(total, total)``.
    progress : bool or None, optional
        Show a tqdm bar on stderr: ``None`` (default) only when stderr is a
        terminal, ``True`` always, ``False`` never.
    description : str, optional
        Label of the bar (default: the file's base name).
    close_handle : bool, optional
        Close ``handle`` when the reader is closed (default True).

    Notes
    -----
    It is an :class:`io.RawIOBase`, not a ``typing.IO``: where a static type
    checker expects ``IO[bytes]`` (httpx ``files=``, the generated clients'
    ``Upload``), pass ``typing.cast(IO[bytes], reader)``.

    Attributes
    ----------
    total : int
        Size of the file in bytes (``fstat`` size, the length httpx sends).
    bytes_done : int
        Bytes counted so far.

    Examples
    --------
    >>> import io
    >>> seen = []
    >>> reader = ProgressReader(io.BytesIO(b"abcdef"), callback=lambda d, t: seen.append(d))
    >>> reader.read(4), reader.read(), seen
    (b'abcd', b'ef', [0, 4, 6])
    """

    def __init__(
        self,
        handle: IO[bytes],
        *,
        callback: UploadProgressCallback | None = None,
        progress: bool | None = None,
        description: str | None = None,
        close_handle: bool = True,
    ) -> None:
        super().__init__()
        if isinstance(handle, io.TextIOBase):
            raise TypeError("ProgressReader needs a file opened in binary mode")
        self._handle = handle
        self._callback = callback
        self._close_handle = close_handle
        self.name: str = str(getattr(handle, "name", "upload"))
        self.total = _length(handle)
        self.bytes_done = handle.tell()
        self._reported: int | None = None
        self._bar: tqdm[Any] | None = None
        show = _stderr_is_tty() if progress is None else progress
        if show:
            label = description or f"Uploading {os.path.basename(self.name)}"
            self._bar = progress_bar(self.total, label, initial=self.bytes_done)
        self._report()

    def __repr__(self) -> str:
        return f"ProgressReader({self.name!r}, {self.bytes_done}/{self.total} bytes)"

    # -- progress -------------------------------------------------------------------

    def _moved_to(self, position: int) -> None:
        if self._bar is not None and position != self.bytes_done:
            self._bar.update(position - self.bytes_done)
        self.bytes_done = position
        self._report()

    def _report(self) -> None:
        if self._callback is not None and self._reported != self.bytes_done:
            self._reported = self.bytes_done
            self._callback(self.bytes_done, self.total)

    # -- io.RawIOBase ---------------------------------------------------------------

    def readable(self) -> bool:
        """Return True: the reader is readable."""
        return True

    def writable(self) -> bool:
        """Return False: the reader is read-only."""
        return False

    def seekable(self) -> bool:
        """Whether the wrapped file supports ``seek``."""
        return bool(self._handle.seekable())

    def fileno(self) -> int:
        """File descriptor of the wrapped file (httpx ``fstat``\\s it for the length).

        Raises
        ------
        OSError
            The wrapped file has no descriptor (``io.UnsupportedOperation``).
        """
        return self._handle.fileno()

    def tell(self) -> int:
        """Current position in the wrapped file."""
        self._check_open()
        return self._handle.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move within the file; the progress count follows the new position.

        Parameters
        ----------
        offset : int
            Offset relative to ``whence``.
        whence : int, optional
            ``os.SEEK_SET`` (default), ``os.SEEK_CUR`` or ``os.SEEK_END``.

        Returns
        -------
        int
            The new absolute position.
        """
        self._check_open()
        position = self._handle.seek(offset, whence)
        self._moved_to(position)
        return position

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes when negative or None).

        Parameters
        ----------
        size : int or None, optional
            Most bytes to return.

        Returns
        -------
        bytes
            The bytes read; empty at the end of the file.
        """
        self._check_open()
        if size is None or size < 0:
            return self.readall()
        data = self._handle.read(size)
        self._check_size(len(data), size)
        if data:
            self._moved_to(self.bytes_done + len(data))
        return data

    def readall(self) -> bytes:
        """Read to the end of the file in 1 MiB pieces, counting each one."""
        pieces: list[bytes] = []
        while True:
            piece = self.read(1024 * 1024)
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)

    def readinto(self, buffer: Any) -> int:
        """Read into a writable buffer.

        Parameters
        ----------
        buffer : writable bytes-like object
            Where the bytes go.

        Returns
        -------
        int
            Number of bytes read (0 at the end of the file).
        """
        self._check_open()
        view = memoryview(buffer).cast("B")
        readinto = getattr(self._handle, "readinto", None)
        if readinto is not None:
            count = int(readinto(view) or 0)
        else:
            data = self._handle.read(len(view))
            count = len(data)
            view[:count] = data
        self._check_size(count, len(view))
        if count:
            self._moved_to(self.bytes_done + count)
        return count

    def close(self) -> None:
        """Close the progress bar and (when owned) the wrapped file."""
        if self.closed:
            return
        try:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            if self._close_handle:
                self._handle.close()
        finally:
            super().close()

    def _check_size(self, count: int, asked: int) -> None:
        """Refuse a file whose size changed since it was opened.

        Its length (:attr:`total`) has already been announced as the
        upload's ``Content-Length``; sending more or fewer bytes would only
        fail deeper in the HTTP stack, with an error from outside our tree.
        """
        end = self.bytes_done + count
        if end > self.total:
            raise GWCloudError(
                f"{self.name!r} grew while it was being uploaded (it had {self.total} bytes "
                "when the upload started); the upload was stopped"
            )
        if count == 0 and asked > 0 and end < self.total:
            raise GWCloudError(
                f"{self.name!r} shrank while it was being uploaded (it ended after {end} of "
                f"the {self.total} bytes it had when the upload started); the upload was stopped"
            )

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed ProgressReader")


def open_for_upload(
    path: str | os.PathLike[str],
    *,
    progress: bool | None = None,
    callback: UploadProgressCallback | None = None,
    description: str | None = None,
) -> ProgressReader:
    """Open a file for a streamed upload that reports its progress.

    The result is a context manager; leaving the ``with`` block closes the
    file and the progress bar.

    Parameters
    ----------
    path : str or os.PathLike
        The file to upload.
    progress : bool or None, optional
        Show a tqdm bar on stderr (None: only when stderr is a terminal).
    callback : callable, optional
        ``callback(bytes_done, bytes_total)``, see :class:`ProgressReader`.
    description : str, optional
        Label of the bar.

    Returns
    -------
    ProgressReader
        The open reader, positioned at the start of the file.

    Examples
    --------
    >>> with open_for_upload("job.tar.gz", progress=False) as reader:  # doctest: +SKIP
    ...     httpx.post(url, files={"0": ("job.tar.gz", reader, "application/gzip")})
    """
    handle = open(path, "rb")  # noqa: SIM115 - owned and closed by the reader
    try:
        return ProgressReader(handle, callback=callback, progress=progress, description=description)
    except BaseException:
        handle.close()
        raise


class SharedProgress:
    """One progress bar (and callback) for many uploads, as a bulk upload shows it.

    Each file's :class:`ProgressReader` gets :meth:`reader_callback`, which turns
    its position into steps of the shared count; the count is guarded by a lock,
    since the sync client uploads from several threads.

    Parameters
    ----------
    total : int
        Bytes of every file together.
    progress : bool or None
        Show a tqdm bar on stderr (None: only when stderr is a terminal).
    callback : callable, optional
        ``callback(bytes_done, bytes_total)`` for the whole run.
    description : str
        Label of the bar.
    """

    def __init__(
        self,
        total: int,
        *,
        progress: bool | None,
        callback: UploadProgressCallback | None,
        description: str,
    ) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._lock = threading.Lock()
        show = _stderr_is_tty() if progress is None else progress
        self._bar: tqdm[Any] | None = None
        if show:
            self._bar = progress_bar(total, description)

    def reader_callback(self) -> UploadProgressCallback:
        """A callback for one file's reader (a resend that rewinds it counts back)."""
        position = [0]

        def moved(done: int, _total: int) -> None:
            self.advance(done - position[0])
            position[0] = done

        return moved

    def advance(self, count: int) -> None:
        """Add ``count`` bytes (negative when a file is sent again)."""
        if not count:
            return
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(count)
            if self._callback is not None:
                self._callback(self.done, self.total)

    def close(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()

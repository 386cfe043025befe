"""Small files saved through unnamed files (Linux ``O_TMPFILE``), named once complete.

Nothing with a name exists until such a file is whole, so a failed or killed
download leaves nothing behind.  :func:`open_unnamed` creates the file in its
target directory and :func:`link_in` gives it its final name through
``/proc/self/fd``; where either is not possible :class:`_NoUnnamedFiles` is
raised and the caller uses a named temporary file instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from pathlib import Path

from ._paths import _unlink, temporary_paths
from ._resume import _O_BINARY

__all__ = ["link_in", "open_unnamed"]

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


def open_unnamed(directory: Path) -> int:
    """Open a new file with no name in ``directory``, for writing.

    Parameters
    ----------
    directory : pathlib.Path
        An existing directory.

    Returns
    -------
    int
        The file's descriptor.

    Raises
    ------
    _NoUnnamedFiles
        The system or file system has no unnamed files.
    OSError
        The file could not be created otherwise.
    """
    try:
        return os.open(directory, _O_TMPFILE | os.O_WRONLY | _O_BINARY, 0o666)
    except OSError as err:
        if err.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOSYS):
            raise _NoUnnamedFiles from err
        raise


def link_in(fd: int, final: Path) -> None:
    """Give the unnamed file ``fd`` the name ``final``, replacing a file already there.

    Parameters
    ----------
    fd : int
        A descriptor from :func:`open_unnamed`, its file complete.
    final : pathlib.Path
        The file's final path.

    Raises
    ------
    _NoUnnamedFiles
        The file cannot be named here (no ``/proc``, another file system...).
    OSError
        Linking or renaming failed otherwise.
    """
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

"""References to job files: :class:`FileReference` and :class:`FileReferenceList`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any, SupportsIndex, overload
from urllib.parse import urlsplit

from .event_id import MAX_HTML_ROWS, MAX_TEXT_ROWS, _html_table, dash, human_size
from .helpers import JobType

if TYPE_CHECKING:
    from ._job_base import JobRecord

__all__ = ["ExternalPath", "FileReference", "FileReferenceList"]


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _strip_anchor(path: str | PurePath) -> Path:
    """Make ``path`` relative by removing any root or drive (``/a/b`` → ``a/b``)."""
    as_path = Path(path)
    return as_path.relative_to(as_path.anchor) if as_path.anchor else as_path


class ExternalPath(str):
    """The "path" of an external job's file: the URL where it lives, kept exactly.

    A ``str`` (so it compares equal to the URL text, as in gwcloud-python 1.x),
    with the few ``Path`` attributes that file filters use, read from the URL's
    path part: ``https://host/run/a_corner.png`` has ``name`` ``"a_corner.png"``.
    """

    __slots__ = ()

    def _pure(self) -> PurePosixPath:
        return PurePosixPath(urlsplit(self).path or "/")

    def as_posix(self) -> str:
        """The URL itself (what ``Path.as_posix`` gives for a local path)."""
        return str(self)

    @property
    def name(self) -> str:
        """Last component of the URL's path."""
        return self._pure().name

    @property
    def stem(self) -> str:
        """:attr:`name` without its suffix."""
        return self._pure().stem

    @property
    def suffix(self) -> str:
        """Extension of :attr:`name`, with the dot (``".png"``)."""
        return self._pure().suffix

    @property
    def parts(self) -> tuple[str, ...]:
        """Components of the URL's path, without the leading ``/``."""
        return self._pure().parts[1:]

    @property
    def parent(self) -> PurePosixPath:
        """The URL's path without its last component, relative (``run`` above)."""
        parent = self._pure().parent
        return PurePosixPath(*parent.parts[1:])


def _parent_is_external(parent: object) -> bool:
    # Do not ask a job that does not know its type yet: that would list its files.
    from ._job_base import JobRecord

    if isinstance(parent, JobRecord):
        return parent.type is JobType.EXTERNAL
    is_external = getattr(parent, "is_external", None)
    return bool(callable(is_external) and is_external() is True)


class FileReference:
    """One file of a job, as listed by the server.

    Parameters
    ----------
    path : str or Path
        Path of the file within the job; any leading ``/`` is removed.  For a
        file of an external job (or any URL) it is kept exactly, as an
        :class:`ExternalPath`.
    file_size : int or str or None
        Size in bytes (the server sends a string); None when unknown, as for
        the files of external jobs.
    download_token : str or None
        Token exchanged for a download ID; None for external jobs.
    parent : BilbyJob or AsyncBilbyJob
        The job the file belongs to.
    url : str or None
        For a file of an external job, the link to where it really lives
        (defaults to ``path`` when that is a URL).

    Raises
    ------
    ValueError
        ``file_size`` is neither None nor a whole number.
    """

    __slots__ = ("download_token", "file_size", "parent", "path", "url")

    def __init__(
        self,
        path: str | PurePath,
        file_size: int | str | None,
        download_token: str | None,
        parent: JobRecord,
        url: str | None = None,
    ) -> None:
        text = path if isinstance(path, str) else None
        if text is not None and (_URL.match(text) or _parent_is_external(parent)):
            self.path: Path | ExternalPath = ExternalPath(text)
            if url is None and _URL.match(text):
                url = text
        else:
            self.path = _strip_anchor(path)
        self.file_size: int | None = None if file_size is None else int(file_size)
        self.download_token: str | None = download_token
        self.parent: JobRecord = parent
        self.url: str | None = url

    def __repr__(self) -> str:
        return f"FileReference(path={self.path.as_posix()!r}, file_size={self.file_size})"

    def __str__(self) -> str:
        return f"{self.path.as_posix()} ({human_size(self.file_size)})"

    def _repr_html_(self) -> str:
        """A one-row HTML table (path, size, job), for Jupyter; every value escaped."""
        row = [
            self.path.as_posix(),
            human_size(self.file_size),
            dash(getattr(self.parent, "job_id", None)),
        ]
        return _html_table("FileReference", ["path", "size", "job"], [row])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileReference):
            return NotImplemented
        return (
            self.path == other.path
            and self.file_size == other.file_size
            and self.download_token == other.download_token
            and self.parent == other.parent
        )

    def __hash__(self) -> int:
        return hash((self.path, self.file_size, self.download_token))


def _check(item: object) -> FileReference:
    if not isinstance(item, FileReference):
        raise TypeError(f"FileReferenceList holds only FileReference objects, not {item!r}")
    return item


class FileReferenceList(list[FileReference]):
    """A list that holds only :class:`FileReference` objects, with filtering helpers.

    Parameters
    ----------
    file_references : iterable of FileReference, optional
        Initial items; anything else raises :class:`TypeError`.
    """

    def __init__(self, file_references: Iterable[FileReference] = ()) -> None:
        super().__init__(_check(f) for f in file_references)

    def append(self, item: FileReference) -> None:
        """Append ``item`` (a :class:`FileReference`)."""
        super().append(_check(item))

    def extend(self, items: Iterable[FileReference]) -> None:
        """Append every item of ``items`` (all :class:`FileReference`)."""
        super().extend(_check(f) for f in items)

    def insert(self, index: SupportsIndex, item: FileReference) -> None:
        """Insert ``item`` before ``index``."""
        super().insert(index, _check(item))

    @overload
    def __setitem__(self, index: SupportsIndex, item: FileReference) -> None: ...

    @overload
    def __setitem__(self, index: slice, item: Iterable[FileReference]) -> None: ...

    def __setitem__(self, index: Any, item: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [_check(f) for f in item])
        else:
            super().__setitem__(index, _check(item))

    def __iadd__(self, items: Iterable[FileReference]) -> FileReferenceList:  # type: ignore[override]
        self.extend(items)
        return self

    def __add__(self, other: list[FileReference]) -> FileReferenceList:  # type: ignore[override]
        return FileReferenceList([*self, *other])

    def __repr__(self) -> str:
        # One line, bounded: a huge list must not flood a log or a traceback.
        shown = ", ".join(repr(ref) for ref in self[:MAX_TEXT_ROWS])
        extra = len(self) - MAX_TEXT_ROWS
        tail = f", ... {extra} more" if extra > 0 else ""
        return f"FileReferenceList([{shown}{tail}])"

    def _summary(self) -> str:
        count = len(self)
        noun = "file" if count == 1 else "files"
        return f"FileReferenceList: {count} {noun}, {human_size(self.get_total_bytes())}"

    def __str__(self) -> str:
        lines = [self._summary()]
        lines += [f"  {ref}" for ref in self[:MAX_TEXT_ROWS]]
        extra = len(self) - MAX_TEXT_ROWS
        if extra > 0:
            lines.append(f"  ... and {extra} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """An HTML table of at most 50 files plus an "N more" row; every value escaped."""
        rows = (
            [
                ref.path.as_posix(),
                human_size(ref.file_size),
                dash(getattr(ref.parent, "job_id", None)),
            ]
            for ref in self[:MAX_HTML_ROWS]
        )
        more = max(len(self) - MAX_HTML_ROWS, 0)
        return _html_table(self._summary(), ["path", "size", "job"], rows, more)

    def filter_list(
        self, file_filter_fn: Callable[..., Iterable[FileReference]], *args: Any, **kwargs: Any
    ) -> FileReferenceList:
        """Return the result of ``file_filter_fn(list(self), *args, **kwargs)`` as a new list.

        Parameters
        ----------
        file_filter_fn : callable
            Takes a list of :class:`FileReference` (plus ``args`` and
            ``kwargs``) and returns the ones to keep.
        """
        return FileReferenceList(file_filter_fn(list(self), *args, **kwargs))

    def filter_list_by_path(
        self,
        directory: str | None = None,
        name: str | None = None,
        extension: str | None = None,
    ) -> FileReferenceList:
        """Keep the files whose path matches every criterion given (as in 1.x).

        Parameters
        ----------
        directory : str, optional
            A directory name that must be one of the file's parent directories.
        name : str, optional
            Text that must occur in the file's stem (its name without the extension).
        extension : str, optional
            File extension with or without the dot (``"png"`` or ``".png"``).
        """
        from .file_filters import custom_path_filter

        return self.filter_list(custom_path_filter, directory, name, extension)

    @property
    def batched(self) -> dict[str, FileReferenceList]:
        """The files grouped by the ID of their job, in first-seen order."""
        groups: dict[str, FileReferenceList] = {}
        for ref in self:
            groups.setdefault(ref.parent.job_id, FileReferenceList()).append(ref)
        return groups

    def get_total_bytes(self) -> int:
        """Sum of the files' sizes in bytes (files of unknown size count as 0)."""
        return sum(ref.file_size for ref in self if ref.file_size is not None)

    def get_tokens(self) -> list[str | None]:
        """The download tokens, in order."""
        return [ref.download_token for ref in self]

    def get_paths(self) -> list[Path | ExternalPath]:
        """The file paths, in order."""
        return [ref.path for ref in self]

    def get_parent_type(self) -> list[JobType | None]:
        """The type of each file's job (normal, uploaded or external; None if unknown)."""
        return [ref.parent.type for ref in self]

"""References to job files: :class:`FileReference` and :class:`FileReferenceList`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

from .helpers import JobType

if TYPE_CHECKING:
    from ._job_base import JobRecord

__all__ = ["FileReference", "FileReferenceList"]


def _strip_anchor(path: str | Path) -> Path:
    """Make ``path`` relative by removing any root or drive (``/a/b`` → ``a/b``)."""
    as_path = Path(path)
    return as_path.relative_to(as_path.anchor) if as_path.anchor else as_path


class FileReference:
    """One file of a job, as listed by the server.

    Parameters
    ----------
    path : str or Path
        Path of the file within the job; any leading ``/`` is removed.
    file_size : int or str
        Size in bytes (the server sends a string).
    download_token : str or None
        Token exchanged for a download ID; None for external jobs.
    parent : BilbyJob or AsyncBilbyJob
        The job the file belongs to.
    url : str or None
        For a file of an external job, the link to where it really lives.
    """

    __slots__ = ("download_token", "file_size", "parent", "path", "url")

    def __init__(
        self,
        path: str | Path,
        file_size: int | str,
        download_token: str | None,
        parent: JobRecord,
        url: str | None = None,
    ) -> None:
        self.path = _strip_anchor(path)
        self.file_size = int(file_size)
        self.download_token = download_token
        self.parent = parent
        self.url = url

    def __repr__(self) -> str:
        return f"FileReference(path={self.path.as_posix()!r}, file_size={self.file_size})"

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
        """Keep the files whose path matches every criterion given.

        Parameters
        ----------
        directory : str, optional
            A directory name that must be one of the file's parent directories.
        name : str, optional
            Text that must occur in the file name.
        extension : str, optional
            File extension with or without the dot (``"png"`` or ``".png"``).
        """
        suffix = None if extension is None else "." + extension.lstrip(".")
        kept = []
        for ref in self:
            posix = PurePosixPath(ref.path.as_posix())
            if directory is not None and directory.strip("/") not in posix.parts[:-1]:
                continue
            if name is not None and name not in posix.name:
                continue
            if suffix is not None and posix.suffix != suffix:
                continue
            kept.append(ref)
        return FileReferenceList(kept)

    @property
    def batched(self) -> dict[str, FileReferenceList]:
        """The files grouped by the ID of their job, in first-seen order."""
        groups: dict[str, FileReferenceList] = {}
        for ref in self:
            groups.setdefault(ref.parent.job_id, FileReferenceList()).append(ref)
        return groups

    def get_total_bytes(self) -> int:
        """Sum of the files' sizes in bytes."""
        return sum(ref.file_size for ref in self)

    def get_tokens(self) -> list[str | None]:
        """The download tokens, in order."""
        return [ref.download_token for ref in self]

    def get_paths(self) -> list[Path]:
        """The file paths, in order."""
        return [ref.path for ref in self]

    def get_parent_type(self) -> list[JobType]:
        """The type of each file's job (normal, uploaded or external), in order."""
        return [ref.parent.job_type for ref in self]

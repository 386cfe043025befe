"""What a bulk save returns: the saved paths, and the jobs whose results live elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

__all__ = ["ExternalJob", "SavedFiles"]

_logger = logging.getLogger("gwcloud_python")
_R = TypeVar("_R")


class ExternalJob(NamedTuple):
    """A job a bulk save skipped because GWCloud holds only a link to its results.

    Attributes
    ----------
    job_id : str
        The job's ID.
    name : str
        The job's name.
    url : str
        Where its results are ("" when the server listed no link).
    """

    job_id: str
    name: str
    url: str


class SavedFiles(list[Path]):
    """The paths a bulk save wrote (a plain list of :class:`~pathlib.Path`), plus what it skipped.

    Attributes
    ----------
    external : list of ExternalJob
        Jobs whose results are kept outside GWCloud: none of their files was
        fetched; open each one's ``url`` instead.
    """

    def __init__(self, paths: Iterable[Path] = (), external: Iterable[ExternalJob] = ()) -> None:
        super().__init__(paths)
        self.external: list[ExternalJob] = list(external)


def _link(files: Iterable[object]) -> str:
    for ref in files:
        return str(getattr(ref, "url", None) or "")
    return ""


def split_external(
    jobs: Sequence[Any], lists: Sequence[Sequence[Any]]
) -> tuple[list[int], list[ExternalJob]]:
    """Tell external jobs apart: the indices of the others, and the external ones' records."""
    from .helpers import JobType

    keep: list[int] = []
    external: list[ExternalJob] = []
    for index, (job, files) in enumerate(zip(jobs, lists, strict=True)):
        if getattr(job, "_job_type", None) is JobType.EXTERNAL:
            name = str(getattr(job, "name", ""))
            external.append(ExternalJob(str(getattr(job, "job_id", "")), name, _link(files)))
        else:
            keep.append(index)
    warn_external(external)
    return keep, external


def split_external_refs(references: _R) -> tuple[_R, list[ExternalJob]]:
    """Leave out the files of external jobs when ``references`` span several jobs.

    References from one job are returned as they are, so that a single job's
    save keeps raising :class:`~gwcloud_python.ExternalFileDownloadException`
    (as in 1.x); anything that is not a list of references is left for the
    usual checks to refuse.
    """
    if not isinstance(references, (list, tuple)):
        return references, []
    groups: dict[int, list[Any]] = {}
    for ref in references:
        parent = getattr(ref, "parent", None)
        if parent is None:
            return references, []
        groups.setdefault(id(parent), []).append(ref)
    if len(groups) < 2:
        return references, []
    lists = list(groups.values())
    keep, external = split_external([files[0].parent for files in lists], lists)
    if not external:
        return references, []
    kept = [ref for index in keep for ref in lists[index]]
    return type(references)(kept) if isinstance(references, list) else tuple(kept), external  # type: ignore[return-value]


def warn_external(external: list[ExternalJob]) -> None:
    """Log one warning line naming every skipped external job and its link."""
    if external:
        shown = ", ".join(f"{job.name!r} ({job.url or 'no link listed'})" for job in external)
        _logger.warning(
            "skipped %d job(s) whose results live outside GWCloud: %s", len(external), shown
        )

"""What :meth:`~gwcloud_python.GWCloud.mirror_gwflow_files` returns: uploaded, skipped, failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ._gwflow_display import count, limited, table
from .event_id import MAX_TEXT_ROWS, dash, human_size
from .gwflow_pending_file import GWFlowPendingFile

__all__ = ["GWFlowMirrorSummary", "MirroredFile", "UnmirroredFile"]


class MirroredFile(NamedTuple):
    """A pending file whose bytes were uploaded.

    Attributes
    ----------
    record : GWFlowPendingFile
        The file as the service listed it.
    path : Path
        The local file that was sent.
    size : int
        How many bytes the service stored.
    """

    record: GWFlowPendingFile
    path: Path
    size: int


class UnmirroredFile(NamedTuple):
    """A pending file that was not uploaded, and why.

    Attributes
    ----------
    record : GWFlowPendingFile
        The file as the service listed it.
    reason : str
        One line: no local copy, a local md5 that differs from the registered
        one, an unsafe path, or the service's error.
    """

    record: GWFlowPendingFile
    reason: str


def _where(record: GWFlowPendingFile) -> str:
    place = f"{record.analysis_uid}/{record.path}" if record.analysis_uid else record.path
    return f"{record.sname} {place}"


@dataclass(repr=False)
class GWFlowMirrorSummary:
    """The outcome of one mirror run, file by file, in the service's order.

    Attributes
    ----------
    uploaded : list of MirroredFile
        Files now in GWCloud.
    skipped : list of UnmirroredFile
        Files left pending because no matching local copy was found (missing,
        not a file, md5 differs from the registered one, unsafe path).  Nothing
        was sent for them.
    failed : list of UnmirroredFile
        Files whose upload the service refused or that failed in transit; they
        stay pending and a later run tries again.

    Notes
    -----
    ``str(summary)`` is the one-line count (``2 uploaded, 1 skipped, 0 failed``)
    a log wants; :meth:`describe` adds every skipped or failed file with its
    reason; in Jupyter it renders as a table of every file and its outcome.
    """

    uploaded: list[MirroredFile] = field(default_factory=list)
    skipped: list[UnmirroredFile] = field(default_factory=list)
    failed: list[UnmirroredFile] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.uploaded)} uploaded, {len(self.skipped)} skipped, {len(self.failed)} failed"
        )

    def __repr__(self) -> str:
        return f"GWFlowMirrorSummary({self})"

    def describe(self) -> str:
        """The counts, then the first uploads and every skipped or failed file with its reason.

        Returns
        -------
        str
            Several lines for a person to read (at most ten files per group, then
            ``... and N more``).
        """
        total = sum(item.size for item in self.uploaded)
        lines = [f"GWFlowMirrorSummary: {self} ({human_size(total)} uploaded)"]
        groups: list[tuple[str, list[str]]] = [
            ("uploaded", [f"{_where(i.record)} ({human_size(i.size)})" for i in self.uploaded]),
            ("skipped", [f"{_where(i.record)}: {i.reason}" for i in self.skipped]),
            ("failed", [f"{_where(i.record)}: {i.reason}" for i in self.failed]),
        ]
        for title, entries in groups:
            if not entries:
                continue
            lines.append(f"  {title}:")
            lines += [f"    {entry}" for entry in entries[:MAX_TEXT_ROWS]]
            if len(entries) > MAX_TEXT_ROWS:
                lines.append(f"    ... and {len(entries) - MAX_TEXT_ROWS} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A table of the files and their outcomes (failed first), for Jupyter; escaped."""
        rows: list[list[str]] = [
            ["failed", _where(i.record), "-", dash(i.reason)] for i in self.failed
        ]
        rows += [["skipped", _where(i.record), "-", dash(i.reason)] for i in self.skipped]
        rows += [["uploaded", _where(i.record), human_size(i.size), ""] for i in self.uploaded]
        shown, more = limited(rows)
        caption = f"GWFlowMirrorSummary: {self} ({count(len(rows), 'file')})"
        return table(caption, ["outcome", "file", "size", "reason"], shown, more)

"""How GWFlow objects read as text and as HTML tables (Jupyter), issue #23.

The GWFlow dataclasses keep gwcloud-python 3.0.0's fields, equality and
``from_dict``; what they gain here is only presentation.  Every value comes
from the service, so the HTML goes through :func:`~gwcloud_python.event_id._html_table`,
which escapes each caption, header and cell.  Long lists are cut (at most
:data:`~gwcloud_python.event_id.MAX_TEXT_ROWS` lines of text and
:data:`~gwcloud_python.event_id.MAX_HTML_ROWS` table rows, then a "more" line),
so a job with thousands of files renders quickly and never floods a notebook.
Download tokens are never shown: they are permanent credentials for a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from .event_id import MAX_HTML_ROWS, MAX_TEXT_ROWS, _html_table, dash, human_size, yes_no

__all__ = [
    "FileLike",
    "PendingLike",
    "bounded_repr",
    "count",
    "field_lines",
    "file_cells",
    "files_html",
    "files_summary",
    "files_text",
    "limited",
    "pending_cells",
    "pending_html",
    "pending_text",
    "table",
    "when",
]

_T = TypeVar("_T")

#: Columns of a GWFlow file table.
FILE_HEADER = ["analysis", "path", "size", "uploaded"]
#: Columns of a pending-file table.
PENDING_HEADER = ["sname", "analysis", "path", "md5"]


class FileLike(Protocol):
    """What a file table reads of a :class:`~gwcloud_python.gwflow_file.GWFlowFile`."""

    analysis_uid: str
    path: str
    file_size: int | None
    uploaded: bool


class PendingLike(Protocol):
    """What a pending table reads of a pending file (``GWFlowPendingFile``)."""

    sname: str
    analysis_uid: str
    path: str
    md5_sum: str | None


def count(n: int, noun: str) -> str:
    """``"1 file"``, ``"3 files"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def when(value: datetime | str | None) -> str:
    """A time as ``2026-01-01 10:00:00+00:00``; ``"-"`` when unknown."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return dash(value)


def field_lines(title: str, rows: Iterable[tuple[str, str]]) -> list[str]:
    """A title line and one indented ``label: value`` line per row."""
    return [title] + [f"  {label + ':':<12} {text}" for label, text in rows]


def bounded_repr(items: Sequence[Any], render: Callable[[Any], str]) -> str:
    """``[a, b, ... N more]``: at most ten items, on one line."""
    shown = ", ".join(render(item) for item in items[:MAX_TEXT_ROWS])
    extra = len(items) - MAX_TEXT_ROWS
    return f"[{shown}{f', ... {extra} more' if extra > 0 else ''}]"


def _more(items: Sequence[Any], limit: int) -> int:
    return max(len(items) - limit, 0)


# --------------------------------------------------------------------------- files


def _location(item: FileLike | PendingLike) -> str:
    return f"{item.analysis_uid}/{item.path}" if item.analysis_uid else item.path


def files_summary(files: Sequence[FileLike], label: str = "GWFlow files") -> str:
    """``"GWFlow files: 3 files, 1.5 MiB (2 uploaded)"``: count, total size, uploaded."""
    sizes = [f.file_size for f in files if f.file_size is not None]
    total = human_size(sum(sizes)) if sizes or not files else "size unknown"
    uploaded = sum(1 for f in files if f.uploaded)
    return f"{label}: {count(len(files), 'file')}, {total} ({uploaded} uploaded)"


def file_cells(item: FileLike) -> list[str]:
    """One row of a file table: analysis, path, size, uploaded."""
    return [
        dash(item.analysis_uid),
        dash(item.path),
        human_size(item.file_size),
        yes_no(item.uploaded),
    ]


def files_text(files: Sequence[FileLike], label: str = "GWFlow files") -> str:
    """The summary line, then the first ten files as ``analysis/path (size)``."""
    lines = [files_summary(files, label)]
    for item in files[:MAX_TEXT_ROWS]:
        state = "" if item.uploaded else ", pending"
        lines.append(f"  {_location(item)} ({human_size(item.file_size)}{state})")
    extra = _more(files, MAX_TEXT_ROWS)
    if extra:
        lines.append(f"  ... and {extra} more")
    return "\n".join(lines)


def files_html(files: Sequence[FileLike], label: str = "GWFlow files") -> str:
    """An escaped table of at most 50 files plus an "N more" row."""
    rows = (file_cells(item) for item in files[:MAX_HTML_ROWS])
    return _html_table(files_summary(files, label), FILE_HEADER, rows, _more(files, MAX_HTML_ROWS))


# --------------------------------------------------------------------------- pending


def pending_cells(item: PendingLike) -> list[str]:
    """One row of a pending table: sname, analysis, path, md5."""
    return [dash(item.sname), dash(item.analysis_uid), dash(item.path), dash(item.md5_sum)]


def pending_text(files: Sequence[PendingLike], label: str = "GWFlow pending files") -> str:
    """A count line, then the first ten files as ``sname analysis/path``."""
    lines = [f"{label}: {count(len(files), 'file')}"]
    lines += [f"  {dash(item.sname)} {_location(item)}" for item in files[:MAX_TEXT_ROWS]]
    extra = _more(files, MAX_TEXT_ROWS)
    if extra:
        lines.append(f"  ... and {extra} more")
    return "\n".join(lines)


def pending_html(files: Sequence[PendingLike], label: str = "GWFlow pending files") -> str:
    """An escaped table of at most 50 pending files plus an "N more" row."""
    rows = (pending_cells(item) for item in files[:MAX_HTML_ROWS])
    caption = f"{label}: {count(len(files), 'file')}"
    return _html_table(caption, PENDING_HEADER, rows, _more(files, MAX_HTML_ROWS))


def table(caption: str, header: list[str], rows: Iterable[list[str]], more: int = 0) -> str:
    """The shared escaped HTML table (:func:`~gwcloud_python.event_id._html_table`)."""
    return _html_table(caption, header, rows, more)


def limited(items: Sequence[_T], limit: int = MAX_HTML_ROWS) -> tuple[Sequence[_T], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], _more(items, limit)

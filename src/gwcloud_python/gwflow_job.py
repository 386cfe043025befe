"""A GWFlow job, one superevent's tracked analyses (``from gwcloud_python.gwflow_job ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._gwflow_display import (
    bounded_repr,
    count,
    field_lines,
    files_html,
    files_summary,
    limited,
    table,
    when,
)
from ._gwflow_wire import decode_libraries, parse_time, pick
from .event_id import MAX_HTML_ROWS, MAX_TEXT_ROWS, dash, human_size, yes_no
from .gwflow_event_id import GWFlowEventID
from .gwflow_file import GWFlowFile, GWFlowFileList
from .gwflow_linked_bilby_job import GWFlowLinkedBilbyJob

__all__ = ["GWFlowJob", "GWFlowJobList"]

#: Files a job's text lists under its summary line.
_TEXT_FILES = 5


@dataclass(repr=False)
class GWFlowJob:
    """A GWFlow job, as :meth:`~gwcloud_python.GWCloud.get_gwflow_job` or the list gives it.

    :meth:`from_dict` (which the client uses) decodes what the service sends:
    ``libraries`` becomes a list of names and the three times become
    :class:`~datetime.datetime` objects.  The constructor stores what it is given.

    Parameters
    ----------
    id : str
        The job's ID (``GWFlowJob:<pk>``), which ``get_gwflow_job(job_id=...)`` takes.
    sname : str
        Its superevent name, ``S230101a``.
    schema_version : str
        The version of the metadata schema; ``""`` when never set.
    libraries : list of str
        The cbcflow libraries the job comes from.  (gwcloud-python 3.0.0 gives the
        service's raw JSON text here.)
    is_pruned : bool
        Whether the job was pruned (it left the source library).
    current_history_id : str
        The library commit the job was last read at; ``""`` when never set.
    current_history_timestamp : datetime or None
        When that commit was made.
    last_updated : datetime or None
        When the job last changed in GWCloud (aware, UTC).
    creation_time : datetime or None, optional
        When it was created; None in listings, which do not ask for it.
    event_id : GWFlowEventID or None, optional
        The event it is linked to.
    files : list of GWFlowFile, optional
        Its registered files (only :meth:`~gwcloud_python.GWCloud.get_gwflow_job` fills it).
    bilby_jobs : list of GWFlowLinkedBilbyJob, optional
        The linked Bilby jobs the caller may see (only ``get_gwflow_job`` fills it).

    Notes
    -----
    ``print(job)`` shows the sname, pruned state, libraries, event, the files'
    count, total size and first paths, and the linked Bilby jobs; in Jupyter
    the job renders as tables (its fields, :attr:`files`, the linked jobs).
    Its ``repr`` is one bounded line (sname, ID and counts), unlike a plain
    dataclass's, which would list every file.
    """

    id: str
    sname: str
    schema_version: str
    libraries: list[str]
    is_pruned: bool
    current_history_id: str
    current_history_timestamp: datetime | None
    last_updated: datetime | None
    creation_time: datetime | None = None
    event_id: GWFlowEventID | None = None
    files: list[GWFlowFile] = field(default_factory=list)
    bilby_jobs: list[GWFlowLinkedBilbyJob] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GWFlowJob:
        """Build one from the service's JSON, with camelCase or snake_case keys.

        Raises
        ------
        ValidationError
            A time or ``libraries`` is in no spelling the service uses.
        """
        event = pick(d, "eventId", "event_id")
        files = d.get("files") or []
        linked = pick(d, "bilbyJobs", "bilby_jobs") or []
        return cls(
            id=d.get("id"),  # type: ignore[arg-type]
            sname=d.get("sname"),  # type: ignore[arg-type]
            schema_version=pick(d, "schemaVersion", "schema_version"),
            libraries=decode_libraries(d.get("libraries")),
            is_pruned=pick(d, "isPruned", "is_pruned"),
            current_history_id=pick(d, "currentHistoryId", "current_history_id"),
            current_history_timestamp=parse_time(
                pick(d, "currentHistoryTimestamp", "current_history_timestamp"),
                "current_history_timestamp",
            ),
            last_updated=parse_time(pick(d, "lastUpdated", "last_updated"), "last_updated"),
            creation_time=parse_time(pick(d, "creationTime", "creation_time"), "creation_time"),
            event_id=GWFlowEventID.from_dict(event) if event else None,
            bilby_jobs=[GWFlowLinkedBilbyJob.from_dict(j) for j in linked if j is not None],
            files=GWFlowFileList(GWFlowFile.from_dict(f) for f in files if f is not None),
        )

    def __repr__(self) -> str:
        return (
            f"GWFlowJob(sname={self.sname!r}, id={self.id!r}, is_pruned={self.is_pruned!r},"
            f" files={count(len(self.files), 'file')}, bilby_jobs={len(self.bilby_jobs)})"
        )

    def _display_rows(self) -> list[tuple[str, str]]:
        """The (label, text) pairs :meth:`__str__` and :meth:`_repr_html_` show."""
        return [
            ("sname", dash(self.sname)),
            ("id", dash(self.id)),
            ("pruned", yes_no(self.is_pruned)),
            ("libraries", ", ".join(str(name) for name in self.libraries or []) or "-"),
            ("event", dash(self.event_id)),
            ("updated", when(self.last_updated)),
            ("created", when(self.creation_time)),
            ("history", dash(self.current_history_id)),
            ("files", files_summary(self.files, "").removeprefix(": ")),
            ("bilby jobs", f"{len(self.bilby_jobs)} linked"),
        ]

    def __str__(self) -> str:
        under: dict[str, list[str]] = {"files": [], "bilby jobs": []}
        for item in self.files[:_TEXT_FILES]:
            where = f"{item.analysis_uid}/{item.path}" if item.analysis_uid else item.path
            under["files"].append(f"{where} ({human_size(item.file_size)})")
        if len(self.files) > _TEXT_FILES:
            under["files"].append(f"... and {len(self.files) - _TEXT_FILES} more")
        under["bilby jobs"] = [str(linked) for linked in self.bilby_jobs[:MAX_TEXT_ROWS]]
        lines = [f"GWFlowJob {self.sname}"]
        for label, text in self._display_rows():
            lines += field_lines("", [(label, text)])[1:]
            lines += [f"{'':15}{extra}" for extra in under.get(label, [])]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Tables for Jupyter: the job's fields, its files, its linked Bilby jobs (escaped)."""
        parts = [table(f"GWFlowJob {self.sname}", [], [[k, v] for k, v in self._display_rows()])]
        if self.files:
            parts.append(files_html(self.files, "files"))
        if self.bilby_jobs:
            shown, more = limited(self.bilby_jobs)
            rows = ([dash(b.name), dash(b.id), dash(b.gwflow_analysis_uid)] for b in shown)
            caption = f"linked Bilby jobs: {len(self.bilby_jobs)}"
            parts.append(table(caption, ["name", "id", "analysis"], rows, more))
        return "".join(parts)


_LIST_HEADER = ["sname", "pruned", "event", "libraries", "updated"]


def _list_cells(job: GWFlowJob) -> list[str]:
    return [
        dash(job.sname),
        yes_no(job.is_pruned),
        dash(job.event_id.event_id if job.event_id is not None else None),
        ", ".join(str(name) for name in job.libraries or []) or "-",
        when(job.last_updated),
    ]


class GWFlowJobList(list[GWFlowJob]):
    """A plain ``list`` of :class:`GWFlowJob`: what ``get_gwflow_job_list`` returns.

    Equality, slicing and ``isinstance(x, list)`` behave as for a list; it
    prints as a text table (sname, pruned, event, libraries, last update) and
    renders as an HTML table in Jupyter.
    """

    def __repr__(self) -> str:
        return "GWFlowJobList(" + bounded_repr(self, lambda job: repr(job.sname)) + ")"

    def __str__(self) -> str:
        rows = [_list_cells(job) for job in self[:MAX_HTML_ROWS]]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(_LIST_HEADER)]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        lines = [f"GWFlowJobList: {count(len(self), 'job')}", line(_LIST_HEADER)]
        lines.append(line(["-" * w for w in widths]))
        lines += [line(r) for r in rows]
        if len(self) > MAX_HTML_ROWS:
            lines.append(f"... and {len(self) - MAX_HTML_ROWS} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """An HTML table of at most 50 jobs plus an "N more" row; every value escaped."""
        shown, more = limited(self)
        rows = ([dash(job.id), *_list_cells(job)] for job in shown)
        caption = f"GWFlowJobList: {count(len(self), 'job')}"
        return table(caption, ["id", *_LIST_HEADER], rows, more)

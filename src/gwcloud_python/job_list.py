"""A list of jobs that reads well in a terminal and in Jupyter: :class:`JobList`."""

from __future__ import annotations

from typing import Any, TypeVar

from ._job_base import JobRecord
from .event_id import MAX_HTML_ROWS, _html_table, dash, yes_no

__all__ = ["JobList"]

_J = TypeVar("_J", bound=JobRecord)

_HEADER = ["name", "status", "event", "user", "private"]
#: Widest a text-table column gets before its cells are cut.
_MAX_WIDTH = 40
#: Most jobs the text table lists before "... and N more".
_MAX_TEXT_JOBS = 50


def _cells(job: JobRecord) -> list[str]:
    event = job.event_id
    return [
        dash(job.name),
        dash(job.status.status if job.status is not None else None),
        dash(event.event_id if event is not None else None),
        dash(job.user),
        yes_no(job.private),
    ]


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_WIDTH else flat[: _MAX_WIDTH - 3] + "..."


class JobList(list[_J]):
    """A plain ``list`` of jobs with a readable text table, an HTML table and ``to_pandas``.

    It is still a ``list`` (equality, slicing, ``isinstance(x, list)`` behave as
    before); ``JobList[BilbyJob]`` names a list of :class:`BilbyJob`.

    Parameters
    ----------
    jobs : iterable of BilbyJob or AsyncBilbyJob, optional
        The jobs, in order.
    """

    def __str__(self) -> str:
        rows = [[_cut(c) for c in _cells(job)] for job in self[:_MAX_TEXT_JOBS]]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(_HEADER)]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        noun = "job" if len(self) == 1 else "jobs"
        lines = [f"JobList: {len(self)} {noun}", line(_HEADER)]
        lines.append(line(["-" * w for w in widths]))
        lines += [line(r) for r in rows]
        extra = len(self) - _MAX_TEXT_JOBS
        if extra > 0:
            lines.append(f"... and {extra} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """An HTML table of at most 50 jobs plus an "N more" row; every value escaped."""
        rows = ([dash(job.job_id), *_cells(job)] for job in self[:MAX_HTML_ROWS])
        more = max(len(self) - MAX_HTML_ROWS, 0)
        noun = "job" if len(self) == 1 else "jobs"
        return _html_table(f"JobList: {len(self)} {noun}", ["id", *_HEADER], rows, more)

    def to_pandas(self) -> Any:
        """Return the jobs as a ``pandas.DataFrame``, one row per job, with typed columns.

        Columns: ``job_id``, ``name``, ``status``, ``event_id``, ``user`` and
        ``description`` (pandas ``"string"`` dtype, missing values as ``<NA>``),
        ``private`` (pandas ``"boolean"``, which allows a missing value) and
        ``creation_time`` (``datetime64``; ``NaT`` when unknown).

        Returns
        -------
        pandas.DataFrame
            The table.

        Raises
        ------
        ImportError
            pandas is not installed (it is optional; ``pip install pandas``).
        """
        try:
            import pandas  # type: ignore[import-untyped,unused-ignore]
        except ImportError as exc:
            raise ImportError(
                "JobList.to_pandas needs pandas, which is optional: pip install pandas"
            ) from exc
        text_columns: dict[str, list[str | None]] = {
            "job_id": [job.job_id for job in self],
            "name": [job.name for job in self],
            "status": [job.status.status if job.status is not None else None for job in self],
            "event_id": [
                job.event_id.event_id if job.event_id is not None else None for job in self
            ],
            "user": [job.user for job in self],
            "description": [job.description for job in self],
        }
        data: dict[str, Any] = {
            name: pandas.Series(values, dtype="string") for name, values in text_columns.items()
        }
        data["private"] = pandas.Series([job.private for job in self], dtype="boolean")
        data["creation_time"] = pandas.to_datetime(
            pandas.Series([job.creation_time for job in self], dtype="object"), utc=True
        )
        return pandas.DataFrame(data)

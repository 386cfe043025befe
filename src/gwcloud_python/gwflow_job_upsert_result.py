"""What an upsert answers (``from gwcloud_python.gwflow_job_upsert_result import ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._gwflow_display import count, field_lines, pending_html, pending_text, table
from ._gwflow_wire import normalise_gwflow_job_id, pick
from .event_id import dash, yes_no
from .gwflow_pending_file import GWFlowPendingFile, GWFlowPendingFileList

__all__ = ["GWFlowJobUpsertResult"]


@dataclass(repr=False)
class GWFlowJobUpsertResult:
    """The answer of :meth:`~gwcloud_python.GWCloud.upsert_gwflow_job`.

    Parameters
    ----------
    job_id : str
        The job's ID, in the spelling reads use (``GWFlowJob:<pk>``), so that
        ``get_gwflow_job(job_id=result.job_id)`` finds it.  The service itself
        answers ``GWFlowJobNode:<pk>``, which no read accepts; it is re-encoded.
    sname : str
        The job's superevent name.
    created : bool
        Whether this call created the job.
    files_pending : list of GWFlowPendingFile
        Every file of the job still waiting for its bytes, this call's new or
        changed files and earlier ones alike.
    removed_files : list of GWFlowPendingFile, optional
        The files this call removed because ``files`` no longer listed them
        (with their old IDs and md5 sums).  The service sends this list; the
        gwcloud-python 3.0.0 client drops it.

    Notes
    -----
    ``print(result)`` shows the sname, whether the job was created, its ID and
    the pending and removed files (count and first paths); in Jupyter it
    renders as tables.  Its ``repr`` is one bounded line.
    """

    job_id: str
    sname: str
    created: bool
    files_pending: list[GWFlowPendingFile]
    removed_files: list[GWFlowPendingFile] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GWFlowJobUpsertResult:
        """Build one from the service's ``result`` JSON, camelCase or snake_case keys."""
        pending = pick(d, "filesPending", "files_pending") or []
        removed = pick(d, "removedFiles", "removed_files") or []
        raw_id = pick(d, "gwflowJobId", "gwflow_job_id")
        if raw_id is None:
            raw_id = d.get("job_id")
        return cls(
            job_id=normalise_gwflow_job_id(str(raw_id)),
            sname=d.get("sname"),  # type: ignore[arg-type]
            created=d.get("created"),  # type: ignore[arg-type]
            files_pending=GWFlowPendingFileList(
                GWFlowPendingFile.from_dict(f) for f in pending if f is not None
            ),
            removed_files=GWFlowPendingFileList(
                GWFlowPendingFile.from_dict(f) for f in removed if f is not None
            ),
        )

    def __repr__(self) -> str:
        return (
            f"GWFlowJobUpsertResult(job_id={self.job_id!r}, sname={self.sname!r},"
            f" created={self.created!r}, files_pending={count(len(self.files_pending), 'file')},"
            f" removed_files={count(len(self.removed_files), 'file')})"
        )

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            ("sname", dash(self.sname)),
            ("job id", dash(self.job_id)),
            ("created", yes_no(self.created)),
            ("pending", count(len(self.files_pending), "file")),
            ("removed", count(len(self.removed_files), "file")),
        ]

    def __str__(self) -> str:
        lists = {"pending": self.files_pending, "removed": self.removed_files}
        lines = [f"GWFlowJobUpsertResult {self.sname}"]
        for label, text in self._display_rows():
            lines += field_lines("", [(label, text)])[1:]
            files = lists.get(label)
            if files:
                lines += [f"{'':13}{line}" for line in pending_text(files, label).splitlines()[1:]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Tables for Jupyter: the result, its pending and its removed files (escaped)."""
        rows = [[k, v] for k, v in self._display_rows()]
        parts = [table(f"GWFlowJobUpsertResult {self.sname}", [], rows)]
        if self.files_pending:
            parts.append(pending_html(self.files_pending, "pending"))
        if self.removed_files:
            parts.append(pending_html(self.removed_files, "removed"))
        return "".join(parts)

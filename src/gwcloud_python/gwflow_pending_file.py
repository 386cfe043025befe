"""A GWFlow file waiting for its bytes (``from gwcloud_python.gwflow_pending_file import ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._gwflow_display import bounded_repr, pending_cells, pending_html, pending_text, table
from ._gwflow_wire import pick

__all__ = ["GWFlowPendingFile", "GWFlowPendingFileList"]


@dataclass
class GWFlowPendingFile:
    """A registered GWFlow file that has not been uploaded yet (or was removed).

    Parameters
    ----------
    id : str
        The file's ID, to pass to :meth:`~gwcloud_python.GWCloud.upload_gwflow_file`.
    sname : str
        The superevent name of its job.
    analysis_uid : str
        The analysis it belongs to; ``""`` for superevent-level files.
    path : str
        Its path as registered.
    file_name : str
        Its name.
    md5_sum : str or None, optional
        The md5 registered for it; the upload must match it.  ``""`` or None when
        none was registered.
    """

    id: str
    sname: str
    analysis_uid: str
    path: str
    file_name: str
    md5_sum: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GWFlowPendingFile:
        """Build one from the service's JSON, with camelCase or snake_case keys."""
        return cls(
            id=d.get("id"),  # type: ignore[arg-type]
            sname=d.get("sname"),  # type: ignore[arg-type]
            analysis_uid=pick(d, "analysisUid", "analysis_uid"),
            path=d.get("path"),  # type: ignore[arg-type]
            file_name=pick(d, "fileName", "file_name"),
            md5_sum=pick(d, "md5Sum", "md5_sum"),
        )

    def __str__(self) -> str:
        """``sname analysis/path``: which job's file, and where in it."""
        where = f"{self.analysis_uid}/{self.path}" if self.analysis_uid else self.path
        return f"{self.sname} {where}"

    def _repr_html_(self) -> str:
        """A one-row HTML table, for Jupyter; every value escaped."""
        return table(
            "GWFlowPendingFile", ["sname", "analysis", "path", "md5"], [pending_cells(self)]
        )


class GWFlowPendingFileList(list[GWFlowPendingFile]):
    """A plain ``list`` of :class:`GWFlowPendingFile` that reads well.

    :meth:`~gwcloud_python.GWCloud.get_gwflow_pending_files` and the lists of a
    :class:`~gwcloud_python.gwflow_job_upsert_result.GWFlowJobUpsertResult` are
    of this type; equality, slicing and ``isinstance(x, list)`` behave as for a
    list.
    """

    def __repr__(self) -> str:
        return "GWFlowPendingFileList(" + bounded_repr(self, lambda f: repr(str(f))) + ")"

    def __str__(self) -> str:
        return pending_text(self, "GWFlowPendingFileList")

    def _repr_html_(self) -> str:
        """An HTML table of at most 50 files plus an "N more" row; every value escaped."""
        return pending_html(self, "GWFlowPendingFileList")

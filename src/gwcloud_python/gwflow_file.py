"""One registered file of a GWFlow job (``from gwcloud_python.gwflow_file import ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._gwflow_display import bounded_repr, file_cells, files_html, files_text, table
from ._gwflow_wire import pick
from .event_id import human_size

__all__ = ["GWFlowFile", "GWFlowFileList"]


@dataclass
class GWFlowFile:
    """A file in a GWFlow job's manifest, uploaded or still pending.

    Parameters
    ----------
    id : str
        The file's ID, good for :meth:`~gwcloud_python.GWCloud.upload_gwflow_file`.
    analysis_uid : str
        The analysis it belongs to; ``""`` for superevent-level files.
    path : str
        Its path as registered (the manifest's key, with ``analysis_uid``).
    file_name : str
        Its name.
    file_size : int or None
        Its size in bytes; None until a size is known.
    uploaded : bool
        Whether its bytes are in GWCloud (only then can it be downloaded).
    download_token : str
        The permanent token :meth:`~gwcloud_python.GWCloud.download_gwflow_file` takes.
    """

    id: str
    analysis_uid: str
    path: str
    file_name: str
    file_size: int | None
    uploaded: bool
    download_token: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GWFlowFile:
        """Build one from the service's JSON, with camelCase or snake_case keys.

        A present falsy value (``fileSize: 0``, ``analysisUid: ""``) is kept.
        """
        size = pick(d, "fileSize", "file_size")
        return cls(
            id=d.get("id"),  # type: ignore[arg-type]
            analysis_uid=pick(d, "analysisUid", "analysis_uid"),
            path=d.get("path"),  # type: ignore[arg-type]
            file_name=pick(d, "fileName", "file_name"),
            file_size=None if size is None else int(size),
            uploaded=d.get("uploaded"),  # type: ignore[arg-type]
            download_token=pick(d, "downloadToken", "download_token"),
        )

    def __str__(self) -> str:
        """``analysis/path (size)``, with ``, pending`` until the bytes are uploaded."""
        where = f"{self.analysis_uid}/{self.path}" if self.analysis_uid else self.path
        state = "" if self.uploaded else ", pending"
        return f"{where} ({human_size(self.file_size)}{state})"

    def _repr_html_(self) -> str:
        """A one-row HTML table (no download token), for Jupyter; every value escaped."""
        return table("GWFlowFile", ["analysis", "path", "size", "uploaded"], [file_cells(self)])


class GWFlowFileList(list[GWFlowFile]):
    """A plain ``list`` of :class:`GWFlowFile` that reads well (``GWFlowJob.files``).

    Equality, slicing and ``isinstance(x, list)`` behave as for a list.  Text
    and HTML show the count, the total size, how many are uploaded and the
    first paths; its ``repr`` stays on one bounded line.
    """

    def __repr__(self) -> str:
        return "GWFlowFileList(" + bounded_repr(self, lambda f: repr(f.path)) + ")"

    def __str__(self) -> str:
        return files_text(self, "GWFlowFileList")

    def _repr_html_(self) -> str:
        """An HTML table of at most 50 files plus an "N more" row; every value escaped."""
        return files_html(self, "GWFlowFileList")

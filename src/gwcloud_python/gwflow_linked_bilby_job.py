"""A Bilby job linked to a GWFlow analysis (``from gwcloud_python.gwflow_linked_bilby_job ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._gwflow_wire import pick

__all__ = ["GWFlowLinkedBilbyJob"]


@dataclass
class GWFlowLinkedBilbyJob:
    """A Bilby job that :meth:`~gwcloud_python.GWCloud.link_bilby_job_to_gwflow` linked.

    Parameters
    ----------
    id : str
        The Bilby job's ID (``BilbyJob.job_id``).
    name : str
        Its name.
    gwflow_analysis_uid : str or None
        The analysis of the GWFlow job it is linked to.
    """

    id: str
    name: str
    gwflow_analysis_uid: str | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GWFlowLinkedBilbyJob:
        """Build one from the service's JSON, with camelCase or snake_case keys."""
        return cls(
            id=d.get("id"),  # type: ignore[arg-type]
            name=d.get("name"),  # type: ignore[arg-type]
            gwflow_analysis_uid=pick(d, "gwflowAnalysisUid", "gwflow_analysis_uid"),
        )

    def __str__(self) -> str:
        """``name (id) -> analysis``."""
        return f"{self.name} ({self.id}) -> {self.gwflow_analysis_uid or '-'}"

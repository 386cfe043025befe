"""Small value types: :class:`TimeRange`, :class:`Cluster`, :class:`JobStatus`, :class:`JobType`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, IntEnum

__all__ = ["Cluster", "JobStatus", "JobType", "TimeRange"]


class TimeRange(Enum):
    """Creation-time windows understood by the public job search.

    The values are the strings the server expects; anywhere a ``TimeRange``
    is accepted its value (``"all"``, ``"1d"``, ``"1w"``, ``"1m"``, ``"1y"``)
    is accepted too.
    """

    ANY = "all"
    DAY = "1d"
    WEEK = "1w"
    MONTH = "1m"
    YEAR = "1y"


class Cluster(Enum):
    """Compute clusters a job can be submitted to (``DEFAULT`` lets the server choose)."""

    DEFAULT = None
    OZSTAR = "ozstar"
    CIT = "cit"


class JobType(IntEnum):
    """How a job came to GWCloud, as ``bilbyResultFiles.jobType`` reports it."""

    NORMAL = 0
    UPLOADED = 1
    EXTERNAL = 2


@dataclass(frozen=True)
class JobStatus:
    """The state of a job and when it was reached.

    Parameters
    ----------
    status : str
        Status name, e.g. ``"Completed"``.
    date : datetime or str or None
        When the status was reached; parsed from ISO-8601 when possible,
        otherwise kept as the server's string.
    number : int or None
        The server's numeric status code (``500`` for completed).
    """

    status: str
    date: datetime | str | None = None
    number: int | None = None

    def __str__(self) -> str:
        return self.status

    @classmethod
    def _from_parts(cls, name: str | None, date: str | None, number: int | None) -> JobStatus:
        parsed: datetime | str | None = date
        if date:
            try:
                parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
            except ValueError:
                parsed = date
        return cls(status=name or "Unknown", date=parsed, number=number)

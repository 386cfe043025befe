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

    def __eq__(self, other: object) -> bool:
        # As in 1.x, a status is its name and date; the numeric code (which 1.x did not
        # have) is left out, and a date given as ISO text equals the same date parsed.
        if not isinstance(other, JobStatus):
            return NotImplemented
        return self.status == other.status and _comparable(self.date) == _comparable(other.date)

    def __hash__(self) -> int:
        return hash((self.status, _comparable(self.date)))

    @classmethod
    def _from_parts(cls, name: str | None, date: str | None, number: int | None) -> JobStatus:
        parsed: datetime | str | None = date
        if date:
            parsed = parse_datetime(date) or date
        return cls(status=name or "Unknown", date=parsed, number=number)


def parse_datetime(text: object) -> datetime | None:
    """Parse a server timestamp (ISO-8601, ``Z`` or a trailing ``UTC``); None if it is not one.

    Parameters
    ----------
    text : object
        A ``datetime`` (returned as is) or the server's text, such as
        ``"2026-01-01T00:00:00+00:00"`` or ``"2026-01-01 00:00:00 UTC"``.

    Returns
    -------
    datetime or None
        The parsed time, or None when ``text`` is not a timestamp.
    """
    if isinstance(text, datetime):
        return text
    if not isinstance(text, str) or not text.strip():
        return None
    cleaned = text.strip()
    if cleaned.endswith(" UTC"):
        cleaned = cleaned[: -len(" UTC")] + "+00:00"
    elif cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        return None


def _comparable(date: datetime | str | None) -> datetime | str | None:
    if isinstance(date, str):
        return parse_datetime(date) or date
    return date

"""Search terms and time ranges of ``publicBilbyJobs`` as SQL conditions."""

from __future__ import annotations

import time
from typing import Any

from .errors import ServiceError

__all__ = ["MAX_SEARCH_TERMS", "MAX_SEARCH_TERM_LENGTH", "search_sql", "time_range_sql"]

_TIME_RANGES = {
    "all": None,
    "1d": 86400.0,
    "1w": 7 * 86400.0,
    "1m": 31 * 86400.0,
    "1y": 366 * 86400.0,
}

_LABEL = (
    "EXISTS (SELECT 1 FROM job_labels jl JOIN labels l ON l.id = jl.label_id"
    " WHERE jl.job_id = j.id AND l.name LIKE ? ESCAPE '\\')"
)
_FIELDS: dict[str, list[str]] = {
    "name": ["j.name LIKE ? ESCAPE '\\'"],
    "description": ["j.description LIKE ? ESCAPE '\\'"],
    "user": ["u.username LIKE ? ESCAPE '\\'"],
    "event_id": [
        "e.event_id LIKE ? ESCAPE '\\'",
        "e.trigger_id LIKE ? ESCAPE '\\'",
        "e.nickname LIKE ? ESCAPE '\\'",
    ],
    "labels.name": [_LABEL],
}
_FIELDS["labels"] = _FIELDS["labels.name"]
_FIELDS["label"] = _FIELDS["labels.name"]
_FIELDS["event_id.event_id"] = _FIELDS["event_id"]
_FIELDS["eventid"] = _FIELDS["event_id"]
_FIELDS["username"] = _FIELDS["user"]
_ALL = [
    cond
    for key in ("name", "description", "user", "event_id", "labels.name")
    for cond in _FIELDS[key]
]


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: Default bounds of a search string (the server's configuration may change them).
MAX_SEARCH_TERMS = 32
MAX_SEARCH_TERM_LENGTH = 256


def search_sql(
    search: str | None,
    *,
    max_terms: int = MAX_SEARCH_TERMS,
    max_length: int = MAX_SEARCH_TERM_LENGTH,
) -> tuple[str, list[Any]]:
    """Translate a search string into an SQL condition.

    Terms separated by whitespace must all match.  A plain term matches, case
    insensitively, a substring of the name, description, username, event ID (ID,
    trigger ID, nickname) or a label name; ``field:value`` restricts the term to
    one field (``name``, ``description``, ``user``, ``event_id``, ``labels.name``).

    Parameters
    ----------
    search : str or None
        The search string.
    max_terms : int
        Most terms accepted.
    max_length : int
        Longest term accepted, in characters.

    Returns
    -------
    tuple of (str, list)
        Condition on aliases ``j``, ``u``, ``e`` and its parameters.

    Raises
    ------
    ServiceError
        When the search has too many terms or a term is too long (a clean GraphQL
        error instead of an SQLite failure or an expensive scan).
    """
    conditions: list[str] = []
    params: list[Any] = []
    terms = (search or "").split()
    if len(terms) > max_terms:
        raise ServiceError(f"The search has {len(terms)} terms; at most {max_terms} are allowed.")
    for term in terms:
        if len(term) > max_length:
            raise ServiceError(
                f"The search term {term[:40]!r}... is {len(term)} characters long; "
                f"at most {max_length} are allowed."
            )
    for term in terms:
        field, sep, value = term.partition(":")
        key = field.lower()
        if sep and key in _FIELDS and value:
            options = _FIELDS[key]
        else:
            options, value = _ALL, term
        conditions.append("(" + " OR ".join(options) + ")")
        params.extend([_like(value)] * len(options))
    return (" AND ".join(conditions) or "1=1"), params


def time_range_sql(time_range: str) -> tuple[str, list[Any]]:
    """Translate a ``timeRange`` argument into an SQL condition.

    Parameters
    ----------
    time_range : str
        ``all``, ``1d``, ``1w``, ``1m`` or ``1y``.

    Returns
    -------
    tuple of (str, list)
        Condition on alias ``j`` and its parameters.

    Raises
    ------
    ServiceError
        For any other value.
    """
    if time_range not in _TIME_RANGES:
        raise ServiceError(f"Unknown time range {time_range!r}: use all, 1d, 1w, 1m or 1y")
    span = _TIME_RANGES[time_range]
    if span is None:
        return "1=1", []
    return "j.creation_time >= ?", [time.time() - span]

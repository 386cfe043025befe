"""Rendering for the command line: aligned tables, ``Key: value`` blocks and stable JSON.

Text from the server (job names, descriptions, file names, error messages) can hold
terminal control sequences.  Everything printed goes through :func:`escape` (or, for
JSON, :func:`print_json`), which shows control characters, C1 codes and bidirectional
overrides as visible escapes such as ``\\x1b`` instead of sending them to the terminal.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import redact

if TYPE_CHECKING:
    from ..bilby_job import BilbyJob
    from ..event_id import EventID

PROG = "gwcloud"


def _escape_char(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def escape(text: str) -> str:
    """Make ``text`` safe for a terminal: one line, no control sequences.

    Every character that is not printable (C0 and C1 controls such as ESC, CR and BEL,
    line and paragraph separators, bidirectional overrides and other format
    characters) is shown as its Python escape, e.g. ``\\x1b`` or ``\\u202e``.

    Parameters
    ----------
    text : str
        Text that may come from the server.

    Returns
    -------
    str
        The escaped text.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


def say(message: str) -> None:
    """Print a status line on stderr, escaped and with secrets masked."""
    print(escape(redact(message)), file=sys.stderr)


def print_error(message: str) -> None:
    """Print ``gwcloud: error: <message>`` on stderr: one line, secrets masked, escaped."""
    text = escape(" ".join(redact(message).split())) or "unknown error"
    print(f"{PROG}: error: {text}", file=sys.stderr)


def cell(value: object) -> str:
    """Render a table cell on one line, with control characters escaped."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else str(value)
    return escape(text) or "-"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces, headers first."""
    cells = [list(headers), *([cell(v) for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def fields(pairs: Sequence[tuple[str, object]]) -> str:
    """Aligned ``Key: value`` lines for one object."""
    width = max(len(key) for key, _ in pairs) + 1
    return "\n".join(f"{key + ':':<{width}} {cell(value)}" for key, value in pairs)


def human_size(size: int) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


# json.dumps escapes C0 controls itself; these it leaves raw with ensure_ascii=False.
_JSON_UNSAFE = re.compile(r"[^\n -~]")


def _json_escape(match: re.Match[str]) -> str:
    ch = match.group()
    return ch if ch.isprintable() else json.dumps(ch)[1:-1]


def print_json(data: object) -> None:
    """Print ``data`` as indented JSON with non-printable characters as ``\\u`` escapes."""
    text = json.dumps(data, indent=2, default=_json_default, ensure_ascii=False)
    print(_JSON_UNSAFE.sub(_json_escape, text))


def _iso(value: object) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def event_to_dict(event: EventID) -> dict[str, Any]:
    """The JSON form of an event ID (stable keys).

    Parameters
    ----------
    event : EventID
        The event.

    Returns
    -------
    dict
        ``event_id``, ``trigger_id``, ``nickname``, ``is_ligo_event``, ``gps_time``.
    """
    return {
        "event_id": event.event_id,
        "trigger_id": event.trigger_id,
        "nickname": event.nickname,
        "is_ligo_event": event.is_ligo_event,
        "gps_time": event.gps_time,
    }


def job_to_dict(job: BilbyJob) -> dict[str, Any]:
    """The JSON form of a job: always the same keys, None when unknown, dates in ISO 8601.

    Parameters
    ----------
    job : BilbyJob
        The job.

    Returns
    -------
    dict
        ``id``, ``name``, ``description``, ``user``, ``status``, ``status_date``,
        ``event_id``, ``labels``, ``private``, ``is_ligo_job``, ``job_type``,
        ``cluster``, ``creation_time``, ``last_updated``, ``timestamp``.
    """
    other = job.other
    kind = other.get("job_type")
    return {
        "id": job.job_id,
        "name": job.name,
        "description": job.description,
        "user": job.user,
        "status": job.status.status if job.status else None,
        "status_date": _iso(job.status.date) if job.status else None,
        "event_id": event_to_dict(job.event_id) if job.event_id else None,
        # Search results do not carry labels (null); ``jobs show`` does.
        "labels": list(other["labels"]) if "labels" in other else None,
        "private": other.get("private"),
        "is_ligo_job": other.get("is_ligo_job"),
        "job_type": _job_type_name(kind),
        "cluster": other.get("cluster"),
        "creation_time": _iso(other.get("creation_time")),
        "last_updated": _iso(other.get("last_updated")),
        "timestamp": _iso(other.get("timestamp")),
    }


def _job_type_name(kind: object) -> str | None:
    from ..helpers import JobType

    if kind is None:
        return None
    if isinstance(kind, int) and kind in set(JobType):
        return JobType(kind).name.lower()
    return str(kind)


def _event_label(event: EventID | None) -> str | None:
    if event is None:
        return None
    return f"{event.event_id} ({event.nickname})" if event.nickname else event.event_id


def print_jobs(jobs: Sequence[BilbyJob], as_json: bool) -> None:
    if as_json:
        print_json([job_to_dict(job) for job in jobs])
        return
    if not jobs:
        print("no jobs found", file=sys.stderr)
        return
    rows = [(j.name, j.job_id, j.status, j.user, j.event_id) for j in jobs]
    print(table(("NAME", "ID", "STATUS", "USER", "EVENT"), rows))


def print_job(job: BilbyJob, as_json: bool) -> None:
    if as_json:
        print_json(job_to_dict(job))
        return
    data = job_to_dict(job)
    status = data["status"]
    if status and data["status_date"]:
        status = f"{status} ({data['status_date']})"
    private = data["private"]
    pairs: list[tuple[str, object]] = [
        ("Name", job.name),
        ("ID", job.job_id),
        ("Description", job.description),
        ("User", job.user),
        ("Status", status),
        ("Event", _event_label(job.event_id)),
        ("Labels", ", ".join(data["labels"] or []) or None),
        ("Private", None if private is None else ("yes" if private else "no")),
        ("Type", data["job_type"]),
        ("Cluster", data["cluster"]),
        ("Created", data["creation_time"] or data["timestamp"]),
        ("Updated", data["last_updated"]),
    ]
    print(fields(pairs))


def print_event(event: EventID, as_json: bool) -> None:
    if as_json:
        print_json(event_to_dict(event))
        return
    pairs: list[tuple[str, object]] = [
        ("Event ID", event.event_id),
        ("Trigger ID", event.trigger_id),
        ("Nickname", event.nickname),
        ("GPS time", event.gps_time),
        ("LIGO only", "yes" if event.is_ligo_event else "no"),
    ]
    print(fields(pairs))

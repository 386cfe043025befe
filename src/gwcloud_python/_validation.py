"""Argument checks shared by every client; each raises :class:`ValidationError` naming the value."""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ._errors import ValidationError
from .helpers import Cluster, TimeRange

__all__ = [
    "check_bool",
    "check_event_id",
    "check_gps_time",
    "check_number",
    "check_readable_file",
    "check_text",
    "check_timeout",
    "check_trigger_id",
    "to_cluster",
    "to_global_job_id",
    "to_time_range",
]

#: Formats enforced by the Bilby server; the client checks the same, no stricter, no looser.
EVENT_ID_PATTERN = re.compile(r"^GW\d{6}_\d{6}$")
TRIGGER_ID_PATTERN = re.compile(r"^S\d{6}[a-z]{1,2}$")
_JOB_NODE = "BilbyJobNode"


def check_event_id(event_id: object, name: str = "event_id") -> str:
    """Return ``event_id`` if it has the form ``GW123456_123456``."""
    if not isinstance(event_id, str) or not EVENT_ID_PATTERN.match(event_id):
        raise ValidationError(
            f"{name} must look like 'GW123456_123456' (GW, 6 digits, _, 6 digits), got {event_id!r}"
        )
    return event_id


def check_trigger_id(trigger_id: object) -> str | None:
    """Return ``trigger_id`` if it is None or has the form ``S123456a``."""
    if trigger_id is None:
        return None
    if not isinstance(trigger_id, str) or not TRIGGER_ID_PATTERN.match(trigger_id):
        raise ValidationError(
            "trigger_id must look like 'S123456a' (S, 6 digits, 1 or 2 lowercase letters), "
            f"got {trigger_id!r}"
        )
    return trigger_id


def check_gps_time(gps_time: object, *, optional: bool = False) -> float | None:
    """Return ``gps_time`` as a float if it is a finite positive number."""
    if gps_time is None and optional:
        return None
    if isinstance(gps_time, bool) or not isinstance(gps_time, (int, float, Decimal)):
        raise ValidationError(f"gps_time must be a finite positive number, got {gps_time!r}")
    value = float(gps_time)
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(f"gps_time must be a finite positive number, got {gps_time!r}")
    return value


def check_number(number: object, name: str = "number") -> int:
    """Return ``number`` if it is a positive int (bools are refused)."""
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise ValidationError(f"{name} must be a positive integer, got {number!r}")
    return number


def check_text(value: object, name: str, *, optional: bool = False) -> str | None:
    """Return ``value`` if it is a string (or None when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, got {value!r}")
    return value


def check_bool(value: object, name: str, *, optional: bool = False) -> bool | None:
    """Return ``value`` if it is a bool (or None when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return value


def check_timeout(timeout: object) -> None:
    """Accept an :class:`httpx.Timeout`, None, or a finite non-negative number of seconds."""
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout < 0
    ):
        raise ValidationError(
            f"timeout must be a non-negative number of seconds or an httpx.Timeout, got {timeout!r}"
        )


def to_time_range(value: object) -> TimeRange:
    """Accept a :class:`TimeRange` or its string value."""
    if isinstance(value, TimeRange):
        return value
    for member in TimeRange:
        if value == member.value:
            return member
    allowed = ", ".join(repr(m.value) for m in TimeRange)
    raise ValidationError(f"time_range must be a TimeRange or one of {allowed}, got {value!r}")


def to_cluster(value: object) -> Cluster:
    """Accept a :class:`Cluster`, its string value, or None for the default."""
    if isinstance(value, Cluster):
        return value
    for member in Cluster:
        if value == member.value:
            return member
    allowed = ", ".join(repr(m.value) for m in Cluster)
    raise ValidationError(f"cluster must be a Cluster or one of {allowed}, got {value!r}")


def to_global_job_id(job_id: object) -> str:
    """Return the Relay global ID of a job given as a global ID or a plain primary key.

    Parameters
    ----------
    job_id : str or int
        ``"QmlsYnlKb2JOb2RlOjQy"`` (base64 of ``BilbyJobNode:42``), ``42`` or ``"42"``.
    """
    if isinstance(job_id, bool):
        raise ValidationError(
            f"job_id must be a job ID string or a positive integer, got {job_id!r}"
        )
    if isinstance(job_id, int) or (isinstance(job_id, str) and job_id.isdigit()):
        pk = int(job_id)
        if pk <= 0:
            raise ValidationError(f"job_id must be a positive integer, got {job_id!r}")
        return base64.b64encode(f"{_JOB_NODE}:{pk}".encode()).decode()
    if isinstance(job_id, str) and job_id:
        try:
            decoded = base64.b64decode(job_id, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        kind, _, pk_text = decoded.partition(":")
        if kind == _JOB_NODE and pk_text.isdigit():
            return job_id
    raise ValidationError(
        f"job_id must be a job ID (as BilbyJob.job_id gives it) or an integer key, got {job_id!r}"
    )


def check_readable_file(path: Any, name: str) -> Path:
    """Return ``path`` as a :class:`Path` if it names a readable regular file."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValidationError(f"{name} must be a path, got {path!r}")
    resolved = Path(path)
    if not resolved.is_file():
        what = "is not a file" if resolved.exists() else "does not exist"
        raise ValidationError(f"{name} {str(resolved)!r} {what}")
    if not os.access(resolved, os.R_OK):
        raise ValidationError(f"{name} {str(resolved)!r} is not readable")
    return resolved

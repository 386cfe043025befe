"""What the GWFlow models and client methods share: reading the service's JSON.

The 2026 service sends GWFlow data in shapes a caller should not have to undo
(see ``GWFLOW.md`` §3): ``libraries`` is a JSON text inside a string, times
come in two spellings, and one job has two Relay IDs (``GWFlowJob:<pk>`` from
reads, ``GWFlowJobNode:<pk>`` from the upsert).  The helpers here turn those
into Python values; the models' ``from_dict`` methods and the client use them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ._errors import ValidationError

__all__ = [
    "GWFLOW_JOB_TYPE",
    "decode_libraries",
    "gwflow_job_global_id",
    "normalise_gwflow_job_id",
    "parse_time",
    "pick",
]

#: The Relay type name of GWFlow jobs in reads (``gwflowJob(id:)`` accepts only this one).
GWFLOW_JOB_TYPE = "GWFlowJob"
#: The type name the upsert encodes into ``gwflowJobId`` (no node type of the schema has it).
_UPSERT_JOB_TYPE = "GWFlowJobNode"
#: ``lastUpdated``'s spelling: ``2026-01-01 10:00:00 UTC``.
_LAST_UPDATED_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def pick(data: Mapping[str, Any], camel: str, snake: str, default: Any = None) -> Any:
    """The value under ``camel`` or, when that key is absent, under ``snake``.

    Unlike an ``or`` chain, a present falsy value (``0``, ``False``, ``""``) is kept.
    """
    if camel in data:
        return data[camel]
    return data.get(snake, default)


def parse_time(value: Any, name: str) -> datetime | None:
    """A GWFlow time as a :class:`~datetime.datetime` (None stays None).

    Accepts a ``datetime``, ISO 8601 text (``Z`` or an offset, or naive) and
    ``lastUpdated``'s ``YYYY-MM-DD HH:MM:SS UTC``, which becomes an aware UTC time.

    Raises
    ------
    ValidationError
        ``value`` is not a time in one of those spellings.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.strptime(text, _LAST_UPDATED_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValidationError(f"{name} is not a time the service sends: {value!r}")


def decode_libraries(value: Any) -> list[str]:
    """``GWFlowJob.libraries`` as a list of names.

    The wire value is a JSON text inside a string (``"[\\"cbc-workflow-o4a\\"]"``);
    a list is taken as it is, None is ``[]``, and a string that is not JSON is
    taken as one library's name.
    """
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value else []
        if isinstance(value, str):
            return [value]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item is not None]
    raise ValidationError(f"libraries is not a list of names: {value!r}")


def _split_global_id(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, sep, pk = decoded.partition(":")
    if not sep or not kind:
        return None
    return kind, pk


def _encode(pk: int | str) -> str:
    return base64.b64encode(f"{GWFLOW_JOB_TYPE}:{pk}".encode()).decode()


def normalise_gwflow_job_id(value: str) -> str:
    """The read-side ID (``GWFlowJob:<pk>``) of a GWFlow job ID from any GWFlow answer.

    The upsert's ``GWFlowJobNode:<pk>`` is re-encoded; anything else is returned
    unchanged (it is already the read-side ID, or not a Relay ID at all).
    """
    parts = _split_global_id(value)
    if parts is not None and parts[0] == _UPSERT_JOB_TYPE and parts[1].isdigit():
        return _encode(int(parts[1]))
    return value


def gwflow_job_global_id(job_id: object) -> str:
    """The ID ``gwflowJob(id:)`` accepts for a GWFlow job given by either ID or its key.

    Parameters
    ----------
    job_id : str or int
        ``GWFlowJob.id``, ``GWFlowJobUpsertResult.job_id`` (either encoding), or the
        integer key.

    Raises
    ------
    ValidationError
        ``job_id`` is none of those (for example a Bilby job's ID).
    """
    if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id > 0:
        return _encode(job_id)
    if isinstance(job_id, str) and job_id:
        if job_id.isdigit() and int(job_id) > 0:
            return _encode(int(job_id))
        parts = _split_global_id(job_id)
        known = (GWFLOW_JOB_TYPE, _UPSERT_JOB_TYPE)
        if parts is not None and parts[0] in known and parts[1].isdigit():
            return _encode(int(parts[1]))
    raise ValidationError(
        f"job_id must be a GWFlow job ID (GWFlowJob.id or the upsert's job_id) or an "
        f"integer key, got {job_id!r}"
    )

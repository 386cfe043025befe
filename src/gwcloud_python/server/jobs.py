"""Bilby job records: visibility, conversion to GraphQL values, creation."""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import datetime, timezone
from typing import Any

from .auth import User
from .db import next_id
from .errors import JOB_NOT_FOUND, PERMISSION_DENIED, ServiceError
from .ids import from_global_id, to_global_id
from .state import ServerState

__all__ = [
    "COMPLETED",
    "JOB_TYPE_EXTERNAL",
    "JOB_TYPE_NORMAL",
    "JOB_TYPE_UPLOADED",
    "PENDING",
    "RUNNING",
    "STATUS_NAMES",
    "event_value",
    "get_visible_job",
    "insert_job",
    "iso",
    "job_value",
    "validate_job_name",
    "validate_label",
    "visibility_sql",
]

PENDING, SUBMITTING, SUBMITTED, QUEUED, RUNNING = 10, 20, 30, 40, 50
CANCELLED, ERROR, COMPLETED = 70, 400, 500
STATUS_NAMES = {
    PENDING: "Pending",
    SUBMITTING: "Submitting",
    SUBMITTED: "Submitted",
    QUEUED: "Queued",
    RUNNING: "Running",
    CANCELLED: "Cancelled",
    ERROR: "Error",
    COMPLETED: "Completed",
}
JOB_TYPE_NORMAL, JOB_TYPE_UPLOADED, JOB_TYPE_EXTERNAL = 0, 1, 2
_NAME = re.compile(r"^[A-Za-z0-9_-]+\Z", re.ASCII)

_JOB_SELECT = (
    "SELECT j.*, u.username AS username, e.event_id AS e_event_id, e.trigger_id AS e_trigger_id,"
    " e.nickname AS e_nickname, e.is_ligo_event AS e_is_ligo_event, e.gps_time AS e_gps_time"
    " FROM jobs j JOIN users u ON u.id = j.user_id LEFT JOIN event_ids e ON e.id = j.event_fk"
)


def iso(timestamp: float) -> str:
    """Return a Unix time as an ISO-8601 UTC string.

    Parameters
    ----------
    timestamp : float
        Seconds since the epoch.

    Returns
    -------
    str
        ISO-8601 text with offset.
    """
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


def validate_job_name(name: str | None) -> str:
    """Check a job name like the real service.

    Parameters
    ----------
    name : str or None
        The proposed name.

    Returns
    -------
    str
        The name.

    Raises
    ------
    ServiceError
        When empty or containing characters other than letters, digits, ``_`` and ``-``.
    """
    if not name:
        raise ServiceError("Job name must not be empty.")
    if len(name) > 255:
        raise ServiceError("Job name must be at most 255 characters long.")
    if not _NAME.match(name):
        raise ServiceError("Job name must not contain any spaces or special characters.")
    return name


def validate_label(label: object) -> str:
    """Check an ini ``label`` (it names files in the job's output directory).

    Labels follow the job-name rule: letters, digits, ``_`` and ``-`` only, at most
    255 characters, so a label can never hold ``/``, ``..`` or a drive letter.

    Parameters
    ----------
    label : object
        The parsed ``label`` value.

    Returns
    -------
    str
        The label.

    Raises
    ------
    ServiceError
        Naming the bad label.
    """
    if not isinstance(label, str) or not label:
        raise ServiceError("The ini label must be a non-empty name.")
    if len(label) > 255 or not _NAME.match(label):
        shown = label if len(label) <= 80 else label[:80] + "..."
        raise ServiceError(
            f"Invalid ini label {shown!r}: use only letters, digits, '_' and '-' "
            "(at most 255 characters)."
        )
    return label


def visibility_sql(user: User | None) -> tuple[str, list[Any]]:
    """Return a WHERE fragment selecting the public jobs a caller may see.

    Parameters
    ----------
    user : User or None
        The caller.

    Returns
    -------
    tuple of (str, list)
        SQL condition on alias ``j`` and its parameters.
    """
    if user is not None and user.is_ligo:
        return "j.private = 0", []
    return "j.private = 0 AND j.is_ligo_job = 0", []


def can_see(user: User | None, row: sqlite3.Row) -> bool:
    """Tell whether a caller may read a job.

    Parameters
    ----------
    user : User or None
        The caller.
    row : sqlite3.Row
        The job row.

    Returns
    -------
    bool
        True for the owner, or for public jobs (LIGO jobs: LIGO users only).
    """
    if user is not None and user.id == row["user_id"]:
        return True
    if row["private"]:
        return False
    return not row["is_ligo_job"] or (user is not None and user.is_ligo)


def select_jobs(
    state: ServerState, where: str, params: list[Any], tail: str = ""
) -> list[sqlite3.Row]:
    """Return job rows joined with their user and event ID.

    Parameters
    ----------
    state : ServerState
        Server state.
    where : str
        SQL condition (aliases ``j``, ``u``, ``e``).
    params : list
        Its parameters.
    tail : str
        ORDER BY / LIMIT clause.

    Returns
    -------
    list of sqlite3.Row
        Rows.
    """
    return state.db.query(f"{_JOB_SELECT} WHERE {where} {tail}", tuple(params))


def get_visible_job(state: ServerState, user: User | None, global_id: str) -> sqlite3.Row:
    """Return a job the caller may see, by Relay global ID.

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User or None
        The caller.
    global_id : str
        ``base64("BilbyJobNode:<pk>")``.

    Returns
    -------
    sqlite3.Row
        The job row.

    Raises
    ------
    ServiceError
        ``BilbyJobNode matching query does not exist.`` when missing or hidden.
    """
    pk = from_global_id(global_id, "BilbyJobNode")
    if pk is None:
        raise ServiceError(JOB_NOT_FOUND)
    rows = select_jobs(state, "j.id = ?", [pk])
    if not rows or not can_see(user, rows[0]):
        raise ServiceError(JOB_NOT_FOUND)
    return rows[0]


def get_own_job(state: ServerState, user: User, global_id: str) -> sqlite3.Row:
    """Return a job the caller owns.

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User
        The caller.
    global_id : str
        The job's global ID.

    Returns
    -------
    sqlite3.Row
        The job row.

    Raises
    ------
    ServiceError
        Not found, or the permission error when another user owns it.
    """
    row = get_visible_job(state, user, global_id)
    if row["user_id"] != user.id:
        raise ServiceError(PERMISSION_DENIED)
    return row


def event_value(row: Any, user: User | None, prefix: str = "e_") -> dict[str, Any] | None:
    """Return the EventIDType value of a joined row, hiding LIGO events from others.

    Parameters
    ----------
    row : sqlite3.Row
        Row with event columns.
    user : User or None
        The caller.
    prefix : str
        Column prefix of the event columns.

    Returns
    -------
    dict or None
        Event fields (snake_case), None when absent or hidden.
    """
    if row[f"{prefix}event_id"] is None:
        return None
    if row[f"{prefix}is_ligo_event"] and not (user is not None and user.is_ligo):
        return None
    return {
        "event_id": row[f"{prefix}event_id"],
        "trigger_id": row[f"{prefix}trigger_id"],
        "nickname": row[f"{prefix}nickname"],
        "is_ligo_event": bool(row[f"{prefix}is_ligo_event"]),
        "gps_time": float(row[f"{prefix}gps_time"]),
    }


def labels_of(state: ServerState, job_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the labels of several jobs.

    Parameters
    ----------
    state : ServerState
        Server state.
    job_ids : list of int
        Jobs.

    Returns
    -------
    dict
        Job id to list of LabelType values.
    """
    result: dict[int, list[dict[str, Any]]] = {pk: [] for pk in job_ids}
    if not job_ids:
        return result
    marks = ",".join("?" * len(job_ids))
    rows = state.db.query(
        "SELECT jl.job_id, l.* FROM job_labels jl JOIN labels l ON l.id = jl.label_id "  # noqa: S608
        f"WHERE jl.job_id IN ({marks}) ORDER BY l.name",
        tuple(job_ids),
    )
    for row in rows:
        result[int(row["job_id"])].append(
            {
                "id": to_global_id("LabelType", int(row["id"])),
                "name": row["name"],
                "description": row["description"],
                "protected": bool(row["protected"]),
                "bilbyjob_set": None,
            }
        )
    return result


def job_value(row: Any, user: User | None, labels: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the BilbyJobNode / BilbyPublicJobNode value of a job row.

    Parameters
    ----------
    row : sqlite3.Row
        Joined job row.
    user : User or None
        The caller.
    labels : list of dict
        The job's labels.

    Returns
    -------
    dict
        Field values keyed by snake_case field name.
    """
    status = int(row["status"])
    created = datetime.fromtimestamp(float(row["creation_time"]), tz=timezone.utc)
    return {
        "id": to_global_id("BilbyJobNode", int(row["id"])),
        "user_id": int(row["user_id"]),
        "name": row["name"],
        "description": row["description"],
        "creation_time": created,
        "timestamp": created.isoformat(),
        "last_updated": iso(float(row["last_updated"])),
        "private": bool(row["private"]),
        "ini_string": row["ini_string"],
        "job_controller_id": row["job_controller_id"],
        "labels": labels,
        "event_id": event_value(row, user),
        "is_ligo_job": bool(row["is_ligo_job"]),
        "job_type": int(row["job_type"]),
        "cluster": row["cluster"],
        "user": row["username"],
        "job_status": {
            "name": STATUS_NAMES.get(status, "Unknown"),
            "number": status,
            "date": iso(float(row["status_time"])),
        },
        "params": None,
        "gwflow_job_fk": row["gwflow_job_id"],
        "gwflow_analysis_uid": row["gwflow_analysis_uid"] or None,
    }


def insert_job(conn: sqlite3.Connection, **fields: Any) -> int:
    """Insert a job row under a job number that was never used before.

    Parameters
    ----------
    conn : sqlite3.Connection
        Connection inside a transaction.
    **fields
        Column values; times default to now.

    Returns
    -------
    int
        The new primary key.
    """
    now = time.time()
    fields.setdefault("id", next_id(conn, "jobs"))
    fields.setdefault("creation_time", now)
    fields.setdefault("last_updated", fields["creation_time"])
    fields.setdefault("status_time", fields["creation_time"])
    columns = ", ".join(fields)
    marks = ", ".join("?" * len(fields))
    cursor = conn.execute(
        f"INSERT INTO jobs ({columns}) VALUES ({marks})",  # noqa: S608
        tuple(fields.values()),
    )
    return int(cursor.lastrowid or 0)


def set_labels(conn: sqlite3.Connection, job_id: int, names: list[str]) -> None:
    """Replace a job's labels with the existing labels of these names.

    Parameters
    ----------
    conn : sqlite3.Connection
        Connection inside a transaction.
    job_id : int
        The job.
    names : list of str
        Label names (unknown names are ignored, as by the real service).
    """
    conn.execute("DELETE FROM job_labels WHERE job_id = ?", (job_id,))
    for name in names:
        conn.execute(
            "INSERT OR IGNORE INTO job_labels (job_id, label_id) "
            "SELECT ?, id FROM labels WHERE name = ?",
            (job_id, name),
        )

"""GWFlow records of the local server: who may ingest, upsert, link, pending files.

GWFlow tracks analyses per superevent name (``sname``).  A *job* row holds the
superevent's fields, its *file* rows (keyed by ``(analysis_uid, path)``) the manifest
the ingest registered, and Bilby jobs point at a job through two columns of ``jobs``.
The contract is ``GWFLOW.md`` of the 2026 schema reference; this module keeps its
observable rules:

* only a user flagged ``is_gwflow_ingest`` may call the ingest operations (the real
  service names one account by primary key in a setting; the local rule is a flag,
  so tests can make as many ingest users as they like).  Everybody else gets
  ``Permission Denied``;
* :func:`upsert_gwflow_job` runs the whole get-or-create, field update, manifest
  walk and reconcile in one transaction, commits, and only then parses ``metadata``
  (bad JSON answers ``Invalid metadata JSON`` with the changes already stored);
* a value longer than its column (``sname`` over 64 characters...) fails like MySQL's
  strict mode, inside the transaction, so nothing is changed;
* the answer's job id is ``GWFlowJobNode:<pk>`` while ``GWFlowJob.id`` is
  ``GWFlowJob:<pk>``, and file ids are ``GWFlowFileNode:<pk>``, as on the real service.

File bytes live under ``<data>/gwflow/<job pk>/<file pk>``: names come from primary
keys only (never reused: the tables are ``AUTOINCREMENT``), never from a client's
``path`` or ``fileName``.

Local-server choices where GWFLOW.md says nothing: ``GWFlowJob.user`` is the owner's
username; ``GWFlowJob.eventId`` hides a LIGO event from non-LIGO callers, as
``BilbyJobNode.eventId`` does here; a Bilby job's ``last_updated`` is not moved by a
link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .auth import User
from .errors import ServiceError
from .ids import new_token, to_global_id
from .jobs import can_see, event_value
from .state import ServerState

__all__ = [
    "FILE_NODE",
    "INGEST_DENIED",
    "INVALID_FILE_ID",
    "INVALID_JOB_ID",
    "INVALID_METADATA",
    "JOB_NODE",
    "MD5_MISMATCH",
    "UPSERT_NODE",
    "create_gwflow_job",
    "decode_any_pk",
    "file_path",
    "file_value",
    "gwflow_job_value",
    "job_rows",
    "link_bilby_job",
    "pending_files",
    "remove_file_bytes",
    "require_ingest",
    "upsert_gwflow_job",
    "visible_to",
]

INGEST_DENIED = "Permission Denied"
INVALID_METADATA = "Invalid metadata JSON"
INVALID_FILE_ID = "Invalid gwflow_file_id"
MD5_MISMATCH = "MD5 checksum mismatch"
INVALID_JOB_ID = "Invalid job_id"
JOB_NODE = "GWFlowJob"
UPSERT_NODE = "GWFlowJobNode"
FILE_NODE = "GWFlowFileNode"

#: Column length limits of the real (MySQL) tables.
_LIMITS = {
    "sname": 64,
    "schema_version": 8,
    "current_history_id": 64,
    "analysis_uid": 128,
    "md5_sum": 32,
}

_JOB_SELECT = (
    "SELECT g.*, u.username AS username, e.id AS e_pk, e.event_id AS e_event_id,"
    " e.trigger_id AS e_trigger_id, e.nickname AS e_nickname,"
    " e.is_ligo_event AS e_is_ligo_event, e.gps_time AS e_gps_time"
    " FROM gwflow_jobs g LEFT JOIN users u ON u.id = g.user_id"
    " LEFT JOIN event_ids e ON e.id = g.event_fk"
)


# -- permissions and identifiers ---------------------------------------------------------


def require_ingest(user: User | None) -> User:
    """Return the caller when it is an ingest user.

    Parameters
    ----------
    user : User or None
        The caller (None when anonymous).

    Returns
    -------
    User
        The same user.

    Raises
    ------
    ServiceError
        ``Permission Denied`` for anonymous and non-ingest callers.
    """
    if user is None or not user.is_gwflow_ingest:
        raise ServiceError(INGEST_DENIED)
    return user


def decode_any_pk(global_id: object) -> int | None:
    """Decode ``base64("<any type>:<pk>")`` to the pk, ignoring the type name.

    Parameters
    ----------
    global_id : object
        The id a client sent.

    Returns
    -------
    int or None
        The primary key; None when the id does not decode to a non-negative integer.
    """
    if not isinstance(global_id, str):
        return None
    try:
        text = base64.b64decode(global_id.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    _kind, sep, pk = text.partition(":")
    if not sep or not pk.isdigit() or not pk.isascii():
        return None
    return int(pk)


def visible_to(user: User | None, row: sqlite3.Row) -> bool:
    """Tell whether a caller may see a GWFlow job (LIGO-only jobs: LIGO users only).

    Parameters
    ----------
    user : User or None
        The caller.
    row : sqlite3.Row
        A ``gwflow_jobs`` row.

    Returns
    -------
    bool
        Whether the job is visible; pruning is the caller's concern.
    """
    return not row["ligo_only"] or (user is not None and user.is_ligo)


def _check_length(column: str, value: str | None) -> None:
    """Fail like MySQL strict mode when a value does not fit its column."""
    limit = _LIMITS[column]
    if value is not None and len(value) > limit:
        raise ServiceError(f"(1406, \"Data too long for column '{column}' at row 1\")")


# -- values --------------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def job_rows(state: ServerState, where: str, params: tuple[Any, ...], tail: str = "") -> list[Any]:
    """Return ``gwflow_jobs`` rows joined with their owner and event.

    Parameters
    ----------
    state : ServerState
        Server state.
    where : str
        SQL condition on alias ``g`` (``u`` users, ``e`` event IDs).
    params : tuple
        Its parameters.
    tail : str
        ORDER BY / LIMIT clause.

    Returns
    -------
    list of sqlite3.Row
        The rows.
    """
    return state.db.query(f"{_JOB_SELECT} WHERE {where} {tail}", params)


def gwflow_job_value(row: Any, user: User | None) -> dict[str, Any]:
    """Return the ``GWFlowJob`` value of a joined job row.

    Parameters
    ----------
    row : sqlite3.Row
        A row of :func:`job_rows`.
    user : User or None
        The caller (LIGO events are hidden from others, as elsewhere).

    Returns
    -------
    dict
        Field values keyed by snake_case name, plus ``_pk``.
    """
    stamp = row["current_history_timestamp"]
    event = event_value(row, user)
    if event is not None:
        event["id"] = to_global_id("EventIDType", int(row["e_pk"]))
    updated = datetime.fromtimestamp(float(row["last_updated"]), tz=timezone.utc)
    return {
        "_pk": int(row["id"]),
        "id": to_global_id(JOB_NODE, int(row["id"])),
        "sname": row["sname"],
        "schema_version": row["schema_version"],
        "libraries": json.loads(row["libraries"]),
        "is_pruned": bool(row["is_pruned"]),
        "ligo_only": bool(row["ligo_only"]),
        "current_history_id": row["current_history_id"],
        "current_history_timestamp": datetime.fromisoformat(stamp) if stamp else None,
        "creation_time": datetime.fromtimestamp(float(row["creation_time"]), tz=timezone.utc),
        "last_updated": updated.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "user": row["username"] or "Unknown User",
        "user_id": row["user_id"],
        "event_id": event,
    }


def file_value(row: Any) -> dict[str, Any]:
    """Return the ``GWFlowFileType`` value of a file row (no md5: the type has none).

    Parameters
    ----------
    row : sqlite3.Row
        A ``gwflow_files`` row.

    Returns
    -------
    dict
        Field values keyed by snake_case name.
    """
    return {
        "id": to_global_id(FILE_NODE, int(row["id"])),
        "analysis_uid": row["analysis_uid"],
        "path": row["path"],
        "file_name": row["file_name"],
        "file_size": row["file_size"],
        "uploaded": bool(row["uploaded"]),
        "download_token": row["download_token"],
    }


def _pending_value(row: Any, sname: str) -> dict[str, Any]:
    return {
        "id": to_global_id(FILE_NODE, int(row["id"])),
        "sname": sname,
        "analysis_uid": row["analysis_uid"],
        "path": row["path"],
        "file_name": row["file_name"],
        "md_5_sum": row["md5_sum"],
    }


# -- file storage ---------------------------------------------------------------------------


def file_path(state: ServerState, job_pk: int, file_pk: int) -> Path:
    """Return where the bytes of one GWFlow file are kept.

    Parameters
    ----------
    state : ServerState
        Server state.
    job_pk : int
        The job's primary key.
    file_pk : int
        The file row's primary key.

    Returns
    -------
    Path
        ``<data>/gwflow/<job pk>/<file pk>``; its staging sibling adds ``.part``.
    """
    return state.gwflow_dir / str(int(job_pk)) / str(int(file_pk))


def remove_file_bytes(state: ServerState, job_pk: int, file_pk: int) -> None:
    """Delete a file's stored bytes and its staging copy (missing ones are fine).

    Parameters
    ----------
    state : ServerState
        Server state.
    job_pk : int
        The job's primary key.
    file_pk : int
        The file row's primary key.
    """
    final = file_path(state, job_pk, file_pk)
    final.unlink(missing_ok=True)
    final.with_name(final.name + ".part").unlink(missing_ok=True)


# -- upsert -------------------------------------------------------------------------------


def _get_or_create(
    conn: sqlite3.Connection, sname: str, user_id: int | None, now: float
) -> tuple[sqlite3.Row, bool]:
    _check_length("sname", sname)
    row = conn.execute("SELECT * FROM gwflow_jobs WHERE sname = ?", (sname,)).fetchone()
    if row is not None:
        return row, False
    cursor = conn.execute(
        "INSERT INTO gwflow_jobs (sname, user_id, creation_time, last_updated) VALUES (?, ?, ?, ?)",
        (sname, user_id, now, now),
    )
    row = conn.execute("SELECT * FROM gwflow_jobs WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return row, True


def _field_changes(conn: sqlite3.Connection, params: dict[str, Any]) -> dict[str, Any]:
    """Return the column values of the non-null upsert fields (event matched by id)."""
    changes: dict[str, Any] = {}
    for column in ("schema_version", "current_history_id"):
        if params.get(column) is not None:
            _check_length(column, params[column])
            changes[column] = params[column]
    if params.get("libraries") is not None:
        changes["libraries"] = json.dumps(list(params["libraries"]))
    for column in ("is_pruned", "ligo_only"):
        if params.get(column) is not None:
            changes[column] = int(bool(params[column]))
    stamp = params.get("current_history_timestamp")
    if stamp is not None:
        when = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
        changes["current_history_timestamp"] = _as_utc(when).astimezone(timezone.utc).isoformat()
    event = params.get("event_id")
    if event:
        match = conn.execute(
            "SELECT id FROM event_ids WHERE trigger_id = ? OR event_id = ? ORDER BY id LIMIT 1",
            (event, event),
        ).fetchone()
        if match is not None:
            changes["event_fk"] = int(match["id"])
    return changes


def _walk_manifest(conn: sqlite3.Connection, job_pk: int, files: list[Any]) -> set[tuple[str, str]]:
    """Create or update the file row of every manifest entry; return the keys seen."""
    seen: set[tuple[str, str]] = set()
    for entry in files:
        if entry is None:
            continue
        uid = entry.get("analysis_uid") or ""
        path = str(entry["path"])
        name = str(entry["file_name"])
        size = entry.get("file_size")
        md5 = entry.get("md_5_sum") or ""
        _check_length("analysis_uid", uid)
        _check_length("md5_sum", md5)
        seen.add((uid, path))
        row = conn.execute(
            "SELECT * FROM gwflow_files WHERE job_id = ? AND analysis_uid = ? AND path = ?",
            (job_pk, uid, path),
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO gwflow_files (job_id, analysis_uid, path, file_name, file_size, "
                "md5_sum, uploaded, download_token) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                (job_pk, uid, path, name, size, md5, new_token()),
            )
        elif md5 and md5 != row["md5_sum"]:
            conn.execute(
                "UPDATE gwflow_files SET md5_sum = ?, file_name = ?, file_size = ?, uploaded = 0 "
                "WHERE id = ?",
                (md5, name, size, row["id"]),
            )
        else:
            if name != row["file_name"]:
                conn.execute(
                    "UPDATE gwflow_files SET file_name = ? WHERE id = ?", (name, row["id"])
                )
            if size is not None and size != row["file_size"]:
                conn.execute(
                    "UPDATE gwflow_files SET file_size = ? WHERE id = ?", (size, row["id"])
                )
    return seen


def upsert_gwflow_job(state: ServerState, user: User, params: dict[str, Any]) -> dict[str, Any]:
    """Get or create a job by sname, apply the given fields and reconcile its manifest.

    The database work is one transaction; metadata is parsed after it committed.

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User
        The (ingest) caller; a new job is theirs.
    params : dict
        ``GWFlowUpsertInput`` with snake_case keys.

    Returns
    -------
    dict
        The ``GWFlowUpsertResult`` value.

    Raises
    ------
    ServiceError
        A value too long for its column (nothing changed), or ``Invalid metadata
        JSON`` (everything else already committed).
    """
    now = time.time()
    removed: list[dict[str, Any]] = []
    with state.db.transaction() as conn:
        row, created = _get_or_create(conn, str(params["sname"]), user.id, now)
        pk = int(row["id"])
        changes = _field_changes(conn, params)
        changes["last_updated"] = max(now, float(row["last_updated"]))
        assignments = ", ".join(f"{column} = ?" for column in changes)
        conn.execute(
            f"UPDATE gwflow_jobs SET {assignments} WHERE id = ?",  # noqa: S608
            (*changes.values(), pk),
        )
        files = params.get("files")
        if files is not None:
            seen = _walk_manifest(conn, pk, list(files))
            for old in conn.execute(
                "SELECT * FROM gwflow_files WHERE job_id = ?", (pk,)
            ).fetchall():
                if (old["analysis_uid"], old["path"]) not in seen:
                    removed.append(_pending_value(old, row["sname"]))
                    conn.execute("DELETE FROM gwflow_files WHERE id = ?", (old["id"],))
        pending = conn.execute(
            "SELECT * FROM gwflow_files WHERE job_id = ? AND uploaded = 0 "
            "ORDER BY analysis_uid, path, id",
            (pk,),
        ).fetchall()
    for gone in removed:
        remove_file_bytes(state, pk, decode_any_pk(gone["id"]) or 0)
    metadata = params.get("metadata")
    if metadata:
        try:
            parsed = json.loads(metadata)
        except ValueError:
            raise ServiceError(INVALID_METADATA) from None
        state.db.execute(
            "UPDATE gwflow_jobs SET metadata = ? WHERE id = ?", (json.dumps(parsed), pk)
        )
    return {
        "gwflow_job_id": to_global_id(UPSERT_NODE, pk),
        "sname": row["sname"],
        "created": created,
        "files_pending": [_pending_value(f, row["sname"]) for f in pending],
        "removed_files": removed,
    }


# -- pending files and links -----------------------------------------------------------------


def pending_files(state: ServerState) -> list[dict[str, Any]]:
    """Return every not-uploaded file of every job, by (sname, analysis uid, path).

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    list of dict
        ``GWFlowPendingFile`` values.
    """
    rows = state.db.query(
        "SELECT f.*, g.sname AS sname FROM gwflow_files f JOIN gwflow_jobs g ON g.id = f.job_id "
        "WHERE f.uploaded = 0 ORDER BY g.sname, f.analysis_uid, f.path, f.id"
    )
    return [_pending_value(row, row["sname"]) for row in rows]


def link_bilby_job(
    state: ServerState, user: User, job_id: object, sname: str, analysis_uid: str
) -> None:
    """Link a Bilby job to an analysis of a GWFlow job; ``sname == ""`` unlinks.

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User
        The (ingest) caller; the Bilby job must be visible to them.
    job_id : object
        Any ``<type>:<pk>`` global id of the Bilby job.
    sname : str
        The GWFlow job, or ``""`` to unlink.
    analysis_uid : str
        Free text, unique per GWFlow job among its linked Bilby jobs.

    Raises
    ------
    ServiceError
        ``Invalid job_id``, an unknown sname, or a uid held by another Bilby job.
    """
    pk = decode_any_pk(job_id)
    with state.db.transaction() as conn:
        row = (
            None
            if pk is None
            else conn.execute("SELECT * FROM jobs WHERE id = ?", (pk,)).fetchone()
        )
        if row is None or not can_see(user, row):
            raise ServiceError(INVALID_JOB_ID)
        if sname == "":
            conn.execute(
                "UPDATE jobs SET gwflow_job_id = NULL, gwflow_analysis_uid = NULL WHERE id = ?",
                (pk,),
            )
            return
        target = conn.execute("SELECT id FROM gwflow_jobs WHERE sname = ?", (sname,)).fetchone()
        if target is None:
            raise ServiceError(f"GWFlowJob with sname '{sname}' does not exist")
        _check_length("analysis_uid", analysis_uid)
        holder = conn.execute(
            "SELECT 1 FROM jobs WHERE gwflow_job_id = ? AND gwflow_analysis_uid = ? AND id != ?",
            (target["id"], analysis_uid, pk),
        ).fetchone()
        if holder is not None:
            raise ServiceError(
                f"analysis_uid '{analysis_uid}' already linked to another BilbyJob on "
                f"GWFlowJob '{sname}'"
            )
        conn.execute(
            "UPDATE jobs SET gwflow_job_id = ?, gwflow_analysis_uid = ? WHERE id = ?",
            (target["id"], analysis_uid, pk),
        )


# -- direct creation (factories, seeding) -----------------------------------------------------


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - a checksum, not a signature


def _write_bytes(target: Path, data: bytes) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".part")
    staging.write_bytes(data)
    os.replace(staging, target)


def create_gwflow_job(
    state: ServerState,
    sname: str,
    *,
    files: list[dict[str, Any]],
    ligo_only: bool = True,
    is_pruned: bool = False,
    metadata: dict[str, Any] | str | None = None,
    libraries: list[str] | None = None,
    event_id: str | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Create a GWFlow job with its files directly in the database (no GraphQL).

    Parameters
    ----------
    state : ServerState
        Server state (the object the admin routes hold).
    sname : str
        Superevent name; must be new and at most 64 characters.
    files : list of dict
        Entries with ``analysis_uid``, ``path``, ``file_name`` and ``data`` (bytes:
        stored and marked uploaded with its md5 and size; None: registered pending,
        with the optional ``md5_sum`` and ``file_size`` keys).
    ligo_only : bool
        Visible to LIGO users only (the real default).
    is_pruned : bool
        Pruned from the portal.
    metadata : dict or str, optional
        cbcflow metadata (searchable as ``analyses.*`` and ``gracedb.*``).
    libraries : list of str, optional
        Library names.
    event_id : str, optional
        Trigger ID or event ID of an existing event to link.
    owner : str, optional
        Username of the owner (None: no owner, shown as ``Unknown User``).

    Returns
    -------
    dict
        ``{"id": <GWFlowJob relay id>, "sname", "files": [{"id", "download_token",
        "path", "analysis_uid"}]}``.

    Raises
    ------
    ValueError
        When the sname exists or is too long, the owner is unknown, or metadata is not JSON.
    """
    if len(sname) > _LIMITS["sname"]:
        raise ValueError(f"sname {sname[:20]!r}... is longer than 64 characters")
    meta_text = None
    if metadata is not None:
        meta_text = json.dumps(json.loads(metadata) if isinstance(metadata, str) else metadata)
    now = time.time()
    written: list[Path] = []
    answer_files: list[dict[str, Any]] = []
    try:
        with state.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM gwflow_jobs WHERE sname = ?", (sname,)).fetchone():
                raise ValueError(f"GWFlow job {sname!r} already exists")
            user_id = None
            if owner is not None:
                found = conn.execute("SELECT id FROM users WHERE username = ?", (owner,)).fetchone()
                if found is None:
                    raise ValueError(f"no user {owner!r}")
                user_id = int(found["id"])
            row, _ = _get_or_create(conn, sname, user_id, now)
            pk = int(row["id"])
            changes = _field_changes(
                conn,
                {
                    "ligo_only": ligo_only,
                    "is_pruned": is_pruned,
                    "libraries": libraries,
                    "event_id": event_id,
                },
            )
            if meta_text is not None:
                changes["metadata"] = meta_text
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(
                f"UPDATE gwflow_jobs SET {assignments} WHERE id = ?",  # noqa: S608
                (*changes.values(), pk),
            )
            for spec in files:
                data = spec.get("data")
                uid = str(spec.get("analysis_uid") or "")
                _check_length("analysis_uid", uid)
                token = new_token()
                cursor = conn.execute(
                    "INSERT INTO gwflow_files (job_id, analysis_uid, path, file_name, file_size, "
                    "md5_sum, uploaded, download_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        pk,
                        uid,
                        str(spec["path"]),
                        str(spec.get("file_name") or Path(str(spec["path"])).name),
                        len(data) if data is not None else spec.get("file_size"),
                        _md5(data) if data is not None else spec.get("md5_sum", ""),
                        int(data is not None),
                        token,
                    ),
                )
                file_pk = int(cursor.lastrowid or 0)
                if data is not None:
                    target = file_path(state, pk, file_pk)
                    written.append(target)
                    _write_bytes(target, data)
                answer_files.append(
                    {
                        "id": to_global_id(FILE_NODE, file_pk),
                        "download_token": token,
                        "path": str(spec["path"]),
                        "analysis_uid": uid,
                    }
                )
    except ServiceError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise ValueError(exc.message) from None
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return {"id": to_global_id(JOB_NODE, pk), "sname": sname, "files": answer_files}

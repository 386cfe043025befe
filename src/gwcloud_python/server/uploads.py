"""The ``uploadBilbyJob`` mutation: store a finished job from a gzipped tar.

Crash consistency: an upload is unpacked into ``tmp/``, then one transaction spends
the upload token, inserts the job row (under a job number never used before) and
registers its files while the tree is renamed to ``tmp/stage-<n>``; after the commit the
tree is renamed to ``jobs/<n>``.  A kill at any point leaves either nothing visible
(the token still usable) or a committed job whose staged tree
:func:`~gwcloud_python.server.recovery.clean_leftovers` moves into place at the next
start-up.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from .archive import ArchiveLimits, extract_job_archive
from .context import state_of
from .db import hash_token
from .errors import ServiceError
from .ids import new_token, to_global_id
from .ini import parse_ini, parse_value
from .jobs import COMPLETED, JOB_TYPE_UPLOADED, insert_job, validate_label
from .results import register_tree
from .state import ServerState, remove_tree

__all__ = [
    "INVALID_UPLOAD_TOKEN",
    "archive_limits",
    "check_upload_token",
    "commit_uploaded_job",
    "record_upload",
    "stage_dir",
    "upload_mutation",
]

INVALID_UPLOAD_TOKEN = "Job upload token is invalid or expired."  # noqa: S105

upload_mutation: MutationType = MutationType()


def check_upload_token(state: ServerState, token: str) -> int:
    """Return the owner of an unused job upload token, without spending it.

    Parameters
    ----------
    state : ServerState
        Server state.
    token : str
        A token from ``generateBilbyJobUploadToken``.

    Returns
    -------
    int
        The primary key of the user the token was issued to.

    Raises
    ------
    ServiceError
        When the token is unknown or already used.
    """
    row = state.db.one(
        "SELECT user_id FROM upload_tokens WHERE token = ? AND used = 0", (hash_token(token),)
    )
    if row is None:
        raise ServiceError(INVALID_UPLOAD_TOKEN)
    return int(row["user_id"])


def stage_dir(state: ServerState, job_id: int) -> Path:
    """Return where a committed job's tree waits before it moves to ``jobs/<n>``.

    Parameters
    ----------
    state : ServerState
        Server state.
    job_id : int
        The job number.

    Returns
    -------
    Path
        ``tmp/stage-<n>``.
    """
    return state.tmp_dir / f"stage-{job_id}"


def archive_limits(state: ServerState) -> ArchiveLimits:
    """Return the archive bounds of the server's configuration.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    ArchiveLimits
        Size, ratio and member-count limits.
    """
    config = state.config
    return ArchiveLimits(
        max_bytes=config.max_extracted_bytes,
        max_ratio=config.max_compression_ratio,
        max_members=config.max_archive_members,
    )


def commit_uploaded_job(state: ServerState, token: str, scratch: Path, **fields: Any) -> int:
    """Spend an upload token and record a completed uploaded job from an unpacked tree.

    Parameters
    ----------
    state : ServerState
        Server state.
    token : str
        The job upload token (spent in the same transaction that adds the job).
    scratch : Path
        The unpacked tree under ``tmp/``; moved to ``jobs/<n>``.
    **fields
        Column values of the job row (``user_id`` is set from the token).

    Returns
    -------
    int
        The new job's number.

    Raises
    ------
    ServiceError
        When the token was spent meanwhile (nothing is recorded).
    """
    hashed = hash_token(token)
    staged: Path | None = None
    try:
        with state.db.transaction() as conn:
            row = conn.execute(
                "SELECT user_id FROM upload_tokens WHERE token = ? AND used = 0", (hashed,)
            ).fetchone()
            if row is None:
                raise ServiceError(INVALID_UPLOAD_TOKEN)
            conn.execute("UPDATE upload_tokens SET used = 1 WHERE token = ?", (hashed,))
            pk = insert_job(conn, user_id=int(row["user_id"]), **fields)
            register_tree(conn, pk, scratch)
            staged = stage_dir(state, pk)
            remove_tree(staged)
            scratch.rename(staged)
    except BaseException:
        if staged is not None and staged.exists():  # the commit failed after the move
            remove_tree(staged)
        raise
    final = state.jobs_dir / str(pk)
    remove_tree(final)  # debris of a job number from an older version: nobody's folder
    staged.rename(final)
    return pk


def record_upload(
    state: ServerState,
    token: str,
    scratch: Path,
    details: dict[str, Any],
    ini_string: str,
    label: str,
) -> dict[str, Any]:
    """Commit an unpacked upload as a completed job and build the mutation's answer.

    Parameters
    ----------
    state : ServerState
        Server state.
    token : str
        The job upload token (spent by the commit).
    scratch : Path
        The unpacked tree under ``tmp/``.
    details : dict
        The mutation's ``details`` input (``description``, ``private``).
    ini_string : str
        The job's ini file.
    label : str
        The validated job label, also the job's name.

    Returns
    -------
    dict
        ``{"result": {"job_id": <global ID>, "supporting_files": []}}``.
    """
    pk = commit_uploaded_job(
        state,
        token,
        scratch,
        name=label,
        description=details.get("description") or "",
        private=int(bool(details.get("private"))),
        ini_string=ini_string,
        job_type=JOB_TYPE_UPLOADED,
        status=COMPLETED,
        label=label,
    )
    return {"result": {"job_id": to_global_id("BilbyJobNode", pk), "supporting_files": []}}


@upload_mutation.field("uploadBilbyJob")
async def resolve_upload_bilby_job(
    _obj: Any,
    info: GraphQLResolveInfo,
    input: dict[str, Any],
) -> dict[str, Any]:
    """Validate, unpack and record an uploaded job (authenticated by its upload token).

    The token is checked first and spent only when the job is recorded: on any
    error (or a crash) nothing is stored and the token stays usable.
    """
    state = state_of(info)
    token = input.get("upload_token") or ""
    check_upload_token(state, token)
    details = input.get("details") or {}
    upload = input.get("job_file")
    if upload is None or not hasattr(upload, "file"):
        raise ServiceError("jobFile must be an uploaded file")
    scratch = state.tmp_dir / f"upload-{new_token()}"
    try:
        config_name, ini_string = await asyncio.to_thread(
            extract_job_archive, upload.file, scratch, archive_limits(state)
        )
        try:
            values = parse_ini(ini_string)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
        raw_label = values.get("label")
        label = validate_label(
            parse_value(raw_label)
            if raw_label
            else config_name.removesuffix("_config_complete.ini")
        )
        return record_upload(state, token, scratch, details, ini_string, label)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)

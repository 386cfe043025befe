"""The ``uploadBilbyJob`` mutation: store a finished job from a gzipped tar."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from .archive import extract_job_archive
from .context import state_of
from .errors import ServiceError
from .ids import new_token, to_global_id
from .ini import parse_ini
from .jobs import COMPLETED, JOB_TYPE_UPLOADED, insert_job, validate_job_name
from .results import register_tree
from .state import ServerState

__all__ = ["claim_upload_token", "release_upload_token", "upload_mutation"]

upload_mutation = MutationType()


def claim_upload_token(state: ServerState, token: str) -> int:
    """Mark a job upload token used and return its owner.

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
    with state.db.transaction() as conn:
        row = conn.execute(
            "SELECT * FROM upload_tokens WHERE token = ? AND used = 0", (token,)
        ).fetchone()
        if row is None:
            raise ServiceError("Job upload token is invalid or expired.")
        conn.execute("UPDATE upload_tokens SET used = 1 WHERE token = ?", (token,))
    return int(row["user_id"])


def release_upload_token(state: ServerState, token: str) -> None:
    """Make a claimed token usable again (after a failed upload).

    Parameters
    ----------
    state : ServerState
        Server state.
    token : str
        The token.
    """
    state.db.execute("UPDATE upload_tokens SET used = 0 WHERE token = ?", (token,))


@upload_mutation.field("uploadBilbyJob")
async def resolve_upload_bilby_job(
    _obj: Any,
    info: GraphQLResolveInfo,
    input: dict[str, Any],
) -> dict[str, Any]:
    """Validate, unpack and record an uploaded job (authenticated by its upload token)."""
    state = state_of(info)
    token = input.get("upload_token") or ""
    user_id = claim_upload_token(state, token)
    details = input.get("details") or {}
    upload = input.get("job_file")
    if upload is None or not hasattr(upload, "file"):
        raise ServiceError("jobFile must be an uploaded file")
    scratch = state.tmp_dir / f"upload-{new_token()}"
    try:
        config_name, ini_string = await asyncio.to_thread(extract_job_archive, upload.file, scratch)
        try:
            values = parse_ini(ini_string)
        except ValueError as exc:
            raise ServiceError(str(exc)) from None
        label = values.get("label") or config_name.removesuffix("_config_complete.ini")
        name = validate_job_name(label)
        with state.db.transaction() as conn:
            pk = insert_job(
                conn,
                user_id=user_id,
                name=name,
                description=details.get("description") or "",
                private=int(bool(details.get("private"))),
                ini_string=ini_string,
                job_type=JOB_TYPE_UPLOADED,
                status=COMPLETED,
                label=label,
            )
            final = state.jobs_dir / str(pk)
            scratch.rename(final)
            try:
                register_tree(conn, pk, final)
            except BaseException:
                final.rename(scratch)
                raise
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        release_upload_token(state, token)
        raise
    return {"result": {"job_id": to_global_id("BilbyJobNode", pk), "supporting_files": []}}

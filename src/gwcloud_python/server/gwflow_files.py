"""GWFlow file bytes: uploads (staged, md5-checked, renamed) and token downloads.

Uploads arrive as GraphQL multipart requests, bounded like every other upload by
``ServerConfig.max_upload_bytes`` (:class:`~gwcloud_python.server.limits.BodyGuardMiddleware`
answers 413 for a larger body, which then never reaches the resolver).  Before the
file part is read, the middleware asks :func:`upload_problem` whether the caller is an
ingest user and the file id is known, so a refused upload is answered without
receiving its bytes.  The resolver copies the received part into
``<data>/gwflow/<job pk>/<file pk>.part`` in chunks while computing its md5, then
renames it over the final file; memory use is one chunk.

Downloads (``GET /file_download/?fileId=<downloadToken>``) follow GWFLOW.md §7: 404
and never 403, no validators, ``Range`` ignored.  **Local-server decision** (§13.2 is
open for the real service): the caller is authenticated from ``Authorization: <api
token>`` exactly as on ``/graphql``, so a LIGO user's token downloads LIGO-only files;
without it (or with an unknown token) the caller is anonymous.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
import weakref
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .auth import User, user_by_api_token
from .errors import ServiceError
from .gwflow import (
    INGEST_DENIED,
    INVALID_FILE_ID,
    MD5_MISMATCH,
    decode_any_pk,
    file_path,
    remove_file_bytes,
    require_ingest,
    visible_to,
)
from .state import ServerState

__all__ = [
    "CHUNK_SIZE",
    "clean_gwflow_leftovers",
    "gwflow_download",
    "store_upload",
    "upload_problem",
]

CHUNK_SIZE = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _Slot:
    """A lock serialising the uploads of one file (kept while someone holds it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


_SLOTS: weakref.WeakValueDictionary[int, _Slot] = weakref.WeakValueDictionary()
_SLOTS_GUARD = threading.Lock()


def _slot(file_pk: int) -> _Slot:
    with _SLOTS_GUARD:
        slot = _SLOTS.get(file_pk)
        if slot is None:
            slot = _SLOTS[file_pk] = _Slot()
        return slot


def _caller(state: ServerState, authorization: str) -> User | None:
    token = authorization.strip()
    if not token:
        return None
    try:
        return user_by_api_token(state, token)
    except ServiceError:
        return None


def upload_problem(state: ServerState, authorization: str, value: dict[str, Any]) -> str | None:
    """Check an ``uploadGwflowFile`` request before its file part is received.

    Parameters
    ----------
    state : ServerState
        Server state.
    authorization : str
        The request's ``Authorization`` header (the API token).
    value : dict
        The mutation's ``input`` as the ``operations`` part gives it.

    Returns
    -------
    str or None
        ``Permission Denied`` or ``Invalid gwflow_file_id``; None when the upload
        may proceed (the resolver checks again).
    """
    user = _caller(state, authorization)
    if user is None or not user.is_gwflow_ingest:
        return INGEST_DENIED
    pk = decode_any_pk(value.get("gwflowFileId"))
    if pk is None or state.db.one("SELECT 1 FROM gwflow_files WHERE id = ?", (pk,)) is None:
        return INVALID_FILE_ID
    return None


def store_upload(state: ServerState, user: User | None, file_id: object, source: IO[bytes]) -> int:
    """Store the bytes of one registered file and mark it uploaded.

    Runs in a worker thread (blocking I/O).

    Parameters
    ----------
    state : ServerState
        Server state.
    user : User or None
        The caller; must be an ingest user.
    file_id : object
        ``gwflowFileId``: any ``<type>:<pk>`` id of a file row.
    source : file object
        The received part, read in chunks.

    Returns
    -------
    int
        Number of bytes received.

    Raises
    ------
    ServiceError
        ``Permission Denied``, ``Invalid gwflow_file_id``, ``MD5 checksum mismatch``
        (the staging file and any earlier copy are deleted; ``uploaded`` is left
        alone), or the OS error of a failed write.
    """
    require_ingest(user)
    pk = decode_any_pk(file_id)
    row = None if pk is None else state.db.one("SELECT * FROM gwflow_files WHERE id = ?", (pk,))
    if row is None:
        raise ServiceError(INVALID_FILE_ID)
    job_pk, file_pk = int(row["job_id"]), int(row["id"])
    slot = _slot(file_pk)  # two uploads of one file would share the .part (real service)
    with slot.lock:
        return _store(state, job_pk, file_pk, source)


def _store(state: ServerState, job_pk: int, file_pk: int, source: IO[bytes]) -> int:
    final = file_path(state, job_pk, file_pk)
    staging = final.with_name(final.name + ".part")
    digest = hashlib.md5()  # noqa: S324 - a checksum, not a signature
    size = 0
    try:
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise ServiceError(exc.strerror or type(exc).__name__) from None
    # Checked against the row as it is now (a manifest may have changed it meanwhile);
    # the rename and the flag change happen under the database lock.
    with state.db.transaction() as conn:
        current = conn.execute(
            "SELECT md5_sum FROM gwflow_files WHERE id = ?", (file_pk,)
        ).fetchone()
        if current is None:  # the file left the manifest meanwhile
            staging.unlink(missing_ok=True)
            raise ServiceError(INVALID_FILE_ID)
        registered = str(current["md5_sum"] or "")
        if registered and digest.hexdigest() != registered:
            remove_file_bytes(state, job_pk, file_pk)
            raise ServiceError(MD5_MISMATCH)
        os.replace(staging, final)
        conn.execute(
            "UPDATE gwflow_files SET uploaded = 1, file_size = ? WHERE id = ?", (size, file_pk)
        )
    return size


def clean_gwflow_leftovers(state: ServerState) -> int:
    """Delete the ``.part`` files of uploads a killed server left; call before serving.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    int
        Number of files removed.
    """
    removed = 0
    for part in state.gwflow_dir.glob("*/*.part"):
        if part.is_file() and not part.is_symlink():
            part.unlink(missing_ok=True)
            removed += 1
    return removed


def _disposition(name: str, force: bool) -> str:
    kind = "attachment" if force else "inline"
    name = _CONTROL.sub("", name)
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        return f"{kind}; filename*=utf-8''{quote(name)}"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'{kind}; filename="{escaped}"'


def _stream(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


def gwflow_download(state: ServerState, request: Request) -> Response | None:
    """Answer a ``/file_download/`` request whose ``fileId`` is a GWFlow token.

    Parameters
    ----------
    state : ServerState
        Server state.
    request : Request
        The request (``fileId`` and ``forceDownload`` query parameters, optional
        ``Authorization: <api token>``).

    Returns
    -------
    Response or None
        The streamed file; None when the token names no GWFlow file that this caller
        may fetch (the caller answers 404).
    """
    token = request.query_params.get("fileId", "")
    try:
        uuid.UUID(token)
    except ValueError:
        return None
    row = state.db.one(
        "SELECT f.*, g.ligo_only AS ligo_only FROM gwflow_files f "
        "JOIN gwflow_jobs g ON g.id = f.job_id WHERE f.download_token = ?",
        (token,),
    )
    if row is None or not row["uploaded"]:
        return None
    if not visible_to(_caller(state, request.headers.get("authorization", "")), row):
        return None
    try:
        handle = open(file_path(state, int(row["job_id"]), int(row["id"])), "rb")  # noqa: SIM115
    except OSError:
        return None
    size = os.fstat(handle.fileno()).st_size
    headers = {
        "Content-Length": str(size),
        "Content-Disposition": _disposition(
            str(row["file_name"]), "forceDownload" in request.query_params
        ),
    }
    return StreamingResponse(
        _stream(handle), headers=headers, media_type="application/octet-stream"
    )

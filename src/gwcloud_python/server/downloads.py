"""File download routes with HTTP Range support, streaming in chunks.

Every answer carries a strong ``ETag`` (and, for stored files, ``Last-Modified``)
naming the file's current version; a ``Range`` request with an ``If-Range`` that
does not name that version gets the whole file (200), as RFC 9110 asks, so a
client never resumes a file with bytes of another version.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from .content import iter_generated
from .gwflow_files import gwflow_download
from .jobs import JOB_TYPE_NORMAL, JOB_TYPE_UPLOADED
from .state import ServerState

__all__ = ["CHUNK_SIZE", "download_endpoint", "file_source", "file_version", "parse_range"]

CHUNK_SIZE = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """Interpret a single-range ``Range`` header.

    Parameters
    ----------
    header : str or None
        The header value.
    size : int
        File size.

    Returns
    -------
    tuple of (int, int), None or str
        ``(start, end_inclusive)``; None for a whole-file answer (no or unusable
        header); ``"unsatisfiable"`` when the range lies outside the file.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        return "unsatisfiable"
    return start, end


def _iter_disk(path: Path, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = end - start
        while remaining > 0:
            data = handle.read(min(CHUNK_SIZE, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data


def file_source(state: ServerState, row: Any) -> tuple[int, Any]:
    """Return the size and a ``(start, end_exclusive) -> iterator`` reader of a file row.

    Parameters
    ----------
    state : ServerState
        Server state.
    row : sqlite3.Row
        A row of ``files``.

    Returns
    -------
    tuple
        Size in bytes and the reader.
    """
    file_id = int(row["id"])
    if row["generated"]:
        return int(row["size"]), lambda s, e: iter_generated(file_id, s, e, CHUNK_SIZE)
    path = state.jobs_dir / str(row["job_id"]) / row["path"]
    size = path.stat().st_size
    return size, lambda s, e: _iter_disk(path, s, e)


def file_version(state: ServerState, row: Any, size: int) -> tuple[str, str | None]:
    """Return the strong ETag and the Last-Modified date of a file row's current content.

    Parameters
    ----------
    state : ServerState
        Server state.
    row : sqlite3.Row
        A row of ``files``.
    size : int
        The file's size, as :func:`file_source` gave it.

    Returns
    -------
    tuple of (str, str or None)
        The quoted ETag, and the HTTP date of the last change (None for
        generated files, whose content never changes).

    Raises
    ------
    OSError
        A stored file cannot be read.
    """
    if row["generated"]:
        return f'"g{int(row["id"]):x}-{size:x}"', None
    info = (state.jobs_dir / str(row["job_id"]) / row["path"]).stat()
    etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}-{info.st_ino:x}"'
    return etag, formatdate(info.st_mtime, usegmt=True)


def _if_range_holds(header: str | None, etag: str, last_modified: str | None) -> bool:
    """Whether a ``Range`` may be honoured under the request's ``If-Range`` (if any)."""
    if header is None:
        return True
    value = header.strip()
    if value.startswith('"') or value.startswith("W/"):
        return value == etag  # strong comparison: a weak tag never matches
    return last_modified is not None and value == last_modified


def _not_found() -> Response:
    return PlainTextResponse("File not found", status_code=404)


def download_endpoint(state: ServerState, job_type: int) -> Any:
    """Return the endpoint serving file IDs of jobs of one type.

    Parameters
    ----------
    state : ServerState
        Server state.
    job_type : int
        ``JOB_TYPE_NORMAL`` (``/job/apiv1/file/``) or ``JOB_TYPE_UPLOADED``
        (``/bilby/file_download/`` in 2023 mode, ``/file_download/`` in 2026 mode); an
        ID of the other kind answers 404.  In 2026 mode ``/file_download/`` also
        serves GWFlow files by their permanent ``downloadToken``
        (:func:`~gwcloud_python.server.gwflow_files.gwflow_download`: no validators,
        no ranges, the caller authenticated by ``Authorization: <api token>``).

    Returns
    -------
    callable
        The Starlette endpoint.
    """
    assert job_type in (JOB_TYPE_NORMAL, JOB_TYPE_UPLOADED)

    async def endpoint(request: Request) -> Response:
        file_id = request.query_params.get("fileId", "")
        row = state.db.one(
            "SELECT f.*, d.expires_at, j.job_type FROM download_ids d "
            "JOIN files f ON f.id = d.file_id JOIN jobs j ON j.id = f.job_id WHERE d.id = ?",
            (file_id,),
        )
        if row is None and job_type == JOB_TYPE_UPLOADED and state.config.schema != "2023":
            gwflow = gwflow_download(state, request)  # a GWFlow file's permanent token
            return _not_found() if gwflow is None else gwflow
        if row is None or float(row["expires_at"]) < time.time():
            return _not_found()
        if int(row["job_type"]) != job_type:
            return _not_found()
        try:
            size, reader = file_source(state, row)
            etag, last_modified = file_version(state, row, size)
        except OSError:
            return _not_found()
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'attachment; filename="{Path(row["path"]).name}"',
            "ETag": etag,
        }
        if last_modified is not None:
            headers["Last-Modified"] = last_modified
        wanted = parse_range(request.headers.get("range"), size)
        if wanted is not None and not _if_range_holds(
            request.headers.get("if-range"), etag, last_modified
        ):
            wanted = None  # the client holds another version: send the whole file
        if wanted == "unsatisfiable":
            headers["Content-Range"] = f"bytes */{size}"
            return Response(b"", status_code=416, headers=headers)
        status = 200
        start, end = 0, size - 1
        if isinstance(wanted, tuple):
            start, end = wanted
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(max(end - start + 1, 0))
        return StreamingResponse(
            reader(start, end + 1),
            status_code=status,
            headers=headers,
            media_type="application/octet-stream",
        )

    return endpoint

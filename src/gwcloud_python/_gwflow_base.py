"""GWFlow without I/O: argument checks, request inputs, answers into models, the pager.

The async mixin :class:`gwcloud_python._async.gwflow.AsyncGWFlow` (and its
generated sync twin) calls these; everything that reads a file or the network
stays there.  See ``GWFLOW.md`` for the service's rules quoted below.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import _constants as C
from ._auth import SessionTokenAuth
from ._errors import DownloadError, GWCloudError, ValidationError
from ._feed import DownloadItem
from ._gwflow_wire import parse_time
from ._profiles import ServiceProfile, download_url, origin_of
from .gwflow_file import GWFlowFile
from .gwflow_job import GWFlowJob, GWFlowJobList

if TYPE_CHECKING:  # the 2026 operations load when a GWFlow call first needs them
    from ._generated.bilby2026 import GWFlowFileInput, UpsertGwflowJobMutationInput

logger = logging.getLogger("gwcloud_python")

__all__ = [
    "GWFlowPager",
    "check_sname",
    "download_failure",
    "file_entries",
    "gwflow_download_item",
    "md5_of",
    "require_gwflow_service",
    "upsert_input",
]

#: Column limits of the service (MySQL strict mode answers a database error past them).
SNAME_MAX = 64
SCHEMA_VERSION_MAX = 8
HISTORY_ID_MAX = 64
ANALYSIS_UID_MAX = 128
MD5_MAX = 32
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
#: Bytes read at a time while hashing a file for its manifest entry.
_HASH_CHUNK = 1024 * 1024

#: The 404 message of gwcloud-python 3.0.0, kept word for word.
NOT_FOUND_MESSAGE = (
    "File not found or not available for download (404). It may be restricted or not yet mirrored."
)

#: Keys a ``files`` entry may have, by field: snake_case, camelCase (as 3.0.0 accepts),
#: plus ``local_path``, a local copy to size and hash.
_ENTRY_KEYS: dict[str, tuple[str, ...]] = {
    "analysis_uid": ("analysis_uid", "analysisUid"),
    "path": ("path",),
    "file_name": ("file_name", "fileName"),
    "file_size": ("file_size", "fileSize"),
    "md5_sum": ("md5_sum", "md5Sum"),
    "local_path": ("local_path", "localPath"),
}
_KNOWN_KEYS = {key: name for name, keys in _ENTRY_KEYS.items() for key in keys}


def require_gwflow_service(profile: ServiceProfile, method: str) -> None:
    """Refuse a GWFlow call on a client of the 2023 service, which has no GWFlow.

    Raises
    ------
    GWCloudError
        The client talks to the 2023 service.
    """
    if profile.service != "2026":
        raise GWCloudError(
            f"{method} needs the 2026 GWCloud service, the only one with GWFlow; this client "
            f"talks to the {profile.service} service ({profile.endpoint}).  Create it with "
            "endpoint='https://gwcloud.org.au/graphql' (or service='2026')"
        )


def check_sname(sname: object, name: str = "sname") -> str:
    """Return ``sname`` if it is a non-empty superevent name the service can store."""
    if not isinstance(sname, str) or not sname:
        raise ValidationError(f"{name} must be a non-empty string, got {sname!r}")
    if len(sname) > SNAME_MAX:
        raise ValidationError(f"{name} is longer than the service's {SNAME_MAX} characters")
    return sname


def _check_limited(value: object, name: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, got {value!r}")
    if len(value) > limit:
        raise ValidationError(f"{name} is longer than the service's {limit} characters")
    return value


def md5_of(path: Path) -> tuple[int, str]:
    """Size and lowercase md5 of a file, read in 1 MiB pieces (never whole in memory)."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _local_file(value: object, where: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise ValidationError(f"{where} must be a path, got {value!r}")
    path = Path(value)
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise ValidationError(f"{where} {str(path)!r} {what}")
    return path


@dataclass
class _Entry:
    """One checked manifest entry; ``local`` is hashed later (off the event loop)."""

    analysis_uid: str
    path: str
    file_name: str
    file_size: int | None
    md5_sum: str
    local: Path | None


def _entry_from_mapping(raw: Mapping[Any, Any], where: str) -> _Entry:
    seen: dict[str, Any] = {}
    for key, value in raw.items():
        field_name = _KNOWN_KEYS.get(key) if isinstance(key, str) else None
        if field_name is None:
            allowed = ", ".join(sorted(_KNOWN_KEYS))
            raise ValidationError(f"{where} has an unknown key {key!r} (known keys: {allowed})")
        if field_name in seen:
            raise ValidationError(f"{where} gives {field_name} twice (as {key!r} too)")
        seen[field_name] = value
    local = None
    if seen.get("local_path") is not None:
        local = _local_file(seen["local_path"], f"{where} local_path")
    path = seen.get("path")
    if path is None and local is not None:
        path = local.as_posix()
    if not isinstance(path, str) or not path:
        raise ValidationError(f"{where} needs a non-empty string path, got {path!r}")
    file_name = seen.get("file_name")
    if file_name is None:
        file_name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if not isinstance(file_name, str) or not file_name:
        raise ValidationError(f"{where} needs a non-empty file_name, got {file_name!r}")
    analysis_uid = seen.get("analysis_uid")
    if analysis_uid is None:
        analysis_uid = ""
    _check_limited(analysis_uid, f"{where} analysis_uid", ANALYSIS_UID_MAX)
    size = seen.get("file_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValidationError(f"{where} file_size must be a non-negative integer, got {size!r}")
    md5 = seen.get("md5_sum")
    if md5 is None:
        md5 = ""
    if not isinstance(md5, str) or len(md5) > MD5_MAX:
        raise ValidationError(
            f"{where} md5_sum must be a string of at most {MD5_MAX} characters, got {md5!r}"
        )
    if _MD5.match(md5):
        md5 = md5.lower()  # the service compares uploads with a lower-case hex digest
    elif md5:
        logger.warning(
            "%s md5_sum %r is not an md5 hex digest: no upload of %s can match it",
            where,
            md5,
            path,
        )
    return _Entry(analysis_uid, path, file_name, size, md5, local)


def file_entries(files: Iterable[Any]) -> list[_Entry]:
    """Check every ``files`` entry (no file is read yet).

    An entry is a mapping with the keys of ``GWFlowFileInput`` in snake_case or
    camelCase (plus ``local_path``), or a path to a local file, registered under
    ``path = str(entry)`` with ``file_name`` its last part and ``analysis_uid = ""``.

    Raises
    ------
    ValidationError
        An entry has an unknown key, a value of the wrong type, or names a missing file.
    """
    if isinstance(files, (str, bytes, Mapping)) or not isinstance(files, Iterable):
        raise ValidationError(f"files must be a list of entries, got {files!r}")
    entries = []
    for index, raw in enumerate(files):
        where = f"files[{index}]"
        if isinstance(raw, Mapping):
            entries.append(_entry_from_mapping(raw, where))
        elif isinstance(raw, os.PathLike):
            local = _local_file(raw, where)
            text = os.fspath(raw)
            entries.append(_Entry("", str(text), local.name, None, "", local))
        else:
            raise ValidationError(f"{where} must be a mapping or a path, got {raw!r}")
    return entries


def hash_entries(entries: Sequence[_Entry]) -> list[GWFlowFileInput]:
    """The manifest as the service takes it, hashing each local file not yet sized or hashed.

    Empty values are left out, as gwcloud-python 3.0.0 leaves them out (the
    service's defaults are the same ``""``), except a size of 0.
    """
    from ._generated.bilby2026 import GWFlowFileInput

    inputs = []
    for entry in entries:
        size, md5 = entry.file_size, entry.md5_sum
        if entry.local is not None and (size is None or not md5):
            local_size, local_md5 = md5_of(entry.local)
            size = local_size if size is None else size
            md5 = md5 or local_md5
        values: dict[str, Any] = {"path": entry.path, "file_name": entry.file_name}
        if entry.analysis_uid:
            values["analysis_uid"] = entry.analysis_uid
        if size is not None:
            values["file_size"] = size
        if md5:
            values["md_5_sum"] = md5
        inputs.append(GWFlowFileInput(**values))
    return inputs


def upsert_input(
    sname: object,
    *,
    schema_version: object,
    metadata: object,
    libraries: object,
    is_pruned: object,
    event_id: object,
    current_history_id: object,
    current_history_timestamp: object,
    files: list[GWFlowFileInput] | None,
) -> UpsertGwflowJobMutationInput:
    """The checked input of ``upsertGwflowJob``: only the arguments that are not None.

    Raises
    ------
    ValidationError
        An argument has the wrong type, is too long for the service, or ``metadata``
        cannot be written as JSON.
    """
    values: dict[str, Any] = {"sname": check_sname(sname)}
    if _check_limited(schema_version, "schema_version", SCHEMA_VERSION_MAX) is not None:
        values["schema_version"] = schema_version
    if metadata is not None:
        try:
            values["metadata"] = json.dumps(metadata)
        except (TypeError, ValueError) as err:
            raise ValidationError(f"metadata cannot be written as JSON: {err}") from None
    if libraries is not None:
        if isinstance(libraries, (str, bytes)) or not isinstance(libraries, (list, tuple)):
            raise ValidationError(f"libraries must be a list of names, got {libraries!r}")
        if not all(isinstance(name, str) for name in libraries):
            raise ValidationError(f"libraries must be a list of names, got {libraries!r}")
        values["libraries"] = list(libraries)
    if is_pruned is not None:
        if not isinstance(is_pruned, bool):
            raise ValidationError(f"is_pruned must be True, False or None, got {is_pruned!r}")
        values["is_pruned"] = is_pruned
    if event_id is not None:
        if not isinstance(event_id, str):
            raise ValidationError(f"event_id must be a string, got {event_id!r}")
        values["event_id"] = event_id
    if _check_limited(current_history_id, "current_history_id", HISTORY_ID_MAX) is not None:
        values["current_history_id"] = current_history_id
    if current_history_timestamp is not None:
        if not isinstance(current_history_timestamp, (str, datetime)):
            raise ValidationError(
                "current_history_timestamp must be a datetime or ISO 8601 text, "
                f"got {current_history_timestamp!r}"
            )
        values["current_history_timestamp"] = parse_time(
            current_history_timestamp, "current_history_timestamp"
        )
    if files is not None:
        values["files"] = files
    from ._generated.bilby2026 import GWFlowUpsertInput, UpsertGwflowJobMutationInput

    return UpsertGwflowJobMutationInput(params=GWFlowUpsertInput(**values))


def gwflow_download_item(
    profile: ServiceProfile,
    token: str,
    target: GWFlowFile | str,
    *,
    size: int | None,
) -> DownloadItem:
    """The download engine's item for one GWFlow file.

    The URL is the configured service's ``file_download/?fileId=<downloadToken>``.
    The caller's API token goes with it (as ``Authorization: <token>``, as on
    GraphQL requests) only when that URL is on the GraphQL endpoint's own origin,
    so a token never reaches a host the caller did not name.  With ``size`` the
    body must have that size (a GWFlow file's ``fileSize`` is the byte count the
    service stored); without it, the length its answer announces.

    Parameters
    ----------
    profile : ServiceProfile
        The client's profile.
    token : str
        The caller's API token, ``""`` when anonymous.
    target : GWFlowFile or str
        The file, or its download token.
    size : int or None
        The file's size when known.
    """
    if isinstance(target, GWFlowFile):
        download_token, path = target.download_token, target.path
    else:
        download_token, path = target, None
    if not isinstance(download_token, str) or not download_token:
        raise ValidationError(f"download_token must be a non-empty string, got {download_token!r}")
    if path is None:
        # The engine's messages and logs name ``path`` and strip the URL's query, where
        # the (permanent) token is: name a bare token's file by its first characters only.
        path = f"GWFlow file {download_token[:8]}..."
    url = download_url(profile, uploaded=True, file_id=download_token)
    auth: httpx.Auth | None = None
    if token and origin_of(url) == origin_of(profile.endpoint):
        auth = SessionTokenAuth(token)
    if size is None:
        return DownloadItem(url=url, path=path, size=0, size_known=False, auth=auth)
    return DownloadItem(url=url, path=path, size=size, auth=auth)


def download_failure(err: DownloadError) -> DownloadError:
    """The error a failed GWFlow download raises: 3.0.0's messages, the engine's detail.

    The service answers 404 for a missing token, a file not uploaded yet, a
    LIGO-only job the caller may not see and bytes missing on disk alike.
    """
    if err.status_code == 404:
        return DownloadError(NOT_FOUND_MESSAGE, url=err.url, status_code=404)
    if err.status_code is not None:
        return DownloadError(
            f"Failed to download GWFlow file: HTTP {err.status_code}. ({err.message})",
            url=err.url,
            status_code=err.status_code,
        )
    return err


class GWFlowPager:
    """Follows ``gwflowJobs`` pages and keeps each job once.

    The service repeats the first page's last job at the top of the second
    page, and its cursors are positions, not keys; so jobs are kept by ID, and
    the walk stops when a page says there is no next one, names no cursor, or
    names a cursor already followed.
    """

    def __init__(self) -> None:
        self.jobs: list[GWFlowJob] = GWFlowJobList()
        self._ids: set[str] = set()
        self._cursors: set[str] = set()
        #: The cursor of the next request (None for the first page).
        self.after: str | None = None

    def add_page(self, edges: Iterable[Any], has_next: bool, end_cursor: str | None) -> bool:
        """Take one page (edges of ``{"node": ...}`` mappings); True when another is wanted."""
        for edge in edges:
            node = None if edge is None else edge.get("node")
            if node is None:
                continue
            job = GWFlowJob.from_dict(node)
            if job.id in self._ids:
                continue
            self._ids.add(job.id)
            self.jobs.append(job)
        if not has_next or end_cursor is None or end_cursor in self._cursors:
            return False
        if self.after is not None:
            self._cursors.add(self.after)
        self._cursors.add(end_cursor)
        self.after = end_cursor
        return True


def page_size() -> int:
    """How many jobs one ``gwflowJobs`` request asks for."""
    return C.GWFLOW_PAGE_SIZE

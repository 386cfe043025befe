"""gwcloud-python 1.x's download helpers and download endpoint constants.

:class:`~gwcloud_python.GWCloud` does not use these helpers (its downloads are
streamed, retried and written atomically); they are kept for scripts that
called them.  The two constants may be reassigned here or in
:mod:`gwcloud_python.settings`: both the helpers and every client that was not
given explicit download URLs read them when they download.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import httpx
from tqdm import tqdm

from .._errors import DownloadError, ExternalFileDownloadException
from .._files import resolve_target, temporary_paths
from .._profiles import LEGACY_DOWNLOAD_PREFIXES, legacy_download_prefix
from ..file_reference import FileReference, FileReferenceList
from ..helpers import JobType

__all__ = [
    "GWCLOUD_FILE_DOWNLOAD_ENDPOINT",
    "GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT",
]

GWCLOUD_FILE_DOWNLOAD_ENDPOINT = LEGACY_DOWNLOAD_PREFIXES["GWCLOUD_FILE_DOWNLOAD_ENDPOINT"]
GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT = LEGACY_DOWNLOAD_PREFIXES[
    "GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT"
]
#: Files downloaded at once by :func:`_download_files`.
_WORKERS = 8
_CHUNK = 16 * 1024


class _Progress(Protocol):
    def update(self, n: float | None = 1) -> bool | None: ...


def _get_endpoint_from_uploaded(is_uploaded_job: bool) -> str:
    """The download URL prefix for a job's files, as configured right now."""
    return legacy_download_prefix(uploaded=bool(is_uploaded_job))


def _url(file_id: object, file_ref: FileReference) -> str:
    # As in 1.x, a job whose type is not known yet counts as a normal job.
    kind = file_ref.parent.type
    if kind is JobType.EXTERNAL:
        raise ExternalFileDownloadException(
            "Job results for this job are external to GWCloud. Please open the following "
            f"link in a browser to explore the results: {file_ref.path}"
        )
    return _get_endpoint_from_uploaded(kind is JobType.UPLOADED) + str(file_id)


def _stream(url: str, progress_bar: _Progress, write: Callable[[bytes], object]) -> None:
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=120) as response:
            if response.status_code != 200:
                raise DownloadError(
                    f"download from {url.split('?')[0]} failed: HTTP {response.status_code}",
                    url=url.split("?")[0],
                    status_code=response.status_code,
                )
            for chunk in response.iter_bytes(_CHUNK):
                progress_bar.update(len(chunk))
                write(chunk)
    except httpx.HTTPError as err:
        raise DownloadError(
            f"download from {url.split('?')[0]} failed: {type(err).__name__}: {err}",
            url=url.split("?")[0],
        ) from err


def _get_file_map_fn(
    file_id: object, file_ref: FileReference, progress_bar: _Progress, **kwargs: Any
) -> tuple[Any, bytes]:
    """Download one file into memory; returns ``(file_ref.path, content)``.

    Raises
    ------
    ExternalFileDownloadException
        The file belongs to an external job.
    DownloadError
        The transfer failed.
    """
    parts: list[bytes] = []
    _stream(_url(file_id, file_ref), progress_bar, parts.append)
    return file_ref.path, b"".join(parts)


def _save_file_map_fn(
    file_id: object, file_ref: FileReference, progress_bar: _Progress, root_path: str | Path
) -> None:
    """Download one file to ``root_path / file_ref.path``.

    Raises
    ------
    ValidationError
        The listed path would leave ``root_path``.
    ExternalFileDownloadException
        The file belongs to an external job.
    DownloadError
        The transfer failed.
    """
    url = _url(file_id, file_ref)
    # The same checks as every other save: a listed path may not leave root_path, and
    # the bytes reach the final name only once the transfer is complete.
    output = resolve_target(Path(root_path), file_ref.path.as_posix())
    output.parent.mkdir(parents=True, exist_ok=True)
    part, _ = temporary_paths(output)
    try:
        with part.open("wb") as handle:
            _stream(url, progress_bar, handle.write)
        os.replace(part, output)
    finally:
        part.unlink(missing_ok=True)


def _download_files(
    map_fn: Callable[..., Any],
    file_ids: Sequence[object],
    file_refs: FileReferenceList,
    root_path: str | Path | None = None,
) -> list[Any]:
    """Run ``map_fn(file_id, file_ref, progress_bar=..., root_path=...)`` for each pair.

    Returns
    -------
    list
        What ``map_fn`` returned for each file, in order.
    """
    progress = tqdm(
        total=file_refs.get_total_bytes(),
        leave=True,
        unit="B",
        unit_scale=True,
        disable=not sys.stderr.isatty(),
    )
    try:
        with ThreadPoolExecutor(max_workers=_WORKERS) as executor:
            work = partial(map_fn, progress_bar=progress, root_path=root_path)
            return list(executor.map(work, file_ids, file_refs))
    finally:
        progress.close()

"""The 2026 ``uploadHdf5BilbyJob`` mutation: store a job as one HDF5 result plus its ini."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import IO, Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from .archive import make_tree_private
from .context import state_of
from .errors import ServiceError
from .ids import new_token
from .ini import parse_ini, parse_value
from .jobs import validate_label
from .uploads import check_upload_token, record_upload

__all__ = ["HDF5_SIGNATURE", "MAX_INI_BYTES", "hdf5_mutation", "read_ini_upload"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MAX_INI_BYTES = 4 * 1024 * 1024
_CHUNK = 256 * 1024

hdf5_mutation: MutationType = MutationType()


def _upload_file(value: Any, name: str) -> IO[bytes]:
    handle = getattr(value, "file", None)
    if handle is None:
        raise ServiceError(f"{name} must be an uploaded file")
    file: IO[bytes] = handle
    return file


def read_ini_upload(handle: IO[bytes]) -> str:
    """Read an uploaded ini file as text.

    Parameters
    ----------
    handle : file object
        The uploaded bytes.

    Returns
    -------
    str
        The ini contents.

    Raises
    ------
    ServiceError
        When the file is larger than :data:`MAX_INI_BYTES` or not UTF-8 text.
    """
    handle.seek(0)
    data = handle.read(MAX_INI_BYTES + 1)
    if len(data) > MAX_INI_BYTES:
        raise ServiceError(f"iniFile is larger than {MAX_INI_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ServiceError("iniFile must be UTF-8 text") from None


def _check_signature(handle: IO[bytes]) -> None:
    handle.seek(0)
    if handle.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
        raise ServiceError(
            "hdf5File is not an HDF5 file: it does not start with the HDF5 signature "
            "(\\x89HDF\\r\\n\\x1a\\n)"
        )


def _label_of(ini_string: str) -> str:
    try:
        values = parse_ini(ini_string)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    label = parse_value(values.get("label", ""))
    if not isinstance(label, str) or not label:
        raise ServiceError("The ini file must set a label")
    return validate_label(label)


def _store(hdf5: IO[bytes], ini_string: str, label: str, scratch: Path) -> None:
    (scratch / "result").mkdir(parents=True)
    (scratch / f"{label}_config_complete.ini").write_text(ini_string, encoding="utf-8")
    hdf5.seek(0)
    with open(scratch / "result" / f"{label}_result.hdf5", "wb") as out:
        shutil.copyfileobj(hdf5, out, _CHUNK)
    make_tree_private(scratch)


@hdf5_mutation.field("uploadHdf5BilbyJob")
async def resolve_upload_hdf5_bilby_job(
    _obj: Any,
    info: GraphQLResolveInfo,
    input: dict[str, Any],
) -> dict[str, Any]:
    """Record a completed uploaded job from an HDF5 result file and its ini file.

    The upload token (from ``generateBilbyJobUploadToken``) authenticates the call and
    is used up; on any error nothing is stored and the token stays usable.  The job is
    named after the ini ``label`` and holds ``<label>_config_complete.ini`` and
    ``result/<label>_result.hdf5``.
    """
    state = state_of(info)
    token = input.get("upload_token") or ""
    check_upload_token(state, token)
    scratch = state.tmp_dir / f"upload-{new_token()}"
    try:
        details = input.get("details") or {}
        # ariadne converts ``hdf5File`` to ``hdf_5_file``
        hdf5 = _upload_file(input.get("hdf_5_file", input.get("hdf5_file")), "hdf5File")
        ini = _upload_file(input.get("ini_file"), "iniFile")
        ini_string = await asyncio.to_thread(read_ini_upload, ini)
        label = _label_of(ini_string)
        await asyncio.to_thread(_check_signature, hdf5)
        await asyncio.to_thread(_store, hdf5, ini_string, label, scratch)
        return record_upload(state, token, scratch, details, ini_string, label)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)

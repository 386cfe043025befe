"""Where GWFlow files live on disk: ``<root>/<sname>/<analysis_uid>/<path>``.

:meth:`~gwcloud_python.GWCloud.save_gwflow_files` writes this layout and
:meth:`~gwcloud_python.GWCloud.mirror_gwflow_files` reads it, so a tree saved from
one deployment can be mirrored into another.  The names come from the service and
are untrusted: this module only builds the relative text; ``_paths.resolve_target``
refuses anything that would leave the root.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ._errors import ValidationError

__all__ = ["local_relative_path", "local_source"]

#: A cluster prefix the ingest registers paths with, such as ``CIT:/home/...``.
_CLUSTER = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?=/|$)")


def _component(value: str, what: str) -> str:
    if "/" in value or "\\" in value or "\x00" in value or value in (".", ".."):
        raise ValidationError(f"{what} {value!r} cannot be used as a folder name")
    return value


def local_relative_path(sname: str, analysis_uid: str, path: str) -> str:
    """The file's place under a root, as a relative POSIX path.

    Parameters
    ----------
    sname : str
        The job's superevent name: the first folder.
    analysis_uid : str
        The analysis: the second folder (none for superevent-level files, ``""``).
    path : str
        The registered path.  Leading slashes are dropped and a cluster prefix
        such as ``CIT:`` becomes a folder (``CIT:/home/pe/a.json`` gives
        ``CIT/home/pe/a.json``); ``..`` and the like are refused when the path is
        resolved under the root.

    Returns
    -------
    str
        ``<sname>/<analysis_uid>/<path>``.

    Raises
    ------
    ValidationError
        ``sname`` or ``analysis_uid`` is empty where it may not be, or holds a path
        separator, or ``path`` is empty.

    Examples
    --------
    >>> local_relative_path("S230101a", "pe1", "CIT:/home/pe/result.json")
    'S230101a/pe1/CIT/home/pe/result.json'
    >>> local_relative_path("S230101a", "", "summary.txt")
    'S230101a/summary.txt'
    """
    if not sname:
        raise ValidationError("a GWFlow job without an sname cannot be laid out on disk")
    parts = [_component(sname, "sname")]
    if analysis_uid:
        parts.append(_component(analysis_uid, "analysis_uid"))
    relative = _CLUSTER.sub(r"\1", path).lstrip("/")
    if not relative:
        raise ValidationError(f"path {path!r} names no file")
    parts.append(relative)
    return "/".join(parts)


def local_source(root: Path, relative: str) -> Path:
    """Where a mirror reads the file laid out at ``relative`` under ``root``.

    The check is on the text only: ``..``, backslashes and NUL bytes are refused,
    so a name from the service cannot reach above ``root``.  Symlinks inside the
    tree are followed, since only the caller can have made them (a staging area
    of links is common); a save, which writes, resolves them instead.

    Parameters
    ----------
    root : Path
        The local tree.
    relative : str
        From :func:`local_relative_path`.

    Returns
    -------
    Path
        ``root / relative``.

    Raises
    ------
    ValidationError
        ``relative`` would leave ``root``.
    """
    if "\\" in relative or "\x00" in relative:
        raise ValidationError(f"{relative!r} holds a backslash or a NUL byte")
    parts = PurePosixPath(relative).parts
    if PurePosixPath(relative).is_absolute() or ".." in parts:
        raise ValidationError(f"{relative!r} would leave the local root")
    return root.joinpath(*parts)

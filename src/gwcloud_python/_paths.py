"""Where downloaded files go, checked before the first request.

A server-listed path is untrusted: :func:`resolve_target` refuses absolute
paths, ``..``, NUL bytes, backslashes and symlink escapes, and
:func:`resolve_targets` also refuses two names for one file (where file names
ignore case or Unicode normalisation) and names that clash with another
file's temporary names (:func:`temporary_paths`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import unicodedata
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from . import _constants as C
from ._errors import ValidationError

__all__ = [
    "already_saved",
    "make_output_directory",
    "resolve_target",
    "resolve_targets",
    "same_file_key",
    "temporary_paths",
]

#: Longest final name (in bytes) that keeps its name inside the temporary file's name.
_NAME_IN_PART_MAX = 200
#: How every temporary name ends, as :func:`same_file_key` writes it.
_TEMPORARY_ENDINGS = (C.PART_SUFFIX.casefold(), (C.PART_SUFFIX + C.SIDECAR_SUFFIX).casefold())


class _ResolveCache:
    """The resolved root and resolved parent directories, shared while resolving many paths."""

    def __init__(self, root: Path) -> None:
        self.base = root.resolve()
        #: Resolved parent directory, and whether it existed, per tuple of parent parts.
        self.parents: dict[tuple[str, ...], tuple[Path, bool]] = {}
        #: Whether a resolved directory is ``base`` or inside it.
        self.inside: dict[Path, bool] = {}

    def holds(self, target: Path) -> bool:
        """Whether ``target`` is strictly inside ``base`` (decided once per directory)."""
        if target == self.base:
            return False
        parent = target.parent
        verdict = self.inside.get(parent)
        if verdict is None:
            verdict = self.inside[parent] = parent == self.base or self.base in parent.parents
        return verdict


def _resolve_parts(base: Path, parts: list[str], cache: _ResolveCache | None) -> Path:
    """``base/parts...`` with every symlink resolved (a missing tail is kept as it is).

    Resolving the parent directory once for many files gives the same answer as
    resolving each path whole: resolution goes one component at a time.
    """
    if cache is None:
        target = base.joinpath(*parts).resolve(strict=False)
    else:
        key = tuple(parts[:-1])
        known = cache.parents.get(key)
        if known is None:
            parent = base.joinpath(*key).resolve(strict=False)
            known = cache.parents[key] = (parent, os.path.isdir(parent))
        parent, exists = known
        target = parent / parts[-1]
        # In a directory that does not exist yet, no file can be a symlink.
        if not exists or not os.path.islink(target):
            return target
        target = target.resolve(strict=False)
    if target.is_symlink():  # Python 3.13+ leaves a symlink loop unresolved
        raise RuntimeError("symlink loop")
    return target


def resolve_target(root: Path, relative: str, *, _cache: _ResolveCache | None = None) -> Path:
    """Return the path under ``root`` where the file ``relative`` may be written.

    Parameters
    ----------
    root : pathlib.Path
        Output directory.  It need not exist yet.
    relative : str
        Untrusted ``/``-separated path, as listed by the server.  Empty and
        ``.`` components are ignored (``./a//b`` is ``a/b``).

    Returns
    -------
    pathlib.Path
        The absolute, resolved target path; it is inside ``root.resolve()``.

    Raises
    ------
    ValidationError
        ``relative`` is empty, absolute, has a drive, contains a ``..``
        component, a NUL byte or a backslash, or resolves (through existing
        symlinks) to somewhere outside ``root``.  The message names the path.
    """
    if not isinstance(relative, str):
        raise ValidationError(f"refusing file path {relative!r}: not a string")
    if relative.strip() == "":
        raise ValidationError(f"refusing file path {relative!r}: empty")
    if "\x00" in relative:
        raise ValidationError(f"refusing file path {relative!r}: contains a NUL byte")
    if "\\" in relative:
        raise ValidationError(f"refusing file path {relative!r}: contains a backslash")
    # Only a path starting with "/" or with a drive ("C:") can be anchored; the rest
    # skip building two path objects.
    if (relative[:1] == "/" or relative[1:2] == ":") and (
        PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).anchor
    ):
        raise ValidationError(f"refusing file path {relative!r}: absolute paths are not allowed")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValidationError(f"refusing file path {relative!r}: contains a '..' component")
    if not parts:
        raise ValidationError(f"refusing file path {relative!r}: names no file")
    try:
        base = root.resolve() if _cache is None else _cache.base
        target = _resolve_parts(base, parts, _cache)
    except (RuntimeError, OSError) as err:
        raise ValidationError(
            f"refusing file path {relative!r}: it cannot be resolved under {str(root)!r} ({err})"
        ) from None
    inside = _cache.holds(target) if _cache is not None else base in target.parents
    if target == base or not inside:
        raise ValidationError(
            f"refusing file path {relative!r}: it resolves to {str(target)!r}, "
            f"outside the output directory {str(base)!r}"
        )
    return target


def same_file_key(path: Path | str) -> str:
    """A key under which two paths that may name one file compare equal.

    File systems on macOS and Windows ignore case and Unicode normalisation
    (``é`` as one code point or as ``e`` plus an accent), so names that differ
    only in those ways are one file there.

    Parameters
    ----------
    path : pathlib.Path or str
        The path.

    Returns
    -------
    str
        The path in NFC, case-folded.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", str(path)).casefold())


def temporary_paths(final: Path) -> tuple[Path, Path]:
    """Where the download of ``final`` is written and where its resume data is kept.

    The names are hidden, end in ``.gwcloud-part`` (and ``.gwcloud-part.json``)
    and carry a tag derived from the final name, so they are the same on every
    run (an interrupted download can be found again) yet cannot be a user's
    file.  A final name too long to repeat is replaced by its hash.

    Parameters
    ----------
    final : pathlib.Path
        The file's final path.

    Returns
    -------
    tuple of pathlib.Path
        The temporary file and its sidecar, in ``final``'s directory.
    """
    name = final.name
    digest = hashlib.sha256(b"gwcloud-part\x00" + os.fsencode(name)).hexdigest()
    if len(os.fsencode(name)) > _NAME_IN_PART_MAX:
        part = final.with_name(f".{digest[:32]}{C.PART_SUFFIX}")
    else:
        part = final.with_name(f".{name}.{digest[:8]}{C.PART_SUFFIX}")
    return part, part.with_name(part.name + C.SIDECAR_SUFFIX)


def resolve_targets(root: Path, paths: Sequence[str]) -> list[Path]:
    """Resolve every path under ``root`` (see :func:`resolve_target`) and check they differ.

    Parameters
    ----------
    root : pathlib.Path
        Output directory.
    paths : sequence of str
        Untrusted relative paths.

    Returns
    -------
    list of pathlib.Path
        The resolved targets, in order.

    Raises
    ------
    ValidationError
        A path is unsafe, two paths name the same file (also when they differ
        only by case or Unicode normalisation), or one names another's
        temporary file.
    """
    try:
        cache = _ResolveCache(root)
    except (RuntimeError, OSError) as err:
        raise ValidationError(
            f"output directory {str(root)!r} cannot be resolved ({err})"
        ) from None
    targets = [resolve_target(root, path, _cache=cache) for path in paths]
    finals: dict[str, str] = {}
    for path, target in zip(paths, targets, strict=True):
        key = same_file_key(target)
        if key in finals:
            raise ValidationError(f"file paths {finals[key]!r} and {path!r} name the same target")
        finals[key] = path
    if not any(key.endswith(_TEMPORARY_ENDINGS) for key in finals):
        return targets  # no final name looks like a temporary one: nothing can clash
    for path, target in zip(paths, targets, strict=True):
        for temporary in temporary_paths(target):
            clash = finals.get(same_file_key(temporary))
            if clash is not None:
                raise ValidationError(
                    f"file path {clash!r} clashes with the temporary file of {path!r}"
                )
    return targets


def already_saved(target: Path, size: int) -> bool:
    """Whether ``target`` is a regular file of exactly ``size`` bytes.

    Parameters
    ----------
    target : pathlib.Path
        A final path.
    size : int
        The size the server lists for the file.

    Returns
    -------
    bool
        True when the file need not be fetched again.
    """
    try:
        info = os.stat(target)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == size


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def make_output_directory(root: Path) -> None:
    """Create the output directory ``root`` (and its parents) when missing.

    Parameters
    ----------
    root : pathlib.Path
        The output directory.

    Raises
    ------
    ValidationError
        It cannot be created.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValidationError(f"cannot create output directory {str(root)!r}: {err}") from err

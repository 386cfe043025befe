"""Locate and load the recorded GWCloud SDL files."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from ariadne import load_schema_from_path

__all__ = ["SCHEMA_DIR_ENV", "load_sdl", "schema_dir"]

#: Environment variable naming a schema directory to serve instead of the recorded one.
SCHEMA_DIR_ENV = "GWCLOUD_SERVER_SCHEMA_DIR"


def schema_dir() -> Path:
    """Return the directory holding ``bilby.graphql`` and ``auth.graphql``.

    The installed wheel ships the schemas as ``gwcloud_python/_schema``; an editable
    install or a source checkout uses the repository's ``schema/`` directory, found by
    walking up from this file.  The 2026 schema lives in its ``2026/`` subdirectory.

    ``GWCLOUD_SERVER_SCHEMA_DIR``, when set, names the directory instead (same layout):
    a server can then run an edited schema, e.g. to try ``gwcloud schema-check`` on it.

    Returns
    -------
    Path
        The schema directory.

    Raises
    ------
    FileNotFoundError
        If neither location holds the schema files.
    """
    override = os.environ.get(SCHEMA_DIR_ENV)
    if override:
        return Path(override)
    try:
        packaged = importlib.resources.files("gwcloud_python") / "_schema"
        if packaged.is_dir() and (packaged / "bilby.graphql").is_file():
            return Path(str(packaged))
    except (ModuleNotFoundError, TypeError):
        pass
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "schema"
        if (candidate / "bilby.graphql").is_file() and (candidate / "auth.graphql").is_file():
            return candidate
    raise FileNotFoundError("cannot find the GWCloud schema directory (bilby.graphql)")


def load_sdl(name: str, version: str = "2023") -> str:
    """Return the SDL text of one recorded schema file.

    Parameters
    ----------
    name : str
        ``"bilby"`` or ``"auth"`` (2023); ``"bilby"`` or ``"session_user"`` (2026).
    version : str
        ``"2023"`` reads ``<schema dir>/<name>.graphql``; ``"2026"`` and
        ``"2026-next"`` read ``<schema dir>/<version>/<name>.graphql``.

    Returns
    -------
    str
        The SDL, unchanged.

    Raises
    ------
    ValueError
        For an unknown version.
    """
    if version == "2023":
        path = schema_dir() / f"{name}.graphql"
    elif version in ("2026", "2026-next"):
        path = schema_dir() / version / f"{name}.graphql"
    else:
        raise ValueError(f"unknown schema version {version!r}")
    text: str = load_schema_from_path(str(path))
    return text

"""Locate and load the recorded GWCloud SDL files."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from ariadne import load_schema_from_path

__all__ = ["load_sdl", "schema_dir"]


def schema_dir() -> Path:
    """Return the directory holding ``bilby.graphql`` and ``auth.graphql``.

    The installed wheel ships the schemas as ``gwcloud_python/_schema``; an editable
    install or a source checkout uses the repository's ``schema/`` directory, found by
    walking up from this file.

    Returns
    -------
    Path
        The schema directory.

    Raises
    ------
    FileNotFoundError
        If neither location holds the schema files.
    """
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


def load_sdl(name: str) -> str:
    """Return the SDL text of one recorded schema.

    Parameters
    ----------
    name : str
        ``"bilby"`` or ``"auth"``.

    Returns
    -------
    str
        The SDL, unchanged.
    """
    text: str = load_schema_from_path(str(schema_dir() / f"{name}.graphql"))
    return text

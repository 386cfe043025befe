"""gwcloud-python 1.x's supporting-file check."""

from __future__ import annotations

import os
from pathlib import Path

from .._errors import ValidationError

__all__ = ["check_file"]


def check_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` if it names an existing file.

    Parameters
    ----------
    path : str or Path
        The file to check.

    Raises
    ------
    ValidationError
        The file does not exist (or is not a regular file).
    """
    checked = Path(path)
    if not checked.is_file():
        raise ValidationError(f'The supporting file "{checked}" does not exist.')
    return checked

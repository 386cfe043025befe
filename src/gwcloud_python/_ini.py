"""Reading the parts of a bilby_pipe ini file that name supporting files.

A bilby_pipe ini is ``key = value`` lines with no section header, ``#``
comments, keys spelled with dashes or underscores, and values that may be
Python-like lists or dicts whose items are unquoted
(``psd-dict = {H1: h1_psd.txt, L1: l1_psd.txt}``).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["DICT_FILE_KEYS", "SINGLE_FILE_KEYS", "parse_ini", "supporting_file_paths"]

#: Keys whose value is one local file.
SINGLE_FILE_KEYS = (
    "prior-file",
    "gps-file",
    "timeslide-file",
    "injection-file",
    "numerical-relativity-file",
    "distance-marginalization-lookup-table",
)
#: Keys whose value is a dict of detector → local file.
DICT_FILE_KEYS = ("psd-dict", "spline-calibration-envelope-dict", "data-dict")

_NONE_VALUES = {"", "none", "null"}
_LINE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*[=:]\s*(.*?)\s*$")


def _normalise_key(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def parse_ini(text: str) -> dict[str, str]:
    """Return the ini's keys (normalised to dashes, lower case) and raw values.

    Comment lines, blank lines and ``[section]`` headers are ignored; a later
    key overrides an earlier one.
    """
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        match = _LINE.match(line)
        if match:
            values[_normalise_key(match.group(1))] = match.group(2)
    return values


def _strip_quotes(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip()
    return value


def _dict_values(value: str) -> list[str]:
    body = value.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    found = []
    for item in body.split(","):
        if ":" not in item and "=" not in item:
            continue
        _, _, file_value = item.partition(":") if ":" in item else item.partition("=")
        found.append(_strip_quotes(file_value))
    return found


def _is_builtin_prior(value: str) -> bool:
    # bilby_pipe ships named priors (``4s``, ``high_mass`` ...); those are not local files.
    return "/" not in value and "." not in value


def supporting_file_paths(ini_text: str) -> list[str]:
    """List the local files an ini names under the supporting-file keys, in order.

    Parameters
    ----------
    ini_text : str
        Contents of a bilby_pipe ini file.

    Returns
    -------
    list of str
        Paths as written in the ini (relative to the ini's directory unless
        absolute), without duplicates.
    """
    values = parse_ini(ini_text)
    paths: list[str] = []
    for key in SINGLE_FILE_KEYS:
        value = _strip_quotes(values.get(key, ""))
        if value.lower() in _NONE_VALUES:
            continue
        if key == "prior-file" and _is_builtin_prior(value):
            continue
        paths.append(value)
    for key in DICT_FILE_KEYS:
        raw = values.get(key, "")
        if raw.lower() in _NONE_VALUES:
            continue
        paths.extend(v for v in _dict_values(raw) if v.lower() not in _NONE_VALUES)
    unique: list[str] = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique


def missing_supporting_files(ini_text: str, base_dir: Path) -> list[Path]:
    """Return the supporting files named by the ini that do not exist under ``base_dir``."""
    missing = []
    for name in supporting_file_paths(ini_text):
        candidate = Path(name) if Path(name).is_absolute() else base_dir / name
        if not candidate.is_file():
            missing.append(candidate)
    return missing

"""A tolerant reader of bilby_pipe ini files (no section header, literal values)."""

from __future__ import annotations

import configparser
import re

__all__ = ["parse_ini", "parse_value", "supporting_file_paths"]

_SCALAR_FILE_KEYS = (
    "prior-file",
    "gps-file",
    "timeslide-file",
    "injection-file",
    "numerical-relativity-file",
    "distance-marginalization-lookup-table",
)
_DICT_FILE_KEYS = ("psd-dict", "spline-calibration-envelope-dict", "data-dict")
_NONE_WORDS = {"", "none", "null"}
_BUILTIN_PRIOR = re.compile(r"^[A-Za-z0-9_]+$")


def parse_ini(text: str) -> dict[str, str]:
    """Parse an ini string without a section header.

    Parameters
    ----------
    text : str
        The ini contents.

    Returns
    -------
    dict of str to str
        Raw values keyed by normalised key (lower case, dashes).

    Raises
    ------
    ValueError
        When the text is not a readable ini file.
    """
    parser = configparser.ConfigParser(
        interpolation=None, strict=False, inline_comment_prefixes=("#",)
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string("[gwcloud-root]\n" + text)
    except configparser.Error as exc:
        raise ValueError(f"Unable to parse the ini file: {exc.message}") from None
    return {
        key.strip().lower().replace("_", "-"): value.strip()
        for key, value in parser.items("gwcloud-root")
    }


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    tail = "".join(current).strip()
    if tail:
        parts.append(tail)
    return parts


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_value(raw: str) -> str | list[str] | dict[str, str] | None:
    """Interpret one ini value, accepting unquoted Python-like literals.

    Parameters
    ----------
    raw : str
        The raw value, e.g. ``{H1: h1.txt, L1: 'l1.txt'}`` or ``[H1, L1]``.

    Returns
    -------
    str, list, dict or None
        The value; None for ``None`` or empty.
    """
    text = raw.strip()
    if text.lower() in _NONE_WORDS:
        return None
    if text.startswith("{") and text.endswith("}"):
        result: dict[str, str] = {}
        for item in _split_top_level(text[1:-1]):
            key, sep, value = item.partition(":")
            if sep:
                result[_unquote(key)] = _unquote(value)
        return result
    if (text.startswith("[") and text.endswith("]")) or (
        text.startswith("(") and text.endswith(")")
    ):
        return [_unquote(item) for item in _split_top_level(text[1:-1])]
    return _unquote(text)


def _is_builtin_prior(value: str) -> bool:
    return bool(_BUILTIN_PRIOR.match(value)) and "." not in value


def supporting_file_paths(values: dict[str, str]) -> list[str]:
    """Return the supporting files an ini names, in order.

    Parameters
    ----------
    values : dict of str to str
        Output of :func:`parse_ini`.

    Returns
    -------
    list of str
        File paths, relative to the ini file as written.
    """
    paths: list[str] = []
    for key in _SCALAR_FILE_KEYS:
        value = parse_value(values.get(key, ""))
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            if item.lower() in _NONE_WORDS:
                continue
            if key == "prior-file" and _is_builtin_prior(item):
                continue
            paths.append(item)
    for key in _DICT_FILE_KEYS:
        value = parse_value(values.get(key, ""))
        if isinstance(value, dict):
            paths.extend(v for v in value.values() if v.lower() not in _NONE_WORDS)
    return paths

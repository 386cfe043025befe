"""Reading bilby_pipe ini files the way bilby_pipe reads them.

The client (to find the supporting files to check and upload) and the local
server (to find the files a new job waits for, its label and options) both
read ini text here, so they cannot disagree about a file.

The format, as bilby_pipe's own config-file parser reads it (checked against
bilby_pipe 1.10.1):

* one ``key = value`` per line, the separator being ``=``, ``:`` or plain
  white space; a key alone means ``true``; no section header is needed;
* ``_`` and ``-`` in a key are the same (``prior_file`` is ``prior-file``);
  case matters;
* lines starting with ``#``, ``;``, ``[`` or ``---`` are comments (so a
  ``[section]`` header is ignored); everything after the first ``#`` on a
  line is a comment, and so is ``;`` after white space at the end of a line;
* a value may run over several lines: a line ending with ``{`` or ``,``
  continues on the next one, a line holding only ``}`` closes the line
  before it, and a ``{`` left open on its line takes in the ``key: value``
  lines that follow up to the one holding ``}``::

      psd-dict = {
          H1: h1_psd.txt,
          L1: l1_psd.txt
      }

  A ``#`` comment line breaks a continued line (the open ``{`` still
  collects the entries after it);
* a key set twice is refused, as bilby_pipe refuses it (``Your ini file
  contains duplicate ... keys``) -- this includes entries of a multi-line
  ``{...}`` written without trailing commas, which bilby_pipe reads as keys
  too;
* a dict value may use ``:`` or ``=`` and quotes freely
  (``{H1: 'a.txt', L1="b.txt"}``); spaces inside it are dropped, as
  bilby_pipe drops them.

Supporting files are the values of the keys bilby_pipe reads files from
(:data:`SINGLE_FILE_KEYS`, :data:`DICT_FILE_KEYS`), except ``None``, the
priors bilby_pipe ships (:data:`DEFAULT_PRIORS`) and a lookup table whose
name starts with a dot (a default bilby_pipe makes itself): the same list the
2023 GWCloud service asks for, in its order.

For an upload the client accepts only files inside the ini file's directory
(the current directory for an ini string): an absolute path, a ``..`` that
leaves that directory or a symbolic link pointing out of it is refused before
any request, so neither a hostile server nor an ini downloaded from somewhere
else can make the client send a file from elsewhere on the machine.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_PRIORS",
    "DICT_FILE_KEYS",
    "SINGLE_FILE_KEYS",
    "IniError",
    "LocalFile",
    "local_supporting_files",
    "match_requested_files",
    "parse_dict",
    "parse_ini",
    "parse_value",
    "supporting_file_paths",
]

#: Keys whose value is one local file, in the order the service lists them.
SINGLE_FILE_KEYS = ("prior-file", "gps-file", "timeslide-file", "injection-file")
#: Keys whose value is a ``{detector: file}`` dict, in the service's order.
DICT_FILE_KEYS = ("psd-dict", "spline-calibration-envelope-dict")
#: File keys the service lists after the dicts above.
LATE_SINGLE_FILE_KEYS = ("numerical-relativity-file", "distance-marginalization-lookup-table")
#: Dict keys the service lists last.
LATE_DICT_FILE_KEYS = ("data-dict",)
#: Prior names bilby_pipe ships; ``prior-file = 4s`` names one of them, not a file.
DEFAULT_PRIORS = frozenset(
    {
        "4s",
        "8s",
        "16s",
        "32s",
        "64s",
        "128s",
        "128s_tidal",
        "128s_tidal_lowspin",
        "high_mass",
    }
)

_KEY = r"(?P<key>[^:=;#\s]+?)"
_END_COMMENT = r"\s*(?:\s[;#].*)?"
_FLAG_LINE = re.compile(rf"^{_KEY}{_END_COMMENT}$")
_PAIR_LINE = re.compile(rf"^{_KEY}\s*[:=\s]\s*(?P<value>.+?){_END_COMMENT}$")
_COMMENT_STARTS = ("#", ";", "[", "---")


class IniError(ValueError):
    """The text is not an ini file bilby_pipe would read.

    Attributes
    ----------
    line : int or None
        1-based line number of the problem, when there is one.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass
class _Item:
    key: str
    value: str
    line: int
    absorbed: bool = False


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join continued lines; return ``(first line number, text)`` of each, comments dropped.

    A line ending with ``{`` takes in the next line, one ending with ``,``
    takes it in after a space (a blank next line is taken in too, and then
    the line goes on no further), and a line holding only ``}`` and ending
    with a line break joins the line before it, though not right after
    another ``}`` joined that way.  ``#`` lines end a continued line.
    """
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    joined: list[tuple[int, str]] = []
    continues = closes = False  # may the last line still take in the next one?
    for number, raw in enumerate(physical, start=1):
        # Spaces (not tabs) are trimmed at the start; all white space at the end.
        line = raw.strip(" ").rstrip()
        ends_with_break = number < len(physical)
        if line.startswith("#") or not joined:
            joined.append((number, "" if line.startswith("#") else line))
            continues = closes = not line.startswith("#") and bool(line)
            continue
        start, so_far = joined[-1]
        if continues and so_far.endswith("{"):
            joined[-1] = (start, so_far + line)
            continues, closes = bool(line), True
        elif continues and so_far.endswith(","):
            joined[-1] = (start, f"{so_far} {line}")
            continues, closes = bool(line), True
        elif closes and line == "}" and ends_with_break:
            joined[-1] = (start, so_far + line)
            continues, closes = True, False
        else:
            joined.append((number, line))
            continues = closes = bool(line)
    stripped = [(n, t.strip()) for n, t in joined]
    return [(n, t) for n, t in stripped if t and not t.startswith(_COMMENT_STARTS)]


def _items(text: str) -> list[_Item]:
    items: list[_Item] = []
    for number, line in _logical_lines(text):
        line = line.split("#", 1)[0]
        flag = _FLAG_LINE.match(line)
        if flag:
            items.append(_Item(flag["key"].replace("_", "-"), "true", number))
            continue
        pair = _PAIR_LINE.match(line)
        if pair is None:
            raise IniError(f"cannot read {line.strip()!r} as 'key = value'", number)
        items.append(_Item(pair["key"].replace("_", "-"), pair["value"], number))
    return items


def _opens_dict(value: str) -> bool:
    is_list = value.startswith("[") and value.endswith("]")
    return not is_list and "{" in value and "}" not in value


def _as_listed(value: str) -> str:
    # bilby_pipe holds a ``[a, b]`` value as a Python list, and shows it so when a
    # multi-line dict takes it in.
    if value.startswith("[") and value.endswith("]"):
        return repr([element.strip() for element in value[1:-1].split(",")])
    return value


def _close_dicts(items: list[_Item]) -> None:
    """Fold the entries of each ``{`` left open on its line into that value."""
    index = 0
    while index < len(items):
        opener = items[index]
        index += 1
        if opener.absorbed or not _opens_dict(opener.value):
            continue
        pieces = [] if opener.value == "{" else [opener.value.rstrip("{")]
        while True:
            if index >= len(items):
                raise IniError(f"the '{{' of {opener.key!r} is never closed", opener.line)
            entry = items[index]
            index += 1
            entry.absorbed = True
            piece = f"{entry.key}: {_as_listed(entry.value)}"
            if "}" in piece:
                pieces.append("}" if piece == "}: true" else piece)
                break
            if "{" in piece:
                raise IniError(
                    f"a '{{' inside the multi-line value of {opener.key!r} is not supported",
                    entry.line,
                )
            pieces.append(piece)
        joined = ", ".join(piece.strip(",") for piece in pieces)
        opener.value = "{" + joined.lstrip("{")


def parse_ini(text: str) -> dict[str, str]:
    """Read an ini file's keys and values as bilby_pipe does.

    Parameters
    ----------
    text : str
        The ini file's contents.

    Returns
    -------
    dict of str to str
        Raw values (lists and dicts still as text, multi-line values joined onto
        one line), keyed by key with ``_`` spelled ``-``, in file order.

    Raises
    ------
    IniError
        A line is not ``key = value``, a key is repeated, or a multi-line
        ``{`` is never closed (the message names the line).

    Examples
    --------
    >>> parse_ini("psd_dict = {\\n  H1: h1.txt,\\n  L1: l1.txt\\n}\\nlabel: run # note\\n")
    {'psd-dict': '{H1: h1.txt, L1: l1.txt}', 'label': 'run'}
    """
    if not isinstance(text, str):
        raise IniError(f"ini text must be a str, got {type(text).__name__}")
    items = _items(text)
    _close_dicts(items)
    seen: dict[str, int] = {}
    for item in items:
        if item.key in seen:
            hint = (
                " (an entry of a multi-line {...} value: end each entry with a comma)"
                if item.absorbed
                else ""
            )
            raise IniError(
                f"{item.key!r} is set again (first set on line {seen[item.key]}); "
                f"bilby_pipe refuses an ini file that repeats a key{hint}",
                item.line,
            )
        seen[item.key] = item.line
    return {item.key: item.value for item in items if not item.absorbed}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


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


def parse_value(raw: str) -> str | list[str] | dict[str, str] | None:
    """Interpret one ini value, accepting unquoted Python-like literals.

    Parameters
    ----------
    raw : str
        The raw value, e.g. ``{H1: h1.txt, L1: 'l1.txt'}`` or ``[H1, L1]``.

    Returns
    -------
    str, list, dict or None
        The value; None for ``None`` or an empty value.
    """
    text = raw.strip()
    if text in ("", "None"):
        return None
    if text.startswith("{") and text.endswith("}"):
        result: dict[str, str] = {}
        for item in _split_top_level(text[1:-1]):
            key, sep, value = item.partition(":")
            if not sep:
                key, sep, value = item.partition("=")
            if sep:
                result[_unquote(key)] = _unquote(value)
        return result
    if (text.startswith("[") and text.endswith("]")) or (
        text.startswith("(") and text.endswith(")")
    ):
        return [_unquote(item) for item in _split_top_level(text[1:-1])]
    return _unquote(text)


def parse_dict(raw: str, key: str = "value") -> dict[str, str]:
    """Read a ``{detector: file}`` value the way bilby_pipe reads file dicts.

    Quotes and spaces are dropped and ``=`` works as ``:``, so
    ``{H1: 'a b.txt', L1 = c.txt}`` is ``{'H1': 'ab.txt', 'L1': 'c.txt'}``.

    Parameters
    ----------
    raw : str
        The raw value.
    key : str, optional
        The ini key, for the error message.

    Returns
    -------
    dict of str to str
        Detector to file name; empty for ``None`` or ``{}``.

    Raises
    ------
    IniError
        The value is not a flat ``{...}`` of ``detector: file`` entries (bilby_pipe
        refuses it too).
    """
    text = raw.strip()
    if text == "None":
        return {}
    text = text.replace('"', "").replace("'", "").replace("=", ":").replace(" ", "")
    if not (text.startswith("{") and text.endswith("}")):
        raise IniError(f"{key} must be a {{detector: file}} dict, got {raw!r}")
    entries = text[1:-1].split(",")
    if entries and not entries[-1]:
        entries.pop()  # a trailing comma
    result: dict[str, str] = {}
    for entry in entries:
        name, sep, value = entry.partition(":")
        if not sep or not name or any(char in entry for char in "{}[]"):
            raise IniError(f"{key} must be a {{detector: file}} dict, got {raw!r}")
        result[name] = value
    return result


def _scalar_file(key: str, raw: str) -> str | None:
    value = _unquote(raw)
    if value in ("", "None"):
        return None
    if key == "prior-file" and value in DEFAULT_PRIORS:
        return None
    if key == "distance-marginalization-lookup-table" and Path(value).name.startswith("."):
        return None
    return value


def supporting_file_paths(values: Mapping[str, str]) -> list[str]:
    """List the supporting files an ini names, as the service lists them.

    Parameters
    ----------
    values : mapping of str to str
        Output of :func:`parse_ini`.

    Returns
    -------
    list of str
        File paths as written in the ini, in the service's order; a file named
        by two dict entries appears twice (each entry gets its own upload).

    Raises
    ------
    IniError
        A file dict is not a ``{detector: file}`` dict.
    """
    paths: list[str] = []

    def singles(keys: Iterable[str]) -> None:
        for key in keys:
            found = _scalar_file(key, values.get(key, ""))
            if found is not None:
                paths.append(found)

    def dicts(keys: Iterable[str]) -> None:
        for key in keys:
            paths.extend(parse_dict(values.get(key, "None"), key).values())

    singles(SINGLE_FILE_KEYS)
    dicts(DICT_FILE_KEYS)
    singles(LATE_SINGLE_FILE_KEYS)
    dicts(LATE_DICT_FILE_KEYS)
    return paths


# -- the client's side: which local files may be uploaded --------------------------------------


@dataclass(frozen=True)
class LocalFile:
    """A supporting file checked before submission.

    Attributes
    ----------
    written : str
        The path as the ini writes it.
    path : Path
        The file, resolved (no symbolic links) inside the base directory.
    device, inode : int
        Identity of the file when it was checked; the upload refuses a
        different file found at ``path`` later.
    """

    written: str
    path: Path
    device: int
    inode: int


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive (Windows)
        return False


def _lexical_key(base: str, written: str) -> str:
    return os.path.normpath(os.path.join(base, written))


def local_supporting_files(ini_text: str, base_dir: Path) -> tuple[dict[str, LocalFile], list[str]]:
    """Check every supporting file an ini names, before anything is sent.

    Parameters
    ----------
    ini_text : str
        The ini file's contents.
    base_dir : Path
        The directory relative paths in the ini start from (the ini file's).

    Returns
    -------
    files : dict of str to LocalFile
        The files that may be uploaded, by their normalised path under
        ``base_dir`` (see :func:`match_requested_files`).
    problems : list of str
        One line per file that is missing, unreadable, not a regular file,
        absolute, or outside ``base_dir``; empty when all are fine.

    Raises
    ------
    IniError
        The ini cannot be read.
    """
    written_paths = supporting_file_paths(parse_ini(ini_text))
    base_real = os.path.realpath(base_dir)
    base_lexical = os.path.abspath(base_dir)
    files: dict[str, LocalFile] = {}
    problems: list[str] = []
    for written in dict.fromkeys(written_paths):
        if os.path.isabs(written):
            problems.append(
                f"{written!r} is an absolute path; supporting files must be given relative to "
                f"the ini file's directory {base_lexical!r} and lie inside it"
            )
            continue
        lexical = _lexical_key(base_lexical, written)
        if not _inside(lexical, base_lexical):
            problems.append(f"{written!r} is outside the ini file's directory {base_lexical!r}")
            continue
        real = os.path.realpath(lexical)
        if not _inside(real, base_real):
            problems.append(
                f"{written!r} leads (through a symbolic link) to {real!r}, outside the ini "
                f"file's directory {base_lexical!r}"
            )
            continue
        try:
            info = os.stat(real)
            if not stat.S_ISREG(info.st_mode):  # before opening: a FIFO would block
                problems.append(f"{written!r} is not a regular file")
                continue
            with open(real, "rb") as handle:
                info = os.fstat(handle.fileno())
        except FileNotFoundError:
            problems.append(f"{written!r} does not exist (looked for {lexical!r})")
            continue
        except OSError as err:
            problems.append(f"{written!r} cannot be read: {err.strerror or err}")
            continue
        files[lexical] = LocalFile(written, Path(real), info.st_dev, info.st_ino)
    return files, problems


def match_requested_files(
    requested: Sequence[tuple[str, str]], allowed: Mapping[str, LocalFile], base_dir: Path
) -> tuple[list[tuple[LocalFile, str]], list[str]]:
    """Pair the files a server asks for with the checked files of the ini.

    Nothing on disk is touched: a requested path is compared, after
    normalisation, with the paths of :func:`local_supporting_files`.

    Parameters
    ----------
    requested : sequence of (str, str)
        ``(file path, upload token)`` as the server listed them.
    allowed : mapping of str to LocalFile
        The checked files (first result of :func:`local_supporting_files`).
    base_dir : Path
        The same base directory.

    Returns
    -------
    pairs : list of (LocalFile, str)
        The file to upload with each token, in the server's order.
    refused : list of str
        The requested paths the ini does not name (empty when all match).
    """
    base_lexical = os.path.abspath(base_dir)
    pairs: list[tuple[LocalFile, str]] = []
    refused: list[str] = []
    for path, token in requested:
        written = _unquote(path)
        found = None
        if written and not os.path.isabs(written):
            found = allowed.get(_lexical_key(base_lexical, written))
        if found is None:
            refused.append(path)
        else:
            pairs.append((found, token))
    return pairs, refused

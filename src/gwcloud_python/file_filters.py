"""Built-in file-list filters, the path tests they are made of, and the registry of filters.

A filter takes a list of :class:`~gwcloud_python.file_reference.FileReference`
and returns the ones it keeps.  Each registered filter ``NAME`` gives
:class:`~gwcloud_python.bilby_job.BilbyJob` three methods:
``get_NAME_file_list()``, ``get_NAME_files()`` and ``save_NAME_files(root_path)``.

The path tests (``match_file_suffix``, ``png_file``, ``result_json_file``...) take
a path-like object with ``name``, ``stem``, ``suffix`` and ``parent`` and
return a bool; they behave exactly as gwcloud-python 1.x's identifiers, which
``gwcloud_python.utils.identifiers`` still offers under their 1.x names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial, reduce
from pathlib import PurePath, PurePosixPath
from typing import Protocol

from .file_reference import FileReference

__all__ = [
    "FileFilter",
    "config_filter",
    "corner_plot_filter",
    "custom_path_filter",
    "default_filter",
    "filter_file_list",
    "match_all",
    "png_filter",
    "result_json_filter",
    "sort_file_list",
]

FileFilter = Callable[[list[FileReference]], Sequence[FileReference]]


class PathLike(Protocol):
    """What the path tests read from a path: :class:`~pathlib.PurePath` has it all."""

    @property
    def name(self) -> str: ...

    @property
    def stem(self) -> str: ...

    @property
    def suffix(self) -> str: ...

    @property
    def parent(self) -> PurePath: ...


# -- path tests (1.x's identifiers) --------------------------------------------------------


def match_file_suffix(file_path: PathLike, suffix: str) -> bool:
    """Whether the file's extension is ``suffix`` (given without the dot)."""
    return file_path.suffix == f".{suffix}"


def _parent_parts(file_path: PathLike) -> tuple[str, ...]:
    return PurePosixPath(PurePath(file_path.parent).as_posix()).parts


def match_file_base_dir(file_path: PathLike, directory: str) -> bool:
    """Whether the path's first component is the directory ``directory``."""
    parents = _parent_parts(file_path)
    return bool(parents) and parents[0] == directory


def match_file_dir(file_path: PathLike, directory: str) -> bool:
    """Whether ``directory`` is one of the directories the file is in."""
    return directory in _parent_parts(file_path)


def match_file_stem(file_path: PathLike, stem: str) -> bool:
    """Whether ``stem`` occurs in the file's name without its extension."""
    return stem in file_path.stem


def match_file_name(file_path: PathLike, name: str) -> bool:
    """Whether ``name`` occurs in the file's name."""
    return name in file_path.name


def match_file_end(file_path: PathLike, end: str) -> bool:
    """Whether the file's name ends with ``end``."""
    return file_path.name.endswith(end)


def html_file(file_path: PathLike) -> bool:
    """Whether the path names an HTML file."""
    return match_file_suffix(file_path, "html")


def png_file(file_path: PathLike) -> bool:
    """Whether the path names a PNG file."""
    return match_file_suffix(file_path, "png")


def data_dir(file_path: PathLike) -> bool:
    """Whether the path starts with the ``data`` directory."""
    return match_file_base_dir(file_path, "data")


def result_dir(file_path: PathLike) -> bool:
    """Whether the path starts with the ``result`` directory."""
    return match_file_base_dir(file_path, "result")


def config_file(file_path: PathLike) -> bool:
    """Whether the path names a ``*_config_complete.ini`` file."""
    return match_file_end(file_path, "_config_complete.ini")


def merged_json_file(file_path: PathLike) -> bool:
    """Whether the path names a merged result (``*_merge_result.json``)."""
    return match_file_end(file_path, "_merge_result.json")


def unmerged_json_file(file_path: PathLike) -> bool:
    """Whether the path names a result JSON (``*_result.json``, merged ones included)."""
    return match_file_end(file_path, "_result.json")


def corner_plot_file(file_path: PathLike) -> bool:
    """Whether the path names a corner plot (``*_corner.png``)."""
    return match_file_end(file_path, "_corner.png")


def data_png_file(file_path: PathLike) -> bool:
    """Whether the path names a PNG file under ``data/``."""
    return data_dir(file_path) and png_file(file_path)


def result_png_file(file_path: PathLike) -> bool:
    """Whether the path names a PNG file under ``result/``."""
    return result_dir(file_path) and png_file(file_path)


def result_merged_json_file(file_path: PathLike) -> bool:
    """Whether the path names a merged result JSON under ``result/``."""
    return result_dir(file_path) and merged_json_file(file_path)


def result_json_file(file_path: PathLike) -> bool:
    """Whether the path names a result JSON under ``result/`` (merged ones included)."""
    return result_dir(file_path) and unmerged_json_file(file_path)


# -- building blocks -----------------------------------------------------------------------


def filter_file_list(
    identifier: Callable[[PathLike], bool], file_list: Iterable[FileReference]
) -> tuple[list[FileReference], list[FileReference]]:
    """Split ``file_list`` into the files whose path ``identifier`` accepts, and the rest.

    Parameters
    ----------
    identifier : callable
        Takes a file's path and returns True to keep it.
    file_list : iterable of FileReference
        The files to split.

    Returns
    -------
    tuple of (list, list)
        The matching files and the others, each in their original order.
    """
    matches: list[FileReference] = []
    others: list[FileReference] = []
    for ref in file_list:
        (matches if identifier(ref.path) else others).append(ref)
    return matches, others


def match_all(
    identifiers: Iterable[Callable[[PathLike], bool]], file_list: Iterable[FileReference]
) -> list[FileReference]:
    """The files whose path every one of ``identifiers`` accepts, in order."""
    return reduce(lambda kept, test: filter_file_list(test, kept)[0], identifiers, list(file_list))


def custom_path_filter(
    file_list: Iterable[FileReference],
    directory: str | None = None,
    name: str | None = None,
    extension: str | None = None,
) -> list[FileReference]:
    """The files matching every criterion given (empty criteria are ignored, as in 1.x).

    Parameters
    ----------
    file_list : iterable of FileReference
        The files to filter.
    directory : str, optional
        A directory the file must be in (at any depth).
    name : str, optional
        Text that must occur in the file's stem (its name without the extension).
    extension : str, optional
        The file's extension, with or without the dot.
    """
    tests: list[Callable[[PathLike], bool]] = []
    if directory:
        tests.append(partial(match_file_dir, directory=str(directory).strip("/")))
    if name:
        tests.append(partial(match_file_stem, stem=str(name)))
    if extension:
        tests.append(partial(match_file_suffix, suffix=str(extension).lstrip(".")))
    return match_all(tests, file_list)


def sort_file_list(file_list: Iterable[FileReference]) -> list[FileReference]:
    """The files sorted by path (handy for comparing two lists)."""
    return sorted(file_list, key=lambda ref: str(ref.path))


# -- the built-in filters ------------------------------------------------------------------


def config_filter(files: list[FileReference]) -> list[FileReference]:
    """Files whose name ends with ``_config_complete.ini``."""
    return filter_file_list(config_file, files)[0]


def png_filter(files: list[FileReference]) -> list[FileReference]:
    """Every ``.png`` file."""
    return filter_file_list(png_file, files)[0]


def corner_plot_filter(files: list[FileReference]) -> list[FileReference]:
    """Files whose name ends with ``_corner.png``."""
    return filter_file_list(corner_plot_file, files)[0]


def result_json_filter(files: list[FileReference]) -> list[FileReference]:
    """Result JSON in ``result/``: ``*_merge_result.json``, else ``*_result.json``."""
    merged = filter_file_list(result_merged_json_file, files)[0]
    return merged or filter_file_list(result_json_file, files)[0]


def default_filter(files: list[FileReference]) -> list[FileReference]:
    """PNGs in ``data/`` and ``result/``, the config, HTML pages and the result JSON."""
    data_pngs, rest = filter_file_list(data_png_file, files)
    result_pngs, rest = filter_file_list(result_png_file, rest)
    configs, rest = filter_file_list(config_file, rest)
    html, rest = filter_file_list(html_file, rest)
    result_json, rest = filter_file_list(result_merged_json_file, rest)
    if not result_json:
        result_json, rest = filter_file_list(result_json_file, rest)
    return data_pngs + result_pngs + configs + html + result_json


#: Filters every BilbyJob gets methods for.
BUILTIN_FILTERS: dict[str, FileFilter] = {
    "default": default_filter,
    "config": config_filter,
    "png": png_filter,
    "corner_plot": corner_plot_filter,
    "result_json": result_json_filter,
}

"""Built-in file-list filters and the registry that turns them into job methods.

A filter takes a list of :class:`~gwcloud_python.file_reference.FileReference`
and returns the ones it keeps.  Each registered filter ``NAME`` gives
:class:`~gwcloud_python.bilby_job.BilbyJob` three methods:
``get_NAME_file_list()``, ``get_NAME_files()`` and ``save_NAME_files(root_path)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from .file_reference import FileReference

__all__ = [
    "FileFilter",
    "config_filter",
    "corner_plot_filter",
    "default_filter",
    "png_filter",
    "result_json_filter",
]

FileFilter = Callable[[list[FileReference]], Sequence[FileReference]]


def _posix(ref: FileReference) -> PurePosixPath:
    return PurePosixPath(ref.path.as_posix())


def _top_dir(ref: FileReference) -> str | None:
    parts = _posix(ref).parts
    return parts[0] if len(parts) > 1 else None


def _is_png(ref: FileReference) -> bool:
    return _posix(ref).suffix == ".png"


def _is_config(ref: FileReference) -> bool:
    return _posix(ref).name.endswith("_config_complete.ini")


def _is_html(ref: FileReference) -> bool:
    return _posix(ref).suffix == ".html"


def config_filter(files: list[FileReference]) -> list[FileReference]:
    """Files whose name ends with ``_config_complete.ini``."""
    return [f for f in files if _is_config(f)]


def png_filter(files: list[FileReference]) -> list[FileReference]:
    """Every ``.png`` file."""
    return [f for f in files if _is_png(f)]


def corner_plot_filter(files: list[FileReference]) -> list[FileReference]:
    """Files whose name ends with ``_corner.png``."""
    return [f for f in files if _posix(f).name.endswith("_corner.png")]


def result_json_filter(files: list[FileReference]) -> list[FileReference]:
    """Result JSON in ``result/``: ``*_merge_result.json``, else ``*_result.json``."""
    in_result = [f for f in files if _top_dir(f) == "result"]
    merged = [f for f in in_result if _posix(f).name.endswith("_merge_result.json")]
    if merged:
        return merged
    return [f for f in in_result if _posix(f).name.endswith("_result.json")]


def default_filter(files: list[FileReference]) -> list[FileReference]:
    """PNGs in ``data/`` and ``result/``, the config, HTML pages and the result JSON."""
    data_pngs = [f for f in files if _top_dir(f) == "data" and _is_png(f)]
    result_pngs = [f for f in files if _top_dir(f) == "result" and _is_png(f)]
    configs = [f for f in config_filter(files) if f not in data_pngs + result_pngs]
    html = [f for f in files if _is_html(f)]
    kept = data_pngs + result_pngs + configs + html
    return kept + [f for f in result_json_filter(files) if f not in kept]


#: Filters every BilbyJob gets methods for.
BUILTIN_FILTERS: dict[str, FileFilter] = {
    "default": default_filter,
    "config": config_filter,
    "png": png_filter,
    "corner_plot": corner_plot_filter,
    "result_json": result_json_filter,
}

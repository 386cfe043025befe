"""Path tests under their gwcloud-python 1.x names (see :mod:`gwcloud_python.file_filters`).

Each takes a path (``pathlib.Path``, or the ``path`` of a
:class:`~gwcloud_python.FileReference`) and returns a bool.
"""

from __future__ import annotations

from ..file_filters import (
    config_file,
    corner_plot_file,
    data_dir,
    data_png_file,
    html_file,
    match_file_base_dir,
    match_file_dir,
    match_file_end,
    match_file_name,
    match_file_stem,
    match_file_suffix,
    merged_json_file,
    png_file,
    result_dir,
    result_json_file,
    result_merged_json_file,
    result_png_file,
    unmerged_json_file,
)

__all__ = [
    "config_file",
    "corner_plot_file",
    "data_dir",
    "data_png_file",
    "html_file",
    "match_file_base_dir",
    "match_file_dir",
    "match_file_end",
    "match_file_name",
    "match_file_stem",
    "match_file_suffix",
    "merged_json_file",
    "png_file",
    "result_dir",
    "result_json_file",
    "result_merged_json_file",
    "result_png_file",
    "unmerged_json_file",
]

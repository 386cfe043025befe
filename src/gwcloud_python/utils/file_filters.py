"""The built-in file-list filters under their gwcloud-python 1.x names."""

from __future__ import annotations

from ..file_filters import (
    config_filter,
    corner_plot_filter,
    custom_path_filter,
    default_filter,
    filter_file_list,
    match_all,
    png_filter,
    result_json_filter,
    sort_file_list,
)
from . import identifiers

__all__ = [
    "config_filter",
    "corner_plot_filter",
    "custom_path_filter",
    "default_filter",
    "filter_file_list",
    "identifiers",
    "match_all",
    "png_filter",
    "result_json_filter",
    "sort_file_list",
]

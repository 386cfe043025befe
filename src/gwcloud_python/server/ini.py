"""The local server reads ini files with the client's reader (:mod:`gwcloud_python._ini`).

One reader serves both sides, so the server asks for exactly the supporting
files the client checked and will upload.
"""

from __future__ import annotations

from .._ini import IniError, parse_dict, parse_ini, parse_value, supporting_file_paths

__all__ = ["IniError", "parse_dict", "parse_ini", "parse_value", "supporting_file_paths"]

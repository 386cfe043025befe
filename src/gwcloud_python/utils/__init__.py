"""gwcloud-python 1.x's ``utils`` package, kept so that 1.x imports keep working.

Its modules offer the 1.x names: :mod:`~gwcloud_python.utils.identifiers` (path
tests), :mod:`~gwcloud_python.utils.file_filters` (the built-in filters),
:mod:`~gwcloud_python.utils.file_download` (the 1.x download helpers and
endpoint constants) and :mod:`~gwcloud_python.utils.file_upload`
(``check_file``).  New code should use :class:`~gwcloud_python.GWCloud` and
:mod:`gwcloud_python.file_filters` instead.
"""

from __future__ import annotations

from . import file_download, file_filters, file_upload, identifiers

__all__ = ["file_download", "file_filters", "file_upload", "identifiers"]

"""The :class:`GWCloud` client: search, download, submit and upload Bilby jobs.

Generated (``tools/unasync.py``) from the async client in :mod:`gwcloud_python._async`.
"""

from ._sync.client import GWCloud

__all__ = ["GWCloud"]

"""The :class:`AsyncGWCloud` client: every :class:`GWCloud` method as a coroutine.

Written in :mod:`gwcloud_python._async`; :class:`GWCloud` is generated from it.
"""

from ._async.client import AsyncGWCloud

__all__ = ["AsyncGWCloud"]

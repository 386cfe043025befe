"""A local GWCloud-compatible server for tests, demos and benchmarks.

Run it with ``gwcloud-server run --data-dir DIR`` or drive it from Python with
:class:`LocalServer`.
"""

from .testing import LocalServer

__all__ = ["LocalServer"]

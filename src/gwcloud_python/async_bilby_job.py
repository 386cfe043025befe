"""The :class:`AsyncBilbyJob` job object: a job fetched by :class:`AsyncGWCloud`."""

from ._async.bilby_job import AsyncBilbyJob

__all__ = ["AsyncBilbyJob"]

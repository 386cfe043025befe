"""The :class:`BilbyJob` job object, generated from :class:`AsyncBilbyJob`."""

from ._sync.bilby_job import BilbyJob

__all__ = ["BilbyJob"]

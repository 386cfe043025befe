"""Members one flavour of the client has and the other has not, written by hand.

Everything else in :class:`~gwcloud_python.GWCloud` and
:class:`~gwcloud_python.BilbyJob` is generated from the async source.  What
stays here is gwcloud-python 1.x behaviour that only makes sense in sync
code: the constructor checks the token at once, and a job's type is a
property that may fetch the file list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .helpers import JobType

__all__ = ["AsyncClientExtras", "AsyncJobExtras", "ClientExtras", "JobExtras"]


class AsyncClientExtras:
    """The async client checks its token lazily: at ``async with`` or the first request."""

    def _start(self) -> None:
        """Nothing to do: a coroutine cannot run from ``__init__``."""


class ClientExtras:
    """The sync client checks its token in its constructor, as 1.x did."""

    if TYPE_CHECKING:

        def authenticate(self) -> None: ...

    def _start(self) -> None:
        """Check the token now, so that a refused token fails where the client is made."""
        self.authenticate()


class AsyncJobExtras:
    """Nothing async-only: the job's type is read with ``await job.get_job_type()``."""


class JobExtras:
    """The 1.x ``job_type`` property, which lists the job's files when the type is unknown."""

    if TYPE_CHECKING:

        def get_job_type(self) -> JobType: ...

    @property
    def job_type(self) -> JobType:
        """How the job came to GWCloud; fetched with the file list when not yet known."""
        return self.get_job_type()

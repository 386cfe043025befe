"""gwcloud-python: a typed client for GWCloud, the service that runs, stores and shares Bilby jobs.

Public names are loaded on first use, which keeps ``import gwcloud_python``
fast and lets the generated clients import the shared transport without a
cycle.

Examples
--------
>>> from gwcloud_python import GWCloud, TimeRange
>>> gw = GWCloud()                                          # doctest: +SKIP
>>> jobs = gw.get_public_job_list("GW150914", TimeRange.YEAR)  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._errors import (
        AuthenticationError,
        ClientClosedError,
        DownloadError,
        ExternalFileDownloadException,
        GraphQLError,
        GWCloudAuthenticationError,
        GWCloudError,
        GWCloudException,
        NotFoundError,
        OperationOutcomeUnknown,
        PermissionDeniedError,
        TransportError,
        ValidationError,
    )
    from .async_bilby_job import AsyncBilbyJob
    from .async_gwcloud import AsyncGWCloud
    from .bilby_job import BilbyJob
    from .event_id import EventID
    from .file_reference import FileReference, FileReferenceList
    from .gwcloud import GWCloud
    from .helpers import Cluster, JobStatus, JobType, TimeRange
    from .job_list import JobList
    from .saved_files import ExternalJob, SavedFiles

_HOMES = {
    "AuthenticationError": "._errors",
    "ClientClosedError": "._errors",
    "DownloadError": "._errors",
    "ExternalFileDownloadException": "._errors",
    "GraphQLError": "._errors",
    "GWCloudAuthenticationError": "._errors",
    "GWCloudError": "._errors",
    "GWCloudException": "._errors",
    "NotFoundError": "._errors",
    "OperationOutcomeUnknown": "._errors",
    "PermissionDeniedError": "._errors",
    "TransportError": "._errors",
    "ValidationError": "._errors",
    "AsyncBilbyJob": ".async_bilby_job",
    "AsyncGWCloud": ".async_gwcloud",
    "BilbyJob": ".bilby_job",
    "EventID": ".event_id",
    "FileReference": ".file_reference",
    "FileReferenceList": ".file_reference",
    "GWCloud": ".gwcloud",
    "Cluster": ".helpers",
    "JobStatus": ".helpers",
    "JobType": ".helpers",
    "TimeRange": ".helpers",
    "JobList": ".job_list",
    "SavedFiles": ".saved_files",
    "ExternalJob": ".saved_files",
}

__all__ = [
    "AsyncBilbyJob",
    "AsyncGWCloud",
    "AuthenticationError",
    "BilbyJob",
    "ClientClosedError",
    "Cluster",
    "DownloadError",
    "EventID",
    "ExternalFileDownloadException",
    "ExternalJob",
    "FileReference",
    "FileReferenceList",
    "GWCloud",
    "GWCloudAuthenticationError",
    "GWCloudError",
    "GWCloudException",
    "GraphQLError",
    "JobList",
    "JobStatus",
    "JobType",
    "NotFoundError",
    "OperationOutcomeUnknown",
    "PermissionDeniedError",
    "SavedFiles",
    "TimeRange",
    "TransportError",
    "ValidationError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    if isinstance(value, type):
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

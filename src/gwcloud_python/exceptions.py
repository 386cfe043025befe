"""Public home of the exception classes (``from gwcloud_python.exceptions import ...``)."""

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

__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "DownloadError",
    "ExternalFileDownloadException",
    "GWCloudAuthenticationError",
    "GWCloudError",
    "GWCloudException",
    "GraphQLError",
    "NotFoundError",
    "OperationOutcomeUnknown",
    "PermissionDeniedError",
    "TransportError",
    "ValidationError",
]

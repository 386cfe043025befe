"""Public home of the exception classes (``from gwcloud_python.exceptions import ...``)."""

from ._errors import (
    AuthenticationError,
    ClientClosedError,
    DownloadError,
    ExternalFileDownloadException,
    GraphQLError,
    GWCloudAuthenticationError,
    GWCloudError,
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
    "GraphQLError",
    "NotFoundError",
    "OperationOutcomeUnknown",
    "PermissionDeniedError",
    "TransportError",
    "ValidationError",
]

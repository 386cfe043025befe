"""Public home of the exception classes (``from gwcloud_python.exceptions import ...``)."""

from ._errors import (
    AuthenticationError,
    DownloadError,
    ExternalFileDownloadException,
    GraphQLError,
    GWCloudAuthenticationError,
    GWCloudError,
    OperationOutcomeUnknown,
    TransportError,
    ValidationError,
)

__all__ = [
    "AuthenticationError",
    "DownloadError",
    "ExternalFileDownloadException",
    "GWCloudAuthenticationError",
    "GWCloudError",
    "GraphQLError",
    "OperationOutcomeUnknown",
    "TransportError",
    "ValidationError",
]

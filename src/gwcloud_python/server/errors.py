"""Error messages the local server shares with the real GWCloud service."""

from __future__ import annotations

__all__ = [
    "JOB_NOT_FOUND",
    "PERMISSION_DENIED",
    "ServiceError",
]

PERMISSION_DENIED = "You do not have permission to perform this action"
JOB_NOT_FOUND = "BilbyJobNode matching query does not exist."


class ServiceError(Exception):
    """An error reported to the client as a GraphQL error with this message.

    Parameters
    ----------
    message : str
        The text of the GraphQL error.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

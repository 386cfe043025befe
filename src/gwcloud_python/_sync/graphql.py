# Generated from src/gwcloud_python/_async/graphql.py by tools/unasync.py: do not edit.
"""The base of the generated GraphQL clients and the channel they send through.

ariadne-codegen generates one client class per schema; each derives from
:class:`GraphQLClientBase` through the thin ``GWCloudAsyncBaseClient``
shell.  A generated method builds its operation text and variables and calls
:meth:`GraphQLClientBase.execute`, which readies the client (lazy
authentication), splits out file uploads and hands the call to the transport
with the right auth flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .._graphql import mark_mutation, prepare_variables
from .._seams import Hook
from .._transport import Transport

__all__ = ["Channel", "GraphQLClientBase"]


@dataclass(frozen=True)
class Channel:
    """Where a generated client sends its operations.

    Parameters
    ----------
    transport : Transport
        Sends the requests (retries, bounds, deadlines).
    auth : httpx.Auth, optional
        The auth flow of every request (JWT, session token, or anonymous marker).
    ready : callable, optional
        Awaited before each operation; the client authenticates there, once.
    """

    transport: Transport
    auth: httpx.Auth | None = None
    ready: Hook | None = None


class GraphQLClientBase:
    """Base of the generated clients: every operation goes through a :class:`Channel`.

    Parameters
    ----------
    url : str
        GraphQL endpoint.
    headers : dict, optional
        Ignored; headers are set by the transport and the auth flow.
    http_client : Channel
        The channel (transport, auth and readiness hook) to send through.
    """

    def __init__(
        self,
        url: str = "",
        headers: dict[str, str] | None = None,
        http_client: Channel | None = None,
    ) -> None:
        if http_client is None:
            raise TypeError("generated clients need a channel as http_client")
        self.url = url
        self.channel = http_client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send one operation and return the ``data`` of the answer."""
        if self.channel.ready is not None:
            self.channel.ready()
        values, uploads = prepare_variables(variables)
        return self.channel.transport.post_graphql(
            self.url,
            query=query,
            operation_name=operation_name,
            variables=values,
            uploads=uploads,
            auth=self.channel.auth,
            mutation=mark_mutation(query, operation_name),
        )

    def get_data(self, response: dict[str, Any]) -> dict[str, Any]:
        """Return the ``data`` that :meth:`execute` already checked."""
        return response

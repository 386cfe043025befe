"""Base class of the generated asynchronous GraphQL clients.

ariadne-codegen copies this file into each generated async package, so it
stays a thin shell: all behaviour lives in :mod:`gwcloud_python._graphql`.
"""

from gwcloud_python._async.graphql import AsyncGraphQLClientBase


class GWCloudAsyncBaseClient(AsyncGraphQLClientBase):
    """Generated async clients inherit their transport from this class."""

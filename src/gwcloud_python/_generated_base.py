"""Base class of the generated GraphQL clients.

ariadne-codegen copies this file into each generated package, so it stays a
thin shell: all behaviour lives in :mod:`gwcloud_python._graphql`, shared by
the Bilby and auth clients.
"""

from gwcloud_python._sync.graphql import GraphQLClientBase


class GWCloudBaseClient(GraphQLClientBase):
    """Generated clients inherit their transport from this class."""

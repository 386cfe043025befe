"""Resolvers of the auth schema (``jwtToken``, ``refreshToken``, ``gwclouduser``)."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from .auth import issue_jwt, issue_refresh_token, redeem_refresh_token, user_by_api_token
from .context import caller, state_of
from .errors import ServiceError

__all__ = ["auth_mutation", "auth_query"]

auth_query: QueryType = QueryType()
auth_mutation: MutationType = MutationType()


@auth_query.field("jwtToken")
def resolve_jwt_token(_obj: Any, info: GraphQLResolveInfo, token: str) -> dict[str, Any]:
    """Exchange an API token for a JWT and a refresh token."""
    state = state_of(info)
    user = user_by_api_token(state, token)
    jwt_token, _payload = issue_jwt(state, user)
    refresh, _expires = issue_refresh_token(state, user)
    return {"jwt_token": jwt_token, "refresh_token": refresh}


@auth_query.field("gwclouduser")
def resolve_gwclouduser(_obj: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    """Return the caller's details."""
    user = caller(info)
    if user is None:
        return None
    return {
        "user_id": user.id,
        "username": user.username,
        "first_name": user.username,
        "last_name": "",
        "is_ligo_user": user.is_ligo,
    }


@auth_mutation.field("refreshToken")
def resolve_refresh_token(
    _obj: Any, info: GraphQLResolveInfo, refresh_token: str | None = None
) -> dict[str, Any]:
    """Exchange a refresh token for a new JWT and refresh token."""
    if not refresh_token:
        raise ServiceError("Invalid refresh token")
    state = state_of(info)
    user = redeem_refresh_token(state, refresh_token)
    token, payload = issue_jwt(state, user)
    new_refresh, expires = issue_refresh_token(state, user)
    return {
        "payload": payload,
        "refresh_expires_in": expires,
        "token": token,
        "refresh_token": new_refresh,
    }

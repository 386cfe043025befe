"""Per-request GraphQL context: the caller and the server state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo
from starlette.requests import Request

from .auth import User, decode_jwt, require_login, user_by_api_token
from .errors import ServiceError
from .state import ServerState

__all__ = [
    "RequestContext",
    "api_token_context_factory",
    "caller",
    "context_factory",
    "login",
    "state_of",
]


@dataclass
class RequestContext:
    """What every resolver sees.

    Attributes
    ----------
    state : ServerState
        Server state.
    request : Request
        The HTTP request.
    user : User or None
        The authenticated caller (None when anonymous).
    auth_error : str or None
        The JWT problem, reported by every resolver that needs the caller.
    """

    state: ServerState
    request: Request
    user: User | None
    auth_error: str | None


def context_factory(state: ServerState) -> Any:
    """Return an ariadne ``context_value`` callable bound to a state.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    callable
        ``(request, data) -> RequestContext``.
    """

    def build(request: Request, _data: Any = None) -> RequestContext:
        header = request.headers.get("authorization", "")
        user: User | None = None
        error: str | None = None
        if header:
            scheme, _, token = header.partition(" ")
            if scheme not in ("JWT", "Bearer") or not token.strip():
                error = "Error decoding signature"
            else:
                try:
                    user = decode_jwt(state, token.strip())
                except ServiceError as exc:
                    error = exc.message
        return RequestContext(state=state, request=request, user=user, auth_error=error)

    return build


def api_token_context_factory(state: ServerState) -> Any:
    """Return the 2026-style ``context_value`` callable: ``Authorization: <api token>``.

    The whole ``Authorization`` value is the API token (no scheme prefix).  A missing
    or unknown token (including a ``JWT ...`` value) makes the caller anonymous, never
    an error: resolvers that need a login then answer the usual permission error.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    callable
        ``(request, data) -> RequestContext``.
    """

    def build(request: Request, _data: Any = None) -> RequestContext:
        token = request.headers.get("authorization", "").strip()
        user: User | None = None
        if token:
            try:
                user = user_by_api_token(state, token)
            except ServiceError:
                user = None
        return RequestContext(state=state, request=request, user=user, auth_error=None)

    return build


def _context(info: GraphQLResolveInfo) -> RequestContext:
    ctx = info.context
    assert isinstance(ctx, RequestContext)
    return ctx


def state_of(info: GraphQLResolveInfo) -> ServerState:
    """Return the server state of a resolver call.

    Parameters
    ----------
    info : GraphQLResolveInfo
        Resolver info.

    Returns
    -------
    ServerState
        The state.
    """
    return _context(info).state


def caller(info: GraphQLResolveInfo) -> User | None:
    """Return the caller, raising the JWT error when the token was bad.

    Parameters
    ----------
    info : GraphQLResolveInfo
        Resolver info.

    Returns
    -------
    User or None
        The caller, None when anonymous.
    """
    ctx = _context(info)
    if ctx.auth_error is not None:
        raise ServiceError(ctx.auth_error)
    return ctx.user


def login(info: GraphQLResolveInfo) -> User:
    """Return the caller, or raise the permission error when anonymous.

    Parameters
    ----------
    info : GraphQLResolveInfo
        Resolver info.

    Returns
    -------
    User
        The caller.
    """
    return require_login(caller(info))

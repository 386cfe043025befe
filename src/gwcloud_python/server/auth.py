"""Users, API tokens, JWTs and refresh tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from .db import hash_token, next_id
from .errors import PERMISSION_DENIED, ServiceError
from .state import ServerState

__all__ = [
    "User",
    "add_user",
    "decode_jwt",
    "expire_jwts",
    "expire_refresh_tokens",
    "issue_jwt",
    "issue_refresh_token",
    "redeem_refresh_token",
    "user_by_api_token",
    "user_by_id",
]

_JWT_GENERATION = "jwt_generation"


@dataclass(frozen=True)
class User:
    """A user of the local service.

    Attributes
    ----------
    id : int
        Primary key.
    username : str
        Login name.
    is_ligo : bool
        Member of the LIGO collaboration (sees LIGO-only jobs and events).
    is_event_admin : bool
        May create, change and delete event IDs.
    is_gwflow_ingest : bool
        May call the GWFlow ingest operations (upsert, upload, link, pending files).
    """

    id: int
    username: str
    is_ligo: bool
    is_event_admin: bool
    is_gwflow_ingest: bool = False


def _user(row: Any) -> User:
    return User(
        id=int(row["id"]),
        username=str(row["username"]),
        is_ligo=bool(row["is_ligo"]),
        is_event_admin=bool(row["is_event_admin"]),
        is_gwflow_ingest=bool(row["is_gwflow_ingest"]),
    )


def add_user(
    state: ServerState,
    name: str,
    *,
    ligo: bool = False,
    event_admin: bool = False,
    gwflow_ingest: bool = False,
) -> str:
    """Create a user (or replace its API token when it exists).

    Only the token's hash is stored: the returned value is the one chance to see it.
    Replacing a user's API token also revokes every refresh token issued to them.
    A new user gets a primary key that no earlier user had.

    Parameters
    ----------
    state : ServerState
        The server state.
    name : str
        Username.
    ligo : bool
        LIGO membership.
    event_admin : bool
        Event-ID administrator.
    gwflow_ingest : bool
        GWFlow ingest user.

    Returns
    -------
    str
        The user's new API token.
    """
    token = secrets.token_hex(32)
    with state.db.transaction() as conn:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO users (id, username, api_token, is_ligo, is_event_admin, "
                "is_gwflow_ingest) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    next_id(conn, "users"),
                    name,
                    hash_token(token),
                    int(ligo),
                    int(event_admin),
                    int(gwflow_ingest),
                ),
            )
        else:
            conn.execute(
                "UPDATE users SET api_token = ?, is_ligo = ?, is_event_admin = ?, "
                "is_gwflow_ingest = ? WHERE id = ?",
                (hash_token(token), int(ligo), int(event_admin), int(gwflow_ingest), row["id"]),
            )
            conn.execute("DELETE FROM refresh_tokens WHERE user_id = ?", (row["id"],))
    return token


def user_by_api_token(state: ServerState, token: str) -> User:
    """Return the owner of an API token.

    Parameters
    ----------
    state : ServerState
        The server state.
    token : str
        API token.

    Returns
    -------
    User
        Its owner.

    Raises
    ------
    ServiceError
        ``Invalid API token`` when unknown.
    """
    row = state.db.one("SELECT * FROM users WHERE api_token = ?", (hash_token(token),))
    if row is None:
        raise ServiceError("Invalid API token")
    return _user(row)


def user_by_id(state: ServerState, user_id: int) -> User | None:
    """Return a user by primary key.

    Parameters
    ----------
    state : ServerState
        The server state.
    user_id : int
        Primary key.

    Returns
    -------
    User or None
        The user.
    """
    row = state.db.one("SELECT * FROM users WHERE id = ?", (user_id,))
    return None if row is None else _user(row)


def issue_jwt(state: ServerState, user: User) -> tuple[str, dict[str, Any]]:
    """Sign a JWT for a user.

    Parameters
    ----------
    state : ServerState
        The server state.
    user : User
        The subject.

    Returns
    -------
    tuple of (str, dict)
        The token and its payload.
    """
    now = time.time()
    payload: dict[str, Any] = {
        "username": user.username,
        "userId": user.id,
        "exp": int(now + state.config.jwt_ttl),
        "origIat": int(now),
        "gen": int(state.db.get_setting(_JWT_GENERATION, "0")),
    }
    token: str = jwt.encode(payload, state.secret, algorithm="HS256")
    return token, payload


def decode_jwt(state: ServerState, token: str) -> User:
    """Check a JWT and return its user.

    Parameters
    ----------
    state : ServerState
        The server state.
    token : str
        The JWT.

    Returns
    -------
    User
        The subject.

    Raises
    ------
    ServiceError
        ``Signature has expired`` or ``Error decoding signature``.
    """
    try:
        payload = jwt.decode(token, state.secret, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise ServiceError("Signature has expired") from None
    except jwt.InvalidTokenError:
        raise ServiceError("Error decoding signature") from None
    if int(payload.get("gen", 0)) < int(state.db.get_setting(_JWT_GENERATION, "0")):
        raise ServiceError("Signature has expired")
    try:
        user = user_by_id(state, int(payload.get("userId", -1)))
    except (TypeError, ValueError):
        user = None
    if user is None or user.username != payload.get("username"):
        raise ServiceError("Error decoding signature")
    return user


def issue_refresh_token(state: ServerState, user: User) -> tuple[str, int]:
    """Create a refresh token (only its hash is stored).

    Parameters
    ----------
    state : ServerState
        The server state.
    user : User
        Its owner.

    Returns
    -------
    tuple of (str, int)
        The token and its expiry (Unix seconds).
    """
    token = secrets.token_hex(20)
    expires = int(time.time() + state.config.refresh_ttl)
    state.db.execute(
        "INSERT INTO refresh_tokens (token, user_id, expires_at) VALUES (?, ?, ?)",
        (hash_token(token), user.id, float(expires)),
    )
    return token, expires


def redeem_refresh_token(state: ServerState, token: str) -> User:
    """Check a refresh token, use it up and return its user.

    A refresh token works once: redeeming it deletes it (the caller issues a new one),
    so a stolen copy that was already used is refused.

    Parameters
    ----------
    state : ServerState
        The server state.
    token : str
        The refresh token.

    Returns
    -------
    User
        Its owner.

    Raises
    ------
    ServiceError
        ``Invalid refresh token`` or ``Refresh token is expired``.
    """
    hashed = hash_token(token)
    with state.db.transaction() as conn:
        row = conn.execute("SELECT * FROM refresh_tokens WHERE token = ?", (hashed,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM refresh_tokens WHERE token = ?", (hashed,))
    if row is None:
        raise ServiceError("Invalid refresh token")
    if float(row["expires_at"]) <= time.time():
        raise ServiceError("Refresh token is expired")
    user = user_by_id(state, int(row["user_id"]))
    if user is None:
        raise ServiceError("Invalid refresh token")
    return user


def expire_jwts(state: ServerState) -> None:
    """Make every JWT issued so far expired.

    Parameters
    ----------
    state : ServerState
        The server state.
    """
    generation = int(state.db.get_setting(_JWT_GENERATION, "0"))
    state.db.set_setting(_JWT_GENERATION, str(generation + 1))


def expire_refresh_tokens(state: ServerState) -> None:
    """Make every refresh token issued so far expired.

    Parameters
    ----------
    state : ServerState
        The server state.
    """
    state.db.execute("UPDATE refresh_tokens SET expires_at = ?", (time.time() - 1,))


def require_login(user: User | None) -> User:
    """Return the user, or raise the permission error for anonymous callers.

    Parameters
    ----------
    user : User or None
        The caller.

    Returns
    -------
    User
        The caller.

    Raises
    ------
    ServiceError
        When anonymous.
    """
    if user is None:
        raise ServiceError(PERMISSION_DENIED)
    return user

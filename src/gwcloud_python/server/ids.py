"""Relay global IDs, connection cursors and random tokens."""

from __future__ import annotations

import base64
import binascii
import uuid

__all__ = [
    "decode_cursor",
    "encode_cursor",
    "from_global_id",
    "new_token",
    "to_global_id",
]


def to_global_id(type_name: str, pk: int) -> str:
    """Return the Relay global ID ``base64("<type>:<pk>")``.

    Parameters
    ----------
    type_name : str
        GraphQL type name.
    pk : int
        Primary key.

    Returns
    -------
    str
        The global ID.
    """
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def from_global_id(global_id: str, type_name: str) -> int | None:
    """Decode a Relay global ID of one type.

    Parameters
    ----------
    global_id : str
        The ID sent by a client.
    type_name : str
        The type it must name.

    Returns
    -------
    int or None
        The primary key, or None when the ID is malformed or of another type.
    """
    try:
        text = base64.b64decode(global_id.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    kind, _, pk = text.partition(":")
    if kind != type_name or not pk.isdigit():
        return None
    return int(pk)


def encode_cursor(offset: int) -> str:
    """Return the graphene-style cursor of a position in a connection.

    Parameters
    ----------
    offset : int
        Zero-based position.

    Returns
    -------
    str
        The opaque cursor.
    """
    return base64.b64encode(f"arrayconnection:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str | None) -> int:
    """Return the position after a cursor (0 when None or malformed).

    Parameters
    ----------
    cursor : str or None
        A cursor from :func:`encode_cursor`.

    Returns
    -------
    int
        The offset of the first item after the cursor.
    """
    if not cursor:
        return 0
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return 0
    prefix, _, offset = text.partition(":")
    if prefix != "arrayconnection" or not offset.isdigit():
        return 0
    return int(offset) + 1


def new_token() -> str:
    """Return a fresh random UUID string.

    Returns
    -------
    str
        The token.
    """
    return str(uuid.uuid4())

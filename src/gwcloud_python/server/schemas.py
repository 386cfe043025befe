"""Executable schemas built from the recorded SDL files."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ariadne import ScalarType, make_executable_schema, upload_scalar
from graphql import GraphQLSchema

from .auth_api import auth_mutation, auth_query
from .bilby2026 import (
    bilby_job_node_2026,
    event_type_2026,
    gwflow_job_type,
    gwflow_mutation,
    query_2026,
)
from .bilby_mutations import mutation
from .bilby_queries import query
from .event_ids import event_mutation, event_query, event_type
from .hdf5_upload import hdf5_mutation
from .schema_files import load_sdl
from .uploads import upload_mutation

__all__ = ["build_auth_schema", "build_bilby_2026_schema", "build_bilby_schema"]

decimal_scalar: ScalarType = ScalarType("Decimal")
datetime_scalar: ScalarType = ScalarType("DateTime")
generic_scalar: ScalarType = ScalarType("GenericScalar")
big_int_scalar: ScalarType = ScalarType("BigInt")
json_string_scalar: ScalarType = ScalarType("JSONString")


@decimal_scalar.serializer
def serialize_decimal(value: Any) -> str:
    """Send a Decimal as a JSON string, like graphene."""
    return str(value)


@decimal_scalar.value_parser
def parse_decimal(value: Any) -> Decimal:
    """Accept a number or a numeric string."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"Invalid Decimal {value!r}") from None


@datetime_scalar.serializer
def serialize_datetime(value: Any) -> str:
    """Send a DateTime as ISO-8601."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


@datetime_scalar.value_parser
def parse_datetime(value: Any) -> datetime:
    """Read ISO-8601."""
    return datetime.fromisoformat(str(value))


@generic_scalar.serializer
def serialize_generic(value: Any) -> Any:
    """Send any JSON value as it is."""
    return value


@big_int_scalar.serializer
def serialize_big_int(value: Any) -> int:
    """Send a BigInt as a JSON number."""
    return int(value)


@big_int_scalar.value_parser
def parse_big_int(value: Any) -> int:
    """Accept an integer or an integer string."""
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"Invalid BigInt {value!r}") from None


@json_string_scalar.serializer
def serialize_json_string(value: Any) -> str:
    """Send a JSONString as JSON text, like graphene."""
    return json.dumps(value)


@json_string_scalar.value_parser
def parse_json_string(value: Any) -> Any:
    """Decode JSON text."""
    return json.loads(str(value))


def build_bilby_schema() -> GraphQLSchema:
    """Return the executable Bilby schema.

    Returns
    -------
    GraphQLSchema
        ``schema/bilby.graphql`` bound to the local resolvers.
    """
    schema: GraphQLSchema = make_executable_schema(
        load_sdl("bilby"),
        query,
        event_query,
        mutation,
        upload_mutation,
        event_mutation,
        event_type,
        decimal_scalar,
        datetime_scalar,
        upload_scalar,
        convert_names_case=True,
    )
    return schema


def build_auth_schema() -> GraphQLSchema:
    """Return the executable auth schema.

    Returns
    -------
    GraphQLSchema
        ``schema/auth.graphql`` bound to the local resolvers.
    """
    schema: GraphQLSchema = make_executable_schema(
        load_sdl("auth"), auth_query, auth_mutation, generic_scalar, convert_names_case=True
    )
    return schema


def build_bilby_2026_schema(version: str = "2026") -> GraphQLSchema:
    """Return the executable 2026 Bilby schema.

    Parameters
    ----------
    version : {"2026", "2026-next"}
        ``"2026"``: the service as recorded. ``"2026-next"``: the schema it has announced,
        ``schema/2026-next/bilby.graphql`` (no ``isLigoEvent``, no ``ligoOnly``). The
        resolvers are the same: they read the LIGO flags of their input with ``.get``
        (absent means not LIGO-only for an event ID; a new GWFlow job stays LIGO-only,
        as the server's default) and a field missing from the schema is never resolved.

    Returns
    -------
    GraphQLSchema
        ``schema/<version>/bilby.graphql`` extended by ``schema/2026/session_user.graphql``
        (the sign-on plugin's field, the same in both), bound to the local resolvers
        (the 2023 ones where the fields match).

    Raises
    ------
    ValueError
        For another ``version``.
    """
    if version not in ("2026", "2026-next"):
        raise ValueError(f"not a 2026 schema version: {version!r}")
    schema: GraphQLSchema = make_executable_schema(
        [load_sdl("bilby", version), load_sdl("session_user", "2026")],
        query_2026,
        event_query,
        mutation,
        upload_mutation,
        hdf5_mutation,
        gwflow_mutation,
        event_mutation,
        event_type,
        event_type_2026,
        gwflow_job_type,
        bilby_job_node_2026,
        decimal_scalar,
        datetime_scalar,
        big_int_scalar,
        json_string_scalar,
        upload_scalar,
        convert_names_case=True,
    )
    return schema

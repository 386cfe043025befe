"""Event IDs: queries, mutations and validation."""

from __future__ import annotations

import math
import re
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from .auth import User
from .context import caller, login, state_of
from .errors import PERMISSION_DENIED, ServiceError
from .ids import to_global_id

__all__ = ["event_mutation", "event_query", "event_type"]

EVENT_ID_PATTERN = re.compile(r"^GW\d{6}_\d{6}$")
TRIGGER_ID_PATTERN = re.compile(r"^S\d{6}[a-z]{1,2}$")
_NOT_FOUND = "EventID matching query does not exist."

event_query: QueryType = QueryType()
event_mutation: MutationType = MutationType()
event_type: ObjectType = ObjectType("EventIDType")


@event_type.field("bilbyjobSet")
def resolve_bilbyjob_set(_obj: Any, _info: GraphQLResolveInfo, **_kwargs: Any) -> dict[str, Any]:
    """Return an empty connection (the local server does not expose reverse links)."""
    return {
        "page_info": {
            "has_next_page": False,
            "has_previous_page": False,
            "start_cursor": None,
            "end_cursor": None,
        },
        "edges": [],
    }


def _value(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": to_global_id("EventIDType", int(row["id"])),
        "event_id": row["event_id"],
        "trigger_id": row["trigger_id"],
        "nickname": row["nickname"],
        "is_ligo_event": bool(row["is_ligo_event"]),
        "gps_time": float(row["gps_time"]),
    }


def _visible(user: User | None, row: sqlite3.Row) -> bool:
    return not row["is_ligo_event"] or (user is not None and user.is_ligo)


def _admin(info: GraphQLResolveInfo) -> User:
    user = login(info)
    if not user.is_event_admin:
        raise ServiceError(PERMISSION_DENIED)
    return user


def _check_event_id(event_id: str) -> str:
    if not EVENT_ID_PATTERN.match(event_id):
        raise ServiceError(f"Invalid event ID {event_id!r}: expected the form GWYYMMDD_hhmmss")
    return event_id


def _check_trigger_id(trigger_id: str | None) -> str | None:
    if trigger_id is not None and not TRIGGER_ID_PATTERN.match(trigger_id):
        raise ServiceError(
            f"Invalid trigger ID {trigger_id!r}: expected the form SYYMMDD followed by 1-2 letters"
        )
    return trigger_id


def _check_gps(value: Any) -> float:
    try:
        number = float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise ServiceError("gpsTime must be a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ServiceError("gpsTime must be a finite positive number")
    return number


@event_query.field("eventId")
def resolve_event_id(_obj: Any, info: GraphQLResolveInfo, event_id: str) -> dict[str, Any]:
    """Return one event ID."""
    user = caller(info)
    row = state_of(info).db.one("SELECT * FROM event_ids WHERE event_id = ?", (event_id,))
    if row is None or not _visible(user, row):
        raise ServiceError(_NOT_FOUND)
    return _value(row)


@event_query.field("allEventIds")
def resolve_all_event_ids(_obj: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """Return every event ID the caller may see."""
    user = caller(info)
    rows = state_of(info).db.query("SELECT * FROM event_ids ORDER BY event_id")
    return [_value(row) for row in rows if _visible(user, row)]


@event_mutation.field("createEventId")
def resolve_create_event_id(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Create an event ID (event administrators only)."""
    _admin(info)
    event_id = _check_event_id(str(input["event_id"]))
    trigger_id = _check_trigger_id(input.get("trigger_id"))
    gps = _check_gps(input["gps_time"])
    state = state_of(info)
    with state.db.transaction() as conn:
        if conn.execute("SELECT 1 FROM event_ids WHERE event_id = ?", (event_id,)).fetchone():
            raise ServiceError(f"Event ID {event_id} already exists")
        conn.execute(
            "INSERT INTO event_ids (event_id, trigger_id, nickname, is_ligo_event, gps_time) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                event_id,
                trigger_id,
                input.get("nickname"),
                int(bool(input.get("is_ligo_event"))),
                gps,
            ),
        )
    return {"result": "Event ID created!"}


@event_mutation.field("updateEventId")
def resolve_update_event_id(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Change the given fields of an event ID (event administrators only)."""
    _admin(info)
    event_id = str(input["event_id"])
    changes: dict[str, Any] = {}
    if input.get("gps_time") is not None:
        changes["gps_time"] = _check_gps(input["gps_time"])
    if input.get("trigger_id") is not None:
        changes["trigger_id"] = _check_trigger_id(input["trigger_id"])
    if input.get("nickname") is not None:
        changes["nickname"] = input["nickname"]
    if input.get("is_ligo_event") is not None:
        changes["is_ligo_event"] = int(bool(input["is_ligo_event"]))
    state = state_of(info)
    with state.db.transaction() as conn:
        if not conn.execute("SELECT 1 FROM event_ids WHERE event_id = ?", (event_id,)).fetchone():
            raise ServiceError(_NOT_FOUND)
        for column, value in changes.items():
            conn.execute(
                f"UPDATE event_ids SET {column} = ? WHERE event_id = ?",  # noqa: S608
                (value, event_id),
            )
    return {"result": "Event ID updated!"}


@event_mutation.field("deleteEventId")
def resolve_delete_event_id(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Delete an event ID, detaching it from its jobs (event administrators only)."""
    _admin(info)
    state = state_of(info)
    with state.db.transaction() as conn:
        row = conn.execute(
            "SELECT id FROM event_ids WHERE event_id = ?", (input["event_id"],)
        ).fetchone()
        if row is None:
            raise ServiceError(_NOT_FOUND)
        conn.execute("UPDATE jobs SET event_fk = NULL WHERE event_fk = ?", (row["id"],))
        conn.execute("DELETE FROM event_ids WHERE id = ?", (row["id"],))
    return {"result": "Event ID deleted!"}

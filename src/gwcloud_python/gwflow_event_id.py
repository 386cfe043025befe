"""The event attached to a GWFlow job (``from gwcloud_python.gwflow_event_id import ...``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._gwflow_wire import pick

__all__ = ["GWFlowEventID"]


@dataclass
class GWFlowEventID:
    """The event ID a GWFlow job is linked to, as GWFlow listings show it.

    Parameters
    ----------
    event_id : str
        The event's name, ``GW123456_123456``.
    trigger_id : str or None
        Its superevent trigger, ``S123456a``.
    nickname : str or None
        Its common name.
    gps_time : float
        Its GPS time.
    """

    event_id: str
    trigger_id: str | None
    nickname: str | None
    gps_time: float

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GWFlowEventID:
        """Build one from the service's JSON, with camelCase or snake_case keys.

        A key present with a falsy value (``gpsTime: 0.0``) keeps that value.
        """
        return cls(
            event_id=pick(d, "eventId", "event_id"),
            trigger_id=pick(d, "triggerId", "trigger_id"),
            nickname=d.get("nickname"),
            gps_time=pick(d, "gpsTime", "gps_time"),
        )

    def __str__(self) -> str:
        """The event ID, then its nickname in brackets when it has one."""
        return f"{self.event_id} ({self.nickname})" if self.nickname else str(self.event_id)

"""The :class:`EventID` domain object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["EventID"]


class _EventIDFields(Protocol):
    event_id: str
    trigger_id: str | None
    nickname: str | None
    is_ligo_event: bool


@dataclass(frozen=True)
class EventID:
    """A named gravitational-wave event that jobs can be attached to.

    Parameters
    ----------
    event_id : str
        Event name of the form ``GW123456_123456``.
    trigger_id : str or None
        Trigger name of the form ``S123456a``.
    nickname : str or None
        Common name, e.g. ``GW150914``.
    is_ligo_event : bool
        Whether only LIGO members may see it.
    gps_time : float or None
        GPS time of the event in seconds.

    Notes
    -----
    Two event IDs are equal when their event ID, trigger ID, nickname and LIGO
    flag are; the GPS time is not compared, as some queries leave it out (and
    gwcloud-python 1.x's job queries never fetched it).
    """

    event_id: str
    trigger_id: str | None = None
    nickname: str | None = None
    is_ligo_event: bool = False
    gps_time: float | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.event_id

    @classmethod
    def _from_gql(cls, node: _EventIDFields) -> EventID:
        """Build from a generated event model (the one place that reads it).

        Public job lists leave the GPS time out; it is None then.
        """
        gps_time: float | None = vars(node).get("gps_time")
        return cls(
            event_id=node.event_id,
            trigger_id=node.trigger_id,
            nickname=node.nickname,
            is_ligo_event=node.is_ligo_event,
            gps_time=gps_time,
        )

"""The :class:`EventID` domain object."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["EventID"]

#: Most rows an HTML table shows before a final "N more" row.
MAX_HTML_ROWS = 50
#: Most items a text rendering lists before "... and N more".
MAX_TEXT_ROWS = 10


class _EventIDFields(Protocol):
    event_id: str
    trigger_id: str | None
    nickname: str | None


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
        Whether only LIGO members may see it.  False from a service that no longer
        reports the flag (gwcloud-python 3.0.0 announced its removal; no event ID can
        be made LIGO-only through such a service).
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
        """The event ID itself, so that ``f"{job.event_id}"`` reads ``GW150914_095045``."""
        return self.event_id

    def describe(self) -> str:
        """Every field of the event, one per line, for a person to read (missing: ``-``)."""
        rows = _rows(self)
        return "EventID\n" + "\n".join(f"  {k + ':':<11} {v}" for k, v in rows)

    def _repr_html_(self) -> str:
        """An HTML table of the event's fields, for Jupyter (values escaped)."""
        return _html_table("EventID", [], [[k, v] for k, v in _rows(self)])

    @classmethod
    def _from_gql(cls, node: _EventIDFields) -> EventID:
        """Build from a generated event model (the one place that reads it).

        Public job lists leave the GPS time out; it is None then.  The operations for a
        service without the LIGO flag leave ``is_ligo_event`` out; it is False then.
        """
        values = vars(node)
        gps_time: float | None = values.get("gps_time")
        return cls(
            event_id=node.event_id,
            trigger_id=node.trigger_id,
            nickname=node.nickname,
            is_ligo_event=bool(values.get("is_ligo_event", False)),
            gps_time=gps_time,
        )

    @classmethod
    def _from_answer(cls, event: Mapping[str, Any]) -> EventID:
        """Build from a public job list's ``eventId`` as decoded JSON, already checked."""
        return cls(
            event_id=event["eventId"],
            trigger_id=event["triggerId"],
            nickname=event["nickname"],
            is_ligo_event=bool(event.get("isLigoEvent", False)),
        )


def _rows(event: EventID) -> list[tuple[str, str]]:
    return [
        ("event id", dash(event.event_id)),
        ("trigger id", dash(event.trigger_id)),
        ("nickname", dash(event.nickname)),
        ("GPS time", dash(event.gps_time)),
        ("LIGO only", yes_no(event.is_ligo_event)),
    ]


# Small display helpers shared by the other domain objects (this module imports nothing of ours).


def dash(value: object) -> str:
    """Show ``value`` as text, with ``"-"`` for a missing (None or empty) value."""
    if value is None or value == "":
        return "-"
    return str(value)


def yes_no(value: bool | None) -> str:
    """``"yes"``, ``"no"`` or ``"-"`` for an unknown flag."""
    return "-" if value is None else ("yes" if value else "no")


def shorten(text: str | None, width: int = 60) -> str:
    """Put ``text`` on one line and cut it to ``width`` characters with an ellipsis."""
    if not text:
        return "-"
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def human_size(size: int | None) -> str:
    """A byte count in human units (``1.5 MiB``); ``"-"`` when unknown."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _html_table(
    caption: str,
    header: list[str],
    rows: Iterable[list[str]],
    more: int = 0,
) -> str:
    """A small HTML table; every caption, header and cell is HTML-escaped."""
    parts = ["<table>", f"<caption>{_escape(caption)}</caption>"]
    if header:
        cells = "".join(f"<th>{_escape(h)}</th>" for h in header)
        parts.append(f"<thead><tr>{cells}</tr></thead>")
    parts.append("<tbody>")
    width = max(len(header), 2)
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{_escape(c)}</td>" for c in row) + "</tr>")
    if more:
        parts.append(f'<tr><td colspan="{width}">... and {more} more</td></tr>')
    parts.append("</tbody></table>")
    return "".join(parts)

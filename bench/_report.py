"""Table rows of the benchmark and their plain-text and JSON forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from _measure import Measurement

__all__ = ["Row", "format_rss", "format_table", "format_time"]

HEADERS = (
    "Case",
    "Ours time",
    "Ours RSS",
    "1.15.0 time",
    "1.15.0 RSS",
    "Baseline",
    "Ratio",
    "Target",
    "Met",
)


@dataclass
class Row:
    """One line of the results table.

    Attributes
    ----------
    key : str
        Stable identifier (used in ``results.json``).
    label : str
        Human-readable case name.
    ours, legacy, baseline : Measurement or None
        The current library, gwcloud-python 1.15.0 and the reference measurement.
    legacy_note : str
        Shown instead of 1.15.0 numbers when it was not run (e.g. ``cannot page``).
    baseline_label : str
        What the baseline is (``curl``, ``httpx``...).
    ratio : str
        The ratio(s) the target is judged on, already formatted.
    target : str
        The target, or empty when the row is informational.
    met : bool or None
        Whether the target was met; None for informational rows.
    details : dict
        Extra numbers for ``results.json``.
    """

    key: str
    label: str
    ours: Measurement | None = None
    legacy: Measurement | None = None
    legacy_note: str = ""
    baseline: Measurement | None = None
    baseline_label: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with every number."""
        return {
            "key": self.key,
            "case": self.label,
            "ours": None if self.ours is None else self.ours.as_dict(),
            "legacy_1_15_0": None if self.legacy is None else self.legacy.as_dict(),
            "legacy_note": self.legacy_note or None,
            "baseline": None if self.baseline is None else self.baseline.as_dict(),
            "baseline_label": self.baseline_label or None,
            "ratio": self.ratio or None,
            "target": self.target or None,
            "met": self.met,
            "details": self.details,
        }


def format_time(measurement: Measurement | None) -> str:
    """Format the time of a measurement (``>N s`` after a timeout, ``FAILED``).

    Parameters
    ----------
    measurement : Measurement or None
        The measurement.

    Returns
    -------
    str
        Text for the table.
    """
    if measurement is None:
        return "-"
    if measurement.timed_out:
        return f">{measurement.limit:.0f} s (timeout)"
    if measurement.error is not None or measurement.seconds is None:
        return "FAILED"
    seconds = measurement.seconds
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def format_rss(measurement: Measurement | None) -> str:
    """Format the peak RSS of a measurement in MiB.

    Parameters
    ----------
    measurement : Measurement or None
        The measurement.

    Returns
    -------
    str
        Text for the table.
    """
    if measurement is None or measurement.peak_rss_kb is None:
        return "-"
    text = f"{measurement.peak_rss_kb / 1024:.0f} MiB"
    return f">={text}" if measurement.timed_out else text


def _met(row: Row) -> str:
    if row.met is None:
        return "-"
    return "yes" if row.met else "MISSED"


def format_table(rows: list[Row]) -> str:
    """Render the rows as one aligned plain-text (Markdown-compatible) table.

    Parameters
    ----------
    rows : list of Row
        The rows.

    Returns
    -------
    str
        The table.
    """
    cells = [list(HEADERS)]
    for row in rows:
        legacy_time = row.legacy_note if row.legacy_note else format_time(row.legacy)
        baseline = "-"
        if row.baseline is not None:
            baseline = f"{row.baseline_label} {format_time(row.baseline)}".strip()
        elif row.baseline_label:
            baseline = row.baseline_label
        cells.append(
            [
                row.label,
                format_time(row.ours),
                format_rss(row.ours),
                legacy_time,
                "-" if row.legacy_note else format_rss(row.legacy),
                baseline,
                row.ratio or "-",
                row.target or "-",
                _met(row),
            ]
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    lines = []
    for index, line in enumerate(cells):
        padded = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        lines.append("| " + " | ".join(padded) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)

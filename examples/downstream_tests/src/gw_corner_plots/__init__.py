"""Fetch the corner plots of the official Bilby jobs of a gravitational-wave event.

An example of a package built on gwcloud-python; its tests (``tests/``) run against the
local GWCloud server through the ``gwcloud`` pytest plugin.
"""

from __future__ import annotations

from pathlib import Path

from gwcloud_python import GWCloud

__all__ = ["official_job_names", "save_official_corner_plots"]


def official_job_names(gw: GWCloud, event: str = "") -> list[str]:
    """Name the official jobs, newest first.

    Parameters
    ----------
    gw : GWCloud
        A client (anonymous is enough: official jobs are public).
    event : str, optional
        Search terms, such as an event's name; all official jobs when empty.

    Returns
    -------
    list of str
        Job names.
    """
    return [job.name for job in gw.get_official_job_list(event)]


def save_official_corner_plots(gw: GWCloud, event: str, dest: Path) -> dict[str, list[Path]]:
    """Save the corner plots of every official job of an event, one folder per job.

    Parameters
    ----------
    gw : GWCloud
        A client.
    event : str
        The event's name, as searched for (``"GW150914"``).
    dest : Path
        Folder to save under; ``dest/<job name>/...`` keeps each job's paths.

    Returns
    -------
    dict of str to list of Path
        The saved files by job name; a job without corner plots has an empty list.

    Raises
    ------
    LookupError
        When the event has no official job.
    """
    jobs = gw.get_official_job_list(event)
    if not jobs:
        raise LookupError(f"no official job for {event!r}")
    return {job.name: job.save_corner_plot_files(dest / job.name) for job in jobs}

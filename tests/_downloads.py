"""Drive a Downloader the way the clients do: check the targets, fill a feed, run it.

The clients request download IDs into a :class:`DownloadFeed` and hand it to
``Downloader.run_fetch``/``run_save``; these helpers give the engine tests the
same path with the items already known (a feed filled and closed up front).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gwcloud_python._errors import ValidationError
from gwcloud_python._feed import _filled
from gwcloud_python._files import (
    Downloader,
    DownloadItem,
    already_saved,
    make_output_directory,
    resolve_targets,
)

__all__ = ["fetch", "save"]


def fetch(downloader: Downloader, items: Sequence[DownloadItem]) -> list[bytes]:
    """Download ``items`` into memory with ``run_fetch``; contents in the order of ``items``."""
    items = list(items)
    feed = _filled(enumerate(items))
    results = downloader.run_fetch(feed, len(items), sum(item.size for item in items))
    return [results[index] for index in range(len(items))]


def save(
    downloader: Downloader,
    items: Sequence[DownloadItem],
    root_path: str | os.PathLike[str],
    *,
    skip_existing: bool = False,
) -> list[Path]:
    """Save ``items`` under ``root_path`` with ``run_save``, as a client's save call does.

    Every target is checked before the first request (an unsafe list writes
    nothing), the output directory is created when missing, and with
    ``skip_existing`` a file whose target already holds a regular file of the
    listed size is not requested.  Returns every final path, in the order of
    ``items`` (skipped files included).
    """
    items = list(items)
    root = Path(root_path)
    if root.exists() and not root.is_dir():
        raise ValidationError(f"root_path {str(root)!r} exists and is not a directory")
    targets = resolve_targets(root, [item.path for item in items])
    wanted = [
        (index, item)
        for index, item in enumerate(items)
        if not (skip_existing and already_saved(targets[index], item.size))
    ]
    make_output_directory(root)
    downloader.run_save(
        _filled(wanted),
        dict(enumerate(targets)),
        len(wanted),
        sum(item.size for _, item in wanted),
    )
    return targets

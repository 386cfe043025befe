"""Start-up clean-up of what a killed server left behind in its data directory."""

from __future__ import annotations

import logging
import re

from .gwflow_files import clean_gwflow_leftovers
from .state import ServerState, remove_tree

__all__ = ["clean_leftovers"]

_log = logging.getLogger("gwcloud_python.server")
_STAGED = re.compile(r"^stage-([0-9]+)\Z")
_JOB_DIR = re.compile(r"^[0-9]+\Z")


def clean_leftovers(state: ServerState) -> dict[str, int]:
    """Finish or undo work interrupted by a crash; call before serving.

    * ``tmp/stage-<n>`` of a committed job whose ``jobs/<n>`` is missing is moved into
      place (the crash came between the commit and the final rename);
    * everything else under ``tmp/`` (half-extracted uploads, partial supporting files,
      unfinished result trees) is deleted;
    * ``jobs/<n>`` without a job row (a crash before the commit, or an older
      version's debris) is deleted;
    * ``gwflow/<job>/<file>.part`` of an interrupted GWFlow upload is deleted.

    Parameters
    ----------
    state : ServerState
        Server state (its server must not be running yet).

    Returns
    -------
    dict
        ``{"restored": N, "removed": N}``.
    """
    known = {int(row["id"]) for row in state.db.query("SELECT id FROM jobs")}
    restored = removed = 0
    for entry in sorted(state.tmp_dir.iterdir()):
        staged = _STAGED.match(entry.name)
        final = state.jobs_dir / staged.group(1) if staged else None
        if (
            staged
            and final is not None
            and int(staged.group(1)) in known
            and not final.exists()
            and entry.is_dir()
            and not entry.is_symlink()
        ):
            entry.rename(final)
            restored += 1
        else:
            remove_tree(entry)
            removed += 1
    for entry in sorted(state.jobs_dir.iterdir()):
        if not _JOB_DIR.match(entry.name) or int(entry.name) not in known:
            remove_tree(entry)
            removed += 1
    removed += clean_gwflow_leftovers(state)
    if restored or removed:
        _log.warning(
            "start-up clean-up: %d interrupted job(s) finished, %d leftover(s) removed",
            restored,
            removed,
        )
    return {"restored": restored, "removed": removed}

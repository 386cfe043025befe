"""The built-in job runner: Pending -> Running -> Completed with a result tree."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time

from .ini import parse_ini
from .jobs import COMPLETED, JOB_TYPE_NORMAL, PENDING, RUNNING
from .results import register_tree, write_result_tree
from .state import ServerState

__all__ = ["advance_jobs", "run_jobs_forever"]

_log = logging.getLogger("gwcloud_python.server")


def _complete(state: ServerState, job_id: int, label: str, ini_string: str) -> None:
    try:
        values = parse_ini(ini_string)
    except ValueError:
        values = {}
    try:
        merged = int(values.get("n-parallel", "1") or "1") > 1
    except ValueError:
        merged = False
    scratch = state.tmp_dir / f"run-{job_id}"
    shutil.rmtree(scratch, ignore_errors=True)
    write_result_tree(scratch, label, ini_string, merged=merged, seed=job_id)
    final = state.jobs_dir / str(job_id)
    shutil.rmtree(final, ignore_errors=True)
    now = time.time()
    with state.db.transaction() as conn:
        scratch.rename(final)
        register_tree(conn, job_id, final)
        conn.execute(
            "UPDATE jobs SET status = ?, status_time = ?, last_updated = ? WHERE id = ?",
            (COMPLETED, now, now, job_id),
        )


def advance_jobs(state: ServerState) -> None:
    """Move every normal job one step forward when it is due.

    A Pending job whose supporting files are all uploaded starts Running; a job
    Running for ``job_duration`` seconds completes and gets its result tree.

    Parameters
    ----------
    state : ServerState
        Server state.
    """
    now = time.time()
    ready = state.db.query(
        "SELECT id FROM jobs j WHERE job_type = ? AND status = ? AND NOT EXISTS "
        "(SELECT 1 FROM supporting_files s WHERE s.job_id = j.id AND s.uploaded = 0)",
        (JOB_TYPE_NORMAL, PENDING),
    )
    for row in ready:
        state.db.execute(
            "UPDATE jobs SET status = ?, status_time = ?, last_updated = ?, "
            "job_controller_id = ? WHERE id = ?",
            (RUNNING, now, now, 1000 + int(row["id"]), row["id"]),
        )
    due = state.db.query(
        "SELECT id, label, name, ini_string FROM jobs WHERE job_type = ? AND status = ? "
        "AND status_time <= ?",
        (JOB_TYPE_NORMAL, RUNNING, now - state.config.job_duration),
    )
    for row in due:
        _complete(state, int(row["id"]), row["label"] or row["name"], row["ini_string"])


async def run_jobs_forever(state: ServerState) -> None:
    """Call :func:`advance_jobs` periodically until cancelled.

    Parameters
    ----------
    state : ServerState
        Server state.
    """
    interval = min(max(state.config.job_duration / 10, 0.02), 0.5)
    while True:
        try:
            await asyncio.to_thread(advance_jobs, state)
        except Exception:
            _log.exception("job runner step failed")
        await asyncio.sleep(interval)

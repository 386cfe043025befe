"""The built-in job runner: Pending -> Running -> Completed with a result tree."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time

from .archive import make_tree_private
from .errors import ServiceError
from .ini import parse_ini
from .jobs import COMPLETED, ERROR, JOB_TYPE_NORMAL, PENDING, RUNNING, validate_label
from .results import register_tree, write_result_tree
from .state import ServerState, remove_tree

__all__ = ["advance_jobs", "run_jobs_forever"]

_log = logging.getLogger("gwcloud_python.server")


def _complete(state: ServerState, job_id: int, label: str, ini_string: str) -> None:
    label = validate_label(label)
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
    try:
        write_result_tree(scratch, label, ini_string, merged=merged, seed=job_id)
        make_tree_private(scratch)
        staged = state.tmp_dir / f"stage-{job_id}"
        remove_tree(staged)
        now = time.time()
        with state.db.transaction() as conn:
            register_tree(conn, job_id, scratch)
            conn.execute(
                "UPDATE jobs SET status = ?, status_time = ?, last_updated = ? WHERE id = ?",
                (COMPLETED, now, now, job_id),
            )
            scratch.rename(staged)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    final = state.jobs_dir / str(job_id)
    remove_tree(final)
    staged.rename(final)


def _fail(state: ServerState, job_id: int, reason: str) -> None:
    """Mark one job Error (it will not be tried again) and log why, once."""
    now = time.time()
    state.db.execute(
        "UPDATE jobs SET status = ?, status_time = ?, last_updated = ? WHERE id = ?",
        (ERROR, now, now, job_id),
    )
    _log.error("job %d failed and is marked Error: %s", job_id, reason)


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
        job_id = int(row["id"])
        try:
            _complete(state, job_id, row["label"] or row["name"], row["ini_string"])
        except ServiceError as exc:
            _fail(state, job_id, exc.message)
        except Exception as exc:  # one broken job must not hold up the others
            _fail(state, job_id, f"{type(exc).__name__}: {exc}")


async def run_jobs_forever(state: ServerState) -> None:
    """Call :func:`advance_jobs` periodically until cancelled.

    A failing step is logged once (with its traceback); the same failure repeating
    on later passes is not logged again until a pass succeeds, and the runner then
    waits longer between passes (up to 30 s) so a persistent fault costs little.

    Parameters
    ----------
    state : ServerState
        Server state.
    """
    interval = min(max(state.config.job_duration / 10, 0.02), 0.5)
    delay = interval
    last_failure: str | None = None
    while True:
        try:
            await asyncio.to_thread(advance_jobs, state)
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            if failure != last_failure:
                _log.exception("job runner step failed (repeats are not logged)")
                last_failure = failure
            delay = min(delay * 2, 30.0)
        else:
            if last_failure is not None:
                _log.info("job runner recovered")
            last_failure = None
            delay = interval
        await asyncio.sleep(delay)

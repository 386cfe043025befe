"""A small downstream package that uses only gwcloud-python's public API.

``make typecheck`` runs ``mypy --strict`` and ``pyright --strict`` on it (and
``tests/test_packaging.py`` does the same against the built wheel installed in fresh
Python 3.10 and 3.13 environments), so a public name that goes missing, or a signature
that leaks ``Any``, fails the build here first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from gwcloud_python import (
    AsyncBilbyJob,
    AsyncGWCloud,
    BilbyJob,
    EventID,
    FileReference,
    FileReferenceList,
    GraphQLError,
    GWCloud,
    GWCloudError,
    JobStatus,
    TimeRange,
    ValidationError,
)
from gwcloud_python.schema_check import SchemaCheckReport, check_schema


def completed_official_jobs(gw: GWCloud, event: str) -> list[BilbyJob]:
    """Official jobs for ``event`` whose status is Completed."""
    jobs = gw.get_official_job_list(search=event)
    done: list[BilbyJob] = []
    for job in jobs:
        status: JobStatus | None = job.status
        if status is not None and status.status == "Completed":
            done.append(job)
    return done


def save_corner_plots(gw: GWCloud, event: str, root: Path) -> list[Path]:
    """Save the corner plots of every official job for ``event`` under ``root``."""
    saved: list[Path] = []
    for job in completed_official_jobs(gw, event):
        plots: FileReferenceList = job.get_corner_plot_file_list()
        saved.extend(gw.save_files_by_reference(plots, root / job.name))
    return saved


def recent_job_names(gw: GWCloud, limit: int = 10) -> list[str]:
    """Names of public jobs created in the last week."""
    try:
        return [job.name for job in gw.get_public_job_list("", TimeRange.WEEK, limit)]
    except ValidationError as err:
        raise SystemExit(str(err)) from err


def event_nicknames(gw: GWCloud) -> dict[str, str | None]:
    """Event ID → nickname for every visible event."""
    events: list[EventID] = gw.get_all_event_ids()
    return {event.event_id: event.nickname for event in events}


async def count_public_jobs(endpoint: str) -> int:
    """Walk every public job asynchronously and count them."""
    count = 0
    async with AsyncGWCloud(endpoint=endpoint) as gw:
        async for job in gw.iter_public_jobs(page_size=50):
            assert isinstance(job, AsyncBilbyJob)
            count += 1
    return count


async def first_result_json(gw: AsyncGWCloud, job_id: str) -> bytes | None:
    """The first result JSON of a job, or None when it has none (or no such job)."""
    job = await gw.get_job_by_id(job_id)
    if job is None:
        return None
    files = await job.get_result_json_files()
    return files[0][1] if files else None


def describe_files(job: BilbyJob) -> list[tuple[str, int | None, str | None]]:
    """Path, size and download URL of every file of a job (typed attributes only)."""
    rows: list[tuple[str, int | None, str | None]] = []
    for ref in job.get_full_file_list():
        ref_typed: FileReference = ref
        rows.append((ref_typed.path.as_posix(), ref_typed.file_size, ref_typed.url))
    return rows


def job_summary(job: BilbyJob) -> dict[str, str | bool | None]:
    """A few typed job attributes; no ``Any`` may reach this function."""
    event: EventID | None = job.event_id
    labels: list[str] | None = job.labels
    return {
        "id": job.job_id,
        "name": job.name,
        "description": job.description,
        "user": job.user,
        "event": event.event_id if event is not None else None,
        "labels": ", ".join(labels) if labels is not None else None,
        "private": job.private,
    }


def why_did_it_fail(endpoint: str) -> list[str]:
    """The library methods a schema change on ``endpoint`` breaks (``gwcloud schema-check``)."""
    try:
        report: SchemaCheckReport = check_schema(endpoint)
    except GWCloudError as err:
        return [f"cannot check: {err}"]
    broken: dict[str, list[str]] = report.broken_methods()
    return [f"{method}: {', '.join(ops)}" for method, ops in broken.items()]


def error_details(err: GraphQLError) -> tuple[str | None, int]:
    """The operation a GraphQL error came from and how many errors the server sent."""
    return err.operation_name, len(err.errors)


def main() -> int:
    """Count public jobs on the public service (needs the network)."""
    try:
        print(asyncio.run(count_public_jobs("https://gwcloud.org.au/graphql")))
    except GWCloudError as err:
        print(f"failed: {err}")
        return 1
    return 0

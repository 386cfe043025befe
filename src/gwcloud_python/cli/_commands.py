"""One function per ``gwcloud`` command: call the library, print the result."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ._output import (
    event_to_dict,
    human_size,
    print_event,
    print_job,
    print_jobs,
    print_json,
    table,
)

if TYPE_CHECKING:
    from ..file_reference import FileReference
    from ..gwcloud import GWCloud

DEFAULT_LIMIT = 100


class UsageError(Exception):
    """A command line that parses but makes no sense (exit status 2)."""


def jobs_search(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud jobs search``: public jobs matching the terms, or the official ones."""
    terms = " ".join(args.terms)
    if args.official:
        if args.time_range not in (None, "all"):
            raise UsageError("--time-range cannot be combined with --official")
        jobs = gw.get_official_job_list(terms)
        if args.limit is not None:
            jobs = jobs[: args.limit]
    else:
        jobs = gw.get_public_job_list(terms, args.time_range or "all", args.limit or DEFAULT_LIMIT)
    print_jobs(jobs, args.json)


def jobs_mine(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud jobs mine``: the caller's own jobs."""
    print_jobs(gw.get_user_jobs(args.limit), args.json)


def jobs_show(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud jobs show``: one job in full."""
    print_job(gw.get_job_by_id(args.job_id), args.json)


def _file_list(gw: GWCloud, job_id: str, name: str) -> list[FileReference]:
    """The files of job ``job_id`` that filter ``name`` keeps (``all``: every file)."""
    job = gw.get_job_by_id(job_id)
    if name == "all":
        return list(job.get_full_file_list())
    method: Callable[[], list[FileReference]] = getattr(job, f"get_{name}_file_list")
    return list(method())


def files_list(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud files list``: a job's files, optionally filtered."""
    refs = _file_list(gw, args.job_id, args.filter)
    if args.json:
        print_json([{"path": r.path.as_posix(), "size": r.file_size, "url": r.url} for r in refs])
        return
    if not refs:
        print(f"no files match filter {args.filter!r}", file=sys.stderr)
        return
    if any(r.url for r in refs):
        print(table(("PATH", "URL"), [(r.path.as_posix(), r.url) for r in refs]))
        return
    rows = [(r.path.as_posix(), human_size(r.file_size)) for r in refs]
    print(table(("PATH", "SIZE"), rows))
    total = sum(r.file_size for r in refs)
    print(f"{len(refs)} file{'s' * (len(refs) != 1)}, {human_size(total)}")


def files_download(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud files download``: save a job's files under DEST, printing each path."""
    refs = _file_list(gw, args.job_id, args.filter)
    if not refs:
        print(f"no files match filter {args.filter!r}; nothing downloaded", file=sys.stderr)
        return
    saved = gw.save_files_by_reference(refs, args.dest)
    for path in saved:
        print(path)
    total = human_size(sum(r.file_size for r in refs))
    print(f"saved {len(saved)} file(s), {total}, under {args.dest}", file=sys.stderr)


def submit(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud submit``: start a job from an ini file (supporting files beside it)."""
    job = gw.start_bilby_job_from_file(
        args.name, args.description, args.private, args.ini, args.cluster
    )
    print_job(job, args.json)


def upload(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud upload``: upload a finished job from its directory or a ``.tar.gz``."""
    path = Path(args.path)
    if path.is_dir():
        job = gw.upload_job_directory(args.description, path, public=args.public)
    else:
        job = gw.upload_job_archive(args.description, path, public=args.public)
    print_job(job, args.json)


def event_list(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud event-id list``: every visible event ID."""
    events = gw.get_all_event_ids()
    if args.json:
        print_json([event_to_dict(e) for e in events])
        return
    rows = [
        (e.event_id, e.trigger_id, e.nickname, e.gps_time, "yes" if e.is_ligo_event else "no")
        for e in events
    ]
    print(table(("EVENT ID", "TRIGGER ID", "NICKNAME", "GPS TIME", "LIGO"), rows))


def event_show(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud event-id show``: one event ID."""
    print_event(gw.get_event_id(args.event_id), args.json)


def event_create(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud event-id create``: add an event ID (event administrators)."""
    event = gw.create_event_id(
        args.event_id, args.gps_time, args.trigger_id, args.nickname, args.ligo
    )
    print_event(event, args.json)


def event_update(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud event-id update``: change the given fields of an event ID."""
    changes = (args.gps_time, args.trigger_id, args.nickname, args.ligo)
    if all(value is None for value in changes):
        raise UsageError(
            "nothing to update: give --gps-time, --trigger-id, --nickname or --ligo/--no-ligo"
        )
    event = gw.update_event_id(args.event_id, *changes)
    print_event(event, args.json)


def event_delete(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud event-id delete``: remove an event ID."""
    gw.delete_event_id(args.event_id)
    print(f"deleted event ID {args.event_id}")

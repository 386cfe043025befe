"""``gwcloud gwflow ...``: find, show, download, mirror and link GWFlow analyses.

GWFlow exists on the 2026 service only.  The commands follow the others'
conventions: a table by default, ``--json`` for scripts, status lines on stderr,
exit status 3 when a job is not found and 4 when the token is missing or refused.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._commands import DEFAULT_LIMIT, CommandError, UsageError, not_found
from ._output import _iso, escape, fields, human_size, print_json, say, table
from ._parser import EXIT_ERROR, TIME_RANGES

if TYPE_CHECKING:
    from ..gwcloud import GWCloud
    from ..gwflow_job import GWFlowJob
    from ..gwflow_pending_file import GWFlowPendingFile

__all__ = ["add_gwflow_commands", "gwflow_job_to_dict"]


Handler = Callable[["GWCloud", argparse.Namespace], None]
CommandFactory = Callable[..., argparse.ArgumentParser]


def _libraries(job: GWFlowJob) -> list[str]:
    value: Any = job.libraries
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if not value else [str(value)]


def gwflow_job_to_dict(job: GWFlowJob) -> dict[str, Any]:
    """The JSON form of a GWFlow job: the same keys every time, dates in ISO 8601.

    Parameters
    ----------
    job : GWFlowJob
        The job.

    Returns
    -------
    dict
        ``id``, ``sname``, ``schema_version``, ``libraries``, ``is_pruned``,
        ``current_history_id``, ``current_history_timestamp``, ``last_updated``,
        ``creation_time``, ``event_id``, ``files`` and ``bilby_jobs``.
    """
    event = job.event_id
    return {
        "id": job.id,
        "sname": job.sname,
        "schema_version": job.schema_version,
        "libraries": _libraries(job),
        "is_pruned": job.is_pruned,
        "current_history_id": job.current_history_id,
        "current_history_timestamp": _iso(job.current_history_timestamp),
        "last_updated": _iso(job.last_updated),
        "creation_time": _iso(job.creation_time),
        "event_id": None
        if event is None
        else {
            "event_id": event.event_id,
            "trigger_id": event.trigger_id,
            "nickname": event.nickname,
            "gps_time": event.gps_time,
        },
        "files": [
            {
                "id": f.id,
                "analysis_uid": f.analysis_uid,
                "path": f.path,
                "file_name": f.file_name,
                "file_size": f.file_size,
                "uploaded": f.uploaded,
                "download_token": f.download_token,
            }
            for f in job.files
        ],
        "bilby_jobs": [
            {"id": b.id, "name": b.name, "gwflow_analysis_uid": b.gwflow_analysis_uid}
            for b in job.bilby_jobs
        ],
    }


def _pending_to_dict(record: GWFlowPendingFile) -> dict[str, Any]:
    return {
        "id": record.id,
        "sname": record.sname,
        "analysis_uid": record.analysis_uid,
        "path": record.path,
        "file_name": record.file_name,
        "md5_sum": record.md5_sum,
    }


def gwflow_list(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud gwflow list``: the GWFlow jobs matching a search, newest first."""
    jobs = gw.get_gwflow_job_list(
        " ".join(args.terms), args.time_range, include_pruned=args.include_pruned
    )
    shown = jobs[: args.limit]
    if args.json:
        print_json([gwflow_job_to_dict(job) for job in shown])
    elif not shown:
        say("no GWFlow jobs found")
    else:
        rows = [
            (
                job.sname,
                ", ".join(_libraries(job)),
                "pruned" if job.is_pruned else "",
                _iso(job.last_updated),
                job.id,
            )
            for job in shown
        ]
        print(table(("SNAME", "LIBRARIES", "STATE", "UPDATED", "ID"), rows))
    if len(jobs) > len(shown):
        say(f"showing {len(shown)} of {len(jobs)} GWFlow jobs; raise --limit to see more")


def _job(gw: GWCloud, sname: str) -> GWFlowJob:
    job = gw.get_gwflow_job(sname)
    if job is None:
        raise not_found(f"no GWFlow job {sname!r} (or it is pruned, or not visible to you)")
    return job


def gwflow_show(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud gwflow show``: one GWFlow job with its files and linked Bilby jobs."""
    job = _job(gw, args.sname)
    if args.json:
        print_json(gwflow_job_to_dict(job))
        return
    event = job.event_id
    print(
        fields(
            [
                ("Sname", job.sname),
                ("ID", job.id),
                ("Libraries", ", ".join(_libraries(job))),
                ("Schema", job.schema_version),
                ("Pruned", "yes" if job.is_pruned else "no"),
                ("Event", None if event is None else event.event_id),
                ("History", job.current_history_id),
                ("Updated", _iso(job.last_updated)),
                ("Created", _iso(job.creation_time)),
            ]
        )
    )
    if job.files:
        print()
        rows = [
            (
                f.analysis_uid,
                f.path,
                "-" if f.file_size is None else human_size(f.file_size),
                "yes" if f.uploaded else "pending",
            )
            for f in job.files
        ]
        print(table(("ANALYSIS", "PATH", "SIZE", "UPLOADED"), rows))
    if job.bilby_jobs:
        print()
        linked = [(b.gwflow_analysis_uid, b.name, b.id) for b in job.bilby_jobs]
        print(table(("ANALYSIS", "BILBY JOB", "ID"), linked))


def gwflow_pending(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud gwflow pending``: every registered file not mirrored yet (ingest user)."""
    records = gw.get_gwflow_pending_files()
    if args.json:
        print_json([_pending_to_dict(r) for r in records])
        return
    if not records:
        say("no pending GWFlow files")
        return
    rows = [(r.sname, r.analysis_uid, r.path, r.md5_sum or "-") for r in records]
    print(table(("SNAME", "ANALYSIS", "PATH", "MD5"), rows))


def gwflow_download(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud gwflow download``: save a GWFlow job's uploaded files under DEST."""
    saved = gw.save_gwflow_files(
        args.sname,
        args.dest,
        analysis_uid=args.analysis,
        skip_existing=not args.no_skip_existing,
    )
    for path in saved:
        print(escape(str(path)))
    say(f"saved {len(saved)} file(s) of {args.sname} under {escape(str(args.dest))}")


def gwflow_mirror(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud gwflow mirror``: upload every pending file found under ROOT (ingest user)."""
    summary = gw.mirror_gwflow_files(args.root)
    if args.json:
        print_json(
            {
                "uploaded": [
                    {"id": item.record.id, "path": str(item.path), "size": item.size}
                    for item in summary.uploaded
                ],
                "skipped": [
                    {"id": item.record.id, "path": item.record.path, "reason": item.reason}
                    for item in summary.skipped
                ],
                "failed": [
                    {"id": item.record.id, "path": item.record.path, "reason": item.reason}
                    for item in summary.failed
                ],
            }
        )
    else:
        for item in summary.skipped:
            say(f"skipped {item.record.sname}/{item.record.path}: {item.reason}")
        for item in summary.failed:
            say(f"failed {item.record.sname}/{item.record.path}: {item.reason}")
        say(
            f"uploaded {len(summary.uploaded)} file(s); skipped {len(summary.skipped)}; "
            f"failed {len(summary.failed)}"
        )
    if summary.failed:
        raise CommandError(f"{len(summary.failed)} upload(s) failed", EXIT_ERROR)


def gwflow_link(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud gwflow link``: link a Bilby job to an analysis (``--unlink``: undo)."""
    if args.unlink:
        gw.link_bilby_job_to_gwflow(args.job_id, "", "")
        message = f"unlinked {args.job_id}"
    else:
        if args.sname is None or args.analysis_uid is None:
            raise UsageError("link needs ID SNAME ANALYSIS_UID (or ID --unlink)")
        gw.link_bilby_job_to_gwflow(args.job_id, args.sname, args.analysis_uid)
        message = f"linked {args.job_id} to {args.sname} analysis {args.analysis_uid!r}"
    if args.json:
        print_json({"job_id": args.job_id, "sname": "" if args.unlink else args.sname})
    say(message)


def add_gwflow_commands(
    commands: Any, command: CommandFactory, positive_int: Callable[[str], int]
) -> None:
    """Add ``gwcloud gwflow list|show|pending|download|mirror|link`` to the parser.

    Parameters
    ----------
    commands : argparse subparsers action
        The top-level command group.
    command : callable
        ``build_parser``'s command factory (group, name, handler, help, json_flag=,
        needs_token=).
    positive_int : callable
        The ``--limit`` argument type.
    """
    group = commands.add_parser(
        "gwflow", help="find, download, mirror and link GWFlow analyses", allow_abbrev=False
    )
    sub = group.add_subparsers(dest="gwflow_command", metavar="COMMAND", required=True)
    listing = command(sub, "list", gwflow_list, "search GWFlow jobs, newest first")
    listing.add_argument("terms", nargs="*", metavar="TERM", help="search terms (default: all)")
    listing.add_argument(
        "--time-range", choices=TIME_RANGES, default="all", help="updated within this window"
    )
    listing.add_argument("--include-pruned", action="store_true", help="also pruned jobs")
    listing.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        default=DEFAULT_LIMIT,
        help=f"at most N jobs (default: {DEFAULT_LIMIT})",
    )
    show = command(sub, "show", gwflow_show, "show one GWFlow job by superevent name")
    show.add_argument("sname", metavar="SNAME", help="superevent name, e.g. S230101a")
    command(
        sub,
        "pending",
        gwflow_pending,
        "list files registered but not mirrored yet (ingest user)",
        needs_token=True,
    )
    download = command(
        sub, "download", gwflow_download, "save a GWFlow job's files", json_flag=False
    )
    download.add_argument("sname", metavar="SNAME", help="superevent name")
    download.add_argument("dest", metavar="DEST", type=Path, help="directory to save under")
    download.add_argument("--analysis", metavar="UID", help="only this analysis's files")
    download.add_argument(
        "--no-skip-existing",
        action="store_true",
        help="download again files already under DEST with the listed size (default: skip)",
    )
    mirror = command(
        sub,
        "mirror",
        gwflow_mirror,
        "upload every pending file found under ROOT/<sname>/<analysis>/<path> (ingest user)",
        needs_token=True,
    )
    mirror.add_argument("root", metavar="ROOT", type=Path, help="local tree of the files")
    link = command(
        sub, "link", gwflow_link, "link a Bilby job to a GWFlow analysis", needs_token=True
    )
    link.add_argument("job_id", metavar="ID", help="Bilby job ID")
    link.add_argument("sname", metavar="SNAME", nargs="?", help="superevent name")
    link.add_argument("analysis_uid", metavar="ANALYSIS_UID", nargs="?", help="analysis uid")
    link.add_argument("--unlink", action="store_true", help="remove the job's GWFlow link")

"""One function per ``gwcloud`` command: call the library, print the result."""

from __future__ import annotations

import argparse
import inspect
import itertools
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._output import (
    escape,
    event_to_dict,
    human_size,
    job_to_dict,
    print_event,
    print_job,
    print_jobs,
    print_json,
    say,
    table,
)

if TYPE_CHECKING:
    from ..bilby_job import BilbyJob
    from ..event_id import EventID
    from ..file_reference import FileReference
    from ..gwcloud import GWCloud

DEFAULT_LIMIT = 100


class UsageError(Exception):
    """A command line that parses but makes no sense (exit status 2)."""


class CommandError(Exception):
    """A failure the command line reports with its own exit status.

    Parameters
    ----------
    message : str
        One line for the user.
    code : int
        Exit status.
    """

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def not_found(message: str) -> CommandError:
    """A :class:`CommandError` with the not-found exit status."""
    from ._parser import EXIT_NOT_FOUND

    return CommandError(message, EXIT_NOT_FOUND)


# -- jobs -------------------------------------------------------------------------------------


def _page(limit: int) -> int:
    """Page size to learn whether more than ``limit`` jobs exist (one extra job).

    Pages stay within the library's page size, which servers may enforce as a maximum
    (graphene's connection limit); a bigger limit costs one more request.
    """
    from .._client_base import PAGE_SIZE

    return min(limit + 1, PAGE_SIZE)


def _take(jobs: Iterable[BilbyJob], limit: int) -> tuple[list[BilbyJob], bool]:
    """The first ``limit`` jobs, and whether there were more."""
    found = list(itertools.islice(jobs, limit + 1))
    return found[:limit], len(found) > limit


def _truncated(shown: int, total: int | None) -> None:
    """Tell the user (on stderr) that ``--limit`` cut the list."""
    jobs = "job" if shown == 1 else "jobs"
    if total is not None:
        say(f"showing {shown} of {total} jobs; raise --limit to see more")
    else:
        say(f"showing {shown} {jobs}; more available, raise --limit to see them")


def jobs_search(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud jobs search``: public jobs matching the terms, or the official ones."""
    terms = " ".join(args.terms)
    more: bool
    total: int | None = None
    if args.official:
        if args.time_range not in (None, "all"):
            raise UsageError("--time-range cannot be combined with --official")
        jobs: list[BilbyJob] = gw.get_official_job_list(terms)
        total = len(jobs)
        more = args.limit is not None and total > args.limit
        if more:
            jobs = jobs[: args.limit]
    else:
        limit = args.limit or DEFAULT_LIMIT
        walk = gw.iter_public_jobs(terms, args.time_range or "all", page_size=_page(limit))
        jobs, more = _take(walk, limit)
    _print_listing(gw, jobs, args.json)
    if more:
        _truncated(len(jobs), total)


def jobs_mine(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud jobs mine``: the caller's own jobs."""
    jobs, more = _take(gw.iter_user_jobs(page_size=_page(args.limit)), args.limit)
    print_jobs(jobs, args.json)
    if more:
        _truncated(len(jobs), None)


def _get_job(gw: GWCloud, job_id: str) -> BilbyJob:
    from .._errors import NotFoundError

    try:
        job: BilbyJob | None = gw.get_job_by_id(job_id)
    except NotFoundError:
        job = None
    if job is None:  # the 1.x behaviour: None for an unknown or invisible job
        raise not_found(f"job {job_id!r} does not exist or is not visible to you")
    return job


def jobs_show(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud jobs show``: one job in full."""
    print_job(_get_job(gw, args.job_id), args.json)


def listing_json(gw: GWCloud, jobs: Sequence[BilbyJob]) -> list[dict[str, Any]]:
    """The ``--json`` form of listed jobs, with the fields that listing queries omit.

    Parameters
    ----------
    gw : GWCloud
        The client.
    jobs : sequence of BilbyJob
        Jobs from a public listing.

    Returns
    -------
    list of dict
        :func:`job_to_dict` of each job, completed like ``jobs show --json``.
    """
    full = gw._jobs_in_full([job.id for job in jobs])
    return [
        job_to_dict(job if more is None else more) for job, more in zip(jobs, full, strict=True)
    ]


def _print_listing(gw: GWCloud, jobs: Sequence[BilbyJob], as_json: bool) -> None:
    if as_json:
        print_json(listing_json(gw, jobs))
    else:
        print_jobs(jobs, False)


# -- files ------------------------------------------------------------------------------------


def _file_list(gw: GWCloud, job_id: str, name: str) -> list[FileReference]:
    """The files of job ``job_id`` that filter ``name`` keeps (``all``: every file)."""
    job = _get_job(gw, job_id)
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
        say(f"no files match filter {args.filter!r}")
        return
    if any(r.url for r in refs):
        print(table(("PATH", "URL"), [(r.path.as_posix(), r.url) for r in refs]))
        return
    rows = [(r.path.as_posix(), human_size(r.file_size or 0)) for r in refs]
    print(table(("PATH", "SIZE"), rows))
    total = sum(r.file_size or 0 for r in refs)
    print(f"{len(refs)} file{'s' * (len(refs) != 1)}, {human_size(total)}")


def _already_there(dest: Path, ref: FileReference) -> bool:
    """Whether ``ref`` already exists under ``dest`` with the listed size."""
    target = dest / ref.path
    try:
        size = ref.file_size
        return target.is_file() and (size is None or target.stat().st_size == size)
    except (OSError, ValueError):
        return False


def files_download(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud files download``: save the files of one job, or of several, under DEST.

    One job's files go straight under DEST, and an external job fails as it always
    has.  Several jobs' files go under ``DEST/<job name>/`` in one pipeline; an
    external job among them is skipped and named, with its link, in one warning.
    """
    ids: list[str] = args.job_id
    if len(ids) == 1:
        _download_one(gw, ids[0], args)
    else:
        _download_many(gw, ids, args)


def _download_one(gw: GWCloud, job_id: str, args: argparse.Namespace) -> None:
    refs = _file_list(gw, job_id, args.filter)
    if not refs:
        if args.json:
            print_json(_download_json([], [], []))
        say(f"no files match filter {args.filter!r}; nothing downloaded")
        return
    skip = not args.no_skip_existing
    present = [ref for ref in refs if _already_there(args.dest, ref)] if skip else []
    options: dict[str, Any] = {}
    if "skip_existing" in inspect.signature(gw.save_files_by_reference).parameters:
        options["skip_existing"] = skip
        wanted = refs
    else:
        wanted = [ref for ref in refs if ref not in present]
    saved = gw.save_files_by_reference(wanted, args.dest, **options) if wanted else []
    kept = {(args.dest / ref.path).resolve() for ref in present}
    fetched = [Path(path) for path in saved if Path(path).resolve() not in kept]
    size = sum(r.file_size or 0 for r in refs if r not in present)
    _report_download(args, fetched, [args.dest / ref.path for ref in present], size, [])


def _download_many(gw: GWCloud, ids: Sequence[str], args: argparse.Namespace) -> None:
    """Several jobs in one :meth:`GWCloud.save_job_files` call, external ones reported."""
    from .._client_base import job_file_filter

    jobs: list[BilbyJob] = []
    for job_id in ids:  # every ID is checked before anything is downloaded
        job = _get_job(gw, job_id)
        if all(job.job_id != other.job_id for other in jobs):
            jobs.append(job)
    folders = {
        id(job): args.dest / folder for job, folder in zip(jobs, gw._job_folders(jobs), strict=True)
    }
    skip = not args.no_skip_existing
    named = job_file_filter(jobs[0], "full" if args.filter == "all" else args.filter)
    present: list[Path] = []
    size = 0

    def choose(refs: list[FileReference]) -> Sequence[FileReference]:
        # runs while the jobs' files are listed, before any of them is fetched
        nonlocal size
        chosen = named(refs)
        for ref in chosen:
            folder = folders.get(id(ref.parent))
            if folder is None or getattr(ref.parent, "is_external", lambda: False)():
                continue
            if skip and _already_there(folder, ref):
                present.append(folder / ref.path)
            else:
                size += ref.file_size or 0
        return chosen

    # The library names the skipped external jobs in one warning, which main() prints
    # escaped on stderr; --json lists them too.
    saved = gw.save_job_files(jobs, args.dest, choose, skip_existing=skip)
    kept = {path.resolve() for path in present}
    fetched = [Path(path) for path in saved if Path(path).resolve() not in kept]
    external = [{"job_id": job.job_id, "name": job.name, "url": job.url} for job in saved.external]
    _report_download(args, fetched, present, size, external)


def _download_json(
    fetched: Sequence[Path], present: Sequence[Path], external: Sequence[dict[str, str]]
) -> dict[str, Any]:
    return {
        "saved": [str(path) for path in fetched],
        "skipped_existing": [str(path) for path in present],
        "external": list(external),
    }


def _report_download(
    args: argparse.Namespace,
    fetched: Sequence[Path],
    present: Sequence[Path],
    size: int,
    external: Sequence[dict[str, str]],
) -> None:
    """Print the saved paths (or ``--json``) on stdout, the summary lines on stderr."""
    if args.json:
        print_json(_download_json(fetched, present, external))
    else:
        for path in fetched:
            print(escape(str(path)))
    where = escape(str(args.dest))
    message = f"saved {len(fetched)} file(s), {human_size(size)}, under {where}"
    if present:
        message += (
            f"; skipped {len(present)} already there (--no-skip-existing downloads them again)"
        )
    say(message)


# -- submit and upload ------------------------------------------------------------------------


def submit(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud submit``: start a job from an ini file; private unless ``--public``."""
    job = gw.start_bilby_job_from_file(
        args.name, args.description, not args.public, args.ini, args.cluster
    )
    print_job(job, args.json)


def upload(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud upload``: upload a finished job; private unless ``--public``."""
    path = Path(args.path)
    if path.is_dir():
        job = gw.upload_job_directory(args.description, path, public=args.public)
    else:
        job = gw.upload_job_archive(args.description, path, public=args.public)
    print_job(job, args.json)


# -- event IDs --------------------------------------------------------------------------------


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
    from .._errors import NotFoundError

    try:
        event: EventID | None = gw.get_event_id(args.event_id)
    except NotFoundError:
        event = None
    if event is None:  # the 1.x behaviour
        raise not_found(f"event ID {args.event_id!r} does not exist or is not visible to you")
    print_event(event, args.json)


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


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal (stderr); False unless answered yes.

    Raises
    ------
    UsageError
        When standard input is not a terminal (scripts must pass ``--yes``).
    """
    if not sys.stdin.isatty():
        raise UsageError("not deleting without confirmation: add --yes (no terminal to ask on)")
    print(f"{escape(question)} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def event_delete(gw: GWCloud, args: argparse.Namespace) -> None:
    """``gwcloud event-id delete``: remove an event ID after ``--yes`` or a confirmation."""
    if not args.yes and not confirm(f"delete event ID {args.event_id}?"):
        say("not deleted")
        return
    gw.delete_event_id(args.event_id)
    print(f"deleted event ID {escape(args.event_id)}")


# -- schema-check -----------------------------------------------------------------------------


def schema_check(args: argparse.Namespace) -> None:
    """``gwcloud schema-check``: validate the library's operations against the live schema.

    Needs no token and no client: it introspects the endpoint(s) the options (or the
    environment) name. Exit status 1 when an operation no longer validates.
    """
    from ..schema_check import check_schema

    report = check_schema(args.endpoint, auth_endpoint=args.auth_endpoint, service=args.service)
    if args.json:
        print_json(report.as_dict())
    else:
        sys.stdout.write(report.format(verbose=args.verbose))
    if not report.ok:
        methods = len(report.broken_methods())
        raise CommandError(
            f"{len(report.broken)} operation(s) no longer validate against the service's"
            f" schema; {methods} library method(s) would fail",
            1,
        )

"""The ``gwcloud`` argument parser."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import _commands as cmd
from ._output import PROG, print_error

if TYPE_CHECKING:
    from ..gwcloud import GWCloud

ENV_TOKEN = "GWCLOUD_TOKEN"  # noqa: S105 - a variable name, not a secret
ENV_ENDPOINT = "GWCLOUD_ENDPOINT"
ENV_AUTH_ENDPOINT = "GWCLOUD_AUTH_ENDPOINT"
ENV_LOG = "GWCLOUD_LOG"
TIME_RANGES = ("all", "1d", "1w", "1m", "1y")
FILE_FILTERS = ("all", "default", "config", "png", "corner_plot", "result_json")
CLUSTERS = ("ozstar", "cit")
SERVICES = ("2023", "2026")
SHELLS = ("bash", "zsh", "tcsh")
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_AUTH = 4
EXIT_INTERRUPTED = 130
EXIT_CODES_HELP = f"""exit status:
  0    success
  {EXIT_ERROR}    an error (connection, server, files)
  {EXIT_USAGE}    a usage error (bad or missing options)
  {EXIT_NOT_FOUND}    not found: no such job or event ID, or not visible to you
  {EXIT_AUTH}    authentication or permission failure (no, wrong or expired token)
  {EXIT_INTERRUPTED}  interrupted

environment:
  {ENV_TOKEN}, {ENV_ENDPOINT}, {ENV_AUTH_ENDPOINT}  defaults of --token,
      --endpoint and --auth-endpoint
  {ENV_LOG}=debug  log requests to stderr, as --debug (tokens are masked)
"""

Handler = Callable[["GWCloud", argparse.Namespace], None]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one redacted line, ``gwcloud: error: ...``."""

    def error(self, message: str) -> NoReturn:
        print_error(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_USAGE)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
    return value


def _connection_options(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command (``suppress``: no defaults, for commands)."""
    parser = _Parser(
        add_help=False,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS if suppress else None,
    )
    group = parser.add_argument_group("connection options")
    group.add_argument(
        "--token",
        metavar="TOKEN",
        help=f"API token (default: ${ENV_TOKEN}; anonymous, read-only access when unset)",
    )
    group.add_argument(
        "--endpoint", metavar="URL", help=f"Bilby GraphQL endpoint (default: ${ENV_ENDPOINT})"
    )
    group.add_argument(
        "--auth-endpoint",
        metavar="URL",
        help=f"auth GraphQL endpoint (default: ${ENV_AUTH_ENDPOINT})",
    )
    group.add_argument(
        "--service", choices=SERVICES, help="GWCloud service version (default: the library's)"
    )
    group.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars on transfers (default: shown when stderr is a terminal)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help=f"log requests and retries to stderr, tokens masked (or set {ENV_LOG}=debug)",
    )
    return parser


def _privacy(sub: argparse.ArgumentParser) -> None:
    """``--public`` / ``--private``: every job the command line creates is private by default."""
    group = sub.add_mutually_exclusive_group()
    group.add_argument(
        "--public", action="store_true", help="everyone may see the job (default: private)"
    )
    group.add_argument(
        "--private", action="store_true", help="only you may see the job (the default)"
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the ``gwcloud`` argument parser.

    Returns
    -------
    argparse.ArgumentParser
        The parser; each command's namespace has a ``handler`` attribute.
    """
    from .._version import __version__

    parser = _Parser(
        prog=PROG,
        description="Search, inspect, download, submit and upload Bilby jobs on GWCloud.",
        parents=[_connection_options(suppress=False)],
        allow_abbrev=False,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = [_connection_options(suppress=True)]
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        group: Any,
        name: str,
        handler: Handler,
        help_text: str,
        *,
        json_flag: bool = True,
        needs_token: bool = False,
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=common,
            allow_abbrev=False,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler, needs_token=needs_token)
        if json_flag:
            sub.add_argument("--json", action="store_true", help="print JSON for scripts")
        return sub

    def limit(sub: argparse.ArgumentParser, help_text: str, default: int | None) -> None:
        sub.add_argument(
            "--limit", type=_positive_int, metavar="N", default=default, help=help_text
        )

    jobs = commands.add_parser("jobs", help="search and inspect jobs", allow_abbrev=False)
    jobs_commands = jobs.add_subparsers(dest="jobs_command", metavar="COMMAND", required=True)
    search = command(jobs_commands, "search", cmd.jobs_search, "search public jobs")
    search.add_argument("terms", nargs="*", metavar="TERM", help="words to search for")
    search.add_argument("--official", action="store_true", help="only jobs labelled Official")
    search.add_argument(
        "--time-range", choices=TIME_RANGES, help="created within this window (default: all)"
    )
    limit(search, f"at most N jobs (default: {cmd.DEFAULT_LIMIT}; every one with --official)", None)
    mine = command(
        jobs_commands, "mine", cmd.jobs_mine, "list your own jobs (needs a token)", needs_token=True
    )
    limit(mine, f"at most N jobs (default: {cmd.DEFAULT_LIMIT})", cmd.DEFAULT_LIMIT)
    show = command(jobs_commands, "show", cmd.jobs_show, "show one job")
    show.add_argument("job_id", metavar="ID", help="job ID (as listed) or integer key")

    files = commands.add_parser("files", help="list and download job files", allow_abbrev=False)
    files_commands = files.add_subparsers(dest="files_command", metavar="COMMAND", required=True)
    listing = command(files_commands, "list", cmd.files_list, "list a job's files")
    download = command(
        files_commands,
        "download",
        cmd.files_download,
        "download the files of one job, or of several (each under DEST/<job name>/)",
    )
    listing.add_argument("job_id", metavar="ID", help="job ID (as listed) or integer key")
    download.add_argument(
        "job_id", nargs="+", metavar="ID", help="job ID (as listed) or integer key"
    )
    download.add_argument("dest", metavar="DEST", type=Path, help="directory to save under")
    for sub in (listing, download):
        sub.add_argument(
            "--filter", choices=FILE_FILTERS, default="all", help="which files (default: all)"
        )
    download.add_argument(
        "--no-skip-existing",
        action="store_true",
        help="download files again that already exist under DEST with the listed size "
        "(default: skip them)",
    )

    submit = command(
        commands,
        "submit",
        cmd.submit,
        "submit a job from a bilby_pipe ini file",
        needs_token=True,
    )
    submit.add_argument(
        "ini", metavar="INI_FILE", type=Path, help="ini file (supporting files beside it)"
    )
    submit.add_argument("--name", required=True, help="name of the job")
    submit.add_argument("--description", required=True, metavar="TEXT", help="its description")
    _privacy(submit)
    submit.add_argument("--cluster", choices=CLUSTERS, help="where to run (default: server's)")

    upload = command(commands, "upload", cmd.upload, "upload a finished job", needs_token=True)
    upload.add_argument("path", metavar="PATH", help="job output directory or .tar.gz of it")
    upload.add_argument("--description", required=True, metavar="TEXT", help="its description")
    _privacy(upload)

    events = commands.add_parser("event-id", help="list and manage event IDs", allow_abbrev=False)
    event_commands = events.add_subparsers(dest="event_command", metavar="COMMAND", required=True)
    command(event_commands, "list", cmd.event_list, "list event IDs")
    event_show = command(event_commands, "show", cmd.event_show, "show one event ID")
    create = command(
        event_commands,
        "create",
        cmd.event_create,
        "create an event ID (admins)",
        needs_token=True,
    )
    update = command(
        event_commands,
        "update",
        cmd.event_update,
        "change an event ID (admins)",
        needs_token=True,
    )
    delete = command(
        event_commands,
        "delete",
        cmd.event_delete,
        "delete an event ID (admins)",
        json_flag=False,
        needs_token=True,
    )
    delete.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="do not ask for confirmation (needed when standard input is not a terminal)",
    )
    for sub in (event_show, create, update, delete):
        sub.add_argument("event_id", metavar="ID", help="event ID, GW123456_123456")
    gps_help = "GPS time of the event, seconds"
    create.add_argument("--gps-time", type=_finite_float, required=True, metavar="T", help=gps_help)
    update.add_argument("--gps-time", type=_finite_float, metavar="T", help=gps_help)
    for sub in (create, update):
        sub.add_argument("--trigger-id", metavar="S123456a", help="trigger ID")
        sub.add_argument("--nickname", metavar="NAME", help="common name, e.g. GW150914")
    create.add_argument("--ligo", action="store_true", help="visible to LIGO members only")
    update.add_argument(
        "--ligo", action=argparse.BooleanOptionalAction, help="visible to LIGO members only"
    )

    from ._gwflow import add_gwflow_commands  # it reads this module's constants

    add_gwflow_commands(commands, command, _positive_int)

    subcommands: Any = commands
    check: argparse.ArgumentParser = subcommands.add_parser(
        "schema-check",
        help="check this library's GraphQL operations against the service's schema",
        description="Ask the service for its GraphQL schema and validate every operation\n"
        "this gwcloud-python sends against it; name the methods a schema change breaks.\n"
        "Run it first when a call that used to work fails. Exit status 1 when an\n"
        "operation no longer validates. No token is needed.",
        parents=common,
        allow_abbrev=False,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--json", action="store_true", help="print JSON for scripts")
    check.add_argument(
        "--verbose", action="store_true", help="also list the operations that validate"
    )
    check.set_defaults(handler=None, needs_token=False)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for your shell, e.g. "
        "'gwcloud completion bash > ~/.local/share/bash-completion/completions/gwcloud'. "
        "Needs the optional dependency: pip install 'gwcloud-python[completion]'.",
        allow_abbrev=False,
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    completion.set_defaults(handler=None, needs_token=False)
    return parser

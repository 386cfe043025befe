"""The ``gwcloud`` command line: search, inspect, download, submit and upload Bilby jobs.

Every command prints a readable table by default and stable JSON with
``--json``.  Errors print one line, ``gwcloud: error: <message>``, on stderr and
exit with status 1; 2 for usage errors, 3 when a job or event ID is not found,
4 for authentication or permission failures, 130 when interrupted.  The API
token comes from ``--token`` or ``$GWCLOUD_TOKEN`` and is never printed; text
from the server is printed with control characters escaped.  ``--debug`` (or
``GWCLOUD_LOG=debug``) logs requests to stderr.

Examples
--------
::

    gwcloud jobs search GW150914 --official
    gwcloud files download QmlsYnlKb2JOb2RlOjE= out/ --filter corner_plot
    GWCLOUD_TOKEN=... gwcloud submit run.ini --name my-run --description "test run"
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._errors import (
    AuthenticationError,
    GWCloudError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    register_secret,
)
from ._commands import CommandError, UsageError
from ._output import escape, event_to_dict, job_to_dict, print_error
from ._parser import (
    ENV_AUTH_ENDPOINT,
    ENV_ENDPOINT,
    ENV_LOG,
    ENV_TOKEN,
    EXIT_AUTH,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    build_parser,
)

if TYPE_CHECKING:
    from ..gwcloud import GWCloud

__all__ = [
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_USAGE",
    "build_parser",
    "connect",
    "event_to_dict",
    "job_to_dict",
    "main",
]

COMPLETION_MISSING = "shell completion needs: pip install 'gwcloud-python[completion]'"
NO_TOKEN = f"this command needs an API token: give --token or set ${ENV_TOKEN}"

#: Library parameter names, as the command line spells them.
_CLI_NAMES = {
    "root_path": "DEST",
    "ini_file": "INI_FILE",
    "job_name": "--name",
    "job_description": "--description",
    "job_id": "ID",
    "job_archive": "PATH",
    "job_directory": "PATH",
    "event_id": "ID",
    "gps_time": "--gps-time",
    "trigger_id": "--trigger-id",
    "is_ligo_event": "--ligo",
    "time_range": "--time-range",
    "page_size": "--limit",
}
_PARAMETER = re.compile(r"(?<![\w.])(" + "|".join(_CLI_NAMES) + r")\b")
_PHRASES = {"BilbyJob.job_id gives it": "the ID column of 'gwcloud jobs search' shows it"}
_LEADING = {"description": "--description", "number": "--limit", "search": "TERM"}
_NEEDS_TOKEN = re.compile(r"^[\w .]+ needs an API token: this GWCloud client is anonymous.*$")


def cli_terms(message: str) -> str:
    """Rewrite a library message that names Python parameters in command-line terms.

    Parameters
    ----------
    message : str
        A :class:`ValidationError` or :class:`AuthenticationError` message.

    Returns
    -------
    str
        The message naming flags and arguments (``--name``, ``INI_FILE``) instead.
    """
    if _NEEDS_TOKEN.match(message):
        return NO_TOKEN
    for phrase, replacement in _PHRASES.items():
        message = message.replace(phrase, replacement)
    first, _, rest = message.partition(" ")
    if first in _LEADING and rest:
        message = f"{_LEADING[first]} {rest}"
    return _PARAMETER.sub(lambda m: _CLI_NAMES[m.group(1)], message)


class _EscapingFormatter(logging.Formatter):
    """One log record per line, control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))


def _log_level(args: argparse.Namespace) -> int | None:
    if getattr(args, "debug", False):
        return logging.DEBUG
    value = os.environ.get(ENV_LOG, "").strip().upper()
    if not value:
        return None
    level = logging.getLevelName(value)
    if not isinstance(level, int):
        raise UsageError(f"{ENV_LOG} must be debug, info, warning or error, got {value.lower()!r}")
    return level


def _setup_logging(level: int | None) -> logging.Handler | None:
    """Log the library's (and, at debug level, httpx's) records to stderr, tokens masked.

    Without a level the library's warnings still go through the same escaping,
    masking handler (rather than Python's last-resort one, which would print
    server text such as a GWFlow sname as it came).
    """
    from .._auth import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if level is None:
        handler.setFormatter(_EscapingFormatter("gwcloud: warning: %(message)s"))
        logger = logging.getLogger("gwcloud_python")
        if logger.handlers:  # an embedding program configured logging: leave it
            return None
        _saved_levels["gwcloud_python"] = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        return handler
    handler.setFormatter(_EscapingFormatter("gwcloud: %(levelname)s %(name)s: %(message)s"))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        _saved_levels[name] = logger.level
        logger.addHandler(handler)
        logger.setLevel(level)
    return handler


_LOGGERS = ("gwcloud_python", "httpx")
_saved_levels: dict[str, int] = {}


def _remove_logging(handler: logging.Handler | None) -> None:
    """Undo :func:`_setup_logging` (``main`` may run many times in one process)."""
    if handler is not None:
        for name in list(_saved_levels):
            logger = logging.getLogger(name)
            logger.removeHandler(handler)
            logger.setLevel(_saved_levels.pop(name))


def _register_argv_secrets(argv: Sequence[str]) -> None:
    """Mask any token given on the command line or in the environment in every message."""
    secrets = [os.environ.get(ENV_TOKEN, "")]
    for index, arg in enumerate(argv):
        if arg == "--token" and index + 1 < len(argv):
            secrets.append(argv[index + 1])
        elif arg.startswith("--token="):
            secrets.append(arg.partition("=")[2])
    for secret in secrets:
        register_secret(secret)


def connect(args: argparse.Namespace) -> GWCloud:
    """Create the client the parsed options describe.

    Options left unset fall back to the environment, then to the library's defaults;
    ``service`` is passed only when given, so older libraries keep working.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command line.

    Returns
    -------
    GWCloud
        A connected (and, with a token, authenticated) client.
    """
    from ..gwcloud import GWCloud

    options: dict[str, Any] = {"progress": False if args.no_progress else None}
    for option, env in (("endpoint", ENV_ENDPOINT), ("auth_endpoint", ENV_AUTH_ENDPOINT)):
        value = getattr(args, option) or os.environ.get(env)
        if value:
            options[option] = value
    if args.service is not None:
        if "service" not in inspect.signature(GWCloud).parameters:
            raise UsageError("--service is not supported by this version of gwcloud-python")
        options["service"] = args.service
    return GWCloud(_token(args), **options)


def _token(args: argparse.Namespace) -> str:
    """The token from ``--token``, else ``$GWCLOUD_TOKEN`` (the library ignores the variable)."""
    return str(getattr(args, "token", None) or os.environ.get(ENV_TOKEN, ""))


def _completion(shell: str) -> None:
    try:
        shtab: Any = importlib.import_module("shtab")  # optional: gwcloud-python[completion]
    except ImportError:
        raise CommandError(COMPLETION_MISSING, EXIT_ERROR) from None
    print(shtab.complete(build_parser(), shell=shell))


def _run(args: argparse.Namespace) -> None:
    if args.command == "completion":
        _completion(args.shell)
        return
    if args.command == "schema-check":
        from ._commands import schema_check

        schema_check(args)
        return
    if args.needs_token and not _token(args):
        raise CommandError(NO_TOKEN, EXIT_AUTH)
    with connect(args) as gw:
        args.handler(gw, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gwcloud`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 on errors, 2 on usage errors, 3 when a job or
        event ID is not found, 4 on authentication or permission failures, 130 when
        interrupted.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    _register_argv_secrets(arguments)
    handler: logging.Handler | None = None
    try:
        try:
            args = build_parser().parse_args(arguments)
        except SystemExit as exit_:  # --help, --version and usage errors
            code = exit_.code
            return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
        handler = _setup_logging(_log_level(args))
        _run(args)
        sys.stdout.flush()
    except UsageError as err:
        print_error(str(err))
        return EXIT_USAGE
    except CommandError as err:
        print_error(str(err))
        return err.code
    except (AuthenticationError, PermissionDeniedError) as err:
        print_error(cli_terms(err.message or type(err).__name__))
        return EXIT_AUTH
    except NotFoundError as err:
        print_error(err.message or type(err).__name__)
        return EXIT_NOT_FOUND
    except ValidationError as err:
        print_error(cli_terms(err.message or type(err).__name__))
        return EXIT_ERROR
    except GWCloudError as err:
        print_error(err.message or type(err).__name__)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``gwcloud jobs search | head``): stop quietly
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        print_error(f"{err.strerror or err}{where}")
        return EXIT_ERROR
    except Exception as err:  # a bug: still one line, never a traceback that could leak
        print_error(f"unexpected {type(err).__name__}: {err}")
        return EXIT_ERROR
    finally:
        _remove_logging(handler)
    return 0

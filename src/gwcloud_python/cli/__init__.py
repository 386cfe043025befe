"""The ``gwcloud`` command line: search, inspect, download, submit and upload Bilby jobs.

Every command prints a readable table by default and stable JSON with
``--json``.  Errors print one line, ``gwcloud: error: <message>``, on stderr
and exit with status 1 (2 for usage errors, 130 when interrupted).  The API
token comes from ``--token`` or ``$GWCLOUD_TOKEN`` and is never printed.

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
import inspect
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._errors import GWCloudError, register_secret
from ._commands import UsageError
from ._output import event_to_dict, job_to_dict, print_error
from ._parser import ENV_AUTH_ENDPOINT, ENV_ENDPOINT, ENV_TOKEN, EXIT_USAGE, build_parser

if TYPE_CHECKING:
    from ..gwcloud import GWCloud

__all__ = ["build_parser", "connect", "event_to_dict", "job_to_dict", "main"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


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
    token = args.token or os.environ.get(ENV_TOKEN, "")
    return GWCloud(token, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gwcloud`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 on errors, 2 on usage errors, 130 when interrupted.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    _register_argv_secrets(arguments)
    try:
        try:
            args = build_parser().parse_args(arguments)
        except SystemExit as exit_:  # --help, --version and usage errors
            code = exit_.code
            return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
        with connect(args) as gw:
            args.handler(gw, args)
        sys.stdout.flush()
    except UsageError as err:
        print_error(str(err))
        return EXIT_USAGE
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
    return 0

"""Command line of the local server: ``gwcloud-server run|add-user|seed-demo|seed-scale``.

Errors are one line on stderr, ``gwcloud-server: error: <message>``, with exit status 1
(2 for usage errors).  Without the ``[server]`` extra every command says which
``pip install`` it needs instead of showing a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import importlib.util
import json
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import ServerState

__all__ = ["EXTRA_MISSING", "main"]

PROG = "gwcloud-server"
#: The one line printed when the ``[server]`` extra is not installed.
EXTRA_MISSING = "the local server needs: pip install 'gwcloud-python[server]'"
#: Top-level modules the ``[server]`` extra installs.
_EXTRA_MODULES = ("ariadne", "graphql", "starlette", "uvicorn", "jwt")
#: Printed on stdout before the ready line when normal-job files have their own listener.
JOB_CONTROLLER_LINE = "gwcloud-server job controller listening on "
READY_LINE = "gwcloud-server listening on "
_SCHEMAS = ("2023", "2026", "2026-next")
#: Environment variable holding the admin secret of ``run --admin``.
ADMIN_SECRET_ENV = "GWCLOUD_ADMIN_SECRET"  # noqa: S105
#: Printed on stdout after the ready line when ``--admin`` made up its own secret.
ADMIN_SECRET_LINE = "gwcloud-server admin secret (send as X-Admin-Secret): "  # noqa: S105


def _missing_extra() -> str | None:
    """Name the first module of the ``[server]`` extra that cannot be imported, if any."""
    for name in _EXTRA_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A local GWCloud-compatible server for tests, demos and offline work. "
        "It listens on loopback by default and keeps its data in --data-dir.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir",
            type=Path,
            required=True,
            metavar="DIR",
            help="directory holding the database and stored files (created when missing)",
        )

    run = sub.add_parser("run", help="serve HTTP until interrupted", description="Serve HTTP.")
    data_dir(run)
    run.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    run.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks one)"
    )
    run.add_argument(
        "--job-controller-port",
        type=int,
        default=None,
        metavar="PORT",
        help="serve normal-job files (/job/apiv1/file/) only on this second port, as the "
        "public service serves them from its job controller's host (0 picks one; "
        "default: on the main port)",
    )
    run.add_argument(
        "--jwt-lifetime",
        "--jwt-ttl",
        dest="jwt_ttl",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="JWT lifetime (300)",
    )
    run.add_argument(
        "--admin",
        action="store_true",
        help="serve the /_admin/* test routes; each call must send the header "
        f"X-Admin-Secret: the value of ${ADMIN_SECRET_ENV}, or a random secret printed "
        "at start-up",
    )
    run.add_argument(
        "--max-upload-bytes",
        type=int,
        default=4 * 1024**3,
        metavar="BYTES",
        help="largest request body accepted, uploads included (4 GiB)",
    )
    run.add_argument(
        "--max-extracted-bytes",
        type=int,
        default=16 * 1024**3,
        metavar="BYTES",
        help="largest unpacked size of an uploaded job archive (16 GiB)",
    )
    run.add_argument(
        "--refresh-ttl",
        type=float,
        default=7 * 24 * 3600.0,
        metavar="SECONDS",
        help="refresh-token lifetime (a week)",
    )
    run.add_argument(
        "--download-id-ttl",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="file download ID lifetime (an hour)",
    )
    run.add_argument(
        "--job-duration",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long a submitted job runs before it completes (2)",
    )
    run.add_argument(
        "--schema",
        choices=_SCHEMAS,
        default="2023",
        help="service generation: 2023 (/bilby/graphql + /auth/graphql, JWTs; the default), "
        "2026 (/graphql, Authorization: <api token>) or 2026-next (2026 with the schema "
        "the service announced: no isLigoEvent, no ligoOnly)",
    )

    user = sub.add_parser(
        "add-user",
        help="create a user and print its API token",
        description="Create a user and print its API token on stdout. An existing user "
        "keeps its token unless --rotate is given.",
    )
    user.add_argument("name", metavar="NAME", help="username")
    user.add_argument(
        "--ligo", action="store_true", help="a LIGO member (sees LIGO-only jobs and events)"
    )
    user.add_argument(
        "--event-admin", action="store_true", help="may create, change and delete event IDs"
    )
    user.add_argument(
        "--gwflow-ingest",
        action="store_true",
        help="the GWFlow ingest user (may upsert GWFlow jobs, upload and link their files)",
    )
    user.add_argument(
        "--rotate",
        action="store_true",
        help="replace an existing user's token (and flags); the old token stops working",
    )
    data_dir(user)

    demo = sub.add_parser(
        "seed-demo",
        help="create demo users, event IDs and jobs",
        description="Create demo users, event IDs and jobs and print them as JSON. Users "
        "that already exist keep their tokens (shown as null).",
    )
    data_dir(demo)

    scale = sub.add_parser(
        "seed-scale",
        help="create many jobs with generated files",
        description="Create many public jobs with generated files (benchmarks, paging).",
    )
    data_dir(scale)
    scale.add_argument("--jobs", type=int, required=True, metavar="N", help="number of jobs")
    scale.add_argument(
        "--files-per-job", type=int, default=3, metavar="F", help="files per job (3)"
    )
    scale.add_argument(
        "--file-size", type=int, default=1024, metavar="BYTES", help="bytes per file (1024)"
    )
    return parser


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP (not 0) lets asyncio set TCP_NODELAY on accepted connections; without it
    # every response on a reused connection waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise _CommandError(
                f"port {port} on {host} is already in use (another gwcloud-server?); "
                "choose another with --port, or --port 0 for a free one"
            ) from None
        raise
    return sock


def usage_lines(base_url: str, schema: str, job_controller_url: str | None = None) -> list[str]:
    """The lines ``run`` prints after the ready line: endpoints and a ``GWCloud(...)`` call.

    Parameters
    ----------
    base_url : str
        ``http://HOST:PORT`` of the main listener.
    schema : str
        ``"2023"``, ``"2026"`` or ``"2026-next"``.
    job_controller_url : str, optional
        ``http://HOST:PORT`` of the job-controller listener, in split mode.

    Returns
    -------
    list of str
        Human-readable lines.
    """
    if schema != "2023":
        endpoints = {"endpoint": f"{base_url}/graphql"}
        lines = [f"  GraphQL endpoint: {endpoints['endpoint']}"]
    else:
        endpoints = {
            "endpoint": f"{base_url}/bilby/graphql",
            "auth_endpoint": f"{base_url}/auth/graphql",
        }
        lines = [
            f"  bilby endpoint:   {endpoints['endpoint']}",
            f"  auth endpoint:    {endpoints['auth_endpoint']}",
        ]
    if job_controller_url is not None:
        endpoints["job_file_download_url"] = f"{job_controller_url}/job/apiv1/file/"
        lines.append(f"  job files from:   {endpoints['job_file_download_url']}")
    arguments = ", ".join(f"{key}={value!r}" for key, value in endpoints.items())
    lines += [
        "  from Python (token: from 'gwcloud-server add-user NAME'):",
        "    from gwcloud_python import GWCloud",
        f"    gw = GWCloud(token, {arguments})",
        "  from the gwcloud command:",
        f"    export GWCLOUD_ENDPOINT={endpoints['endpoint']}",
    ]
    if "auth_endpoint" in endpoints:
        lines.append(f"    export GWCLOUD_AUTH_ENDPOINT={endpoints['auth_endpoint']}")
    return lines


def _url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
    return f"http://{shown}:{port}"


def _reachable(url: str) -> str:
    """A wildcard address (``0.0.0.0``, ``::``) as a client on this machine reaches it."""
    return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")


async def _serve(args: argparse.Namespace) -> None:
    import os
    import secrets

    import uvicorn

    from .app import create_app
    from .state import ServerConfig

    admin_secret: str | None = None
    secret_from_env = False
    if args.admin:
        admin_secret = os.environ.get(ADMIN_SECRET_ENV) or None
        secret_from_env = admin_secret is not None
        if admin_secret is None:
            admin_secret = secrets.token_hex(32)
    config = ServerConfig(
        data_dir=args.data_dir,
        jwt_ttl=args.jwt_ttl,
        refresh_ttl=args.refresh_ttl,
        download_id_ttl=args.download_id_ttl,
        job_duration=args.job_duration,
        schema=args.schema,
        admin_secret=admin_secret,
        max_upload_bytes=args.max_upload_bytes,
        max_extracted_bytes=args.max_extracted_bytes,
    )
    sock = _bind(args.host, args.port)
    sockets = [sock]
    controller: socket.socket | None = None
    if args.job_controller_port is not None:
        controller = _bind(args.host, args.job_controller_port)
        sockets.append(controller)
    app, _state = create_app(
        config,
        job_controller_port=None if controller is None else controller.getsockname()[1],
    )
    logging.getLogger("gwcloud_python.server").info("serving the %s schema", args.schema)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    serving = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started:
        base_url = _url(sock, args.host)
        controller_url = None if controller is None else _url(controller, args.host)
        if controller_url is not None:
            print(f"{JOB_CONTROLLER_LINE}{controller_url}", flush=True)
        print(f"{READY_LINE}{base_url}", flush=True)
        shown_controller = None if controller_url is None else _reachable(controller_url)
        lines = usage_lines(_reachable(base_url), args.schema, shown_controller)
        print("\n".join(lines), flush=True)
        if admin_secret is not None and not secret_from_env:
            print(f"{ADMIN_SECRET_LINE}{admin_secret}", flush=True)
        elif admin_secret is not None:
            print(f"admin routes on; the secret is the value of ${ADMIN_SECRET_ENV}", flush=True)
    await serving


class _QuietInjectedFaults(logging.Filter):
    """Replace uvicorn's traceback for an injected disconnect with one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .faults import InjectedDisconnectError

        if record.exc_info and isinstance(record.exc_info[1], InjectedDisconnectError):
            record.msg, record.args = "fault injected: %s", (record.exc_info[1],)
            record.exc_info = None
            record.exc_text = None
        return True


class _CommandError(Exception):
    """A command that cannot go ahead (one line, exit status 1)."""


def _user_exists(state: ServerState, name: str) -> bool:
    return bool(state.db.query("SELECT 1 FROM users WHERE username = ?", (name,)))


def _run_data_command(args: argparse.Namespace) -> None:
    from .auth import add_user
    from .seed import seed_demo, seed_scale
    from .state import ServerConfig, ServerState

    state = ServerState.open(ServerConfig(data_dir=args.data_dir))
    try:
        if args.command == "add-user":
            if not args.rotate and _user_exists(state, args.name):
                raise _CommandError(
                    f"user {args.name!r} already exists and keeps its token; "
                    "add --rotate to issue a new one (the old one then stops working)"
                )
            print(
                add_user(
                    state,
                    args.name,
                    ligo=args.ligo,
                    event_admin=args.event_admin,
                    gwflow_ingest=args.gwflow_ingest,
                )
            )
        elif args.command == "seed-demo":
            result: dict[str, Any] = seed_demo(state, rotate_tokens=False)
            kept = sorted(name for name, token in result["users"].items() if token is None)
            print(json.dumps(result, indent=2))
            if kept:
                print(
                    f"{PROG}: users {', '.join(kept)} already existed and keep their tokens "
                    "(null above); 'add-user NAME --rotate' issues a new one",
                    file=sys.stderr,
                )
        else:
            print(json.dumps(seed_scale(state, args.jobs, args.files_per_job, args.file_size)))
    finally:
        state.db.close()


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 on errors (also when the ``[server]`` extra is
        missing), 2 on usage errors.
    """
    args = _parser().parse_args(argv)
    if _missing_extra() is not None:
        return _error(EXTRA_MISSING)
    import os

    os.umask(0o077)  # the database, blobs and logs are readable by their owner only
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        if args.command == "run":
            logging.getLogger("uvicorn.error").addFilter(_QuietInjectedFaults())
            asyncio.run(_serve(args))
        else:
            _run_data_command(args)
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] in _EXTRA_MODULES:
            return _error(EXTRA_MISSING)
        raise
    except _CommandError as err:
        return _error(str(err))
    except OSError as err:  # e.g. the port is taken, or the data dir is not writable
        where = f": {err.filename}" if err.filename else ""
        return _error(f"{err.strerror or err}{where}")
    except KeyboardInterrupt:
        return 130
    return 0

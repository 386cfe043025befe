"""Command line of the local server: ``gwcloud-server run|add-user|seed-demo|seed-scale``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from .state import SCHEMA_VERSIONS, ServerConfig, ServerState

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gwcloud-server", description="Local GWCloud-compatible test server."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, required=True, help="database and blob directory")

    run = sub.add_parser("run", help="serve HTTP")
    data_dir(run)
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    run.add_argument("--jwt-ttl", type=float, default=300.0, help="JWT lifetime, seconds")
    run.add_argument("--refresh-ttl", type=float, default=7 * 24 * 3600.0)
    run.add_argument("--download-id-ttl", type=float, default=3600.0)
    run.add_argument("--job-duration", type=float, default=2.0, help="seconds a job runs")
    run.add_argument(
        "--schema",
        choices=SCHEMA_VERSIONS,
        default="2023",
        help="service generation: 2023 (/bilby/graphql + /auth/graphql, JWTs) or 2026 "
        "(/graphql, Authorization: <api token>)",
    )

    user = sub.add_parser("add-user", help="create a user and print its API token")
    user.add_argument("name")
    user.add_argument("--ligo", action="store_true")
    user.add_argument("--event-admin", action="store_true")
    data_dir(user)

    demo = sub.add_parser("seed-demo", help="create demo users, event IDs and jobs")
    data_dir(demo)

    scale = sub.add_parser("seed-scale", help="create many jobs with generated files")
    data_dir(scale)
    scale.add_argument("--jobs", type=int, required=True)
    scale.add_argument("--files-per-job", type=int, default=3)
    scale.add_argument("--file-size", type=int, default=1024)
    return parser


async def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app

    config = ServerConfig(
        data_dir=args.data_dir,
        jwt_ttl=args.jwt_ttl,
        refresh_ttl=args.refresh_ttl,
        download_id_ttl=args.download_id_ttl,
        job_duration=args.job_duration,
        schema=args.schema,
    )
    app, _state = create_app(config)
    logging.getLogger("gwcloud_python.server").info("serving the %s schema", args.schema)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP (not 0) lets asyncio set TCP_NODELAY on accepted connections; without it
    # every response on a reused connection waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started:
        host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
        print(f"gwcloud-server listening on http://{host}:{port}", flush=True)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    if args.command == "run":
        logging.getLogger("uvicorn.error").addFilter(_QuietInjectedFaults())
        asyncio.run(_serve(args))
        return 0
    from .auth import add_user
    from .seed import seed_demo, seed_scale

    state = ServerState.open(ServerConfig(data_dir=args.data_dir))
    try:
        if args.command == "add-user":
            print(add_user(state, args.name, ligo=args.ligo, event_admin=args.event_admin))
        elif args.command == "seed-demo":
            print(json.dumps(seed_demo(state), indent=2))
        else:
            print(json.dumps(seed_scale(state, args.jobs, args.files_per_job, args.file_size)))
    finally:
        state.db.close()
    return 0

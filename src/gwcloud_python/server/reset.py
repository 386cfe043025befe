"""Empty a running server's data without restarting it (``POST /_admin/reset``).

The pytest plugin (:mod:`gwcloud_python.pytest_plugin`) calls this before every test
that uses its fixtures, so one server process serves a whole test session while each
test starts from the state of a freshly started server.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .seed import ensure_labels
from .state import ServerState, remove_tree

__all__ = ["KEPT_SETTINGS", "reset_routes", "reset_state", "store_dirs"]

#: Rows of the ``settings`` table that outlive a reset, as exact keys or ``prefix*``:
#: the job and user number counters (a number is never handed out twice, so a
#: token, JWT or folder from before the reset can not be inherited by new data), the
#: JWT generation (JWTs issued before the reset stay expired) and the token-storage
#: marker (whether stored tokens are already hashed).  Every other row goes.
KEPT_SETTINGS = ("next_id:*", "jwt_generation", "token_storage")


def _quoted(name: str) -> str:
    """Quote an SQLite identifier."""
    return '"' + name.replace('"', '""') + '"'


def _data_tables(conn: Any) -> list[str]:
    """Name every table of the database except SQLite's own (``sqlite_*``)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' "
        "ESCAPE '!' ORDER BY name"
    ).fetchall()
    return [str(row[0]) for row in rows]


def store_dirs(state: ServerState) -> list[Path]:
    """Return the directories of stored files: every ``*_dir`` property of the state.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    list of Path
        ``jobs_dir``, ``supporting_dir``, ``tmp_dir`` and any store added since, each
        directly inside the data directory (anything else is left alone).
    """
    names = sorted(
        name
        for name, value in vars(type(state)).items()
        if isinstance(value, property) and name.endswith("_dir")
    )
    found = [getattr(state, name) for name in names]
    return [d for d in found if isinstance(d, Path) and d.parent == state.config.data_dir]


def reset_state(state: ServerState) -> dict[str, Any]:
    """Delete every user, job, file, event ID and token; keep the process and its secrets.

    Every table of the database is emptied (found by listing the tables, so tables
    added later are emptied too), except the rows of ``settings`` named in
    :data:`KEPT_SETTINGS`; the contents of the directories of stored files
    (:func:`store_dirs`) are deleted; the standard labels are created again, as at start-up;
    the fault rules and the request log are cleared.  The JWT secret, the admin secret
    and the listening sockets stay.

    Parameters
    ----------
    state : ServerState
        The running server's state.

    Returns
    -------
    dict
        ``{"tables": [names emptied], "seconds": time taken}``.
    """
    started = time.perf_counter()
    exact = [key for key in KEPT_SETTINGS if not key.endswith("*")]
    prefixes = [key[:-1] for key in KEPT_SETTINGS if key.endswith("*")]
    with state.db.transaction() as conn:
        tables = _data_tables(conn)
        for table in tables:
            if table != "settings":
                conn.execute(f"DELETE FROM {_quoted(table)}")  # noqa: S608
        if "settings" in tables:
            keys = [str(row[0]) for row in conn.execute("SELECT key FROM settings")]
            doomed = [
                (key,)
                for key in keys
                if key not in exact and not any(key.startswith(p) for p in prefixes)
            ]
            conn.executemany("DELETE FROM settings WHERE key = ?", doomed)
    for directory in store_dirs(state):
        if directory.is_dir():
            for child in list(directory.iterdir()):
                remove_tree(child)
    ensure_labels(state)
    state.faults.clear()
    state.requests.clear()
    return {"tables": tables, "seconds": time.perf_counter() - started}


def reset_routes(state: ServerState) -> list[tuple[str, Any, list[str]]]:
    """Return the reset route as a row of the admin route table.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    list of tuple
        ``[(path, handler, methods)]``, for :func:`~gwcloud_python.server.admin.admin_routes`
        to guard with the admin secret.
    """

    async def reset(_request: Request) -> Response:
        return JSONResponse(reset_state(state))

    return [("/_admin/reset", reset, ["POST"])]

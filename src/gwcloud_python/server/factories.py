"""Admin routes that create test data directly (``/_admin/factory/...``).

A test that needs "a private job of alice's with this corner plot" should not have to
upload a tarball through GraphQL first.  These routes write the rows and files such a
job has, in one call, and answer with the IDs a client then uses.  The pytest plugin
exposes them as ``gwcloud_server.create_bilby_job(...)`` and friends
(:class:`~gwcloud_python.server.LocalServer`).

File contents travel as base64 in the JSON request bodies.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
from pathlib import PurePosixPath
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .archive import make_tree_private
from .auth import add_user
from .db import next_id
from .errors import ServiceError
from .ids import to_global_id
from .jobs import (
    JOB_TYPE_EXTERNAL,
    JOB_TYPE_NORMAL,
    JOB_TYPE_UPLOADED,
    STATUS_NAMES,
    insert_job,
    set_labels,
    validate_job_name,
)
from .results import register_tree
from .state import ServerState, remove_tree

__all__ = [
    "DEFAULT_OWNER",
    "GWFLOW_FACTORY_MISSING",
    "create_bilby_job",
    "create_event_id",
    "factory_routes",
]

#: Username owning factory-made jobs when no owner is named (created on first use).
DEFAULT_OWNER = "factory"
#: Answer of the GWFlow factory while the server has no GWFlow store.
GWFLOW_FACTORY_MISSING = (
    "this server has no GWFlow store (gwcloud_python.server.gwflow.create_gwflow_job "
    "is missing), so GWFlow jobs can not be created"
)
_JOB_TYPES = {
    "normal": JOB_TYPE_NORMAL,
    "uploaded": JOB_TYPE_UPLOADED,
    "external": JOB_TYPE_EXTERNAL,
}
_STATUS_BY_NAME = {name.lower(): code for code, name in STATUS_NAMES.items()}
_EVENT_ID_FORM = "GWYYMMDD_hhmmss"


def _relative_path(path: object) -> str:
    """Check a job file path: relative, POSIX, no ``..``, no empty parts."""
    if not isinstance(path, str) or not path:
        raise ValueError("a file path must be a non-empty string")
    pure = PurePosixPath(path)
    if "\\" in path or pure.is_absolute() or any(part in ("", ".", "..") for part in pure.parts):
        raise ValueError(f"file path {path!r} must be relative, without '.' or '..' parts")
    if pure.as_posix() != path:
        raise ValueError(f"file path {path!r} is not in normal form ({pure.as_posix()!r})")
    return path


def _owner_id(conn: Any, username: str) -> int:
    """Return the id of a user (LookupError when there is none)."""
    row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    if row is not None:
        return int(row[0])
    raise LookupError(username)


def _default_ini(label: str) -> str:
    return (
        f"label = {label}\noutdir = ./\ndetectors = ['H1', 'L1']\nduration = 4\n"
        "trigger-time = 1126259462.391\nsampler = dynesty\nprior-file = 4s\n"
    )


def create_bilby_job(
    state: ServerState,
    name: str,
    files: dict[str, bytes],
    *,
    private: bool = False,
    owner: str = DEFAULT_OWNER,
    description: str = "",
    event_id: str | None = None,
    labels: list[str] | tuple[str, ...] = (),
    ligo: bool = False,
    job_type: str = "normal",
    status: str = "Completed",
    ini: str | None = None,
    result_url: str | None = None,
) -> dict[str, Any]:
    """Create a Bilby job with the given files, as if it had run (or been uploaded).

    Parameters
    ----------
    state : ServerState
        Server state.
    name : str
        Job name (letters, digits, ``_`` and ``-``, as the service requires).
    files : dict of str to bytes
        Content of each file, by path relative to the job's output directory
        (``"result/run_corner.png"``); directories are implied.
    private : bool
        Visible to its owner only.
    owner : str
        Username of the owner, created when missing (``add_user`` first to hold a
        token for it).
    description : str
        Job description.
    event_id : str, optional
        An existing event ID (``"GW150914_095045"``) the job belongs to.
    labels : sequence of str
        Names of existing labels (``"Official"``, ``"Production Run"``, ``"Bad Run"``,
        ``"Review Requested"``, ``"Reviewed"``); an unknown name is an error.
    ligo : bool
        A LIGO-only job.
    job_type : str
        ``"normal"`` (files served at ``/job/apiv1/file/``), ``"uploaded"`` or
        ``"external"`` (no files; ``result_url`` required).
    status : str
        Status name (``"Completed"``, ``"Running"``, ``"Error"``...).
    ini : str, optional
        The job's ini (a small bilby_pipe ini labelled with ``name`` by default).
    result_url : str, optional
        Where an external job's results live.

    Returns
    -------
    dict
        ``{"id": global ID, "owner": username, "files": number of files}``.

    Raises
    ------
    ValueError
        For a bad name, path, label, event ID, job type or status.
    """
    try:
        validate_job_name(name)
    except ServiceError as exc:
        raise ValueError(exc.message) from None
    if job_type not in _JOB_TYPES:
        raise ValueError(f"job_type must be one of {', '.join(_JOB_TYPES)}, not {job_type!r}")
    kind = _JOB_TYPES[job_type]
    if status.lower() not in _STATUS_BY_NAME:
        raise ValueError(f"status must be one of {', '.join(STATUS_NAMES.values())}")
    if kind == JOB_TYPE_EXTERNAL and (files or not result_url):
        raise ValueError("an external job has no files and needs a result_url")
    paths = [_relative_path(path) for path in files]
    if not isinstance(owner, str) or not owner:
        raise ValueError("owner must be a username")
    with state.db.transaction() as conn:
        known = {str(r[0]) for r in conn.execute("SELECT name FROM labels")}
        unknown = sorted(set(labels) - known)
        if unknown:
            raise ValueError(f"unknown labels {unknown}; known: {sorted(known)}")
        event_fk: int | None = None
        if event_id is not None:
            row = conn.execute("SELECT id FROM event_ids WHERE event_id = ?", (event_id,))
            found = row.fetchone()
            if found is None:
                raise ValueError(f"no event ID {event_id!r} (create it first)")
            event_fk = int(found[0])
    if state.db.one("SELECT id FROM users WHERE username = ?", (owner,)) is None:
        add_user(state, owner)
    with state.db.transaction() as conn:
        user_id = _owner_id(conn, owner)
        pk = next_id(conn, "jobs")
        insert_job(
            conn,
            id=pk,
            user_id=user_id,
            name=name,
            description=description,
            ini_string=_default_ini(name) if ini is None else ini,
            job_type=kind,
            status=_STATUS_BY_NAME[status.lower()],
            cluster="ozstar",
            private=int(bool(private)),
            is_ligo_job=int(bool(ligo)),
            event_fk=event_fk,
            label=name,
            result_url=result_url,
            job_controller_id=1000 + pk if kind == JOB_TYPE_NORMAL else None,
        )
        set_labels(conn, pk, list(labels))
        if kind != JOB_TYPE_EXTERNAL:
            root = state.jobs_dir / str(pk)
            try:
                for path in paths:
                    target = root / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(files[path])
                root.mkdir(parents=True, exist_ok=True)
                make_tree_private(root)
                register_tree(conn, pk, root)
            except OSError as exc:  # say, "a" and "a/b" both given as files
                remove_tree(root)
                raise ValueError(f"the files can not be stored: {exc}") from None
            except BaseException:
                remove_tree(root)
                raise
    return {"id": to_global_id("BilbyJobNode", pk), "owner": owner, "files": len(paths)}


def create_event_id(
    state: ServerState,
    event_id: str,
    *,
    trigger_id: str | None = None,
    nickname: str | None = None,
    ligo: bool = False,
    gps_time: float = 1126259462.391,
) -> dict[str, Any]:
    """Create an event ID.

    Parameters
    ----------
    state : ServerState
        Server state.
    event_id : str
        ``GWYYMMDD_hhmmss``.
    trigger_id : str, optional
        ``SYYMMDD`` and one or two letters.
    nickname : str, optional
        Common name (``"GW150914"``).
    ligo : bool
        Visible to LIGO members only.
    gps_time : float
        GPS time of the event.

    Returns
    -------
    dict
        ``{"event_id": event_id, "id": global ID}``.

    Raises
    ------
    ValueError
        For a malformed or existing event ID.
    """
    from .event_ids import EVENT_ID_PATTERN, TRIGGER_ID_PATTERN

    if not isinstance(event_id, str) or not EVENT_ID_PATTERN.match(event_id):
        raise ValueError(f"event ID {event_id!r} is not of the form {_EVENT_ID_FORM}")
    if trigger_id is not None and not TRIGGER_ID_PATTERN.match(trigger_id):
        raise ValueError(f"trigger ID {trigger_id!r} is not of the form SYYMMDD[a-z]")
    with state.db.transaction() as conn:
        exists = conn.execute("SELECT 1 FROM event_ids WHERE event_id = ?", (event_id,))
        if exists.fetchone() is not None:
            raise ValueError(f"event ID {event_id} already exists")
        cursor = conn.execute(
            "INSERT INTO event_ids (event_id, trigger_id, nickname, is_ligo_event, gps_time) "
            "VALUES (?, ?, ?, ?, ?)",
            (event_id, trigger_id, nickname, int(bool(ligo)), float(gps_time)),
        )
        pk = int(cursor.lastrowid or 0)
    return {"event_id": event_id, "id": to_global_id("EventIDType", pk)}


def _decode(data: object, where: str) -> bytes:
    if not isinstance(data, str):
        raise ValueError(f"{where}: file data must be a base64 string")
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        raise ValueError(f"{where}: file data is not valid base64") from None


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def factory_routes(state: ServerState) -> list[tuple[str, Any, list[str]]]:
    """Return the factory routes as rows of the admin route table.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    list of tuple
        ``(path, handler, methods)`` rows for
        :func:`~gwcloud_python.server.admin.admin_routes`, which guards them with the
        admin secret: ``POST /_admin/factory/bilby-job``, ``/event-id`` and
        ``/gwflow-job``.
    """

    async def bilby_job(request: Request) -> Response:
        data = await _body(request)
        files = {
            str(item["path"]): _decode(item.get("data", ""), str(item["path"]))
            for item in data.pop("files", None) or []
        }
        name = str(data.pop("name"))
        try:
            created = create_bilby_job(state, name, files, **data)
        except LookupError as exc:  # the owner vanished between the two transactions
            return _error(f"no user {exc}", 409)
        return JSONResponse(created)

    async def event_id(request: Request) -> Response:
        data = await _body(request)
        return JSONResponse(create_event_id(state, str(data.pop("event_id")), **data))

    async def gwflow_job(request: Request) -> Response:
        data = await _body(request)
        try:  # the GWFlow store, written alongside the GWFlow resolvers
            gwflow = importlib.import_module(f"{__package__}.gwflow")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.gwflow":
                raise
            return _error(GWFLOW_FACTORY_MISSING, 501)
        create = getattr(gwflow, "create_gwflow_job", None)
        if create is None:
            return _error(GWFLOW_FACTORY_MISSING, 501)
        files = [
            {
                **item,
                "data": None  # a file announced but not uploaded yet
                if item.get("data") is None
                else _decode(item["data"], str(item.get("path", ""))),
            }
            for item in data.pop("files", None) or []
        ]
        sname = str(data.pop("sname"))
        return JSONResponse(create(state, sname, files=files, **data))

    return [
        ("/_admin/factory/bilby-job", bilby_job, ["POST"]),
        ("/_admin/factory/event-id", event_id, ["POST"]),
        ("/_admin/factory/gwflow-job", gwflow_job, ["POST"]),
    ]

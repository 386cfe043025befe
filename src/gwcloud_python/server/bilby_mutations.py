"""Resolvers of the Bilby job mutations (except ``uploadBilbyJob``)."""

from __future__ import annotations

import asyncio
import shutil
import time
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from .auth import User
from .context import caller, login, state_of
from .db import hash_token
from .errors import ServiceError
from .ids import new_token, to_global_id
from .ini import parse_ini, parse_value, supporting_file_paths
from .jobs import (
    COMPLETED,
    JOB_TYPE_EXTERNAL,
    JOB_TYPE_NORMAL,
    PENDING,
    get_own_job,
    get_visible_job,
    insert_job,
    set_labels,
    validate_job_name,
    validate_label,
)

__all__ = ["mutation"]

mutation: MutationType = MutationType()
_CLUSTERS = {"ozstar", "cit"}


def _cluster(value: str | None) -> str:
    if value is None or value == "":
        return "ozstar"
    if value not in _CLUSTERS:
        raise ServiceError(f"Unknown cluster {value!r}: choose one of ozstar, cit")
    return value


@mutation.field("newBilbyJob")
def resolve_new_bilby_job(_obj: Any, info: GraphQLResolveInfo, **_kwargs: Any) -> None:
    """Refuse form-based submission (use ``newBilbyJobFromIniString``)."""
    login(info)
    raise ServiceError("newBilbyJob is not supported by the local server; submit an ini string")


@mutation.field("newBilbyJobFromIniString")
def resolve_new_job_from_ini(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Create a normal job from an ini string; list the supporting files it needs."""
    user = login(info)
    params = input.get("params") or {}
    details = params.get("details") or {}
    ini_string = (params.get("ini_string") or {}).get("ini_string") or ""
    name = validate_job_name(details.get("name"))
    cluster = _cluster(details.get("cluster"))
    try:
        values = parse_ini(ini_string)
        paths = supporting_file_paths(values)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    raw_label = values.get("label")
    label = validate_label(parse_value(raw_label)) if raw_label else name
    state = state_of(info)
    tokens = [new_token() for _ in paths]
    with state.db.transaction() as conn:
        pk = insert_job(
            conn,
            user_id=user.id,
            name=name,
            description=details.get("description") or "",
            private=int(bool(details.get("private"))),
            ini_string=ini_string,
            job_type=JOB_TYPE_NORMAL,
            cluster=cluster,
            status=PENDING,
            label=label,
        )
        conn.executemany(
            "INSERT INTO supporting_files (job_id, path, token) VALUES (?, ?, ?)",
            [(pk, path, hash_token(token)) for path, token in zip(paths, tokens, strict=True)],
        )
    return {
        "result": {
            "job_id": to_global_id("BilbyJobNode", pk),
            "supporting_files": [
                {"file_path": path, "token": token}
                for path, token in zip(paths, tokens, strict=True)
            ],
        }
    }


@mutation.field("uploadSupportingFiles")
async def resolve_upload_supporting_files(
    _obj: Any,
    info: GraphQLResolveInfo,
    input: dict[str, Any],
) -> dict[str, Any]:
    """Store supporting files against their one-use tokens."""
    state = state_of(info)
    entries = [entry for entry in input.get("supporting_files") or [] if entry]
    for entry in entries:
        token = entry.get("file_token") or ""
        row = state.db.one("SELECT * FROM supporting_files WHERE token = ?", (hash_token(token),))
        if row is None:
            raise ServiceError("Invalid supporting file token")
        if row["uploaded"]:
            raise ServiceError("Supporting file token has already been used")
    for entry in entries:
        token = entry["file_token"]
        upload = entry["supporting_file"]
        target = state.supporting_dir / hash_token(token)
        partial = state.tmp_dir / f"{hash_token(token)}.part"

        def copy(src: Any = upload.file, dst: Any = partial) -> None:
            src.seek(0)
            with open(dst, "wb") as out:
                shutil.copyfileobj(src, out, 256 * 1024)

        await asyncio.to_thread(copy)
        partial.replace(target)
        state.db.execute(
            "UPDATE supporting_files SET uploaded = 1 WHERE token = ?", (hash_token(token),)
        )
    return {"result": {"result": True}}


def _check_protected_labels(state: Any, user: User, job_id: int, wanted: list[str]) -> None:
    """Refuse adding or removing a protected label (``Official``...) without the role.

    Protected labels mark jobs the service vouches for; only event administrators
    (the local server's staff role) may put them on a job or take them off.
    """
    if user.is_event_admin:
        return
    protected = {
        str(r["name"]) for r in state.db.query("SELECT name FROM labels WHERE protected = 1")
    }
    current = {
        str(r["name"])
        for r in state.db.query(
            "SELECT l.name FROM job_labels jl JOIN labels l ON l.id = jl.label_id "
            "WHERE jl.job_id = ?",
            (job_id,),
        )
    }
    changed = sorted((set(wanted) ^ current) & protected)
    if changed:
        raise ServiceError(
            f"Only event administrators may add or remove the protected label(s) "
            f"{', '.join(repr(name) for name in changed)}"
        )


@mutation.field("updateBilbyJob")
def resolve_update_bilby_job(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Change the given fields of one of the caller's jobs."""
    user = login(info)
    state = state_of(info)
    row = get_own_job(state, user, input["job_id"])
    pk = int(row["id"])
    changes: dict[str, Any] = {}
    if input.get("name") is not None:
        changes["name"] = validate_job_name(input["name"])
    if input.get("description") is not None:
        changes["description"] = input["description"]
    if input.get("private") is not None:
        changes["private"] = int(bool(input["private"]))
    if input.get("event_id") is not None:
        if input["event_id"] == "":
            changes["event_fk"] = None
        else:
            event = state.db.one("SELECT * FROM event_ids WHERE event_id = ?", (input["event_id"],))
            if event is None or (event["is_ligo_event"] and not user.is_ligo):
                raise ServiceError("EventID matching query does not exist.")
            changes["event_fk"] = int(event["id"])
    if input.get("labels") is not None:
        _check_protected_labels(state, user, pk, [name for name in input["labels"] if name])
    changes["last_updated"] = time.time()
    with state.db.transaction() as conn:
        for column, value in changes.items():
            conn.execute(f"UPDATE jobs SET {column} = ? WHERE id = ?", (value, pk))  # noqa: S608
        if input.get("labels") is not None:
            set_labels(conn, pk, [name for name in input["labels"] if name])
    return {"result": "Job saved!", "job_id": to_global_id("BilbyJobNode", pk)}


@mutation.field("generateFileDownloadIds")
def resolve_generate_file_download_ids(
    _obj: Any,
    info: GraphQLResolveInfo,
    input: dict[str, Any],
) -> dict[str, Any]:
    """Exchange download tokens of a job's files for short-lived file IDs."""
    state = state_of(info)
    row = get_visible_job(state, caller(info), input["job_id"])
    if int(row["job_type"]) == JOB_TYPE_EXTERNAL:
        raise ServiceError("Files of an external job can not be downloaded from GWCloud")
    tokens = list(input.get("download_tokens") or [])
    expires = time.time() + state.config.download_id_ttl
    ids: list[str] = []
    with state.db.transaction() as conn:
        for token in tokens:
            found = conn.execute(
                "SELECT id FROM files WHERE token = ? AND job_id = ? AND is_dir = 0",
                (token, row["id"]),
            ).fetchone()
            if found is None:
                raise ServiceError("At least one download token was invalid for this job")
            file_uuid = new_token()
            conn.execute(
                "INSERT INTO download_ids (id, file_id, expires_at) VALUES (?, ?, ?)",
                (file_uuid, found["id"], expires),
            )
            ids.append(file_uuid)
    return {"result": ids}


@mutation.field("uploadExternalBilbyJob")
def resolve_upload_external(
    _obj: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    """Record a job whose results live elsewhere."""
    user = login(info)
    details = input.get("details") or {}
    name = validate_job_name(details.get("name"))
    url = str(input.get("result_url") or "")
    if not url.startswith(("http://", "https://")):
        raise ServiceError("resultUrl must be an http(s) URL")
    state = state_of(info)
    with state.db.transaction() as conn:
        pk = insert_job(
            conn,
            user_id=user.id,
            name=name,
            description=details.get("description") or "",
            private=int(bool(details.get("private"))),
            ini_string=input.get("ini_file") or "",
            job_type=JOB_TYPE_EXTERNAL,
            status=COMPLETED,
            result_url=url,
            label=name,
        )
    return {"result": {"job_id": to_global_id("BilbyJobNode", pk), "supporting_files": []}}

"""Admin routes used by tests (``/_admin/...``): off unless a secret is configured.

The routes exist only when the server runs with ``--admin`` (``ServerConfig.admin_secret``
set), answer loopback clients only, and refuse every request whose ``X-Admin-Secret``
header does not equal the secret.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import add_user, expire_jwts, expire_refresh_tokens
from .content import generated_bytes
from .factories import factory_routes
from .faults import FAULT_KINDS
from .ids import from_global_id
from .reset import reset_routes
from .seed import seed_demo, seed_scale
from .state import ServerState

__all__ = ["ADMIN_SECRET_HEADER", "admin_routes"]

#: Header carrying the admin secret.
ADMIN_SECRET_HEADER = "X-Admin-Secret"  # noqa: S105

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def admin_routes(state: ServerState) -> list[Route]:
    """Return the admin routes bound to a state.

    Parameters
    ----------
    state : ServerState
        Server state.

    Returns
    -------
    list of Route
        Routes under ``/_admin``; none when the state has no admin secret.  Every one
        refuses non-loopback clients with 403 and a missing or wrong secret with 401.
    """
    secret = state.config.admin_secret
    if secret is None:
        return []
    expected = secret.encode()

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            host = request.client.host if request.client else ""
            if host not in _LOOPBACK:
                return _error("admin routes are loopback-only", 403)
            given = request.headers.get(ADMIN_SECRET_HEADER, "").encode("utf-8", "replace")
            if not secrets.compare_digest(given, expected):
                return _error(f"admin routes need the {ADMIN_SECRET_HEADER} header", 401)
            try:
                result: Response = await handler(request)
            except (ValueError, KeyError, TypeError) as exc:
                return _error(f"bad request: {exc}")
            return result

        return endpoint

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
            return JSONResponse({"faults": []})
        if request.method == "GET":
            return JSONResponse({"faults": state.faults})
        rule = await _json(request)
        if rule.get("kind") not in FAULT_KINDS:
            return _error(f"kind must be one of {', '.join(FAULT_KINDS)}")
        rule["remaining"] = int(rule.get("times", 1))
        state.faults.append(rule)
        return JSONResponse({"faults": state.faults})

    async def expire_all_jwts(_request: Request) -> Response:
        expire_jwts(state)
        return JSONResponse({"ok": True})

    async def expire_all_refresh(_request: Request) -> Response:
        expire_refresh_tokens(state)
        return JSONResponse({"ok": True})

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            state.requests.clear()
        return JSONResponse(list(state.requests))

    async def users(request: Request) -> Response:
        data = await _json(request)
        token = add_user(
            state,
            str(data["name"]),
            ligo=bool(data.get("ligo")),
            event_admin=bool(data.get("event_admin")),
            gwflow_ingest=bool(data.get("gwflow_ingest")),
        )
        return JSONResponse({"token": token})

    async def demo(_request: Request) -> Response:
        return JSONResponse(seed_demo(state))

    async def scale(request: Request) -> Response:
        data = await _json(request)
        return JSONResponse(
            seed_scale(state, int(data["jobs"]), int(data["files_per_job"]), int(data["file_size"]))
        )

    async def file(request: Request) -> Response:
        pk = from_global_id(request.query_params.get("job", ""), "BilbyJobNode")
        path = request.query_params.get("path", "")
        row = state.db.one(
            "SELECT * FROM files WHERE job_id = ? AND path = ? AND is_dir = 0", (pk, path)
        )
        if row is None:
            return _error("no such file", 404)
        if request.method == "PUT":
            if row["generated"]:
                return _error("a generated file has no stored content to replace")
            # The path is a registered row's (checked when it was stored), under the job's dir.
            target = state.jobs_dir / str(pk) / path
            staging = target.with_name(f".{target.name}.admin-replace")
            staging.write_bytes(await request.body())
            os.replace(staging, target)
            return JSONResponse({"size": target.stat().st_size})
        if row["generated"]:
            data = generated_bytes(int(row["id"]), int(row["size"]))
        else:
            data = (state.jobs_dir / str(pk) / path).read_bytes()
        return Response(data, media_type="application/octet-stream")

    table: list[tuple[str, Any, list[str]]] = [
        ("/_admin/faults", faults, ["GET", "POST", "DELETE"]),
        ("/_admin/expire-jwts", expire_all_jwts, ["POST"]),
        ("/_admin/expire-refresh-tokens", expire_all_refresh, ["POST"]),
        ("/_admin/requests", requests, ["GET", "DELETE"]),
        ("/_admin/users", users, ["POST"]),
        ("/_admin/seed-demo", demo, ["POST"]),
        ("/_admin/seed-scale", scale, ["POST"]),
        ("/_admin/file", file, ["GET", "PUT"]),
        *reset_routes(state),
        *factory_routes(state),
    ]
    return [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]

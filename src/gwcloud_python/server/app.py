"""The ASGI application: GraphQL endpoints, downloads, admin routes, middleware."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLHTTPHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .admin import admin_routes
from .context import api_token_context_factory, context_factory
from .downloads import download_endpoint
from .errors import ServiceError
from .faults import FaultMiddleware
from .jobs import JOB_TYPE_NORMAL, JOB_TYPE_UPLOADED
from .request_log import RequestLogMiddleware
from .runner import run_jobs_forever
from .schemas import build_auth_schema, build_bilby_2026_schema, build_bilby_schema
from .seed import ensure_labels
from .state import ServerConfig, ServerState

__all__ = ["create_app"]


class _GrapheneLikeHandler(GraphQLHTTPHandler):
    """Answer HTTP 200 whenever the query was executed, like graphene."""

    async def create_json_response(
        self, request: Request, result: dict[str, Any], success: bool
    ) -> Response:
        status = 200 if success or "data" in result else 400
        return JSONResponse(result, status_code=status)


def _format_error(error: Any, debug: bool = False) -> dict[str, Any]:
    formatted: dict[str, Any] = error.formatted
    original = getattr(error, "original_error", None)
    if original is not None and not isinstance(original, ServiceError | ValueError):
        formatted["message"] = f"Internal server error: {type(original).__name__}"
    return formatted


def _graphql(schema: Any, state: ServerState, context: Any = None) -> GraphQL:
    return GraphQL(
        schema,
        context_value=context_factory(state) if context is None else context,
        http_handler=_GrapheneLikeHandler(),
        error_formatter=_format_error,
    )


_METHODS = ["GET", "POST", "OPTIONS"]


def _routes_2023(state: ServerState) -> list[Route]:
    """Bilby and auth endpoints on their own paths; JWT authentication."""
    bilby = _graphql(build_bilby_schema(), state)
    auth = _graphql(build_auth_schema(), state)
    return [
        Route("/bilby/graphql", bilby, methods=_METHODS),
        Route("/bilby/graphql/", bilby, methods=_METHODS),
        Route("/auth/graphql", auth, methods=_METHODS),
        Route("/auth/graphql/", auth, methods=_METHODS),
        Route("/bilby/file_download/", download_endpoint(state, JOB_TYPE_UPLOADED)),
        Route("/job/apiv1/file/", download_endpoint(state, JOB_TYPE_NORMAL)),
    ]


def _routes_2026(state: ServerState) -> list[Route]:
    """One ``/graphql`` endpoint; ``Authorization: <api token>`` authentication.

    The real service serves normal-job files from the job controller's host; the local
    server answers ``/job/apiv1/file/`` on its own port.
    """
    bilby = _graphql(build_bilby_2026_schema(), state, api_token_context_factory(state))
    return [
        Route("/graphql", bilby, methods=_METHODS),
        Route("/graphql/", bilby, methods=_METHODS),
        Route("/file_download/", download_endpoint(state, JOB_TYPE_UPLOADED)),
        Route("/job/apiv1/file/", download_endpoint(state, JOB_TYPE_NORMAL)),
    ]


def create_app(config: ServerConfig, *, run_jobs: bool = True) -> tuple[ASGIApp, ServerState]:
    """Build the whole application.

    Parameters
    ----------
    config : ServerConfig
        Settings; ``config.schema`` selects the 2023 or the 2026 routes.
    run_jobs : bool
        Start the built-in job runner with the application.

    Returns
    -------
    tuple of (ASGI app, ServerState)
        The application (with logging and fault middleware) and its state.
    """
    state = ServerState.open(config)
    ensure_labels(state)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(run_jobs_forever(state)) if run_jobs else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            state.db.close()

    routes = _routes_2026(state) if config.schema == "2026" else _routes_2023(state)
    app = Starlette(routes=[*routes, *admin_routes(state)], lifespan=lifespan)
    return RequestLogMiddleware(FaultMiddleware(app, state), state), state

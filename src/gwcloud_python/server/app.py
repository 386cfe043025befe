"""The ASGI application: GraphQL endpoints, downloads, admin routes, middleware."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLHTTPHandler
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .admin import admin_routes
from .context import RequestContext, api_token_context_factory, context_factory
from .downloads import download_endpoint
from .errors import ServiceError
from .faults import FaultMiddleware
from .jobs import JOB_TYPE_NORMAL, JOB_TYPE_UPLOADED
from .limits import BodyGuardMiddleware, make_query_parser
from .recovery import clean_leftovers
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
    # A GraphQLError inside is graphql-core's own (a variable of the wrong shape, such as
    # an input field the schema lacks): graphene shows its message too.
    if original is not None and not isinstance(original, ServiceError | ValueError | GraphQLError):
        formatted["message"] = f"Internal server error: {type(original).__name__}"
    return formatted


def _bad_jwt_fails_every_field(resolver: Any, obj: Any, info: Any, **kwargs: Any) -> Any:
    """GraphQL middleware: a bad or expired JWT fails every root field.

    The real (graphene + django-graphql-jwt) service authenticates the JWT of a
    request after reading its whole body, and an invalid one fails every field,
    also those that need no login.  Requests without ``Authorization`` are anonymous.
    """
    if info.path.prev is None:
        ctx = info.context
        if isinstance(ctx, RequestContext) and ctx.auth_error is not None:
            raise ServiceError(ctx.auth_error)
    return resolver(obj, info, **kwargs)


def _graphql(
    schema: Any, state: ServerState, context: Any = None, *, strict_jwt: bool = False
) -> GraphQL:
    handler = (
        _GrapheneLikeHandler(middleware=[_bad_jwt_fails_every_field])
        if strict_jwt
        else _GrapheneLikeHandler()
    )
    return GraphQL(
        schema,
        context_value=context_factory(state) if context is None else context,
        http_handler=handler,
        error_formatter=_format_error,
        query_parser=make_query_parser(state.config),
    )


_METHODS = ["GET", "POST", "OPTIONS"]


def _routes_2023(state: ServerState) -> list[Route]:
    """Bilby and auth endpoints on their own paths; JWT authentication."""
    bilby = _graphql(build_bilby_schema(), state, strict_jwt=True)
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
    schema = build_bilby_2026_schema(state.config.schema)  # "2026" or "2026-next"
    bilby = _graphql(schema, state, api_token_context_factory(state))
    return [
        Route("/graphql", bilby, methods=_METHODS),
        Route("/graphql/", bilby, methods=_METHODS),
        Route("/file_download/", download_endpoint(state, JOB_TYPE_UPLOADED)),
        Route("/job/apiv1/file/", download_endpoint(state, JOB_TYPE_NORMAL)),
    ]


JOB_FILE_PATH = "/job/apiv1/file/"


class _SplitHosts:
    """Send requests that arrived on the job-controller port to the job-controller app.

    The public service serves normal-job files from a separate host (its job
    controller); a second listening socket of the same server imitates that host.
    ``scope["server"]`` is the local address of each connection.
    """

    def __init__(self, main: ASGIApp, controller: ASGIApp, port: int) -> None:
        self.main = main
        self.controller = controller
        self.port = port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or (None, None)
        if scope["type"] == "http" and server[1] == self.port:
            await self.controller(scope, receive, send)
        else:
            await self.main(scope, receive, send)


async def _served_elsewhere(_request: Request) -> Response:
    return PlainTextResponse(
        "normal-job files are served by the job controller's listener", status_code=404
    )


def create_app(
    config: ServerConfig, *, run_jobs: bool = True, job_controller_port: int | None = None
) -> tuple[ASGIApp, ServerState]:
    """Build the whole application.

    Parameters
    ----------
    config : ServerConfig
        Settings; ``config.schema`` selects the 2023 or the 2026 routes (and, for
        ``"2026-next"``, the announced 2026 schema).
    run_jobs : bool
        Start the built-in job runner with the application.
    job_controller_port : int, optional
        Split-host mode: normal-job files (``/job/apiv1/file/``) are served only to
        connections on this local port, and that port serves nothing else, as the
        public service's job controller does.  None (default): one host serves all.

    Returns
    -------
    tuple of (ASGI app, ServerState)
        The application (with logging and fault middleware) and its state.
    """
    state = ServerState.open(config)
    ensure_labels(state)
    clean_leftovers(state)

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

    routes = _routes_2023(state) if config.schema == "2023" else _routes_2026(state)
    controller_routes = [route for route in routes if route.path == JOB_FILE_PATH]
    if job_controller_port is not None:
        routes = [route for route in routes if route.path != JOB_FILE_PATH]
        routes.append(Route(JOB_FILE_PATH, _served_elsewhere))
    app: ASGIApp = Starlette(routes=[*routes, *admin_routes(state)], lifespan=lifespan)
    if job_controller_port is not None:
        app = _SplitHosts(app, Starlette(routes=controller_routes), job_controller_port)
    return RequestLogMiddleware(
        FaultMiddleware(BodyGuardMiddleware(app, state), state), state
    ), state

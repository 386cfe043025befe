"""Deployment profiles: which wire protocol and download URLs a client uses.

GWCloud has run in two shapes:

``"2023"`` (what gwcloud-python 1.x talks to)
    A Bilby endpoint ``<base>/bilby/graphql`` and a separate auth endpoint
    ``<base>/auth/graphql`` that trades the API token for a JWT, sent as
    ``Authorization: JWT <jwt>``.  Files download from
    ``<base>/bilby/file_download/`` (uploaded jobs) and
    ``<base>/job/apiv1/file/`` (normal jobs).
``"2026"`` (the service today)
    One endpoint ``<base>/graphql``; the API token is sent as is,
    ``Authorization: <token>``, and checked with ``sessionUser``.  Uploaded-job
    files download from ``<base>/file_download/``; normal-job files from the
    job controller (``https://jobcontroller.adacs.org.au/job/apiv1/file/`` for
    the public service, ``<base>/job/apiv1/file/`` elsewhere).

When ``service`` is not given, a client picks ``"2026"`` if the endpoint's
path is exactly ``/graphql`` and no auth endpoint was given, else ``"2023"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ._errors import ValidationError

__all__ = ["SERVICES", "Service", "ServiceProfile", "resolve_profile"]

Service = Literal["2023", "2026"]
SERVICES: tuple[Service, ...] = ("2023", "2026")

#: Hosts whose normal-job files are served by a separate job controller (2026 profile).
JOB_CONTROLLERS = {"gwcloud.org.au": "https://jobcontroller.adacs.org.au"}


@dataclass(frozen=True)
class ServiceProfile:
    """The resolved protocol choice of one client.

    Attributes
    ----------
    service : {"2023", "2026"}
        Which deployment shape the client talks to.
    endpoint : str
        GraphQL endpoint of the Bilby service.
    auth_endpoint : str or None
        GraphQL endpoint of the auth service (2023 only).
    file_download_url : str
        Download URL of uploaded-job files (``?fileId=`` is appended).
    job_file_download_url : str
        Download URL of normal-job files.
    """

    service: Service
    endpoint: str
    auth_endpoint: str | None
    file_download_url: str
    job_file_download_url: str


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _check_url(name: str, url: object) -> str:
    if not isinstance(url, str):
        raise ValidationError(f"{name} must be an http(s) URL, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"{name} must be an http(s) URL, got {url!r}")
    return url


def detect_service(endpoint: str, auth_endpoint_given: bool) -> Service:
    """Guess the deployment from the endpoint's shape (see the module docstring)."""
    path = urlsplit(endpoint).path.rstrip("/")
    return "2026" if path == "/graphql" and not auth_endpoint_given else "2023"


def resolve_profile(
    *,
    endpoint: str,
    auth_endpoint: str,
    auth_endpoint_given: bool,
    service: str | None,
    file_download_url: str | None = None,
    job_file_download_url: str | None = None,
) -> ServiceProfile:
    """Work out the protocol and download URLs from a client's arguments.

    Parameters
    ----------
    endpoint, auth_endpoint : str
        The constructor's endpoints.
    auth_endpoint_given : bool
        Whether the caller chose the auth endpoint (rather than the default).
    service : {"2023", "2026"} or None
        An explicit choice; None detects it.
    file_download_url, job_file_download_url : str, optional
        Overrides of the derived download URLs.

    Raises
    ------
    ValidationError
        An unknown ``service`` or a malformed URL.
    """
    _check_url("endpoint", endpoint)
    if service is None:
        chosen = detect_service(endpoint, auth_endpoint_given)
    elif service in SERVICES:
        chosen = "2026" if service == "2026" else "2023"
    else:
        raise ValidationError(f"service must be one of {SERVICES!r} or None, got {service!r}")
    origin = _origin(endpoint)
    if chosen == "2023":
        _check_url("auth_endpoint", auth_endpoint)
        base = endpoint.rstrip("/")
        base = base[: -len("/bilby/graphql")] if base.endswith("/bilby/graphql") else origin
        uploaded = f"{base}/bilby/file_download/"
        normal = f"{base}/job/apiv1/file/"
        auth: str | None = auth_endpoint
    else:
        uploaded = f"{origin}/file_download/"
        controller = JOB_CONTROLLERS.get(urlsplit(endpoint).hostname or "", origin)
        normal = f"{controller}/job/apiv1/file/"
        auth = None
    return ServiceProfile(
        service=chosen,
        endpoint=endpoint,
        auth_endpoint=auth,
        file_download_url=_check_url("file_download_url", file_download_url or uploaded),
        job_file_download_url=_check_url("job_file_download_url", job_file_download_url or normal),
    )

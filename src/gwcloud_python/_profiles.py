"""Deployment profiles: which wire protocol, auth endpoint and download URLs a client uses.

GWCloud has run in two shapes:

``"2023"`` (what gwcloud-python 1.x talks to)
    A Bilby endpoint ``<base>/bilby/graphql`` and a separate auth endpoint
    ``<base>/auth/graphql`` that trades the API token for a JWT, sent as
    ``Authorization: JWT <jwt>``.  Uploaded-job files download from
    ``<base>/bilby/file_download/``; normal-job files from the job controller.
``"2026"`` (the service today)
    One endpoint ``<base>/graphql``; the API token is sent as is,
    ``Authorization: <token>``, and checked with ``sessionUser``.  Uploaded-job
    files download from ``<base>/file_download/``; normal-job files from the job
    controller.

The job controller of a service is looked up by the endpoint's origin in
:data:`JOB_CONTROLLERS` (the public service: ``https://jobcontroller.adacs.org.au``);
any other service serves normal-job files itself, under ``<base>/job/apiv1/file/``.

Tokens go only where the user pointed: on the 2023 profile an endpoint given
without an auth endpoint gets ``<base>/auth/graphql`` on its own host, never the
public service's.

When ``service`` is not given, a client picks ``"2026"`` if the endpoint's
path is exactly ``/graphql`` and no auth endpoint was given, else ``"2023"``.

gwcloud-python 1.x read its download URL prefixes from module constants at
download time (``gwcloud_python.settings`` and
``gwcloud_python.utils.file_download``); :func:`download_url` still honours a
script that reassigns them, unless the client was given explicit download URLs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

import httpx

from ._errors import ValidationError

__all__ = [
    "JOB_CONTROLLERS",
    "LEGACY_DOWNLOAD_PREFIXES",
    "SERVICES",
    "Service",
    "ServiceProfile",
    "download_url",
    "effective_download_base",
    "legacy_download_prefix",
    "resolve_profile",
]

Service = Literal["2023", "2026"]
SERVICES: tuple[Service, ...] = ("2023", "2026")

#: Origins (``scheme://host[:port]``) of services whose normal-job files are served by a
#: separate job controller, mapped to the controller's origin.  Used by both profiles;
#: tests may add an entry to exercise the split-host path.
JOB_CONTROLLERS: dict[str, str] = {"https://gwcloud.org.au": "https://jobcontroller.adacs.org.au"}

#: gwcloud-python 1.x's download URL prefixes (a file ID is appended), by setting name.
LEGACY_DOWNLOAD_PREFIXES: dict[str, str] = {
    "GWCLOUD_FILE_DOWNLOAD_ENDPOINT": "https://jobcontroller.adacs.org.au/job/apiv1/file/?fileId=",
    "GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT": (
        "https://gwcloud.org.au/bilby/file_download/?fileId="
    ),
}
#: Modules whose copies of those settings a 1.x script may have reassigned, checked in order.
_SETTINGS_MODULES = ("gwcloud_python.utils.file_download", "gwcloud_python.settings")


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
    download_urls_given : bool
        Whether the caller chose either download URL; then the 1.x settings
        constants are not consulted.
    """

    service: Service
    endpoint: str
    auth_endpoint: str | None
    file_download_url: str
    job_file_download_url: str
    download_urls_given: bool = False


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
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


def _base(endpoint: str, suffix: str) -> str:
    """The service's base URL: ``endpoint`` without ``suffix``, else its origin."""
    trimmed = endpoint.rstrip("/")
    return trimmed[: -len(suffix)] if trimmed.endswith(suffix) else origin_of(endpoint)


def _normal_job_files(origin: str, base: str) -> str:
    controller = JOB_CONTROLLERS.get(origin)
    return f"{controller.rstrip('/')}/job/apiv1/file/" if controller else f"{base}/job/apiv1/file/"


def resolve_profile(
    *,
    endpoint: str,
    auth_endpoint: str | None,
    auth_endpoint_given: bool,
    service: str | None,
    file_download_url: str | None = None,
    job_file_download_url: str | None = None,
) -> ServiceProfile:
    """Work out the protocol, auth endpoint and download URLs from a client's arguments.

    Parameters
    ----------
    endpoint : str
        The Bilby GraphQL endpoint.
    auth_endpoint : str or None
        The auth endpoint the caller chose; ignored unless ``auth_endpoint_given``.
    auth_endpoint_given : bool
        Whether the caller chose the auth endpoint.  When not, the 2023 profile
        uses ``<base>/auth/graphql`` on the endpoint's own host.
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
    origin = origin_of(endpoint)
    auth: str | None = None
    if chosen == "2023":
        base = _base(endpoint, "/bilby/graphql")
        if auth_endpoint_given:
            auth = _check_url("auth_endpoint", auth_endpoint)
        else:
            auth = f"{base}/auth/graphql"
        uploaded = f"{base}/bilby/file_download/"
    else:
        base = origin
        uploaded = f"{base}/file_download/"
    normal = _normal_job_files(origin, base)
    return ServiceProfile(
        service=chosen,
        endpoint=endpoint,
        auth_endpoint=auth,
        file_download_url=_check_url("file_download_url", file_download_url or uploaded),
        job_file_download_url=_check_url("job_file_download_url", job_file_download_url or normal),
        download_urls_given=bool(file_download_url or job_file_download_url),
    )


def _setting_name(uploaded: bool) -> str:
    return (
        "GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT"
        if uploaded
        else "GWCLOUD_FILE_DOWNLOAD_ENDPOINT"
    )


def _reassigned_prefix(uploaded: bool) -> str | None:
    """The 1.x download prefix a script reassigned (None when nobody changed it)."""
    name = _setting_name(uploaded)
    default = LEGACY_DOWNLOAD_PREFIXES[name]
    for module_name in _SETTINGS_MODULES:
        value = getattr(sys.modules.get(module_name), name, None)
        if isinstance(value, str) and value and value != default:
            return value
    return None


def legacy_download_prefix(*, uploaded: bool) -> str:
    """The 1.x download URL prefix (ending ``?fileId=``) as configured right now.

    Parameters
    ----------
    uploaded : bool
        True for uploaded jobs' files, False for normal jobs' files.
    """
    return _reassigned_prefix(uploaded) or LEGACY_DOWNLOAD_PREFIXES[_setting_name(uploaded)]


def effective_download_base(profile: ServiceProfile, *, uploaded: bool) -> str:
    """The download URL a client uses right now for one kind of job file.

    The profile's URL, unless the caller gave none and a script reassigned the
    1.x settings constant; then that prefix, without its ``?fileId=``.
    """
    prefix = None if profile.download_urls_given else _reassigned_prefix(uploaded)
    if prefix is not None:
        return prefix.removesuffix("?fileId=")
    return profile.file_download_url if uploaded else profile.job_file_download_url


def download_url(profile: ServiceProfile, *, uploaded: bool, file_id: str) -> str:
    """The URL that downloads file ``file_id``, reading the 1.x settings now (see module doc).

    Parameters
    ----------
    profile : ServiceProfile
        The client's profile.
    uploaded : bool
        Whether the file belongs to an uploaded job (else a normal one).
    file_id : str
        The download ID the server issued.
    """
    prefix = None if profile.download_urls_given else _reassigned_prefix(uploaded)
    if prefix is not None:
        return prefix + quote(file_id, safe="")
    base = profile.file_download_url if uploaded else profile.job_file_download_url
    return str(httpx.URL(base, params={"fileId": file_id}))

"""The endpoint constants of gwcloud-python 1.x, kept for scripts that import or set them.

A script may assign new values here (or, as some 1.x scripts did, to the same
names in :mod:`gwcloud_python.utils.file_download`); clients read the two
download constants when they download, so an assignment made at any time is
honoured by every client that was not given ``file_download_url=`` or
``job_file_download_url=`` explicitly.  The two GraphQL endpoints are only
defaults: pass ``endpoint=`` / ``auth_endpoint=`` to choose a service.

Attributes
----------
GWCLOUD_ENDPOINT : str
    The Bilby GraphQL endpoint of the public 2023 service.
GWCLOUD_AUTH_ENDPOINT : str
    Its auth GraphQL endpoint.
GWCLOUD_FILE_DOWNLOAD_ENDPOINT : str
    Download URL prefix of normal jobs' files (a file ID is appended).
GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT : str
    Download URL prefix of uploaded jobs' files (a file ID is appended).
GWDC_FILE_DOWNLOAD_ENDPOINT : str
    The same value as ``GWCLOUD_FILE_DOWNLOAD_ENDPOINT`` (1.x re-exported it).
"""

from __future__ import annotations

from ._constants import DEFAULT_AUTH_ENDPOINT, DEFAULT_ENDPOINT
from ._profiles import LEGACY_DOWNLOAD_PREFIXES

__all__ = [
    "GWCLOUD_AUTH_ENDPOINT",
    "GWCLOUD_ENDPOINT",
    "GWCLOUD_FILE_DOWNLOAD_ENDPOINT",
    "GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT",
    "GWDC_FILE_DOWNLOAD_ENDPOINT",
]

GWCLOUD_ENDPOINT = DEFAULT_ENDPOINT
GWCLOUD_AUTH_ENDPOINT = DEFAULT_AUTH_ENDPOINT
GWCLOUD_FILE_DOWNLOAD_ENDPOINT = LEGACY_DOWNLOAD_PREFIXES["GWCLOUD_FILE_DOWNLOAD_ENDPOINT"]
GWDC_FILE_DOWNLOAD_ENDPOINT = GWCLOUD_FILE_DOWNLOAD_ENDPOINT
GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT = LEGACY_DOWNLOAD_PREFIXES[
    "GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT"
]

# Generated from src/gwcloud_python/_async/client.py by tools/unasync.py: do not edit.
"""The :class:`GWCloud` client, the source of :class:`GWCloud` (see ``tools/unasync.py``).

The methods live in one part per concern (``jobs``, ``downloads``,
``uploads``, ``event_ids``, ``gwflow``); this module puts them together with the
constructor.
"""

from __future__ import annotations

import httpx

from .. import _constants as C
from .._extras import ClientExtras
from .._files import ProgressCallback
from .._generated.bilby import BilbyClient
from .._graphql import guarded
from .._seams import transports
from .downloads import Downloads
from .event_ids import EventIDs
from .graphql import Channel
from .gwflow_bulk import GWFlowBulk
from .uploads import Uploads

__all__ = ["GWCloud"]


class GWCloud(ClientExtras, GWFlowBulk, EventIDs, Uploads, Downloads):
    """Client for GWCloud, the service that runs, stores and shares Bilby jobs.

    Use it as a context manager (``with GWCloud() as gw``) or call
    :meth:`close` when done.  The jobs it returns are :class:`BilbyJob`
    objects, whose requests go through this client.

    Parameters
    ----------
    token : str, optional
        API token of a GWCloud user.  Empty (the default) gives an anonymous,
        read-only client, as in 1.x even when ``$GWCLOUD_TOKEN`` is set (the
        ``gwcloud`` command line reads that variable; a script passes it on).
    auth_endpoint : str, optional
        GraphQL endpoint of the auth service that trades the token for a JWT
        (``$GWCLOUD_AUTH_ENDPOINT`` overrides the default).  When neither is
        given, the 2023 profile uses ``<base>/auth/graphql`` on the endpoint's
        own host, so the token never goes to a host you did not name.
    endpoint : str, optional
        GraphQL endpoint of the Bilby service (``$GWCLOUD_ENDPOINT`` overrides
        the default).  File download URLs are derived from it.
    service : {"2023", "2026"} or None, optional
        Which GWCloud deployment to speak to.  ``"2023"``: separate auth
        endpoint and JWTs (gwcloud-python 1.x).  ``"2026"``: one ``/graphql``
        endpoint and API session tokens.  None (default) picks ``"2026"`` when
        ``endpoint``'s path is ``/graphql`` and no auth endpoint is given.
    timeout : float or httpx.Timeout, optional
        Request timeout; long write and read timeouts suit large transfers.
    max_retries : int, optional
        Retries of queries and downloads on connection errors, 429 and 5xx.
        Mutations are never retried.
    download_concurrency : int or None, optional
        Files downloaded at once.  None (default) chooses from the number of
        files and the link's latency: up to 8 on a fast link, up to 32 (the
        connection pool's size) to a distant server.  An integer fixes it
        (at most 32 are used).
    progress : bool or None, optional
        Show progress bars on transfers: None (default) when stderr is a terminal.
    progress_callback : callable, optional
        Called as ``callback(bytes_done, bytes_total)`` during transfers.
    http_client : httpx.Client, optional
        A client to use for GraphQL requests instead of the built-in pooled one.
    allow_insecure_http : bool, optional
        Allow sending a token over plain ``http://`` to a non-loopback host
        (a warning is logged).  Refused by default.
    file_download_url, job_file_download_url : str, optional
        Override the derived download URLs of uploaded-job files and of
        normal-job files.
    call_timeout : float or None, optional
        Seconds one GraphQL call may take in all, retries included (default
        600), on top of the per-phase ``timeout``; an answer trickled in
        slowly fails with :class:`TransportError` once it is reached.  For a
        call that uploads files the clock starts when the upload is sent.
        None: no overall deadline.
    max_response_size : int, optional
        Largest GraphQL answer accepted, in bytes after decompression
        (default 64 MiB); a larger one fails with :class:`TransportError`
        without being held in memory.

    Raises
    ------
    GWCloudAuthenticationError
        The token was refused (by the sync client when it is made; by the async
        one at ``async with`` or its first request).
    ValidationError
        An argument is invalid.

    Examples
    --------
    >>> with GWCloud() as gw:                              # doctest: +SKIP
    ...     for job in gw.get_official_job_list("GW150914"):
    ...         print(job.name, job.status)
    """

    def __init__(
        self,
        token: str = "",
        auth_endpoint: str = C.DEFAULT_AUTH_ENDPOINT,
        endpoint: str = C.DEFAULT_ENDPOINT,
        *,
        service: str | None = None,
        timeout: float | httpx.Timeout = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        download_concurrency: int | None = C.DEFAULT_DOWNLOAD_CONCURRENCY,
        progress: bool | None = None,
        progress_callback: ProgressCallback | None = None,
        http_client: httpx.Client | None = None,
        allow_insecure_http: bool = False,
        file_download_url: str | None = None,
        job_file_download_url: str | None = None,
        call_timeout: float | None = C.DEFAULT_CALL_TIMEOUT,
        max_response_size: int = C.DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self._configure(
            token,
            auth_endpoint,
            endpoint,
            service=service,
            timeout=timeout,
            max_retries=max_retries,
            download_concurrency=download_concurrency,
            progress=progress,
            progress_callback=progress_callback,
            allow_insecure_http=allow_insecure_http,
            file_download_url=file_download_url,
            job_file_download_url=job_file_download_url,
        )
        self._open_transports(
            transports(
                timeout=timeout,
                max_retries=max_retries,
                http_client=http_client,
                call_timeout=call_timeout,
                max_response_size=max_response_size,
            )
        )
        auth = self._bilby_auth(self.sync_client)
        channel = Channel(self.client, auth, ready=self.authenticate)
        self._bilby = guarded(BilbyClient(url=self.endpoint, http_client=channel))
        self._channel = channel
        self._authenticated = not self._token
        self._start()

    def __enter__(self) -> GWCloud:
        self.authenticate()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

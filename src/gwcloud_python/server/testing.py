"""Drive a local server subprocess from Python (tests, notebooks, benchmarks)."""

from __future__ import annotations

import base64
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn

import httpx

from .state import SCHEMA_VERSIONS

__all__ = ["LocalServer"]

_READY = "gwcloud-server listening on "
_JOB_CONTROLLER = "gwcloud-server job controller listening on "
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: Environment variable through which ``gwcloud-server run --admin`` receives its secret.
ADMIN_SECRET_ENV = "GWCLOUD_ADMIN_SECRET"  # noqa: S105


class LocalServer:
    """A ``gwcloud-server run`` subprocess on a free loopback port.

    Parameters
    ----------
    data_dir : Path, optional
        Data directory (a new temporary directory when None; reused across restarts).
    jwt_ttl : float
        JWT lifetime, seconds.
    refresh_ttl : float
        Refresh-token lifetime, seconds.
    download_id_ttl : float
        File download ID lifetime, seconds.
    job_duration : float
        Seconds a submitted job runs.
    schema : str
        ``"2023"`` (default: ``/bilby/graphql`` and ``/auth/graphql``, JWTs) or
        ``"2026"`` (one ``/graphql`` endpoint taking ``Authorization: <api token>``), or
        ``"2026-next"``: the 2026 service with the schema it has announced
        (``schema/2026-next``: no ``isLigoEvent``, no ``ligoOnly``).  A data directory
        may be used by any mode.
    split_job_controller : bool
        Serve normal-job files (``/job/apiv1/file/``) from a second listener, as the
        public service serves them from its job controller's host; the main port then
        refuses that route.  See :attr:`job_controller_url`.
    jwt_lifetime : float, optional
        JWT lifetime in seconds (``gwcloud-server run --jwt-lifetime``); overrides
        ``jwt_ttl`` when given.
    admin : bool
        Serve the ``/_admin/*`` routes this class uses (``--admin``).  A fresh random
        secret is handed to the child through ``$GWCLOUD_ADMIN_SECRET`` and sent with
        every admin call; other clients can not use the routes.  With False, the
        admin helpers (``add_user``, ``set_fault``...) are unavailable.
    max_upload_bytes : int, optional
        Largest request body the server accepts (``--max-upload-bytes``).
    max_extracted_bytes : int, optional
        Largest unpacked size of an uploaded job (``--max-extracted-bytes``).

    Raises
    ------
    ValueError
        For an unknown ``schema``.

    Examples
    --------
    >>> with LocalServer() as server:  # doctest: +SKIP
    ...     token = server.add_user("alice")
    >>> with LocalServer(schema="2026") as server:  # doctest: +SKIP
    ...     url = server.endpoint  # http://127.0.0.1:PORT/graphql
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        jwt_ttl: float = 300,
        refresh_ttl: float = 7 * 24 * 3600,
        download_id_ttl: float = 3600,
        job_duration: float = 0.5,
        schema: str = "2023",
        split_job_controller: bool = False,
        jwt_lifetime: float | None = None,
        admin: bool = True,
        max_upload_bytes: int | None = None,
        max_extracted_bytes: int | None = None,
    ) -> None:
        if schema not in SCHEMA_VERSIONS:
            raise ValueError(f"schema must be one of {', '.join(SCHEMA_VERSIONS)}")
        self._schema = schema
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gwcloud-server-")
            data_dir = Path(self._tmp.name)
        self.data_dir: Path = Path(data_dir)
        self.jwt_ttl: float = jwt_ttl
        self.refresh_ttl: float = refresh_ttl
        self.download_id_ttl: float = download_id_ttl
        self.job_duration: float = job_duration
        self._process: subprocess.Popen[str] | None = None
        self._base_url: str | None = None
        self._log: IO[bytes] | None = None
        self.split_job_controller = split_job_controller
        if jwt_lifetime is not None:
            self.jwt_ttl = jwt_lifetime
        self.admin = admin
        self._admin_secret = secrets.token_hex(32) if admin else None
        self.max_upload_bytes = max_upload_bytes
        self.max_extracted_bytes = max_extracted_bytes
        self._job_controller_url: str | None = None
        self._admin_client: httpx.Client | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> LocalServer:
        """Launch the server and wait until it listens.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the listening line.

        Returns
        -------
        LocalServer
            ``self``.

        Raises
        ------
        RuntimeError
            When the server exits or does not become ready in time; the message names
            a copy of the server's log that is kept (also for a temporary data
            directory, which is removed later).
        """
        if self._process is not None:
            return self
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        log_fd = os.open(self.data_dir / "server.log", flags, 0o600)
        self._log = os.fdopen(log_fd, "ab")
        env = dict(os.environ)
        env.pop(ADMIN_SECRET_ENV, None)
        # the child imports exactly what this process can import
        paths = [str(_PACKAGE_ROOT), *(p for p in sys.path if p and Path(p).is_dir())]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        command = [
            sys.executable,
            "-m",
            "gwcloud_python.server",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            "--jwt-ttl",
            str(self.jwt_ttl),
            "--refresh-ttl",
            str(self.refresh_ttl),
            "--download-id-ttl",
            str(self.download_id_ttl),
            "--job-duration",
            str(self.job_duration),
            "--schema",
            self._schema,
        ]
        if self.split_job_controller:
            command += ["--job-controller-port", "0"]
        if self._admin_secret is not None:
            command.append("--admin")
            env[ADMIN_SECRET_ENV] = self._admin_secret
        if self.max_upload_bytes is not None:
            command += ["--max-upload-bytes", str(self.max_upload_bytes)]
        if self.max_extracted_bytes is not None:
            command += ["--max-extracted-bytes", str(self.max_extracted_bytes)]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )
        self._process = process
        lines: queue.Queue[str] = queue.Queue()

        def pump(stream: IO[str]) -> None:
            with stream:  # closed at the end of output (the child exited), not by GC
                for line in stream:
                    lines.put(line)
            lines.put("")

        assert process.stdout is not None
        threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
        deadline = time.monotonic() + timeout
        line = ""
        while not line.startswith(_READY):
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                line = ""
            if not line:
                self._failed_start()
            if line.startswith(_JOB_CONTROLLER):
                self._job_controller_url = line[len(_JOB_CONTROLLER) :].strip()
        self._base_url = line[len(_READY) :].strip()
        return self

    def _failed_start(self) -> NoReturn:
        """Stop the child and raise, naming a log file that outlives the data directory."""
        process = self._process
        self.stop()
        log = self.data_dir / "server.log"
        if self._tmp is not None:
            # the temporary data directory goes away with this object: keep a copy
            handle, name = tempfile.mkstemp(prefix="gwcloud-server-failed-", suffix=".log")
            with os.fdopen(handle, "wb") as copy:
                copy.write(log.read_bytes() if log.exists() else b"")
            log = Path(name)
        tail = ""
        if log.exists():
            lines = log.read_text(errors="replace").strip().splitlines()
            tail = f": {lines[-1].strip()}" if lines else ""
        code = "" if process is None else f" (exit status {process.returncode})"
        raise RuntimeError(f"gwcloud-server did not start{code}{tail}; full log: {log}")

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (its data directory is kept).

        Parameters
        ----------
        timeout : float
            Seconds to wait before killing it.
        """
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        self._base_url = None
        self._job_controller_url = None
        if self._admin_client is not None:
            self._admin_client.close()
            self._admin_client = None

    def cleanup(self) -> None:
        """Stop the server and delete a temporary data directory it created."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # -- addresses -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        if self._base_url is None:
            raise RuntimeError("the server is not running")
        return self._base_url

    @property
    def schema(self) -> str:
        """Which schema the server serves: ``"2023"``, ``"2026"`` or ``"2026-next"``."""
        return self._schema

    @property
    def service(self) -> str:
        """Which deployment shape it has, ``"2023"`` or ``"2026"`` (a client's ``service=``).

        ``"2026-next"`` is a 2026 service (one endpoint, API tokens) whose schema lacks
        the LIGO flags that the service has announced it will drop.
        """
        return "2023" if self._schema == "2023" else "2026"

    @property
    def endpoint(self) -> str:
        """The Bilby GraphQL endpoint (``/bilby/graphql``; ``/graphql`` in 2026 mode)."""
        if self.service == "2026":
            return self.base_url + "/graphql"
        return self.base_url + "/bilby/graphql"

    @property
    def auth_endpoint(self) -> str:
        """The auth GraphQL endpoint (2023 mode only).

        Raises
        ------
        RuntimeError
            In 2026 mode, which has no auth endpoint (API tokens are sent as they are
            to :attr:`endpoint`), or when the server is not running.
        """
        if self.service == "2026":
            raise RuntimeError("a 2026-mode server has no auth endpoint; use endpoint")
        return self.base_url + "/auth/graphql"

    @property
    def job_controller_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the job-controller listener (split mode only).

        Raises
        ------
        RuntimeError
            When the server was not started with ``split_job_controller=True`` or is not
            running.
        """
        if not self.split_job_controller:
            raise RuntimeError("the server was not started with split_job_controller=True")
        if self._job_controller_url is None:
            raise RuntimeError("the server is not running")
        return self._job_controller_url

    @property
    def file_download_url(self) -> str:
        """Where uploaded-job files download from (2026: ``/file_download/``)."""
        if self.service == "2026":
            return self.base_url + "/file_download/"
        return self.base_url + "/bilby/file_download/"

    @property
    def job_file_download_url(self) -> str:
        """Download URL of normal-job files (``/job/apiv1/file/``).

        On the main port, or on :attr:`job_controller_url` in split mode.
        """
        if self.split_job_controller:
            return self.job_controller_url + "/job/apiv1/file/"
        return self.base_url + "/job/apiv1/file/"

    # -- admin API -----------------------------------------------------------------
    @property
    def admin_headers(self) -> dict[str, str]:
        """The header that authorises an ``/_admin/*`` call (``X-Admin-Secret``).

        Raises
        ------
        RuntimeError
            When the server was made with ``admin=False``.
        """
        if self._admin_secret is None:
            raise RuntimeError("this LocalServer was made with admin=False: no admin routes")
        return {"X-Admin-Secret": self._admin_secret}

    def __repr__(self) -> str:
        running = self._base_url or "not running"
        return f"LocalServer(schema={self._schema!r}, data_dir={str(self.data_dir)!r}, {running})"

    def _admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **self.admin_headers}
        response = self._admin_http().request(
            method, f"{self.base_url}/_admin/{path}", headers=headers, **kwargs
        )
        response.raise_for_status()
        return response

    def _admin_http(self) -> httpx.Client:
        """Return the client of the admin calls, made on first use.

        Making an ``httpx.Client`` costs about 20 ms (its TLS context), twenty times an
        admin call; without keep-alive, no connection outlives the call that opened it.
        """
        if self._admin_client is None:
            limits = httpx.Limits(max_keepalive_connections=0)
            self._admin_client = httpx.Client(timeout=60, limits=limits, trust_env=False)
        return self._admin_client

    def add_user(
        self,
        name: str,
        *,
        ligo: bool = False,
        event_admin: bool = False,
        gwflow_ingest: bool = False,
    ) -> str:
        """Create (or re-key) a user.

        Parameters
        ----------
        name : str
            Username.
        ligo : bool
            LIGO membership.
        event_admin : bool
            May write event IDs.
        gwflow_ingest : bool
            May call the GWFlow ingest operations (upsert, upload, link, pending files).

        Returns
        -------
        str
            The user's API token.
        """
        body = {
            "name": name,
            "ligo": ligo,
            "event_admin": event_admin,
            "gwflow_ingest": gwflow_ingest,
        }
        token: str = self._admin("POST", "users", json=body).json()["token"]
        return token

    def seed_demo(self) -> dict[str, Any]:
        """Create the demo data set.

        Returns
        -------
        dict
            ``{"users": {name: api token}, "jobs": {name: global id}}``.
        """
        result: dict[str, Any] = self._admin("POST", "seed-demo").json()
        return result

    def seed_scale(self, jobs: int, files_per_job: int, file_size: int) -> dict[str, Any]:
        """Create many public jobs with generated files.

        Parameters
        ----------
        jobs : int
            Number of jobs.
        files_per_job : int
            Files per job.
        file_size : int
            Bytes per file.

        Returns
        -------
        dict
            Summary with ``first_job_id`` and ``user_token``.
        """
        body = {"jobs": jobs, "files_per_job": files_per_job, "file_size": file_size}
        result: dict[str, Any] = self._admin("POST", "seed-scale", json=body).json()
        return result

    def set_fault(
        self, kind: str, *, match: str | None = None, times: int = 1, **params: Any
    ) -> None:
        """Inject a fault into the next matching requests.

        Parameters
        ----------
        kind : str
            ``drop``, ``status``, ``delay``, ``truncate``, ``malformed_json`` or
            ``graphql_error``.
        match : str, optional
            URL path prefix (starting with ``/``) or GraphQL operation name; None
            matches every request.
        times : int
            Number of requests affected (0 or less: every request until cleared).
        **params
            ``after_bytes``, ``status``, ``retry_after``, ``seconds``, ``message``;
            ``strip_validators=True`` makes a ``drop`` or ``truncate`` answer carry no
            ``ETag`` or ``Last-Modified``.
        """
        self._admin("POST", "faults", json={"kind": kind, "match": match, "times": times, **params})

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._admin("DELETE", "faults")

    # -- isolation, fault windows and factories (used by the pytest plugin) ----------
    def reset(self) -> None:
        """Empty the server's data without restarting it (``POST /_admin/reset``).

        Users, tokens, jobs, files and event IDs are deleted, the standard labels are
        made again, fault rules and the request log are cleared; the port, the admin
        secret and the JWT secret stay.  Job and user numbers keep counting up, so an
        ID or token from before the reset never names new data.
        """
        self._admin("POST", "reset")

    @contextmanager
    def faults(
        self, kind: str, times: int = 1, *, match: str | None = None, **params: Any
    ) -> Iterator[None]:
        """Misbehave for the next ``times`` matching requests inside a ``with`` block.

        Parameters
        ----------
        kind : str
            ``"slow"`` (answer after ``seconds=``, default 1), ``"5xx"`` (answer
            ``status=``, default 503), ``"drop"`` (send the headers and
            ``after_bytes=`` bytes of the body, default 0, then break the connection),
            ``"expire_jwts"`` (every JWT issued so far expires on entry; a 2026-mode
            server has none), or any kind :meth:`set_fault` takes.
        times : int
            Number of matching requests affected (0 or less: all of them, until the
            block ends).  Not used by ``"expire_jwts"``.
        match : str, optional
            GraphQL operation name, or URL path prefix starting with ``/``.
        **params
            Passed to :meth:`set_fault` (``seconds``, ``status``, ``after_bytes``...).

        Yields
        ------
        None
            When the block ends, what is left of this block's rule is removed; other
            rules (an enclosing block's, :meth:`set_fault`'s) stay.

        Raises
        ------
        ValueError
            For an unknown ``kind``.
        """
        from .faults import FAULT_KINDS  # the server's extra: this process starts it

        aliases = {"slow": ("delay", "seconds", 1.0), "5xx": ("status", "status", 503)}
        window = secrets.token_hex(8)
        if kind == "expire_jwts":
            self.expire_jwts()
        else:
            if kind not in aliases and kind not in FAULT_KINDS:
                known = ", ".join(["slow", "5xx", "expire_jwts", *FAULT_KINDS])
                raise ValueError(f"unknown fault kind {kind!r}; use one of {known}")
            if kind in aliases:
                kind, option, default = aliases[kind]
                params.setdefault(option, default)
            self.set_fault(kind, match=match, times=times, _window=window, **params)
        try:
            yield
        finally:
            if self._base_url is not None:
                self._drop_fault_window(window)

    def _drop_fault_window(self, window: str) -> None:
        """Remove the rule a :meth:`faults` block set, keeping every other rule."""
        rules: list[dict[str, Any]] = self._admin("GET", "faults").json()["faults"]
        if not any(rule.get("_window") == window for rule in rules):
            return
        self.clear_faults()
        for rule in rules:
            if rule.get("_window") != window:
                # what is left of it: "remaining" counts down (<= 0: until cleared)
                kept = {k: v for k, v in rule.items() if k not in ("remaining", "times")}
                self._admin("POST", "faults", json={**kept, "times": rule["remaining"]})

    def _create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to an admin factory; a refusal raises with the server's reason."""
        response = self._admin_http().post(
            f"{self.base_url}/_admin/factory/{path}", json=body, headers=self.admin_headers
        )
        if response.status_code in (400, 409):
            raise ValueError(f"{path}: {response.json().get('error', response.text)}")
        if response.status_code == 501:
            raise NotImplementedError(response.json().get("error", response.text))
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def create_bilby_job(
        self,
        name: str,
        files: Mapping[str, bytes] | None = None,
        *,
        private: bool = False,
        owner: str | None = None,
        description: str = "",
        event_id: str | None = None,
        labels: Sequence[str] = (),
        ligo: bool = False,
        job_type: str = "normal",
        status: str = "Completed",
        ini: str | None = None,
        result_url: str | None = None,
    ) -> str:
        """Create a Bilby job holding the given files, without submitting or uploading it.

        Parameters
        ----------
        name : str
            Job name (letters, digits, ``_`` and ``-``).
        files : mapping of str to bytes, optional
            File content by path relative to the job's output directory, e.g.
            ``{"result/GW1_corner.png": png_bytes}``; directories are implied.
        private : bool
            Visible to its owner only (public by default).
        owner : str, optional
            Username of the owner; created when missing.  Call :meth:`add_user` first
            to get a token that sees a private job.  Default: a user ``factory``.
        description : str
            Job description.
        event_id : str, optional
            An existing event ID (see :meth:`create_event_id`).
        labels : sequence of str
            Existing label names, such as ``"Official"`` (what
            ``get_official_job_list`` looks for) or ``"Production Run"``.
        ligo : bool
            A LIGO-only job.
        job_type : str
            ``"normal"``, ``"uploaded"`` or ``"external"`` (no files; give
            ``result_url``).
        status : str
            Status name, ``"Completed"`` by default.
        ini : str, optional
            The job's ini file (a small one labelled ``name`` by default).
        result_url : str, optional
            Results location of an external job.

        Returns
        -------
        str
            The job's global ID, as ``GWCloud.get_job_by_id`` takes it.

        Raises
        ------
        ValueError
            When the server refuses the job (the message says why).
        """
        body: dict[str, Any] = {
            "name": name,
            "files": [
                {"path": path, "data": base64.b64encode(bytes(data)).decode("ascii")}
                for path, data in (files or {}).items()
            ],
            "private": private,
            "description": description,
            "event_id": event_id,
            "labels": list(labels),
            "ligo": ligo,
            "job_type": job_type,
            "status": status,
            "ini": ini,
            "result_url": result_url,
        }
        if owner is not None:
            body["owner"] = owner
        job_id: str = self._create("bilby-job", body)["id"]
        return job_id

    def create_event_id(
        self,
        event_id: str,
        *,
        trigger_id: str | None = None,
        nickname: str | None = None,
        ligo: bool = False,
        gps_time: float = 1126259462.391,
    ) -> str:
        """Create an event ID.

        Parameters
        ----------
        event_id : str
            ``GWYYMMDD_hhmmss``, e.g. ``"GW150914_095045"``.
        trigger_id : str, optional
            ``SYYMMDD`` and one or two letters, e.g. ``"S150914a"``.
        nickname : str, optional
            Common name, e.g. ``"GW150914"``.
        ligo : bool
            Visible to LIGO members only.
        gps_time : float
            GPS time of the event.

        Returns
        -------
        str
            ``event_id``, as ``GWCloud.get_event_id`` takes it.

        Raises
        ------
        ValueError
            For a malformed or existing event ID.
        """
        body = {
            "event_id": event_id,
            "trigger_id": trigger_id,
            "nickname": nickname,
            "ligo": ligo,
            "gps_time": gps_time,
        }
        created: str = self._create("event-id", body)["event_id"]
        return created

    def create_gwflow_job(
        self,
        sname: str,
        files: Sequence[Mapping[str, Any]] = (),
        *,
        ligo_only: bool = True,
        is_pruned: bool = False,
        metadata: Mapping[str, Any] | None = None,
        libraries: Sequence[Any] | None = None,
        event_id: str | None = None,
        owner: str | None = None,
    ) -> dict[str, Any]:
        """Create a GWFlow job with files (2026 mode).

        Parameters
        ----------
        sname : str
            The GWFlow superevent name, e.g. ``"S240413p"``.
        files : sequence of mapping
            One mapping per file: ``analysis_uid``, ``path``, ``file_name`` and
            ``data`` (bytes; None registers a file that is still to be uploaded, with
            optional ``md5_sum`` and ``file_size``).
        ligo_only : bool
            Visible to LIGO members only.
        is_pruned : bool
            Whether the job's files were pruned.
        metadata : mapping, optional
            The job's metadata.
        libraries : sequence, optional
            The job's libraries.
        event_id : str, optional
            An existing event ID the job belongs to.
        owner : str, optional
            Username of the owner.

        Returns
        -------
        dict
            ``{"id": GWFlow job ID, "sname": sname, "files": [{"id", "download_token",
            "path", "analysis_uid"}, ...]}``.

        Raises
        ------
        NotImplementedError
            When the server has no GWFlow store.
        ValueError
            When the server refuses the job.
        """
        body: dict[str, Any] = {
            "sname": sname,
            "files": [
                {
                    **item,
                    "data": None
                    if item.get("data") is None
                    else base64.b64encode(bytes(item["data"])).decode("ascii"),
                }
                for item in files
            ],
            "ligo_only": ligo_only,
            "is_pruned": is_pruned,
            "metadata": None if metadata is None else dict(metadata),
            "libraries": None if libraries is None else list(libraries),
            "event_id": event_id,
            "owner": owner,
        }
        return self._create("gwflow-job", body)

    def expire_jwts(self) -> None:
        """Make every JWT issued so far expired (no effect in 2026 mode, which has no JWTs)."""
        self._admin("POST", "expire-jwts")

    def expire_refresh_tokens(self) -> None:
        """Make every refresh token issued so far expired."""
        self._admin("POST", "expire-refresh-tokens")

    def requests(self) -> list[dict[str, Any]]:
        """Return the requests seen (``method``, ``path``, ``operation``, ``status``).

        Returns
        -------
        list of dict
            In arrival order; admin requests are not listed.
        """
        result: list[dict[str, Any]] = self._admin("GET", "requests").json()
        return result

    def reset_requests(self) -> None:
        """Forget the requests seen so far."""
        self._admin("DELETE", "requests")

    def replace_file(self, job_id: str, path: str, data: bytes) -> None:
        """Give a stored job file new content, as a running job rewrites or extends it.

        The listing keeps the size recorded when the file was registered, so a
        longer ``data`` is a file that grew since it was listed.

        Parameters
        ----------
        job_id : str
            The job's global ID.
        path : str
            Path relative to the job's output directory; a file stored on disk
            (not one of the generated demo files).
        data : bytes
            The new content, written to a new file and renamed into place.
        """
        self._admin("PUT", "file", params={"job": job_id, "path": path}, content=data)

    def file_bytes(self, job_id: str, path: str) -> bytes:
        """Return the stored bytes of a job file.

        Parameters
        ----------
        job_id : str
            The job's global ID.
        path : str
            Path relative to the job's output directory.

        Returns
        -------
        bytes
            The content.
        """
        return self._admin("GET", "file", params={"job": job_id, "path": path}).content

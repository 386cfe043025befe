"""Drive a local server subprocess from Python (tests, notebooks, benchmarks)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from .state import SCHEMA_VERSIONS

__all__ = ["LocalServer"]

_READY = "gwcloud-server listening on "
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


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
        ``"2026"`` (one ``/graphql`` endpoint taking ``Authorization: <api token>``).
        A data directory may be used by either mode.

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
    ) -> None:
        if schema not in SCHEMA_VERSIONS:
            raise ValueError(f"schema must be one of {', '.join(SCHEMA_VERSIONS)}")
        self._schema = schema
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gwcloud-server-")
            data_dir = Path(self._tmp.name)
        self.data_dir = Path(data_dir)
        self.jwt_ttl = jwt_ttl
        self.refresh_ttl = refresh_ttl
        self.download_id_ttl = download_id_ttl
        self.job_duration = job_duration
        self._process: subprocess.Popen[str] | None = None
        self._base_url: str | None = None
        self._log: IO[bytes] | None = None

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
            When the server exits or does not become ready in time.
        """
        if self._process is not None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115
        env = dict(os.environ)
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
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )
        self._process = process
        lines: queue.Queue[str] = queue.Queue()

        def pump(stream: IO[str]) -> None:
            for line in stream:
                lines.put(line)
            lines.put("")

        assert process.stdout is not None
        threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        if not line.startswith(_READY):
            self.stop()
            raise RuntimeError(f"gwcloud-server did not start; see {self.data_dir / 'server.log'}")
        self._base_url = line[len(_READY) :].strip()
        return self

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
        """Which service generation the server imitates, ``"2023"`` or ``"2026"``."""
        return self._schema

    @property
    def endpoint(self) -> str:
        """The Bilby GraphQL endpoint (``/bilby/graphql``; ``/graphql`` in 2026 mode)."""
        if self._schema == "2026":
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
        if self._schema == "2026":
            raise RuntimeError("a 2026-mode server has no auth endpoint; use endpoint")
        return self.base_url + "/auth/graphql"

    @property
    def file_download_url(self) -> str:
        """Where uploaded-job files download from (2026: ``/file_download/``)."""
        if self._schema == "2026":
            return self.base_url + "/file_download/"
        return self.base_url + "/bilby/file_download/"

    @property
    def job_file_download_url(self) -> str:
        """Download URL of normal-job files (``/job/apiv1/file/``, on this port in both modes)."""
        return self.base_url + "/job/apiv1/file/"

    # -- admin API -----------------------------------------------------------------
    def _admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.base_url}/_admin/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response

    def add_user(self, name: str, *, ligo: bool = False, event_admin: bool = False) -> str:
        """Create (or re-key) a user.

        Parameters
        ----------
        name : str
            Username.
        ligo : bool
            LIGO membership.
        event_admin : bool
            May write event IDs.

        Returns
        -------
        str
            The user's API token.
        """
        body = {"name": name, "ligo": ligo, "event_admin": event_admin}
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
            ``after_bytes``, ``status``, ``retry_after``, ``seconds``, ``message``.
        """
        self._admin("POST", "faults", json={"kind": kind, "match": match, "times": times, **params})

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._admin("DELETE", "faults")

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
